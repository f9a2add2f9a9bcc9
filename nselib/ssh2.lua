---
-- SSH transport layer, as far as a scanner needs it without encryption:
-- version exchange, binary packets, KEXINIT building and parsing, and
-- fetching a server's host key by starting a key exchange (the server sends
-- its host key in the first KEX reply, before anything is encrypted, so no
-- shared secret has to be computed). Supported exchanges: curve25519-sha256
-- (client key: the curve's base point), ecdh-sha2-nistp256 (the generator
-- point) and the fixed diffie-hellman groups (e = 3).
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

local nmap = require "nmap"
local string = require "string"
local table = require "table"
local math = require "math"
local base64 = require "base64"
local hashes = require "hashes"

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

-- the module table; names it lacks (require, print, ...) are read from the globals
local _ENV = setmetatable({}, { __index = _G })

CLIENT_VERSION = "SSH-2.0-nmaps_SSH2_0.1"

KEXINIT_FIELDS = {
  "kex_algorithms", "server_host_key_algorithms",
  "encryption_algorithms_client_to_server", "encryption_algorithms_server_to_client",
  "mac_algorithms_client_to_server", "mac_algorithms_server_to_client",
  "compression_algorithms_client_to_server", "compression_algorithms_server_to_client",
  "languages_client_to_server", "languages_server_to_client",
}

local function random_bytes(n)
  local t = {}
  for i = 1, n do t[i] = string.char(math.random(0, 255)) end
  return table.concat(t)
end

