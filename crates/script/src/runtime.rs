//! The engine thread: one Lua state, every script instance a Lua thread
//! polled as a task of a single-threaded tokio runtime (as Nmap's NSE is
//! single-threaded), so a script waiting on the network never blocks
//! another, and CPU-bound Lua never blocks the scanner's own threads.

use crate::select::{CatalogEntry, Chosen};
use crate::socket::NseSocket;
use crate::{DiagKind, Diagnostic, Options, ScriptInfo};
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};
use nmaps_model::{Host, PortState, Protocol, Reason, ScriptElem, ScriptResult, Service};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

const BUILTIN_LIBS: &[(&str, &str)] = &[
    ("stdnse", include_str!("../lua/stdnse.lua")),
    ("shortport", include_str!("../lua/shortport.lua")),
    ("comm", include_str!("../lua/comm.lua")),
    ("stringaux", include_str!("../lua/stringaux.lua")),
    ("tableaux", include_str!("../lua/tableaux.lua")),
    ("datetime", include_str!("../lua/datetime.lua")),
];
const RUNTIME: &str = include_str!("../lua/nse_runtime.lua");

/// Nmap's limit of script instances alive at once.
const CONCURRENCY_LIMIT: usize = 1000;
/// How long loading one script may take.
const LOAD_BUDGET: Duration = Duration::from_secs(10);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// State the Rust callbacks share.
pub(crate) struct Shared {
    pub(crate) debugging: u8,
    pub(crate) source: Option<IpAddr>,
    pub(crate) socket_sem: Arc<Semaphore>,
    pub(crate) tls: tokio_rustls::TlsConnector,
    log: Option<Arc<dyn Fn(String) + Send + Sync>>,
    hosts: Mutex<HashMap<String, Arc<Mutex<Host>>>>,
    waiters: Mutex<HashMap<u64, VecDeque<oneshot::Sender<()>>>>,
    next_key: AtomicU64,
    datadir: Option<PathBuf>,
    /// `--script-trace`.
    trace: bool,
}

impl Shared {
    fn log(&self, line: String) {
        if let Some(l) = &self.log {
            l(line);
        }
    }

    /// Whether script I/O is traced (`--script-trace`).
    pub(crate) fn tracing(&self) -> bool {
        self.trace && self.log.is_some()
    }

    pub(crate) fn trace(&self, line: String) {
        if self.trace {
            self.log(line);
        }
    }
}

/// One running script instance (or worker thread).
pub(crate) struct Inst {
    key: u64,
    by_name: bool,
    deadline: Instant,
    cpu_slice: Duration,
    slice_start: Mutex<Instant>,
    killed: Mutex<Option<String>>,
    started: AtomicBool,
    open_sockets: AtomicUsize,
    permit: Mutex<Option<OwnedSemaphorePermit>>,
    workers: Mutex<Vec<(u64, tokio::task::AbortHandle)>>,
}

impl Inst {
    fn new(key: u64, deadline: Instant, cpu_slice: Duration) -> Self {
        Self {
            key,
            by_name: false,
            deadline,
            cpu_slice,
            slice_start: Mutex::new(Instant::now()),
            killed: Mutex::new(None),
            started: AtomicBool::new(false),
            open_sockets: AtomicUsize::new(0),
            permit: Mutex::new(None),
            workers: Mutex::new(Vec::new()),
        }
    }

    /// Why the running Lua code must stop now, if it must.
    fn check(&self) -> Option<String> {
        let now = Instant::now();
        let reason = if now >= self.deadline {
            Some("script timed out".to_string())
        } else if now.duration_since(*lock(&self.slice_start)) > self.cpu_slice {
            Some(format!(
                "script ran {:?} without waiting for I/O",
                self.cpu_slice
            ))
        } else {
            None
        };
        if let Some(r) = &reason {
            lock(&self.killed).get_or_insert_with(|| r.clone());
        }
        reason
    }

    /// Nmap's socket lock: an instance needs a slot to hold open sockets.
    pub(crate) async fn socket_lock(&self, sem: &Arc<Semaphore>) {
        if lock(&self.permit).is_some() {
            return;
        }
        if let Ok(p) = sem.clone().acquire_owned().await {
            lock(&self.permit).get_or_insert(p);
        }
    }
    pub(crate) fn socket_unlock_if_idle(&self) {
        if self.open_sockets.load(Ordering::SeqCst) == 0 {
            lock(&self.permit).take();
        }
    }
    pub(crate) fn socket_opened(&self) {
        self.open_sockets.fetch_add(1, Ordering::SeqCst);
    }
    pub(crate) fn socket_closed(&self) {
        if self.open_sockets.fetch_sub(1, Ordering::SeqCst) <= 1 {
            self.open_sockets.store(0, Ordering::SeqCst);
            lock(&self.permit).take();
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Inst>>> = const { RefCell::new(None) };
}

/// The instance whose Lua code is running on this thread.
pub(crate) fn current_inst() -> Option<Arc<Inst>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Polls a future with `inst` as the current instance; ends it (`None`)
/// once the instance has been killed.
struct Tracked<F> {
    inst: Arc<Inst>,
    fut: std::pin::Pin<Box<F>>,
}

impl<F: std::future::Future> std::future::Future for Tracked<F> {
    type Output = Option<F::Output>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        if lock(&self.inst.killed).is_some() {
            return std::task::Poll::Ready(None);
        }
        let prev = CURRENT.with(|c| c.replace(Some(self.inst.clone())));
        *lock(&self.inst.slice_start) = Instant::now();
        let r = self.fut.as_mut().poll(cx);
        CURRENT.with(|c| *c.borrow_mut() = prev);
        match r {
            std::task::Poll::Ready(v) => std::task::Poll::Ready(Some(v)),
            std::task::Poll::Pending if lock(&self.inst.killed).is_some() => {
                std::task::Poll::Ready(None)
            }
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }
}

/// A chosen, loaded script.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    pub(crate) info: ScriptInfo,
    pub(crate) forced: bool,
    /// Selected by name: the script sees one more verbosity level and
    /// version intensity 9, as in Nmap.
    pub(crate) by_name: bool,
    pub(crate) runlevel: usize,
}

pub(crate) enum Job {
    Host(Box<Host>, oneshot::Sender<(Host, Vec<Diagnostic>)>),
    Phase(
        &'static str,
        oneshot::Sender<(Vec<ScriptResult>, Vec<Diagnostic>)>,
    ),
}

pub(crate) struct Rt {
    lua: Lua,
    shared: Arc<Shared>,
    scripts: Vec<Script>,
    run_fn: Function,
    done_fn: Function,
    host_registry_fn: Function,
    timeout: Duration,
    cpu_slice: Duration,
    threads: Arc<Semaphore>,
    interface: Option<String>,
}

/// Starts the engine thread; returns the chosen scripts and the job queue.
pub(crate) fn start(
    opts: Options,
) -> Result<(Vec<ScriptInfo>, tokio::sync::mpsc::UnboundedSender<Job>), String> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (job_tx, mut job_rx) = tokio::sync::mpsc::unbounded_channel::<Job>();
    std::thread::Builder::new()
        .name("nse".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("cannot start the script engine: {e}")));
                    return;
                }
            };
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, async move {
                let engine = match setup(opts).await {
                    Ok(e) => Rc::new(e),
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let infos = engine.scripts.iter().map(|s| s.info.clone()).collect();
                let _ = ready_tx.send(Ok(infos));
                while let Some(job) = job_rx.recv().await {
                    let engine = engine.clone();
                    tokio::task::spawn_local(async move {
                        match job {
                            Job::Host(host, reply) => {
                                let r = run_host(&engine, *host, &reply).await;
                                let _ = reply.send(r);
                            }
                            Job::Phase(rule, reply) => {
                                let r = run_phase(&engine, rule).await;
                                let _ = reply.send(r);
                            }
                        }
                    });
                }
            });
        })
        .map_err(|e| format!("cannot start the script engine: {e}"))?;
    let infos = ready_rx
        .recv()
        .map_err(|_| "the script engine failed to start".to_string())??;
    Ok((infos, job_tx))
}

