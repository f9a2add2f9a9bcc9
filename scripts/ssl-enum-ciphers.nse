local nmap = require "nmap"
local shortport = require "shortport"
local sslcert = require "sslcert"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local tls = require "tls"

description = [[
Lists the TLS protocol versions (SSLv3, TLS 1.0 to 1.3) and cipher suites a
server accepts, by repeated handshakes: each ClientHello offers the suites not
chosen yet, until the server refuses. Each suite gets its key exchange size
(the ECDHE curve, the DHE group size or the certificate's RSA size) and a
grade (A to F), each protocol whether the server or the client order
decides, and the weakest grade is summed up as "least strength".

Grades (the project's own, simpler than Nmap's): F for NULL, anonymous,
export and single-DES suites and key exchanges under 1024 bits (160 for EC);
C for RC4, 3DES, RC2 and IDEA and key exchanges under 2048 bits (RSA/DH) or
224 bits (EC); otherwise A.
ECDHE groups are offered weakest first (secp256r1 before x25519), so the
curve shown is the weakest one the server accepts when it follows the
client's order.
]]

---
-- @usage nmap --script ssl-enum-ciphers -p 443 <target>
-- @output
-- 443/tcp open  https
-- | ssl-enum-ciphers:
-- |   TLSv1.2:
-- |     ciphers:
-- |       TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (secp256r1) - A
-- |       TLS_RSA_WITH_AES_128_CBC_SHA (rsa 2048) - A
-- |     compressors:
-- |       NULL
-- |     cipher preference: client
-- |   TLSv1.3:
-- |     ciphers:
-- |       TLS_AKE_WITH_AES_128_GCM_SHA256 (ecdh_x25519) - A
-- |     cipher preference: server
-- |_  least strength: A

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "intrusive" }

local SSL_PORTS = { 443, 465, 636, 853, 989, 990, 992, 993, 994, 995, 1443, 2083, 2087, 2096, 3269, 4443, 5061,
  5986, 6697, 8443, 9443 }
local SSL_SERVICES = { "https", "ssl", "imaps", "pop3s", "smtps", "ldaps", "ftps", "ircs", "https-alt",
  "domain-s", "sip-tls" }

portrule = function(host, port)
  if port.version and port.version.service_tunnel == "ssl" then return true end
  return shortport.port_or_service(SSL_PORTS, SSL_SERVICES)(host, port)
end

