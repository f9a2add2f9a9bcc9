local dns = require "dns"
local nmap = require "nmap"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"

description = [[
Asks a DNS server who it is: the EDNS0 NSID option (RFC 5001) of an
answer, and the CHAOS-class TXT records <code>id.server</code> and
<code>version.bind</code>.
]]

---
-- @usage nmap -sSU -p 53 --script dns-nsid <target>
-- @output
-- 53/udp open  domain
-- | dns-nsid:
-- |   NSID: ns1.example.com (6e73312e6578616d706c652e636f6d)
-- |   id.server: ns1.example.com
-- |_  bind.version: dnsmasq-2.90

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "default", "safe" }

portrule = shortport.port_or_service(53, "domain", { "tcp", "udp" }, { "open", "open|filtered" })

local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end

local function printable(s) return not s:find("[^\32-\126]") end

-- stdnse.output_table() is a proxy: next() cannot see its keys, so test with pairs()
local function out_any(t)
  for _ in pairs(t) do return true end
  return false
end

action = function(host, port)
  local out = stdnse.output_table()
  local opts = { host = host.ip, port = port.number, proto = port.protocol, tries = 2, timeout = 3000 }
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.dtype = "SOA"; o.nsid = true; o.retPkt = true
  local ok, pkt = dns.query(".", o)
  if ok and pkt then
    for _, rr in ipairs(pkt.add) do
      if rr.OPT then
        for _, opt in ipairs(rr.OPT) do
          if opt.code == 3 and #opt.data > 0 then
            out.NSID = printable(opt.data) and (opt.data .. " (" .. hex(opt.data) .. ")") or hex(opt.data)
          end
        end
      end
    end
  end
  for _, q in ipairs({ { "id.server", "id.server" }, { "version.bind", "bind.version" } }) do
    local qo = {}
    for k, v in pairs(opts) do qo[k] = v end
    qo.dtype = "TXT"; qo.dclass = "CH"
    local ok2, txt = dns.query(q[1], qo)
    if ok2 and type(txt) == "table" and txt[1] then out[q[2]] = txt[1] end
  end
  if #out == 0 and not out_any(out) then return nil end
  if nmap.set_port_state and port.state ~= "open" then nmap.set_port_state(host, port, "open") end
  return out
end
