-- nmaps script runtime: loaded once into the engine's Lua state.
--
-- The Rust engine passes a table of helpers `H`:
--   H.pending        the value an engine wait yields (mlua's poll-pending marker)
--   H.traceback(msg) a traceback of the running coroutine
--   H.current()      key of the running script instance (nil outside one)
--   H.action_started()  marks the running instance's action as started
--   H.new_key()      a fresh integer key for H.wait/H.wake
--   H.wait(key)      suspends the instance until H.wake(key, ...) (async)
--   H.wake(key, all) wakes one (or every) waiter of key
--   H.spawn_worker(f) runs f as a worker of the running instance, returns its thread
--
-- It returns the table `R` of functions the engine calls.

local H = ...
local R = {}

local pending = H.pending
local co_create, co_resume, co_yield, co_status =
  coroutine.create, coroutine.resume, coroutine.yield, coroutine.status
local pairs, ipairs, type, tostring, select, rawget, setmetatable, getmetatable, error, xpcall =
  pairs, ipairs, type, tostring, select, rawget, setmetatable, getmetatable, error, xpcall
local concat = table.concat
local _G = _G

-- A script may resume its own coroutines. When one of them waits for the
-- engine (a socket read, a sleep), the wait must reach the engine, so the
-- wait marker is passed up and the inner coroutine resumed afterwards.
do
  local function handle(co, ok, ...)
    if ok and select("#", ...) == 1 and (...) == pending and co_status(co) == "suspended" then
      return handle(co, co_resume(co, co_yield(pending)))
    end
    return ok, ...
  end
  function coroutine.resume(co, ...)
    return handle(co, co_resume(co, ...))
  end
  local resume = coroutine.resume
  local function unwrap(ok, ...)
    if not ok then
      error((...), 2)
    end
    return ...
  end
  function coroutine.wrap(f)
    local co = co_create(f)
    return function(...)
      return unwrap(resume(co, ...))
    end
  end
end

-- Text chunks only: precompiled chunks could crash the interpreter.
if not H.unsafe then
  local raw_load = load
  function load(chunk, chunkname, mode, ...)
    if select("#", ...) > 0 then
      return raw_load(chunk, chunkname, "t", ...)
    end
    return raw_load(chunk, chunkname, "t")
  end
end

---------------------------------------------------------------------------
-- Output conversion (Nmap's rules for a returned table)
---------------------------------------------------------------------------

-- Text form of a value: nested tables indented two spaces a level; a table
-- with __tostring uses it; array items first (values only), then string keys
-- as "key: value" in pairs() order.
local function format_table(obj, indent)
  indent = indent or "  "
  if type(obj) ~= "table" then
    return tostring(obj)
  end
  local mt = getmetatable(obj)
  if type(mt) == "table" and rawget(mt, "__tostring") then
    return tostring(obj)
  end
  local out = {}
  for _, v in ipairs(obj) do
    out[#out + 1] = "\n"
    out[#out + 1] = indent
    out[#out + 1] = format_table(v, indent .. "  ")
  end
  for k, v in pairs(obj) do
    if type(k) == "string" then
      out[#out + 1] = "\n"
      out[#out + 1] = indent
      out[#out + 1] = k
      out[#out + 1] = ": "
      out[#out + 1] = format_table(v, indent .. "  ")
    end
  end
  return concat(out)
end
R.format_table = format_table

-- Structured form: a list of nodes {k = key?, v = text} or {k = key?, t = nodes}.
local to_nodes
local function node(v, k)
  if type(v) == "table" then
    return { k = k, t = to_nodes(v) }
  end
  return { k = k, v = tostring(v) }
end
to_nodes = function(obj)
  local out = {}
  for _, v in ipairs(obj) do
    out[#out + 1] = node(v)
  end
  for k, v in pairs(obj) do
    if type(k) == "string" then
      out[#out + 1] = node(v, k)
    end
  end
  return out
end

-- What an action's (up to two) return values become: nil, or the text and
-- the structured nodes (nil when there is no table).
function R.output(r1, r2)
  local tab, str
  if r2 then
    tab, str = r1, tostring(r2)
  elseif type(r1) == "string" then
    str = r1
  elseif r1 == nil then
    return nil
  else
    tab = r1
  end
  local text = str
  if text == nil then
    text = format_table(tab)
  end
  local nodes
  if type(tab) == "table" then
    nodes = to_nodes(tab)
  end
  return text, nodes
end

---------------------------------------------------------------------------
-- Scripts
---------------------------------------------------------------------------

local scripts = {}
local RULES = { "prerule", "hostrule", "portrule", "postrule" }

local function new_env(script, rule)
  return setmetatable({
    SCRIPT_PATH = script.filename,
    SCRIPT_NAME = script.id,
    SCRIPT_TYPE = rule,
    categories = {},
    dependencies = {},
  }, { __index = _G })
end

-- Compiles and runs a script's top level once to learn its fields.
-- Returns a description table for the engine; errors on a bad script.
function R.load_script(id, filename, source)
  if source:sub(1, 1) == "#" then
    source = "--" .. source
  end
  local chunk, err = load("return function (_ENV) return function (...) " .. source .. "\nend end",
    "@" .. filename, "t", _G)
  if not chunk then
    error(err, 0)
  end
  local gen = chunk()
  local script = { id = id, filename = filename, gen = gen }
  local env = new_env(script, nil)
  gen(env)()
  local function check(field, want)
    local v = rawget(env, field)
    if v == nil then
      error(filename .. " is missing required field: '" .. field .. "'", 0)
    elseif type(v) ~= want then
      error(filename .. " field '" .. field .. "' is of improper type '" .. type(v)
        .. "', expected type '" .. want .. "'", 0)
    end
    return v
  end
  check("action", "function")
  local categories = check("categories", "table")
  local dependencies = check("dependencies", "table")
  local rules = {}
  for _, r in ipairs(RULES) do
    local f = rawget(env, r)
    if f ~= nil and type(f) ~= "function" then
      error(r .. " must be a function!", 0)
    end
    if f then
      rules[#rules + 1] = r
    end
  end
  if #rules == 0 then
    error(filename .. " is missing required function: 'rule'", 0)
  end
  local cats, deps = {}, {}
  for _, c in ipairs(categories) do
    if type(c) ~= "string" then
      error(filename .. " has non-string entries in the 'categories' array", 0)
    end
    cats[#cats + 1] = c:lower()
  end
  for _, d in ipairs(dependencies) do
    if type(d) ~= "string" then
      error(filename .. " has non-string entries in the 'dependencies' array", 0)
    end
    deps[#deps + 1] = d
  end
  local description = rawget(env, "description")
  local author = rawget(env, "author")
  if type(author) == "table" then
    author = concat(author, ", ")
  end
  scripts[id] = script
  return {
    categories = cats,
    dependencies = deps,
    rules = rules,
    description = type(description) == "string" and description or nil,
    author = type(author) == "string" and author or nil,
    license = type(rawget(env, "license")) == "string" and rawget(env, "license") or nil,
  }
end

-- Categories of the entries of a script.db text: a list of {filename, {categories}}.
function R.read_script_db(text)
  local entries = {}
  local env = {
    Entry = function(e)
      if type(e) == "table" and type(e.filename) == "string" and type(e.categories) == "table" then
        local cats = {}
        for _, c in ipairs(e.categories) do
          cats[#cats + 1] = tostring(c):lower()
        end
        entries[#entries + 1] = { e.filename, cats }
      end
    end,
  }
  local chunk, err = load(text, "=script.db", "t", env)
  if not chunk then
    error(err, 0)
  end
  chunk()
  return entries
end

---------------------------------------------------------------------------
-- Instances
---------------------------------------------------------------------------

-- key -> {id = script id, host = host table, port = port table, worker = bool}
local instances = {}
R.instances = instances

local function current_info()
  local k = H.current()
  return k and instances[k]
end
R.current_info = current_info

local function handler(e)
  if type(e) == "table" and rawget(e, "errtype") == "nmap.new_try" then
    return { try = tostring(rawget(e, "message")) }
  end
  local ok, msg = pcall(tostring, e)
  if not ok then
    msg = "(error object is a " .. type(e) .. " value)"
  end
  return { err = H.traceback(msg) }
end

-- Runs one script instance: the rule, then (if it holds, or `forced`) the
-- action. Returns "skip" | "none" | "ok", text, nodes | "try", msg | "error", msg.
function R.run(id, rule, forced, key, host, port)
  local script = scripts[id]
  instances[key] = { id = id, host = host, port = port, worker = false }
  local env = new_env(script, rule)
  local args = table.pack(host, port)
  if rule == "prerule" or rule == "postrule" then
    args.n = 0
  elseif rule == "hostrule" then
    args.n = 1
  end
  local ok, a, b, c = xpcall(function()
    script.gen(env)()
    local f = env[rule]
    if not forced and not f(table.unpack(args, 1, args.n)) then
      return "skip"
    end
    H.action_started()
    local r1, r2 = env.action(table.unpack(args, 1, args.n))
    local text, nodes = R.output(r1, r2)
    if text == nil then
      return "none"
    end
    return "ok", text, nodes
  end, handler)
  if ok then
    return a, b, c
  elseif type(a) ~= "table" then
    -- Out of memory (no message handler runs) or an error in the handler.
    return "error", tostring(a)
  elseif a.try then
    return "try", a.try
  else
    return "error", a.err
  end
end

-- Called by the engine when an instance (and its workers) ended.
local owned_mutexes = {}
function R.instance_done(key)
  instances[key] = nil
  local owned = owned_mutexes[key]
  if owned then
    owned_mutexes[key] = nil
    for m in pairs(owned) do
      m("done")
    end
  end
end

---------------------------------------------------------------------------
-- Worker threads, mutexes and condition variables
---------------------------------------------------------------------------

local worker_errors = setmetatable({}, { __mode = "k" })

function R.new_thread(main, ...)
  if type(main) ~= "function" then
    error("function expected", 2)
  end
  if not H.current() then
    error("stdnse.new_thread can only be run from an active script", 2)
  end
  local args = table.pack(...)
  local co
  local function body()
    local ok, e = xpcall(main, function(e)
      return e
    end, table.unpack(args, 1, args.n))
    if not ok then
      worker_errors[co] = e
    end
  end
  local parent = current_info()
  local key
  co, key = H.spawn_worker(body)
  instances[key] = { id = parent and parent.id, host = parent and parent.host,
    port = parent and parent.port, worker = true }
  return co, function()
    return co_status(co), worker_errors[co]
  end
end

local mutexes = setmetatable({}, { __mode = "k" })

function R.mutex(obj)
  local m = mutexes[obj]
  if m then
    return m
  end
  local key = H.new_key()
  local owner
  m = function(op)
    local me = H.current()
    if op == "lock" then
      while owner ~= nil and owner ~= me do
        H.wait(key)
      end
      owner = me
      if me then
        owned_mutexes[me] = owned_mutexes[me] or {}
        owned_mutexes[me][m] = true
      end
      return true
    elseif op == "trylock" then
      if owner == nil or owner == me then
        owner = me
        if me then
          owned_mutexes[me] = owned_mutexes[me] or {}
          owned_mutexes[me][m] = true
        end
        return true
      end
      return false
    elseif op == "done" or op == "unlock" then
      if owner ~= nil then
        if owned_mutexes[owner] then
          owned_mutexes[owner][m] = nil
        end
        owner = nil
        H.wake(key, false)
      end
      return true
    elseif op == "running" then
      return owner
    end
    error("bad mutex operation '" .. tostring(op) .. "'", 2)
  end
  mutexes[obj] = m
  return m
end

local condvars = setmetatable({}, { __mode = "k" })

function R.condvar(obj)
  local cv = condvars[obj]
  if cv then
    return cv
  end
  local key = H.new_key()
  cv = function(op)
    if op == "wait" then
      H.wait(key)
    elseif op == "signal" then
      H.wake(key, false)
    elseif op == "broadcast" then
      H.wake(key, true)
    else
      error("bad condvar operation '" .. tostring(op) .. "'", 2)
    end
  end
  condvars[obj] = cv
  return cv
end

function R.new_try(handler_fn)
  return function(status, ...)
    if status then
      return status, ...
    end
    if handler_fn then
      handler_fn()
    end
    error({ errtype = "nmap.new_try", message = (...) }, 0)
  end
end

-- Per-host registries, kept across scripts for the whole run.
local host_registries = {}
function R.host_registry(ip)
  local r = host_registries[ip]
  if not r then
    r = {}
    host_registries[ip] = r
  end
  return r
end

return R
