-- datetime: date formatting as scripts print it.

local M = {}

local function utc_offset(t)
  local utc = os.date("!*t", t)
  utc.isdst = false
  return os.difftime(t, os.time(utc))
end

-- Formats seconds since the epoch (or a date table) as an ISO 8601 time,
-- "2024-03-05T10:00:00", with "+01:00" style offset when `offset` is given.
function M.format_timestamp(t, offset)
  if type(t) == "table" then
    local d = {}
    for k, v in pairs(t) do
      d[k] = v
    end
    t = os.time(d) + utc_offset(os.time(d))
  end
  local tz = ""
  if offset then
    local sign = offset < 0 and "-" or "+"
    local o = math.abs(offset)
    tz = string.format("%s%02d:%02d", sign, o // 3600, (o % 3600) // 60)
    t = t + offset
  end
  local frac = t - math.floor(t)
  local s = os.date("!%Y-%m-%dT%H:%M:%S", math.floor(t))
  if frac > 0 then
    s = s .. string.format("%.3f", frac):sub(2)
  end
  return s .. tz
end

-- "2d13h04m15s"-style durations, as Nmap prints uptimes and clock skews.
function M.format_time(interval, unit)
  local sign = ""
  if interval < 0 then
    sign = "-"
    interval = -interval
  end
  interval = interval * (unit or 1)
  if interval == math.floor(interval) and interval < 60 then
    return string.format("%s%ds", sign, interval)
  end
  local parts = {}
  local s = math.floor(interval)
  local d = s // 86400
  local h = (s % 86400) // 3600
  local m = (s % 3600) // 60
  local sec = interval - d * 86400 - h * 3600 - m * 60
  if d > 0 then
    parts[#parts + 1] = string.format("%dd", d)
  end
  if d > 0 or h > 0 then
    parts[#parts + 1] = string.format(#parts > 0 and "%02dh" or "%dh", h)
  end
  if d > 0 or h > 0 or m > 0 then
    parts[#parts + 1] = string.format(#parts > 0 and "%02dm" or "%dm", m)
  end
  if sec == math.floor(sec) then
    parts[#parts + 1] = string.format(#parts > 0 and "%02ds" or "%ds", math.floor(sec))
  else
    parts[#parts + 1] = string.format(#parts > 0 and "%06.3fs" or "%.3fs", sec)
  end
  return sign .. table.concat(parts)
end

-- Seconds difference between a remote time and ours (clock skew).
function M.record_skew(host, timestamp, received)
  local skew = os.difftime(math.floor(timestamp), math.floor(received))
  host.registry.datetime_skew = host.registry.datetime_skew or {}
  table.insert(host.registry.datetime_skew, skew)
  return skew
end

return M
