local hashes = require "hashes"
local nmap = require "nmap"
local shortport = require "shortport"
local sslcert = require "sslcert"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"

description = [[
Shows a TLS server's certificate: subject, subject alternative names,
issuer, public key type and size, signature algorithm, validity dates and
MD5/SHA-1 fingerprints (with -v also the SHA-256 fingerprint and all name
fields; with -vv the PEM). The certificate is read from a TLS 1.2 handshake
and parsed by the project's own DER parser (nselib/sslcert.lua).
]]

---
-- @usage nmap --script ssl-cert -p 443 <target>
-- @output
-- 443/tcp open  https
-- | ssl-cert: Subject: commonName=www.example.com/organizationName=Example/countryName=US
-- | Subject Alternative Name: DNS:www.example.com, DNS:example.com
-- | Issuer: commonName=Example CA/organizationName=Example/countryName=US
-- | Public Key type: rsa
-- | Public Key bits: 2048
-- | Signature Algorithm: sha256WithRSAEncryption
-- | Not valid before: 2026-01-01T00:00:00
-- | Not valid after:  2027-01-01T00:00:00
-- | MD5:   2dfbbee9f80f517faea77168dcf5392e
-- |_SHA-1: b5ef0f5848e941d146874a5b7c7ba8bf3e5c5057

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "safe", "discovery" }

local SSL_PORTS = { 443, 465, 636, 853, 989, 990, 992, 993, 994, 995, 1443, 2083, 2087, 2096, 3269, 4443, 5061,
  5986, 6697, 8443, 9443 }
local SSL_SERVICES = { "https", "ssl", "imaps", "pop3s", "smtps", "ldaps", "ftps", "ircs", "https-alt",
  "domain-s", "sip-tls" }

portrule = function(host, port)
  if port.version and port.version.service_tunnel == "ssl" then return true end
  return shortport.port_or_service(SSL_PORTS, SSL_SERVICES)(host, port)
end

local SHORT_FIELDS = { "commonName", "organizationName", "stateOrProvinceName", "countryName" }

local function name_string(name, verbose)
  local parts = {}
  local keys = SHORT_FIELDS
  if verbose then
    keys = {}
    for _, k in ipairs(name._order) do keys[#keys + 1] = k end
  end
  for _, k in ipairs(keys) do
    local v = name[k]
    if type(v) == "table" then v = table.concat(v, ", ") end
    if v then parts[#parts + 1] = k .. "=" .. v end
  end
  return table.concat(parts, "/")
end

local function name_table(name)
  local t = stdnse.output_table()
  local keys = {}
  for _, k in ipairs(name._order) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do t[k] = name[k] end
  return t
end

action = function(host, port)
  local ok, cert = sslcert.getCertificate(host, port)
  if not ok then
    stdnse.debug1("getCertificate failed: %s", tostring(cert))
    return nil
  end
  local v = nmap.verbosity and nmap.verbosity() or 1
  local verbose = v > 1
  local out = stdnse.output_table()
  out.subject = name_table(cert.subject)
  out.issuer = name_table(cert.issuer)
  local pk = stdnse.output_table()
  pk.type = cert.pubkey.type
  pk.bits = cert.pubkey.bits
  if cert.pubkey.modulus then pk.modulus = cert.pubkey.modulus; pk.exponent = cert.pubkey.exponent end
  if cert.pubkey.curve then pk.ecdhparams = { curve_params = { ec_curve_type = "namedcurve", curve = cert.pubkey.curve } } end
  out.pubkey = pk
  if #cert.extensions > 0 then
    local exts = {}
    for _, e in ipairs(cert.extensions) do
      local et = stdnse.output_table()
      et.name = e.name
      et.value = e.value
      if e.critical then et.critical = "true" end
      exts[#exts + 1] = et
    end
    out.extensions = exts
  end
  out.sig_algo = cert.sig_algorithm
  local val = stdnse.output_table()
  val.notBefore = cert.validity.notBefore
  val.notAfter = cert.validity.notAfter
  out.validity = val
  out.md5 = hashes.tohex(cert.md5)
  out.sha1 = hashes.tohex(cert.sha1)
  out.pem = cert.pem

  local lines = { "Subject: " .. name_string(cert.subject, verbose) }
  if cert.san then lines[#lines + 1] = "Subject Alternative Name: " .. cert.san end
  -- As Nmap's: issuer, key, signature and digests only when asked for
  -- (-v, or the script named on the command line).
  if v > 0 then
    lines[#lines + 1] = "Issuer: " .. name_string(cert.issuer, verbose)
    lines[#lines + 1] = "Public Key type: " .. tostring(cert.pubkey.type)
    lines[#lines + 1] = "Public Key bits: " .. tostring(cert.pubkey.bits)
    lines[#lines + 1] = "Signature Algorithm: " .. cert.sig_algorithm
  end
  lines[#lines + 1] = "Not valid before: " .. cert.validity.notBefore
  lines[#lines + 1] = "Not valid after:  " .. cert.validity.notAfter
  if v > 0 then
    lines[#lines + 1] = "MD5:   " .. out.md5
    lines[#lines + 1] = "SHA-1: " .. out.sha1
  end
  if verbose then
    lines[#lines + 1] = "SHA-256: " .. hashes.tohex(cert.sha256)
  end
  if v > 2 then lines[#lines + 1] = cert.pem end
  return out, table.concat(lines, "\n")
end
