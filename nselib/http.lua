---
-- A small HTTP/1.1 client for scripts: GET, HEAD, POST and any other method,
-- redirects with a limit, chunked transfer decoding, lower-cased header
-- names, minimal cookie parsing. Responses are tables shaped like Nmap's:
-- <code>status</code>, <code>status-line</code>, <code>version</code>,
-- <code>header</code> (lower-cased names; repeated headers joined with ", "),
-- <code>rawheader</code> (the header lines as received), <code>body</code>,
-- <code>cookies</code> and <code>location</code> (the redirect chain).
-- On failure <code>status</code> is nil and <code>ERROR</code> holds the reason.
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

local nmap = require "nmap"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local shortport = require "shortport"

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

-- the module table; names it lacks (require, print, ...) are read from the globals
local _ENV = setmetatable({}, { __index = _G })

USER_AGENT = "Mozilla/5.0 (compatible; nmaps Scripting Engine)"
MAX_REDIRECTS = 5
MAX_BODY = 2 * 1024 * 1024

local SSL_SERVICES = { https = true, ["https-alt"] = true, ["ssl/http"] = true, ["http-proxy-ssl"] = true }
local SSL_PORTS = { [443] = true, [8443] = true, [4443] = true, [9443] = true }

local function portnum(port) return type(port) == "table" and port.number or tonumber(port) end

--- Whether a port should be spoken to over TLS.
function is_ssl(port)
  if type(port) ~= "table" then return SSL_PORTS[tonumber(port)] or false end
  if port.version and port.version.service_tunnel == "ssl" then return true end
  if port.service and SSL_SERVICES[port.service] then return true end
  if (not port.version or not port.version.name or port.version.name == port.service) and SSL_PORTS[port.number] then
    return true
  end
  return false
end

local function hostname(host)
  if type(host) == "table" then
    return host.targetname or (host.name ~= "" and host.name) or host.ip
  end
  return host
end

local function host_header(host, port)
  local h = hostname(host)
  if h:find(":", 1, true) then h = "[" .. h .. "]" end
  local n = portnum(port)
  local ssl = is_ssl(port)
  if (ssl and n ~= 443) or (not ssl and n ~= 80) then h = h .. ":" .. n end
  return h
end

