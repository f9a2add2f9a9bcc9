description = [[Pre-scan script.]]
categories = {"safe"}
prerule = function() return true end
action = function() return "pre \27[0m <x> & \"y\"" end
