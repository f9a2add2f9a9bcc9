---
-- SNMP v1/v2c GET requests and the SNMPv3 engine discovery message, over UDP.
-- (nmaps's own API; not the same as Nmap's snmp library.)
--
-- <code>snmp.get(host, port, oids, options)</code> → true, list of
-- {oid, type, value} or false, error; options <code>community</code>
-- (default: script argument <code>snmpcommunity</code>, else "public"),
-- <code>version</code> (0 = v1 (default), 1 = v2c), <code>timeout</code>.
-- <code>snmp.discover_engine(host, port)</code> → true, {engineID, boots, time} or false, error.
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

local asn1der = require "asn1der"
local nmap = require "nmap"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local math = require "math"

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

-- the module table; names it lacks (require, print, ...) are read from the globals
local _ENV = setmetatable({}, { __index = _G })

local function exchange(host, port, msg, timeout, tries)
  for _ = 1, tries or 2 do
    local s = nmap.new_socket("udp")
    s:set_timeout(timeout or 3000)
    local ok, err = s:connect(host, port, "udp")
    if not ok then return false, err end
    s:send(msg)
    local ok2, data = s:receive()
    s:close()
    if ok2 then return true, data end
  end
  return false, "TIMEOUT"
end

local function decode_value(node)
  local t = node.tag
  if t == 0x02 then return "INTEGER", asn1der.integer(node.value)
  elseif t == 0x04 then return "OCTET STRING", node.value
  elseif t == 0x06 then return "OID", asn1der.oid(node.value)
  elseif t == 0x40 then return "IpAddress", string.format("%d.%d.%d.%d", node.value:byte(1, 4))
  elseif t == 0x41 then return "Counter32", asn1der.unsigned(node.value)
  elseif t == 0x42 then return "Gauge32", asn1der.unsigned(node.value)
  elseif t == 0x43 then return "TimeTicks", asn1der.unsigned(node.value)
  elseif t == 0x46 then return "Counter64", asn1der.unsigned(node.value)
  elseif t == 0x05 then return "NULL", nil
  elseif t == 0x80 then return "noSuchObject", nil
  elseif t == 0x81 then return "noSuchInstance", nil
  elseif t == 0x82 then return "endOfMibView", nil
  end
  return "tag" .. t, node.value
end

--- GET a list of OIDs (or GETNEXT with options.next).
function get(host, port, oids, options)
  options = options or {}
  local community = options.community or stdnse.get_script_args("snmpcommunity") or "public"
  local reqid = math.random(1, 0x7fffffff)
  local vbs = {}
  for _, o in ipairs(oids) do vbs[#vbs + 1] = asn1der.enc_sequence(asn1der.enc_oid(o), asn1der.enc_null()) end
  local pdu = asn1der.tlv(options.next and 0xa1 or 0xa0, asn1der.enc_integer(reqid) .. asn1der.enc_integer(0) .. asn1der.enc_integer(0)
    .. asn1der.enc_sequence(table.unpack(vbs)))
  local msg = asn1der.enc_sequence(asn1der.enc_integer(options.version or 0), asn1der.enc_octets(community), pdu)
  local ok, data = exchange(host, port, msg, options.timeout)
  if not ok then return false, data end
  local top = asn1der.decode(data)
  if not top or top.tag ~= 0x30 then return false, "bad response" end
  local parts = asn1der.children(top)
  local resp = parts[3]
  if not resp or resp.tag ~= 0xa2 then return false, "not a response" end
  local f = asn1der.children(resp)
  local errstat = f[2] and asn1der.integer(f[2].value) or 0
  if errstat ~= 0 then return false, "error-status " .. errstat end
  local out = {}
  for _, vb in ipairs(asn1der.children(f[4])) do
    local kv = asn1der.children(vb)
    local typ, val = decode_value(kv[2])
    out[#out + 1] = { oid = asn1der.oid(kv[1].value), type = typ, value = val }
  end
  return true, out
end

--- Walk a subtree with GETNEXT: a list of {oid, type, value} whose OIDs
-- start with base (at most options.max, default 1000, entries).
function walk(host, port, base, options)
  options = options or {}
  local out = {}
  local cur = base
  local prefix = base .. "."
  for _ = 1, options.max or 1000 do
    local o = {}
    for k, v in pairs(options) do o[k] = v end
    o.next = true
    local ok, res = get(host, port, { cur }, o)
    if not ok then
      if #out > 0 then break end
      return false, res
    end
    local vb = res[1]
    if not vb or vb.oid:sub(1, #prefix) ~= prefix or vb.type == "endOfMibView" then break end
    out[#out + 1] = vb
    cur = vb.oid
  end
  return true, out
end

--- SNMPv3 engine discovery (an unauthenticated GET that makes the agent
-- report its engine ID, boots and time).
function discover_engine(host, port, options)
  options = options or {}
  local msgid = math.random(1, 0x7fffffff)
  local header = asn1der.enc_sequence(asn1der.enc_integer(msgid), asn1der.enc_integer(65507),
    asn1der.enc_octets("\4"), asn1der.enc_integer(3))
  local usm = asn1der.enc_sequence(asn1der.enc_octets(""), asn1der.enc_integer(0), asn1der.enc_integer(0),
    asn1der.enc_octets(""), asn1der.enc_octets(""), asn1der.enc_octets(""))
  local pdu = asn1der.tlv(0xa0, asn1der.enc_integer(math.random(1, 0x7fffffff)) .. asn1der.enc_integer(0)
    .. asn1der.enc_integer(0) .. asn1der.enc_sequence())
  local scoped = asn1der.enc_sequence(asn1der.enc_octets(""), asn1der.enc_octets(""), pdu)
  local msg = asn1der.enc_sequence(asn1der.enc_integer(3), header, asn1der.enc_octets(usm), scoped)
  local ok, data = exchange(host, port, msg, options.timeout)
  if not ok then return false, data end
  local top = asn1der.decode(data)
  if not top then return false, "bad response" end
  local parts = asn1der.children(top)
  if not parts[3] then return false, "bad response" end
  local sec = asn1der.decode(parts[3].value)
  if not sec then return false, "bad security parameters" end
  local f = asn1der.children(sec)
  if #f < 3 then return false, "bad security parameters" end
  return true, { engineID = f[1].value, boots = asn1der.integer(f[2].value), time = asn1der.integer(f[3].value) }
end

return _ENV
