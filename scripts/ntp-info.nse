local nmap = require "nmap"
local shortport = require "shortport"
local stdnse = require "stdnse"
local string = require "string"
local os = require "os"
local math = require "math"

description = [[
Asks an NTP server for the time (a mode 3 client request) and for its system
variables (a mode 6 READVAR control request, which ntpd answers and most
other servers, e.g. chrony, ignore), and shows the receive time stamp
and each variable returned (version, processor, system, stratum, refid, ...).
]]

---
-- @usage nmap -sU -p 123 --script ntp-info <target>
-- @output
-- 123/udp open  ntp
-- | ntp-info:
-- |_  receive time stamp: 2026-11-29T10:32:15
-- @xmloutput
-- <elem key="receive time stamp">2026-11-29T10:32:15</elem>

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "default", "discovery", "safe" }

portrule = shortport.port_or_service(123, "ntp", { "udp", "tcp" })

local NTP_EPOCH = 2208988800

local function exchange(host, port, msg, tries)
  local proto = port.protocol == "tcp" and "tcp" or "udp"
  for _ = 1, tries or 1 do
    local s = nmap.new_socket(proto)
    s:set_timeout(3000)
    if not s:connect(host, port, proto) then return nil end
    s:send(msg)
    local ok, data = s:receive()
    s:close()
    if ok then return data end
  end
  return nil
end

-- stdnse.output_table() is a proxy: next() cannot see its keys, so test with pairs()
local function out_any(t)
  for _ in pairs(t) do return true end
  return false
end

action = function(host, port)
  local out = stdnse.output_table()
  -- client request: LI 0, version 4, mode 3; transmit time = now
  local now = os.time()
  local req = string.pack(">BBbbI4I4I4I8I8I8I4I4", 0x23, 0, 4, -6, 0, 0, 0, 0, 0, 0, (now + NTP_EPOCH) & 0xffffffff, 0)
  local data = exchange(host, port, req, 2)
  if data and #data >= 48 then
    local rx = string.unpack(">I4", data, 33)
    if rx ~= 0 then
      out["receive time stamp"] = os.date("!%Y-%m-%dT%H:%M:%S", rx - NTP_EPOCH)
    end
  end
  -- mode 6 READVAR (version 2, opcode 2, sequence 1)
  local ctl = exchange(host, port, string.pack(">BBI2I2I2I2I2", 0x16, 0x02, 1, 0, 0, 0, 0))
  if ctl and #ctl >= 12 then
    local count = string.unpack(">I2", ctl, 11)
    local text = ctl:sub(13, 12 + count)
    for k, v in text:gmatch('%s*([%w_]+)=("?[^,"]*"?)') do
      v = v:gsub('^"', ""):gsub('"$', "")
      out[k] = v
    end
  end
  if #out == 0 and not out_any(out) then return nil end
  if nmap.set_port_state and port.state ~= "open" then nmap.set_port_state(host, port, "open") end
  return out
end
