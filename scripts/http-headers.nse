local http = require "http"
local shortport = require "shortport"
local stdnse = require "stdnse"
local table = require "table"

description = [[
Sends a HEAD request for the root page (or <code>path</code>) of a web
server and shows the headers it returns, in the order received. When HEAD
fails, a GET is used instead.
]]

---
-- @usage nmap --script http-headers -p 80 <target>
-- @args path The path to request (default "/").
-- @args useget Use GET instead of HEAD.
-- @output
-- 80/tcp open  http
-- | http-headers:
-- |   Server: nginx/1.22.1
-- |   Content-Type: text/html
-- |   Connection: close
-- |
-- |_  (Request type: HEAD)

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "safe" }

portrule = shortport.http

action = function(host, port)
  local path = stdnse.get_script_args(SCRIPT_NAME .. ".path") or "/"
  local useget = stdnse.get_script_args(SCRIPT_NAME .. ".useget")
  local rtype = "HEAD"
  local resp
  if not useget then
    resp = http.head(host, port, path, { redirect_ok = false })
  end
  -- fall back to GET when HEAD is refused or breaks, but not after a timeout
  local timed_out = resp and not resp.status and tostring(resp.ERROR):upper():find("TIMEOUT")
  if timed_out then return nil end
  if useget or not resp.status or resp.status >= 400 and resp.status ~= 404 then
    rtype = "GET"
    resp = http.get(host, port, path, { redirect_ok = false })
  end
  if not resp.status or #resp.rawheader == 0 then
    return nil
  end
  local lines = {}
  for _, h in ipairs(resp.rawheader) do lines[#lines + 1] = "  " .. h end
  lines[#lines + 1] = "  "
  lines[#lines + 1] = "  (Request type: " .. rtype .. ")"
  return "\n" .. table.concat(lines, "\n") .. "\n"
end
