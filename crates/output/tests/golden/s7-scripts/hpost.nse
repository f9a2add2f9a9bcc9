description = [[Post-scan script.]]
categories = {"safe"}
postrule = function() return true end
action = function()
  local stdnse = require "stdnse"
  local t = stdnse.output_table()
  t.one = "1"
  t.two = {"x", "y"}
  return t
end
