-- tableaux: table helpers.
local M = {}

-- A deep copy (tables only; metatables are shared).
function M.tcopy(t, seen)
  seen = seen or {}
  if seen[t] then
    return seen[t]
  end
  local c = {}
  seen[t] = c
  for k, v in next, t do
    if type(v) == "table" then
      v = M.tcopy(v, seen)
    end
    c[k] = v
  end
  return setmetatable(c, getmetatable(t))
end

function M.shallow_tcopy(t)
  local c = {}
  for k, v in next, t do
    c[k] = v
  end
  return c
end

-- Is `item` in array `t`? (`array` true: only the array part.)
function M.contains(t, item, array)
  local iter = array and ipairs or pairs
  for k, v in iter(t) do
    if v == item then
      return true, k
    end
  end
  return false, nil
end

function M.keys(t)
  local out = {}
  for k in pairs(t) do
    out[#out + 1] = k
  end
  return out
end

function M.invert(t)
  local out = {}
  for k, v in pairs(t) do
    out[v] = k
  end
  return out
end

function M.size(t)
  local n = 0
  for _ in pairs(t) do
    n = n + 1
  end
  return n
end

return M