--- Wrap a payload into an unencrypted binary packet.
function packet(payload)
  local padlen = 8 - ((5 + #payload) % 8)
  if padlen < 4 then padlen = padlen + 8 end
  return string.pack(">I4B", 1 + #payload + padlen, padlen) .. payload .. random_bytes(padlen)
end

local Conn = {}
Conn.__index = Conn

--- Connect, exchange version strings. Returns a connection (with
-- <code>server_version</code>) or nil, error.
function connect(host, port, timeout)
  local s = nmap.new_socket()
  s:set_timeout(timeout or 8000)
  local ok, err = s:connect(host, port, "tcp")
  if not ok then return nil, err end
  local c = setmetatable({ sock = s, buf = "" }, Conn)
  s:send(CLIENT_VERSION .. "\r\n")
  for _ = 1, 50 do
    local line = c:line()
    if not line then s:close(); return nil, "no SSH version string" end
    if line:match("^SSH%-") then
      c.server_version = line
      return c
    end
  end
  s:close()
  return nil, "no SSH version string"
end

function Conn:fill()
  local ok, d = self.sock:receive()
  if not ok then return false end
  self.buf = self.buf .. d
  return true
end

function Conn:line()
  while true do
    local i = self.buf:find("\n", 1, true)
    if i then
      local l = self.buf:sub(1, i - 1):gsub("\r$", "")
      self.buf = self.buf:sub(i + 1)
      return l
    end
    if #self.buf > 8192 or not self:fill() then return nil end
  end
end

--- Read one unencrypted packet; returns message number and payload.
function Conn:read_packet()
  while #self.buf < 5 do if not self:fill() then return nil end end
  local len = string.unpack(">I4", self.buf)
  if len > 256 * 1024 or len < 2 then return nil end
  while #self.buf < 4 + len do if not self:fill() then return nil end end
  local padlen = self.buf:byte(5)
  local payload = self.buf:sub(6, 4 + len - padlen)
  self.buf = self.buf:sub(5 + len)
  return payload:byte(1), payload
end

function Conn:send_payload(payload)
  return self.sock:send(packet(payload))
end

function Conn:close() return self.sock:close() end

--- Build a KEXINIT payload from a table of field → comma-separated list.
function build_kexinit(lists)
  local parts = { "\20", random_bytes(16) }
  for _, f in ipairs(KEXINIT_FIELDS) do parts[#parts + 1] = string.pack(">s4", lists[f] or "") end
  parts[#parts + 1] = "\0\0\0\0\0"
  return table.concat(parts)
end

--- Parse a KEXINIT payload into field → list of names (plus cookie).
function parse_kexinit(payload)
  if payload:byte(1) ~= 20 or #payload < 17 then return nil end
  local r = { cookie = payload:sub(2, 17) }
  local pos = 18
  for _, f in ipairs(KEXINIT_FIELDS) do
    local s
    if pos + 3 > #payload then return nil end
    s, pos = string.unpack(">s4", payload, pos)
    local l = {}
    for name in s:gmatch("[^,]+") do l[#l + 1] = name end
    r[f] = l
  end
  return r
end

--- Read packets until the server's KEXINIT; returns the parsed table.
function Conn:server_kexinit()
  for _ = 1, 10 do
    local t, payload = self:read_packet()
    if not t then return nil end
    if t == 20 then
      self.server_kexinit_payload = payload
      return parse_kexinit(payload)
    end
  end
  return nil
end

--- Connect and return the server's KEXINIT (parsed) and version string.
function fetch_kexinit(host, port)
  local c, err = connect(host, port)
  if not c then return nil, err end
  c:send_payload(build_kexinit({
    kex_algorithms = "curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256",
    server_host_key_algorithms = "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
    encryption_algorithms_client_to_server = "aes128-ctr", encryption_algorithms_server_to_client = "aes128-ctr",
    mac_algorithms_client_to_server = "hmac-sha2-256", mac_algorithms_server_to_client = "hmac-sha2-256",
    compression_algorithms_client_to_server = "none", compression_algorithms_server_to_client = "none",
  }))
  local k = c:server_kexinit()
  c:close()
  if not k then return nil, "no KEXINIT from server" end
  return k, c.server_version
end

-- P-256 generator point, uncompressed
local P256_G = "\4"
  .. "\x6b\x17\xd1\xf2\xe1\x2c\x42\x47\xf8\xbc\xe6\xe5\x63\xa4\x40\xf2\x77\x03\x7d\x81\x2d\xeb\x33\xa0\xf4\xa1\x39\x45\xd8\x98\xc2\x96"
  .. "\x4f\xe3\x42\xe2\xfe\x1a\x7f\x9b\x8e\xe7\xeb\x4a\x7c\x0f\x9e\x16\x2b\xce\x33\x57\x6b\x31\x5e\xce\xcb\xb6\x40\x68\x37\xbf\x51\xf5"

local function has(list, name)
  for _, n in ipairs(list or {}) do if n == name then return true end end
  return false
end

--- Parse a host key blob: type, bits.
function parse_key(blob)
  local ok, ktype, pos = pcall(string.unpack, ">s4", blob)
  if not ok then return nil end
  local bits
  if ktype == "ssh-rsa" then
    local e, n
    e, pos = string.unpack(">s4", blob, pos)
    n = string.unpack(">s4", blob, pos)
    n = n:gsub("^%z+", "")
    bits = #n * 8
    local top = n:byte(1) or 0
    local b = 8
    while b > 0 and top & (1 << (b - 1)) == 0 do b = b - 1 end
    bits = bits - (8 - b)
  elseif ktype == "ssh-dss" then
    local p = string.unpack(">s4", blob, pos):gsub("^%z+", "")
    local top = p:byte(1) or 0
    local b = 8
    while b > 0 and top & (1 << (b - 1)) == 0 do b = b - 1 end
    bits = #p * 8 - (8 - b)
  elseif ktype:match("^ecdsa%-sha2%-nistp") then
    bits = tonumber(ktype:match("nistp(%d+)"))
  elseif ktype == "ssh-ed25519" then
    bits = 256
  elseif ktype == "ssh-ed448" then
    bits = 456
  end
  return ktype, bits
end

--- Fetch the server's host key for one host key algorithm.
-- @param server_kex optional parsed server KEXINIT (to pick a kex method it supports)
-- @return table {key (blob), key_type, bits, algorithm, fingerprint (raw MD5)} or nil, error
function fetch_host_key(host, port, hostkey_alg, server_kex)
  local kex = "curve25519-sha256"
  if server_kex then
    local kl = server_kex.kex_algorithms
    if has(kl, "curve25519-sha256") then kex = "curve25519-sha256"
    elseif has(kl, "curve25519-sha256@libssh.org") then kex = "curve25519-sha256@libssh.org"
    elseif has(kl, "ecdh-sha2-nistp256") then kex = "ecdh-sha2-nistp256"
    else
      for _, k in ipairs({ "diffie-hellman-group14-sha256", "diffie-hellman-group16-sha512",
        "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1" }) do
        if has(kl, k) then kex = k; break end
      end
    end
  end
  local c, err = connect(host, port)
  if not c then return nil, err end
  local enc = "aes128-ctr,aes256-ctr,aes128-cbc,3des-cbc,chacha20-poly1305@openssh.com,aes128-gcm@openssh.com"
  local mac = "hmac-sha2-256,hmac-sha1,hmac-sha2-512,umac-64@openssh.com,hmac-md5"
  c:send_payload(build_kexinit({
    kex_algorithms = kex, server_host_key_algorithms = hostkey_alg,
    encryption_algorithms_client_to_server = enc, encryption_algorithms_server_to_client = enc,
    mac_algorithms_client_to_server = mac, mac_algorithms_server_to_client = mac,
    compression_algorithms_client_to_server = "none", compression_algorithms_server_to_client = "none",
  }))
  if not c:server_kexinit() then c:close(); return nil, "no KEXINIT" end
  local init
  if kex:match("^curve25519") then
    init = "\30" .. string.pack(">s4", "\9" .. string.rep("\0", 31))
  elseif kex == "ecdh-sha2-nistp256" then
    init = "\30" .. string.pack(">s4", P256_G)
  else
    init = "\30" .. string.pack(">s4", "\3")
  end
  c:send_payload(init)
  for _ = 1, 10 do
    local t, payload = c:read_packet()
    if not t then break end
    if t == 31 then
      c:close()
      local blob = string.unpack(">s4", payload, 2)
      local ktype, bits = parse_key(blob)
      return { key = blob, key_type = ktype, bits = bits, algorithm = hostkey_alg, fingerprint = hashes.md5(blob) }
    elseif t == 1 then
      break
    end
  end
  c:close()
  return nil, "no KEX reply"
end

--- Base64 of a key blob (the form used in known_hosts).
function key_base64(blob) return base64.enc(blob) end

return _ENV
