local base64 = require "base64"
local hashes = require "hashes"
local shortport = require "shortport"
local ssh2 = require "ssh2"
local stdnse = require "stdnse"
local string = require "string"
local table = require "table"
local nmap = require "nmap"

description = [[
Shows an SSH-2 server's host keys: for each host key type the server
offers (ED25519, ECDSA, RSA, DSA), a key exchange is started with only that
type allowed and the key is read from the server's first KEX reply; nothing
is decrypted and no session is set up. For each key: its size in bits, its
MD5 fingerprint and type; with <code>ssh_hostkey=full</code> also the key
itself, with <code>ssh_hostkey=sha256</code> the SHA-256 fingerprint in
OpenSSH's form.
]]

---
-- @usage nmap --script ssh-hostkey -p 22 <target>
-- @args ssh_hostkey Extra output: "full" (the base64 key), "sha256", or "all".
-- @output
-- 22/tcp open  ssh
-- | ssh-hostkey:
-- |   3072 7c8d2f0c4b51e0aa3e26e0ce9b2b02e5 (RSA)
-- |   256 1c6dc8c89b537a9aca2fc8367f38460e (ECDSA)
-- |_  256 a74b685df39ad0df3516a75642d0aab1 (ED25519)
-- @xmloutput
-- <table>
--   <elem key="key">AAAAC3NzaC1lZDI1NTE5AAAAIID6...</elem>
--   <elem key="bits">256</elem>
--   <elem key="type">ssh-ed25519</elem>
--   <elem key="fingerprint">a74b685df39ad0df3516a75642d0aab1</elem>
-- </table>

author = "nmaps project"
license = "MIT OR Apache-2.0 (nmaps project)"
categories = { "safe", "default", "discovery" }

portrule = shortport.port_or_service(22, "ssh")

-- host key algorithm to ask for, in output order, per key type
local WANT = {
  { "ssh-rsa", { "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa" }, "RSA" },
  { "ssh-dss", { "ssh-dss" }, "DSA" },
  { "ecdsa-sha2-nistp256", { "ecdsa-sha2-nistp256" }, "ECDSA" },
  { "ecdsa-sha2-nistp384", { "ecdsa-sha2-nistp384" }, "ECDSA" },
  { "ecdsa-sha2-nistp521", { "ecdsa-sha2-nistp521" }, "ECDSA" },
  { "ssh-ed25519", { "ssh-ed25519" }, "ED25519" },
}

action = function(host, port)
  local k = ssh2.fetch_kexinit(host, port)
  if not k then return nil end
  local offered = {}
  for _, a in ipairs(k.server_host_key_algorithms) do offered[a] = true end
  local mode = stdnse.get_script_args("ssh_hostkey") or ""
  local keys, lines = {}, {}
  for _, w in ipairs(WANT) do
    local alg
    for _, a in ipairs(w[2]) do if offered[a] then alg = a; break end end
    if alg then
      local r = ssh2.fetch_host_key(host, port, alg, k)
      if r and r.key_type then
        local fp = hashes.tohex(r.fingerprint)
        local entry = stdnse.output_table()
        entry.key = base64.enc(r.key)
        entry.bits = r.bits
        entry.type = r.key_type
        entry.fingerprint = fp
        keys[#keys + 1] = entry
        lines[#lines + 1] = string.format("  %s %s (%s)", tostring(r.bits), fp, w[3])
        if mode:match("sha256") or mode:match("all") then
          lines[#lines + 1] = "    SHA256:" .. base64.enc(hashes.sha256(r.key)):gsub("=+$", "")
        end
        if mode:match("full") or mode:match("all") then
          lines[#lines + 1] = "  " .. r.key_type .. " " .. entry.key
        end
      end
    end
  end
  if #keys == 0 then return nil end
  -- keep the keys for other scripts (as Nmap's registry does)
  host.registry = host.registry or {}
  host.registry.sshhostkey = host.registry.sshhostkey or {}
  for _, e in ipairs(keys) do table.insert(host.registry.sshhostkey, e) end
  return keys, "\n" .. table.concat(lines, "\n")
end
