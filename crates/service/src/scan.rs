//! The version-detection engine: probes each open port with the probe
//! database, over TCP (plain or through TLS) and UDP, and turns what comes
//! back into a [`Service`].
//!
//! Per port it follows Nmap's sequence exactly ([`ProbeCursor`]: NULL probe,
//! probes listed for the port, the rest by rarity, narrowed after a soft
//! match; `ssl` restarts the sequence inside TLS) and judges every response
//! the way Nmap does, after each read. What it does differently is timing:
//! Nmap runs one probe per port at a time and waits each one out (6 s for the
//! banner of a service that has none), while this engine starts the next
//! probes early, on their own connections, up to [`Options::lookahead`] at a
//! time, and still **commits results in Nmap's order**: a probe's response
//! counts only once every probe before it in the sequence is settled. A probe
//! still waiting for its first byte is settled as silent once
//! [`Options::grace`] has passed and a later probe has found the service —
//! the one place where a service that answers only after a long pause could
//! be judged differently from Nmap.
//!
//! Every read is bounded (4096 bytes per response, as Nmap, and the probe's
//! wait), so endless banners, slow drips and silent ports cost at most the
//! probe's time.

use crate::db::{MatchOutcome, ProbeCursor, ProbeDb, Proto};
use crate::fingerprint::{FpParams, service_fingerprint};
use nmaps_engine::HostStage;
use nmaps_model::{Host, PortState, Protocol, Reason, Service, ServiceMethod, VersionInfo};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Nmap reads at most this much of one response before moving on.
const MAX_RESPONSE: usize = 4096;

/// How version detection runs.
#[derive(Clone)]
pub struct Options {
    /// `--version-intensity` (0–9; 7 by default, 2 light, 9 all).
    pub intensity: u8,
    /// `--allports`: probe ports the database's `Exclude` names, too.
    pub all_ports: bool,
    /// Probes started ahead of the one being judged, per port.
    pub lookahead: usize,
    /// A probe without a byte after this long is settled as silent once a
    /// later probe found the service.
    pub grace: Duration,
    /// Connections (and UDP sockets) open at once across every port.
    pub parallelism: usize,
    /// `-S`: the source address of connections.
    pub source: Option<IpAddr>,
    /// `--version-trace` lines go here.
    pub trace: Option<Arc<dyn Fn(String) + Send + Sync>>,
    /// Port-number names for services nothing matched (nmap-services).
    pub table: Arc<dyn Fn(u16, Protocol) -> Option<String> + Send + Sync>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("intensity", &self.intensity)
            .field("lookahead", &self.lookahead)
            .field("grace", &self.grace)
            .field("parallelism", &self.parallelism)
            .finish_non_exhaustive()
    }
}

impl Options {
    pub fn new(table: Arc<dyn Fn(u16, Protocol) -> Option<String> + Send + Sync>) -> Self {
        Self {
            intensity: 7,
            all_ports: false,
            lookahead: 4,
            grace: Duration::from_millis(1500),
            parallelism: 256,
            source: None,
            trace: None,
            table,
        }
    }
}

/// Version detection as a host stage: `-sV`.
pub struct VersionScan {
    db: Arc<ProbeDb>,
    opts: Options,
    slots: Arc<Semaphore>,
    tls: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for VersionScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VersionScan")
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl VersionScan {
    pub fn new(db: Arc<ProbeDb>, opts: Options) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(opts.parallelism.max(1))),
            db,
            opts,
            tls: tls_connector(),
        }
    }

    /// Whether version detection looks at this port (Nmap: open TCP ports,
    /// open and open|filtered UDP ports, outside `Exclude`).
    fn wanted(&self, protocol: Protocol, state: PortState, number: u16) -> Option<Proto> {
        let proto = match (protocol, state) {
            (Protocol::Tcp, PortState::Open) => Proto::Tcp,
            (Protocol::Udp, PortState::Open | PortState::OpenFiltered) => Proto::Udp,
            _ => return None,
        };
        (self.opts.all_ports || !self.db.is_excluded(proto, number)).then_some(proto)
    }

    fn trace(&self, line: impl FnOnce() -> String) {
        if let Some(t) = &self.opts.trace {
            t(line());
        }
    }
}

