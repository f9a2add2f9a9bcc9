//! The scripting engine (NSE): Lua scripts run against hosts and ports with
//! Nmap's script API, and their results stored as Nmap stores them.
//!
//! Use: [`ScriptEngine::start`] loads and selects the scripts (an error
//! string names what is wrong: an unknown rule, a script that does not
//! load, bad `--script-args`); [`ScriptEngine::prerule`] before the scan,
//! [`ScriptScan`] as a [`nmaps_engine::HostStage`] for each host, and
//! [`ScriptEngine::postrule`] after it; [`ScriptEngine::take_diagnostics`]
//! returns script errors and timeouts (for `-d`). See `docs/scripting.md`.

mod args;
mod runtime;
mod select;
mod socket;

pub use args::{ArgValue, combine as combine_script_args, parse as parse_script_args};
pub use select::{
    CatalogEntry, Chosen, Found, glob_match, lookup_on_disk, matches, select, split_rules,
};

use nmaps_engine::HostStage;
use nmaps_model::{Host, PortState, ScriptResult};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Reads a `--script-args-file` (an error names the file, as Nmap's
/// "X is not a file").
pub fn read_script_args_file(path: &std::path::Path) -> Result<String, String> {
    if !path.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Longest any script instance may run, whatever `--script-timeout` says.
pub const HARD_TIMEOUT: Duration = Duration::from_secs(600);

/// How the engine is set up (from the command line).
#[derive(Clone)]
pub struct Options {
    /// `--script` rules, already split on commas ([`split_rules`]).
    pub scripts: Vec<String>,
    /// `-sC`: the `default` category when no rule is given.
    pub default_scripts: bool,
    /// `--script-args` text.
    pub args: Option<String>,
    /// Contents of the `--script-args-file` file.
    pub args_file_text: Option<String>,
    /// `--datadir`: `DIR/scripts/*.nse`, `DIR/scripts/script.db`, `DIR/nselib/*.lua`.
    pub datadir: Option<PathBuf>,
    /// `--script-unsafe`: full `os`, `io`, `package`, `dofile`, `loadfile`.
    pub unsafe_scripts: bool,
    /// `--script-timeout` (capped by [`HARD_TIMEOUT`]).
    pub timeout: Option<Duration>,
    /// Longest a script may run Lua code without waiting for I/O.
    pub cpu_slice: Duration,
    /// Memory limit of the scripts' Lua state, in bytes.
    pub memory_limit: usize,
    /// `--max-parallelism`: script instances holding sockets at once (20).
    pub max_parallelism: Option<usize>,
    pub verbosity: u8,
    pub debugging: u8,
    /// `--version-intensity` (for `shortport.version_port_or_service`).
    pub version_intensity: u8,
    /// `-T` level.
    pub timing_level: u8,
    pub privileged: bool,
    /// `-6`.
    pub ipv6: bool,
    /// `-S`: source address of script connections.
    pub source: Option<IpAddr>,
    /// `-e`.
    pub interface: Option<String>,
    /// `--dns-servers` (`nmap.get_dns_servers()`); empty: /etc/resolv.conf's.
    pub dns_servers: Vec<IpAddr>,
    /// `--script-trace`: every connect, send, receive and close of the
    /// scripts' sockets goes to `log`.
    pub trace: bool,
    /// Receives the scripts' log lines (`stdnse.debug`, `nmap.log_write`,
    /// `print`) as they happen, without a newline.
    pub log: Option<Arc<dyn Fn(String) + Send + Sync>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            scripts: Vec::new(),
            default_scripts: false,
            args: None,
            args_file_text: None,
            datadir: None,
            unsafe_scripts: false,
            timeout: None,
            cpu_slice: Duration::from_secs(60),
            memory_limit: 1 << 30,
            max_parallelism: None,
            verbosity: 0,
            debugging: 0,
            version_intensity: 7,
            timing_level: 3,
            privileged: false,
            ipv6: false,
            source: None,
            interface: None,
            dns_servers: Vec::new(),
            trace: false,
            log: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("scripts", &self.scripts)
            .field("default_scripts", &self.default_scripts)
            .field("args", &self.args)
            .field("datadir", &self.datadir)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A chosen script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptInfo {
    pub id: String,
    pub filename: String,
    pub categories: Vec<String>,
    pub dependencies: Vec<String>,
    /// The rules it defines: `prerule`, `hostrule`, `portrule`, `postrule`.
    pub rules: Vec<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub license: Option<String>,
}

/// What went wrong in a script instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagKind {
    /// A Lua error (or a failed engine call); without `-d` the script's
    /// output is Nmap's "ERROR: Script execution failed (use -d to debug)".
    Error,
    /// `--script-timeout`, the hard cap, or the CPU slice ran out.
    TimedOut,
    /// An `nmap.new_try` failure ended the script (no output, as in Nmap).
    Exception,
}

/// One script problem, for `-d` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub script: String,
    /// `IP` or `IP:PORT/PROTO`; `None` for pre/post rules.
    pub target: Option<String>,
    pub kind: DiagKind,
    /// The error with its Lua traceback.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    /// Nmap's `-d` wording: `ID against TARGET threw an error!` and the
    /// traceback, `ID against TARGET timed out`, `Finished ID against
    /// TARGET. Reason: MESSAGE` (no "NSE: " prefix, no trailing newline).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let against = match &self.target {
            Some(t) => format!("{} against {t}", self.script),
            None => self.script.clone(),
        };
        match self.kind {
            DiagKind::Error => write!(f, "{against} threw an error!\n{}", self.message),
            DiagKind::TimedOut => write!(f, "{against} timed out"),
            DiagKind::Exception => write!(f, "Finished {against}. Reason: {}", self.message),
        }
    }
}

