-- stringaux: string helpers.
local M = {}

-- Splits `text` on the Lua pattern `pattern`.
function M.strsplit(pattern, text)
  local list, pos = {}, 1
  assert(pattern ~= "", "delimiter matches empty string!")
  while true do
    local first, last = text:find(pattern, pos)
    if first then
      assert(last >= first, "delimiter matches empty string!")
      list[#list + 1] = text:sub(pos, first - 1)
      pos = last + 1
    else
      list[#list + 1] = text:sub(pos)
      break
    end
  end
  return list
end

function M.strjoin(delimiter, list)
  assert(type(delimiter) == "string" or delimiter == nil, "delimiter is of the wrong type")
  return table.concat(list, delimiter)
end

-- A pattern that matches `s` whatever its letter case.
function M.ipattern(s)
  local out = s:gsub("(%%?)(.)", function(pct, c)
    if pct ~= "" or not c:match("%a") then
      return pct .. c
    end
    return "[" .. c:lower() .. c:upper() .. "]"
  end)
  return out
end

-- A string made safe as a file name (percent-escapes special characters).
function M.filename_escape(s)
  return (s:gsub("[%c/\\:*?\"<>|%%]", function(c)
    return string.format("%%%02x", c:byte())
  end))
end

return M
