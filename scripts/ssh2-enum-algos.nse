local shortport = require "shortport"
local ssh2 = require "ssh2"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local nmap = require "nmap"

description = [[
Lists the algorithms an SSH-2 server offers in its KEXINIT message: key
exchange, host key, encryption, MAC and compression algorithms, with their
counts. The client-to-server and server-to-client lists are shown once when
they are the same (as they nearly always are).
]]

---
-- @usage nmap --script ssh2-enum-algos -p 22 <target>
-- @output
-- 22/tcp open  ssh
-- | ssh2-enum-algos:
-- |   kex_algorithms: (2)
-- |       curve25519-sha256
-- |       diffie-hellman-group14-sha256
-- |   server_host_key_algorithms: (1)
-- |       ssh-ed25519
-- |   encryption_algorithms: (1)
-- |       aes128-ctr
-- |   mac_algorithms: (1)
-- |       hmac-sha2-256
-- |   compression_algorithms: (1)
-- |_      none
-- @xmloutput
-- <table key="kex_algorithms"><elem>curve25519-sha256</elem>...</table>

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "safe", "discovery" }

portrule = shortport.port_or_service(22, "ssh")

local function same(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

action = function(host, port)
  local k = ssh2.fetch_kexinit(host, port)
  if not k then return nil end
  local out = stdnse.output_table()
  local text = {}
  local function add(name, list)
    out[name] = list
    text[#text + 1] = string.format("  %s: (%d)", name, #list)
    for _, a in ipairs(list) do text[#text + 1] = "      " .. a end
  end
  add("kex_algorithms", k.kex_algorithms)
  add("server_host_key_algorithms", k.server_host_key_algorithms)
  for _, what in ipairs({ "encryption", "mac", "compression" }) do
    local cs, sc = k[what .. "_algorithms_client_to_server"], k[what .. "_algorithms_server_to_client"]
    if same(cs, sc) then
      add(what .. "_algorithms", cs)
    else
      add(what .. "_algorithms_client_to_server", cs)
      add(what .. "_algorithms_server_to_client", sc)
    end
  end
  return out, "\n" .. table.concat(text, "\n")
end
