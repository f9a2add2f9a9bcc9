//! TCP connect scan (`-sT`) and connect ping: the scheduler and the real connector.
//!
//! The scheduler is generic over a [`Connector`] so tests drive it with a fake
//! network and tokio's paused clock. One host's ports are scanned by one
//! [`scan_host`] call; many hosts run side by side and share the file-descriptor
//! budget (a semaphore) and the global rate pacer.

use crate::progress::Progress;
use crate::timing::{Pacer, RttEstimator, Timing};
use nmaps_model::{PortState, Reason};
use socket2::{Domain, Protocol as SockProto, Socket, Type};
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// What one connect attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectOutcome {
    /// The handshake completed.
    Open,
    /// RST: nothing listens.
    Refused,
    /// An ICMP error (or the local stack) said the target can't be reached.
    Unreachable(Reason),
    /// No answer within the timeout.
    Timeout,
    /// The kernel connected the socket to itself (source port = destination
    /// port on a local address): this says nothing about the target port.
    SelfConnect,
    /// Out of local resources (file descriptors, ports): try again later.
    Resource,
    /// A raw probe's reply settled the port (state, reason, reply TTL, and
    /// the address of the host that answered when it is not the target —
    /// a router's ICMP error).
    Decided {
        state: PortState,
        reason: Reason,
        ttl: u8,
        from: Option<IpAddr>,
    },
}

/// Makes connect attempts. The real one is [`TcpConnector`].
pub trait Connector: Send + Sync + 'static {
    fn connect(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> impl Future<Output = ConnectOutcome> + Send + 'static;
}

/// Connects with the operating system's TCP stack.
///
/// A refused connect leaves a Linux TCP socket closed but reusable, so the
/// connector keeps such sockets in a pool and issues the next connect on
/// them, saving the socket's creation and teardown in the kernel. A pooled
/// socket is taken out of the reactor and registered afresh when reused:
/// tokio keeps a socket's "closed" readiness forever, which would make the
/// next handshake look finished at once. Sockets that connected, timed out or
/// failed otherwise are closed, never reused.
#[derive(Debug, Clone, Default)]
pub struct TcpConnector {
    /// Source address to bind (`-S`); bound sockets are not pooled.
    pub source: Option<IpAddr>,
    pool: Arc<Mutex<Pool>>,
}

#[derive(Debug, Default)]
struct Pool {
    v4: Vec<Socket>,
    v6: Vec<Socket>,
}

impl TcpConnector {
    pub fn new(source: Option<IpAddr>) -> Self {
        Self {
            source,
            pool: Arc::default(),
        }
    }

    fn take(&self, addr: SocketAddr) -> io::Result<Socket> {
        if self.source.is_none() {
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            let list = if addr.is_ipv4() {
                &mut pool.v4
            } else {
                &mut pool.v6
            };
            if let Some(s) = list.pop() {
                return Ok(s);
            }
        }
        let domain = if addr.is_ipv4() {
            Domain::IPV4
        } else {
            Domain::IPV6
        };
        let sock = Socket::new(domain, Type::STREAM.nonblocking(), Some(SockProto::TCP))?;
        if let Some(src) = self.source {
            sock.bind(&SocketAddr::new(src, 0).into())?;
        }
        Ok(sock)
    }

    fn give_back(&self, addr: SocketAddr, sock: Socket) {
        if self.source.is_none() {
            // Disconnecting does not clear a soft error; never hand one on.
            let _ = sock.take_error();
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            if addr.is_ipv4() {
                pool.v4.push(sock)
            } else {
                pool.v6.push(sock)
            }
        }
    }
}

/// Register a socket with the runtime's reactor for write readiness.
#[allow(unsafe_code)]
fn register(sock: Socket) -> Result<AsyncFd<Socket>, (Socket, io::Error)> {
    // SAFETY: `Socket` owns its descriptor and closes it only when dropped;
    // the AsyncFd owns the Socket until `into_inner` gives it back, so the fd
    // stays open and the same for the AsyncFd's whole lifetime.
    unsafe { AsyncFd::register_with_interest(sock, tokio::io::Interest::WRITABLE) }
        .map_err(|e| e.into_parts())
}

/// What a `connect()` call said about the handshake.
enum Step {
    Done(io::Result<()>),
    Pending,
}

fn step(sock: &Socket, target: &socket2::SockAddr) -> Step {
    match sock.connect(target) {
        Ok(()) => Step::Done(Ok(())),
        Err(e) if e.raw_os_error() == Some(libc::EISCONN) => Step::Done(Ok(())),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EALREADY)) => {
            Step::Pending
        }
        Err(e) => Step::Done(Err(e)),
    }
}

