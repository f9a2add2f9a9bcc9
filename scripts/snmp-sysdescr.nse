local shortport = require "shortport"
local snmp = require "snmp"
local stdnse = require "stdnse"
local string = require "string"
local nmap = require "nmap"

description = [[
Reads the system description (sysDescr.0) and uptime (sysUpTime.0) of an
SNMP agent with an SNMPv1 GET and the community from the
<code>snmpcommunity</code> argument ("public" by default).
]]

---
-- @usage nmap -sU -p 161 --script snmp-sysdescr <target>
-- @args snmpcommunity Community string (default "public").
-- @output
-- 161/udp open  snmp
-- | snmp-sysdescr: Linux ns 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC x86_64
-- |_  System uptime: 3m58.03s (23803 timeticks)

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "discovery", "safe" }

portrule = shortport.port_or_service(161, "snmp", "udp", { "open", "open|filtered" })

local function format_ticks(t)
  local secs = t / 100
  local d = t // 8640000
  local h = (t // 360000) % 24
  local m = (t // 6000) % 60
  local s = secs - (t // 6000) * 60
  if d > 0 then return string.format("%dd%02dh%02dm%05.2fs", d, h, m, s) end
  if h > 0 then return string.format("%dh%02dm%05.2fs", h, m, s) end
  if m > 0 then return string.format("%dm%05.2fs", m, s) end
  return string.format("%.2fs", s)
end

action = function(host, port)
  local ok, res = snmp.get(host, port, { "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.3.0" })
  if not ok then
    stdnse.debug1("SNMP GET failed: %s", tostring(res))
    return nil
  end
  if nmap and nmap.set_port_state and port.state ~= "open" then nmap.set_port_state(host, port, "open") end
  local descr, ticks
  for _, vb in ipairs(res) do
    if vb.oid == "1.3.6.1.2.1.1.1.0" and vb.type == "OCTET STRING" then descr = vb.value end
    if vb.oid == "1.3.6.1.2.1.1.3.0" and vb.type == "TimeTicks" then ticks = vb.value end
  end
  if not descr then return nil end
  local out = descr
  if ticks then
    out = out .. string.format("\n  System uptime: %s (%d timeticks)", format_ticks(ticks), ticks)
  end
  return out
end
