local http = require "http"
local shortport = require "shortport"
local stdnse = require "stdnse"
local table = require "table"

description = [[
Shows the Server header(s) a web server sends with its root page.
]]

---
-- @usage nmap --script http-server-header -p 80 <target>
-- @output
-- 80/tcp open  http
-- |_http-server-header: nginx/1.22.1
-- @xmloutput
-- <elem>nginx/1.22.1</elem>

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "version" }

portrule = shortport.http

action = function(host, port)
  local resp = http.get(host, port, "/", { redirect_ok = false })
  local servers = {}
  if resp.status then
    for _, h in ipairs(resp.rawheader) do
      local v = h:match("^[Ss][Ee][Rr][Vv][Ee][Rr]:%s*(.-)%s*$")
      if v then servers[#servers + 1] = v end
    end
  end
  if #servers == 0 then return nil end
  return servers, table.concat(servers, "\n")
end
