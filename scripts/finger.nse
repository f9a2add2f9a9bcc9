local netutil = require "netutil"
local shortport = require "shortport"
local stdnse = require "stdnse"
local nmap = require "nmap"
local string = require "string"

description = [[
Asks a finger server for its list of users (an empty query) and shows the
answer. Slow servers are read for at most <code>finger.timeout</code>.
]]

---
-- @usage nmap --script finger -p 79 <target>
-- @args finger.timeout Total time to read, e.g. "10s" (default 10s).
-- @output
-- 79/tcp open  finger
-- | finger:
-- | Login     Name       Tty      Idle  Login Time   Office     Office Phone
-- |_root      root      *tty1      12d  Apr 12 09:11

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "discovery", "safe" }

portrule = shortport.port_or_service(79, "finger")

action = function(host, port)
  local limit = tonumber((tostring(stdnse.get_script_args(SCRIPT_NAME .. ".timeout") or "10"):gsub("s$", ""))) or 10
  local c = netutil.connect(host, port, "tcp", 5000)
  if not c then return nil end
  c:send("\r\n")
  local start = nmap.clock()
  local data = ""
  while nmap.clock() - start < limit and #data < 8192 do
    local ok, chunk = c.sock:receive()
    if not ok then break end
    data = data .. chunk
  end
  c:close()
  data = data:gsub("\r", ""):gsub("\n+$", "")
  if data == "" then return nil end
  data = data:gsub("[^\n\32-\126]", function(ch) return string.format("\\x%02X", ch:byte()) end)
  if data:find("\n", 1, true) then return "\n" .. data end
  return data
end
