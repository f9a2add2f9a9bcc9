---
-- DNS messages: build and parse queries and answers (RFC 1035, with name
-- compression on decode, EDNS0 OPT records and the NSID option), sent over
-- UDP or TCP through nmap sockets.
--
-- <code>dns.query(name, options)</code> follows the signature of Nmap's
-- library: options <code>dtype</code> (type name or number, default "A"),
-- <code>host</code> (server address or host table; default the first of
-- <code>nmap.get_dns_servers()</code>), <code>port</code> (53),
-- <code>proto</code> ("udp"/"tcp"), <code>timeout</code> (ms),
-- <code>tries</code>, <code>retAll</code> (all matching answers),
-- <code>retPkt</code> (the decoded packet), <code>norecurse</code>,
-- <code>dclass</code> ("IN", "CH" or a number), <code>nsid</code> (ask for
-- the NSID EDNS option). It returns <code>true, result</code> or
-- <code>false, error</code> with Nmap's error strings ("No Such Name",
-- "No Answers", "Refused", "Timeout", ...).
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

local nmap = require "nmap"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local math = require "math"
-- io is optional: engines that sandbox scripts (nmaps without --script-unsafe) lack it
local has_io, io = pcall(require, "io")
if not has_io then io = nil end

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

-- the module table; names it lacks (require, print, ...) are read from the globals
local _ENV = setmetatable({}, { __index = _G })

types = {
  A = 1, NS = 2, MD = 3, MF = 4, CNAME = 5, SOA = 6, MB = 7, MG = 8, MR = 9, NULL = 10,
  WKS = 11, PTR = 12, HINFO = 13, MINFO = 14, MX = 15, TXT = 16, RP = 17, AAAA = 28,
  LOC = 29, SRV = 33, NAPTR = 35, OPT = 41, DS = 43, RRSIG = 46, NSEC = 47, DNSKEY = 48,
  NSEC3 = 50, TLSA = 52, CAA = 257, AXFR = 252, ANY = 255,
}
local type_names = {}
for k, v in pairs(types) do type_names[v] = k end

CLASS = { IN = 1, CH = 3, HS = 4, ANY = 255 }

local RCODE = {
  [1] = "Format Error", [2] = "Server Failure", [3] = "No Such Name",
  [4] = "Not Implemented", [5] = "Refused",
}

--- Type name of a number ("A", "TYPE99").
function type_name(n) return type_names[n] or ("TYPE" .. n) end

