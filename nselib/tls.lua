---
-- TLS handshake messages for scanners: build ClientHello records (TLS 1.0 to
-- 1.3, SSLv3), read and parse the server's records up to ServerHelloDone:
-- ServerHello (version, cipher, compression, extensions such as ALPN and
-- supported_versions), Certificate (the DER certificates), ServerKeyExchange
-- (ECDHE curve or DHE group size) and alerts. Nothing is encrypted, so TLS
-- 1.3 gives only its ServerHello.
--
-- <code>tls.handshake(host, port, options)</code> connects, sends a
-- ClientHello (options: <code>protocol</code>, <code>ciphers</code> (names),
-- <code>alpn</code> (list), <code>sni</code>, <code>groups</code>,
-- <code>compressors</code>, <code>timeout</code>) and returns a result table:
-- <code>alert</code> (description name) or <code>server_hello</code>
-- ({version, cipher, compressor, alpn, extensions}), <code>certificates</code>
-- (list of DER strings), <code>kex</code> ({type="ecdh", curve=name} or
-- {type="dh", bits=n}); or nil, error.
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

local nmap = require "nmap"
local string = require "string"
local table = require "table"
local math = require "math"

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

-- the module table; names it lacks (require, print, ...) are read from the globals
local _ENV = setmetatable({}, { __index = _G })

PROTOCOLS = { ["SSLv3"] = 0x0300, ["TLSv1.0"] = 0x0301, ["TLSv1.1"] = 0x0302, ["TLSv1.2"] = 0x0303, ["TLSv1.3"] = 0x0304 }
PROTOCOL_NAMES = {}
for k, v in pairs(PROTOCOLS) do PROTOCOL_NAMES[v] = k end

