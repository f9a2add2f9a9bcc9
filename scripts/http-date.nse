local http = require "http"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local os = require "os"
local math = require "math"

description = [[
Reads the Date header of a web server and shows how far its clock is from
the scanner's.
]]

---
-- @usage nmap --script http-date -p 80 <target>
-- @output
-- 80/tcp open  http
-- |_http-date: Sun, 29 Nov 2026 10:31:25 GMT; 0s from local time.
-- @xmloutput
-- <elem key="date">2026-11-29T10:31:25+00:00</elem>
-- <elem key="delta">0.0</elem>

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "safe" }

portrule = shortport.http

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 }

-- days since 1970-01-01 of a civil date (proleptic Gregorian)
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function parse_date(s)
  -- RFC 1123, RFC 850 and asctime forms
  local d, mon, y, H, M, S = s:match("%a+,%s+(%d+)%s+(%a+)%s+(%d+)%s+(%d+):(%d+):(%d+)")
  if not d then
    d, mon, y, H, M, S = s:match("%a+,%s+(%d+)%-(%a+)%-(%d+)%s+(%d+):(%d+):(%d+)")
    if y and #y == 2 then y = "19" .. y end
  end
  if not d then
    mon, d, H, M, S, y = s:match("%a+%s+(%a+)%s+(%d+)%s+(%d+):(%d+):(%d+)%s+(%d+)")
  end
  if not d or not MONTHS[mon] then return nil end
  return days_from_civil(tonumber(y), MONTHS[mon], tonumber(d)) * 86400 + tonumber(H) * 3600 + tonumber(M) * 60 + tonumber(S)
end

local function format_delta(delta)
  local sign = delta < 0 and "-" or ""
  local s = math.floor(math.abs(delta) + 0.5)
  local d, h, m = s // 86400, (s % 86400) // 3600, (s % 3600) // 60
  s = s % 60
  if d > 0 then return string.format("%s%dd%02dh%02dm%02ds", sign, d, h, m, s) end
  if h > 0 then return string.format("%s%dh%02dm%02ds", sign, h, m, s) end
  if m > 0 then return string.format("%s%dm%02ds", sign, m, s) end
  return string.format("%s%ds", sign, s)
end

action = function(host, port)
  local resp = http.get(host, port, "/", { redirect_ok = false })
  local now = os.time()
  if not resp.status or not resp.header.date then return nil end
  local t = parse_date(resp.header.date)
  if not t then
    return nil
  end
  local delta = t - now
  local out = stdnse.output_table()
  out.date = os.date("!%Y-%m-%dT%H:%M:%S+00:00", t)
  out.delta = string.format("%.1f", delta)
  return out, string.format("%s; %s from local time.", resp.header.date, format_delta(delta))
end