/// One non-blocking connect, to completion. The first `connect()` starts the
/// handshake; calling it again reports the outcome (EISCONN on success, the
/// error otherwise) and, on failure, makes the socket reusable. A loopback or
/// LAN answer has often been processed before the first call returns, so the
/// second call is made at once, and the socket is only registered with the
/// reactor (and the task put to sleep) if the handshake is still running.
///
/// Returns the socket, the outcome, and whether the socket may be reused: only
/// when `connect()` itself reported the failure, which leaves it closed.
async fn attempt(sock: Socket, addr: SocketAddr) -> (Socket, io::Result<()>, bool) {
    let target: socket2::SockAddr = addr.into();
    for _ in 0..2 {
        if let Step::Done(r) = step(&sock, &target) {
            return (sock, r, true);
        }
    }
    let fd = match register(sock) {
        Ok(fd) => fd,
        Err((sock, e)) => return (sock, Err(e), false),
    };
    let mut reusable = true;
    let mut spurious = 0u32;
    let result = loop {
        match fd.writable().await {
            Ok(mut guard) => guard.clear_ready(),
            Err(e) => break Err(e),
        }
        if let Step::Done(r) = step(fd.get_ref(), &target) {
            break r;
        }
        // Woken, yet still connecting. This happens when an ICMP error reached
        // the socket while our own connect() held it: Linux then keeps it as a
        // soft error (which SO_ERROR reports, as Nmap reads it) and goes on
        // retransmitting the SYN, while the reactor keeps reporting the socket
        // ready. Take that error; else poll with a growing pause, not a spin.
        if let Ok(Some(e)) = fd.get_ref().take_error() {
            // The handshake is still running in the kernel: never reuse this socket.
            reusable = false;
            break Err(e);
        }
        spurious += 1;
        if spurious > 1 {
            tokio::time::sleep(Duration::from_millis(1 << spurious.min(6))).await;
        }
    };
    (fd.into_inner(), result, reusable)
}

impl Connector for TcpConnector {
    fn connect(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> impl Future<Output = ConnectOutcome> + Send + 'static {
        let this = self.clone();
        async move {
            let sock = match this.take(addr) {
                Ok(s) => s,
                Err(e) => return classify_error(&e),
            };
            match tokio::time::timeout(timeout, attempt(sock, addr)).await {
                Err(_) => ConnectOutcome::Timeout,
                Ok((sock, Ok(()), _)) => {
                    let local = sock.local_addr().ok().and_then(|a| a.as_socket());
                    // Close with RST (linger 0): no FIN exchange, no TIME_WAIT left behind.
                    let _ = sock.set_linger(Some(Duration::ZERO));
                    if local == Some(addr) {
                        ConnectOutcome::SelfConnect
                    } else {
                        ConnectOutcome::Open
                    }
                }
                Ok((sock, Err(e), reusable)) => {
                    let outcome = classify_error(&e);
                    if reusable && outcome == ConnectOutcome::Refused {
                        this.give_back(addr, sock);
                    }
                    outcome
                }
            }
        }
    }
}

/// Map a connect error to Nmap's state reasons (see nmap.md §4.2, `-sT` row).
fn classify_error(e: &io::Error) -> ConnectOutcome {
    match e.raw_os_error() {
        Some(libc::ECONNREFUSED) => ConnectOutcome::Refused,
        Some(libc::EHOSTUNREACH) => ConnectOutcome::Unreachable(Reason::HostUnreach),
        Some(libc::ENETUNREACH) => ConnectOutcome::Unreachable(Reason::NetUnreach),
        Some(libc::EACCES | libc::EPERM) => ConnectOutcome::Unreachable(Reason::AdminProhibited),
        Some(libc::ENOPROTOOPT) => ConnectOutcome::Unreachable(Reason::ProtoUnreach),
        Some(libc::ENONET) => ConnectOutcome::Unreachable(Reason::DestUnreach),
        Some(libc::ETIMEDOUT | libc::EHOSTDOWN) => ConnectOutcome::Timeout,
        Some(
            libc::EMFILE
            | libc::ENFILE
            | libc::ENOBUFS
            | libc::ENOMEM
            | libc::EADDRNOTAVAIL
            | libc::EAGAIN,
        ) => ConnectOutcome::Resource,
        _ => ConnectOutcome::Unreachable(Reason::DestUnreach),
    }
}

/// Shared limits for every host being scanned at once.
#[derive(Debug, Clone)]
pub struct Shared {
    /// One permit per socket we may hold open (derived from RLIMIT_NOFILE).
    pub sockets: Arc<Semaphore>,
    /// `--max-rate` across the whole scan.
    pub rate: Option<Arc<Mutex<Pacer>>>,
    /// Becomes `true` on SIGINT/SIGTERM.
    pub cancel: watch::Receiver<bool>,
    pub progress: Arc<Progress>,
    /// Round-trip estimate over every host (Nmap's group timing): the
    /// timeout for a host that has not answered yet.
    pub group_rtt: Arc<Mutex<RttEstimator>>,
    /// Highest try number answered on any host: on a lossy path every
    /// host gets the retransmissions that proved needed somewhere.
    pub group_best_try: Arc<std::sync::atomic::AtomicU32>,
}