impl HostStage for VersionScan {
    fn name(&self) -> &'static str {
        "Service scan"
    }

    fn units(&self, host: &Host) -> usize {
        host.ports
            .iter()
            .filter(|p| self.wanted(p.protocol, p.state, p.number).is_some())
            .count()
    }

    fn run(
        self: Arc<Self>,
        mut host: Host,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Host> + Send>> {
        Box::pin(async move {
            let mut set = JoinSet::new();
            for (i, p) in host.ports.iter().enumerate() {
                let Some(proto) = self.wanted(p.protocol, p.state, p.number) else {
                    continue;
                };
                let me = self.clone();
                let target = SocketAddr::new(host.addr, p.number);
                set.spawn(async move { (i, me.port(target, proto).await) });
            }
            while let Some(r) = set.join_next().await {
                let Ok((i, found)) = r else { continue };
                let p = &mut host.ports[i];
                if found.responded && p.state == PortState::OpenFiltered {
                    // A response means the UDP port is open (Nmap's
                    // adjustPortStateIfNecessary).
                    p.state = PortState::Open;
                    p.reason = Reason::UdpResponse;
                }
                p.service = found.service(p.number, p.protocol, &self.opts);
            }
            host
        })
    }
}

/// How probing one port ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Hard(crate::Found),
    Soft(crate::Found),
    Tcpwrapped,
    /// Nothing matched: the responses that came back, for the fingerprint.
    Unknown(Vec<(String, Vec<u8>)>),
}

/// What version detection learnt about one port.
#[derive(Debug, Clone)]
struct PortFinding {
    verdict: Verdict,
    tls: bool,
    /// Any probe got data back.
    responded: bool,
    /// When the first response came (for the fingerprint's header).
    first_response: Option<SystemTime>,
    proto: Proto,
    intensity: u8,
}

impl PortFinding {
    fn service(&self, number: u16, protocol: Protocol, opts: &Options) -> Option<Service> {
        let probed = |name: &str, info: &VersionInfo, conf: u8| Service {
            name: name.to_string(),
            method: ServiceMethod::Probed,
            conf,
            version: info.clone(),
            tunnel_ssl: self.tls,
            servicefp: None,
        };
        match &self.verdict {
            Verdict::Hard(f) | Verdict::Soft(f) => Some(probed(&f.service, &f.info, 10)),
            Verdict::Tcpwrapped => Some(probed("tcpwrapped", &VersionInfo::default(), 8)),
            Verdict::Unknown(responses) => {
                let table = (opts.table)(number, protocol);
                let when = self.first_response.unwrap_or_else(SystemTime::now);
                let secs = when
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let (month, day) = month_day(secs);
                let list: Vec<(&str, &[u8])> = responses
                    .iter()
                    .map(|(n, r)| (n.as_str(), r.as_slice()))
                    .collect();
                let fp = service_fingerprint(
                    self.proto,
                    number,
                    self.tls,
                    &list,
                    &FpParams {
                        version: nmaps_model::NMAP_COMPAT_VERSION,
                        intensity: self.intensity,
                        month,
                        day,
                        time: secs,
                        platform: "x86_64-pc-linux-gnu",
                        debugging: false,
                    },
                );
                if table.is_none() && fp.is_none() && !self.tls {
                    return None;
                }
                let mut s = Service::from_table(table.unwrap_or_else(|| "unknown".into()));
                s.servicefp = fp;
                s.tunnel_ssl = self.tls;
                Some(s)
            }
        }
    }
}

/// UTC month (1–12) and day of a Unix time.
fn month_day(secs: u64) -> (u32, u32) {
    // Howard Hinnant's civil_from_days.
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (month, day)
}