--- Parse a URL into scheme, host, port, path (with query), query.
function parse_url(url)
  local u = {}
  local rest = url
  local scheme = rest:match("^(%a[%w+.-]*)://")
  if scheme then
    u.scheme = scheme:lower()
    rest = rest:sub(#scheme + 4)
    local auth = rest:match("^([^/?#]*)")
    rest = rest:sub(#auth + 1)
    auth = auth:gsub("^.*@", "")
    local h, p = auth:match("^%[(.-)%]:?(%d*)$")
    if not h then h, p = auth:match("^([^:]*):?(%d*)$") end
    u.host = h
    u.port = tonumber(p)
    if not u.port then u.port = (u.scheme == "https") and 443 or 80 end
  end
  rest = rest:gsub("#.*$", "")
  u.path = rest ~= "" and rest or "/"
  u.query = rest:match("%?(.*)$")
  return u
end

--- Parse a Set-Cookie header value into {name, value, attributes...}.
function parse_set_cookie(s)
  local parts = {}
  for part in s:gmatch("[^;]+") do parts[#parts + 1] = part end
  local name, value = (parts[1] or ""):match("^%s*([^=]*)=(.*)$")
  if not name then return nil end
  local c = { name = name, value = value }
  for i = 2, #parts do
    local k, v = parts[i]:match("^%s*([^=]+)=?(.*)$")
    if k then c[k:lower()] = (v ~= "" and v) or true end
  end
  return c
end

-- Buffered reader over an nmap socket.
local function reader(sock)
  local r = { buf = "", eof = false }
  function r:fill()
    if self.eof then return false end
    local ok, data = sock:receive()
    if not ok then self.eof = true; self.err = data; return false end
    self.buf = self.buf .. data
    return true
  end
  function r:line()
    while true do
      local i = self.buf:find("\n", 1, true)
      if i then
        local l = self.buf:sub(1, i):gsub("\r?\n$", "")
        self.buf = self.buf:sub(i + 1)
        return l
      end
      if not self:fill() then return nil end
    end
  end
  function r:bytes(n)
    while #self.buf < n do
      if not self:fill() then return nil end
    end
    local s = self.buf:sub(1, n)
    self.buf = self.buf:sub(n + 1)
    return s
  end
  function r:rest(limit)
    while #self.buf < limit and self:fill() do end
    local s = self.buf
    self.buf = ""
    return s
  end
  return r
end

local function build_request(host, port, method, path, options)
  local hdrs = {
    { "Connection", "close" },
    { "User-Agent", USER_AGENT },
    { "Host", host_header(host, port) },
  }
  local extra = options.header or {}
  local function set(k, v)
    for _, h in ipairs(hdrs) do
      if h[1]:lower() == k:lower() then h[2] = v; return end
    end
    hdrs[#hdrs + 1] = { k, v }
  end
  for k, v in pairs(extra) do if v ~= false then set(k, tostring(v)) end end
  if options.cookies then
    local cs = {}
    if type(options.cookies) == "string" then cs[1] = options.cookies
    else for _, c in ipairs(options.cookies) do cs[#cs + 1] = c.name .. "=" .. c.value end end
    if #cs > 0 then set("Cookie", table.concat(cs, "; ")) end
  end
  local body = options.content
  if type(body) == "table" then
    local t = {}
    for k, v in pairs(body) do t[#t + 1] = k .. "=" .. v end
    body = table.concat(t, "&")
    if not extra["Content-Type"] then set("Content-Type", "application/x-www-form-urlencoded") end
  end
  if body then set("Content-Length", tostring(#body)) end
  local lines = { string.format("%s %s HTTP/1.1", method, path) }
  for _, h in ipairs(hdrs) do lines[#lines + 1] = h[1] .. ": " .. h[2] end
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. (body or "")
end

local function fail(msg)
  return { status = nil, ["status-line"] = nil, header = {}, rawheader = {}, body = nil, cookies = {}, ERROR = msg }
end

--- Parse a response read from a reader.
local function read_response(rd, method)
  local line
  repeat
    line = rd:line()
    if not line then return fail(rd.err or "EOF") end
  until line ~= ""
  local version, code = line:match("^HTTP/(%d+%.%d+)%s+(%d%d%d)")
  if not version then return fail("not an HTTP response: " .. line:sub(1, 80)) end
  local resp = {
    status = tonumber(code), ["status-line"] = line .. "\r\n", version = version,
    header = {}, rawheader = {}, cookies = {},
  }
  while true do
    local l = rd:line()
    if not l then return fail("incomplete headers") end
    if l == "" then break end
    resp.rawheader[#resp.rawheader + 1] = l
    local k, v = l:match("^([^:]+):%s*(.-)%s*$")
    if k then
      k = k:lower()
      if resp.header[k] then resp.header[k] = resp.header[k] .. ", " .. v else resp.header[k] = v end
      if k == "set-cookie" then
        local c = parse_set_cookie(v)
        if c then resp.cookies[#resp.cookies + 1] = c end
      end
    end
  end
  if resp.status >= 100 and resp.status < 200 and resp.status ~= 101 then
    return read_response(rd, method)
  end
  if method == "HEAD" or resp.status == 204 or resp.status == 304 or resp.status == 101 then
    resp.body = ""
    return resp
  end
  local te = resp.header["transfer-encoding"]
  if te and te:lower():find("chunked", 1, true) then
    local parts, total = {}, 0
    while true do
      local sl = rd:line()
      if not sl then resp.incomplete = true; break end
      local n = tonumber(sl:match("^%s*(%x+)") or "", 16)
      if not n then resp.incomplete = true; break end
      if n == 0 then
        repeat local t = rd:line() until not t or t == ""
        break
      end
      local chunk = rd:bytes(n)
      if not chunk then resp.incomplete = true; parts[#parts + 1] = rd:rest(MAX_BODY); break end
      parts[#parts + 1] = chunk
      total = total + n
      rd:line()
      if total > MAX_BODY then resp.truncated = true; break end
    end
    resp.body = table.concat(parts)
  elseif resp.header["content-length"] and tonumber(resp.header["content-length"]) then
    local n = tonumber(resp.header["content-length"])
    if n > MAX_BODY then n = MAX_BODY; resp.truncated = true end
    resp.body = rd:bytes(n)
    if not resp.body then resp.incomplete = true; resp.body = rd:rest(n) end
  else
    resp.body = rd:rest(MAX_BODY)
  end
  return resp
end

local function one_request(host, port, method, path, options)
  local sock = nmap.new_socket()
  sock:set_timeout(options.timeout or 10000)
  local proto = is_ssl(port) and "ssl" or "tcp"
  if options.scheme == "https" then proto = "ssl" elseif options.scheme == "http" then proto = "tcp" end
  local ok, err = sock:connect(host, port, proto)
  if not ok then return fail("connect: " .. tostring(err)) end
  ok, err = sock:send(build_request(host, port, method, path, options))
  if not ok then sock:close(); return fail("send: " .. tostring(err)) end
  local resp = read_response(reader(sock), method)
  sock:close()
  return resp
end

local function redirect_allowed(options, count)
  local r = options.redirect_ok
  if r == false then return false end
  if type(r) == "number" then return count < r end
  if type(r) == "function" then return r(count) end
  return count < MAX_REDIRECTS
end

local function same_target(host, url)
  if not url.host then return true end
  local h = url.host:lower()
  if type(host) == "table" then
    return h == host.ip or h == (host.targetname or ""):lower() or h == (host.name or ""):lower()
  end
  return h == tostring(host):lower()
end

--- Send a request with any method; follows redirects for GET and HEAD.
-- @param host host table or address
-- @param port port table or number
-- @param method "GET", "HEAD", "OPTIONS", ...
-- @param path request target, "/" if nil
-- @param options table: header, content, cookies, timeout, redirect_ok
--        (false, a number of redirects, or function(count)), scheme
-- @return response table
function generic_request(host, port, method, path, options)
  options = options or {}
  path = path or "/"
  local resp = one_request(host, port, method, path, options)
  local chain, count = {}, 0
  while resp.status and resp.status >= 300 and resp.status < 400 and resp.header.location
      and (method == "GET" or method == "HEAD") and options.redirect_ok ~= nil and redirect_allowed(options, count) do
    local u = parse_url(resp.header.location)
    if not same_target(host, u) then break end
    local p = port
    if u.host then
      if portnum(port) ~= u.port then p = { number = u.port, protocol = "tcp", service = u.scheme } end
    elseif not u.path:match("^/") then
      u.path = path:gsub("[^/]*$", "") .. u.path
    end
    chain[#chain + 1] = resp.header.location
    count = count + 1
    local o = {}
    for k, v in pairs(options) do o[k] = v end
    o.scheme = u.scheme
    resp = one_request(host, p, method, u.path, o)
    path = u.path
  end
  resp.location = chain
  return resp
end

local function with_redirects(options)
  options = options or {}
  local o = {}
  for k, v in pairs(options) do o[k] = v end
  if o.redirect_ok == nil then o.redirect_ok = MAX_REDIRECTS end
  return o
end

--- GET a path (follows up to MAX_REDIRECTS same-host redirects unless options.redirect_ok = false).
function get(host, port, path, options)
  return generic_request(host, port, "GET", path, with_redirects(options))
end

--- HEAD a path.
function head(host, port, path, options)
  return generic_request(host, port, "HEAD", path, with_redirects(options))
end

--- POST to a path. <code>postdata</code> is a string or a table of form fields.
function post(host, port, path, options, ignored, postdata)
  options = options or {}
  local o = {}
  for k, v in pairs(options) do o[k] = v end
  o.content = postdata or o.content
  return generic_request(host, port, "POST", path, o)
end

--- GET a full URL (http or https).
function get_url(url, options)
  local u = parse_url(url)
  local o = with_redirects(options)
  o.scheme = u.scheme
  return generic_request(u.host, { number = u.port, protocol = "tcp", service = u.scheme }, "GET", u.path, o)
end

--- Portrule helper: HTTP-ish ports.
http_portrule = shortport.http

return _ENV
