local http = require "http"
local shortport = require "shortport"
local stdnse = require "stdnse"
local table = require "table"
local string = require "string"
local math = require "math"
local nmap = require "nmap"

description = [[
Reads <code>/robots.txt</code> from a web server and lists the paths its
Disallow lines name (at most 15 unless verbose).
]]

---
-- @usage nmap --script http-robots.txt -p 80 <target>
-- @output
-- 80/tcp open  http
-- | http-robots.txt: 2 disallowed entries
-- |_/admin/ /private/

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "discovery", "safe" }

portrule = shortport.http

action = function(host, port)
  local resp = http.get(host, port, "/robots.txt")
  if not resp.status or resp.status ~= 200 or not resp.body then return nil end
  local ctype = resp.header["content-type"] or ""
  if ctype:find("html", 1, true) and resp.body:find("<html", 1, true) then return nil end
  local entries = {}
  for line in resp.body:gmatch("[^\r\n]+") do
    local p = line:match("^%s*[Dd]isallow%s*:%s*(%S*)")
    if p and p ~= "" then entries[#entries + 1] = p end
  end
  if #entries == 0 then return nil end
  local limit = 15
  if nmap and nmap.verbosity and nmap.verbosity() > 1 then limit = #entries end
  local shown = {}
  for i = 1, math.min(limit, #entries) do shown[i] = entries[i] end
  local head = string.format("%d disallowed entr%s", #entries, #entries == 1 and "y" or "ies")
  if #entries > limit then head = head .. string.format(" (%d shown)", limit) end
  -- six entries a line, as Nmap lays them out
  local lines, cur = {}, {}
  for i, p in ipairs(shown) do
    cur[#cur + 1] = p
    if #cur == 6 or i == #shown then lines[#lines + 1] = table.concat(cur, " "); cur = {} end
  end
  return head .. " \n" .. table.concat(lines, "\n")
end