fn lua_err(e: mlua::Error) -> String {
    e.to_string()
}

async fn setup(opts: Options) -> Result<Rt, String> {
    let libs = if opts.unsafe_scripts {
        StdLib::ALL_SAFE
    } else {
        StdLib::TABLE
            | StdLib::STRING
            | StdLib::MATH
            | StdLib::UTF8
            | StdLib::COROUTINE
            | StdLib::OS
    };
    let lua = Lua::new_with(libs, LuaOptions::default()).map_err(lua_err)?;
    let shared = Arc::new(Shared {
        debugging: opts.debugging,
        source: opts.source,
        socket_sem: Arc::new(Semaphore::new(opts.max_parallelism.unwrap_or(20).max(1))),
        tls: crate::socket::tls_connector(),
        log: opts.log.clone(),
        hosts: Mutex::new(HashMap::new()),
        waiters: Mutex::new(HashMap::new()),
        next_key: AtomicU64::new(1),
        datadir: opts.datadir.clone(),
        trace: opts.trace,
    });
    sandbox(&lua, opts.unsafe_scripts).map_err(lua_err)?;
    let helpers = helpers(&lua, &shared).map_err(lua_err)?;
    helpers
        .set("unsafe", opts.unsafe_scripts)
        .map_err(lua_err)?;
    let r: Table = lua
        .load(RUNTIME)
        .set_name("=nse_runtime")
        .call(helpers)
        .map_err(lua_err)?;
    let nmap = nmap_module(&lua, &shared, &r, &opts).map_err(lua_err)?;
    install_require(&lua, &r, nmap, opts.datadir.as_deref()).map_err(lua_err)?;
    lua.set_memory_limit(opts.memory_limit).map_err(lua_err)?;
    lua.set_global_hook(HookTriggers::new().every_nth_instruction(4096), |_, _| {
        // A killed instance is yielded back to the engine, which drops
        // it; where Lua cannot yield, the yield attempt raises an error,
        // and the next hook tries again.
        let killed = CURRENT.with(|c| c.borrow().as_ref().and_then(|i| i.check()));
        match killed {
            Some(_) => Ok(VmState::Yield),
            None => Ok(VmState::Continue),
        }
    })
    .map_err(lua_err)?;

    let timeout = opts
        .timeout
        .unwrap_or(crate::HARD_TIMEOUT)
        .min(crate::HARD_TIMEOUT);
    let scripts = choose(&lua, &r, &opts).await?;
    let get = |name: &str| -> Result<Function, String> { r.get(name).map_err(lua_err) };
    Ok(Rt {
        run_fn: get("run")?,
        done_fn: get("instance_done")?,
        host_registry_fn: get("host_registry")?,
        lua,
        shared,
        scripts,
        timeout,
        cpu_slice: opts.cpu_slice,
        interface: opts.interface.clone(),
        threads: Arc::new(Semaphore::new(
            CONCURRENCY_LIMIT.max(opts.max_parallelism.unwrap_or(0)),
        )),
    })
}

/// Removes what scripts must not reach without `--script-unsafe`.
fn sandbox(lua: &Lua, unsafe_scripts: bool) -> mlua::Result<()> {
    let g = lua.globals();
    for name in ["dofile", "loadfile"] {
        if !unsafe_scripts {
            g.raw_set(name, Value::Nil)?;
        }
    }
    if !unsafe_scripts {
        let os: Table = g.get("os")?;
        let safe = lua.create_table()?;
        for f in ["time", "date", "clock", "difftime", "getenv"] {
            safe.raw_set(f, os.get::<Value>(f)?)?;
        }
        g.raw_set("os", safe)?;
    }
    let string: Table = g.get("string")?;
    lua.set_named_registry_value("nmaps.string_find", string.get::<Function>("find")?)?;
    lua.set_named_registry_value("nmaps.tostring", g.get::<Function>("tostring")?)?;
    if !unsafe_scripts {
        string.raw_set("dump", Value::Nil)?;
    }
    // debug.traceback only.
    let debug = lua.create_table()?;
    debug.raw_set(
        "traceback",
        lua.create_function(|lua, (msg, _level): (Option<Value>, Option<i64>)| {
            let msg = match msg {
                Some(Value::String(s)) => Some(s.to_str()?.to_string()),
                Some(Value::Nil) | None => None,
                Some(other) => return Ok(other),
            };
            Ok(Value::String(lua.traceback(msg.as_deref(), 1)?))
        })?,
    )?;
    g.raw_set("debug", debug)?;
    Ok(())
}

