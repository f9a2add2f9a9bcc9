---
-- X.509 certificates: fetch a server's certificate (from a TLS 1.2-or-older
-- handshake read in clear with the tls library, else from the engine's TLS
-- socket) and parse DER into subject, issuer, validity, public key,
-- signature algorithm and a few extensions (Subject Alternative Name, Basic
-- Constraints, key identifiers).
--
-- <code>sslcert.getCertificate(host, port)</code> → true, cert or false,
-- error; <code>sslcert.parse(der)</code> → cert table: <code>der</code>,
-- <code>pem</code>, <code>subject</code>/<code>issuer</code> (attribute
-- name → value, plus <code>_order</code>), <code>validity</code>
-- ({notBefore, notAfter} as "YYYY-MM-DDTHH:MM:SS"), <code>pubkey</code>
-- ({type, bits, modulus, exponent, curve}), <code>sig_algorithm</code>,
-- <code>extensions</code> (list of {name, value, critical}), <code>san</code>,
-- <code>md5</code>, <code>sha1</code>, <code>sha256</code> (raw digests).
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

local asn1der = require "asn1der"
local base64 = require "base64"
local hashes = require "hashes"
local nmap = require "nmap"
local string = require "string"
local table = require "table"
local tls = require "tls"

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

-- the module table; names it lacks (require, print, ...) are read from the globals
local _ENV = setmetatable({}, { __index = _G })

ATTRIBUTES = {
  ["2.5.4.3"] = "commonName", ["2.5.4.4"] = "surname", ["2.5.4.5"] = "serialNumber", ["2.5.4.6"] = "countryName",
  ["2.5.4.7"] = "localityName", ["2.5.4.8"] = "stateOrProvinceName", ["2.5.4.9"] = "streetAddress",
  ["2.5.4.10"] = "organizationName", ["2.5.4.11"] = "organizationalUnitName", ["2.5.4.12"] = "title",
  ["2.5.4.13"] = "description", ["2.5.4.15"] = "businessCategory", ["2.5.4.17"] = "postalCode",
  ["2.5.4.42"] = "givenName", ["2.5.4.43"] = "initials", ["2.5.4.46"] = "dnQualifier", ["2.5.4.65"] = "pseudonym",
  ["1.2.840.113549.1.9.1"] = "emailAddress", ["0.9.2342.19200300.100.1.25"] = "domainComponent",
  ["0.9.2342.19200300.100.1.1"] = "userId",
  ["1.3.6.1.4.1.311.60.2.1.1"] = "jurisdictionLocalityName",
  ["1.3.6.1.4.1.311.60.2.1.2"] = "jurisdictionStateOrProvinceName",
  ["1.3.6.1.4.1.311.60.2.1.3"] = "jurisdictionCountryName",
}

SIG_ALGORITHMS = {
  ["1.2.840.113549.1.1.2"] = "md2WithRSAEncryption", ["1.2.840.113549.1.1.4"] = "md5WithRSAEncryption",
  ["1.2.840.113549.1.1.5"] = "sha1WithRSAEncryption", ["1.2.840.113549.1.1.10"] = "rsassaPss",
  ["1.2.840.113549.1.1.11"] = "sha256WithRSAEncryption", ["1.2.840.113549.1.1.12"] = "sha384WithRSAEncryption",
  ["1.2.840.113549.1.1.13"] = "sha512WithRSAEncryption", ["1.2.840.113549.1.1.14"] = "sha224WithRSAEncryption",
  ["1.2.840.10040.4.3"] = "dsaWithSHA1", ["2.16.840.1.101.3.4.3.2"] = "dsa_with_SHA256",
  ["1.2.840.10045.4.1"] = "ecdsa-with-SHA1", ["1.2.840.10045.4.3.2"] = "ecdsa-with-SHA256",
  ["1.2.840.10045.4.3.3"] = "ecdsa-with-SHA384", ["1.2.840.10045.4.3.4"] = "ecdsa-with-SHA512",
  ["1.3.101.112"] = "ED25519", ["1.3.101.113"] = "ED448",
}