/// How one probe's exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The probe's wait ran out.
    Timeout,
    /// The other side closed (or reset) the connection.
    Closed,
    /// The response reached [`MAX_RESPONSE`] bytes.
    Full,
    /// A read matched a `match` line (checked as the bytes came in).
    Matched,
    /// Connecting (or the TLS handshake) failed.
    NoConnection,
    /// An ICMP error (UDP) or another error on the socket.
    Error,
}

/// One probe's exchange: the bytes in the order they came, cut at each read
/// so they can be judged read by read as Nmap does.
#[derive(Debug)]
struct Exchange {
    probe: usize,
    response: Vec<u8>,
    /// Length of the response after each read.
    reads: Vec<usize>,
    end: End,
    /// From the probe's send (or the connection, for NULL) to the end.
    took: Duration,
    first_byte: Option<SystemTime>,
}

/// What a running probe shows before it ends.
#[derive(Debug)]
struct Live {
    started: Instant,
    /// Told to stop (see `stop`).
    stopped: AtomicBool,
    /// Milliseconds from `started` to the last read.
    last_read_ms: std::sync::atomic::AtomicU64,
    /// Tells the exchange to end now, with what it has read.
    stop: tokio::sync::Notify,
}

impl Live {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            stopped: AtomicBool::new(false),
            last_read_ms: std::sync::atomic::AtomicU64::new(0),
            stop: tokio::sync::Notify::new(),
        }
    }

    /// When the exchange last made progress (its start, or its last read).
    fn idle_since(&self) -> Instant {
        self.started + Duration::from_millis(self.last_read_ms.load(Ordering::Relaxed))
    }
}

impl VersionScan {
    /// Version detection of one port, through TLS when it turns out to
    /// speak it.
    async fn port(self: Arc<Self>, target: SocketAddr, proto: Proto) -> PortFinding {
        let finding = |verdict, tls, responded, first_response| PortFinding {
            verdict,
            tls,
            responded,
            first_response,
            proto,
            intensity: self.opts.intensity,
        };
        let (verdict, responded, first) = self.sequence(target, proto, false).await;
        let speaks_tls =
            proto == Proto::Tcp && matches!(&verdict, Verdict::Hard(f) if f.service == "ssl");
        if !speaks_tls {
            return finding(verdict, false, responded, first);
        }
        // Nmap's scanThroughTunnel: the whole sequence again, inside TLS.
        self.trace(|| format!("Service scan: {target} speaks TLS; probing inside it"));
        let (inner, r2, f2) = self.sequence(target, proto, true).await;
        if !r2 && !matches!(inner, Verdict::Hard(_) | Verdict::Soft(_)) {
            // Nothing came through the tunnel: it stays "ssl".
            return finding(verdict, false, responded, first);
        }
        finding(inner, true, true, f2.or(first))
    }