impl Shared {
    /// The probe timeout for a host with estimator `own`: its own once it
    /// has samples, else the group's.
    pub fn timeout_for(&self, own: &RttEstimator) -> Duration {
        if own.srtt().is_some() {
            return own.timeout();
        }
        self.group_rtt
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .timeout()
    }

    /// Feed a round trip to the group estimate.
    pub fn group_sample(&self, rtt: Duration) {
        self.group_rtt
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .sample(rtt);
    }

    pub fn new(socket_budget: usize, timing: &Timing, cancel: watch::Receiver<bool>) -> Self {
        Self {
            sockets: Arc::new(Semaphore::new(socket_budget.max(1))),
            rate: timing
                .max_rate
                .map(|r| Arc::new(Mutex::new(Pacer::per_second(r)))),
            cancel,
            progress: Arc::new(Progress::default()),
            group_rtt: Arc::new(Mutex::new(RttEstimator::new(timing))),
            group_best_try: Arc::default(),
        }
    }
}

/// A settled port: state, reason, reply TTL, answering host if not the target.
type Settled = (PortState, Reason, u8, Option<IpAddr>);

/// What one port came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortResult {
    pub port: u16,
    pub state: PortState,
    pub reason: Reason,
    /// TTL of the reply (0: none, or a connect scan).
    pub ttl: u8,
    /// Who answered, when not the target (Nmap's `reason_ip`).
    pub from: Option<IpAddr>,
}

/// Result of scanning one host's ports.
#[derive(Debug, Clone)]
pub struct HostScan {
    /// Every port's result, in ascending port order; only when completed.
    pub ports: Vec<PortResult>,
    pub rtt: RttEstimator,
    pub timed_out: bool,
    pub cancelled: bool,
}

/// Congestion window: how many probes to one host may be in flight.
#[derive(Debug, Clone)]
struct Window {
    cwnd: f64,
    ssthresh: f64,
    min: f64,
    max: f64,
    last_cut: Option<Instant>,
}

/// Probes in flight per host when nothing limits them. Higher than Nmap's 300:
/// a connect costs a socket, not a raw packet slot, and loopback or LAN targets
/// answer in microseconds.
const DEFAULT_MAX_WINDOW: u32 = 2048;

impl Window {
    fn new(timing: &Timing) -> Self {
        let max = f64::from(timing.max_parallelism.unwrap_or(DEFAULT_MAX_WINDOW).max(1));
        let min = f64::from(timing.min_parallelism.max(1)).min(max);
        // A --min-rate asks for speed over politeness: start (and stay) wide open.
        let start = if timing.min_rate.is_some() {
            max
        } else {
            10f64.clamp(min, max)
        };
        Self {
            cwnd: start,
            // Like TCP, no congestion-avoidance threshold until a probe is lost.
            ssthresh: max,
            min: if timing.min_rate.is_some() { max } else { min },
            max,
            last_cut: None,
        }
    }

    fn allowed(&self) -> usize {
        self.cwnd as usize
    }

    fn on_response(&mut self) {
        let inc = if self.cwnd < self.ssthresh {
            1.0
        } else {
            1.0 / self.cwnd
        };
        self.cwnd = (self.cwnd + inc).min(self.max);
    }

    /// A probe was lost. Cut at most once per timeout period, like TCP
    /// reacting once per window of data.
    fn on_loss(&mut self, now: Instant, period: Duration) {
        if self
            .last_cut
            .is_some_and(|t| now.duration_since(t) < period)
        {
            return;
        }
        self.last_cut = Some(now);
        self.ssthresh = (self.cwnd / 2.0).max(self.min);
        self.cwnd = (self.cwnd / 2.0).max(self.min);
    }
}

/// Which port a probe is for and how many times it was tried; handed back
/// with the probe's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// Index of the port in the host's port list.
    pub idx: usize,
    /// Tries already made (0 for the first probe).
    pub tries: u32,
    pub self_connects: u32,
}

/// A finished probe.
#[derive(Debug)]
pub struct Done {
    pub tag: Tag,
    /// When the probe went out.
    pub sent: Instant,
    /// Round trip as the prober saw it, free of the scheduler's latency.
    pub rtt: Duration,
    pub outcome: ConnectOutcome,
}

