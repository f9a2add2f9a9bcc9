//! OS detection as a host stage (`-O`): after version detection, before
//! scripts, as in Nmap.
//!
//! Per host: pick the ports (Nmap's `portused`: the first open TCP port,
//! the first closed TCP port, the first closed UDP port, else Nmap's
//! fallbacks), then run tries until one matches a reference perfectly or
//! the tries allowed are spent (`--max-os-tries`, 5 by default, at most 2
//! when the fingerprint is unfit for submission — Nmap's rule). A try is:
//! the six SEQ probes 100 ms apart, then the other ten 25 ms apart, each
//! retransmitted up to three times while unanswered; every packet the host
//! sends meanwhile goes through a [`Collector`]. The report uses the try
//! whose fingerprint matched best; the fingerprint shown for submission
//! merges every try's tests as Nmap 7.93 does (a test is printed again
//! only when a later try has a different set of attributes for it).
//!
//! Hosts run concurrently, each at its own pace (Nmap runs a group's
//! hosts in lock-step rounds; the probes and their spacing per host are
//! the same).

use crate::compute::{Collector, FinishContext, IpIdClass, TryResult, TsClass, difficulty};
use crate::fingerprint::{DistanceMethod, Fingerprint, ScanLine, merge_tries, submission_text};
use crate::probes::{self, IpFields, Kind, SEQ_PROBES, Targets, TryIds};
use nmaps_engine::HostStage;
use nmaps_engine::raw::RawIo;
use nmaps_model::{
    Host, OsMatch, OsResult, OsVerdict, PortState, PortUsed, Protocol, SequenceClass, TcpSequence,
    Uptime,
};
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// Sends of one probe at most (Nmap: a probe expires after its fourth).
const MAX_SENDS: u8 = 4;
/// Tries when the fingerprint is unfit for submission (`STANDARD_OS2_TRIES`).
const STANDARD_TRIES: u32 = 2;
/// The SCAN line's `P=`: the GNU triplet of the machine, as Nmap prints the
/// one it was configured for (`x86_64-pc-linux-gnu`, `aarch64-unknown-linux-gnu`).
fn platform() -> String {
    let arch = std::env::consts::ARCH;
    let vendor = if matches!(arch, "x86_64" | "x86") {
        "pc"
    } else {
        "unknown"
    };
    format!("{arch}-{vendor}-{}-gnu", std::env::consts::OS)
}

/// How the stage runs (from the command line).
#[derive(Clone)]
pub struct Options {
    /// `--max-os-tries` (1–50, default 5).
    pub max_tries: u32,
    /// `--osscan-limit`.
    pub limit: bool,
    /// `--osscan-guess` / `--fuzzy`.
    pub guess: bool,
    /// `--scan-delay`.
    pub scan_delay: Duration,
    /// `-T` level (5 makes the fingerprint unfit for submission).
    pub timing_level: u8,
    /// A UDP scan ran (without one, a missing U1 reply makes the
    /// fingerprint unfit).
    pub udp_scan: bool,
    /// Version detection ran (a tcpwrapped open port is passed over).
    pub version_scan: bool,
    /// `--ttl`; otherwise each probe draws one from 37–59, as Nmap.
    pub ttl: Option<u8>,
    /// `-g`: the TCP and UDP base port of every try (Nmap's magic port;
    /// the TCP probes still use base + their offset).
    pub source_port: Option<u16>,
    /// Bounds of a probe's timeout (`--min/max-rtt-timeout`).
    pub min_rtt: Duration,
    pub max_rtt: Duration,
    /// `-v` level: "Skipping OS Scan" and "WARNING: OS didn't match" need 1.
    pub verbose: u8,
    /// Where the `-v` lines go (the terminal).
    pub log: Option<Arc<dyn Fn(String) + Send + Sync>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_tries: 5,
            limit: false,
            guess: false,
            scan_delay: Duration::ZERO,
            timing_level: 3,
            udp_scan: false,
            version_scan: false,
            ttl: None,
            source_port: None,
            min_rtt: Duration::from_millis(100),
            max_rtt: Duration::from_secs(10),
            verbose: 0,
            log: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("max_tries", &self.max_tries)
            .field("limit", &self.limit)
            .field("guess", &self.guess)
            .finish_non_exhaustive()
    }
}

