local nmap = require "nmap"
local http = require "http"
local shortport = require "shortport"
local stdnse = require "stdnse"
local table = require "table"

description = [[
Finds the HTTP methods a web server supports: first from the Allow (or
Public) header of an OPTIONS request; when there is none, by trying GET,
HEAD, POST and OPTIONS one by one. Methods that are potentially risky
(anything other than GET, HEAD, POST and OPTIONS, e.g. PUT, DELETE, TRACE)
are listed apart.
]]

---
-- @usage nmap --script http-methods -p 80 <target>
-- @args http-methods.url-path Path to test (default "/").
-- @args http-methods.test-all Also try the potentially risky methods found.
-- @output
-- 80/tcp open  http
-- | http-methods:
-- |   Supported Methods: GET HEAD POST OPTIONS PUT
-- |_  Potentially risky methods: PUT
-- @xmloutput
-- <table key="Supported Methods"><elem>GET</elem><elem>HEAD</elem></table>

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "safe" }

portrule = shortport.http

local SAFE = { GET = true, HEAD = true, POST = true, OPTIONS = true }

action = function(host, port)
  local path = stdnse.get_script_args(SCRIPT_NAME .. ".url-path") or "/"
  local methods = {}
  local resp = http.generic_request(host, port, "OPTIONS", path)
  if not resp.status then return nil end
  local allow = resp.header["allow"] or resp.header["public"]
  if allow and resp.status < 400 then
    for m in allow:gmatch("[%w%-_]+") do
      m = m:upper()
      if not methods[m] then methods[m] = true; methods[#methods + 1] = m end
    end
  else
    for _, m in ipairs({ "GET", "HEAD", "POST", "OPTIONS" }) do
      local r = http.generic_request(host, port, m, path)
      if r.status and r.status ~= 405 and r.status ~= 501 and r.status ~= 400 and r.status < 500 then
        methods[#methods + 1] = m
      end
    end
  end
  if #methods == 0 then return nil end
  local out = stdnse.output_table()
  out["Supported Methods"] = methods
  local lines = { "  Supported Methods: " .. table.concat(methods, " ") }
  local risky = {}
  for _, m in ipairs(methods) do if not SAFE[m] then risky[#risky + 1] = m end end
  if #risky > 0 then
    out["Potentially risky methods"] = risky
    lines[#lines + 1] = "  Potentially risky methods: " .. table.concat(risky, " ")
  elseif nmap.verbosity() == 0 then
    -- As Nmap's: only safe methods are news only when asked for (-v, or
    -- the script named on the command line, which raises its verbosity).
    return nil
  end
  return out, "\n" .. table.concat(lines, "\n")
end