/// The running script engine.
pub struct ScriptEngine {
    scripts: Vec<ScriptInfo>,
    jobs: tokio::sync::mpsc::UnboundedSender<runtime::Job>,
    diags: Mutex<Vec<Diagnostic>>,
}

impl std::fmt::Debug for ScriptEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptEngine")
            .field("scripts", &self.scripts)
            .finish_non_exhaustive()
    }
}

impl ScriptEngine {
    /// Loads the scripts `opts` selects, on the engine's own thread. It
    /// blocks until they are loaded (call it before the scan, or from
    /// `spawn_blocking`); the error is one line-ready message.
    pub fn start(opts: Options) -> Result<Arc<Self>, String> {
        let (scripts, jobs) = runtime::start(opts)?;
        Ok(Arc::new(Self {
            scripts,
            jobs,
            diags: Mutex::new(Vec::new()),
        }))
    }

    /// The chosen scripts, in selection order.
    pub fn scripts(&self) -> &[ScriptInfo] {
        &self.scripts
    }

    fn has(&self, rule: &str) -> bool {
        self.scripts
            .iter()
            .any(|s| s.rules.iter().any(|r| r == rule))
    }

    fn keep(&self, d: Vec<Diagnostic>) {
        self.diags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(d);
    }

    async fn phase(&self, rule: &'static str) -> Vec<ScriptResult> {
        if !self.has(rule) {
            return Vec::new();
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.jobs.send(runtime::Job::Phase(rule, tx)).is_err() {
            return Vec::new();
        }
        match rx.await {
            Ok((r, d)) => {
                self.keep(d);
                r
            }
            Err(_) => Vec::new(),
        }
    }

    /// Runs the prerule scripts ("Pre-scan script results"), sorted by id.
    pub async fn prerule(&self) -> Vec<ScriptResult> {
        self.phase("prerule").await
    }

    /// Runs the postrule scripts ("Post-scan script results"), sorted by id.
    pub async fn postrule(&self) -> Vec<ScriptResult> {
        self.phase("postrule").await
    }

    /// Runs the host and port scripts on one host.
    pub async fn scan_host(&self, host: Host) -> Host {
        if !self.has("hostrule") && !self.has("portrule") {
            return host;
        }
        let keep = host.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self
            .jobs
            .send(runtime::Job::Host(Box::new(host), tx))
            .is_err()
        {
            return keep;
        }
        match rx.await {
            Ok((h, d)) => {
                self.keep(d);
                h
            }
            Err(_) => keep,
        }
    }

    /// Script errors and timeouts so far (emptied).
    pub fn take_diagnostics(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.diags.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The script scan as a host stage ("Script scan").
#[derive(Debug, Clone)]
pub struct ScriptScan {
    engine: Arc<ScriptEngine>,
}

impl ScriptScan {
    pub fn new(engine: Arc<ScriptEngine>) -> Self {
        Self { engine }
    }
}

impl HostStage for ScriptScan {
    fn name(&self) -> &'static str {
        "Script scan"
    }

    fn units(&self, host: &Host) -> usize {
        let mut n = 0;
        if self.engine.has("hostrule") {
            n += 1;
        }
        if self.engine.has("portrule") {
            n += host
                .ports
                .iter()
                .filter(|p| {
                    p.protocol != nmaps_model::Protocol::Ip
                        && matches!(
                            p.state,
                            PortState::Open | PortState::OpenFiltered | PortState::Unfiltered
                        )
                })
                .count();
        }
        n
    }

    fn run(
        self: Arc<Self>,
        host: Host,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Host> + Send>> {
        Box::pin(async move { self.engine.scan_host(host).await })
    }
}