fn helpers(lua: &Lua, shared: &Arc<Shared>) -> mlua::Result<Table> {
    let h = lua.create_table()?;
    h.set("pending", Lua::poll_pending())?;
    h.set(
        "traceback",
        lua.create_function(|lua, msg: String| lua.traceback(Some(&msg), 2))?,
    )?;
    h.set(
        "current",
        lua.create_function(|_, ()| Ok(current_inst().map(|i| i.key)))?,
    )?;
    h.set(
        "action_started",
        lua.create_function(|_, ()| {
            if let Some(i) = current_inst() {
                i.started.store(true, Ordering::SeqCst);
            }
            Ok(())
        })?,
    )?;
    let s = shared.clone();
    h.set(
        "new_key",
        lua.create_function(move |_, ()| Ok(s.next_key.fetch_add(1, Ordering::SeqCst)))?,
    )?;
    let s = shared.clone();
    h.set(
        "wait",
        lua.create_async_function(move |_, key: u64| {
            let (tx, rx) = oneshot::channel();
            lock(&s.waiters).entry(key).or_default().push_back(tx);
            async move {
                let _ = rx.await;
                Ok(())
            }
        })?,
    )?;
    let s = shared.clone();
    h.set(
        "wake",
        lua.create_function(move |_, (key, all): (u64, bool)| {
            let mut w = lock(&s.waiters);
            if let Some(q) = w.get_mut(&key) {
                while let Some(tx) = q.pop_front() {
                    if tx.send(()).is_ok() && !all {
                        break;
                    }
                }
                if q.is_empty() {
                    w.remove(&key);
                }
            }
            Ok(())
        })?,
    )?;
    h.set(
        "spawn_worker",
        lua.create_function(move |lua, body: Function| {
            let Some(parent) = current_inst() else {
                return Err(mlua::Error::runtime(
                    "stdnse.new_thread can only be run from an active script",
                ));
            };
            let key = next_instance_key();
            let inst = Arc::new(Inst {
                by_name: parent.by_name,
                ..Inst::new(key, parent.deadline, parent.cpu_slice)
            });
            let thread = lua.create_thread(body)?;
            let fut = thread.clone().into_async::<()>(())?;
            let task = tokio::task::spawn_local(Tracked {
                inst,
                fut: Box::pin(fut),
            });
            lock(&parent.workers).push((key, task.abort_handle()));
            Ok((thread, key))
        })?,
    )?;
    Ok(h)
}

fn next_instance_key() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