    /// Nmap's probe sequence on one port, judged in order; returns the
    /// verdict, whether anything answered, and when.
    async fn sequence(
        &self,
        target: SocketAddr,
        proto: Proto,
        tls: bool,
    ) -> (Verdict, bool, Option<SystemTime>) {
        let db = &self.db;
        let mut cursor = ProbeCursor::new(proto, target.port(), self.opts.intensity, tls);
        let mut soft: Option<crate::Found> = None;
        let mut unmatched: Vec<(String, Vec<u8>)> = Vec::new();
        let mut responded = false;
        let mut first: Option<SystemTime> = None;
        // Whether a NULL-probe close can still mean tcpwrapped.
        let mut tcpwrap_possible = true;
        // Probes started: their exchanges land in `done`.
        let mut running: JoinSet<Exchange> = JoinSet::new();
        let mut live: HashMap<usize, Arc<Live>> = HashMap::new();
        let mut done: HashMap<usize, Exchange> = HashMap::new();
        // A later probe got an answer, so the service answers requests:
        // earlier probes still silent after the grace may be cut short.
        let mut later_answered = false;
        // Whether probes after the current one may start (the NULL probe
        // first waits a moment alone: banners come at once).
        let mut widened;

        while let Some(p) = cursor.next(db, soft.as_ref().map(|f| f.service.as_str())) {
            widened = !db.probes[p].is_null();
            let softname = soft.as_ref().map(|f| f.service.clone());
            if !live.contains_key(&p) && !done.contains_key(&p) {
                self.start(target, proto, tls, p, &mut live, &mut running);
            }
            // Wait until probe `p` is settled, keeping the look-ahead full.
            let ex = loop {
                if let Some(ex) = done.remove(&p) {
                    break ex;
                }
                if widened {
                    let mut ahead = cursor.clone();
                    while running.len() < self.opts.lookahead.max(1) {
                        let Some(q) = ahead.next(db, softname.as_deref()) else {
                            break;
                        };
                        if !live.contains_key(&q) && !done.contains_key(&q) {
                            self.start(target, proto, tls, q, &mut live, &mut running);
                        }
                    }
                }
                let l = live[&p].clone();
                let cut_at = (later_answered && !l.stopped.load(Ordering::Relaxed))
                    .then_some(l.idle_since() + self.opts.grace);
                let widen_at = (!widened).then_some(l.started + Duration::from_millis(250));
                let next = tokio::select! {
                    r = running.join_next() => r,
                    _ = sleep_opt(cut_at) => {
                        if Instant::now() < l.idle_since() + self.opts.grace {
                            continue; // it read something meanwhile
                        }
                        // Settled: idle while later probes get answers.
                        self.trace(|| format!(
                            "Service scan: {target} probe {} idle for {:?} while later probes were answered; moving on",
                            db.probes[p].name, self.opts.grace));
                        l.stopped.store(true, Ordering::Relaxed);
                        l.stop.notify_one();
                        continue;
                    }
                    _ = sleep_opt(widen_at) => {
                        widened = true;
                        continue;
                    }
                };
                match next {
                    Some(Ok(ex)) => {
                        if ex.probe != p && !ex.response.is_empty() {
                            later_answered = true;
                        }
                        done.insert(ex.probe, ex);
                    }
                    // A probe task died (a bug): judge it as silent.
                    Some(Err(_)) | None => {
                        break Exchange {
                            probe: p,
                            response: Vec::new(),
                            reads: Vec::new(),
                            end: End::Error,
                            took: Duration::ZERO,
                            first_byte: None,
                        };
                    }
                }
            };
            live.remove(&p);
            let probe = &db.probes[p];
            self.trace(|| {
                format!(
                    "Service scan: {target} probe {} ({}): {:?} after {:?}, {} bytes",
                    probe.name,
                    proto.upper(),
                    ex.end,
                    ex.took,
                    ex.response.len()
                )
            });
            if ex.end == End::NoConnection && ex.response.is_empty() {
                // The port took no connection: Nmap gives up on it
                // (PROBESTATE_INCOMPLETE); what is known so far stands.
                if probe.is_null() || proto == Proto::Udp {
                    break;
                }
                continue;
            }
            if ex.response.is_empty() {
                if probe.is_null()
                    && ex.end == End::Closed
                    && tcpwrap_possible
                    && ex.took < probe.tcpwrapped_wait()
                {
                    return (Verdict::Tcpwrapped, responded, first);
                }
                tcpwrap_possible = false;
                continue;
            }
            tcpwrap_possible = false;
            responded = true;
            first = first.or(ex.first_byte);
            // Judge read by read, as Nmap does.
            let mut hit = None;
            for &cut in &ex.reads {
                let seen = &ex.response[..cut];
                match db.match_response(p, seen, soft.as_ref().map(|f| f.service.as_str())) {
                    MatchOutcome::Hard(mut f) => {
                        if let Some(s) = &soft {
                            f.inherit(s);
                        }
                        hit = Some(f);
                        break;
                    }
                    MatchOutcome::Soft(f) => {
                        self.trace(|| {
                            format!(
                                "Service scan soft match (Probe {} line {}): {target} is {}",
                                probe.name, f.line, f.service
                            )
                        });
                        soft = Some(f);
                    }
                    MatchOutcome::None => {}
                }
            }
            if let Some(f) = hit {
                self.trace(|| {
                    format!(
                        "Service scan hard match (Probe {} line {}): {target} is {}{}",
                        probe.name,
                        f.line,
                        if tls { "SSL/" } else { "" },
                        f.service
                    )
                });
                return (Verdict::Hard(f), responded, first);
            }
            unmatched.push((probe.name.clone(), ex.response));
        }
        let verdict = match soft {
            Some(f) => Verdict::Soft(f),
            None => Verdict::Unknown(unmatched),
        };
        (verdict, responded, first)
    }

