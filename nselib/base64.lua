---
-- Base64 encoding and decoding (RFC 4648).
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

local string = require "string"
local table = require "table"

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

-- the module table; names it lacks (require, print, ...) are read from the globals
local _ENV = setmetatable({}, { __index = _G })

local ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local DEC = {}
for i = 1, 64 do DEC[ALPHA:byte(i)] = i - 1 end

--- Encode a byte string.
function enc(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local q = {
      ALPHA:sub((n >> 18) + 1, (n >> 18) + 1),
      ALPHA:sub(((n >> 12) & 63) + 1, ((n >> 12) & 63) + 1),
      b and ALPHA:sub(((n >> 6) & 63) + 1, ((n >> 6) & 63) + 1) or "=",
      c and ALPHA:sub((n & 63) + 1, (n & 63) + 1) or "=",
    }
    out[#out + 1] = table.concat(q)
  end
  return table.concat(out)
end

--- Decode a base64 string (whitespace and padding ignored).
function dec(s)
  local out, n, bits = {}, 0, 0
  for i = 1, #s do
    local v = DEC[s:byte(i)]
    if v then
      n = (n << 6) | v; bits = bits + 6
      if bits >= 8 then
        bits = bits - 8
        out[#out + 1] = string.char((n >> bits) & 0xff)
      end
    end
  end
  return table.concat(out)
end

return _ENV
