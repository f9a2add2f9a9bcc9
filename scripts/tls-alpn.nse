local shortport = require "shortport"
local stdnse = require "stdnse"
local table = require "table"
local tls = require "tls"

description = [[
Lists the application protocols a TLS server accepts through ALPN
(RFC 7301): a ClientHello offers a list of protocol names, the server picks
one, which is then left out of the next offer, until the server picks none.
The list is shown in the server's order of preference.
]]

---
-- @usage nmap --script tls-alpn -p 443 <target>
-- @output
-- 443/tcp open  https
-- | tls-alpn:
-- |   h2
-- |_  http/1.1

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "safe", "default" }

local SSL_PORTS = { 443, 465, 636, 853, 993, 995, 4443, 5061, 8443, 9443 }
local SSL_SERVICES = { "https", "ssl", "imaps", "pop3s", "smtps", "ldaps", "https-alt", "domain-s" }

portrule = function(host, port)
  if port.version and port.version.service_tunnel == "ssl" then return true end
  return shortport.port_or_service(SSL_PORTS, SSL_SERVICES)(host, port)
end

local PROTOCOLS = {
  "h3", "h2", "h2c", "spdy/3", "spdy/2", "spdy/1", "http/1.1", "http/1.0", "http/0.9",
  "stun.turn", "stun.nat-discovery", "webrtc", "c-webrtc", "ftp", "imap", "pop3", "managesieve",
  "coap", "xmpp-client", "xmpp-server", "acme-tls/1", "mqtt", "dot", "ntske/1", "sunrpc", "smb",
  "irc", "nntp", "nnsp", "doq", "sip/2",
}

action = function(host, port)
  local offer = {}
  for i, p in ipairs(PROTOCOLS) do offer[i] = p end
  local ciphers = {}
  for name in pairs(tls.CIPHERS) do ciphers[#ciphers + 1] = name end
  table.sort(ciphers)
  local sni = host.targetname or (host.name ~= "" and host.name) or nil
  if sni and (sni:match("^[%d.]+$") or sni:find(":", 1, true)) then sni = nil end
  local found = {}
  while #offer > 0 do
    local r = tls.handshake(host, port, { protocol = "TLSv1.2", ciphers = ciphers, alpn = offer, sni = sni })
    if not r or not r.server_hello or not r.server_hello.alpn then break end
    local chosen = r.server_hello.alpn
    local removed = false
    for i, p in ipairs(offer) do
      if p == chosen then table.remove(offer, i); removed = true; break end
    end
    found[#found + 1] = chosen
    if not removed then break end
  end
  if #found == 0 then return nil end
  return found
end
