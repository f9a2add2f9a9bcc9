local nmap = require "nmap"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"

description = [[
Shows what a PostgreSQL server reveals before authentication: whether it
accepts TLS (SSLRequest), the protocol version it speaks, and the
authentication method it asks of a user (SCRAM-SHA-256, MD5, cleartext,
trust...), or the error it gives instead (e.g. no pg_hba.conf entry). When the
server lets the user in without a password (trust), its version and
settings are shown too. nmaps's own script; Nmap has no script of this name.
]]

---
-- @usage nmap --script pgsql-info -p 5432 <target>
-- @args pgsql-info.username User to ask about (default "postgres").
-- @args pgsql-info.database Database (default: same as the user).
-- @output
-- 5432/tcp open  postgresql
-- | pgsql-info:
-- |   SSL: not supported
-- |   Protocol: 3.0
-- |_  Authentication (postgres): SASL (SCRAM-SHA-256)

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "safe" }

portrule = shortport.port_or_service(5432, "postgresql")

local AUTH = {
  [0] = "trust (no password)", [2] = "Kerberos V5", [3] = "cleartext password", [5] = "MD5 password",
  [7] = "GSSAPI", [9] = "SSPI", [10] = "SASL",
}

local function read_msg(sock, buf)
  while #buf < 5 do
    local ok, d = sock:receive()
    if not ok then return nil end
    buf = buf .. d
  end
  local t, len = string.unpack(">c1I4", buf)
  while #buf < len + 1 do
    local ok, d = sock:receive()
    if not ok then return nil end
    buf = buf .. d
  end
  return t, buf:sub(6, len + 1), buf:sub(len + 2)
end

local function error_fields(body)
  local f = {}
  for code, val in body:gmatch("(%a)([^%z]*)%z") do f[code] = val end
  return f
end

action = function(host, port)
  local user = stdnse.get_script_args(SCRIPT_NAME .. ".username") or "postgres"
  local db = stdnse.get_script_args(SCRIPT_NAME .. ".database") or user
  local out = stdnse.output_table()

  local s = nmap.new_socket()
  s:set_timeout(8000)
  if not s:connect(host, port, "tcp") then return nil end
  s:send(string.pack(">I4I4", 8, 80877103))
  local ok, r = s:receive_bytes(1)
  s:close()
  if ok then
    local b = r:sub(1, 1)
    if b == "S" then out.SSL = "supported"
    elseif b == "N" then out.SSL = "not supported"
    else return nil end
  end

  s = nmap.new_socket()
  s:set_timeout(8000)
  if not s:connect(host, port, "tcp") then return out end
  local params = "user\0" .. user .. "\0database\0" .. db .. "\0application_name\0nmaps\0\0"
  s:send(string.pack(">I4I4", 8 + #params, 196608) .. params)
  local t, body, rest = read_msg(s, "")
  if not t then s:close(); return out end
  local key = "Authentication (" .. user .. ")"
  if t == "R" then
    out.Protocol = "3.0"
    local code = string.unpack(">I4", body)
    local what = AUTH[code] or ("method " .. code)
    if code == 10 then
      local mechs = {}
      for m in body:sub(5):gmatch("([^%z]+)%z") do mechs[#mechs + 1] = m end
      what = what .. " (" .. table.concat(mechs, ", ") .. ")"
    end
    out[key] = what
    if code == 0 then
      local settings = {}
      for _ = 1, 64 do
        t, body, rest = read_msg(s, rest)
        if not t or t == "Z" or t == "E" then break end
        if t == "S" then
          local k, v = body:match("^([^%z]*)%z([^%z]*)")
          if k == "server_version" then out.Version = v end
          if k then settings[#settings + 1] = k .. ": " .. v end
        end
      end
      if #settings > 0 then out.Settings = settings end
    end
  elseif t == "E" then
    local f = error_fields(body)
    out.Protocol = "3.0"
    out[key] = "error " .. (f.C or "?") .. ": " .. (f.M or "")
  end
  s:send("X\0\0\0\4")
  s:close()
  return out
end
