local netutil = require "netutil"
local nmap = require "nmap"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"

description = [[
Connects to an open TCP port and prints whatever the service sends first
(within <code>banner.timeout</code>), with unprintable bytes escaped as
<code>\xNN</code>, cut after two lines unless -v. A trailing line ending is dropped. Services that wait for
the client to speak first (HTTP, ...) give no output.
]]

---
-- @usage nmap --script banner -p 21,22,25 <target>
-- @args banner.timeout How long to wait for data, e.g. "5s" or "500ms" (default 5s).
-- @args banner.ports Run on these ports only (a port spec like "21-25,80").
-- @output
-- 21/tcp open  ftp
-- |_banner: 220 FTP server ready

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "safe" }

local MAX = 2048

local function parse_timeout(s)
  if not s then return 5000 end
  local n, unit = tostring(s):match("^(%d+%.?%d*)(%a*)$")
  n = tonumber(n)
  if not n then return 5000 end
  if unit == "ms" then return n end
  if unit == "m" then return n * 60000 end
  if unit == "h" then return n * 3600000 end
  return n * 1000
end

portrule = function(host, port)
  local only = stdnse.get_script_args(SCRIPT_NAME .. ".ports")
  if only then return shortport.portnumber(only:gsub("%s", ""))(host, port) end
  return port.protocol == "tcp" and port.state == "open"
end

local function wrap(s, first, rest)
  local out, i = {}, 1
  local w = first
  while i <= #s do
    out[#out + 1] = s:sub(i, i + w - 1)
    i = i + w
    w = rest
  end
  return table.concat(out, "\n")
end

action = function(host, port)
  local timeout = parse_timeout(stdnse.get_script_args(SCRIPT_NAME .. ".timeout"))
  local c = netutil.connect(host, port, "tcp", timeout)
  if not c then return nil end
  local data = ""
  while #data < MAX do
    local ok, chunk = c.sock:receive()
    if not ok then break end
    data = data .. chunk
    -- a complete first message is enough; wait a little for the rest of it
    if data:find("\n", 1, true) then
      c.sock:set_timeout(200)
    end
  end
  c:close()
  data = data:sub(1, MAX):gsub("[\r\n]+$", "")
  if data == "" then return nil end
  local text = netutil.escape(data)
  -- as Nmap lays it out: two lines at most (cut with "...") unless -v,
  -- 63 columns on the first line, 72 on the next ones
  local verbose = nmap.verbosity and nmap.verbosity() > 1
  if not verbose and #text > 131 then text = text:sub(1, 131) .. "..." end
  return wrap(text, 63, 72)
end
