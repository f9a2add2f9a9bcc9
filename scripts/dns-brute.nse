local dns = require "dns"
local nmap = require "nmap"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local math = require "math"
local unpwdb = require "unpwdb"

description = [[
Guesses host names of a domain by resolving names from a wordlist (A and
AAAA records) against the DNS servers in use (--dns-servers, else
/etc/resolv.conf). Before guessing, a few random names are resolved: if they
resolve, the domain has a wildcard record; its addresses are reported as
<code>*A</code>/<code>*AAAA</code> and guesses that only resolve to them are
dropped.

With <code>dns-brute.domain</code> the script runs once before the scan
(prerule); otherwise it runs for each target and takes the domain from the
target's name (all but the first label).

The wordlist is the nmaps project's own <code>nselib/data/subdomains.lst</code>
(common subdomain names) unless <code>dns-brute.hostlist</code> names a file.
]]

---
-- @usage
-- nmap --script dns-brute --script-args dns-brute.domain=example.com -sn
-- nmap --script dns-brute www.example.com
--
-- @args dns-brute.domain Domain to brute force (default: the target's domain).
-- @args dns-brute.hostlist File of names to try, one a line (default: nselib/data/subdomains.lst).
-- @args dns-brute.threads Number of names resolved in parallel (default 5).
-- @args dns-brute.srv Also look up common SRV names (_ldap._tcp, _sip._udp, ...) and list
--       the addresses of their targets under "SRV results".
--
-- @output
-- Pre-scan script results:
-- | dns-brute:
-- |   DNS Brute-force hostnames:
-- |     www.example.com - 192.0.2.10
-- |     www.example.com - 2001:db8::10
-- |_    mail.example.com - 192.0.2.12
--
-- @xmloutput
-- <table key="DNS Brute-force hostnames">
--   <table>
--     <elem key="hostname">www.example.com</elem>
--     <elem key="address">192.0.2.10</elem>
--   </table>
-- </table>

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "intrusive", "discovery" }

local SRV_NAMES = {
  "_ldap._tcp", "_kerberos._tcp", "_kerberos._udp", "_sip._udp", "_sip._tcp", "_sips._tcp",
  "_xmpp-server._tcp", "_xmpp-client._tcp", "_imap._tcp", "_imaps._tcp", "_pop3._tcp", "_pop3s._tcp",
  "_submission._tcp", "_smtp._tcp", "_http._tcp", "_https._tcp", "_ssh._tcp", "_ftp._tcp",
  "_caldav._tcp", "_carddav._tcp", "_autodiscover._tcp", "_gc._tcp", "_ntp._udp", "_minecraft._tcp",
}

local function arg(name) return stdnse.get_script_args(SCRIPT_NAME .. "." .. name) end

local function domain_of(host)
  local name = stdnse.get_hostname and stdnse.get_hostname(host) or host.targetname or host.name
  if not name or name == host.ip then return nil end
  return name:match("^[^.]+%.(.+%..+)$")
end

prerule = function()
  return arg("domain") ~= nil
end

hostrule = function(host)
  if arg("domain") then return false end
  return domain_of(host) ~= nil
end

local function resolve(name, dtype)
  local ok, res = dns.query(name, { dtype = dtype, retAll = true, tries = 2, timeout = 2000 })
  if ok and type(res) == "table" then return res end
  return {}
end

local function entry(hostname, address)
  return setmetatable({ hostname = hostname, address = address }, {
    __tostring = function(t) return t.hostname .. " - " .. t.address end,
  })
end

local function random_label()
  local t = {}
  for i = 1, 12 do t[i] = string.char(math.random(97, 122)) end
  return table.concat(t)
end

-- Run fn(item) for every item with at most n in parallel (stdnse threads when the
-- engine offers them, else one after another).
local function parallel(items, n, fn)
  if not stdnse.new_thread or n <= 1 then
    for _, it in ipairs(items) do fn(it) end
    return
  end
  local condvar = nmap.condvar(items)
  local next_i, running = 1, 0
  local function worker()
    while next_i <= #items do
      local it = items[next_i]
      next_i = next_i + 1
      fn(it)
    end
    running = running - 1
    condvar "signal"
  end
  for _ = 1, math.min(n, #items) do
    running = running + 1
    stdnse.new_thread(worker)
  end
  while running > 0 do condvar "wait" end
end

action = function(host)
  local domain = arg("domain") or domain_of(host)
  if not domain then return nil end
  domain = domain:gsub("%.$", "")

  -- one run per domain (the hostrule fires for every target of the domain)
  nmap.registry[SCRIPT_NAME] = nmap.registry[SCRIPT_NAME] or {}
  if nmap.registry[SCRIPT_NAME][domain] then return nil end
  nmap.registry[SCRIPT_NAME][domain] = true

  local words, err
  local hostlist = arg("hostlist")
  if hostlist then
    words, err = unpwdb.read_list(hostlist)
  else
    words, err = unpwdb.subdomains()
  end
  if not words then return stdnse.format_output(false, "Cannot read the wordlist: " .. tostring(err)) end
  local threads = tonumber(arg("threads")) or 5

  -- wildcard detection
  local wildcard = { A = {}, AAAA = {} }
  local wild_list = {}
  for _ = 1, 3 do
    local probe = random_label() .. "." .. domain
    for _, t in ipairs({ "A", "AAAA" }) do
      for _, a in ipairs(resolve(probe, t)) do
        if not wildcard[t][a] then
          wildcard[t][a] = true
          wild_list[#wild_list + 1] = { t, a }
        end
      end
    end
  end

  local found = {}
  parallel(words, threads, function(w)
    local name = w .. "." .. domain
    local r = {}
    for _, t in ipairs({ "A", "AAAA" }) do
      for _, a in ipairs(resolve(name, t)) do
        if not wildcard[t][a] then r[#r + 1] = a end
      end
    end
    found[w] = r
  end)

  local names = stdnse.output_table and {} or {}
  for _, w in ipairs(words) do
    for _, a in ipairs(found[w] or {}) do
      names[#names + 1] = entry(w .. "." .. domain, a)
    end
  end
  for _, wa in ipairs(wild_list) do
    names["*" .. wa[1]] = wa[2]
  end

  local out = stdnse.output_table()
  if #names > 0 or #wild_list > 0 then
    out["DNS Brute-force hostnames"] = names
  end

  if arg("srv") then
    -- as Nmap reports them: the SRV name with each address of its targets
    local srv = {}
    for _, name in ipairs(SRV_NAMES) do
      local full = name .. "." .. domain
      local ok, res = dns.query(full, { dtype = "SRV", retAll = true, timeout = 2000 })
      if ok then
        for _, r in ipairs(res) do
          for _, t in ipairs({ "A", "AAAA" }) do
            for _, a in ipairs(resolve(r.target, t)) do srv[#srv + 1] = entry(full, a) end
          end
        end
      end
    end
    if #srv > 0 then out["SRV results"] = srv end
  end

  if #names == 0 and #wild_list == 0 and not out["SRV results"] then return nil end
  return out
end
