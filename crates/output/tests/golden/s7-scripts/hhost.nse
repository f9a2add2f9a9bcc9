description = [[Host script with hostile text.]]
categories = {"safe"}
hostrule = function(host) return true end
action = function(host) return "\n  a\27[31m\n  b\tc\r\n" end