/// What matching a fingerprint gave, as the report needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    /// In Nmap's order (see [`OsResult::matches`]).
    pub matches: Vec<OsMatch>,
    pub verdict: OsVerdict,
    /// Accuracy of the best reference, 0–1.
    pub best: f64,
    /// A perfect match without the list overflowing: no more tries.
    pub perfect: bool,
}

/// Scores fingerprints against a reference database.
pub trait Matcher: Send + Sync + std::fmt::Debug {
    /// Matches `fp`; `guess` is Nmap's guessing mode (`--osscan-guess`, or
    /// a fingerprint unfit for submission), which widens the list.
    fn classify(&self, fp: &Fingerprint, guess: bool) -> Classified;
}

/// The `-O` stage; see the module documentation.
pub struct OsScan {
    opts: Options,
    matcher: Arc<dyn Matcher>,
    io: OnceLock<Arc<RawIo>>,
    seed: AtomicU64,
}

impl std::fmt::Debug for OsScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsScan")
            .field("opts", &self.opts)
            .field("matcher", &self.matcher)
            .finish_non_exhaustive()
    }
}

/// The ports a host's tries use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Ports {
    open: Option<u16>,
    /// Found closed by the scan (reported in `portused`).
    closed_found: Option<u16>,
    /// What T5–T7 go to: the closed port, an unfiltered one, or random.
    closed: u16,
    closed_udp_found: Option<u16>,
}

/// What every try of a host adds up to (Nmap's `FingerPrintResults`).
#[derive(Debug, Default)]
struct HostState {
    tries: Vec<TryResult>,
    classified: Vec<Classified>,
    closed_udp: Option<u16>,
    max_timing_ratio: f64,
    /// Distance and how it was found (Nmap's DS / DC), from the last try.
    distance: Option<(i32, char)>,
}

impl OsScan {
    pub fn new(opts: Options, matcher: Arc<dyn Matcher>) -> Self {
        let seed = std::collections::hash_map::RandomState::new().hash_one(SystemTime::now());
        Self {
            opts,
            matcher,
            io: OnceLock::new(),
            seed: AtomicU64::new(seed | 1),
        }
    }

    /// Hands the stage the raw engine once it is running.
    pub fn attach(&self, io: Arc<RawIo>) {
        let _ = self.io.set(io);
    }