    /// Starts probe `q` on its own connection.
    fn start(
        &self,
        target: SocketAddr,
        proto: Proto,
        tls: bool,
        q: usize,
        live: &mut HashMap<usize, Arc<Live>>,
        running: &mut JoinSet<Exchange>,
    ) {
        let l = Arc::new(Live::new());
        live.insert(q, l.clone());
        let (me, slots) = (self.clone_parts(), self.slots.clone());
        running.spawn(async move {
            let _slot = slots.acquire_owned().await;
            me.exchange(target, proto, tls, q, &l).await
        });
    }

    /// What a probe task needs, without the stage's semaphore.
    fn clone_parts(&self) -> Prober {
        Prober {
            db: self.db.clone(),
            source: self.opts.source,
            tls: self.tls.clone(),
        }
    }
}

/// Runs single probe exchanges.
struct Prober {
    db: Arc<ProbeDb>,
    source: Option<IpAddr>,
    tls: tokio_rustls::TlsConnector,
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

impl Prober {
    async fn exchange(
        &self,
        target: SocketAddr,
        proto: Proto,
        tls: bool,
        probe: usize,
        live: &Live,
    ) -> Exchange {
        let p = &self.db.probes[probe];
        let wait = p.wait();
        let start = Instant::now();
        let deadline = start + wait;
        let mut ex = Exchange {
            probe,
            response: Vec::new(),
            reads: Vec::new(),
            end: End::Timeout,
            took: Duration::ZERO,
            first_byte: None,
        };
        let result = match proto {
            Proto::Tcp => {
                self.tcp(target, tls, &p.payload, deadline, &mut ex, live)
                    .await
            }
            Proto::Udp => self.udp(target, &p.payload, deadline, &mut ex, live).await,
        };
        ex.end = result;
        ex.took = start.elapsed();
        ex
    }

    async fn connect(&self, target: SocketAddr, tls: bool) -> std::io::Result<Box<dyn Stream>> {
        let sock = if target.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        if let Some(src) = self.source.filter(|s| s.is_ipv4() == target.is_ipv4()) {
            sock.bind(SocketAddr::new(src, 0))?;
        }
        let tcp = sock.connect(target).await?;
        let _ = tcp.set_nodelay(true);
        if !tls {
            return Ok(Box::new(tcp));
        }
        let name = rustls::pki_types::ServerName::IpAddress(target.ip().into());
        let s = self.tls.connect(name, tcp).await?;
        Ok(Box::new(s))
    }

