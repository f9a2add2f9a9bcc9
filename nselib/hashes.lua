---
-- Message digests in pure Lua (MD5, SHA-1, SHA-256) and HMAC-SHA256, for
-- fingerprints of certificates and SSH host keys. Needs Lua 5.3+ integers.
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

local string = require "string"
local table = require "table"
local math = require "math"

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

-- the module table; names it lacks (require, print, ...) are read from the globals
local _ENV = setmetatable({}, { __index = _G })

local M32 = 0xffffffff

local function rol(x, n) x = x & M32; return ((x << n) | (x >> (32 - n))) & M32 end
local function ror(x, n) x = x & M32; return ((x >> n) | (x << (32 - n))) & M32 end

local function pad(msg, little)
  local len = #msg
  local fill = (55 - len) % 64
  return msg .. "\x80" .. string.rep("\0", fill) .. string.pack(little and "<I8" or ">I8", len * 8)
end

local MD5_K, MD5_S = {}, {
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21 }
for i = 1, 64 do MD5_K[i] = math.floor(math.abs(math.sin(i)) * 4294967296.0) & M32 end

--- MD5 digest (16 raw bytes).
function md5(msg)
  msg = pad(msg, true)
  local a0, b0, c0, d0 = 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476
  for off = 1, #msg, 64 do
    local X = { string.unpack("<I4I4I4I4I4I4I4I4I4I4I4I4I4I4I4I4", msg, off) }
    local a, b, c, d = a0, b0, c0, d0
    for i = 0, 63 do
      local f, g
      if i < 16 then f = (b & c) | (~b & d); g = i
      elseif i < 32 then f = (d & b) | (~d & c); g = (5 * i + 1) % 16
      elseif i < 48 then f = b ~ c ~ d; g = (3 * i + 5) % 16
      else f = c ~ (b | (~d & M32)); g = (7 * i) % 16 end
      f = (f + a + MD5_K[i + 1] + X[g + 1]) & M32
      a, d, c = d, c, b
      b = (b + rol(f, MD5_S[i + 1])) & M32
    end
    a0 = (a0 + a) & M32; b0 = (b0 + b) & M32; c0 = (c0 + c) & M32; d0 = (d0 + d) & M32
  end
  return string.pack("<I4I4I4I4", a0, b0, c0, d0)
end

--- SHA-1 digest (20 raw bytes).
function sha1(msg)
  msg = pad(msg, false)
  local h0, h1, h2, h3, h4 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0
  local w = {}
  for off = 1, #msg, 64 do
    for i = 0, 15 do w[i] = string.unpack(">I4", msg, off + 4 * i) end
    for i = 16, 79 do w[i] = rol(w[i - 3] ~ w[i - 8] ~ w[i - 14] ~ w[i - 16], 1) end
    local a, b, c, d, e = h0, h1, h2, h3, h4
    for i = 0, 79 do
      local f, k
      if i < 20 then f = (b & c) | ((~b) & d); k = 0x5A827999
      elseif i < 40 then f = b ~ c ~ d; k = 0x6ED9EBA1
      elseif i < 60 then f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC
      else f = b ~ c ~ d; k = 0xCA62C1D6 end
      local t = (rol(a, 5) + (f & M32) + e + k + w[i]) & M32
      e, d, c, b, a = d, c, rol(b, 30), a, t
    end
    h0 = (h0 + a) & M32; h1 = (h1 + b) & M32; h2 = (h2 + c) & M32
    h3 = (h3 + d) & M32; h4 = (h4 + e) & M32
  end
  return string.pack(">I4I4I4I4I4", h0, h1, h2, h3, h4)
end

local K256 = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2 }

--- SHA-256 digest (32 raw bytes).
function sha256(msg)
  msg = pad(msg, false)
  local H = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 }
  local w = {}
  for off = 1, #msg, 64 do
    for i = 0, 15 do w[i] = string.unpack(">I4", msg, off + 4 * i) end
    for i = 16, 63 do
      local s0 = ror(w[i - 15], 7) ~ ror(w[i - 15], 18) ~ (w[i - 15] >> 3)
      local s1 = ror(w[i - 2], 17) ~ ror(w[i - 2], 19) ~ (w[i - 2] >> 10)
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & M32
    end
    local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
    for i = 0, 63 do
      local S1 = ror(e, 6) ~ ror(e, 11) ~ ror(e, 25)
      local ch = (e & f) ~ ((~e) & g)
      local t1 = (h + S1 + (ch & M32) + K256[i + 1] + w[i]) & M32
      local S0 = ror(a, 2) ~ ror(a, 13) ~ ror(a, 22)
      local maj = (a & b) ~ (a & c) ~ (b & c)
      local t2 = (S0 + maj) & M32
      h, g, f, e, d, c, b, a = g, f, e, (d + t1) & M32, c, b, a, (t1 + t2) & M32
    end
    H[1] = (H[1] + a) & M32; H[2] = (H[2] + b) & M32; H[3] = (H[3] + c) & M32; H[4] = (H[4] + d) & M32
    H[5] = (H[5] + e) & M32; H[6] = (H[6] + f) & M32; H[7] = (H[7] + g) & M32; H[8] = (H[8] + h) & M32
  end
  return string.pack(">I4I4I4I4I4I4I4I4", table.unpack(H))
end

--- HMAC with SHA-256.
function hmac_sha256(key, msg)
  if #key > 64 then key = sha256(key) end
  key = key .. string.rep("\0", 64 - #key)
  local ipad = key:gsub(".", function(c) return string.char(c:byte() ~ 0x36) end)
  local opad = key:gsub(".", function(c) return string.char(c:byte() ~ 0x5c) end)
  return sha256(opad .. sha256(ipad .. msg))
end

--- Lower-case hex of a byte string.
function tohex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

--- Digest by name ("md5", "sha1", "sha256"), raw bytes.
function digest(name, msg)
  name = name:lower():gsub("-", "")
  if name == "md5" then return md5(msg)
  elseif name == "sha1" then return sha1(msg)
  elseif name == "sha256" then return sha256(msg) end
  return nil
end

return _ENV
