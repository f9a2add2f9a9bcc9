//! `nmaps`: parse Nmap's command line, resolve it into a scan plan, run the
//! engine and feed every output writer.
//!
//! The binary (`src/main.rs`) is [`run`] with [`RunIo::process`]. Programs
//! that embed nmaps (the Python package) call [`run`] with
//! [`RunIo::captured`]: what would go to standard output and standard error
//! goes to their sinks, no signal handler or terminal mode is touched, and the
//! scan stops through a [`Cancel`] token.

// Printing is this crate's job; only `run`, `RunIo` and `Cancel` are public API.
#![allow(unreachable_pub, clippy::print_stdout, clippy::print_stderr)]

mod args;
mod flags;
mod iflist;
mod keys;
mod plan;
mod status;
mod tasks;

pub use nmaps_model::{NMAP_COMPAT_VERSION, NMAPS_VERSION};

use args::{Options, OutKind};
use nmaps_engine::connect::{Shared, TcpConnector};
use nmaps_engine::probe::PacketOpts;
use nmaps_engine::raw::{RawConfig, RawIo};
use nmaps_engine::{Event, Sink};
use nmaps_model::{Exit, Host, Protocol, RunInfo, RunStats, Service};
use nmaps_output::{Format, Multi, Writer, WriterOptions};
use nmaps_targets::Services;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Exit status for a bad command line, as the project promises.
const EXIT_USAGE: i32 = 2;
/// Exit status for other failures.
const EXIT_FAILURE: i32 = 1;

/// Stops a running scan gracefully, as the binary's first SIGINT does: the
/// outputs are finished with the hosts completed so far (`exit="error"` in
/// the XML) and [`run`] returns 130. Clone it freely; cancelling before the
/// scan starts makes the scan stop at once.
#[derive(Clone, Debug)]
pub struct Cancel(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Cancel {
    fn default() -> Self {
        Self::new()
    }
}

impl Cancel {
    /// A token that has not been cancelled.
    pub fn new() -> Self {
        Self(Arc::new(tokio::sync::watch::Sender::new(false)))
    }
    /// Stops the scan (idempotent).
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }
    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }
    fn receiver(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.subscribe()
    }
}

/// Where a run's output goes and who controls it.
pub struct RunIo {
    /// What the binary writes to standard output (`-oX -`, the interactive
    /// report, `-v` lines, `--script-trace`).
    pub stdout: Box<dyn Write + Send>,
    /// What the binary writes to standard error (errors, warnings).
    pub stderr: Box<dyn Write + Send>,
    /// The run owns the process: it installs SIGINT/SIGTERM handlers (a
    /// second signal exits the process), watches the terminal for keys and
    /// restores it on panic. Only the binary sets this.
    pub process: bool,
    /// Standard output is a terminal: every flush reaches it at once.
    pub terminal: bool,
    /// Cancels the scan from another thread.
    pub cancel: Cancel,
}

impl RunIo {
    /// The binary's: the process's standard streams and signals.
    pub fn process() -> Self {
        use std::io::IsTerminal;
        Self {
            stdout: Box::new(io::stdout()),
            stderr: Box::new(io::stderr()),
            process: true,
            terminal: io::stdout().is_terminal(),
            cancel: Cancel::new(),
        }
    }

    /// For an embedding program: output to the given sinks, no signal
    /// handlers, no terminal handling, cancellation through `cancel`.
    pub fn captured(
        stdout: Box<dyn Write + Send>,
        stderr: Box<dyn Write + Send>,
        cancel: Cancel,
    ) -> Self {
        Self {
            stdout,
            stderr,
            process: false,
            terminal: false,
            cancel,
        }
    }
}

/// One run's streams, shared by its tasks.
#[derive(Clone)]
pub(crate) struct Io {
    pub(crate) out: Out,
    err: Out,
    process: bool,
    terminal: bool,
    cancel: Cancel,
}

impl Io {
    /// Writes one line to the run's standard error.
    pub(crate) fn err_line(&self, line: std::fmt::Arguments<'_>) {
        let mut err = self.err.clone();
        let _ = writeln!(err, "{line}");
        let _ = err.flush();
    }
}

