-- stdnse: nmaps's standard script library (same names and behaviour as
-- Nmap's stdnse for the functions listed in docs/scripting.md).
local _, R = ...
local nmap = require "nmap"

local format, rep, sub, find, gsub, match, byte, char, gmatch =
  string.format, string.rep, string.sub, string.find, string.gsub, string.match,
  string.byte, string.char, string.gmatch
local concat, insert, remove, unpack = table.concat, table.insert, table.remove, table.unpack

local M = {}

M.sleep = nmap.socket.sleep

function M.getid()
  local info = R.current_info()
  return info and info.id
end

function M.getinfo()
  local info = R.current_info()
  if not info then
    return nil
  end
  return format("%s %s", info.id, info.worker and "W" or "M")
end

function M.gethostport()
  local info = R.current_info()
  if info then
    return info.host, info.port
  end
end

function M.isworker()
  local info = R.current_info()
  return info and info.worker
end

M.new_thread = R.new_thread

function M.base()
  return coroutine.running()
end

local function log(prefix_fn, level, ...)
  local prefix = prefix_fn() or ""
  if prefix ~= "" then
    nmap.log_write("stdout", "[" .. prefix .. "] " .. format(...))
  else
    nmap.log_write("stdout", format(...))
  end
end

local function debug_prefix()
  local host, port = M.gethostport()
  local id = (nmap.debugging() >= 2 and M.getinfo or M.getid)() or ""
  if host and type(host) == "table" and host.ip then
    id = id .. " " .. host.ip .. (port and type(port) == "table" and port.number and (":" .. port.number) or "")
  end
  return id
end

local function debug(level, ...)
  if type(level) ~= "number" then
    return debug(1, level, ...)
  end
  if level <= nmap.debugging() then
    log(debug_prefix, level, ...)
  end
end
M.debug = debug
for i = 1, 5 do
  M["debug" .. i] = function(...)
    return debug(i, ...)
  end
end

function M.print_debug(level, fmt, ...)
  local l, d = tonumber(level), nmap.debugging()
  if l and l <= d then
    nmap.log_write("stdout", format(fmt, ...))
  elseif not l and 1 <= d then
    nmap.log_write("stdout", format(level, fmt, ...))
  end
end

local function verbose_prefix()
  local id = M.getid() or ""
  if nmap.verbosity() >= 2 then
    local host, port = M.gethostport()
    if host and type(host) == "table" and host.ip then
      id = id .. " " .. host.ip .. (port and type(port) == "table" and port.number and (":" .. port.number) or "")
    end
  end
  return id
end

local function verbose(level, ...)
  if type(level) ~= "number" then
    return verbose(1, level, ...)
  end
  if level <= nmap.verbosity() then
    log(verbose_prefix, level, ...)
  end
end
M.verbose = verbose
for i = 1, 5 do
  M["verbose" .. i] = function(...)
    return verbose(i, ...)
  end
end

function M.print_verbose(level, fmt, ...)
  local l, d = tonumber(level), nmap.verbosity()
  if l and l <= d then
    nmap.log_write("stdout", format(fmt, ...))
  elseif not l and 1 <= d then
    nmap.log_write("stdout", format(level, fmt, ...))
  end
end

-- An iterator over the pieces of a socket's data between separators.
function M.make_buffer(socket, sep, buffer)
  local point, left, done, msg = 1, "", false, nil
  local function self()
    if done then
      return nil, msg
    end
    if not buffer then
      local status, str = socket:receive()
      if not status then
        if #left > 0 then
          done, msg = true, str
          return left
        end
        return status, str
      end
      buffer = left .. str
      return self()
    end
    local i, j = find(buffer, sep, point)
    if i then
      local ret = sub(buffer, point, i - 1)
      point = j + 1
      return ret
    end
    point, left, buffer = 1, sub(buffer, point), nil
    return self()
  end
  return self
end

function M.tobinary(n)
  local bits = {
    ["0"] = "0000", ["1"] = "0001", ["2"] = "0010", ["3"] = "0011",
    ["4"] = "0100", ["5"] = "0101", ["6"] = "0110", ["7"] = "0111",
    ["8"] = "1000", ["9"] = "1001", a = "1010", b = "1011",
    c = "1100", d = "1101", e = "1110", f = "1111",
  }
  return (gsub(format("%x", n), "%w", bits))
end

function M.tooctal(n)
  return format("%o", n)