--- Cipher suites (IANA names) → code.
CIPHERS = {
  TLS_RSA_WITH_NULL_MD5 = 0x0001, TLS_RSA_WITH_NULL_SHA = 0x0002, TLS_RSA_EXPORT_WITH_RC4_40_MD5 = 0x0003,
  TLS_RSA_WITH_RC4_128_MD5 = 0x0004, TLS_RSA_WITH_RC4_128_SHA = 0x0005, TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5 = 0x0006,
  TLS_RSA_WITH_IDEA_CBC_SHA = 0x0007, TLS_RSA_EXPORT_WITH_DES40_CBC_SHA = 0x0008, TLS_RSA_WITH_DES_CBC_SHA = 0x0009,
  TLS_RSA_WITH_3DES_EDE_CBC_SHA = 0x000A, TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA = 0x0011,
  TLS_DHE_DSS_WITH_DES_CBC_SHA = 0x0012, TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA = 0x0013,
  TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA = 0x0014, TLS_DHE_RSA_WITH_DES_CBC_SHA = 0x0015,
  TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA = 0x0016, TLS_DH_anon_WITH_RC4_128_MD5 = 0x0018,
  TLS_DH_anon_WITH_3DES_EDE_CBC_SHA = 0x001B, TLS_RSA_WITH_AES_128_CBC_SHA = 0x002F,
  TLS_DHE_DSS_WITH_AES_128_CBC_SHA = 0x0032, TLS_DHE_RSA_WITH_AES_128_CBC_SHA = 0x0033,
  TLS_DH_anon_WITH_AES_128_CBC_SHA = 0x0034, TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035,
  TLS_DHE_DSS_WITH_AES_256_CBC_SHA = 0x0038, TLS_DHE_RSA_WITH_AES_256_CBC_SHA = 0x0039,
  TLS_DH_anon_WITH_AES_256_CBC_SHA = 0x003A, TLS_RSA_WITH_NULL_SHA256 = 0x003B,
  TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003C, TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003D,
  TLS_DHE_DSS_WITH_AES_128_CBC_SHA256 = 0x0040, TLS_RSA_WITH_CAMELLIA_128_CBC_SHA = 0x0041,
  TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA = 0x0044, TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA = 0x0045,
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 = 0x0067, TLS_DHE_DSS_WITH_AES_256_CBC_SHA256 = 0x006A,
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 = 0x006B, TLS_RSA_WITH_CAMELLIA_256_CBC_SHA = 0x0084,
  TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA = 0x0087, TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA = 0x0088,
  TLS_RSA_WITH_SEED_CBC_SHA = 0x0096, TLS_DHE_RSA_WITH_SEED_CBC_SHA = 0x009A,
  TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009C, TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009D,
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009E, TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009F,
  TLS_DHE_DSS_WITH_AES_128_GCM_SHA256 = 0x00A2, TLS_DHE_DSS_WITH_AES_256_GCM_SHA384 = 0x00A3,
  TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256 = 0x00BA, TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256 = 0x00BE,
  TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256 = 0x00C0, TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256 = 0x00C4,
  TLS_ECDH_ECDSA_WITH_RC4_128_SHA = 0xC002, TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA = 0xC003,
  TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA = 0xC004, TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA = 0xC005,
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA = 0xC007, TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA = 0xC008,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xC009, TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xC00A,
  TLS_ECDH_RSA_WITH_RC4_128_SHA = 0xC00C, TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA = 0xC00D,
  TLS_ECDH_RSA_WITH_AES_128_CBC_SHA = 0xC00E, TLS_ECDH_RSA_WITH_AES_256_CBC_SHA = 0xC00F,
  TLS_ECDHE_RSA_WITH_RC4_128_SHA = 0xC011, TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA = 0xC012,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xC013, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xC014,
  TLS_ECDH_anon_WITH_AES_128_CBC_SHA = 0xC018, TLS_ECDH_anon_WITH_AES_256_CBC_SHA = 0xC019,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xC023, TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = 0xC024,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xC027, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xC028,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xC02B, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xC02C,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xC02F, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xC030,
  TLS_RSA_WITH_ARIA_128_CBC_SHA256 = 0xC03C, TLS_RSA_WITH_ARIA_256_CBC_SHA384 = 0xC03D,
  TLS_RSA_WITH_ARIA_128_GCM_SHA256 = 0xC050, TLS_RSA_WITH_ARIA_256_GCM_SHA384 = 0xC051,
  TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256 = 0xC052, TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384 = 0xC053,
  TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256 = 0xC05C, TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384 = 0xC05D,
  TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256 = 0xC060, TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384 = 0xC061,
  TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256 = 0xC072, TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384 = 0xC073,
  TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256 = 0xC076, TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384 = 0xC077,
  TLS_RSA_WITH_AES_128_CCM = 0xC09C, TLS_RSA_WITH_AES_256_CCM = 0xC09D,
  TLS_DHE_RSA_WITH_AES_128_CCM = 0xC09E, TLS_DHE_RSA_WITH_AES_256_CCM = 0xC09F,
  TLS_RSA_WITH_AES_128_CCM_8 = 0xC0A0, TLS_RSA_WITH_AES_256_CCM_8 = 0xC0A1,
  TLS_DHE_RSA_WITH_AES_128_CCM_8 = 0xC0A2, TLS_DHE_RSA_WITH_AES_256_CCM_8 = 0xC0A3,
  TLS_ECDHE_ECDSA_WITH_AES_128_CCM = 0xC0AC, TLS_ECDHE_ECDSA_WITH_AES_256_CCM = 0xC0AD,
  TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 = 0xC0AE, TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8 = 0xC0AF,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA8, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA9,
  TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCAA,
  TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA = 0x0046, TLS_DH_anon_WITH_AES_128_CBC_SHA256 = 0x006C,
  TLS_DH_anon_WITH_AES_256_CBC_SHA256 = 0x006D, TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA = 0x0089,
  TLS_DHE_DSS_WITH_SEED_CBC_SHA = 0x0099, TLS_DH_anon_WITH_SEED_CBC_SHA = 0x009B,
  TLS_DH_anon_WITH_AES_128_GCM_SHA256 = 0x00A6, TLS_DH_anon_WITH_AES_256_GCM_SHA384 = 0x00A7,
  TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256 = 0x00BD, TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256 = 0x00BF,
  TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256 = 0x00C3, TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256 = 0x00C5,
  TLS_ECDHE_ECDSA_WITH_NULL_SHA = 0xC006, TLS_ECDHE_RSA_WITH_NULL_SHA = 0xC010,
  TLS_ECDH_anon_WITH_NULL_SHA = 0xC015, TLS_ECDH_anon_WITH_RC4_128_SHA = 0xC016,
  TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA = 0xC017,
}

--- TLS 1.3 suites, named as Nmap names them (TLS_AKE_WITH_...).
CIPHERS13 = {
  TLS_AKE_WITH_AES_128_GCM_SHA256 = 0x1301, TLS_AKE_WITH_AES_256_GCM_SHA384 = 0x1302,
  TLS_AKE_WITH_CHACHA20_POLY1305_SHA256 = 0x1303, TLS_AKE_WITH_AES_128_CCM_SHA256 = 0x1304,
  TLS_AKE_WITH_AES_128_CCM_8_SHA256 = 0x1305,
}

CIPHER_NAMES = {}
for k, v in pairs(CIPHERS) do CIPHER_NAMES[v] = k end
for k, v in pairs(CIPHERS13) do CIPHER_NAMES[v] = k end