local KEY_TYPES = {
  ["1.2.840.113549.1.1.1"] = "rsa", ["1.2.840.10040.4.1"] = "dsa", ["1.2.840.10045.2.1"] = "ec",
  ["1.2.840.10046.2.1"] = "dh", ["1.3.101.112"] = "ed25519", ["1.3.101.113"] = "ed448",
  ["1.3.101.110"] = "x25519", ["1.3.101.111"] = "x448",
}

local CURVES = {
  ["1.2.840.10045.3.1.7"] = { "prime256v1", 256 }, ["1.3.132.0.34"] = { "secp384r1", 384 },
  ["1.3.132.0.35"] = { "secp521r1", 521 }, ["1.3.132.0.33"] = { "secp224r1", 224 },
  ["1.2.840.10045.3.1.1"] = { "prime192v1", 192 }, ["1.3.36.3.3.2.8.1.1.7"] = { "brainpoolP256r1", 256 },
  ["1.3.36.3.3.2.8.1.1.11"] = { "brainpoolP384r1", 384 }, ["1.3.36.3.3.2.8.1.1.13"] = { "brainpoolP512r1", 512 },
}

local function hexu(s) return (s:gsub(".", function(c) return string.format("%02X", c:byte()) end)) end

local function colon_hex(s) return (hexu(s):gsub("(%x%x)", "%1:"):gsub(":$", "")) end