fn nmap_module(lua: &Lua, shared: &Arc<Shared>, r: &Table, opts: &Options) -> mlua::Result<Table> {
    let m = lua.create_table()?;
    let (v, d) = (opts.verbosity, opts.debugging);
    let by_name = || current_inst().is_some_and(|i| i.by_name);
    m.set(
        "verbosity",
        lua.create_function(move |_, ()| Ok(v + u8::from(by_name())))?,
    )?;
    m.set("debugging", lua.create_function(move |_, ()| Ok(d))?)?;
    let vi = opts.version_intensity;
    m.set(
        "version_intensity",
        lua.create_function(move |_, ()| Ok(if by_name() { 9 } else { vi }))?,
    )?;
    let tl = opts.timing_level;
    m.set("timing_level", lua.create_function(move |_, ()| Ok(tl))?)?;
    let privileged = opts.privileged;
    m.set(
        "is_privileged",
        lua.create_function(move |_, ()| Ok(privileged))?,
    )?;
    m.set("have_ssl", lua.create_function(|_, ()| Ok(true))?)?;
    let af = if opts.ipv6 { "inet6" } else { "inet" };
    m.set("address_family", lua.create_function(move |_, ()| Ok(af))?)?;
    // `--dns-servers`, else the nameservers of /etc/resolv.conf (read here:
    // scripts have no `io`).
    let dns: Vec<String> = if opts.dns_servers.is_empty() {
        std::fs::read_to_string("/etc/resolv.conf")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some("nameserver")).then(|| w.next()).flatten()
            })
            .filter(|a| a.parse::<IpAddr>().is_ok())
            .map(str::to_string)
            .collect()
    } else {
        opts.dns_servers.iter().map(ToString::to_string).collect()
    };
    m.set(
        "get_dns_servers",
        lua.create_function(move |_, ()| Ok(dns.clone()))?,
    )?;
    let iface = opts.interface.clone();
    m.set(
        "get_interface",
        lua.create_function(move |_, ()| Ok(iface.clone()))?,
    )?;
    fn now() -> f64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    }
    m.set("clock", lua.create_function(|_, ()| Ok(now()))?)?;
    m.set(
        "clock_ms",
        lua.create_function(|_, ()| Ok((now() * 1000.0).floor()))?,
    )?;
    m.set(
        "get_random_bytes",
        lua.create_function(|lua, n: usize| {
            use std::hash::{BuildHasher, Hasher};
            let mut out = Vec::with_capacity(n);
            while out.len() < n {
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_usize(out.len());
                out.extend_from_slice(&h.finish().to_le_bytes());
            }
            out.truncate(n);
            lua.create_string(&out)
        })?,
    )?;
    let s = shared.clone();
    m.set(
        "log_write",
        lua.create_function(move |_, (_where, msg): (String, mlua::LuaString)| {
            s.log(format!("NSE: {}", String::from_utf8_lossy(&msg.as_bytes())));
            Ok(())
        })?,
    )?;
    let s = shared.clone();
    lua.globals().set(
        "print",
        lua.create_function(move |lua, args: MultiValue| {
            let tostring: Function = lua.named_registry_value("nmaps.tostring")?;
            let mut parts = Vec::new();
            for a in args {
                let s: mlua::LuaString = tostring.call(a)?;
                parts.push(s.to_string_lossy());
            }
            s.log(parts.join("\t"));
            Ok(())
        })?,
    )?;
    // The registry, with the parsed script arguments.
    let registry = lua.create_table()?;
    let args_text = crate::args::combine(opts.args_file_text.as_deref(), opts.args.as_deref());
    let args = crate::args::parse(&args_text).map_err(mlua::Error::runtime)?;
    registry.set("args", arg_to_lua(lua, &args)?)?;
    m.set("registry", registry)?;
    // Sockets.
    let s = shared.clone();
    let v6 = opts.ipv6;
    m.set(
        "new_socket",
        lua.create_function(move |_, (proto, fam): (Option<String>, Option<String>)| {
            let udp = match proto.as_deref() {
                None | Some("tcp") => false,
                Some("udp") => true,
                Some(o) => {
                    return Err(mlua::Error::runtime(format!(
                        "bad argument #1 to 'new_socket' (invalid option '{o}')"
                    )));
                }
            };
            let fam6 = match fam.as_deref() {
                None => v6,
                Some("inet") => false,
                Some("inet6") => true,
                Some(o) => {
                    return Err(mlua::Error::runtime(format!(
                        "bad argument #2 to 'new_socket' (invalid option '{o}')"
                    )));
                }
            };
            Ok(NseSocket::new(s.clone(), udp, fam6))
        })?,
    )?;
    let socket = lua.create_table()?;
    let sleep = lua.create_async_function(|_, secs: f64| async move {
        if secs.is_nan() || secs < 0.0 {
            return Err(mlua::Error::runtime(format!(
                "argument to sleep ({secs}) must not be negative"
            )));
        }
        tokio::time::sleep(Duration::from_secs_f64(secs.min(1e6))).await;
        Ok(())
    })?;
    socket.set("sleep", sleep)?;
    m.set("socket", socket)?;
    for f in ["mutex", "condvar", "new_try"] {
        m.set(f, r.get::<Function>(f)?)?;
    }
    // Ports of the hosts being scanned.
    let s = shared.clone();
    m.set(
        "get_port_state",
        lua.create_function(move |lua, (host, port): (Table, Table)| {
            let ip: String = host.get("ip")?;
            let (num, proto) = port_key(&port)?;
            let Some(h) = lock(&s.hosts).get(&ip).cloned() else {
                return Ok(Value::Nil);
            };
            let h = lock(&h);
            match h
                .ports
                .iter()
                .find(|p| p.number == num && p.protocol == proto)
            {
                Some(p) => Ok(Value::Table(port_table(lua, p)?)),
                None => Ok(Value::Nil),
            }
        })?,
    )?;
    let s = shared.clone();
    m.set(
        "set_port_state",
        lua.create_function(move |_, (host, port, state): (Table, Table, String)| {
            let ip: String = host.get("ip")?;
            let (num, proto) = port_key(&port)?;
            let new = match state.as_str() {
                "open" => PortState::Open,
                "closed" => PortState::Closed,
                _ => {
                    return Err(mlua::Error::runtime(format!(
                        "bad argument #3 to 'set_port_state' (invalid option '{state}')"
                    )));
                }
            };
            if let Some(h) = lock(&s.hosts).get(&ip).cloned() {
                let mut h = lock(&h);
                if let Some(p) = h
                    .ports
                    .iter_mut()
                    .find(|p| p.number == num && p.protocol == proto)
                    && p.state != new
                {
                    p.state = new;
                    p.reason = Reason::ScriptSet;
                    p.reason_ttl = 0;
                }
            }
            Ok(())
        })?,
    )?;
    let s = shared.clone();
    m.set(
        "set_port_version",
        lua.create_function(
            move |_, (host, port, _probe): (Table, Table, Option<String>)| {
                let ip: String = host.get("ip")?;
                let (num, proto) = port_key(&port)?;
                let v: Option<Table> = port.get("version")?;
                let Some(v) = v else { return Ok(()) };
                let text = |k: &str| -> mlua::Result<Option<String>> {
                    Ok(v.get::<Option<mlua::LuaString>>(k)?
                        .map(|s| String::from_utf8_lossy(&s.as_bytes()).into_owned()))
                };
                let name = text("name")?
                    .or(port.get::<Option<String>>("service")?)
                    .unwrap_or_default();
                let info = nmaps_model::VersionInfo {
                    product: text("product")?,
                    version: text("version")?,
                    extrainfo: text("extrainfo")?,
                    hostname: text("hostname")?,
                    ostype: text("ostype")?,
                    devicetype: text("devicetype")?,
                    cpes: v
                        .get::<Option<Vec<String>>>("cpe")
                        .ok()
                        .flatten()
                        .unwrap_or_default(),
                };
                let mut svc = Service::probed(name, info);
                svc.tunnel_ssl = text("service_tunnel")?.as_deref() == Some("ssl");
                if let Ok(Some(c)) = v.get::<Option<u8>>("name_confidence") {
                    svc.conf = c.min(10);
                }
                if let Some(h) = lock(&s.hosts).get(&ip).cloned() {
                    let mut h = lock(&h);
                    if let Some(p) = h
                        .ports
                        .iter_mut()
                        .find(|p| p.number == num && p.protocol == proto)
                    {
                        p.service = Some(svc);
                    }
                }
                Ok(())
            },
        )?,
    )?;
    let s = shared.clone();
    m.set(
        "get_ports",
        lua.create_function(
            move |lua, (host, port, proto, state): (Table, Option<Table>, String, String)| {
                // The next port (by protocol, then number) after `port` with
                // this protocol and state; the first one when `port` is nil.
                let ip: String = host.get("ip")?;
                let after = match &port {
                    Some(p) => Some(port_key(p)?),
                    None => None,
                };
                let Some(h) = lock(&s.hosts).get(&ip).cloned() else {
                    return Ok(Value::Nil);
                };
                let h = lock(&h);
                let mut ports: Vec<&nmaps_model::Port> = h
                    .ports
                    .iter()
                    .filter(|p| p.protocol.as_str() == proto && p.state.as_str() == state)
                    .collect();
                ports.sort_by_key(|p| (p.protocol, p.number));
                let next = ports.into_iter().find(|p| match after {
                    None => true,
                    Some((n, pr)) => (p.protocol, p.number) > (pr, n),
                });
                match next {
                    Some(p) => Ok(Value::Table(port_table(lua, p)?)),
                    None => Ok(Value::Nil),
                }
            },
        )?,
    )?;
    m.set(
        "port_is_excluded",
        lua.create_function(|_, _: MultiValue| Ok(false))?,
    )?;
    let dd = shared.datadir.clone();
    m.set(
        "fetchfile",
        lua.create_function(move |_, name: String| {
            let Some(d) = &dd else { return Ok(None) };
            let p = d.join(&name);
            Ok(p.is_file().then(|| p.display().to_string()))
        })?,
    )?;
    m.set(
        "resolve",
        lua.create_async_function(|lua, (name, family): (String, Option<String>)| async move {
            let want6 = family.as_deref().map(|f| f == "inet6");
            match tokio::net::lookup_host((name.as_str(), 0)).await {
                Ok(addrs) => {
                    let list: Vec<String> = addrs
                        .map(|a| a.ip())
                        .filter(|ip| want6.is_none_or(|w| ip.is_ipv6() == w))
                        .map(|ip| ip.to_string())
                        .collect();
                    if list.is_empty() {
                        return Ok((false, Value::String(lua.create_string("no addresses")?)));
                    }
                    Ok((true, Value::Table(lua.create_sequence_from(list)?)))
                }
                Err(e) => Ok((false, Value::String(lua.create_string(e.to_string())?))),
            }
        })?,
    )?;
    Ok(m)
}

