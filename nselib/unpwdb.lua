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
-- io and package are optional: engines that sandbox scripts (nmaps without
-- --script-unsafe) lack them; the lists are then read from the embedded
-- copy in nselib/wordlists.lua (generated from nselib/data/*.lst).
local has_io, io = pcall(require, "io")
if not has_io then io = nil end
local has_package, package = pcall(require, "package")
if not has_package then package = nil end
local table = require "table"

local pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert =
  pairs, ipairs, type, tostring, tonumber, setmetatable, getmetatable, error, pcall, select, next, rawget, rawset, assert

-- the module table; names it lacks (require, print, ...) are read from the globals
local _ENV = setmetatable({}, { __index = _G })

--- Absolute path of a file in nselib/data, or nil.
function datafile(name)
  local rel = "nselib/data/" .. name
  if nmap.fetchfile then
    local p = nmap.fetchfile(rel)
    if p then return p end
  end
  local me = package and package.searchpath and package.path and package.searchpath("unpwdb", package.path)
  if me and io then
    local p = me:gsub("unpwdb%.lua$", "data/" .. name)
    local f = io.open(p, "r")
    if f then f:close(); return p end
  end
  return nil
end

--- Read a wordlist (one word a line; lines starting with "#!comment:" or
-- empty lines are skipped). Returns a table of words or nil, error.
function read_list(path, limit)
  if not io then return nil, "no file access (io) in this engine" end
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

--- The embedded copy of a list in nselib/data (nil if there is none).
function embedded(name, limit)
  local ok, lists = pcall(require, "wordlists")
  if not ok or type(lists) ~= "table" or not lists[name] then return nil end
  local words = {}
  for i, w in ipairs(lists[name]) do
    if limit and i > limit then break end
    words[i] = w
  end
  return words
end

local function list(argname, default, limitarg)
  local limit = tonumber(stdnse.get_script_args(limitarg))
  local given = stdnse.get_script_args(argname)
  local path = given or datafile(default)
  if not path or not io then
    local words = not given and embedded(default, limit)
    if words then return true, iterator(words) end
    return false, "cannot find " .. (given or default)
  end
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
  if not path then
    local p = datafile("subdomains.lst")
    if p and io then return read_list(p) end
    local words = embedded("subdomains.lst")
    if words then return words end
    return nil, "cannot find subdomains.lst"
  end
  return read_list(path)
end

return _ENV
