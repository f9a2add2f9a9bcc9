//! Output writers for nmaps.
//!
//! Nmap's normal (`-oN`, and the interactive stdout report), XML (`-oX`) and
//! grepable (`-oG`) formats are reproduced byte for byte as Nmap 7.93 writes
//! them, so that every program that parses Nmap output keeps working. `-oJ`
//! is nmaps's own JSON rendering of the same model (see `docs/json.md`).
//!
//! Every format is one [`Writer`]: [`Writer::begin`] once,
//! [`Writer::prescan_scripts`] at most once, [`Writer::host`] once per
//! finished host, [`Writer::postscan_scripts`] at most once, [`Writer::end`]
//! once — also after an interrupted run, so that every file ends complete
//! and well-formed. Writers only write to the stream they are given; they
//! never print anything themselves.

mod escape;
mod fold;
mod grepable;
mod json;
mod normal;
mod os;
mod script;
mod service;
mod show;
mod task;
mod text;
mod tz;
mod xml;

use nmaps_model::{Host, RunInfo, RunStats, ScriptResult};
use std::io::{self, Write};
use std::time::SystemTime;

pub use escape::{screen_escape, xml_escape};
pub use task::{MAX_ETA, Task};
pub use text::{format_ctime, join_args};

/// One output format. Called from a single thread, in order.
pub trait Writer: Send {
    /// Writes everything that precedes the first host.
    fn begin(&mut self, run: &RunInfo) -> io::Result<()>;
    /// Writes one finished host. Hosts the format does not show (down hosts
    /// without `-v`, hosts without open ports under `--open`, …) are skipped
    /// here, so the caller passes every host.
    fn host(&mut self, host: &Host) -> io::Result<()>;
    /// Writes the results of the script pre-scanning phase (`prerule`
    /// scripts): "Pre-scan script results:" in normal output, `<prescript>`
    /// in XML. Call it once, after [`Writer::begin`] and before the first
    /// [`Writer::host`], with the scripts that returned a result, in the
    /// order Nmap would print them; nothing is written for an empty slice.
    fn prescan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        let _ = results;
        Ok(())
    }
    /// Writes the results of the script post-scanning phase (`postrule`
    /// scripts): "Post-scan script results:", `<postscript>`. Call it once,
    /// after the last [`Writer::host`] and before [`Writer::end`] (not after
    /// an interrupt); nothing is written for an empty slice.
    fn postscan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        let _ = results;
        Ok(())
    }
    /// Reports a phase of the scan (`<taskbegin>`/`<taskend>` with `-v`,
    /// `<taskprogress>` when a timing estimate is printed). Only XML writes
    /// them; may come at any point between [`Writer::begin`] and
    /// [`Writer::end`].
    fn task(&mut self, task: &Task) -> io::Result<()> {
        let _ = task;
        Ok(())
    }
    /// Writes the trailer. Always called, also after an interrupt (then
    /// `stats.exit` is `Exit::Error`), so that every document is complete.
    fn end(&mut self, run: &RunInfo, stats: &RunStats) -> io::Result<()>;
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Nmap's normal output (`-oN`, and stdout with [`WriterOptions::interactive`]).
    Normal,
    /// Nmap's XML output (`-oX`).
    Xml,
    /// Nmap's grepable output (`-oG`).
    Grepable,
    /// nmaps's JSON document (`-oJ`).
    Json,
}

/// Settings that are not part of [`RunInfo`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterOptions {
    /// Normal output on the terminal: print the `Starting …` banner and the
    /// final `Nmap done: …` line instead of the `# Nmap …` comments.
    pub interactive: bool,
    /// `--defeat-rst-ratelimit` was given (`--open` implies it).
    pub defeat_rst_ratelimit: bool,
    /// `-Pn`: host discovery was skipped (suppresses the "Host seems down" hint).
    pub no_ping: bool,
}

/// Builds the writer for `format`, writing to `out`.
pub fn writer(format: Format, out: Box<dyn Write + Send>, opts: &WriterOptions) -> Box<dyn Writer> {
    match format {
        Format::Normal => Box::new(normal::NormalWriter::new(out, opts.clone())),
        Format::Xml => Box::new(xml::XmlWriter::new(out)),
        Format::Grepable => Box::new(grepable::GrepableWriter::new(out)),
        Format::Json => Box::new(json::JsonWriter::new(out)),
    }
}

/// Fans every call out to several writers. Every writer is always called; the
/// first error is returned after all of them ran.
pub struct Multi(pub Vec<Box<dyn Writer>>);

impl Multi {
    fn each(&mut self, mut f: impl FnMut(&mut dyn Writer) -> io::Result<()>) -> io::Result<()> {
        let mut first = None;
        for w in &mut self.0 {
            if let Err(e) = f(w.as_mut()) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

impl Writer for Multi {
    fn begin(&mut self, run: &RunInfo) -> io::Result<()> {
        self.each(|w| w.begin(run))
    }
    fn host(&mut self, host: &Host) -> io::Result<()> {
        self.each(|w| w.host(host))
    }
    fn prescan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        self.each(|w| w.prescan_scripts(results))
    }
    fn postscan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        self.each(|w| w.postscan_scripts(results))
    }
    fn task(&mut self, task: &Task) -> io::Result<()> {
        self.each(|w| w.task(task))
    }
    fn end(&mut self, run: &RunInfo, stats: &RunStats) -> io::Result<()> {
        self.each(|w| w.end(run, stats))
    }
}

/// Writes `s` and flushes, so that a file is current after every host.
fn emit(out: &mut dyn Write, s: &str) -> io::Result<()> {
    out.write_all(s.as_bytes())?;
    out.flush()
}

/// Seconds since the epoch, as Nmap's `%lu` of a `time_t`.
fn epoch(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
