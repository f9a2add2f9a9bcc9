local http = require "http"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"

description = [[
Shows the title of a web server's default page (the text of its
<code>&lt;title&gt;</code> element). Redirects to the same host are followed;
a redirect elsewhere is reported instead.
]]

---
-- @usage nmap --script http-title -p 80,443 <target>
-- @args http-title.url Path to fetch (default "/").
-- @output
-- 80/tcp open  http
-- |_http-title: Welcome to example.com
-- @xmloutput
-- <elem key="title">Welcome to example.com</elem>
-- <elem key="redirect_url">https://example.com/</elem>

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "discovery", "safe" }

portrule = shortport.http

-- the title as written in the page (entities are not decoded, as Nmap shows it),
-- whitespace runs made single spaces
local function clean(t)
  t = t:gsub("[\r\n\t]+", " "):gsub("^%s+", ""):gsub("%s+$", "")
  return t
end

action = function(host, port)
  local path = stdnse.get_script_args(SCRIPT_NAME .. ".url") or "/"
  local resp = http.get(host, port, path)
  if not resp.status then
    stdnse.debug1("request failed: %s", tostring(resp.ERROR))
    return nil
  end
  local out = stdnse.output_table()
  if resp.status >= 300 and resp.status < 400 and resp.header.location then
    out.redirect_url = resp.header.location
    return out, "Did not follow redirect to " .. resp.header.location
  end
  local title = resp.body and resp.body:match("<[Tt][Ii][Tt][Ll][Ee][^>]*>(.-)</[Tt][Ii][Tt][Ll][Ee]%s*>")
  local text
  if title and title:match("%S") then
    out.title = clean(title)
    text = out.title
  else
    local ctype = resp.header["content-type"]
    text = "Site doesn't have a title" .. (ctype and (" (" .. ctype .. ")") or "") .. "."
  end
  if #resp.location > 0 then
    out.redirect_url = resp.location[#resp.location]
    text = text .. "\nRequested resource was " .. out.redirect_url
  end
  return out, text
end