/// Runs one nmaps command line (`argv[0]` is the program name) and returns
/// its exit status: 0, 1 (failure), 2 (bad command line) or 130 (cancelled).
pub fn run(argv: Vec<String>, run_io: RunIo) -> i32 {
    let io = Io {
        out: Out(Arc::new(Mutex::new(run_io.stdout))),
        err: Out(Arc::new(Mutex::new(run_io.stderr))),
        process: run_io.process,
        terminal: run_io.terminal,
        cancel: run_io.cancel,
    };
    let code = run_inner(argv, &io);
    let _ = io.out.clone().flush();
    let _ = io.err.clone().flush();
    code
}

fn run_inner(argv: Vec<String>, io: &Io) -> i32 {
    let opts = match args::parse(argv.get(1..).unwrap_or_default()) {
        Ok(o) => o,
        Err(e) => {
            io.err_line(format_args!("nmaps: {e}"));
            return EXIT_USAGE;
        }
    };
    let mut out = io.out.clone();
    // Like nmap, no arguments at all means "show me the options".
    if opts.help || argv.len() <= 1 {
        let _ = write!(out, "{}", flags::help());
        return 0;
    }
    if opts.version {
        let _ = write!(out, "{}", version_text());
        return 0;
    }
    if let Some(rules) = &opts.script_help {
        return print_script_help(rules, &opts, io);
    }
    // As nmap: the banner and both tables, nothing scanned, targets ignored.
    if opts.iflist {
        return print_iflist(argv, &opts, io);
    }
    let plan = match plan::resolve(&opts, io) {
        Ok(p) => p,
        Err(plan::PlanError::Usage(e)) => {
            io.err_line(format_args!("nmaps: {e}"));
            return EXIT_USAGE;
        }
        Err(plan::PlanError::Io(e)) => {
            io.err_line(format_args!("nmaps: {e}"));
            return EXIT_FAILURE;
        }
    };
    if io.process {
        // Whatever happens, give the user their terminal back as it was.
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            keys::restore_terminal();
            default_hook(info);
        }));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            io.err_line(format_args!("nmaps: cannot start the runtime: {e}"));
            return EXIT_FAILURE;
        }
    };
    runtime.block_on(scan(argv, opts, plan, io.clone()))
}

/// `-V`: Nmap's version block, line for line (programs that drive nmap
/// read it: python-nmap matches `Nmap version X.Y ( http… )`, python3-nmap
/// splits the `Compiled with:` lines), naming the Nmap version nmaps is
/// compatible with, then nmaps's own version.
fn version_text() -> String {
    format!(
        "Nmap version {compat} ( https://nmap.org )\n\
         nmaps version {ours} (Nmap {compat} compatible command line and output)\n\
         Platform: {arch}-{os}\n\
         Compiled with: nmaps-{ours}\n\
         Compiled without:\n\
         Available nsock engines: tokio\n",
        compat = nmaps_model::NMAP_COMPAT_VERSION,
        ours = nmaps_model::NMAPS_VERSION,
        arch = std::env::consts::ARCH,
        os = std::env::consts::OS,
    )
}

/// `--iflist`: the usual `Starting …` banner, then the interface and route tables.
/// Runs the pre- or post-scan scripts, with Nmap's `-v` lines around them.
async fn nse_phase(
    engine: &nmaps_script::ScriptEngine,
    what: &str,
    lines: Option<&mut Out>,
    writers: &mut tasks::Locked,
    pre: bool,
) -> Vec<nmaps_model::ScriptResult> {
    let clock = status::clock;
    let start = std::time::Instant::now();
    let mut lines = lines;
    // Reported as Nmap's "NSE" task (<taskbegin>/<taskend> with -v).
    let nse = |end: bool| {
        let (name, time) = (tasks::NSE.to_string(), SystemTime::now());
        if end {
            nmaps_output::Task::End {
                name,
                time,
                extrainfo: None,
            }
        } else {
            nmaps_output::Task::Begin {
                name,
                time,
                extrainfo: None,
            }
        }
    };
    // A failed write shows again, and is reported, at the run's end.
    let _ = writers.task(&nse(false));
    if let Some(out) = lines.as_deref_mut() {
        let _ = write!(out, "NSE: Script {what}.\nInitiating NSE at {}\n", clock());
        let _ = out.flush();
    }
    let results = if pre {
        engine.prerule().await
    } else {
        engine.postrule().await
    };
    let _ = writers.task(&nse(true));
    if let Some(out) = lines {
        let _ = writeln!(
            out,
            "Completed NSE at {}, {:.2}s elapsed",
            clock(),
            start.elapsed().as_secs_f64()
        );
        let _ = out.flush();
    }
    results
}

