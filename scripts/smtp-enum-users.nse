local netutil = require "netutil"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local unpwdb = require "unpwdb"

description = [[
Finds user accounts of an SMTP server by asking about each name of the
username list: RCPT TO (inside a transaction that is reset and never sent),
then VRFY, then EXPN — the first method the server answers usefully is used.
Stops when the server demands authentication.
]]

---
-- @usage nmap --script smtp-enum-users -p 25 <target>
-- @args smtp-enum-users.methods Methods in order, e.g. "{RCPT,VRFY,EXPN}" (the default).
-- @args smtp-enum-users.domain Domain of the tested addresses (default: the target's name).
-- @args smtp.domain Name given in EHLO (default "nmap.scanme.org").
-- @args userdb File of user names (default: the project's nselib/data/usernames.lst).
-- @output
-- 25/tcp open  smtp
-- | smtp-enum-users:
-- |_  root

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "auth", "external", "intrusive" }

portrule = shortport.port_or_service({ 25, 465, 587 }, { "smtp", "smtps", "submission" })

local function arg(n) return stdnse.get_script_args(SCRIPT_NAME .. "." .. n) end

local function methods()
  local m = arg("methods")
  local out, seen = {}, {}
  if type(m) == "table" then
    for _, x in ipairs(m) do x = x:upper(); if not seen[x] then seen[x] = true; out[#out + 1] = x end end
  elseif type(m) == "string" then
    for x in m:gmatch("%a+") do x = x:upper(); if not seen[x] then seen[x] = true; out[#out + 1] = x end end
  end
  if #out == 0 then out = { "RCPT", "VRFY", "EXPN" } end
  return out
end

-- One method over all names. Returns list of found names, or nil, reason
-- ("unusable" when the method does not tell users apart).
local function try_method(c, method, users, domain, helo)
  local found = {}
  if method == "RCPT" then
    local code = c:command("MAIL FROM:<usertest@" .. helo .. ">")
    if code == 530 then return nil, "auth" end
    if code ~= 250 then return nil, "unusable" end
  end
  local accepted, rejected = 0, 0
  for _, u in ipairs(users) do
    local code
    if method == "RCPT" then code = c:command("RCPT TO:<" .. u .. "@" .. domain .. ">")
    else code = c:command(method .. " " .. u) end
    if not code then return nil, "connection lost" end
    if code == 530 then return nil, "auth" end
    if code == 250 or code == 251 then
      found[#found + 1] = u
      accepted = accepted + 1
    elseif code >= 500 and code ~= 502 and code ~= 500 and code ~= 504 then
      rejected = rejected + 1
    elseif method == "RCPT" and code >= 400 and code < 500 then
      rejected = rejected + 1
    else
      -- 252 "cannot verify", 502 "not implemented" ...: this method tells nothing
      if method == "RCPT" then c:command("RSET") end
      return nil, "unusable"
    end
  end
  if method == "RCPT" then c:command("RSET") end
  if rejected == 0 and accepted > 1 then return nil, "unusable" end -- accepts everything
  return found
end

action = function(host, port)
  local helo = stdnse.get_script_args("smtp.domain") or "nmap.scanme.org"
  local domain = arg("domain") or host.targetname or (host.name ~= "" and host.name) or ("[" .. host.ip .. "]")
  local ok, iter = unpwdb.usernames()
  if not ok then return stdnse.format_output(false, "cannot read the username list") end
  local users = {}
  for u in iter do users[#users + 1] = u end
  local c = netutil.connect(host, port, "tcp", 10000)
  if not c then return nil end
  local code = c:reply()
  if not code or code >= 400 then c:close(); return nil end
  code = c:command("EHLO " .. helo)
  if code ~= 250 then code = c:command("HELO " .. helo) end
  if code ~= 250 then c:close(); return nil end
  local result, why
  for _, m in ipairs(methods()) do
    result, why = try_method(c, m, users, domain, helo)
    if result or why == "auth" or why == "connection lost" then break end
  end
  c:command("QUIT")
  c:close()
  if not result then
    if why == "auth" then return "Couldn't perform user enumeration, authentication needed" end
    return "Couldn't find any accounts"
  end
  if #result == 0 then return "Couldn't find any accounts" end
  return result
end