GROUPS = { sect163k1 = 1, secp192r1 = 19, secp224r1 = 21, secp256r1 = 23, secp384r1 = 24, secp521r1 = 25,
  brainpoolP256r1 = 26, brainpoolP384r1 = 27, brainpoolP512r1 = 28, x25519 = 29, x448 = 30,
  ffdhe2048 = 256, ffdhe3072 = 257, ffdhe4096 = 258 }
GROUP_NAMES = {}
for k, v in pairs(GROUPS) do GROUP_NAMES[v] = k end
GROUP_BITS = { secp192r1 = 192, secp224r1 = 224, secp256r1 = 256, secp384r1 = 384, secp521r1 = 521,
  brainpoolP256r1 = 256, brainpoolP384r1 = 384, brainpoolP512r1 = 512, x25519 = 256, x448 = 448, sect163k1 = 163 }

ALERTS = {
  [0] = "close_notify", [10] = "unexpected_message", [20] = "bad_record_mac", [40] = "handshake_failure",
  [42] = "bad_certificate", [43] = "unsupported_certificate", [47] = "illegal_parameter", [50] = "decode_error",
  [51] = "decrypt_error", [70] = "protocol_version", [71] = "insufficient_security", [80] = "internal_error",
  [86] = "inappropriate_fallback", [90] = "user_canceled", [109] = "missing_extension",
  [110] = "unsupported_extension", [112] = "unrecognized_name", [120] = "no_application_protocol",
}

local function random_bytes(n)
  local t = {}
  for i = 1, n do t[i] = string.char(math.random(0, 255)) end
  return table.concat(t)
end

local function ext(code, body) return string.pack(">I2s2", code, body) end