/// With `-d`, the scripts' errors and timeouts so far (Nmap prints them as
/// they happen; nmaps after each phase).
fn print_script_errors(engine: &nmaps_script::ScriptEngine, debug: u8, io: &Io) {
    let diags = engine.take_diagnostics();
    if debug == 0 {
        return;
    }
    let mut out = io.out.clone();
    for d in diags {
        let target = d
            .target
            .map(|t| format!(" against {t}"))
            .unwrap_or_default();
        let what = match d.kind {
            nmaps_script::DiagKind::TimedOut => "timed out",
            _ => "threw an error!",
        };
        let _ = writeln!(out, "NSE: {}{target} {what}\n{}", d.script, d.message);
    }
}

/// `--script-help`: what the chosen scripts are and do, as Nmap lists them.
fn print_script_help(rules: &str, opts: &Options, io: &Io) -> i32 {
    let engine =
        match plan::script_engine(opts, Some(nmaps_script::split_rules(rules)), false, &io.out) {
            Ok(e) => e,
            Err(plan::PlanError::Usage(e) | plan::PlanError::Io(e)) => {
                io.err_line(format_args!("nmaps: {e}"));
                return EXIT_USAGE;
            }
        };
    let mut out = io.out.clone();
    let _ = writeln!(
        out,
        "Starting nmaps {} ( compatible with Nmap {} )",
        nmaps_model::NMAPS_VERSION,
        nmaps_model::NMAP_COMPAT_VERSION
    );
    for s in engine.scripts() {
        let _ = writeln!(out, "\n{}\nCategories: {}", s.id, s.categories.join(" "));
        for line in s.description.as_deref().unwrap_or("").trim().lines() {
            let _ = writeln!(out, "  {}", nmaps_output::screen_escape(line));
        }
    }
    0
}

fn print_iflist(argv: Vec<String>, opts: &Options, io: &Io) -> i32 {
    let run = RunInfo {
        args: argv,
        start: SystemTime::now(),
        scan_info: Vec::new(),
        verbose: opts.verbose,
        debugging: opts.debug,
        reason: opts.reason,
        open_only: opts.open,
        list_scan: false,
        ping_only: false,
        version_scan: false,
        script_scan: false,
        stylesheet: None,
        os_scan: false,
    };
    let wopts = WriterOptions {
        interactive: true,
        ..WriterOptions::default()
    };
    let banner = nmaps_output::writer(Format::Normal, Box::new(io.out.clone()), &wopts).begin(&run);
    let text = iflist::text();
    let tables = banner.and_then(|()| {
        let mut out = io.out.clone();
        out.write_all(text.as_bytes())?;
        out.flush()
    });
    // Nmap writes the bare tables to -oN files too, and leaves the other
    // output files empty.
    let files = tables.and_then(|()| {
        for (kind, name) in &opts.outputs {
            if name != "-" {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .append(opts.append)
                    .truncate(!opts.append)
                    .open(name)
                    .map_err(|e| {
                        io::Error::new(e.kind(), format!("cannot open output file {name}: {e}"))
                    })?;
                if *kind == OutKind::Normal {
                    f.write_all(text.as_bytes())?;
                }
            }
        }
        Ok(())
    });
    let tables = files;
    match tables {
        Ok(()) => 0,
        Err(e) => {
            io.err_line(format_args!("nmaps: writing output failed: {e}"));
            EXIT_FAILURE
        }
    }
}

/// A run's standard output (or error), shared by the writers, the status
/// lines and the scripts' trace.
#[derive(Clone)]
pub(crate) struct Out(Arc<Mutex<Box<dyn Write + Send>>>);

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}

