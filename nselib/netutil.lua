---
-- Buffered connections for line-oriented protocols (FTP, SMTP, Redis,
-- memcached, rsync, finger, ...) on top of nmap sockets, and readers for
-- the multi-line numbered replies of FTP and SMTP.
--
-- <code>netutil.connect(host, port, proto, timeout)</code> returns a
-- connection object or nil, error. Methods: <code>send(data)</code>,
-- <code>line()</code> (next line without its CR LF, or nil),
-- <code>bytes(n)</code>, <code>until_closed(limit)</code>,
-- <code>reply()</code> (an FTP/SMTP reply: code, list of text lines),
-- <code>command(cmd)</code> (send cmd CR LF and read the reply), <code>close()</code>.
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

local nmap = require "nmap"
local string = require "string"
local table = require "table"

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

-- the module table; names it lacks (require, print, ...) are read from the globals
local _ENV = setmetatable({}, { __index = _G })

local Conn = {}
Conn.__index = Conn

--- Open a connection. proto is "tcp" (default), "udp" or "ssl".
function connect(host, port, proto, timeout)
  local sock = nmap.new_socket()
  sock:set_timeout(timeout or 8000)
  local ok, err = sock:connect(host, port, proto or (type(port) == "table" and port.protocol) or "tcp")
  if not ok then return nil, err end
  return setmetatable({ sock = sock, buf = "", eof = false }, Conn)
end

--- Wrap an already connected nmap socket.
function wrap(sock)
  return setmetatable({ sock = sock, buf = "", eof = false }, Conn)
end

function Conn:fill()
  if self.eof then return false end
  local ok, data = self.sock:receive()
  if not ok then self.eof = true; self.err = data; return false end
  self.buf = self.buf .. data
  return true
end

function Conn:send(data)
  return self.sock:send(data)
end

function Conn:line(limit)
  limit = limit or 65536
  while true do
    local i = self.buf:find("\n", 1, true)
    if i then
      local l = self.buf:sub(1, i - 1):gsub("\r$", "")
      self.buf = self.buf:sub(i + 1)
      return l
    end
    if #self.buf > limit then
      local l = self.buf
      self.buf = ""
      return l
    end
    if not self:fill() then
      if self.buf ~= "" then
        local l = self.buf
        self.buf = ""
        return l
      end
      return nil, self.err
    end
  end
end

function Conn:bytes(n)
  while #self.buf < n do
    if not self:fill() then return nil, self.err end
  end
  local s = self.buf:sub(1, n)
  self.buf = self.buf:sub(n + 1)
  return s
end

--- Everything until the peer closes, a timeout, or limit bytes.
function Conn:until_closed(limit)
  limit = limit or 65536
  while #self.buf < limit and self:fill() do end
  local s = self.buf:sub(1, limit)
  self.buf = ""
  return s
end

--- Read one FTP/SMTP style reply ("123-text" continuation lines, "123 text" last).
-- @return code (number) and a table of text lines (codes removed), or nil, error
function Conn:reply()
  local lines = {}
  local code
  while true do
    local l, err = self:line()
    if not l then return nil, err or "EOF" end
    local c, sep, text = l:match("^(%d%d%d)([ -]?)(.*)$")
    if c then
      code = code or c
      lines[#lines + 1] = text
      if c == code and sep ~= "-" then return tonumber(code), lines end
    else
      -- continuation line without a code (FTP allows it inside 123- ... 123 blocks)
      lines[#lines + 1] = l
      if not code then return nil, "not a reply: " .. l end
    end
  end
end

function Conn:command(cmd)
  local ok, err = self:send(cmd .. "\r\n")
  if not ok then return nil, err end
  return self:reply()
end

function Conn:close()
  return self.sock:close()
end

--- Escape a byte string for display: printable ASCII stays, the rest is \xNN
-- (\r and \n too, so a banner stays on one line).
function escape(s)
  return (s:gsub("[^\32-\126]", function(c) return string.format("\\x%02X", c:byte()) end))
end

return _ENV
