local shortport = require "shortport"
local snmp = require "snmp"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"

description = [[
Lists an SNMP agent's TCP connections and listening sockets (tcpConnTable)
and its UDP sockets (udpTable), read with SNMPv1 GETNEXT walks, like
netstat.
]]

---
-- @usage nmap -sU -p 161 --script snmp-netstat <target>
-- @args snmpcommunity Community string (default "public").
-- @output
-- 161/udp open  snmp
-- | snmp-netstat:
-- |   TCP  0.0.0.0:22           0.0.0.0:0
-- |   TCP  198.18.0.53:53       0.0.0.0:0
-- |   UDP  0.0.0.0:161          *:*
-- |_  UDP  198.18.0.53:53       *:*

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "discovery", "safe" }

portrule = shortport.port_or_service(161, "snmp", "udp", { "open", "open|filtered" })

-- table index "a.b.c.d.port[.a.b.c.d.port]" → "a.b.c.d:port" pairs
local function endpoints(index)
  local n = {}
  for x in index:gmatch("%d+") do n[#n + 1] = x end
  local l = n[1] and string.format("%s.%s.%s.%s:%s", n[1], n[2], n[3], n[4], n[5])
  local r = n[6] and string.format("%s.%s.%s.%s:%s", n[6], n[7], n[8], n[9], n[10])
  return l, r
end

action = function(host, port)
  local lines = {}
  local ok, tcp = snmp.walk(host, port, "1.3.6.1.2.1.6.13.1.1")
  if ok then
    for _, vb in ipairs(tcp) do
      local l, r = endpoints(vb.oid:sub(#"1.3.6.1.2.1.6.13.1.1" + 2))
      if l and r then lines[#lines + 1] = string.format("%-5s%-21s%s", "TCP", l, r) end
    end
  end
  local ok2, udp = snmp.walk(host, port, "1.3.6.1.2.1.7.5.1.1")
  if ok2 then
    for _, vb in ipairs(udp) do
      local l = endpoints(vb.oid:sub(#"1.3.6.1.2.1.7.5.1.1" + 2))
      if l then lines[#lines + 1] = string.format("%-5s%-21s%s", "UDP", l, "*:*") end
    end
  end
  if #lines == 0 then return nil end
  return "\n  " .. table.concat(lines, "\n  ") .. "\n"
end