/// Output that writers flush after every host: the flush reaches the file
/// or pipe at most every 100 ms, so a scan of 65 536 hosts does not cost
/// 65 536 write calls per output. A flush held back is done 100 ms after
/// the last one (on the run's runtime), and always when dropped: a program
/// reading the pipe while the scan runs (libnmap, `nmaps.scan_iter`) gets
/// each host at most 100 ms late, never only at the end. On a terminal
/// every flush goes through, so what is finished shows at once.
struct PacedFlush<W: Write + Send + 'static> {
    inner: Arc<Mutex<io::BufWriter<W>>>,
    last: Option<Instant>,
    every_time: bool,
    /// A deferred flush is scheduled.
    pending: Arc<std::sync::atomic::AtomicBool>,
}

/// The shortest time between two flushes that reach a pipe or file.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

impl<W: Write + Send + 'static> PacedFlush<W> {
    fn new(inner: W, every_time: bool) -> Self {
        Self {
            inner: Arc::new(Mutex::new(io::BufWriter::with_capacity(64 * 1024, inner))),
            last: None,
            every_time,
            pending: Arc::default(),
        }
    }

    fn buf(&self) -> std::sync::MutexGuard<'_, io::BufWriter<W>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<W: Write + Send + 'static> Write for PacedFlush<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        use std::sync::atomic::Ordering;
        let now = Instant::now();
        let wait = self.last.map_or(Duration::ZERO, |t| {
            FLUSH_EVERY.saturating_sub(now.duration_since(t))
        });
        if self.every_time || wait.is_zero() {
            self.last = Some(now);
            return self.buf().flush();
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return self.buf().flush();
        };
        if !self.pending.swap(true, Ordering::AcqRel) {
            let (inner, pending) = (self.inner.clone(), self.pending.clone());
            rt.spawn(async move {
                tokio::time::sleep(wait).await;
                pending.store(false, Ordering::Release);
                // An error shows again at the next flush or write.
                let _ = inner.lock().unwrap_or_else(|e| e.into_inner()).flush();
            });
        }
        Ok(())
    }
}

impl<W: Write + Send + 'static> Drop for PacedFlush<W> {
    fn drop(&mut self) {
        let _ = self.buf().flush();
    }
}

/// Standard output for a writer: paced unless it is a terminal.
fn stdout_output(io: &Io) -> Box<dyn Write + Send> {
    Box::new(PacedFlush::new(io.out.clone(), io.terminal))
}