/// The probes one host has in flight: [`scan_host`] launches them and
/// collects their outcomes (answers and timeouts) in any order.
pub trait Flights: Send {
    /// Whether each probe holds one of the shared socket permits.
    const USES_SOCKETS: bool;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Sends a probe to `port`, to be given up after `timeout`. `Err(())`:
    /// no room to send right now (local queue full); try again shortly.
    #[allow(clippy::result_unit_err)]
    fn launch(
        &mut self,
        tag: Tag,
        port: u16,
        timeout: Duration,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<(), ()>;
    /// The next finished probe; `None` when nothing is in flight.
    /// Cancel-safe: dropping the future loses nothing.
    fn next(&mut self) -> impl Future<Output = Option<Done>> + Send;
    fn abort_all(&mut self);
}

/// Something that can scan a host's ports: it makes the host's [`Flights`].
pub trait Prober: Send + Sync + 'static {
    type Flights: Flights;
    fn flights(self: &Arc<Self>, addr: IpAddr) -> Self::Flights;
}

/// Every [`Connector`] scans with one task per attempt.
impl<C: Connector> Prober for C {
    type Flights = TaskFlights<C>;
    fn flights(self: &Arc<Self>, addr: IpAddr) -> TaskFlights<C> {
        TaskFlights {
            connector: self.clone(),
            addr,
            set: JoinSet::new(),
        }
    }
}

/// A [`Connector`]'s attempts, each in its own task.
pub struct TaskFlights<C> {
    connector: Arc<C>,
    addr: IpAddr,
    set: JoinSet<Done>,
}

impl<C: Connector> Flights for TaskFlights<C> {
    const USES_SOCKETS: bool = true;

    fn len(&self) -> usize {
        self.set.len()
    }

    fn launch(
        &mut self,
        tag: Tag,
        port: u16,
        timeout: Duration,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<(), ()> {
        let fut = self
            .connector
            .connect(SocketAddr::new(self.addr, port), timeout);
        self.set.spawn(async move {
            let sent = Instant::now();
            let outcome = fut.await;
            let rtt = sent.elapsed();
            drop(permit);
            Done {
                tag,
                sent,
                rtt,
                outcome,
            }
        });
        Ok(())
    }

    async fn next(&mut self) -> Option<Done> {
        loop {
            match self.set.join_next().await? {
                Ok(done) => return Some(done),
                // A panicked attempt (a bug) is as good as lost.
                Err(_) => continue,
            }
        }
    }

    fn abort_all(&mut self) {
        self.set.abort_all();
    }
}

/// Local failures (no descriptor, no free port) tolerated per host before the
/// affected ports are given up on.
const MAX_LOCAL_RETRIES: u32 = 10_000;

/// How a scan technique reads silence and reacts to loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanRules {
    /// State of a port that never answers.
    pub silence: PortState,
    /// When many probes prove lost, raise the per-host scan delay to at
    /// least this and double it on each further boost, up to
    /// `--max-scan-delay` (Nmap's answer to ICMP and RST rate limits).
    /// `None`: never.
    pub boost_delay: Option<Duration>,
    /// Once the host has answered some probe with an ICMP error (UDP's
    /// port unreachable, SCTP's protocol unreachable, a firewall's reject),
    /// a silent port may just have hit the host's ICMP rate limit:
    /// retransmit no sooner than this, the limit's refill period.
    pub icmp_retry_floor: Option<Duration>,
}

impl ScanRules {
    /// The connect scan's: silence is filtered; the kernel paces itself.
    pub const CONNECT: Self = Self {
        silence: PortState::Filtered,
        boost_delay: None,
        icmp_retry_floor: None,
    };
}

/// Nmap's send-delay boosts: after more than ten proven drops making up
/// over 30 % (40 % at -T4 and up) of the answers since the last boost, or
/// when answers come only after the fourth (fifth) try.
#[derive(Debug)]
struct DelayBoost {
    floor: Option<Duration>,
    ceiling: Duration,
    drops: u32,
    good: u32,
    last_boost: Option<Instant>,
    aggressive: bool,
}

impl DelayBoost {
    fn new(rules: &ScanRules, timing: &Timing) -> Self {
        Self {
            floor: rules.boost_delay,
            ceiling: timing.max_scan_delay.max(timing.scan_delay),
            drops: 0,
            good: 0,
            last_boost: None,
            aggressive: timing.level >= 4,
        }
    }

    /// An answer arrived for a probe sent at `sent` on try `tries`.
    /// Returns the new scan delay if it is time to boost.
    fn answered(&mut self, sent: Instant, tries: u32, current: Duration) -> Option<Duration> {
        if tries > 0 && self.last_boost.is_none_or(|b| sent > b) {
            self.drops += 1;
        } else {
            self.good += 1;
        }
        let threshold = if self.aggressive { 0.40 } else { 0.30 };
        let ratio = f64::from(self.drops) / f64::from(self.drops + self.good);
        (self.drops > 10 && ratio > threshold).then(|| self.boost(current))?
    }

