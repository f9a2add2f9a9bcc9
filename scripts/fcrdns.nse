local dns = require "dns"
local stdnse = require "stdnse"
local table = require "table"

description = [[
Forward-confirmed reverse DNS: looks up the target's PTR names, then the
addresses of each name (A for IPv4 targets, AAAA for IPv6), and reports for
each name whether the target's address is among them ("pass") or not
("fail", with the addresses found or the reason).
]]

---
-- @usage nmap -sn --script fcrdns <target>
-- @output
-- Host script results:
-- | fcrdns:
-- |   ns.lab.test:
-- |     status: pass
-- |     addresses:
-- |_      198.18.0.53
--
-- Host script results:
-- |_fcrdns: FAIL (No PTR record)

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "safe" }

hostrule = function(host) return host.ip ~= nil end

action = function(host)
  local ptr = dns.reverse(host.ip)
  if not ptr then return nil end
  local ok, names = dns.query(ptr, { dtype = "PTR", retAll = true })
  if not ok then
    if names == "No Such Name" or names == "No Answers" then return "FAIL (No PTR record)" end
    return "FAIL (" .. tostring(names) .. ")"
  end
  local v6 = host.ip:find(":", 1, true) ~= nil
  local out = stdnse.output_table()
  for _, name in ipairs(names) do
    local entry = stdnse.output_table()
    local ok2, addrs = dns.query(name, { dtype = v6 and "AAAA" or "A", retAll = true })
    if ok2 then
      local found = false
      for _, a in ipairs(addrs) do if a:lower() == host.ip:lower() then found = true end end
      entry.status = found and "pass" or "fail"
      entry.addresses = addrs
    else
      entry.status = "fail"
      if addrs == "No Such Name" or addrs == "No Answers" then
        entry.reason = "No " .. (v6 and "AAAA" or "A") .. " record"
      else
        entry.reason = tostring(addrs)
      end
    end
    out[name] = entry
  end
  return out
end
