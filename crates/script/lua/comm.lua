-- comm: connect, send, receive in one call.
local nmap = require "nmap"
local stdnse = require "stdnse"

local M = {}

local REQUEST_TIMEOUT = 6000

local function timeouts(host, opts)
  local connect = opts.connect_timeout or opts.timeout or stdnse.get_timeout(host)
  local request = opts.request_timeout or opts.timeout or REQUEST_TIMEOUT
  return connect, request + connect
end

local function connect(host, port, opts)
  local proto = opts.proto
  local sock = nmap.new_socket((proto ~= "ssl" and proto) or (type(port) == "table" and port.protocol) or nil)
  local ct, rt = timeouts(host, opts)
  sock:set_timeout(ct)
  local ok, err = sock:connect(host, port, proto)
  if not ok then
    sock:close()
    return false, err
  end
  sock:set_timeout(rt)
  return true, sock
end

local function read(sock, opts)
  if opts.lines then
    return sock:receive_lines(opts.lines)
  elseif opts.bytes then
    return sock:receive_bytes(opts.bytes)
  end
  return sock:receive()
end

-- Connects, optionally reads first (opts.recv_before), sends data if any and
-- reads the answer. Returns the socket (or nil), the response, the early response.
function M.opencon(host, port, data, opts)
  opts = opts or {}
  local ok, sock = connect(host, port, opts)
  if not ok then
    return nil, sock
  end
  local status, response, early = true, nil, nil
  if opts.recv_before then
    status, early = read(sock, opts)
  end
  if data and #data > 0 then
    sock:send(data)
    status, response = sock:receive()
  else
    response = early
  end
  if not status then
    sock:close()
    return nil, response, early
  end
  return sock, response, early
end

-- The first data a service sends after the connection opens (over TLS
-- first when the port is likely TLS, as tryssl decides).
function M.get_banner(host, port, opts)
  opts = opts or {}
  opts.recv_before = true
  local sock, err, _, banner = M.tryssl(host, port, nil, opts)
  if sock then
    sock:close()
    return true, banner
  end
  return false, err
end

-- Sends data and returns the answer.
function M.exchange(host, port, data, opts)
  opts = opts or {}
  local ok, sock = connect(host, port, opts)
  if not ok then
    return false, sock
  end
  local sent, err = sock:send(data)
  if not sent then
    sock:close()
    return false, err
  end
  local status, resp = read(sock, opts)
  sock:close()
  return status, resp
end

-- Tries the likelier of plain and TLS first, then the other. Returns the
-- socket, the response, the protocol that worked and the early response.
function M.tryssl(host, port, data, opts)
  opts = opts or {}
  local shortport = require "shortport"
  local p = { number = port, protocol = opts.proto or "tcp" }
  if type(port) == "table" then
    p = require("tableaux").tcopy(port)
  end
  p.state = "open"
  local order = shortport.ssl(host, p) and { "ssl", p.protocol } or { p.protocol, "ssl" }
  local last_err
  for _, proto in ipairs(order) do
    local o = {}
    for k, v in pairs(opts) do
      o[k] = v
    end
    o.proto = proto
    local sock, response, early = M.opencon(host, port, data, o)
    if sock then
      return sock, response, proto, early
    end
    last_err = response
  end
  return nil, last_err
end

return M