    /// The highest answered try rose to `best`.
    fn best_try_rose(&mut self, best: u32, current: Duration) -> Option<Duration> {
        let limit = if self.aggressive { 4 } else { 3 };
        (best > limit).then(|| self.boost(current))?
    }

    fn boost(&mut self, current: Duration) -> Option<Duration> {
        let floor = self.floor?;
        self.drops = 0;
        self.good = 0;
        self.last_boost = Some(Instant::now());
        Some((current * 2).max(floor).min(self.ceiling).max(current))
    }
}

/// Scan `ports` (already in scan order) on `addr` with `connector`'s
/// probes, under `rules`.
pub async fn scan_host<P: Prober>(
    addr: IpAddr,
    ports: &[u16],
    timing: &Timing,
    prober: Arc<P>,
    shared: &Shared,
    rules: ScanRules,
) -> HostScan {
    let silence = rules.silence;
    let start = Instant::now();
    let deadline = timing.host_timeout.map(|t| start + t);
    let mut rtt = RttEstimator::new(timing);
    let mut window = Window::new(timing);
    let mut delay = Pacer::new(timing.scan_delay);
    let mut results: Vec<Option<Settled>> = vec![None; ports.len()];
    // (index, tries already made, self-connects seen)
    let mut queue: VecDeque<(usize, u32, u32)> = (0..ports.len()).map(|i| (i, 0, 0)).collect();
    let mut in_flight = prober.flights(addr);
    // Highest try number (0-based) that ever got an answer: retransmissions beyond
    // one more than that are unlikely to help (Nmap's max_successful_tryno).
    let mut best_answered_try = 0u32;
    // Ports out of tries for now: (index, tries made less one).
    let mut parked: Vec<(usize, u32)> = Vec::new();
    let mut boost = DelayBoost::new(&rules, timing);
    // Whether any probe drew an ICMP error (see ScanRules::icmp_retry_floor).
    let mut seen_icmp = false;
    let mut local_retries = 0u32;
    let mut cancel = shared.cancel.clone();

    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            in_flight.abort_all();
            shared
                .progress
                .ports_skipped(results.iter().filter(|r| r.is_none()).count() as u64);
            return HostScan {
                ports: Vec::new(),
                rtt,
                timed_out: true,
                cancelled: false,
            };
        }
        if *cancel.borrow() {
            in_flight.abort_all();
            return HostScan {
                ports: Vec::new(),
                rtt,
                timed_out: false,
                cancelled: true,
            };
        }

        // Send as many probes as the window, the socket budget and the pacers allow.
        let mut wake: Option<Instant> = deadline;
        while in_flight.len() < window.allowed() {
            let Some(&(idx, tries, selfc)) = queue.front() else {
                break;
            };
            if let Some(t) = delay.wait_until(now) {
                wake = earliest(wake, t);
                break;
            }
            let permit = if P::Flights::USES_SOCKETS {
                let Ok(permit) = shared.sockets.clone().try_acquire_owned() else {
                    // Other hosts hold every socket; poll again shortly.
                    wake = earliest(wake, now + Duration::from_millis(2));
                    break;
                };
                Some(permit)
            } else {
                None
            };
            if let Some(rate) = &shared.rate {
                let mut rate = rate.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(t) = rate.wait_until(now) {
                    wake = earliest(wake, t);
                    break;
                }
                rate.taken(now);
            }
            let mut timeout = shared.timeout_for(&rtt);
            if let (Some(floor), true, true) = (rules.icmp_retry_floor, tries > 0, seen_icmp) {
                timeout = timeout.max(floor);
            }
            let tag = Tag {
                idx,
                tries,
                self_connects: selfc,
            };
            if in_flight.launch(tag, ports[idx], timeout, permit).is_err() {
                // The send queue is full: let it drain.
                wake = earliest(wake, now + Duration::from_millis(1));
                break;
            }
            queue.pop_front();
            delay.taken(now);
        }

        if in_flight.is_empty() && queue.is_empty() {
            // Silent ports wait here until nothing is in flight: a late
            // answer to a retransmission raises everyone's allowance
            // (Nmap's max_successful_tryno).
            let allowed = allowance(
                timing,
                best_answered_try,
                shared,
                seen_icmp && rules.icmp_retry_floor.is_some(),
            );
            for (idx, tries) in parked.drain(..) {
                if tries + 1 < allowed {
                    queue.push_back((idx, tries + 1, 0));
                } else {
                    results[idx] = Some((silence, Reason::NoResponse, 0, None));
                    shared.progress.port_done();
                }
            }
            if queue.is_empty() {
                break;
            }
            continue;
        }

        let done = tokio::select! {
            biased;
            _ = cancelled(&mut cancel) => continue,
            d = in_flight.next(), if !in_flight.is_empty() => d,
            _ = sleep_until_opt(wake) => continue,
        };
        let Some(done) = done else { continue };
        let Tag {
            idx: done_idx,
            tries: done_tries,
            self_connects: done_selfc,
        } = done.tag;
        let now = Instant::now();
        shared.progress.probe_sent();
        match done.outcome {
            ConnectOutcome::Open
            | ConnectOutcome::Refused
            | ConnectOutcome::Unreachable(_)
            | ConnectOutcome::Decided { .. } => {
                // Karn: no samples from retransmissions. ICMP errors are not
                // samples either: Linux may report them only after a SYN
                // retransmission, a second late.
                if done_tries == 0 && !matches!(done.outcome, ConnectOutcome::Unreachable(_)) {
                    rtt.sample(done.rtt);
                    shared.group_sample(done.rtt);
                }
                if done_tries > 0 {
                    shared
                        .group_best_try
                        .fetch_max(done_tries, std::sync::atomic::Ordering::Relaxed);
                }
                if done_tries > best_answered_try {
                    best_answered_try = done_tries;
                    if let Some(d) = boost.best_try_rose(best_answered_try, delay.interval()) {
                        delay.set_interval(d);
                    }
                }
                if let Some(d) = boost.answered(done.sent, done_tries, delay.interval()) {
                    delay.set_interval(d);
                }
                if done_tries > 0 {
                    // A retransmission was answered: the earlier probe was lost,
                    // proof of loss. (A timeout alone proves nothing: most
                    // are filtered ports, and slowing down for them is waste.)
                    window.on_loss(now, rtt.timeout());
                } else {
                    window.on_response();
                }
                let result = match done.outcome {
                    ConnectOutcome::Open => (PortState::Open, Reason::SynAck, 0, None),
                    ConnectOutcome::Refused => (PortState::Closed, Reason::ConnRefused, 0, None),
                    ConnectOutcome::Unreachable(r) => (PortState::Filtered, r, 0, None),
                    ConnectOutcome::Decided {
                        state,
                        reason,
                        ttl,
                        from,
                    } => (state, reason, ttl, from),
                    _ => unreachable!("matched above"),
                };
                seen_icmp |= result.1.is_icmp();
                results[done_idx] = Some(result);
                shared.progress.port_done();
            }
            ConnectOutcome::Timeout => {
                let allowed = allowance(
                    timing,
                    best_answered_try,
                    shared,
                    seen_icmp && rules.icmp_retry_floor.is_some(),
                );
                if done_tries + 1 < allowed {
                    queue.push_back((done_idx, done_tries + 1, 0));
                } else {
                    parked.push((done_idx, done_tries));
                }
            }
            ConnectOutcome::SelfConnect => {
                // Try again from another source port; after a few, the port is not open.
                if done_selfc < 4 {
                    queue.push_front((done_idx, done_tries, done_selfc + 1));
                } else {
                    results[done_idx] = Some((PortState::Closed, Reason::ConnRefused, 0, None));
                    shared.progress.port_done();
                }
            }
            ConnectOutcome::Resource => {
                // Local shortage, not the target's doing: shrink and retry the
                // same try — a bounded number of times, so that a lasting
                // local fault cannot stall the scan.
                window.cwnd = (window.cwnd / 2.0).max(1.0);
                local_retries += 1;
                if local_retries <= MAX_LOCAL_RETRIES {
                    queue.push_front((done_idx, done_tries, done_selfc));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                } else {
                    results[done_idx] = Some((silence, Reason::NoResponse, 0, None));
                    shared.progress.port_done();
                }
            }
        }
    }

    let mut ports_out: Vec<PortResult> = ports
        .iter()
        .zip(results)
        .map(|(&port, r)| {
            let (state, reason, ttl, from) = r.unwrap_or((silence, Reason::NoResponse, 0, None));
            PortResult {
                port,
                state,
                reason,
                ttl,
                from,
            }
        })
        .collect();
    ports_out.sort_by_key(|p| p.port);
    HostScan {
        ports: ports_out,
        rtt,
        timed_out: false,
        cancelled: false,
    }
}