fn open_output(name: &str, append: bool, io: &Io) -> io::Result<Box<dyn Write + Send>> {
    if name == "-" {
        return Ok(stdout_output(io));
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .open(name)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot open output file {name}: {e}")))?;
    Ok(Box::new(PacedFlush::new(file, false)))
}

/// Whether the plan sends anything through the raw engine.
fn needs_raw(plan: &plan::Plan) -> bool {
    plan.os.is_some() || needs_raw_engine(&plan.engine)
}

fn needs_raw_engine(plan: &nmaps_engine::Plan) -> bool {
    use nmaps_engine::{Discovery, Mode, ScanTechnique};
    let raw_scan = plan.mode == Mode::Scan
        && plan
            .scans
            .iter()
            .any(|s| matches!(s.technique, ScanTechnique::Raw(_)));
    let raw_ping = plan.mode != Mode::List
        && matches!(
            plan.discovery,
            Discovery::Raw(_) | Discovery::Skip { arp: true }
        );
    raw_scan || raw_ping
}

/// Packet options for the raw engine from the command line.
fn raw_config(opts: &Options) -> RawConfig {
    // Nmap sends raw probes with a random TTL of 37-59 unless --ttl is given.
    let nanos = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let ttl = opts.ttl.unwrap_or(37 + (nanos % 23) as u8);
    let data = opts.data_length.map(|n| {
        // Random filler, as Nmap's --data-length: a simple xorshift stream.
        let mut x = u64::from(nanos) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    });
    RawConfig {
        packet: PacketOpts {
            ttl,
            data,
            badsum: opts.badsum,
        },
        source: opts.source,
        source_port: opts.source_port,
        interface: opts.interface.clone(),
        send_ip: opts.send_ip,
    }
}

async fn scan(argv: Vec<String>, opts: Options, plan: plan::Plan, io: Io) -> i32 {
    let started = Instant::now();
    let stdout = io.out.clone();
    let interactive = !opts.outputs.iter().any(|(_, f)| f == "-");
    let wopts = WriterOptions {
        interactive: false,
        defeat_rst_ratelimit: false,
        no_ping: opts.no_ping,
    };

    let mut writers: Vec<Box<dyn Writer>> = Vec::new();
    if interactive {
        let w = WriterOptions {
            interactive: true,
            ..wopts.clone()
        };
        writers.push(nmaps_output::writer(Format::Normal, stdout_output(&io), &w));
    }
    for (kind, name) in &opts.outputs {
        let out = match open_output(name, opts.append, &io) {
            Ok(o) => o,
            Err(e) => {
                io.err_line(format_args!("nmaps: {e}"));
                return EXIT_FAILURE;
            }
        };
        let format = match kind {
            OutKind::Normal => Format::Normal,
            OutKind::Xml => Format::Xml,
            OutKind::Grepable => Format::Grepable,
            OutKind::Json => Format::Json,
        };
        writers.push(nmaps_output::writer(format, out, &wopts));
    }
    let mut writers = tasks::Locked::new(Multi(writers));

    let run = RunInfo {
        args: argv,
        start: SystemTime::now(),
        scan_info: plan.scan_info.clone(),
        verbose: opts.verbose,
        debugging: opts.debug,
        reason: opts.reason,
        open_only: opts.open,
        list_scan: opts.list_scan,
        ping_only: opts.ping_scan,
        version_scan: opts.version_scan && !opts.list_scan && !opts.ping_scan,
        script_scan: plan.scripts.is_some(),
        stylesheet: plan.stylesheet.clone(),
        os_scan: plan.os.is_some(),
    };
    let mut io_error = writers.begin(&run).err();
    // -v lines of the script engine go to the terminal only, as Nmap's.
    let mut nse_lines = (interactive && opts.verbose > 0).then(|| stdout.clone());
    if let Some(engine) = &plan.scripts {
        if let Some(out) = &mut nse_lines {
            let n = engine.scripts().len();
            let _ = writeln!(
                out,
                "NSE: Loaded {n} script{} for scanning.",
                if n == 1 { "" } else { "s" }
            );
        }
        let results = nse_phase(
            engine,
            "Pre-scanning",
            nse_lines.as_mut(),
            &mut writers,
            true,
        )
        .await;
        print_script_errors(engine, opts.debug, &io);
        if let Err(e) = writers.prescan_scripts(&results) {
            io_error.get_or_insert(e);
        }
    }

    // Names in the target list are resolved before the scan starts.
    let dns = match nmaps_engine::dns::Dns::new(&plan.dns) {
        Ok(d) => d,
        Err(e) => {
            io.err_line(format_args!("nmaps: {e}"));
            return EXIT_FAILURE;
        }
    };
    let mut targets = plan::expand_targets(&plan, &opts, &dns, &io).await;

    let shared = Shared::new(
        nmaps_engine::socket_budget(),
        &plan.engine.timing,
        io.cancel.receiver(),
    );
    if io.process {
        install_signals(io.cancel.clone());
    }
    let status_task = status::spawn(
        shared.progress.clone(),
        opts.stats_every,
        io.process && !opts.noninteractive && interactive,
        interactive.then(|| stdout.clone()),
        writers.clone(),
        started,
    );

    let mut sink = CliSink {
        writers: &mut writers,
        services: plan.services,
        mac_vendors: plan.mac_vendors,
        events_to: (interactive && opts.verbose > 0).then(|| stdout.clone()),
        io_error: None,
    };
    let engines = nmaps_engine::Engines {
        connector: Arc::new(TcpConnector::new(opts.source)),
        raw: if needs_raw(&plan) {
            match RawIo::start(raw_config(&opts)) {
                Ok(io) => Some(Arc::new(io)),
                Err(e) => {
                    io.err_line(format_args!(
                        "nmaps: cannot open raw sockets ({e}); run as root or use --unprivileged"
                    ));
                    return EXIT_FAILURE;
                }
            }
        } else {
            None
        },
    };
    let raw_io = engines.raw.clone();
    if let (Some(os), Some(raw)) = (&plan.os, &raw_io) {
        os.attach(raw.clone());
    }
    let summary = nmaps_engine::run(
        &plan.engine,
        &mut targets,
        &dns,
        engines,
        &shared,
        &mut sink,
    )
    .await;
    if io_error.is_none() {
        io_error = sink.io_error.take();
    }
    if let Some(engine) = &plan.scripts {
        print_script_errors(engine, opts.debug, &io);
        if !summary.interrupted {
            let results = nse_phase(
                engine,
                "Post-scanning",
                nse_lines.as_mut(),
                &mut writers,
                false,
            )
            .await;
            print_script_errors(engine, opts.debug, &io);
            if let Err(e) = writers.postscan_scripts(&results) {
                io_error.get_or_insert(e);
            }
        }
    }
    status_task.abort();
    if io.process {
        keys::restore_terminal();
    }

    let stats = RunStats {
        end: SystemTime::now(),
        elapsed: started.elapsed(),
        hosts_up: summary.up,
        hosts_down: summary.down,
        hosts_total: summary.total,
        packets: raw_io.as_ref().map(|io| io.packet_stats()),
        exit: if summary.interrupted {
            Exit::Error("Interrupted by signal; output has the hosts completed before it".into())
        } else {
            Exit::Success
        },
    };
    if summary.total == 0 && !summary.interrupted {
        io.err_line(format_args!(
            "WARNING: No targets were specified, so 0 hosts scanned."
        ));
    }
    if let Err(e) = writers.end(&run, &stats) {
        io_error.get_or_insert(e);
    }
    if let Some(e) = io_error {
        io.err_line(format_args!("nmaps: writing output failed: {e}"));
        return EXIT_FAILURE;
    }
    if summary.interrupted { 130 } else { 0 }
}

/// The first SIGINT or SIGTERM stops the scan gracefully: outputs are finished
/// with the hosts completed so far. A second one exits at once (130 or 143).
/// The handlers are installed before the scan starts, so no signal can find
/// the default action while the terminal is in no-echo mode.
fn install_signals(cancel: Cancel) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    tokio::spawn(async move {
        for round in 0..2 {
            let code = tokio::select! {
                _ = int.recv() => 130,
                _ = term.recv() => 143,
            };
            if round == 0 {
                cancel.cancel();
            } else {
                keys::restore_terminal();
                std::process::exit(code);
            }
        }
    });
}