    async fn tcp(
        &self,
        target: SocketAddr,
        tls: bool,
        payload: &[u8],
        deadline: Instant,
        ex: &mut Exchange,
        live: &Live,
    ) -> End {
        let mut s = match tokio::time::timeout_at(deadline, self.connect(target, tls)).await {
            Ok(Ok(s)) => s,
            _ => return End::NoConnection,
        };
        if !payload.is_empty() {
            match tokio::time::timeout_at(deadline, s.write_all(payload)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return End::Closed,
                Err(_) => return End::Timeout,
            }
        }
        let mut buf = [0u8; MAX_RESPONSE];
        loop {
            let room = MAX_RESPONSE - ex.response.len();
            let read = tokio::select! {
                r = tokio::time::timeout_at(deadline, s.read(&mut buf[..room])) => r,
                _ = live.stop.notified() => return End::Timeout,
            };
            let n = match read {
                Err(_) => return End::Timeout,
                Ok(Ok(0)) => return End::Closed,
                Ok(Ok(n)) => n,
                Ok(Err(e)) => {
                    return match e.kind() {
                        std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::UnexpectedEof => End::Closed,
                        _ => End::Error,
                    };
                }
            };
            if self.took(&buf[..n], ex, live) {
                return End::Matched;
            }
            if ex.response.len() >= MAX_RESPONSE {
                return End::Full;
            }
        }
    }

    async fn udp(
        &self,
        target: SocketAddr,
        payload: &[u8],
        deadline: Instant,
        ex: &mut Exchange,
        live: &Live,
    ) -> End {
        let any: SocketAddr = match (self.source, target) {
            (Some(s), _) if s.is_ipv4() == target.is_ipv4() => SocketAddr::new(s, 0),
            (_, SocketAddr::V4(_)) => SocketAddr::from(([0, 0, 0, 0], 0)),
            (_, SocketAddr::V6(_)) => SocketAddr::from(([0u16; 8], 0)),
        };
        let Ok(sock) = tokio::net::UdpSocket::bind(any).await else {
            return End::NoConnection;
        };
        if sock.connect(target).await.is_err() || sock.send(payload).await.is_err() {
            return End::NoConnection;
        }
        let mut buf = vec![0u8; 65_536];
        loop {
            let read = tokio::select! {
                r = tokio::time::timeout_at(deadline, sock.recv(&mut buf)) => r,
                _ = live.stop.notified() => return End::Timeout,
            };
            let n = match read {
                Err(_) => return End::Timeout,
                Ok(Ok(n)) => n,
                // Port unreachable (ECONNREFUSED) and the like.
                Ok(Err(_)) => return End::Error,
            };
            let n = n.min(MAX_RESPONSE - ex.response.len());
            if self.took(&buf[..n], ex, live) {
                return End::Matched;
            }
            if ex.response.len() >= MAX_RESPONSE {
                return End::Full;
            }
        }
    }

    /// Adds one read to the response; `true` if it now hard-matches (the
    /// probe can stop: Nmap stops reading at a match).
    fn took(&self, data: &[u8], ex: &mut Exchange, live: &Live) -> bool {
        if data.is_empty() {
            return false;
        }
        if ex.first_byte.is_none() {
            ex.first_byte = Some(SystemTime::now());
        }
        let ms = live.started.elapsed().as_millis();
        live.last_read_ms
            .store(u64::try_from(ms).unwrap_or(u64::MAX), Ordering::Relaxed);
        ex.response.extend_from_slice(data);
        ex.reads.push(ex.response.len());
        matches!(
            self.db.match_response(ex.probe, &ex.response, None),
            MatchOutcome::Hard(_)
        )
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// TLS for version detection and scripts: any certificate is accepted (we
/// identify services, we don't trust them), every version rustls speaks.
pub fn tls_connector() -> tokio_rustls::TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| {
            rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(&[&rustls::version::TLS12])
                .unwrap_or_else(|_| unreachable!("TLS 1.2 is always available with ring"))
        })
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[derive(Debug)]
struct AnyCert(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_and_day_of_unix_times() {
        assert_eq!(month_day(0), (1, 1));
        // 2026-11-29 12:00 UTC
        assert_eq!(month_day(1_795_953_600), (11, 29));
        // 2024-02-29
        assert_eq!(month_day(1_709_164_800), (2, 29));
    }
}
