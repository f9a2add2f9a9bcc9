local netutil = require "netutil"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local nmap = require "nmap"

description = [[
Checks whether an FTP server allows anonymous login (USER anonymous), and
if so lists the top directory over a passive data connection (EPSV, else
PASV; the data connection always goes to the scanned address, never to the
address the server names).
]]

---
-- @usage nmap --script ftp-anon -p 21 <target>
-- @args ftp-anon.maxlist Most listing lines shown (default 20; 0 = all).
-- @output
-- 21/tcp open  ftp
-- | ftp-anon: Anonymous FTP login allowed (FTP code 230)
-- |_-rw-r--r--    1 0        0              29 Nov 29 10:28 README

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "auth", "safe" }

portrule = shortport.port_or_service({ 21, 990, 2121 }, { "ftp", "ftps" })

local function data_port(c)
  local code, lines = c:command("EPSV")
  if code == 229 then
    local p = lines[1]:match("%(|||(%d+)|%)")
    if p then return tonumber(p) end
  end
  code, lines = c:command("PASV")
  if code == 227 then
    local p1, p2 = lines[1]:match("%d+,%d+,%d+,%d+,(%d+),(%d+)")
    if p1 then return tonumber(p1) * 256 + tonumber(p2) end
  end
  return nil
end

local function list(host, c)
  local dport = data_port(c)
  if not dport then return nil end
  local d = netutil.connect(host, { number = dport, protocol = "tcp" }, "tcp", 8000)
  if not d then return nil end
  local ok = c:send("LIST\r\n")
  if not ok then d:close(); return nil end
  local code = c:reply()
  if not code or code >= 400 then d:close(); return nil end
  local data = d:until_closed(65536)
  d:close()
  c:reply()
  return data
end

action = function(host, port)
  local c = netutil.connect(host, port, "tcp", 8000)
  if not c then return nil end
  local code = c:reply()
  if not code or code >= 400 then c:close(); return nil end
  code = c:command("USER anonymous")
  if code == 331 then
    code = c:command("PASS IEUser@")
  end
  if code ~= 230 and code ~= 202 then
    c:close()
    return nil
  end
  local out = { string.format("Anonymous FTP login allowed (FTP code %d)", code) }
  local data = list(host, c)
  c:command("QUIT")
  c:close()
  if data then
    local max = tonumber(stdnse.get_script_args(SCRIPT_NAME .. ".maxlist")) or 20
    local n = 0
    for line in data:gmatch("[^\r\n]+") do
      n = n + 1
      if max > 0 and n > max then  -- maxlist <= 0 lists everything
        out[#out + 1] = "Only " .. max .. " shown. Use --script-args " .. SCRIPT_NAME .. ".maxlist=-1 to see all."
        break
      end
      out[#out + 1] = netutil.escape(line)
    end
  end
  return table.concat(out, "\n")
end
