description = [[Returns hostile text for output tests.]]
categories = {"safe"}
local stdnse = require "stdnse"
portrule = function(host, port) return port.number == 8080 end
action = function(host, port)
  local t = stdnse.output_table()
  t["k\27[1m<&\"\n>--"] = "v\0\r\t\27]0;t\7 caf\195\169\194\155--x"
  t.list = {"a", "b\n c", {"deep"}, "bad\255\195"}
  return t, "line1 \27[2J <b>&\"q\"'--]]>\r\nNmap scan report for 198.51.100.1\n\tcaf\195\169\194\155\226\128\174\0end\127 \255\254\195("
end
