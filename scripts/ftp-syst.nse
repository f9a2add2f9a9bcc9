local netutil = require "netutil"
local shortport = require "shortport"
local stdnse = require "stdnse"
local table = require "table"
local nmap = require "nmap"

description = [[
Sends the FTP SYST and STAT commands (after an anonymous login when the
server allows one) and shows their replies. A SYST reply of plain
"UNIX Type: L8", which nearly every server gives, is shown only with -v (nmap.verbosity() > 1).
]]

---
-- @usage nmap --script ftp-syst -p 21 <target>
-- @output
-- 21/tcp open  ftp
-- | ftp-syst:
-- |   STAT:
-- | FTP server status:
-- |      Connected to ::ffff:198.18.0.1
-- |      Logged in as ftp
-- |_End of status
-- @xmloutput
-- <elem key="SYST">UNIX Type: L8</elem>
-- <elem key="STAT">&#xa;FTP server status:&#xa; ...</elem>

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "discovery", "safe" }

portrule = shortport.port_or_service({ 21, 990, 2121 }, { "ftp", "ftps" })

action = function(host, port)
  local c = netutil.connect(host, port, "tcp", 8000)
  if not c then return nil end
  local code = c:reply()
  if not code or code >= 400 then c:close(); return nil end
  code = c:command("USER anonymous")
  if code == 331 then c:command("PASS IEUser@") end
  local out = stdnse.output_table()
  local scode, slines = c:command("SYST")
  if scode and scode < 300 then
    local syst = table.concat(slines, "\n")
    if syst ~= "UNIX Type: L8" or (nmap.verbosity and nmap.verbosity() > 1) then
      out.SYST = syst
    end
  end
  local tcode, tlines = c:command("STAT")
  if tcode and tcode < 300 then
    out.STAT = "\n" .. table.concat(tlines, "\n")
  end
  c:command("QUIT")
  c:close()
  if not out.SYST and not out.STAT then return nil end
  return out
end