local function bitlen(bytes)
  bytes = bytes:gsub("^%z+", "")
  if #bytes == 0 then return 0 end
  local top, n = bytes:byte(1), 8
  while n > 0 and top & (1 << (n - 1)) == 0 do n = n - 1 end
  return (#bytes - 1) * 8 + n
end

local function parse_name(node)
  local name = { _order = {} }
  for _, set in ipairs(asn1der.children(node)) do
    for _, atv in ipairs(asn1der.children(set)) do
      local kv = asn1der.children(atv)
      if kv[1] and kv[2] then
        local oid = asn1der.oid(kv[1].value)
        local key = ATTRIBUTES[oid] or oid
        local val = kv[2].value
        if kv[2].tag == 0x1E then -- BMPString
          val = val:gsub("%z(.)", "%1")
        end
        if name[key] then
          if type(name[key]) ~= "table" then name[key] = { name[key] } end
          table.insert(name[key], val)
        else
          name[key] = val
          name._order[#name._order + 1] = key
        end
      end
    end
  end
  return name
end

local function parse_time(node)
  local v = node.value
  local y, rest
  if node.tag == 0x17 then -- UTCTime YYMMDDHHMM[SS]Z
    y = tonumber(v:sub(1, 2))
    y = y < 50 and 2000 + y or 1900 + y
    rest = v:sub(3)
  else
    y = tonumber(v:sub(1, 4))
    rest = v:sub(5)
  end
  local mo, d, h, mi, s = rest:match("^(%d%d)(%d%d)(%d%d)(%d%d)(%d?%d?)")
  if not mo then return v end
  if s == "" then s = "00" end
  return string.format("%04d-%s-%sT%s:%s:%s", y, mo, d, h, mi, s)
end

local function format_ip(b)
  if #b == 4 then return string.format("%d.%d.%d.%d", b:byte(1, 4)) end
  if #b == 16 then
    local g = { string.unpack(">I2I2I2I2I2I2I2I2", b) }
    local parts = {}
    for i = 1, 8 do parts[i] = string.format("%X", g[i]) end
    return table.concat(parts, ":")
  end
  return hexu(b)
end

local function parse_extension(oid, value)
  local node = asn1der.decode(value)
  if not node then return nil end
  if oid == "2.5.29.17" then
    local names = {}
    for _, gn in ipairs(asn1der.children(node)) do
      local n = gn.number
      if n == 2 then names[#names + 1] = "DNS:" .. gn.value
      elseif n == 7 then names[#names + 1] = "IP Address:" .. format_ip(gn.value)
      elseif n == 1 then names[#names + 1] = "email:" .. gn.value
      elseif n == 6 then names[#names + 1] = "URI:" .. gn.value
      else names[#names + 1] = "othername:<unsupported>" end
    end
    return "X509v3 Subject Alternative Name", table.concat(names, ", ")
  elseif oid == "2.5.29.19" then
    local ca = false
    local parts = asn1der.children(node)
    if parts[1] and parts[1].tag == 0x01 then ca = parts[1].value ~= "\0" end
    local v = "CA:" .. (ca and "TRUE" or "FALSE")
    for _, p in ipairs(parts) do
      if p.tag == 0x02 then v = v .. ", pathlen:" .. asn1der.integer(p.value) end
    end
    return "X509v3 Basic Constraints", v
  elseif oid == "2.5.29.14" then
    return "X509v3 Subject Key Identifier", colon_hex(node.value)
  elseif oid == "2.5.29.35" then
    for _, p in ipairs(asn1der.children(node)) do
      if p.number == 0 and p.class == 2 then return "X509v3 Authority Key Identifier", colon_hex(p.value) end
    end
    return "X509v3 Authority Key Identifier", ""
  elseif oid == "2.5.29.15" then
    local bits = node.value:sub(2)
    local b = bits:byte(1) or 0
    local b2 = bits:byte(2) or 0
    local names = { "Digital Signature", "Non Repudiation", "Key Encipherment", "Data Encipherment",
      "Key Agreement", "Certificate Sign", "CRL Sign", "Encipher Only" }
    local out = {}
    for i = 0, 7 do if b & (0x80 >> i) ~= 0 then out[#out + 1] = names[i + 1] end end
    if b2 & 0x80 ~= 0 then out[#out + 1] = "Decipher Only" end
    return "X509v3 Key Usage", table.concat(out, ", ")
  elseif oid == "2.5.29.37" then
    local known = { ["1.3.6.1.5.5.7.3.1"] = "TLS Web Server Authentication",
      ["1.3.6.1.5.5.7.3.2"] = "TLS Web Client Authentication", ["1.3.6.1.5.5.7.3.3"] = "Code Signing",
      ["1.3.6.1.5.5.7.3.4"] = "E-mail Protection", ["1.3.6.1.5.5.7.3.8"] = "Time Stamping",
      ["1.3.6.1.5.5.7.3.9"] = "OCSP Signing" }
    local out = {}
    for _, p in ipairs(asn1der.children(node)) do
      local o = asn1der.oid(p.value)
      out[#out + 1] = known[o] or o
    end
    return "X509v3 Extended Key Usage", table.concat(out, ", ")
  end
  return nil
end

--- PEM text of a DER certificate.
function pem(der)
  local b = base64.enc(der)
  local lines = { "-----BEGIN CERTIFICATE-----" }
  for i = 1, #b, 64 do lines[#lines + 1] = b:sub(i, i + 63) end
  lines[#lines + 1] = "-----END CERTIFICATE-----"
  return table.concat(lines, "\n") .. "\n"
end

--- Parse a DER certificate. Returns the cert table or nil, error.
function parse(der)
  local ok, res = pcall(function()
    local cert = asn1der.decode(der)
    local top = asn1der.children(cert)
    local tbs = asn1der.children(top[1])
    local i = 1
    local c = { der = der, pem = pem(der), version = 1 }
    if tbs[1].class == 2 and tbs[1].number == 0 then
      c.version = asn1der.integer(asn1der.decode(tbs[1].value).value) + 1
      i = 2
    end
    c.serial = hexu(tbs[i].value)
    local sig = asn1der.children(top[2])
    local sigoid = asn1der.oid(sig[1].value)
    c.sig_algorithm = SIG_ALGORITHMS[sigoid] or sigoid
    c.issuer = parse_name(tbs[i + 2])
    local validity = asn1der.children(tbs[i + 3])
    c.validity = { notBefore = parse_time(validity[1]), notAfter = parse_time(validity[2]) }
    c.subject = parse_name(tbs[i + 4])
    local spki = asn1der.children(tbs[i + 5])
    local alg = asn1der.children(spki[1])
    local koid = asn1der.oid(alg[1].value)
    local pk = { type = KEY_TYPES[koid] or koid }
    local keybits = spki[2].value:sub(2)
    if pk.type == "rsa" then
      local rsa = asn1der.children(asn1der.decode(keybits))
      local n = rsa[1].value:gsub("^%z+", "")
      pk.bits = bitlen(n)
      pk.modulus = hexu(n)
      pk.exponent = tostring(asn1der.integer(rsa[2].value))
    elseif pk.type == "ec" then
      local cv = alg[2] and alg[2].tag == 0x06 and CURVES[asn1der.oid(alg[2].value)]
      if cv then pk.curve = cv[1]; pk.bits = cv[2] else pk.bits = ((#keybits - 1) // 2) * 8 end
    elseif pk.type == "dsa" then
      local params = alg[2] and asn1der.children(alg[2])
      pk.bits = params and params[1] and bitlen(params[1].value) or 0
    elseif pk.type == "ed25519" or pk.type == "x25519" then
      pk.bits = 256
    elseif pk.type == "ed448" or pk.type == "x448" then
      pk.bits = 456
    end
    c.pubkey = pk
    c.extensions = {}
    for j = i + 6, #tbs do
      if tbs[j].class == 2 and tbs[j].number == 3 then
        local exts = asn1der.children(asn1der.decode(tbs[j].value))
        for _, e in ipairs(exts) do
          local f = asn1der.children(e)
          local oid = asn1der.oid(f[1].value)
          local critical = false
          local val = f[2]
          if f[2].tag == 0x01 then critical = f[2].value ~= "\0"; val = f[3] end
          local name, value = parse_extension(oid, val.value)
          if name then
            c.extensions[#c.extensions + 1] = { name = name, value = value, critical = critical or nil }
            if oid == "2.5.29.17" then c.san = value end
          end
        end
      end
    end
    c.md5 = hashes.md5(der)
    c.sha1 = hashes.sha1(der)
    c.sha256 = hashes.sha256(der)
    return c
  end)
  if not ok then return nil, "cannot parse certificate: " .. tostring(res) end
  return res
end

local function all_ciphers()
  local l = {}
  for name in pairs(tls.CIPHERS) do l[#l + 1] = name end
  table.sort(l)
  return l
end

local function sni_of(host)
  if type(host) == "table" then
    local n = host.targetname or host.name
    if n and n ~= "" and not n:match("^[%d.]+$") and not n:find(":", 1, true) then return n end
  end
  return nil
end

--- Get the server's certificate (DER, parsed). Returns true, cert or false, error.
function getCertificate(host, port)
  local cached = type(host) == "table" and host.registry and host.registry.sslcert
    and host.registry.sslcert[tostring(type(port) == "table" and port.number or port)]
  if cached then return true, cached end
  local der
  for _, proto in ipairs({ "TLSv1.2", "TLSv1.0" }) do
    local r = tls.handshake(host, port, { protocol = proto, ciphers = all_ciphers(), sni = sni_of(host) })
    if r and r.certificates and r.certificates[1] then der = r.certificates[1]; break end
  end
  if not der then
    -- TLS 1.3 only: ask the engine's TLS socket, when it offers one
    local s = nmap.new_socket()
    s:set_timeout(5000)
    if s:connect(host, port, "ssl") and s.get_ssl_certificate then
      local c = s:get_ssl_certificate()
      if c and c.pem then
        der = base64.dec((c.pem:gsub("%-%-%-%-%-[^\n]*%-%-%-%-%-", "")))
      end
    end
    s:close()
  end
  if not der then return false, "no certificate" end
  local cert, err = parse(der)
  if not cert then return false, err end
  if type(host) == "table" then
    host.registry = host.registry or {}
    host.registry.sslcert = host.registry.sslcert or {}
    host.registry.sslcert[tostring(type(port) == "table" and port.number or port)] = cert
  end
  return true, cert
end

return _ENV