/// Connects the engine to the writers: adds table service names, prints `-v` events.
struct CliSink<'a> {
    writers: &'a mut tasks::Locked,
    services: &'a Services,
    mac_vendors: &'a nmaps_targets::MacVendors,
    events_to: Option<Out>,
    io_error: Option<io::Error>,
}

impl Sink for CliSink<'_> {
    fn host(&mut self, mut host: Host) {
        if let Some(m) = &mut host.mac {
            m.vendor = self.mac_vendors.lookup(m.addr).map(str::to_string);
        }
        for p in host.ports.iter_mut().filter(|p| p.service.is_none()) {
            // Version detection named the service already, or: a port missing from the table has no service (Nmap writes no
            // <service> element; the normal output says "unknown").
            let name = match p.protocol {
                Protocol::Ip => u8::try_from(p.number)
                    .ok()
                    .and_then(|n| nmaps_targets::Protocols::embedded().name(n)),
                _ => self.services.name(p.number, p.protocol),
            };
            p.service = name.map(Service::from_table);
            if let (Protocol::Ip, Some(s)) = (p.protocol, p.service.as_mut()) {
                // Nmap rates a protocol name from nmap-protocols at 8.
                s.conf = 8;
            }
        }
        if let Err(e) = self.writers.host(&host) {
            self.io_error.get_or_insert(e);
        }
    }

    fn event(&mut self, event: Event) {
        if let Some(task) = tasks::task_of(&event, SystemTime::now())
            && let Err(e) = self.writers.task(&task)
        {
            self.io_error.get_or_insert(e);
        }
        let Some(out) = &mut self.events_to else {
            return;
        };
        let text = status::event_text(&event);
        if !text.is_empty() {
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }
}
