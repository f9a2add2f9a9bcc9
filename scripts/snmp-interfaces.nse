local shortport = require "shortport"
local snmp = require "snmp"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local nmap = require "nmap"

description = [[
Lists an SNMP agent's network interfaces (ifTable and ipAddrTable, read
with SNMPv1 GETNEXT walks): name, IPv4 addresses and netmasks, MAC address,
type, speed, operational status and traffic counters.
]]

---
-- @usage nmap -sU -p 161 --script snmp-interfaces <target>
-- @args snmpcommunity Community string (default "public").
-- @output
-- 161/udp open  snmp
-- | snmp-interfaces:
-- |   lo
-- |     IP address: 127.0.0.1  Netmask: 255.0.0.0
-- |     Type: softwareLoopback  Speed: 10 Mbps
-- |     Status: up
-- |     Traffic stats: 0.00 Kb sent, 0.00 Kb received
-- |   eth0
-- |     IP address: 198.18.0.53  Netmask: 255.255.255.0
-- |     MAC address: 02:00:c6:12:00:35
-- |     Type: ethernetCsmacd  Speed: 4 Gbps
-- |     Status: up
-- |_    Traffic stats: 2.84 Mb sent, 2.70 Mb received

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "discovery", "safe" }

portrule = shortport.port_or_service(161, "snmp", "udp", { "open", "open|filtered" })

local IFTYPES = {
  [1] = "other", [6] = "ethernetCsmacd", [9] = "iso88025TokenRing", [15] = "fddi", [20] = "basicISDN",
  [23] = "ppp", [24] = "softwareLoopback", [28] = "slip", [32] = "frameRelay", [37] = "atm",
  [53] = "propVirtual", [62] = "fastEther", [71] = "ieee80211", [117] = "gigabitEthernet",
  [131] = "tunnel", [135] = "l2vlan", [136] = "l3ipvlan", [161] = "ieee8023adLag", [209] = "bridge",
}
local STATUS = { "up", "down", "testing", "unknown", "dormant", "notPresent", "lowerLayerDown" }

local function speed(bps)
  if bps >= 1e9 then return string.format("%d Gbps", bps // 1000000000) end
  if bps >= 1e6 then return string.format("%d Mbps", bps // 1000000) end
  if bps >= 1e3 then return string.format("%d Kbps", bps // 1000) end
  return string.format("%d bps", bps)
end

local function traffic(octets)
  if octets >= 1000000 then return string.format("%.2f Mb", octets / 1000000) end
  return string.format("%.2f Kb", octets / 1000)
end

local function column(host, port, col)
  local base = "1.3.6.1.2.1.2.2.1." .. col
  local ok, res = snmp.walk(host, port, base)
  local t = {}
  if ok then for _, vb in ipairs(res) do t[tonumber(vb.oid:sub(#base + 2))] = vb.value end end
  return t
end

action = function(host, port)
  local descr = column(host, port, 2)
  if not next(descr) then return nil end
  local itype, ispeed, mac = column(host, port, 3), column(host, port, 5), column(host, port, 6)
  local status, inoct, outoct = column(host, port, 8), column(host, port, 10), column(host, port, 16)
  local addrs = {}
  local ok, ifidx = snmp.walk(host, port, "1.3.6.1.2.1.4.20.1.2")
  local okm, masks = snmp.walk(host, port, "1.3.6.1.2.1.4.20.1.3")
  local mask_of = {}
  if okm then for _, vb in ipairs(masks) do mask_of[vb.oid:sub(#"1.3.6.1.2.1.4.20.1.3" + 2)] = vb.value end end
  if ok then
    for _, vb in ipairs(ifidx) do
      local ip = vb.oid:sub(#"1.3.6.1.2.1.4.20.1.2" + 2)
      addrs[vb.value] = addrs[vb.value] or {}
      table.insert(addrs[vb.value], { ip, mask_of[ip] })
    end
  end
  local idx = {}
  for i in pairs(descr) do idx[#idx + 1] = i end
  table.sort(idx)
  local lines = {}
  for _, i in ipairs(idx) do
    lines[#lines + 1] = "  " .. descr[i]
    for _, a in ipairs(addrs[i] or {}) do
      lines[#lines + 1] = "    IP address: " .. a[1] .. (a[2] and ("  Netmask: " .. a[2]) or "")
    end
    if mac[i] and #mac[i] == 6 then
      lines[#lines + 1] = "    MAC address: " .. string.format("%02x:%02x:%02x:%02x:%02x:%02x", mac[i]:byte(1, 6))
    end
    local tline = "    Type: " .. (IFTYPES[itype[i]] or tostring(itype[i]))
    if ispeed[i] then tline = tline .. "  Speed: " .. speed(ispeed[i]) end
    lines[#lines + 1] = tline
    if status[i] then lines[#lines + 1] = "    Status: " .. (STATUS[status[i]] or tostring(status[i])) end
    if inoct[i] and outoct[i] then
      lines[#lines + 1] = "    Traffic stats: " .. traffic(outoct[i]) .. " sent, " .. traffic(inoct[i]) .. " received"
    end
  end
  return "\n" .. table.concat(lines, "\n") .. "\n"
end
