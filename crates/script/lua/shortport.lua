-- shortport: ready-made portrule functions.
local nmap = require "nmap"

local M = {}

local function as_list(v)
  if type(v) == "table" then
    return v
  end
  return { v }
end

local function contains(list, value)
  for _, v in ipairs(list) do
    if v == value then
      return true
    end
  end
  return false
end

-- Is `number` in `ports`? Entries are numbers or strings "N" / "N-M".
local function port_in(ports, number)
  for _, p in ipairs(ports) do
    if p == number then
      return true
    elseif type(p) == "string" then
      local a, b = p:match("^(%d+)%-(%d+)$")
      if not a then
        a = p:match("^(%d+)$")
        b = a
      end
      a, b = tonumber(a), tonumber(b)
      assert(a, "Incorrect port range specification.")
      assert(a <= b, "Incorrect port range specification, the starting port should have a smaller value than the ending port.")
      assert(a > -1 and b < 65536, "Port range number out of range (0-65535).")
      if number >= a and number <= b then
        return true
      end
    end
  end
  return false
end

local DEFAULT_STATES = { "open", "open|filtered" }

function M.portnumber(ports, protos, states)
  ports = as_list(ports)
  protos = as_list(protos or "tcp")
  states = as_list(states or DEFAULT_STATES)
  return function(host, port)
    return port_in(ports, port.number)
      and contains(protos, port.protocol)
      and contains(states, port.state)
  end
end

function M.service(services, protos, states)
  services = as_list(services)
  protos = as_list(protos or "tcp")
  states = as_list(states or DEFAULT_STATES)
  return function(host, port)
    return contains(services, port.service)
      and contains(protos, port.protocol)
      and contains(states, port.state)
  end
end

function M.port_or_service(ports, services, protos, states)
  local by_port = M.portnumber(ports, protos, states)
  local by_service = M.service(services, protos, states)
  return function(host, port)
    return by_port(host, port) or by_service(host, port)
  end
end

function M.port_is_excluded(port, proto)
  return nmap.port_is_excluded(port, proto or "tcp")
end

function M.version_port_or_service(ports, services, protos, states, rarity)
  local check = M.port_or_service(ports, services, protos, states)
  return function(host, port)
    return check(host, port)
      and not M.port_is_excluded(port.number, port.protocol)
      and nmap.version_intensity() >= (rarity or 7)
  end
end

M.LIKELY_HTTP_PORTS = { 80, 443, 631, 7080, 8080, 8443, 8088, 5800, 3872, 8180, 8000 }
M.LIKELY_HTTP_SERVICES = {
  "http", "https", "ipp", "http-alt", "https-alt", "vnc-http", "oem-agent",
  "soap", "http-proxy", "caldav", "carddav", "webdav",
}
M.http = M.port_or_service(M.LIKELY_HTTP_PORTS, M.LIKELY_HTTP_SERVICES)

-- Nmap 7.93's lists.
local SSL_PORTS = {
  261, 271, 324, 443, 465, 563, 585, 636, 853, 989, 990, 992, 993, 994, 995,
  2221, 2252, 2376, 3269, 3389, 4433, 4911, 5061, 5986, 6679, 6697, 8443, 9001, 8883,
}
local SSL_SERVICES = {
  "ftps", "ftps-data", "ftps-control", "https", "https-alt", "imaps", "ircs",
  "ldapssl", "ms-wbt-server", "pop3s", "sip-tls", "smtps", "telnets", "tor-orport",
}
local ssl_tcp = M.port_or_service(SSL_PORTS, SSL_SERVICES, { "tcp", "sctp" })

-- Likely TLS: tunnel found by -sV, or a port or service name usually TLS.
-- (Nmap also probes ports of unknown services; nmaps does not.)
function M.ssl(host, port)
  if port.version and port.version.service_tunnel == "ssl" then
    return true
  end
  return ssl_tcp(host, port)
end

M.ssh = M.port_or_service({ 22, 2222, 55554, 22222, 2382, 830 }, { "ssh", "netconf-ssh" })

-- A portrule matching a port range spec such as "T:1-100,U:53,80".
function M.port_range(range)
  assert(type(range) == "string" and range ~= "", "Incorrect port range specification.")
  local sets = { tcp = {}, udp = {}, sctp = {} }
  local current = { "tcp", "udp", "sctp" }
  for item in range:gmatch("[^,]+") do
    item = item:gsub("^%s+", ""):gsub("%s+$", "")
    local prefix, rest = item:match("^([TUStus]):(.*)$")
    if prefix then
      current = { ({ t = "tcp", u = "udp", s = "sctp" })[prefix:lower()] }
      item = rest
    end
    for _, proto in ipairs(current) do
      local list = sets[proto]
      list[#list + 1] = item
    end
  end
  return function(host, port)
    local list = sets[port.protocol]
    return list ~= nil and #list > 0 and port_in(list, port.number)
  end
end

return M
