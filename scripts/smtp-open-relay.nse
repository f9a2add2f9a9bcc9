local netutil = require "netutil"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"

description = [[
Tries whether an SMTP server relays mail for outside domains: for a series
of sender/recipient address forms (plain, quoted, source-routed, percent
hack, bang paths, the server's own IP literal) it sends MAIL FROM and RCPT TO
and records which recipients are accepted. No message is ever sent: each
test ends with RSET before DATA.

The server may try to resolve the domains named; nothing else leaves the
scanner (the script only talks to the target).
]]

---
-- @usage nmap --script smtp-open-relay -p 25 <target>
-- @args smtp-open-relay.domain Name given in EHLO (default "nmap.scanme.org").
-- @args smtp-open-relay.from Sender address local part@domain (default "antispam@nmap.scanme.org").
-- @args smtp-open-relay.to Recipient outside the server (default "relaytest@nmap.scanme.org").
-- @output
-- 25/tcp open  smtp
-- |_smtp-open-relay: Server doesn't seem to be an open relay, all tests failed
--
-- 25/tcp open  smtp
-- | smtp-open-relay: Server is an open relay (2/8 tests)
-- |  MAIL FROM:<antispam@nmap.scanme.org> -> RCPT TO:<relaytest@nmap.scanme.org>
-- |_ MAIL FROM:<> -> RCPT TO:<relaytest@nmap.scanme.org>

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "discovery", "intrusive", "external" }

portrule = shortport.port_or_service({ 25, 465, 587 }, { "smtp", "smtps", "submission" })

local function arg(n) return stdnse.get_script_args(SCRIPT_NAME .. "." .. n) end

action = function(host, port)
  local domain = arg("domain") or "nmap.scanme.org"
  local from = arg("from") or ("antispam@" .. domain)
  local to = arg("to") or ("relaytest@" .. domain)
  local to_user, to_dom = to:match("^(.-)@(.*)$")
  if not to_user then return stdnse.format_output(false, "bad recipient " .. to) end
  local ip = host.ip
  local lit = ip:find(":", 1, true) and ("[IPv6:" .. ip .. "]") or ("[" .. ip .. "]")
  local from_user = from:match("^(.-)@") or "antispam"
  local tests = {
    { "<" .. from .. ">", "<" .. to .. ">" },
    { "<>", "<" .. to .. ">" },
    { "<" .. from_user .. "@" .. lit .. ">", "<" .. to .. ">" },
    { "<" .. from_user .. "@" .. lit .. ">", "<" .. to_user .. "%" .. to_dom .. "@" .. lit .. ">" },
    { "<" .. from_user .. "@" .. lit .. ">", '<"' .. to .. '">' },
    { "<" .. from_user .. "@" .. lit .. ">", '<"' .. to_user .. "%" .. to_dom .. '">' },
    { "<" .. from_user .. "@" .. lit .. ">", "<@" .. lit .. ":" .. to .. ">" },
    { "<" .. from_user .. "@" .. lit .. ">", "<" .. to_dom .. "!" .. to_user .. "@" .. lit .. ">" },
  }
  local c = netutil.connect(host, port, "tcp", 10000)
  if not c then return nil end
  local code, lines = c:reply()
  if not code or code >= 400 then c:close(); return nil end
  local server = lines[1]
  code = c:command("EHLO " .. domain)
  if code ~= 250 then code = c:command("HELO " .. domain) end
  if code ~= 250 then c:close(); return stdnse.format_output(false, "EHLO/HELO refused") end
  local relayed = {}
  for _, t in ipairs(tests) do
    local mc = c:command("MAIL FROM:" .. t[1])
    if not mc then break end
    if mc == 250 then
      local rc = c:command("RCPT TO:" .. t[2])
      if not rc then break end
      if rc == 250 or rc == 251 then
        relayed[#relayed + 1] = string.format("MAIL FROM:%s -> RCPT TO:%s", t[1], t[2])
      end
    end
    if not c:command("RSET") then break end
  end
  c:command("QUIT")
  c:close()
  if #relayed == 0 then
    return "Server doesn't seem to be an open relay, all tests failed"
  end
  local out = { string.format("Server is an open relay (%d/%d tests)", #relayed, #tests) }
  for _, r in ipairs(relayed) do out[#out + 1] = " " .. r end
  return table.concat(out, "\n")
end