fn port_key(port: &Table) -> mlua::Result<(u16, Protocol)> {
    let num: i64 = port.get("number")?;
    let proto: Option<String> = port.get("protocol")?;
    let proto = match proto.as_deref() {
        Some("udp") => Protocol::Udp,
        Some("sctp") => Protocol::Sctp,
        _ => Protocol::Tcp,
    };
    Ok((
        u16::try_from(num).map_err(|_| mlua::Error::runtime("bad port number"))?,
        proto,
    ))
}

fn arg_to_lua(lua: &Lua, v: &crate::ArgValue) -> mlua::Result<Value> {
    Ok(match v {
        crate::ArgValue::Str(s) => Value::String(lua.create_string(s)?),
        crate::ArgValue::Table(fields) => {
            let t = lua.create_table()?;
            for (k, v) in fields {
                let v = arg_to_lua(lua, v)?;
                match k {
                    Some(k) => t.raw_set(k.as_str(), v)?,
                    None => t.raw_push(v)?,
                }
            }
            Value::Table(t)
        }
    })
}

/// `require`: loaded modules, then nmaps's own libraries, the project's
/// `nselib/`, then `DATADIR/nselib/NAME.lua`.
fn install_require(lua: &Lua, r: &Table, nmap: Table, datadir: Option<&Path>) -> mlua::Result<()> {
    let loaded = lua.create_table()?;
    loaded.set("nmap", nmap)?;
    let g = lua.globals();
    loaded.set("_G", g.clone())?;
    for std in [
        "string",
        "table",
        "math",
        "utf8",
        "coroutine",
        "os",
        "debug",
        "io",
    ] {
        if let Ok(Value::Table(t)) = g.get::<Value>(std) {
            loaded.set(std, t)?;
        }
    }
    lua.set_named_registry_value("nmaps.loaded", loaded.clone())?;
    let r = r.clone();
    let dir = datadir.map(|d| d.join("nselib"));
    let require = lua.create_function(move |lua, name: String| {
        let loaded: Table = lua.named_registry_value("nmaps.loaded")?;
        let v: Value = loaded.get(name.as_str())?;
        if !v.is_nil() {
            return Ok(v);
        }
        let builtin = BUILTIN_LIBS.iter().find(|(n, _)| *n == name);
        let (source, chunk_name, internal) = if let Some((_, src)) = builtin {
            (src.to_string(), format!("@nselib/{name}.lua"), true)
        } else if let Some((_, src)) = EMBEDDED_LIBS.iter().find(|(n, _)| *n == name) {
            (src.to_string(), format!("@nselib/{name}.lua"), false)
        } else {
            let file = dir
                .as_ref()
                .map(|d| d.join(format!("{}.lua", name.replace('.', "/"))))
                .filter(|p| p.is_file());
            match file {
                Some(p) => (
                    std::fs::read_to_string(&p).map_err(mlua::Error::external)?,
                    format!("@{}", p.display()),
                    false,
                ),
                None => {
                    return Err(mlua::Error::runtime(format!("module '{name}' not found")));
                }
            }
        };
        let f = lua.load(source).set_name(chunk_name).into_function()?;
        let v: Value = if internal {
            f.call((name.as_str(), r.clone()))?
        } else {
            f.call(name.as_str())?
        };
        let v = if v.is_nil() { Value::Boolean(true) } else { v };
        loaded.set(name.as_str(), v.clone())?;
        Ok(v)
    })?;
    lua.globals().set("require", require)?;
    Ok(())
}

/// Runs `f` with a load budget as the current instance.
fn with_budget<T>(f: impl FnOnce() -> T) -> T {
    let inst = Arc::new(Inst::new(0, Instant::now() + LOAD_BUDGET, LOAD_BUDGET));
    let prev = CURRENT.with(|c| c.replace(Some(inst)));
    let r = f();
    CURRENT.with(|c| *c.borrow_mut() = prev);
    r
}

struct Source {
    id: String,
    filename: String,
    text: Result<String, String>,
}

/// Runs a script's top level (in a Lua thread of its own, with a time
/// budget, like an instance) and returns what it declares.
async fn load_script(
    lua: &Lua,
    r: &Table,
    src: &Source,
    cpu_slice: Duration,
) -> Result<ScriptInfo, String> {
    let text = src.text.clone()?;
    let load: Function = r.get("load_script").map_err(lua_err)?;
    let fail = |e: String| format!("Failed to load {}:\n{e}", src.filename);
    let fut = lua
        .create_thread(load)
        .and_then(|th| th.into_async::<Table>((src.id.as_str(), src.filename.as_str(), text)))
        .map_err(|e| fail(e.to_string()))?;
    let budget = LOAD_BUDGET.min(cpu_slice);
    let inst = Arc::new(Inst::new(0, Instant::now() + budget, budget));
    let t: Table = match (Tracked {
        inst,
        fut: Box::pin(fut),
    })
    .await
    {
        Some(Ok(t)) => t,
        Some(Err(e)) => return Err(fail(e.to_string())),
        None => return Err(fail("loading took too long".into())),
    };
    let strings = |k: &str| -> Vec<String> { t.get::<Vec<String>>(k).unwrap_or_default() };
    Ok(ScriptInfo {
        id: src.id.clone(),
        filename: src.filename.clone(),
        categories: strings("categories"),
        dependencies: strings("dependencies"),
        rules: strings("rules"),
        description: t.get("description").ok().flatten(),
        author: t.get("author").ok().flatten(),
        license: t.get("license").ok().flatten(),
    })
}