    fn random(&self) -> u64 {
        // splitmix64 over a shared counter: cheap, and distinct per call.
        let mut z = self
            .seed
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn log(&self, line: String) {
        if let Some(log) = &self.opts.log {
            log(line);
        }
    }

    /// Nmap's port choice (`initScanStats`).
    fn ports(&self, host: &Host) -> Ports {
        let first = |proto: Protocol, state: PortState, skip_wrapped: bool| {
            let list: Vec<&nmaps_model::Port> = host
                .ports
                .iter()
                .filter(|p| p.protocol == proto && p.state == state)
                .collect();
            let mut pick = list.first().map(|p| p.number);
            // Port 0 only when there is nothing else.
            if pick == Some(0) {
                pick = list.get(1).map_or(Some(0), |p| Some(p.number));
            }
            if skip_wrapped && pick.is_some() {
                let wrapped = |n: u16| {
                    list.iter().any(|p| {
                        p.number == n && p.service.as_ref().is_some_and(|s| s.name == "tcpwrapped")
                    })
                };
                if pick.is_some_and(wrapped) {
                    // The next one that is not, else the last one tried.
                    let from = list
                        .iter()
                        .position(|p| Some(p.number) == pick)
                        .unwrap_or(0);
                    pick = list[from + 1..]
                        .iter()
                        .map(|p| p.number)
                        .find(|&n| !wrapped(n))
                        .or(list.last().map(|p| p.number));
                }
            }
            pick
        };
        let mut random_port = || 30000 + (self.random() % 14781) as u16;
        let open = first(Protocol::Tcp, PortState::Open, self.opts.version_scan);
        let closed_found = first(Protocol::Tcp, PortState::Closed, false);
        let closed = closed_found
            .or_else(|| first(Protocol::Tcp, PortState::Unfiltered, false))
            .unwrap_or_else(&mut random_port);
        let closed_udp_found = first(Protocol::Udp, PortState::Closed, false);
        Ports {
            open,
            closed_found,
            closed,
            closed_udp_found,
        }
    }

    /// Why the fingerprint cannot be submitted (Nmap's `OmitSubmissionFP`).
    fn omit_reason(&self, ports: &Ports, state: &HostState) -> Option<String> {
        let delay = self.opts.scan_delay.as_millis();
        if delay > 500 {
            return Some(format!("Scan delay ({delay}) is greater than 500"));
        }
        if self.opts.timing_level > 4 {
            return Some("Timing level 5 (Insane) used".into());
        }
        if ports.open.is_none() {
            return Some("Missing an open TCP port so results incomplete".into());
        }
        if ports.closed_found.is_none() {
            return Some("Missing a closed TCP port so results incomplete".into());
        }
        let distance = state.distance.map_or(-1, |d| d.0);
        if distance < -1 {
            return Some(format!(
                "Host distance ({distance} network hops) appears to be negative"
            ));
        }
        if distance > 5 {
            return Some(format!(
                "Host distance ({distance} network hops) is greater than five"
            ));
        }
        if state.max_timing_ratio > 1.4 {
            return Some(format!(
                "maxTimingRatio ({}) is greater than 1.4",
                c_exp(state.max_timing_ratio)
            ));
        }
        if state.closed_udp.is_none() && !self.opts.udp_scan {
            return Some("Didn't receive UDP response. Please try again with -sSU".into());
        }
        None
    }

    async fn host(self: Arc<Self>, mut host: Host) -> Host {
        let (IpAddr::V4(dst), Some(io)) = (host.addr, self.io.get().cloned()) else {
            return host;
        };
        let Some(IpAddr::V4(src)) = io.source_for(host.addr) else {
            return host;
        };
        let count = |proto, state| {
            host.ports
                .iter()
                .filter(|p| p.protocol == proto && p.state == state)
                .count()
        };
        let unreliable = count(Protocol::Tcp, PortState::Open) == 0
            || (count(Protocol::Tcp, PortState::Closed) == 0
                && count(Protocol::Tcp, PortState::Unfiltered) == 0);
        if unreliable && self.opts.limit {
            if self.opts.verbose > 0 {
                self.log(format!(
                    "Skipping OS Scan against {} due to absence of open (or perhaps closed) ports",
                    name_ip(&host)
                ));
            }
            return host;
        }
        let ports = self.ports(&host);
        let localhost = nmaps_engine::discovery::is_local_address(host.addr);
        let timeout = host
            .times
            .as_ref()
            .map_or(Duration::from_secs(1), |t| Duration::from_micros(t.timeout))
            .clamp(self.opts.min_rtt, self.opts.max_rtt.max(self.opts.min_rtt));
        let mut state = HostState {
            closed_udp: ports.closed_udp_found,
            ..HostState::default()
        };
        let mut try_no = 0u32;
        loop {
            if try_no > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            if try_no == 3 {
                tokio::time::sleep(Duration::from_millis(1500)).await;
            }
            if self.opts.verbose > 0 {
                self.log(format!(
                    "{} OS detection (try #{}) against {}",
                    if try_no == 0 {
                        "Initiating"
                    } else {
                        "Retrying"
                    },
                    try_no + 1,
                    name_ip(&host)
                ));
            }
            let udp = state
                .closed_udp
                .unwrap_or_else(|| 30000 + (self.random() % 14781) as u16);
            let targets = Targets {
                open_tcp: ports.open,
                closed_tcp: Some(ports.closed),
                closed_udp: Some(udp),
            };
            let ctx = FinishContext {
                open_port: ports.open.is_some(),
                closed_port_known: ports.closed_found.is_some(),
                scan_delay_ms: self.opts.scan_delay.as_millis() as u64,
                localhost,
            };
            let result = self.one_try(&io, src, dst, targets, timeout, &ctx).await;
            if result.u1_answered && state.closed_udp.is_none() {
                state.closed_udp = Some(udp);
            }
            state.max_timing_ratio = state.max_timing_ratio.max(result.timing_ratio);
            state.distance = if localhost {
                Some((0, 'L'))
            } else if host.mac.is_some() {
                Some((1, 'D'))
            } else {
                result.hops.map(|h| (h, 'I'))
            };
            let classified = self.matcher.classify(&result.fingerprint, false);
            let perfect = classified.perfect;
            state.tries.push(result);
            state.classified.push(classified);
            try_no += 1;
            if perfect {
                if try_no > 1 && self.opts.verbose > 0 {
                    self.log(format!("WARNING: OS didn't match until try #{try_no}"));
                }
                break;
            }
            let mut max = self.opts.max_tries.max(1);
            if self.omit_reason(&ports, &state).is_some() {
                max = max.min(STANDARD_TRIES);
            }
            if try_no >= max {
                break;
            }
        }
        host.os = Some(self.report(&host, &ports, &state, unreliable));
        host
    }

    /// The try whose fingerprint matched best (the first of the best, or
    /// the perfect one), classified for the report.
    fn report(&self, host: &Host, ports: &Ports, state: &HostState, unreliable: bool) -> OsResult {
        let mut best = 0;
        let mut best_acc = 0.0;
        for (i, c) in state.classified.iter().enumerate() {
            if !c.matches.is_empty() && c.best > best_acc {
                best = i;
                best_acc = c.best;
                if c.perfect {
                    break;
                }
            }
        }
        let reason = self.omit_reason(ports, state);
        let guess = self.opts.guess || reason.is_some();
        let fp = &state.tries[best].fingerprint;
        let classified = self.matcher.classify(fp, guess);
        let last = state.tries.last().map(|t| &t.seq);
        let mut ports_used = Vec::new();
        let mut used = |state, protocol, port: Option<u16>| {
            if let Some(port) = port.filter(|&p| p > 0) {
                ports_used.push(PortUsed {
                    state,
                    protocol,
                    port,
                });
            }
        };
        used(PortState::Open, Protocol::Tcp, ports.open);
        used(PortState::Closed, Protocol::Tcp, ports.closed_found);
        used(PortState::Closed, Protocol::Udp, state.closed_udp);
        let good = reason.is_none() && classified.verdict != OsVerdict::TooMany;
        let scan = scan_line(host, ports, state, good);
        let tries: Vec<Fingerprint> = state.tries.iter().map(|t| t.fingerprint.clone()).collect();
        let mut result = OsResult {
            ports_used,
            matches: classified.matches,
            verdict: classified.verdict,
            guessing: self.opts.guess,
            fingerprint: submission_text(&scan, &merge_tries(&tries)),
            show_fingerprint: false,
            omit_reason: reason,
            unreliable,
            distance: state.distance.and_then(|(d, _)| u8::try_from(d).ok()),
            ..OsResult::default()
        };
        if let Some(seq) = last {
            if let Some(boot) = seq.lastboot {
                let now = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                result.uptime = Some(Uptime {
                    seconds: (now - boot).max(0) as u64,
                    lastboot: ctime(boot),
                });
            }
            let hex_list = |v: &mut dyn Iterator<Item = String>| v.collect::<Vec<_>>().join(",");
            if seq.responses > 3 {
                result.tcp_sequence = Some(TcpSequence {
                    index: seq.index,
                    difficulty: difficulty(seq.index).to_string(),
                    values: hex_list(&mut seq.seqs.iter().map(|s| format!("{s:X}"))),
                });
            }
            if seq.responses > 2 {
                result.ipid_sequence = Some(SequenceClass {
                    class: seq
                        .ipid_class
                        .unwrap_or(IpIdClass::Unknown)
                        .nmap_name()
                        .to_string(),
                    values: hex_list(&mut seq.ipids.iter().map(|s| format!("{s:X}"))),
                });
                let ts = seq.ts_class.unwrap_or(TsClass::Unknown);
                result.tcpts_sequence = Some(SequenceClass {
                    class: ts.nmap_name().to_string(),
                    values: if ts == TsClass::Unsupported {
                        String::new()
                    } else {
                        hex_list(&mut seq.timestamps.iter().map(|s| format!("{s:X}")))
                    },
                });
            }
        }
        result
    }

    /// One try against `dst`; see the module documentation.
    async fn one_try(
        &self,
        io: &RawIo,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        targets: Targets,
        timeout: Duration,
        ctx: &FinishContext,
    ) -> TryResult {
        let unix = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut ids = TryIds::draw(|| self.random(), unix);
        if let Some(port) = self.opts.source_port {
            ids.tcp_base = port;
            ids.udp_base = port;
        }
        let mut tap = io.tap(IpAddr::V4(dst));
        let ip_fields = |me: &Self| IpFields {
            ttl: me.opts.ttl.unwrap_or(37 + (me.random() % 23) as u8),
            ident: me.random() as u16,
        };
        let u1 = probes::build(Kind::U1, &ids, &targets, src, dst, ip_fields(self));
        let mut c = Collector::new(ids, targets, u1.as_deref());
        let send = |kind: Kind| {
            let bytes = if kind == Kind::U1 {
                u1.clone()
            } else {
                probes::build(kind, &ids, &targets, src, dst, ip_fields(self))
            };
            async move {
                if let Some(b) = bytes {
                    let _ = io.send_packet(IpAddr::V4(dst), b).await;
                }
            }
        };
        let spacing = Duration::from_millis(probes::PROBE_SPACING_MS).max(self.opts.scan_delay);
        let mut last_send: Option<Instant> = None;

        // SEQ: six SYNs 100 ms apart, never sent again.
        if targets.open_tcp.is_some() {
            let gap = Duration::from_millis(probes::SEQ_SPACING_MS).max(self.opts.scan_delay);
            for i in 0..SEQ_PROBES {
                if let Some(at) = last_send {
                    drain_until(&mut tap, &mut c, at + gap).await;
                }
                send(Kind::Seq(i as u8)).await;
                c.seq_sent(i, SystemTime::now());
                last_send = Some(Instant::now());
            }
            let deadline = Instant::now() + timeout;
            while Instant::now() < deadline
                && !(0..SEQ_PROBES as u8).all(|i| c.answered(Kind::Seq(i)))
            {
                drain_until(&mut tap, &mut c, deadline.min(Instant::now() + spacing)).await;
            }
        }

        // The rest, in Nmap's order, 25 ms apart, up to four sends each.
        let mut queue: VecDeque<(Kind, u8)> = VecDeque::new();
        queue.push_back((Kind::Ie(0), 0));
        queue.push_back((Kind::Ie(1), 0));
        queue.push_back((Kind::U1, 0));
        if targets.open_tcp.is_some() {
            for i in 0..SEQ_PROBES as u8 {
                if !c.answered(Kind::Ops(i)) {
                    queue.push_back((Kind::Ops(i), 0));
                }
            }
            queue.push_back((Kind::Ecn, 0));
            for n in 1..=4 {
                if !c.answered(Kind::T(n)) {
                    queue.push_back((Kind::T(n), 0));
                }
            }
        }
        for n in 5..=7 {
            queue.push_back((Kind::T(n), 0));
        }
        let mut active: Vec<(Kind, u8, Instant)> = Vec::new();
        loop {
            while let Some(p) = tap.try_recv() {
                c.process(&p.bytes);
            }
            active.retain(|(k, _, _)| !c.answered(*k));
            queue.retain(|(k, _)| !c.answered(*k));
            let now = Instant::now();
            let mut i = 0;
            while i < active.len() {
                if now.duration_since(active[i].2) > timeout {
                    let (kind, sends, _) = active.remove(i);
                    if sends < MAX_SENDS {
                        queue.push_back((kind, sends));
                    }
                } else {
                    i += 1;
                }
            }
            if queue.is_empty() && active.is_empty() {
                break;
            }
            let next_send = last_send.map_or(now, |t| t + spacing);
            if !queue.is_empty() && now >= next_send {
                if let Some((kind, sends)) = queue.pop_front() {
                    if sends > 0 {
                        c.retransmitted(kind);
                    }
                    send(kind).await;
                    let at = Instant::now();
                    last_send = Some(at);
                    active.push((kind, sends + 1, at));
                }
                continue;
            }
            let expiry = active.iter().map(|a| a.2 + timeout).min();
            let wake = match (queue.is_empty(), expiry) {
                (false, Some(e)) => next_send.min(e),
                (false, None) => next_send,
                (true, Some(e)) => e,
                (true, None) => now,
            };
            drain_until(&mut tap, &mut c, wake + Duration::from_millis(1)).await;
        }
        c.finish(ctx)
    }
}

/// Feeds the host's packets to `c` until `deadline`.
async fn drain_until(tap: &mut nmaps_engine::tap::Tap, c: &mut Collector, deadline: Instant) {
    loop {
        match tokio::time::timeout_at(deadline, tap.recv()).await {
            Ok(Some(p)) => {
                c.process(&p.bytes);
            }
            Ok(None) | Err(_) => return,
        }
    }
}

impl HostStage for OsScan {
    fn name(&self) -> &'static str {
        "OS detection"
    }

