local shortport = require "shortport"
local snmp = require "snmp"
local stdnse = require "stdnse"
local string = require "string"
local nmap = require "nmap"
local table = require "table"

description = [[
Asks an SNMP agent for its SNMPv3 engine identity with an unauthenticated
discovery request (no community needed) and decodes the engine ID
(enterprise, format, data), the boot count and the engine time.
]]

---
-- @usage nmap -sU -p 161 --script snmp-info <target>
-- @output
-- 161/udp open  snmp
-- | snmp-info:
-- |   enterprise: net-snmp
-- |   engineIDFormat: unknown
-- |   engineIDData: cf86736b32fe0b6b00000000
-- |   snmpEngineBoots: 1
-- |_  snmpEngineTime: 3m58s

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "version", "safe" }

portrule = shortport.port_or_service(161, "snmp", "udp", { "open", "open|filtered" })

local ENTERPRISES = {
  [2] = "IBM", [9] = "Cisco", [11] = "Hewlett-Packard", [36] = "Digital Equipment", [42] = "Sun Microsystems",
  [43] = "3Com", [171] = "D-Link", [311] = "Microsoft", [318] = "APC", [674] = "Dell",
  [1916] = "Extreme Networks", [1991] = "Brocade (Foundry)", [2011] = "Huawei", [2021] = "ucdavis", [2636] = "Juniper",
  [3375] = "F5 Networks", [4526] = "Netgear", [6876] = "VMware", [8072] = "net-snmp", [9148] = "Acme Packet",
  [12356] = "Fortinet", [14179] = "Cisco (Airespace)", [14988] = "MikroTik", [25461] = "Palo Alto Networks",
  [30065] = "Arista Networks", [41112] = "Ubiquiti",
}

local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end

local function format_secs(t)
  local d, h, m, s = t // 86400, (t // 3600) % 24, (t // 60) % 60, t % 60
  if d > 0 then return string.format("%dd%02dh%02dm%02ds", d, h, m, s) end
  if h > 0 then return string.format("%dh%02dm%02ds", h, m, s) end
  if m > 0 then return string.format("%dm%02ds", m, s) end
  return string.format("%ds", s)
end

action = function(host, port)
  local ok, e = snmp.discover_engine(host, port)
  if not ok or not e.engineID or #e.engineID < 5 then return nil end
  if nmap.set_port_state and port.state ~= "open" then nmap.set_port_state(host, port, "open") end
  local out = stdnse.output_table()
  local id = e.engineID
  local first = string.unpack(">I4", id)
  local ent = first & 0x7fffffff
  out.enterprise = ENTERPRISES[ent] or tostring(ent)
  if first & 0x80000000 ~= 0 then
    local fmt = id:byte(5)
    local data = id:sub(6)
    if fmt == 1 and #data >= 4 then
      out.engineIDFormat = "ipv4"
      out.engineIDData = string.format("%d.%d.%d.%d", data:byte(1, 4))
    elseif fmt == 2 and #data >= 16 then
      out.engineIDFormat = "ipv6"
      local g = { string.unpack(">I2I2I2I2I2I2I2I2", data) }
      g[9] = nil
      for i = 1, 8 do g[i] = string.format("%x", g[i]) end
      out.engineIDData = table.concat(g, ":")
    elseif fmt == 3 and #data >= 6 then
      out.engineIDFormat = "mac"
      out.engineIDData = hex(data:sub(1, 6)):gsub("(%x%x)", "%1:"):sub(1, -2)
    elseif fmt == 4 then
      out.engineIDFormat = "text"
      out.engineIDData = data
    elseif fmt == 5 then
      out.engineIDFormat = "octets"
      out.engineIDData = hex(data)
    else
      out.engineIDFormat = "unknown"
      out.engineIDData = hex(data)
    end
  else
    out.engineIDFormat = "unknown"
    out.engineIDData = hex(id:sub(5))
  end
  out.snmpEngineBoots = e.boots
  out.snmpEngineTime = format_secs(e.time)
  return out
end