/// Builds the catalog, applies the selection and loads the chosen scripts.
async fn choose(lua: &Lua, r: &Table, opts: &Options) -> Result<Vec<Script>, String> {
    let mut sources: Vec<Source> = Vec::new();
    let mut cats: Vec<Option<Vec<String>>> = Vec::new();
    // The data directory first: its scripts hide embedded ones of the same name.
    if let Some(dir) = opts.datadir.as_ref().map(|d| d.join("scripts")) {
        let db: Option<Vec<(String, Vec<String>)>> = std::fs::read_to_string(dir.join("script.db"))
            .ok()
            .and_then(|text| {
                let f: Function = r.get("read_script_db").ok()?;
                let rows = with_budget(|| f.call::<Vec<Table>>(text)).ok()?;
                rows.iter()
                    .map(|t| Some((t.get::<String>(1).ok()?, t.get::<Vec<String>>(2).ok()?)))
                    .collect()
            });
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "nse"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for p in files {
            let Some(id) = p.file_stem().and_then(|s| s.to_str()).map(str::to_string) else {
                continue;
            };
            let known = match &db {
                Some(db) => match db.iter().find(|(f, _)| f == &format!("{id}.nse")) {
                    Some((_, c)) => Some(c.clone()),
                    None => continue,
                },
                None => None,
            };
            sources.push(Source {
                id,
                filename: p.display().to_string(),
                text: std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display())),
            });
            cats.push(known);
        }
    }
    for (id, text) in EMBEDDED_SCRIPTS {
        if sources.iter().any(|s| s.id == *id) {
            continue;
        }
        sources.push(Source {
            id: id.to_string(),
            filename: format!("scripts/{id}.nse"),
            text: Ok(text.to_string()),
        });
        cats.push(None);
    }
    for (src, slot) in sources.iter().zip(cats.iter_mut()) {
        if slot.is_none() {
            // Unknown categories: load the script to learn them; a script
            // that does not load is left out of category selection.
            *slot = Some(
                load_script(lua, r, src, opts.cpu_slice)
                    .await
                    .map(|i| i.categories)
                    .unwrap_or_default(),
            );
        }
    }
    let catalog: Vec<CatalogEntry> = sources
        .iter()
        .zip(&cats)
        .map(|(s, c)| CatalogEntry {
            id: s.id.clone(),
            categories: c.clone().unwrap_or_default(),
        })
        .collect();
    let datadir = opts.datadir.clone();
    let chosen = crate::select::select(&opts.scripts, opts.default_scripts, &catalog, |rule| {
        crate::select::lookup_on_disk(rule, datadir.as_deref())
    })?;
    let mut scripts: Vec<Script> = Vec::new();
    for c in chosen {
        let (src, forced, by_name) = match c {
            Chosen::Known {
                index,
                forced,
                by_name,
            } => (
                Source {
                    id: sources[index].id.clone(),
                    filename: sources[index].filename.clone(),
                    text: sources[index].text.clone(),
                },
                forced,
                by_name,
            ),
            Chosen::File {
                path,
                forced,
                by_name,
            } => {
                let id = path
                    .file_name()
                    .and_then(|s| s.to_str())
                    .map(|s| s.strip_suffix(".nse").unwrap_or(s).to_string())
                    .unwrap_or_default();
                (
                    Source {
                        id,
                        filename: path.display().to_string(),
                        text: std::fs::read_to_string(&path)
                            .map_err(|e| format!("{}: {e}", path.display())),
                    },
                    forced,
                    by_name,
                )
            }
        };
        if let Some(f) = found(&scripts, &src.id) {
            if f.info.filename == src.filename {
                continue;
            }
            return Err(format!("duplicate script ID: '{}'", src.id));
        }
        let info = load_script(lua, r, &src, opts.cpu_slice).await?;
        scripts.push(Script {
            info,
            forced,
            by_name,
            runlevel: 0,
        });
    }
    runlevels(&mut scripts)?;
    Ok(scripts)
}

fn found<'a>(scripts: &'a [Script], id: &str) -> Option<&'a Script> {
    scripts.iter().find(|s| s.info.id == id)
}

/// Nmap's run levels: 1 + the highest level of any chosen dependency.
fn runlevels(scripts: &mut [Script]) -> Result<(), String> {
    fn level(
        i: usize,
        scripts: &[Script],
        memo: &mut Vec<Option<usize>>,
        chain: &mut Vec<usize>,
    ) -> Result<usize, String> {
        if let Some(l) = memo[i] {
            return Ok(l);
        }
        if chain.contains(&i) {
            chain.push(i);
            let names: Vec<&str> = chain.iter().map(|&j| scripts[j].info.id.as_str()).collect();
            return Err(format!(
                "circular dependency in chain `{}`",
                names.join("->")
            ));
        }
        chain.push(i);
        let mut l = 1;
        for d in &scripts[i].info.dependencies {
            if let Some(j) = scripts.iter().position(|s| &s.info.id == d) {
                l = l.max(level(j, scripts, memo, chain)? + 1);
            }
        }
        chain.pop();
        memo[i] = Some(l);
        Ok(l)
    }
    let mut memo = vec![None; scripts.len()];
    for i in 0..scripts.len() {
        let l = level(i, scripts, &mut memo, &mut Vec::new())?;
        scripts[i].runlevel = l;
    }
    Ok(())
}

fn reason_str(r: Reason) -> &'static str {
    r.as_str()
}

