description = [[Returns an empty string.]]
categories = {"safe"}
portrule = function(host, port) return port.number == 8080 end
action = function(host, port) return "" end