end

function M.tohex(s, options)
  options = options or {}
  local hex
  if type(s) == "number" then
    hex = format("%x", s)
  elseif type(s) == "string" then
    hex = (gsub(s, ".", function(c)
      return format("%02x", byte(c))
    end))
  else
    error("Type not supported in tohex(): " .. type(s), 2)
  end
  local sep = options.separator
  if sep then
    local group = options.group or 2
    local pad = (group - #hex % group) % group
    hex = rep("0", pad) .. hex
    local parts = {}
    for i = 1, #hex, group do
      parts[#parts + 1] = sub(hex, i, i + group - 1)
    end
    hex = sub(concat(parts, sep), pad + 1)
  end
  return hex
end

function M.fromhex(hex)
  local p = find(hex, "[^%x%s]")
  if p then
    return nil, "Invalid hexadecimal digits at position " .. p
  end
  hex = gsub(hex, "%s+", "")
  if #hex % 2 ~= 0 then
    return nil, "Odd number of hexadecimal digits"
  end
  return (gsub(hex, "..", function(h)
    return char(tonumber(h, 16))
  end))
end

function M.format_mac(mac)
  return M.tohex(mac, { separator = ":" })
end

function M.string_or_blank(s, blank)
  if s == nil or s == "" then
    return blank == nil and "<blank>" or blank
  end
  return s
end

function M.parse_timespec(timespec)
  if timespec == nil then
    return nil, "Can't parse nil timespec"
  end
  local n, unit = match(timespec, "^([%d.]+)(.*)$")
  if not n then
    return nil, format("Can't parse time specification \"%s\"", timespec)
  end
  local t = tonumber(n)
  if not t then
    return nil, format("Can't parse time specification \"%s\" (bad number \"%s\")", timespec, n)
  end
  local mult = ({ [""] = 1, s = 1, m = 60, h = 3600, ms = 0.001 })[unit:lower()]
  if not mult then
    return nil, format("Can't parse time specification \"%s\" (bad unit \"%s\")", timespec, unit)
  end
  return t * mult
end

function M.clock_ms()
  return nmap.clock() * 1000
end

function M.clock_us()
  return nmap.clock() * 1000000
end

-- The old text formatter: nested arrays, each table optionally titled by
-- its "name" field ("warning" shown when debugging).
local function format_output_sub(status, data, indent)
  if #data == 0 then
    return ""
  end
  local prefix = ""
  local out = {}
  if not indent then
    out[#out + 1] = "\n"
  end
  if not status then
    if nmap.debugging() < 1 then
      return nil
    end
    prefix = "ERROR: "
  end
  if type(data) == "string" then
    data = { data }
  end
  indent = indent or {}
  local pad = rep("  ", #indent)
  if data.name then
    if data.warning and nmap.debugging() > 0 then
      out[#out + 1] = format("%s%s%s (WARNING: %s)\n", pad, prefix, data.name, data.warning)
    else
      out[#out + 1] = format("%s%s%s\n", pad, prefix, data.name)
    end
  elseif data.warning and nmap.debugging() > 0 then
    out[#out + 1] = format("%s%s(WARNING: %s)\n", pad, prefix, data.warning)
  end
  for i, value in ipairs(data) do
    if type(value) == "table" then
      local sub_indent = {}
      for _, v in ipairs(indent) do
        sub_indent[#sub_indent + 1] = v
      end
      sub_indent[#sub_indent + 1] = (i == #data)
      out[#out + 1] = format_output_sub(status, value, sub_indent)
    elseif type(value) == "string" then
      if sub(value, -1) ~= "\n" then
        value = value .. "\n"
      end
      for line in gmatch(value, "([^\r\n]-)\n") do
        out[#out + 1] = format("%s  %s%s\n", pad, prefix, line)
      end
    end
  end
  return concat(out)
end

function M.format_output(status, data, indent)
  assert(data, "No data was passed to format_output()")
  if #data == 0 then
    return nil
  end
  local result = format_output_sub(status, data, indent)
  if result == nil or result == "" or result == "\n" then
    return nil
  end
  return result
end

-- Value of one script argument: "name" as a key or a bare flag (1), then
-- the part after the last dot.
local function arg_value(argname)
  local args = nmap.registry.args or {}
  if args[argname] then
    return args[argname]
  end
  for _, v in ipairs(args) do
    if v == argname then
      return 1
    end
  end
  local short = match(argname, "%.([^.]*)$")
  if short then
    if args[short] then
      return args[short]
    end
    for _, v in ipairs(args) do
      if v == short then
        return 1
      end
    end
  end
  return nil
end

function M.get_script_args(...)
  local out = {}
  local n = select("#", ...)
  for i = 1, n do
    local set = select(i, ...)
    if type(set) == "string" then
      set = { set }
    end
    for _, name in ipairs(set) do
      local v = arg_value(name)
      if v then
        out[i] = v
        break
      end
    end
  end
  return unpack(out, 1, n)
end

function M.get_hostname(host)
  if type(host) == "table" then
    return host.targetname or (host.name ~= "" and host.name) or host.ip
  end
  return host
end

function M.registry_get(subkeys)
  local reg = nmap.registry
  for _, k in ipairs(subkeys) do
    if not reg[k] then
      return nil
    end
    reg = reg[k]
  end
  return reg
end

function M.registry_exists(subkeys, key, value)
  local t = M.registry_get(subkeys)
  if not t then
    return false
  end
  for k, v in pairs(t) do
    if (key == nil or key == k) and v == value then
      return true
    end
  end
  return false
end

local function registry_path(subkeys)
  local reg = nmap.registry
  for _, k in ipairs(subkeys) do
    if not reg[k] then
      reg[k] = {}
    end
    reg = reg[k]
  end
  return reg
end

function M.registry_add_array(subkeys, value, allow_duplicates)
  if allow_duplicates ~= true and M.registry_exists(subkeys, nil, value) then
    return
  end
  local reg = registry_path(subkeys)
  for _, v in pairs(reg) do
    if v == value then
      return
    end
  end
  insert(reg, value)
end

function M.registry_add_table(subkeys, key, value, allow_duplicates)
  if allow_duplicates ~= true and M.registry_exists(subkeys, key, value) then
    return
  end
  registry_path(subkeys)[key] = value
end

function M.module(name, ...)
  local env = { _NAME = name, _PACKAGE = match(name, "(.+)%.[^.]+$") }
  env._M = env
  for i = 1, select("#", ...) do
    select(i, ...)(env)
  end
  return env
end

function M.seeall(env)
  local mt = getmetatable(env) or {}
  mt.__index = _G
  setmetatable(env, mt)
end

function M.silent_require(...)
  return require(...)
end

-- A table whose pairs() gives keys in insertion order.
function M.output_table()
  local t, order = {}, {}
  local mt = {
    __newindex = function(_, k, v)
      if t[k] == nil and v ~= nil then
        order[#order + 1] = k
      elseif v == nil and t[k] ~= nil then
        for i, key in ipairs(order) do
          if key == k then
            remove(order, i)
            break
          end
        end
      end
      rawset(t, k, v)
    end,
    __index = t,
    __pairs = function()
      local i = 0
      return function()
        i = i + 1
        local k = order[i]
        if k ~= nil then
          return k, t[k]
        end
      end
    end,
    __call = function()
      return next(order) ~= nil
    end,
    __len = function()
      return #order
    end,
  }
  return setmetatable({}, mt)
end

function M.pretty_printer(obj, printer)
  printer = printer or function(s)
    nmap.log_write("stdout", s)
  end
  local function aux(o, spacing)
    local t = type(o)
    if t == "table" then
      printer("{\n")
      for k, v in pairs(o) do
        local sp = spacing .. "\t"
        printer(sp)
        printer("[")
        aux(k, sp)
        printer("] = ")
        aux(v, sp)
        printer(",\n")
      end
      printer(spacing .. "}")
    elseif t == "string" then
      printer(format("%q", o))
    else
      printer(tostring(o))
    end
  end
  return aux(obj, "")
end

function M.get_timeout(host, max_timeout, min_timeout)
  max_timeout = max_timeout or 8000
  local t = type(host) == "table" and host.times and host.times.timeout
  if not t then
    return max_timeout
  end
  t = t * (max_timeout + 6000) / 7
  min_timeout = min_timeout or 1000
  if t < min_timeout then
    return min_timeout
  elseif t > max_timeout then
    return max_timeout
  end
  return t
end

-- Older scripts call these through stdnse.
function M.strsplit(pattern, text)
  return require("stringaux").strsplit(pattern, text)
end

function M.strjoin(delimiter, list)
  return require("stringaux").strjoin(delimiter, list)
end

return M