fn host_table(rt: &Rt, host: &Host) -> mlua::Result<Table> {
    let lua = &rt.lua;
    let t = lua.create_table()?;
    let ip = host.addr.to_string();
    t.set("ip", ip.as_str())?;
    t.set("name", host.ptr_name().unwrap_or(""))?;
    if let Some(n) = host.user_name() {
        t.set("targetname", n)?;
    }
    t.set("reason", reason_str(host.status.reason))?;
    t.set("reason_ttl", host.status.reason_ttl)?;
    t.set("directly_connected", host.mac.is_some())?;
    if let Some(i) = &rt.interface {
        t.set("interface", i.as_str())?;
    }
    if let Some(m) = &host.mac {
        t.set("mac_addr", lua.create_string(m.addr)?)?;
        t.set("mac_addr_next_hop", lua.create_string(m.addr)?)?;
    }
    let bin = match host.addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    t.set("bin_ip", lua.create_string(&bin)?)?;
    if let Some(src) = rt.shared.source {
        let b = match src {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        t.set("bin_ip_src", lua.create_string(&b)?)?;
    }
    // Always there, as in Nmap (seconds; before any measurement Nmap's
    // initial timeout of 1 s).
    let (srtt, rttvar, timeout) = match host.times {
        Some(tm) => (
            tm.srtt as f64 / 1e6,
            tm.rttvar as f64 / 1e6,
            tm.timeout as f64 / 1e6,
        ),
        None => (0.0, 0.0, 1.0),
    };
    let times = lua.create_table()?;
    times.set("srtt", srtt)?;
    times.set("rttvar", rttvar)?;
    times.set("timeout", timeout)?;
    t.set("times", times)?;
    let reg: Table = rt.host_registry_fn.call(ip)?;
    t.set("registry", reg)?;
    Ok(t)
}

fn port_table(lua: &Lua, p: &nmaps_model::Port) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("number", p.number)?;
    t.set("protocol", p.protocol.as_str())?;
    t.set("state", p.state.as_str())?;
    t.set("reason", p.reason.as_str())?;
    t.set("reason_ttl", p.reason_ttl)?;
    let v = lua.create_table()?;
    if let Some(s) = &p.service {
        t.set("service", s.name.as_str())?;
        v.set("name", s.name.as_str())?;
        // A float in Nmap (lua_pushnumber): scripts print "3.0".
        v.set("name_confidence", f64::from(s.conf))?;
        v.set(
            "service_dtype",
            match s.method {
                nmaps_model::ServiceMethod::Table => "table",
                nmaps_model::ServiceMethod::Probed => "probed",
            },
        )?;
        v.set("service_tunnel", if s.tunnel_ssl { "ssl" } else { "none" })?;
        let st = s.version.nmap_stored();
        for (k, val) in [
            ("product", &st.product),
            ("version", &st.version),
            ("extrainfo", &st.extrainfo),
            ("hostname", &st.hostname),
            ("ostype", &st.ostype),
            ("devicetype", &st.devicetype),
        ] {
            if let Some(val) = val {
                v.set(k, val.as_str())?;
            }
        }
        if let Some(fp) = &s.servicefp {
            v.set("service_fp", fp.as_str())?;
        }
        v.set(
            "cpe",
            lua.create_sequence_from(st.cpes.iter().map(String::as_str))?,
        )?;
    } else {
        // Nmap's deduction from the services table, found nothing.
        v.set("name_confidence", 3.0)?;
        v.set("service_dtype", "table")?;
        v.set("service_tunnel", "none")?;
        v.set("cpe", lua.create_table()?)?;
    }
    v.set("rpc_status", "unknown")?;
    t.set("version", v)?;
    Ok(t)
}

/// What one instance produced.
enum Outcome {
    Nothing,
    Output(ScriptResult),
}

fn nodes_to_elems(t: &Table, depth: usize) -> mlua::Result<Vec<ScriptElem>> {
    let mut out = Vec::new();
    if depth > 200 {
        return Ok(out);
    }
    for n in t.sequence_values::<Table>() {
        let n = n?;
        let key: Option<mlua::LuaString> = n.raw_get("k")?;
        let key = key.map(|k| String::from_utf8_lossy(&k.as_bytes()).into_owned());
        match n.raw_get::<Value>("t")? {
            Value::Table(sub) => out.push(ScriptElem::Table {
                key,
                items: nodes_to_elems(&sub, depth + 1)?,
            }),
            _ => {
                let v: mlua::LuaString = n.raw_get("v")?;
                out.push(ScriptElem::Elem {
                    key,
                    value: String::from_utf8_lossy(&v.as_bytes()).into_owned(),
                });
            }
        }
    }
    Ok(out)
}

/// Runs one instance of `script` with rule `rule`.
async fn run_instance(
    rt: &Rc<Rt>,
    script: &Script,
    rule: &'static str,
    host: Value,
    port: Value,
    target: Option<String>,
    diags: &RefCell<Vec<Diagnostic>>,
) -> Outcome {
    let _slot = rt.threads.clone().acquire_owned().await;
    let key = next_instance_key();
    let deadline = Instant::now() + rt.timeout;
    let inst = Arc::new(Inst {
        by_name: script.by_name,
        ..Inst::new(key, deadline, rt.cpu_slice)
    });
    let diag = |kind: DiagKind, message: String| {
        diags.borrow_mut().push(Diagnostic {
            script: script.info.id.clone(),
            target: target.clone(),
            kind,
            message,
        })
    };
    let started = rt.lua.create_thread(rt.run_fn.clone()).and_then(|th| {
        th.into_async::<MultiValue>((
            script.info.id.as_str(),
            rule,
            script.forced,
            key,
            host,
            port,
        ))
    });
    let fut = match started {
        Ok(f) => f,
        Err(e) => {
            diag(DiagKind::Error, e.to_string());
            return Outcome::Nothing;
        }
    };
    let tracked = Tracked {
        inst: inst.clone(),
        fut: Box::pin(fut),
    };
    let res = tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), tracked).await;
    let workers: Vec<(u64, tokio::task::AbortHandle)> = std::mem::take(&mut *lock(&inst.workers));
    for (wkey, h) in &workers {
        h.abort();
        let _ = rt.done_fn.call::<()>(*wkey);
    }
    let _ = rt.done_fn.call::<()>(key);
    lock(&inst.permit).take();
    let killed = lock(&inst.killed).clone();
    let values = match res {
        Err(_) | Ok(None) => {
            diag(
                DiagKind::TimedOut,
                killed.unwrap_or_else(|| "script timed out".into()),
            );
            return Outcome::Nothing;
        }
        Ok(Some(Err(e))) => {
            match killed {
                Some(k) => diag(DiagKind::TimedOut, k),
                None => diag(DiagKind::Error, e.to_string()),
            }
            return error_outcome(rt, script);
        }
        Ok(Some(Ok(v))) => v.into_vec(),
    };
    let status = match values.first() {
        Some(Value::String(s)) => s.to_string_lossy(),
        _ => String::new(),
    };
    let text_of = |v: Option<&Value>| match v {
        Some(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
        _ => String::new(),
    };
    match status.as_str() {
        "skip" | "none" => Outcome::Nothing,
        "ok" => {
            let output = text_of(values.get(1));
            let elements = match values.get(2) {
                Some(Value::Table(t)) => match nodes_to_elems(t, 0) {
                    Ok(e) => e,
                    Err(e) => {
                        diag(DiagKind::Error, e.to_string());
                        Vec::new()
                    }
                },
                _ => Vec::new(),
            };
            Outcome::Output(ScriptResult {
                id: script.info.id.clone(),
                output,
                elements,
            })
        }
        "try" => {
            diag(DiagKind::Exception, text_of(values.get(1)));
            Outcome::Nothing
        }
        _ => {
            let msg = text_of(values.get(1));
            match killed {
                Some(k) => {
                    diag(DiagKind::TimedOut, k);
                    Outcome::Nothing
                }
                None => {
                    diag(DiagKind::Error, msg);
                    error_outcome(rt, script)
                }
            }
        }
    }
}

