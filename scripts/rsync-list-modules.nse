local netutil = require "netutil"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local math = require "math"

description = [[
Lists the modules an rsync daemon offers (the answer to an empty module
request), with their comments.
]]

---
-- @usage nmap --script rsync-list-modules -p 873 <target>
-- @output
-- 873/tcp open  rsync
-- | rsync-list-modules:
-- |_  pub            	nmaps lab files

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "safe" }

portrule = shortport.port_or_service(873, "rsync")

action = function(host, port)
  local c = netutil.connect(host, port, "tcp", 8000)
  if not c then return nil end
  local greeting = c:line()
  local ver = greeting and greeting:match("^@RSYNCD: (%d+)")
  if not ver then c:close(); return nil end
  c:send("@RSYNCD: " .. math.min(tonumber(ver), 31) .. ".0\n")
  c:send("\n")
  local modules = {}
  while true do
    local l = c:line()
    if not l or l:match("^@RSYNCD: EXIT") then break end
    if l:match("^@ERROR") then
      c:close()
      return stdnse.format_output(false, l)
    end
    if not l:match("^@RSYNCD:") and l ~= "" then modules[#modules + 1] = l end
  end
  c:close()
  if #modules == 0 then return nil end
  return modules
end
