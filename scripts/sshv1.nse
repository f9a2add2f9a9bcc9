local netutil = require "netutil"
local shortport = require "shortport"
local stdnse = require "stdnse"

description = [[
Tells whether an SSH server still accepts the obsolete, insecure protocol
version 1: its version string says "SSH-1.x" (only version 1) or
"SSH-1.99" (both).
]]

---
-- @usage nmap --script sshv1 -p 22 <target>
-- @output
-- 22/tcp open  ssh
-- |_sshv1: Server supports SSHv1

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "safe" }

portrule = shortport.port_or_service(22, "ssh")

action = function(host, port)
  local c = netutil.connect(host, port, "tcp", 8000)
  if not c then return nil end
  local version
  for _ = 1, 20 do
    local l = c:line()
    if not l then break end
    if l:match("^SSH%-") then version = l; break end
  end
  c:close()
  if version and version:match("^SSH%-1%.") then
    return "Server supports SSHv1"
  end
  return nil
end