--- Build a ClientHello record. See the module description for options.
function client_hello(options)
  options = options or {}
  local proto = options.protocol or "TLSv1.2"
  local ver = PROTOCOLS[proto]
  local is13 = ver == 0x0304
  local suites = {}
  for _, name in ipairs(options.ciphers or {}) do
    local c = CIPHERS[name] or CIPHERS13[name]
    if c then suites[#suites + 1] = string.pack(">I2", c) end
  end
  if not options.no_scsv then suites[#suites + 1] = string.pack(">I2", 0x00FF) end
  local comps = options.compressors or { 0 }
  local exts = {}
  if ver >= 0x0301 then
    if options.sni then
      exts[#exts + 1] = ext(0, string.pack(">s2", "\0" .. string.pack(">s2", options.sni)))
    end
    local groups = {}
    for _, g in ipairs(options.groups or { "x25519", "secp256r1", "secp384r1", "secp521r1", "x448",
      "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1", "secp224r1", "ffdhe2048", "ffdhe3072" }) do
      groups[#groups + 1] = string.pack(">I2", GROUPS[g])
    end
    exts[#exts + 1] = ext(10, string.pack(">s2", table.concat(groups)))
    exts[#exts + 1] = ext(11, string.pack(">s1", "\0"))
    if ver >= 0x0303 then
      local sigalgs = { 0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0807, 0x0808, 0x0401, 0x0501,
        0x0601, 0x0203, 0x0201, 0x0402, 0x0202 }
      local s = {}
      for _, a in ipairs(sigalgs) do s[#s + 1] = string.pack(">I2", a) end
      exts[#exts + 1] = ext(13, string.pack(">s2", table.concat(s)))
    end
    if options.alpn then
      local l = {}
      for _, p in ipairs(options.alpn) do l[#l + 1] = string.pack(">s1", p) end
      exts[#exts + 1] = ext(16, string.pack(">s2", table.concat(l)))
    end
    exts[#exts + 1] = ext(0xff01, "\0") -- renegotiation_info
    if is13 then
      exts[#exts + 1] = ext(43, string.pack(">s1", "\3\4"))
      -- key share: x25519 with the base point as public value (only the ServerHello is read)
      exts[#exts + 1] = ext(51, string.pack(">s2", string.pack(">I2s2", 29, "\9" .. string.rep("\0", 31))))
      exts[#exts + 1] = ext(45, string.pack(">s1", "\1")) -- psk_key_exchange_modes
    end
  end
  local body = string.pack(">I2", is13 and 0x0303 or ver) .. random_bytes(32)
    .. string.pack(">s1", is13 and random_bytes(32) or "")
    .. string.pack(">s2", table.concat(suites))
    .. string.pack(">s1", string.char(table.unpack(comps)))
  if #exts > 0 then body = body .. string.pack(">s2", table.concat(exts)) end
  local hs = "\1" .. string.pack(">I3", #body) .. body
  local recver = ver >= 0x0301 and 0x0301 or ver
  return string.pack(">BI2s2", 22, recver, hs)
end

local function parse_server_hello(b)
  local r = {}
  local pos
  r.version, pos = string.unpack(">I2", b)
  r.random = b:sub(pos, pos + 31)
  pos = pos + 32
  r.session_id, pos = string.unpack(">s1", b, pos)
  r.cipher, r.compressor, pos = string.unpack(">I2B", b, pos)
  r.extensions = {}
  if pos + 1 <= #b then
    local exts
    exts, pos = string.unpack(">s2", b, pos)
    local p = 1
    while p + 3 <= #exts do
      local code, data
      code, data, p = string.unpack(">I2s2", exts, p)
      r.extensions[code] = data
    end
  end
  if r.extensions[43] and #r.extensions[43] == 2 then
    r.version = string.unpack(">I2", r.extensions[43])
  end
  if r.extensions[16] then
    local ok, list = pcall(string.unpack, ">s2", r.extensions[16])
    if ok then
      local okp, p = pcall(string.unpack, ">s1", list)
      if okp then r.alpn = p end
    end
  end
  r.protocol = PROTOCOL_NAMES[r.version]
  r.cipher_name = CIPHER_NAMES[r.cipher] or string.format("0x%04X", r.cipher)
  -- HelloRetryRequest has a fixed random
  if r.random == "\xCF\x21\xAD\x74\xE5\x9A\x61\x11\xBE\x1D\x8C\x02\x1E\x65\xB8\x91\xC2\xA2\x11\x16\x7A\xBB\x8C\x5E\x07\x9E\x09\xE2\xC8\xA8\x33\x9C" then
    r.hello_retry = true
  end
  return r
end

local function parse_certificates(b)
  local list = {}
  local all = string.unpack(">I3", b)
  local p = 4
  while p < 4 + all do
    local len = string.unpack(">I3", b, p)
    list[#list + 1] = b:sub(p + 3, p + 2 + len)
    p = p + 3 + len
  end
  return list
end

local function parse_kex(b, cipher_name)
  if cipher_name:find("ECDHE", 1, true) or cipher_name:find("ECDH_anon", 1, true) then
    local ctype, curve = string.unpack(">BI2", b)
    if ctype == 3 then return { type = "ecdh", curve = GROUP_NAMES[curve] or ("curve " .. curve) } end
  elseif cipher_name:find("DHE", 1, true) or cipher_name:find("DH_anon", 1, true) then
    local p = string.unpack(">s2", b)
    p = p:gsub("^%z+", "")
    local bits = #p * 8
    local top = p:byte(1) or 0
    local n = 8
    while n > 0 and top & (1 << (n - 1)) == 0 do n = n - 1 end
    return { type = "dh", bits = bits - (8 - n) }
  end
  return nil
end

--- Connect, send a ClientHello and read the server's first flight.
function handshake(host, port, options)
  options = options or {}
  local s = nmap.new_socket()
  s:set_timeout(options.timeout or 5000)
  local ok, err = s:connect(host, port, "tcp")
  if not ok then return nil, err end
  ok, err = s:send(client_hello(options))
  if not ok then s:close(); return nil, err end
  local buf, hs = "", ""
  local result = {}
  local function need(n)
    while #buf < n do
      local ok2, d = s:receive()
      if not ok2 then return false end
      buf = buf .. d
      if #buf > 512 * 1024 then return false end
    end
    return true
  end
  local done = false
  while not done do
    if not need(5) then break end
    local ctype, rver, len = string.unpack(">BI2I2", buf)
    if ctype < 20 or ctype > 24 or len > 18432 then result.garbage = true; break end
    if not need(5 + len) then break end
    local frag = buf:sub(6, 5 + len)
    buf = buf:sub(6 + len)
    if ctype == 21 then
      result.alert = ALERTS[frag:byte(2) or 0] or tostring(frag:byte(2))
      result.alert_level = frag:byte(1)
      break
    elseif ctype == 22 then
      hs = hs .. frag
      while #hs >= 4 do
        local mtype = hs:byte(1)
        local mlen = string.unpack(">I3", hs, 2)
        if #hs < 4 + mlen then break end
        local body = hs:sub(5, 4 + mlen)
        hs = hs:sub(5 + mlen)
        local okp, perr = pcall(function()
          if mtype == 2 then
            result.server_hello = parse_server_hello(body)
            if result.server_hello.version == 0x0304 then done = true end
          elseif mtype == 11 then
            result.certificates = parse_certificates(body)
          elseif mtype == 12 and result.server_hello then
            result.kex = parse_kex(body, result.server_hello.cipher_name)
          elseif mtype == 14 then
            done = true
          end
        end)
        if not okp then result.garbage = true; done = true end
        if done then break end
      end
    else
      -- ChangeCipherSpec or encrypted data: nothing more to read in clear
      break
    end
  end
  s:close()
  return result
end

return _ENV