/// Nmap without `-d` reports a failed script in its output.
fn error_outcome(rt: &Rt, script: &Script) -> Outcome {
    if rt.shared.debugging > 0 {
        return Outcome::Nothing;
    }
    Outcome::Output(ScriptResult {
        id: script.info.id.clone(),
        output: "ERROR: Script execution failed (use -d to debug)".into(),
        elements: Vec::new(),
    })
}

fn has_rule(s: &Script, rule: &str) -> bool {
    s.info.rules.iter().any(|r| r == rule)
}

async fn run_host(
    rt: &Rc<Rt>,
    host: Host,
    reply: &oneshot::Sender<(Host, Vec<Diagnostic>)>,
) -> (Host, Vec<Diagnostic>) {
    let ip = host.addr.to_string();
    let cell = Arc::new(Mutex::new(host));
    lock(&rt.shared.hosts).insert(ip.clone(), cell.clone());
    let diags = Rc::new(RefCell::new(Vec::new()));
    let mut host_results: Vec<ScriptResult> = Vec::new();
    let mut port_results: Vec<((u16, Protocol), ScriptResult)> = Vec::new();
    let max_level = rt.scripts.iter().map(|s| s.runlevel).max().unwrap_or(0);
    for level in 1..=max_level {
        if reply.is_closed() {
            break;
        }
        let snapshot = lock(&cell).clone();
        // Ports scripts look at, in Nmap's order: open, open|filtered, unfiltered.
        let mut ports = Vec::new();
        for st in [
            PortState::Open,
            PortState::OpenFiltered,
            PortState::Unfiltered,
        ] {
            // TCP, UDP and SCTP only: IP protocol "ports" get no port scripts.
            ports.extend(
                snapshot
                    .ports
                    .iter()
                    .filter(|p| p.state == st && p.protocol != Protocol::Ip)
                    .cloned(),
            );
        }
        let mut tasks = Vec::new();
        for (si, s) in rt.scripts.iter().enumerate() {
            if s.runlevel != level {
                continue;
            }
            if has_rule(s, "hostrule") {
                let h = match host_table(rt, &snapshot) {
                    Ok(h) => Value::Table(h),
                    Err(_) => continue,
                };
                tasks.push((None, si, h, Value::Nil));
            }
        }
        for p in &ports {
            for (si, s) in rt.scripts.iter().enumerate() {
                if s.runlevel != level || !has_rule(s, "portrule") {
                    continue;
                }
                let (Ok(h), Ok(pt)) = (host_table(rt, &snapshot), port_table(&rt.lua, p)) else {
                    continue;
                };
                tasks.push((
                    Some((p.number, p.protocol)),
                    si,
                    Value::Table(h),
                    Value::Table(pt),
                ));
            }
        }
        let mut handles = Vec::new();
        for (port, si, h, pt) in tasks {
            let rt2 = rt.clone();
            let diags2 = diags.clone();
            let target = Some(match port {
                Some((n, proto)) => format!("{ip}:{n}/{}", proto.as_str()),
                None => ip.clone(),
            });
            let rule = if port.is_some() {
                "portrule"
            } else {
                "hostrule"
            };
            handles.push((
                port,
                si,
                tokio::task::spawn_local(async move {
                    run_instance(&rt2, &rt2.scripts[si], rule, h, pt, target, &diags2).await
                }),
            ));
        }
        for (port, si, h) in handles {
            match h.await {
                Ok(Outcome::Output(r)) => match port {
                    Some(k) => port_results.push((k, r)),
                    None => host_results.push(r),
                },
                Ok(Outcome::Nothing) => {}
                Err(e) => diags.borrow_mut().push(Diagnostic {
                    script: rt.scripts[si].info.id.clone(),
                    target: Some(ip.clone()),
                    kind: DiagKind::Error,
                    message: format!("script task failed: {e}"),
                }),
            }
        }
    }
    lock(&rt.shared.hosts).remove(&ip);
    let mut host = lock(&cell).clone();
    host_results.sort_by(|a, b| a.id.cmp(&b.id));
    host.scripts.extend(host_results);
    for ((n, proto), r) in port_results {
        if let Some(p) = host
            .ports
            .iter_mut()
            .find(|p| p.number == n && p.protocol == proto)
        {
            p.scripts.push(r);
        }
    }
    for p in &mut host.ports {
        p.scripts.sort_by(|a, b| a.id.cmp(&b.id));
    }
    let d = diags.borrow().clone();
    (host, d)
}

async fn run_phase(rt: &Rc<Rt>, rule: &'static str) -> (Vec<ScriptResult>, Vec<Diagnostic>) {
    let diags = Rc::new(RefCell::new(Vec::new()));
    let mut results = Vec::new();
    let max_level = rt.scripts.iter().map(|s| s.runlevel).max().unwrap_or(0);
    for level in 1..=max_level {
        let mut handles = Vec::new();
        for (si, s) in rt.scripts.iter().enumerate() {
            if s.runlevel != level || !has_rule(s, rule) {
                continue;
            }
            let rt2 = rt.clone();
            let diags2 = diags.clone();
            handles.push((
                si,
                tokio::task::spawn_local(async move {
                    run_instance(
                        &rt2,
                        &rt2.scripts[si],
                        rule,
                        Value::Nil,
                        Value::Nil,
                        None,
                        &diags2,
                    )
                    .await
                }),
            ));
        }
        for (si, h) in handles {
            match h.await {
                Ok(Outcome::Output(r)) => results.push(r),
                Ok(Outcome::Nothing) => {}
                Err(e) => diags.borrow_mut().push(Diagnostic {
                    script: rt.scripts[si].info.id.clone(),
                    target: None,
                    kind: DiagKind::Error,
                    message: format!("script task failed: {e}"),
                }),
            }
        }
    }
    results.sort_by(|a: &ScriptResult, b| a.id.cmp(&b.id));
    let _ = rt.lua.gc_collect();
    let d = diags.borrow().clone();
    (results, d)
}
