-- datetime: dates and durations as scripts print them.
local M = {}

local floor = math.floor
local format = string.format

-- Seconds east of UTC of the local time zone.
local OFFSET = os.difftime(os.time(os.date("*t", 86400)), os.time(os.date("!*t", 86400)))

function M.utc_offset()
  return OFFSET
end

-- Seconds since the epoch of a date table in UTC shifted by `offset` seconds.
function M.date_to_timestamp(date_t, offset)
  local ok, t = pcall(os.time, date_t)
  if not ok then
    return nil
  end
  return t + OFFSET - (offset or 0)
end

local function tz(offset)
  if not offset then
    return ""
  end
  local sign = "+"
  if offset < 0 then
    sign, offset = "-", -offset
  end
  local minutes = floor(offset / 60)
  return format("%s%02d:%02d", sign, floor(minutes / 60), floor(math.fmod(minutes, 60)))
end

-- "2024-03-05T10:00:00" (whole seconds), with "+01:00" when an offset (in
-- seconds) is given; a date table is printed field by field.
function M.format_timestamp(t, offset)
  if type(t) == "table" then
    return format("%d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day, t.hour, t.min, t.sec)
  end
  local when = floor(t + (offset or 0))
  local ok, s = pcall(os.date, "!%Y-%m-%dT%H:%M:%S", when)
  if not ok then
    -- Outside what the platform's dates cover: shift by whole years.
    local year = 31556926
    local extra
    if when > 0xffffffff then
      extra = (when - 0xffffffff) // year + 1
    elseif when < -OFFSET then
      extra = when // year
    end
    if extra then
      local ok2, d = pcall(os.date, "!*t", when - extra * year)
      if ok2 then
        ok, s = true, format("%d-%02d-%02d?", d.year + extra, d.month, d.day)
      end
    end
  end
  if not ok then
    return ("Invalid timestamp: %s"):format(t)
  end
  return s .. tz(offset)
end

-- "1d02h03m04s" without leading zero fields ("59s", "1m02s"); `unit` is
-- how many of `interval` make a second (1000 for milliseconds), and sets
-- the decimals of the seconds.
function M.format_time(interval, unit)
  local sign = ""
  if interval < 0 then
    sign, interval = "-", math.abs(interval)
  end
  unit = unit or 1
  local decimals = floor(math.log(unit, 10))
  local sec = (interval % (60 * unit)) / unit
  interval = interval // (60 * unit)
  local min = interval % 60
  interval = interval // 60
  local hr = interval % 24
  local days = interval // 24
  local s = format("%.0fd%02.0fh%02.0fm%02." .. decimals .. "fs", days, hr, min, sec)
  return sign .. (s:match("([1-9].*)") or format("%0." .. decimals .. "fs", 0))
end

-- The difference of two date tables: "+1y2d03h" style, years counted apart.
function M.format_difftime(t2, t1)
  local d = os.difftime(os.time(t2), os.time(t1))
  local sign = ""
  if d > 0 then
    sign = "+"
  elseif d < 0 then
    sign = "-"
    t2, t1 = t1, t2
    d = -d
  end
  local years = 0
  if t2.year > t1.year then
    local year1 = t1.year
    t1.year = t2.year
    d = os.difftime(os.time(t2), os.time(t1))
    if d < 0 then
      t1.year = t2.year - 1
      d = os.difftime(os.time(t2), os.time(t1))
    end
    years = t1.year - year1
    t1.year = year1
  end
  local s = M.format_time(d)
  if years ~= 0 then
    s = format("%dy", years) .. s
  end
  return sign .. s
end

-- Records the clock skew of a host (remote time minus ours, less half
-- the round trip) in host.registry.datetime_skew.
function M.record_skew(host, timestamp, received)
  local skews = host.registry.datetime_skew or {}
  local srtt = host.times and host.times.srtt or 0
  skews[#skews + 1] = os.difftime(floor(timestamp), floor(received)) - srtt / 2.0
  host.registry.datetime_skew = skews
end

return M
