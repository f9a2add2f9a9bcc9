local nmap = require "nmap"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local math = require "math"
local base64 = require "base64"
local hashes = require "hashes"

description = [[
Shows what a PostgreSQL server reveals before authentication: whether it
accepts TLS (SSLRequest), the protocol version it speaks, and the
authentication method it asks of a user (SCRAM-SHA-256, MD5, cleartext,
trust...), or the error it gives instead (e.g. no pg_hba.conf entry). When the
server lets the user in — without a password (trust), or with the password
given in <code>pgsql-info.password</code> (cleartext, MD5 and SCRAM-SHA-256
are supported; SCRAM is done in pure Lua) — its version and settings are shown
too. nmaps's own script; Nmap has no script of this name.
]]

---
-- @usage nmap --script pgsql-info -p 5432 <target>
-- @args pgsql-info.username User to ask about (default "postgres").
-- @args pgsql-info.database Database (default: same as the user).
-- @args pgsql-info.password Password to log in with (default: none, no login tried).
-- @output
-- 5432/tcp open  postgresql
-- | pgsql-info:
-- |   SSL: not supported
-- |   Protocol: 3.0
-- |_  Authentication (postgres): SASL (SCRAM-SHA-256)
--
-- With pgsql-info.password:
-- | pgsql-info:
-- |   SSL: not supported
-- |   Protocol: 3.0
-- |   Authentication (postgres): SASL (SCRAM-SHA-256)
-- |   Login: success
-- |   Version: 15.14 (Debian 15.14-0+deb12u1)
-- |   Settings:
-- |     server_encoding: UTF8
-- |_    ...

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

local function xor(a, b)
  local t = {}
  for i = 1, #a do t[i] = string.char(a:byte(i) ~ b:byte(i)) end
  return table.concat(t)
end

-- PBKDF2-HMAC-SHA256, one block (SCRAM's Hi())
local function hi(password, salt, iterations)
  local u = hashes.hmac_sha256(password, salt .. "\0\0\0\1")
  local out = u
  for _ = 2, iterations do
    u = hashes.hmac_sha256(password, u)
    out = xor(out, u)
  end
  return out
end

local function md5hex(s) return hashes.tohex(hashes.md5(s)) end

local function send_msg(sock, t, body) return sock:send(t .. string.pack(">I4", #body + 4) .. body) end

-- Answers the server's authentication request. Returns the next message
-- (type, body, rest) or nil, error text.
local function authenticate(s, code, body, rest, user, password)
  if code == 3 then
    send_msg(s, "p", password .. "\0")
  elseif code == 5 then
    local salt = body:sub(5, 8)
    send_msg(s, "p", "md5" .. md5hex(md5hex(password .. user) .. salt) .. "\0")
  elseif code == 10 then
    local t = {}
    for i = 1, 18 do t[i] = string.char(math.random(0, 255)) end
    local cnonce = base64.enc(table.concat(t))
    local first_bare = "n=,r=" .. cnonce
    local first = "n,," .. first_bare
    send_msg(s, "p", "SCRAM-SHA-256\0" .. string.pack(">s4", first))
    local t2, b2
    t2, b2, rest = read_msg(s, rest)
    if t2 ~= "R" or string.unpack(">I4", b2) ~= 11 then return nil, "SCRAM: unexpected answer" end
    local server_first = b2:sub(5)
    local nonce = server_first:match("r=([^,]+)")
    local salt = server_first:match("s=([^,]+)")
    local iter = tonumber(server_first:match("i=(%d+)"))
    if not nonce or not salt or not iter or nonce:sub(1, #cnonce) ~= cnonce or iter > 100000 then
      return nil, "SCRAM: bad server-first message"
    end
    local salted = hi(password, base64.dec(salt), iter)
    local client_key = hashes.hmac_sha256(salted, "Client Key")
    local stored_key = hashes.sha256(client_key)
    local final_bare = "c=biws,r=" .. nonce
    local auth_message = first_bare .. "," .. server_first .. "," .. final_bare
    local proof = xor(client_key, hashes.hmac_sha256(stored_key, auth_message))
    send_msg(s, "p", final_bare .. ",p=" .. base64.enc(proof))
    t2, b2, rest = read_msg(s, rest)
    if t2 == "E" then return t2, b2, rest end
    if t2 ~= "R" or string.unpack(">I4", b2) ~= 12 then return nil, "SCRAM: unexpected answer" end
  else
    return nil, "authentication method not supported by this script"
  end
  return read_msg(s, rest)
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
    local password = stdnse.get_script_args(SCRIPT_NAME .. ".password")
    if code ~= 0 and password then
      local t2, b2, r2 = authenticate(s, code, body, rest, user, password)
      if t2 == "R" and string.unpack(">I4", b2) == 0 then
        out.Login = "success"
        code, rest = 0, r2
      elseif t2 == "E" then
        local f = error_fields(b2)
        out.Login = "failed: " .. (f.M or "?")
      else
        out.Login = "failed: " .. tostring(b2)
      end
    end
    if code == 0 then
      local settings = {}
      for _ = 1, 64 do
        t, body, rest = read_msg(s, rest)
        if not t or t == "Z" or t == "E" then break end
        if t == "S" then
          local k, v = body:match("^([^%z]*)%z([^%z]*)")
          if k == "server_version" then out.Version = v end
          if k and k ~= "server_version" then settings[#settings + 1] = k .. ": " .. v end
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