-- ECDHE groups offered weakest first, so the curve reported is the weakest the
-- server accepts (a server that follows the client's order picks it)
local WEAK_FIRST_GROUPS = { "secp256r1", "secp384r1", "secp521r1", "x25519", "x448",
  "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1", "ffdhe2048", "ffdhe3072" }

local GRADE_ORDER = { A = 1, B = 2, C = 3, D = 4, E = 5, F = 6 }

local function grade(name, kex_bits, kex_kind)
  if name:find("NULL") or name:find("anon") or name:find("EXPORT") then return "F" end
  if name:find("_DES_CBC") or name:find("DES40") then return "F" end
  if kex_bits then
    if kex_bits < (kex_kind == "ec" and 160 or 1024) then return "F" end
  end
  if name:find("RC4") or name:find("3DES") or name:find("RC2") or name:find("IDEA") then return "C" end
  if kex_bits and kex_bits < (kex_kind == "ec" and 224 or 2048) then return "C" end
  return "A"
end

local function warning_for(name)
  if name:find("3DES") then return "64-bit block cipher 3DES vulnerable to SWEET32 attack" end
  if name:find("RC4") then return "Broken cipher RC4 is deprecated by RFC 7465" end
  if name:find("EXPORT") then return "Export key exchange" end
  if name:find("anon") then return "Anonymous key exchange, score capped at F" end
  if name:find("NULL") then return "Insecure NULL cipher" end
  return nil
end

local function sni_of(host)
  local n = host.targetname or host.name
  if n and n ~= "" and not n:match("^[%d.]+$") and not n:find(":", 1, true) then return n end
  return nil
end

local function cipher_entry(name, kex_info, strength)
  local e = stdnse.output_table()
  e.name = name
  e.kex_info = kex_info
  e.strength = strength
  return setmetatable({ name = name, kex_info = kex_info, strength = strength }, {
    __tostring = function(t) return string.format("%s (%s) - %s", t.name, t.kex_info, t.strength) end,
  })
end

-- enumerate the suites one protocol accepts
local function enum_protocol(host, port, proto, cert_bits)
  local pool = {}
  local source = proto == "TLSv1.3" and tls.CIPHERS13 or tls.CIPHERS
  for name in pairs(source) do pool[#pool + 1] = name end
  table.sort(pool)
  local sni = sni_of(host)
  local chosen = {}
  while #pool > 0 do
    local r = tls.handshake(host, port, { protocol = proto, ciphers = pool, sni = sni,
      no_scsv = proto == "TLSv1.3", groups = proto ~= "TLSv1.3" and WEAK_FIRST_GROUPS or nil })
    if not r or not r.server_hello or r.server_hello.protocol ~= proto or r.server_hello.hello_retry then break end
    local name = r.server_hello.cipher_name
    local found = false
    for i, n in ipairs(pool) do
      if n == name then table.remove(pool, i); found = true; break end
    end
    if not found then break end
    local kex_info, bits, kind
    if proto == "TLSv1.3" then
      kex_info, bits, kind = "ecdh_x25519", 256, "ec"
    elseif r.kex and r.kex.type == "ecdh" then
      -- Nmap's names: "ecdh_x25519"/"ecdh_x448" for the Montgomery curves, the SEC name otherwise
      local curve = r.kex.curve
      kex_info = (curve == "x25519" or curve == "x448") and ("ecdh_" .. curve) or curve
      bits, kind = tls.GROUP_BITS[curve], "ec"
    elseif r.kex and r.kex.type == "dh" then
      kex_info, bits, kind = "dh " .. r.kex.bits, r.kex.bits, "dh"
    elseif name:find("^TLS_RSA_") and cert_bits then
      kex_info, bits, kind = "rsa " .. cert_bits, cert_bits, "rsa"
    else
      kex_info = "unknown"
    end
    chosen[#chosen + 1] = { name = name, kex_info = kex_info, strength = grade(name, bits, kind) }
  end
  if #chosen == 0 then return nil end
  -- who decides the order: offer the accepted suites reversed
  local pref = "indeterminate"
  if #chosen >= 2 then
    local rev = {}
    for i = #chosen, 1, -1 do rev[#rev + 1] = chosen[i].name end
    local r = tls.handshake(host, port, { protocol = proto, ciphers = rev, sni = sni, no_scsv = proto == "TLSv1.3" })
    if r and r.server_hello then
      pref = (r.server_hello.cipher_name == chosen[1].name) and "server" or "client"
    end
  end
  return chosen, pref
end

action = function(host, port)
  local cert_bits
  local okc, cert = sslcert.getCertificate(host, port)
  if okc and cert.pubkey and cert.pubkey.type == "rsa" then cert_bits = cert.pubkey.bits end
  local out = stdnse.output_table()
  local least = nil
  for _, proto in ipairs({ "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3" }) do
    local chosen, pref = enum_protocol(host, port, proto, cert_bits)
    if chosen then
      if pref ~= "server" then table.sort(chosen, function(a, b) return a.name < b.name end) end
      local p = stdnse.output_table()
      local list, warnings, seenw = {}, {}, {}
      for _, c in ipairs(chosen) do
        list[#list + 1] = cipher_entry(c.name, c.kex_info, c.strength)
        if not least or GRADE_ORDER[c.strength] > GRADE_ORDER[least] then least = c.strength end
        local w = warning_for(c.name)
        if w and not seenw[w] then seenw[w] = true; warnings[#warnings + 1] = w end
      end
      p.ciphers = list
      if proto ~= "TLSv1.3" then p.compressors = { "NULL" } end
      p["cipher preference"] = pref
      if #warnings > 0 then p.warnings = warnings end
      out[proto] = p
    end
  end
  if not least then return nil end
  out["least strength"] = least
  return out
end