/// Tries a port may get: one more than the highest try ever answered on
/// this host or any other (Nmap's max_successful_tryno + 1), within
/// `--max-retries`.
///
/// A host that sends ICMP errors gets one try more: its rate limit (one
/// error a second on Linux) may have swallowed the answers of two.
fn allowance(timing: &Timing, own_best: u32, shared: &Shared, icmp_limited: bool) -> u32 {
    let group = shared
        .group_best_try
        .load(std::sync::atomic::Ordering::Relaxed);
    1 + timing
        .max_retries
        .min(own_best.max(group) + 1 + u32::from(icmp_limited))
}

fn earliest(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// Resolves once the scan is cancelled; never if the canceller is gone.
pub(crate) async fn cancelled(rx: &mut watch::Receiver<bool>) {
    if rx.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn sleep_until_opt(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// How a fake port behaves.
    #[derive(Clone, Copy)]
    enum Behaviour {
        Open,
        Drop,
        /// Lose the first N probes, then answer closed.
        LoseThenRefuse(u32),
        SelfConnectOnce,
    }

    /// A network made of a table, answering after a fixed latency on tokio's clock.
    struct FakeNet {
        ports: HashMap<u16, Behaviour>,
        seen: Mutex<HashMap<u16, u32>>,
        latency: Duration,
        in_flight: AtomicU32,
        max_in_flight: AtomicU32,
    }

    impl FakeNet {
        fn new(ports: &[(u16, Behaviour)]) -> Arc<Self> {
            Arc::new(Self {
                ports: ports.iter().copied().collect(),
                seen: Mutex::new(HashMap::new()),
                latency: Duration::from_millis(2),
                in_flight: AtomicU32::new(0),
                max_in_flight: AtomicU32::new(0),
            })
        }
    }

    impl Connector for Arc<FakeNet> {
        fn connect(
            &self,
            addr: SocketAddr,
            timeout: Duration,
        ) -> impl Future<Output = ConnectOutcome> + Send + 'static {
            let net = self.clone();
            async move {
                let n = {
                    let mut seen = net.seen.lock().unwrap();
                    let n = seen.entry(addr.port()).or_default();
                    *n += 1;
                    *n
                };
                let now = net.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                net.max_in_flight.fetch_max(now, Ordering::SeqCst);
                let behaviour = net.ports.get(&addr.port()).copied();
                let answer = match behaviour {
                    Some(Behaviour::Open) => Some(ConnectOutcome::Open),
                    Some(Behaviour::Drop) => None,
                    Some(Behaviour::LoseThenRefuse(k)) if n <= k => None,
                    Some(Behaviour::SelfConnectOnce) if n == 1 => Some(ConnectOutcome::SelfConnect),
                    _ => Some(ConnectOutcome::Refused),
                };
                let out = match answer {
                    Some(a) if net.latency < timeout => {
                        tokio::time::sleep(net.latency).await;
                        a
                    }
                    _ => {
                        tokio::time::sleep(timeout).await;
                        ConnectOutcome::Timeout
                    }
                };
                net.in_flight.fetch_sub(1, Ordering::SeqCst);
                out
            }
        }
    }

    fn shared(timing: &Timing) -> (Shared, watch::Sender<bool>) {
        let (tx, rx) = watch::channel(false);
        (Shared::new(1000, timing, rx), tx)
    }

    /// A connect-rules scan of `ADDR` over the fake network.
    async fn connect_scan(
        net: Arc<FakeNet>,
        ports: &[u16],
        timing: &Timing,
        sh: &Shared,
    ) -> HostScan {
        scan_host(ADDR, ports, timing, Arc::new(net), sh, ScanRules::CONNECT).await
    }

    fn state_of(scan: &HostScan, port: u16) -> (PortState, Reason) {
        let p = scan.ports.iter().find(|p| p.port == port).unwrap();
        (p.state, p.reason)
    }

    const ADDR: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));

    #[tokio::test(start_paused = true)]
    async fn states_and_reasons_from_outcomes() {
        let net = FakeNet::new(&[
            (22, Behaviour::Open),
            (80, Behaviour::Drop),
            (7, Behaviour::SelfConnectOnce),
        ]);
        let timing = Timing::template(3);
        let (sh, _tx) = shared(&timing);
        let ports: Vec<u16> = (1..=100).collect();
        let scan = connect_scan(net.clone(), &ports, &timing, &sh).await;
        assert_eq!(scan.ports.len(), 100);
        assert_eq!(state_of(&scan, 22), (PortState::Open, Reason::SynAck));
        assert_eq!(
            state_of(&scan, 80),
            (PortState::Filtered, Reason::NoResponse)
        );
        assert_eq!(state_of(&scan, 7), (PortState::Closed, Reason::ConnRefused));
        assert_eq!(state_of(&scan, 1), (PortState::Closed, Reason::ConnRefused));
        // The dropped port was tried twice: one retransmission on a clean host.
        assert_eq!(net.seen.lock().unwrap()[&80], 2);
        // The RTT estimate converged on the fake latency.
        let srtt = scan.rtt.srtt().unwrap();
        assert!(
            srtt >= Duration::from_millis(2) && srtt < Duration::from_millis(3),
            "{srtt:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retries_recover_lost_probes_and_respect_max_retries() {
        let net = FakeNet::new(&[
            (10, Behaviour::LoseThenRefuse(1)),
            (11, Behaviour::LoseThenRefuse(3)),
        ]);
        let mut timing = Timing::template(3);
        let (sh, _tx) = shared(&timing);
        let scan = connect_scan(net.clone(), &[10, 11], &timing, &sh).await;
        assert_eq!(
            state_of(&scan, 10),
            (PortState::Closed, Reason::ConnRefused)
        );
        // Port 11 loses three probes: more than the adaptive allowance on a clean host.
        assert_eq!(state_of(&scan, 11).0, PortState::Filtered);

        let net = FakeNet::new(&[(10, Behaviour::LoseThenRefuse(1))]);
        timing.max_retries = 0;
        let scan = connect_scan(net.clone(), &[10], &timing, &sh).await;
        assert_eq!(
            state_of(&scan, 10),
            (PortState::Filtered, Reason::NoResponse)
        );
        assert_eq!(net.seen.lock().unwrap()[&10], 1);
    }

    #[tokio::test(start_paused = true)]
    async fn filtered_ports_do_not_slow_the_scan_down() {
        // A firewall that drops most ports but rejects a few: the rejections
        // are answers, the drops are not losses, the window must not collapse.
        let mut table: Vec<(u16, Behaviour)> = (1..=200).map(|p| (p, Behaviour::Drop)).collect();
        table.truncate(195);
        let net = FakeNet::new(&table);
        let timing = Timing::template(3);
        let (sh, _tx) = shared(&timing);
        let ports: Vec<u16> = (1..=200).collect();
        let start = Instant::now();
        let scan = connect_scan(net, &ports, &timing, &sh).await;
        assert_eq!(
            scan.ports
                .iter()
                .filter(|p| p.state == PortState::Filtered)
                .count(),
            195
        );
        // The answering ports come last, so every drop waits the initial
        // timeout: 195 ports x 2 tries / window 10 is about 39 timeouts' worth;
        // a window collapsed to 1 would take ten times that.
        let timeouts = start.elapsed().as_secs_f64() / timing.initial_rtt.as_secs_f64();
        assert!(timeouts < 60.0, "took {timeouts} timeouts");
    }

    #[tokio::test(start_paused = true)]
    async fn parallelism_is_bounded() {
        let net = FakeNet::new(&[]);
        let mut timing = Timing::template(3);
        timing.max_parallelism = Some(7);
        let (sh, _tx) = shared(&timing);
        let ports: Vec<u16> = (1..=500).collect();
        let scan = connect_scan(net.clone(), &ports, &timing, &sh).await;
        assert_eq!(scan.ports.len(), 500);
        assert!(net.max_in_flight.load(Ordering::SeqCst) <= 7);

        // The socket budget bounds it too.
        let net = FakeNet::new(&[]);
        let timing = Timing::template(3);
        let (tx, rx) = watch::channel(false);
        let sh = Shared::new(3, &timing, rx);
        let scan = connect_scan(net.clone(), &ports, &timing, &sh).await;
        drop(tx);
        assert!(scan.ports.iter().all(|p| p.state == PortState::Closed));
        assert!(net.max_in_flight.load(Ordering::SeqCst) <= 3);
    }

    #[tokio::test(start_paused = true)]
    async fn scan_delay_and_max_rate_pace_probes() {
        let net = FakeNet::new(&[]);
        let mut timing = Timing::template(3);
        timing.scan_delay = Duration::from_millis(100);
        let (sh, _tx) = shared(&timing);
        let start = Instant::now();
        connect_scan(net, &[1, 2, 3, 4, 5], &timing, &sh).await;
        assert!(start.elapsed() >= Duration::from_millis(400));

        let net = FakeNet::new(&[]);
        let mut timing = Timing::template(3);
        timing.max_rate = Some(50.0);
        let (sh, _tx) = shared(&timing);
        let start = Instant::now();
        let ports: Vec<u16> = (1..=51).collect();
        connect_scan(net, &ports, &timing, &sh).await;
        assert!(
            start.elapsed() >= Duration::from_millis(1000),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn host_timeout_and_cancel_stop_the_scan() {
        let net = FakeNet::new(&[(1, Behaviour::Drop)]);
        let mut timing = Timing::template(3);
        timing.host_timeout = Some(Duration::from_millis(500));
        let (sh, _tx) = shared(&timing);
        let scan = connect_scan(net, &[1, 2], &timing, &sh).await;
        assert!(scan.timed_out);
        assert!(scan.ports.is_empty());

        let net = FakeNet::new(&[(1, Behaviour::Drop)]);
        let timing = Timing::template(3);
        let (sh, tx) = shared(&timing);
        let h = tokio::spawn(async move { connect_scan(net, &[1, 2], &timing, &sh).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        tx.send(true).unwrap();
        let scan = h.await.unwrap();
        assert!(scan.cancelled);
    }
}