    fn units(&self, host: &Host) -> usize {
        usize::from(host.addr.is_ipv4())
    }

    fn run(
        self: Arc<Self>,
        host: Host,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Host> + Send>> {
        Box::pin(self.host(host))
    }
}

/// The `SCAN(...)` line of the host's fingerprint.
fn scan_line(host: &Host, ports: &Ports, state: &HostState, good: bool) -> ScanLine {
    use chrono::{Datelike, TimeZone};
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (month, day) = chrono::Local
        .timestamp_opt(secs, 0)
        .single()
        .map_or((0, 0), |t| (t.month() as u8, t.day() as u8));
    ScanLine {
        version: nmaps_model::NMAP_COMPAT_VERSION.to_string(),
        engine: "4".into(),
        month,
        day,
        open_tcp: ports.open,
        closed_tcp: ports.closed_found,
        closed_udp: state.closed_udp,
        private: is_private(host.addr),
        distance: state.distance.map(|d| d.0),
        distance_method: state.distance.map(|d| match d.1 {
            'L' => DistanceMethod::Localhost,
            'D' => DistanceMethod::Direct,
            _ => DistanceMethod::Icmp,
        }),
        good,
        mac_prefix: host.mac.as_ref().map(|m| [m.addr[0], m.addr[1], m.addr[2]]),
        time: secs as u32,
        platform: platform(),
    }
}

/// "name (addr)" or "addr", as Nmap's `NameIP`.
fn name_ip(host: &Host) -> String {
    match host.display_name() {
        Some(n) => format!("{n} ({})", host.addr),
        None => host.addr.to_string(),
    }
}

/// RFC 1918 (and the other ranges Nmap's `isipprivate` lists).
fn is_private(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            o[0] == 10
                || (o[0] == 172 && (16..=31).contains(&o[1]))
                || (o[0] == 192 && o[1] == 168)
                || o[0] == 127
                || (o[0] == 169 && o[1] == 254)
        }
        IpAddr::V6(a) => {
            (a.segments()[0] & 0xfe00) == 0xfc00 || (a.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// A C `%e`: `1.523000e+00`.
fn c_exp(v: f64) -> String {
    let s = format!("{v:.6e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let n: i32 = e.parse().unwrap_or(0);
            format!("{m}e{}{:02}", if n < 0 { '-' } else { '+' }, n.abs())
        }
        None => s,
    }
}

/// `ctime` without its newline, in local time: "Sun Nov 29 12:50:48 2026".
fn ctime(secs: i64) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_opt(secs, 0)
        .single()
        .map(|t| t.format("%a %b %e %H:%M:%S %Y").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::Test;

    fn test(name: &str, attrs: &[(&str, &str)]) -> Test {
        let mut t = Test::new(name);
        for (a, v) in attrs {
            t.push(a, *v);
        }
        t
    }

    #[test]
    fn the_scan_line_and_merged_tries() {
        let a = Fingerprint {
            tests: vec![
                test("ECN", &[("R", "Y"), ("TG", "40")]),
                test("U1", &[("R", "N")]),
            ],
        };
        let b = Fingerprint {
            tests: vec![
                test("ECN", &[("R", "Y"), ("T", "40")]),
                test("U1", &[("R", "N")]),
            ],
        };
        let mut host = host_with(&[]);
        host.mac = Some(nmaps_model::Mac {
            addr: [2, 0, 0xc6, 0x12, 0, 10],
            vendor: None,
        });
        let ports = Ports {
            open: Some(22),
            closed_found: Some(81),
            closed: 81,
            closed_udp_found: None,
        };
        let state = HostState {
            closed_udp: Some(40125),
            distance: Some((1, 'D')),
            ..HostState::default()
        };
        let text = submission_text(
            &scan_line(&host, &ports, &state, true),
            &merge_tries(&[a, b]),
        );
        assert!(
            text.contains("%OT=22%CT=81%CU=40125%PV=N%DS=1%DC=D%G=Y%M=0200C6%TM="),
            "{text}"
        );
        assert!(
            text.ends_with("ECN(R=Y%TG=40)ECN(R=Y%T=40)U1(R=N)"),
            "{text}"
        );
    }

    #[test]
    fn c_style_exponent_and_private_ranges() {
        assert_eq!(c_exp(1.523), "1.523000e+00");
        assert_eq!(c_exp(0.0125), "1.250000e-02");
        assert!(is_private("10.1.2.3".parse().unwrap()));
        assert!(is_private("192.168.0.1".parse().unwrap()));
        assert!(!is_private("198.18.0.10".parse().unwrap()));
    }

    #[derive(Debug)]
    struct Fixed(f64);

    impl Matcher for Fixed {
        fn classify(&self, _: &Fingerprint, _: bool) -> Classified {
            Classified {
                matches: Vec::new(),
                verdict: if self.0 >= 1.0 {
                    OsVerdict::Perfect
                } else {
                    OsVerdict::NoMatch
                },
                best: self.0,
                perfect: self.0 >= 1.0,
            }
        }
    }

    fn host_with(ports: &[(Protocol, u16, PortState, Option<&str>)]) -> Host {
        let mut h = Host::new("198.18.0.10".parse().unwrap());
        for &(protocol, number, state, service) in ports {
            h.ports.push(nmaps_model::Port {
                protocol,
                number,
                state,
                reason: nmaps_model::Reason::SynAck,
                reason_ttl: 64,
                reason_ip: None,
                service: service.map(|s| nmaps_model::Service::from_table(s.to_string())),
                scripts: Vec::new(),
            });
        }
        h
    }

    #[test]
    fn ports_are_chosen_as_nmap_does() {
        let scan = OsScan::new(
            Options {
                version_scan: true,
                ..Options::default()
            },
            Arc::new(Fixed(0.0)),
        );
        use PortState::*;
        use Protocol::*;
        let h = host_with(&[
            (Tcp, 0, Open, None),
            (Tcp, 21, Open, Some("tcpwrapped")),
            (Tcp, 22, Open, Some("ssh")),
            (Tcp, 81, Closed, None),
            (Tcp, 82, Closed, None),
            (Udp, 53, OpenFiltered, None),
            (Udp, 162, Closed, None),
        ]);
        let p = scan.ports(&h);
        assert_eq!(p.open, Some(22), "not port 0, not the tcpwrapped one");
        assert_eq!((p.closed_found, p.closed), (Some(81), 81));
        assert_eq!(p.closed_udp_found, Some(162));
        // Only unfiltered: used, not reported; nothing: a random port.
        let h = host_with(&[(Tcp, 80, Open, None), (Tcp, 443, Unfiltered, None)]);
        let p = scan.ports(&h);
        assert_eq!((p.closed_found, p.closed), (None, 443));
        let h = host_with(&[(Tcp, 80, Open, None)]);
        let p = scan.ports(&h);
        assert!((30000..44781).contains(&p.closed));
        assert_eq!(
            scan.omit_reason(&p, &HostState::default()).as_deref(),
            Some("Missing a closed TCP port so results incomplete")
        );
    }

    #[test]
    fn omit_reasons_in_nmaps_order() {
        let scan = OsScan::new(Options::default(), Arc::new(Fixed(0.0)));
        let ports = Ports {
            open: Some(22),
            closed_found: Some(81),
            closed: 81,
            closed_udp_found: None,
        };
        let mut state = HostState {
            distance: Some((1, 'D')),
            ..HostState::default()
        };
        assert_eq!(
            scan.omit_reason(&ports, &state).as_deref(),
            Some("Didn't receive UDP response. Please try again with -sSU")
        );
        state.closed_udp = Some(40000);
        assert_eq!(scan.omit_reason(&ports, &state), None);
        state.max_timing_ratio = 1.5;
        assert_eq!(
            scan.omit_reason(&ports, &state).as_deref(),
            Some("maxTimingRatio (1.500000e+00) is greater than 1.4")
        );
        state.distance = Some((7, 'I'));
        assert_eq!(
            scan.omit_reason(&ports, &state).as_deref(),
            Some("Host distance (7 network hops) is greater than five")
        );
        let t5 = OsScan::new(
            Options {
                timing_level: 5,
                ..Options::default()
            },
            Arc::new(Fixed(0.0)),
        );
        assert_eq!(
            t5.omit_reason(&ports, &state).as_deref(),
            Some("Timing level 5 (Insane) used")
        );
    }
}
