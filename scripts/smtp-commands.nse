local netutil = require "netutil"
local shortport = require "shortport"
local stdnse = require "stdnse"
local table = require "table"

description = [[
Lists the extensions an SMTP server announces in its EHLO reply and the
commands its HELP reply names.
]]

---
-- @usage nmap --script smtp-commands -p 25 <target>
-- @args smtp.domain Name given in EHLO (default "nmap.scanme.org" — only sent to the target).
-- @args smtp-commands.domain Same, for this script only.
-- @output
-- 25/tcp open  smtp
-- | smtp-commands: mail.example.com Hello client [192.0.2.1], SIZE 52428800, 8BITMIME, PIPELINING, STARTTLS, HELP
-- |_ Commands supported: AUTH STARTTLS HELO EHLO MAIL RCPT DATA NOOP QUIT RSET HELP

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "discovery", "safe" }

portrule = shortport.port_or_service({ 25, 465, 587 }, { "smtp", "smtps", "submission" })

action = function(host, port)
  local domain = stdnse.get_script_args(SCRIPT_NAME .. ".domain") or stdnse.get_script_args("smtp.domain")
    or "nmap.scanme.org"
  local proto = (port.number == 465 or port.service == "smtps") and "ssl" or "tcp"
  local c = netutil.connect(host, port, proto, 10000)
  if not c then return nil end
  local code = c:reply()
  if not code or code >= 400 then c:close(); return nil end
  local ecode, elines = c:command("EHLO " .. domain)
  local parts = {}
  if ecode == 250 then
    parts[1] = table.concat(elines, ", ")
  else
    local hcode, hl = c:command("HELO " .. domain)
    if hcode == 250 then parts[1] = table.concat(hl, ", ") end
  end
  local hcode, hlines = c:command("HELP")
  if hcode and hcode >= 200 and hcode < 300 then
    parts[#parts + 1] = " " .. table.concat(hlines, " ")
  end
  c:command("QUIT")
  c:close()
  if #parts == 0 then return nil end
  return table.concat(parts, "\n")
end
