---
-- ASN.1 BER/DER: decode TLVs (for X.509 certificates and SNMP messages) and
-- encode the few types SNMP needs.
--
-- Decoded nodes are tables: <code>tag</code> (the full first identifier
-- byte), <code>class</code> (0 universal, 1 application, 2 context, 3 private),
-- <code>constructed</code>, <code>number</code> (tag number),
-- <code>value</code> (content bytes), <code>raw</code> (the whole TLV) and
-- <code>next</code> (position after it).
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

--- Decode one TLV at pos (default 1). Returns the node or nil, error.
function decode(s, pos)
  pos = pos or 1
  local t = s:byte(pos)
  if not t then return nil, "end of data" end
  local num = t & 0x1f
  local p = pos + 1
  if num == 0x1f then
    num = 0
    repeat
      local b = s:byte(p)
      if not b then return nil, "truncated tag" end
      num = (num << 7) | (b & 0x7f)
      p = p + 1
    until b & 0x80 == 0
  end
  local l = s:byte(p)
  if not l then return nil, "truncated length" end
  p = p + 1
  if l & 0x80 ~= 0 then
    local n = l & 0x7f
    if n == 0 or n > 4 then return nil, "unsupported length" end
    l = 0
    for i = 0, n - 1 do
      local b = s:byte(p + i)
      if not b then return nil, "truncated length" end
      l = (l << 8) | b
    end
    p = p + n
  end
  if p + l - 1 > #s then return nil, "truncated value" end
  return {
    tag = t, class = t >> 6, constructed = (t & 0x20) ~= 0, number = num,
    value = s:sub(p, p + l - 1), raw = s:sub(pos, p + l - 1), next = p + l,
    header_len = p - pos,
  }
end

--- Children of a constructed node (list of nodes).
function children(node)
  local out, p, v = {}, 1, node.value
  while p <= #v do
    local c = decode(v, p)
    if not c then break end
    out[#out + 1] = c
    p = c.next
  end
  return out
end

--- Decode an INTEGER's content bytes (up to 7 bytes exactly; larger ones are
-- returned as hex strings).
function integer(v)
  if #v > 7 then
    return (v:gsub(".", function(c) return string.format("%02X", c:byte()) end))
  end
  local n = 0
  for i = 1, #v do n = (n << 8) | v:byte(i) end
  if #v > 0 and v:byte(1) >= 0x80 then n = n - (1 << (8 * #v)) end
  return n
end

--- Unsigned integer of content bytes (Counter, Gauge, TimeTicks).
function unsigned(v)
  local n = 0
  for i = 1, #v do n = (n << 8) | v:byte(i) end
  return n
end

--- Dotted string of an OBJECT IDENTIFIER's content bytes.
function oid(v)
  local parts, n = {}, 0
  for i = 1, #v do
    local b = v:byte(i)
    n = (n << 7) | (b & 0x7f)
    if b & 0x80 == 0 then
      if #parts == 0 then
        local first = math.min(n // 40, 2)
        parts[1] = tostring(first)
        parts[2] = tostring(n - 40 * first)
      else
        parts[#parts + 1] = tostring(n)
      end
      n = 0
    end
  end
  return table.concat(parts, ".")
end

-- encoders

local function len_bytes(n)
  if n < 0x80 then return string.char(n) end
  local b = ""
  while n > 0 do b = string.char(n & 0xff) .. b; n = n >> 8 end
  return string.char(0x80 | #b) .. b
end

--- A TLV with identifier byte tag and content.
function tlv(tag, content)
  return string.char(tag) .. len_bytes(#content) .. content
end

--- Encode an INTEGER.
function enc_integer(n)
  local b = ""
  repeat
    b = string.char(n & 0xff) .. b
    n = n // 256 -- arithmetic shift (>> is logical in Lua)
  until (n == 0 and b:byte(1) < 0x80) or (n == -1 and b:byte(1) >= 0x80)
  return tlv(0x02, b)
end

function enc_octets(s) return tlv(0x04, s) end
function enc_null() return "\5\0" end

--- Encode an OBJECT IDENTIFIER given as a dotted string.
function enc_oid(str)
  local nums = {}
  for x in str:gmatch("%d+") do nums[#nums + 1] = tonumber(x) end
  local out = { string.char(nums[1] * 40 + nums[2]) }
  for i = 3, #nums do
    local n = nums[i]
    local b = string.char(n & 0x7f)
    n = n >> 7
    while n > 0 do
      b = string.char(0x80 | (n & 0x7f)) .. b
      n = n >> 7
    end
    out[#out + 1] = b
  end
  return tlv(0x06, table.concat(out))
end

--- Encode a SEQUENCE of already encoded items.
function enc_sequence(...)
  return tlv(0x30, table.concat({ ... }))
end

return _ENV
