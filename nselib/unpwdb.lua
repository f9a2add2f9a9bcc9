---
-- Wordlists for brute-force and enumeration scripts: usernames, passwords
-- and subdomain names, read from the project's own files in
-- <code>nselib/data/</code> (or files named by script arguments).
--
-- Like Nmap's unpwdb, <code>usernames()</code> and <code>passwords()</code>
-- return <code>true, iterator</code>; calling the iterator gives the next
-- word, or nil at the end; calling it with "reset" starts over.
-- Arguments: <code>userdb</code>, <code>passdb</code>, <code>unpwdb.userlimit</code>,
-- <code>unpwdb.passlimit</code>.
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

local nmap = require "nmap"
local stdnse = require "stdnse"
local io = require "io"
local package = require "package"
local table = require "table"

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

local _ENV = {}

--- Absolute path of a file in nselib/data, or nil.
function datafile(name)
  local rel = "nselib/data/" .. name
  if nmap.fetchfile then
    local p = nmap.fetchfile(rel)
    if p then return p end
  end
  local me = package.searchpath("unpwdb", package.path)
  if me then
    local p = me:gsub("unpwdb%.lua$", "data/" .. name)
    local f = io.open(p, "r")
    if f then f:close(); return p end
  end
  return nil
end

--- Read a wordlist (one word a line; lines starting with "#!comment:" or
-- empty lines are skipped). Returns a table of words or nil, error.
function read_list(path, limit)
  local f, err = io.open(path, "r")
  if not f then return nil, err end
  local words = {}
  for line in f:lines() do
    line = line:gsub("\r$", "")
    if line ~= "" and not line:match("^#!comment:") then
      words[#words + 1] = line
      if limit and #words >= limit then break end
    end
  end
  f:close()
  return words
end

local function iterator(words)
  local i = 0
  return function(cmd)
    if cmd == "reset" then i = 0; return end
    i = i + 1
    return words[i]
  end
end

local function list(argname, default, limitarg)
  local path = stdnse.get_script_args(argname) or datafile(default)
  if not path then return false, "cannot find " .. default end
  local limit = tonumber(stdnse.get_script_args(limitarg))
  local words, err = read_list(path, limit)
  if not words then return false, "cannot read " .. path .. ": " .. tostring(err) end
  return true, iterator(words)
end

--- Usernames iterator (script argument <code>userdb</code> overrides the list).
function usernames() return list("userdb", "usernames.lst", "unpwdb.userlimit") end

--- Passwords iterator (script argument <code>passdb</code> overrides the list).
function passwords() return list("passdb", "passwords.lst", "unpwdb.passlimit") end

--- The subdomain wordlist as a table (argument <code>path</code> overrides it).
function subdomains(path)
  path = path or datafile("subdomains.lst")
  if not path then return nil, "cannot find subdomains.lst" end
  return read_list(path)
end

return _ENV
