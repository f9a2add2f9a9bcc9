local netutil = require "netutil"
local nmap = require "nmap"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local os = require "os"
local math = require "math"
local table = require "table"

description = [[
Asks a memcached server for its statistics ("stats" and "stats settings",
over TCP, or UDP with memcached's frame header) and shows process id,
uptime, server time, architecture, CPU used, connections, ports and whether
authentication (SASL) is required.
]]

---
-- @usage nmap --script memcached-info -p 11211 <target>
-- @usage nmap -sU --script memcached-info -p 11211 <target>
-- @output
-- 11211/tcp open  memcache
-- | memcached-info:
-- |   Process ID: 16268
-- |   Uptime: 226 seconds
-- |   Server time: 2026-11-29T10:31:45
-- |   Architecture: 64 bit
-- |   Used CPU (user): 0.033339
-- |   Used CPU (system): 0.027944
-- |   Current connections: 11
-- |   Total connections: 13
-- |   Maximum connections: 1024
-- |   TCP Port: 11211
-- |   UDP Port: 11211
-- |_  Authentication: no

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "safe" }

portrule = shortport.port_or_service(11211, "memcache", { "tcp", "udp" })

local function stats_tcp(host, port, cmd)
  local c = netutil.connect(host, port, "tcp", 8000)
  if not c then return nil end
  c:send(cmd .. "\r\n")
  local kv, any = {}, false
  while true do
    local l = c:line()
    if not l or l == "END" then break end
    if l:match("ERROR") then c:close(); return nil, l end
    local k, v = l:match("^STAT (%S+) (.*)$")
    if k then kv[k] = v; any = true end
  end
  c:close()
  return any and kv or nil
end

local function stats_udp_once(host, port, cmd)
  local s = nmap.new_socket("udp")
  s:set_timeout(5000)
  local ok = s:connect(host, port, "udp")
  if not ok then return nil end
  local rid = math.random(0, 0xffff)
  s:send(string.pack(">I2I2I2I2", rid, 0, 1, 0) .. cmd .. "\r\n")
  local parts, total = {}, nil
  for _ = 1, 64 do
    local ok2, data = s:receive()
    if not ok2 or #data < 8 then break end
    local id, seq, count = string.unpack(">I2I2I2", data)
    if id == rid then
      parts[seq + 1] = data:sub(9)
      total = count
      local n = 0
      for _ in pairs(parts) do n = n + 1 end
      if n >= total then break end
    end
  end
  s:close()
  if not total then return nil end
  local text = table.concat(parts)
  local kv, any = {}, false
  for k, v in text:gmatch("STAT (%S+) ([^\r\n]*)") do kv[k] = v; any = true end
  return any and kv or nil
end

local function stats_udp(host, port, cmd)
  for _ = 1, 2 do
    local kv = stats_udp_once(host, port, cmd)
    if kv then return kv end
  end
  return nil
end

action = function(host, port)
  local get = port.protocol == "udp" and stats_udp or stats_tcp
  local st, err = get(host, port, "stats")
  if not st then
    if err and err:match("ERROR") then
      local out = stdnse.output_table()
      out.Authentication = "yes"
      return out
    end
    return nil
  end
  local set = get(host, port, "stats settings") or {}
  local out = stdnse.output_table()
  out["Process ID"] = st.pid
  if st.uptime then out.Uptime = st.uptime .. " seconds" end
  if st.time then out["Server time"] = os.date("!%Y-%m-%dT%H:%M:%S", tonumber(st.time)) end
  if st.pointer_size then out.Architecture = st.pointer_size .. " bit" end
  out["Used CPU (user)"] = st.rusage_user
  out["Used CPU (system)"] = st.rusage_system
  out["Current connections"] = st.curr_connections
  out["Total connections"] = st.total_connections
  out["Maximum connections"] = st.max_connections or set.maxconns
  out["TCP Port"] = set.tcpport
  out["UDP Port"] = set.udpport
  out.Authentication = (set.auth_enabled_sasl == "yes") and "yes" or "no"
  return out
end
