local http = require "http"
local shortport = require "shortport"
local stdnse = require "stdnse"
local table = require "table"

description = [[
Reports the HTTP security headers of a web server's root page:
Strict-Transport-Security (and its absence over HTTPS),
Content-Security-Policy, X-Frame-Options, X-XSS-Protection,
X-Content-Type-Options, Referrer-Policy, Permissions-Policy, Cache-Control,
Pragma and Expires.
]]

---
-- @usage nmap --script http-security-headers -p 443 <target>
-- @args http-security-headers.path Path to request (default "/").
-- @output
-- 443/tcp open  https
-- | http-security-headers:
-- |   Strict_Transport_Security:
-- |_    HSTS not configured in HTTPS Server

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "safe" }

portrule = shortport.http

local HEADERS = {
  { "strict-transport-security", "Strict_Transport_Security", "Strict-Transport-Security" },
  { "content-security-policy", "Content_Security_Policy", "Content-Security-Policy" },
  { "x-frame-options", "X_Frame_Options", "X-Frame-Options" },
  { "x-xss-protection", "X_XSS_Protection", "X-XSS-Protection" },
  { "x-content-type-options", "X_Content_Type_Options", "X-Content-Type-Options" },
  { "referrer-policy", "Referrer_Policy", "Referrer-Policy" },
  { "permissions-policy", "Permissions_Policy", "Permissions-Policy" },
  { "cache-control", "Cache_Control", "Cache-Control" },
  { "pragma", "Pragma", "Pragma" },
  { "expires", "Expires", "Expires" },
}

action = function(host, port)
  local path = stdnse.get_script_args(SCRIPT_NAME .. ".path") or "/"
  local resp = http.head(host, port, path)
  if not resp.status then return nil end
  local out = stdnse.output_table()
  local lines = {}
  for _, h in ipairs(HEADERS) do
    local v = resp.header[h[1]]
    if v then
      out[h[2]] = { "Header: " .. h[3] .. ": " .. v }
      lines[#lines + 1] = "  " .. h[2] .. ": \n    Header: " .. h[3] .. ": " .. v
    elseif h[1] == "strict-transport-security" and http.is_ssl(port) then
      out[h[2]] = { "HSTS not configured in HTTPS Server" }
      lines[#lines + 1] = "  " .. h[2] .. ": \n    HSTS not configured in HTTPS Server"
    end
  end
  if #lines == 0 then return nil end
  return out, "\n" .. table.concat(lines, "\n")
end
