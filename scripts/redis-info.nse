local netutil = require "netutil"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"

description = [[
Asks a Redis server for INFO (and, when allowed, CONFIG GET bind and
CLIENT LIST) and shows its version, operating system, architecture,
process id, CPU used, clients, memory, role, bind addresses and the
addresses of connected clients.
]]

---
-- @usage nmap --script redis-info -p 6379 <target>
-- @output
-- 6379/tcp open  redis
-- | redis-info:
-- |   Version: 7.0.15
-- |   Operating System: Linux 6.1.0 x86_64
-- |   Architecture: 64 bits
-- |   Process ID: 1234
-- |   Used CPU (sys): 0.207374
-- |   Used CPU (user): 0.174244
-- |   Connected clients: 2
-- |   Connected slaves: 0
-- |   Used memory: 912.73K
-- |   Role: master
-- |   Bind addresses:
-- |     *
-- |   Client connections:
-- |_    192.0.2.1

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "safe" }

portrule = shortport.port_or_service(6379, "redis")

-- send a command as a RESP array and read one reply
local function command(c, ...)
  local args = { ... }
  local parts = { "*" .. #args .. "\r\n" }
  for _, a in ipairs(args) do parts[#parts + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n" end
  if not c:send(table.concat(parts)) then return nil end
  local function read()
    local l = c:line()
    if not l then return nil end
    local t, rest = l:sub(1, 1), l:sub(2)
    if t == "+" then return rest
    elseif t == "-" then return nil, rest
    elseif t == ":" then return tonumber(rest)
    elseif t == "$" then
      local n = tonumber(rest)
      if not n or n < 0 then return nil end
      local s = c:bytes(n + 2)
      return s and s:sub(1, n)
    elseif t == "*" then
      local n = tonumber(rest) or 0
      local arr = {}
      for i = 1, n do arr[i] = read() end
      return arr
    end
    return nil, "bad reply"
  end
  return read()
end

local FIELDS = {
  { "redis_version", "Version" },
  { "os", "Operating System" },
  { "arch_bits", "Architecture", " bits" },
  { "process_id", "Process ID" },
  { "used_cpu_sys", "Used CPU (sys)" },
  { "used_cpu_user", "Used CPU (user)" },
  { "connected_clients", "Connected clients" },
  { "connected_slaves", "Connected slaves" },
  { "used_memory_human", "Used memory" },
  { "role", "Role" },
}

action = function(host, port)
  local c = netutil.connect(host, port, "tcp", 8000)
  if not c then return nil end
  local info, err = command(c, "INFO")
  if not info then
    c:close()
    if err and err:match("NOAUTH") then return "Authentication required" end
    return nil
  end
  local kv = {}
  for line in info:gmatch("[^\r\n]+") do
    local k, v = line:match("^([%w_]+):(.*)$")
    if k then kv[k] = v end
  end
  local out = stdnse.output_table()
  for _, f in ipairs(FIELDS) do
    if kv[f[1]] then out[f[2]] = kv[f[1]] .. (f[3] or "") end
  end
  local bind = command(c, "CONFIG", "GET", "bind")
  if type(bind) == "table" and bind[2] then
    local addrs = {}
    for a in bind[2]:gmatch("%S+") do addrs[#addrs + 1] = a end
    if #addrs > 0 then out["Bind addresses"] = addrs end
  end
  local clients = command(c, "CLIENT", "LIST")
  if type(clients) == "string" then
    local seen, list = {}, {}
    for addr in clients:gmatch("addr=(%S+)") do
      local ip = addr:match("^(.*):%d+$") or addr
      if not seen[ip] then seen[ip] = true; list[#list + 1] = ip end
    end
    if #list > 0 then out["Client connections"] = list end
  end
  c:close()
  return out
end
