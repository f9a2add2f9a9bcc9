local dns = require "dns"
local shortport = require "shortport"
local stdnse = require "stdnse"
local nmap = require "nmap"

description = [[
Checks whether a DNS server resolves names for which it is not
authoritative (recursion), which makes it usable for cache snooping and
amplification: it asks the server (and only it) for an outside name with
"recursion desired" and reports recursion when the answer has "recursion
available" and no error.
]]

---
-- @usage nmap -sU -p 53 --script dns-recursion <target>
-- @args dns-recursion.domain Name to ask for (default "scanme.nmap.org").
-- @output
-- 53/udp open  domain
-- |_dns-recursion: Recursion appears to be enabled

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "safe" }

portrule = shortport.port_or_service(53, "domain", "udp", { "open", "open|filtered" })

action = function(host, port)
  local name = stdnse.get_script_args(SCRIPT_NAME .. ".domain") or "scanme.nmap.org"
  local ok, pkt = dns.query(name, { host = host.ip, port = port.number, dtype = "A", retPkt = true, tries = 2 })
  if not ok or not pkt then return nil end
  if nmap and nmap.set_port_state and port.state ~= "open" then nmap.set_port_state(host, port, "open") end
  if pkt.flags.RA and pkt.flags.rcode == 0 then
    return "Recursion appears to be enabled"
  end
  return nil
end