--- Encode a domain name as DNS labels (no compression).
function encode_name(name)
  local parts = {}
  for label in tostring(name):gmatch("[^.]+") do
    parts[#parts + 1] = string.char(#label) .. label:sub(1, 63)
  end
  return table.concat(parts) .. "\0"
end

--- Decode a possibly compressed name at position pos of data.
-- @return name, position after the name (or nil on error)
function decode_name(data, pos)
  local labels, jumped, after, hops = {}, false, nil, 0
  while true do
    local len = data:byte(pos)
    if not len then return nil end
    if len == 0 then
      pos = pos + 1
      break
    elseif len & 0xC0 == 0xC0 then
      local b2 = data:byte(pos + 1)
      if not b2 then return nil end
      if not jumped then after = pos + 2 end
      jumped = true
      pos = ((len & 0x3F) << 8 | b2) + 1
      hops = hops + 1
      if hops > 64 then return nil end
    else
      if pos + len > #data then return nil end
      labels[#labels + 1] = data:sub(pos + 1, pos + len)
      pos = pos + len + 1
    end
  end
  return table.concat(labels, "."), after or pos
end

--- Reverse-lookup name of an IPv4 or IPv6 address.
function reverse(ip)
  if ip:find(":", 1, true) then
    -- expand the IPv6 address
    local head, tail = ip:match("^(.-)::(.*)$")
    local groups = {}
    local function add(s, into)
      for g in s:gmatch("[^:]+") do into[#into + 1] = g end
    end
    if head then
      local h, t = {}, {}
      add(head, h); add(tail, t)
      for _, g in ipairs(h) do groups[#groups + 1] = g end
      for _ = 1, 8 - #h - #t do groups[#groups + 1] = "0" end
      for _, g in ipairs(t) do groups[#groups + 1] = g end
    else
      add(ip, groups)
    end
    local hex = {}
    for _, g in ipairs(groups) do hex[#hex + 1] = string.format("%04x", tonumber(g, 16)) end
    local s = table.concat(hex):reverse()
    return (s:gsub(".", "%0.")) .. "ip6.arpa"
  end
  local a, b, c, d = ip:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  return string.format("%s.%s.%s.%s.in-addr.arpa", d, c, b, a)
end

--- A new, empty query packet.
function newPacket()
  return { id = math.random(0, 0xffff), flags = { RD = true }, questions = {}, answers = {}, auth = {}, add = {} }
end

--- Add a question to a packet.
function addQuestion(pkt, dname, dtype, class)
  pkt.questions[#pkt.questions + 1] = { dname = dname, dtype = dtype, class = class or CLASS.IN }
end

--- Add an EDNS0 OPT record (with an optional NSID request).
function addOPT(pkt, opts)
  opts = opts or {}
  local rdata = ""
  if opts.nsid then rdata = string.pack(">I2I2", 3, 0) end
  pkt.add[#pkt.add + 1] = { dname = "", dtype = types.OPT, class = opts.udpsize or 4096, ttl = 0, rdata = rdata }
end

--- Encode a packet table into wire format.
function encode(pkt)
  local f = pkt.flags or {}
  local flags = (f.QR and 0x8000 or 0) | ((f.OC or 0) << 11) | (f.AA and 0x400 or 0) | (f.TC and 0x200 or 0)
    | (f.RD and 0x100 or 0) | (f.RA and 0x80 or 0) | (f.rcode or 0)
  local out = { string.pack(">I2I2I2I2I2I2", pkt.id or 0, flags, #pkt.questions, #(pkt.answers or {}),
    #(pkt.auth or {}), #(pkt.add or {})) }
  for _, q in ipairs(pkt.questions) do
    out[#out + 1] = encode_name(q.dname) .. string.pack(">I2I2", q.dtype, q.class or 1)
  end
  for _, sec in ipairs({ pkt.answers or {}, pkt.auth or {}, pkt.add or {} }) do
    for _, rr in ipairs(sec) do
      out[#out + 1] = encode_name(rr.dname) .. string.pack(">I2I2I4s2", rr.dtype, rr.class or 1, rr.ttl or 0, rr.rdata or "")
    end
  end
  return table.concat(out)
end

local function decode_rdata(data, rr, pos, len)
  local t = rr.dtype
  local rd = data:sub(pos, pos + len - 1)
  rr.data = rd
  if t == types.A and len == 4 then
    rr.ip = string.format("%d.%d.%d.%d", rd:byte(1, 4))
  elseif t == types.AAAA and len == 16 then
    local g = { string.unpack(">I2I2I2I2I2I2I2I2", rd) }
    g[9] = nil
    -- compress the longest run of zero groups
    local best, bestlen, cur, curlen = nil, 0, nil, 0
    for i = 1, 8 do
      if g[i] == 0 then
        if not cur then cur, curlen = i, 0 end
        curlen = curlen + 1
        if curlen > bestlen then best, bestlen = cur, curlen end
      else cur = nil end
    end
    local parts = {}
    for i = 1, 8 do parts[i] = string.format("%x", g[i]) end
    if bestlen > 1 then
      local left = table.concat(parts, ":", 1, best - 1)
      local right = table.concat(parts, ":", best + bestlen, 8)
      rr.ipv6 = left .. "::" .. right
    else
      rr.ipv6 = table.concat(parts, ":")
    end
  elseif t == types.NS or t == types.CNAME or t == types.PTR then
    rr.domain = decode_name(data, pos)
  elseif t == types.MX then
    rr.MX = { pref = string.unpack(">I2", data, pos), server = decode_name(data, pos + 2) }
  elseif t == types.SRV then
    local prio, weight, port = string.unpack(">I2I2I2", data, pos)
    rr.SRV = { prio = prio, weight = weight, port = port, target = decode_name(data, pos + 6) }
  elseif t == types.TXT then
    rr.TXT = { text = {} }
    local p, e = 1, #rd
    while p <= e do
      local l = rd:byte(p)
      rr.TXT.text[#rr.TXT.text + 1] = rd:sub(p + 1, p + l)
      p = p + l + 1
    end
  elseif t == types.SOA then
    local mname, p = decode_name(data, pos)
    local rname, p2 = decode_name(data, p or pos)
    if p2 then
      local serial, refresh, retry, expire, minimum = string.unpack(">I4I4I4I4I4", data, p2)
      rr.SOA = { mname = mname, rname = rname, serial = serial, refresh = refresh, retry = retry,
        expire = expire, minimum = minimum }
    end
  elseif t == types.OPT then
    rr.OPT = {}
    local p = 1
    while p + 3 <= #rd do
      local code, olen = string.unpack(">I2I2", rd, p)
      rr.OPT[#rr.OPT + 1] = { code = code, data = rd:sub(p + 4, p + 3 + olen) }
      p = p + 4 + olen
    end
  end
end

--- Decode a wire-format message into a packet table (nil on malformed input).
function decode(data)
  if #data < 12 then return nil end
  local id, flags, qd, an, ns, ar = string.unpack(">I2I2I2I2I2I2", data)
  local pkt = {
    id = id,
    flags = {
      QR = flags & 0x8000 ~= 0, OC = (flags >> 11) & 0xF, AA = flags & 0x400 ~= 0,
      TC = flags & 0x200 ~= 0, RD = flags & 0x100 ~= 0, RA = flags & 0x80 ~= 0,
      rcode = flags & 0xF,
    },
    questions = {}, answers = {}, auth = {}, add = {},
  }
  local pos = 13
  for _ = 1, qd do
    local name
    name, pos = decode_name(data, pos)
    if not name or pos + 3 > #data then return nil end
    local t, c = string.unpack(">I2I2", data, pos)
    pkt.questions[#pkt.questions + 1] = { dname = name, dtype = t, class = c }
    pos = pos + 4
  end
  for _, sec in ipairs({ { an, pkt.answers }, { ns, pkt.auth }, { ar, pkt.add } }) do
    for _ = 1, sec[1] do
      local name
      name, pos = decode_name(data, pos)
      if not name or pos + 9 > #data then return pkt end
      local t, c, ttl, len = string.unpack(">I2I2I4I2", data, pos)
      pos = pos + 10
      if pos + len - 1 > #data then return pkt end
      local rr = { dname = name, dtype = t, class = c, ttl = ttl }
      decode_rdata(data, rr, pos, len)
      sec[2][#sec[2] + 1] = rr
      pos = pos + len
    end
  end
  return pkt
end

--- The DNS servers to use: <code>nmap.get_dns_servers()</code> (which
-- honours --dns-servers), else the script argument <code>dns.servers</code>
-- (comma-separated addresses), else the nameservers of /etc/resolv.conf
-- (when the engine gives scripts <code>io</code>).
function get_servers()
  if nmap.get_dns_servers then
    local s = nmap.get_dns_servers()
    if s and #s > 0 then return s end
  end
  local out = {}
  local arg = stdnse.get_script_args("dns.servers")
  if arg then
    for a in tostring(arg):gmatch("[^,%s{}]+") do out[#out + 1] = a end
    if #out > 0 then return out end
  end
  local f = io and io.open("/etc/resolv.conf", "r")
  if f then
    for line in f:lines() do
      local a = line:match("^%s*nameserver%s+([%x%.:]+)")
      if a then out[#out + 1] = a end
    end
    f:close()
  end
  return out
end

local function server_of(options)
  local h = options.host
  if type(h) == "table" then h = h.ip end
  if not h then h = get_servers()[1] end
  return h
end

--- Send an encoded query to a server and return the raw answer.
function send_query(data, server, port, proto, timeout, tries)
  proto = proto or "udp"
  tries = tries or 2
  local lasterr = "Timeout"
  for _ = 1, tries do
    local sock = nmap.new_socket(proto)
    sock:set_timeout(timeout or 3000)
    local ok, err = sock:connect(server, port or 53, proto)
    if not ok then return false, err end
    if proto == "tcp" then
      ok, err = sock:send(string.pack(">s2", data))
    else
      ok, err = sock:send(data)
    end
    if ok then
      local resp
      if proto == "tcp" then
        ok, resp = sock:receive_bytes(2)
        if ok then
          local need = string.unpack(">I2", resp)
          while ok and #resp < need + 2 do
            local more
            ok, more = sock:receive()
            if ok then resp = resp .. more end
          end
          resp = resp:sub(3, need + 2)
        end
      else
        ok, resp = sock:receive()
      end
      sock:close()
      if ok and resp then return true, resp end
      lasterr = (resp == "TIMEOUT" or not resp) and "Timeout" or resp
    else
      sock:close()
      lasterr = err
    end
  end
  return false, lasterr
end

local function answer_value(rr)
  return rr.ip or rr.ipv6 or rr.domain or rr.MX or rr.SRV or (rr.TXT and rr.TXT.text) or rr.SOA or rr.data
end

local function resolve_type(t)
  if type(t) == "number" then return t end
  return types[tostring(t or "A"):upper()]
end

--- Query a DNS server (see the module description for options).
function query(dname, options)
  options = options or {}
  local dtype = resolve_type(options.dtype)
  if not dtype then return false, "unknown type" end
  local server = server_of(options)
  if not server then return false, "No DNS server" end
  local port = options.port or 53
  if type(port) == "table" then port = port.number end
  local pkt = newPacket()
  pkt.flags.RD = not options.norecurse
  local class = options.dclass or CLASS.IN
  if type(class) == "string" then class = CLASS[class:upper()] or 1 end
  addQuestion(pkt, dname, dtype, class)
  if options.nsid or options.edns then addOPT(pkt, { nsid = options.nsid }) end
  local ok, raw = send_query(encode(pkt), server, port, options.proto, options.timeout, options.tries or options.sendCount)
  if not ok then return false, raw end
  local r = decode(raw)
  if not r then return false, "Malformed answer" end
  if r.flags.TC and (options.proto or "udp") == "udp" then
    local o = {}
    for k, v in pairs(options) do o[k] = v end
    o.proto = "tcp"
    return query(dname, o)
  end
  if options.retPkt then return true, r end
  if r.flags.rcode ~= 0 then return false, RCODE[r.flags.rcode] or ("rcode " .. r.flags.rcode) end
  local found = {}
  for _, rr in ipairs(r.answers) do
    if rr.dtype == dtype or dtype == types.ANY then found[#found + 1] = answer_value(rr) end
  end
  if #found == 0 then return false, "No Answers" end
  if options.retAll then return true, found end
  return true, found[1]
end

--- Values of answers of a type in a decoded packet (for retPkt callers).
function findNiceAnswer(dtype, pkt, retAll)
  dtype = resolve_type(dtype)
  local out = {}
  for _, rr in ipairs(pkt.answers or {}) do
    if rr.dtype == dtype then out[#out + 1] = answer_value(rr) end
  end
  if #out == 0 then return false, "No Answers" end
  if retAll then return true, out end
  return true, out[1]
end

return _ENV
