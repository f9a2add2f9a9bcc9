//! The scan engine: host discovery, port scanning, timing and name resolution.
//!
//! [`run`] walks the targets in host groups through Nmap's phases —
//! discovery, reverse DNS, port scan — and hands each finished host to a
//! [`Sink`]. It never prints; the command line and the Python package decide
//! what to do with results.

pub mod connect;
pub mod discovery;
pub mod dns;
pub mod payloads;
pub mod probe;
pub mod progress;
pub mod raw;
pub mod tap;
pub mod timing;

use connect::{Connector, Shared};
use dns::Dns;
use nmaps_model::{
    Host, HostState, HostStatus, Hostname, HostnameKind, Port, Protocol, Reason, Times,
};
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use timing::Timing;
use tokio::task::JoinSet;

/// One address to scan, with how the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub addr: IpAddr,
    /// The host name the user gave, if the target was a name.
    pub user_name: Option<String>,
    /// Other addresses that name resolved to (reported, not scanned).
    pub other_addrs: Vec<IpAddr>,
}

impl Target {
    pub fn addr(addr: IpAddr) -> Self {
        Self {
            addr,
            user_name: None,
            other_addrs: Vec::new(),
        }
    }
}

/// What to do with each target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `-sL`: list targets, send nothing to them.
    List,
    /// `-sn`: discovery only.
    PingOnly,
    /// Port scans of the plan's [`PortScan`]s.
    Scan,
}

/// How to decide that a host is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// `-Pn`: every target is up. With `arp`, on-link hosts are still
    /// asked for their MAC address (Nmap does, unless `--disable-arp-ping`).
    Skip { arp: bool },
    /// TCP connect to these ports (80 and 443 by default, or `-PS`).
    ConnectPing(Vec<u16>),
    /// Raw probes (privileged).
    Raw(discovery::RawPing),
}

/// How one port scan probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanTechnique {
    /// `-sT`: the operating system's connect().
    Connect,
    /// A raw-packet technique (privileged).
    Raw(probe::Technique),
}

impl ScanTechnique {
    pub fn task_name(self) -> &'static str {
        match self {
            Self::Connect => "Connect Scan",
            Self::Raw(t) => t.task_name(),
        }
    }

    pub fn protocol(self) -> Protocol {
        match self {
            Self::Connect => Protocol::Tcp,
            Self::Raw(t) => t.protocol(),
        }
    }
}

/// One port scan: a technique and its ports, in probe order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortScan {
    pub technique: ScanTechnique,
    pub ports: Vec<u16>,
}

/// When to look up PTR names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReverseDns {
    /// `-n`
    Never,
    /// The default: hosts found up.
    UpHosts,
    /// `-R`: every target.
    Always,
}

/// Everything [`run`] needs besides the targets.
#[derive(Debug, Clone)]
pub struct Plan {
    pub mode: Mode,
    pub discovery: Discovery,
    /// Port scans, run one after the other on each host group (Nmap's
    /// order: TCP, then UDP, then SCTP, then IP protocol).
    pub scans: Vec<PortScan>,
    pub timing: Timing,
    pub reverse_dns: ReverseDns,
    /// Raw-socket rights: enables `localhost-response` for own addresses, as Nmap.
    pub privileged: bool,
    /// Work on each scanned host after its port scans (version detection,
    /// scripts), in order, before the host is written.
    pub stages: Vec<Arc<dyn HostStage>>,
}

/// A step run on every up host once its port scans are done — version
/// detection (`-sV`), scripts — before the host is written. Hosts go
/// through it concurrently; each is written as soon as it and the hosts
/// before it are through.
pub trait HostStage: Send + Sync + std::fmt::Debug + 'static {
    /// Task name of the `-v` lines ("Service scan").
    fn name(&self) -> &'static str;
    /// What the `-v` lines count on `host`, e.g. how many of its services
    /// the stage will probe (0: nothing to do there).
    fn units(&self, host: &Host) -> usize;
    /// Does the work on `host` and hands it back.
    fn run(
        self: Arc<Self>,
        host: Host,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Host> + Send>>;
}

/// Something the engine reports while it works (for `-v` lines).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A phase starts on a group of hosts.
    TaskBegin {
        task: &'static str,
        hosts: Vec<(IpAddr, Option<String>)>,
        ports: usize,
    },
    /// That phase ended.
    TaskEnd {
        task: &'static str,
        elapsed: Duration,
        hosts: usize,
        ports: usize,
    },
    /// A host stage starts on a group of hosts (`Scanning 3 services on 1 host`).
    StageBegin {
        task: &'static str,
        units: usize,
        hosts: usize,
        /// The host, when there is one.
        addr: Option<IpAddr>,
    },
    /// That stage ended.
    StageEnd {
        task: &'static str,
        elapsed: Duration,
        units: usize,
        hosts: usize,
    },
    /// Reverse DNS of a group's hosts starts (Nmap's "Parallel DNS
    /// resolution of 2 hosts." task); only when there is a host to resolve.
    DnsBegin { hosts: usize },
    /// That resolution ended.
    DnsEnd { hosts: usize, elapsed: Duration },
    /// An open port was found (`Discovered open port 22/tcp on 10.0.0.1`).
    OpenPort {
        addr: IpAddr,
        port: u16,
        protocol: Protocol,
    },
}

/// Receives results in target order.
pub trait Sink: Send {
    fn host(&mut self, host: Host);
    fn event(&mut self, _event: Event) {}
    /// Most hosts of the current group are finished: time to start the
    /// next group (engine-internal; sinks outside the engine ignore it).
    fn group_tail(&mut self) {}
}

/// What a group running ahead hands to [`run`]'s loop.
enum GroupMsg {
    /// Boxed: a host with OS results is far larger than an event.
    Host(Box<Host>),
    Event(Event),
}

/// The sink of a group task: results go through a channel to [`run`],
/// which passes them on in target order; the tail flag is read directly.
struct ChannelSink {
    tx: tokio::sync::mpsc::UnboundedSender<GroupMsg>,
    tail: Arc<std::sync::atomic::AtomicBool>,
}

impl Sink for ChannelSink {
    fn host(&mut self, host: Host) {
        let _ = self.tx.send(GroupMsg::Host(Box::new(host)));
    }
    fn event(&mut self, event: Event) {
        let _ = self.tx.send(GroupMsg::Event(event));
    }
    fn group_tail(&mut self) {
        self.tail.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Totals for the run statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub up: usize,
    pub down: usize,
    pub total: usize,
    pub interrupted: bool,
}

/// Largest group of hosts scanned side by side.
fn group_size(plan: &Plan) -> usize {
    // Nmap's rule for TCP: max(1024 / ports, 64) hosts side by side.
    let ports = plan.scans.iter().map(|s| s.ports.len()).max().unwrap_or(1);
    let natural = match plan.mode {
        Mode::Scan => (1024 / ports.max(1)).max(64),
        Mode::List | Mode::PingOnly => 4096,
    };
    let lo = plan.timing.min_hostgroup.max(1) as usize;
    let hi = (plan.timing.max_hostgroup as usize).max(lo);
    natural.clamp(lo, hi)
}

/// The probing machinery a run may use.
#[derive(Debug)]
pub struct Engines<C> {
    /// For connect scans and unprivileged discovery.
    pub connector: Arc<C>,
    /// For raw scans and privileged discovery (`None` without privileges).
    pub raw: Option<Arc<raw::RawIo>>,
}

impl<C> Clone for Engines<C> {
    fn clone(&self) -> Self {
        Self {
            connector: self.connector.clone(),
            raw: self.raw.clone(),
        }
    }
}

/// Host groups in flight at once.
const MAX_GROUPS: usize = 4;

/// What driving the groups in flight produced.
enum Step {
    Msg(Option<GroupMsg>),
    Finished(usize, (bool, Summary)),
    /// The newest group reached its tail.
    Tail,
}

/// A host group in flight: its future and the channel of its results.
struct GroupRun<'a> {
    fut: std::pin::Pin<Box<dyn std::future::Future<Output = (bool, Summary)> + Send + 'a>>,
    rx: tokio::sync::mpsc::UnboundedReceiver<GroupMsg>,
    result: Option<(bool, Summary)>,
    tail: Arc<std::sync::atomic::AtomicBool>,
}

/// Scan `targets` according to `plan`, handing every finished host to `sink`.
///
/// Host groups overlap: when most of a group's hosts are finished, the next
/// group starts, so a few slow hosts (retransmissions on a lossy path) do
/// not hold the scan at a barrier. Results still reach `sink` in target
/// order: the next group's wait in its channel until the current one is
/// through. At most [`MAX_GROUPS`] are in flight, which bounds memory.
pub async fn run<C: Connector>(
    plan: &Plan,
    targets: &mut dyn Iterator<Item = Target>,
    dns: &Dns,
    engines: Engines<C>,
    shared: &Shared,
    sink: &mut dyn Sink,
) -> Summary {
    let mut summary = Summary::default();
    let group_len = group_size(plan);
    let plan = Arc::new(plan.clone());
    let engines = &engines;
    let mut groups: VecDeque<GroupRun<'_>> = VecDeque::new();
    let mut exhausted = false;
    loop {
        let cancelled = *shared.cancel.borrow();
        if cancelled {
            summary.interrupted = true;
        }
        let back_tail = |g: &GroupRun<'_>| g.tail.load(std::sync::atomic::Ordering::Relaxed);
        let may_start = groups.is_empty()
            || (groups.len() < MAX_GROUPS && groups.back().is_some_and(back_tail));
        if !exhausted && !cancelled && may_start {
            let group: Vec<Target> = targets.take(group_len).collect();
            if group.is_empty() {
                exhausted = true;
            } else {
                summary.total += group.len();
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                let plan = plan.clone();
                let tail = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let tail2 = tail.clone();
                let fut = Box::pin(async move {
                    let mut sink = ChannelSink { tx, tail: tail2 };
                    let mut sum = Summary::default();
                    let interrupted =
                        run_group(&plan, group, dns, engines, shared, &mut sink, &mut sum).await;
                    (interrupted, sum)
                });
                groups.push_back(GroupRun {
                    fut,
                    rx,
                    result: None,
                    tail,
                });
                continue;
            }
        }
        if groups.is_empty() {
            break;
        }
        // Drive every group; pass on only the front group's messages.
        let can_grow = !exhausted && !*shared.cancel.borrow() && groups.len() < MAX_GROUPS;
        let step = std::future::poll_fn(|cx| {
            use std::task::Poll;
            if let Poll::Ready(m) = groups[0].rx.poll_recv(cx) {
                return Poll::Ready(Step::Msg(m));
            }
            for (i, g) in groups.iter_mut().enumerate() {
                if g.result.is_none()
                    && let Poll::Ready(r) = g.fut.as_mut().poll(cx)
                {
                    return Poll::Ready(Step::Finished(i, r));
                }
            }
            // Polling the groups may have put the newest in its tail.
            if can_grow && groups.back().is_some_and(back_tail) {
                return Poll::Ready(Step::Tail);
            }
            Poll::Pending
        })
        .await;
        match step {
            Step::Msg(Some(GroupMsg::Host(h))) => sink.host(*h),
            Step::Msg(Some(GroupMsg::Event(e))) => sink.event(e),
            Step::Tail => {}
            Step::Msg(None) => {
                // The group's sink is gone: it finished and every result is
                // through.
                let Some(front) = groups.pop_front() else {
                    continue;
                };
                let (interrupted, sum) = match front.result {
                    Some(r) => r,
                    None => front.fut.await,
                };
                summary.up += sum.up;
                summary.down += sum.down;
                summary.interrupted |= interrupted;
                if summary.interrupted {
                    // Groups running ahead were interrupted too: hand over
                    // what they finished, then stop.
                    exhausted = true;
                }
            }
            Step::Finished(i, r) => groups[i].result = Some(r),
        }
    }
    summary
}

/// Discovery of one host by whatever the plan says.
async fn ping_one<C: Connector>(
    addr: IpAddr,
    plan: &Plan,
    engines: &Engines<C>,
    shared: &Shared,
) -> discovery::PingResult {
    let local = discovery::PingResult {
        up: true,
        reason: Reason::LocalhostResponse,
        rtt: None,
        ttl: 0,
        mac: None,
    };
    if plan.privileged && discovery::is_local_address(addr) && !addr.is_unspecified() {
        return local;
    }
    match (&plan.discovery, &engines.raw) {
        (Discovery::Raw(ping), Some(io)) => {
            discovery::raw_ping(addr, ping, &plan.timing, io.clone(), shared).await
        }
        (Discovery::Skip { arp }, io) => {
            // On an attached link Nmap still ARPs (unless --disable-arp-ping):
            // hosts that answer are up with arp-response, the others down.
            if let (true, Some(io)) = (*arp, io)
                && io.link_for(addr).is_some()
            {
                let ping = discovery::RawPing {
                    probes: Vec::new(),
                    arp: true,
                };
                return discovery::raw_ping(addr, &ping, &plan.timing, io.clone(), shared).await;
            }
            discovery::PingResult {
                up: true,
                reason: Reason::UserSet,
                ..local
            }
        }
        (Discovery::ConnectPing(_), _) | (Discovery::Raw(_), None) => {
            let ports = match &plan.discovery {
                Discovery::ConnectPing(p) => p.clone(),
                _ => vec![80, 443],
            };
            discovery::connect_ping(
                addr,
                &ports,
                &plan.timing,
                engines.connector.clone(),
                shared,
            )
            .await
        }
    }
}

/// A discovery phase over some hosts of a group.
struct PingBatch<'a> {
    indices: &'a [usize],
    task: &'static str,
    ports: usize,
}

/// Pings the batch's hosts side by side, recording each one's status.
/// Returns `true` if interrupted.
#[allow(clippy::too_many_arguments)] // the group's state, borrowed piecewise
async fn ping_batch<C: Connector>(
    plan: &Arc<Plan>,
    engines: &Engines<C>,
    shared: &Shared,
    batch: PingBatch<'_>,
    hosts: &mut [Host],
    ping_rtt: &mut [Option<Duration>],
    sink: &mut dyn Sink,
    cancel: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    let begin = tokio::time::Instant::now();
    sink.event(Event::TaskBegin {
        task: batch.task,
        hosts: batch
            .indices
            .iter()
            .map(|&i| (hosts[i].addr, None))
            .collect(),
        ports: batch.ports,
    });
    let mut set = JoinSet::new();
    // --max-parallelism (and -T0..-T2) bound how many hosts are pinged at once.
    let limit = Arc::new(tokio::sync::Semaphore::new(
        plan.timing
            .max_parallelism
            .map_or(tokio::sync::Semaphore::MAX_PERMITS, |n| n as usize),
    ));
    for &i in batch.indices {
        let (addr, plan, engines, shared2, limit) = (
            hosts[i].addr,
            plan.clone(),
            engines.clone(),
            shared.clone(),
            limit.clone(),
        );
        set.spawn(async move {
            let _turn = limit.acquire_owned().await;
            (i, ping_one(addr, &plan, &engines, &shared2).await)
        });
    }
    loop {
        let next = tokio::select! {
            biased;
            _ = connect::cancelled(cancel) => { set.abort_all(); return true; }
            n = set.join_next() => n,
        };
        let Some(res) = next else { break };
        let Ok((i, r)) = res else { continue };
        hosts[i].status = HostStatus {
            state: if r.up { HostState::Up } else { HostState::Down },
            reason: r.reason,
            reason_ttl: r.ttl,
        };
        hosts[i].mac = r.mac.map(|addr| nmaps_model::Mac { addr, vendor: None });
        ping_rtt[i] = r.rtt;
    }
    sink.event(Event::TaskEnd {
        task: batch.task,
        elapsed: begin.elapsed(),
        hosts: batch.indices.len(),
        ports: 0,
    });
    false
}

/// One host group through every phase. Returns `true` if interrupted.
async fn run_group<C: Connector>(
    plan: &Arc<Plan>,
    group: Vec<Target>,
    dns: &Dns,
    engines: &Engines<C>,
    shared: &Shared,
    sink: &mut dyn Sink,
    summary: &mut Summary,
) -> bool {
    let mut hosts: Vec<Host> = group.iter().map(new_host).collect();
    let mut cancel = shared.cancel.clone();

    // Phase 1: discovery.
    let mut ping_rtt: Vec<Option<Duration>> = vec![None; hosts.len()];
    let quiet_skip = matches!(plan.discovery, Discovery::Skip { .. })
        && !(matches!(plan.discovery, Discovery::Skip { arp: true }) && engines.raw.is_some());
    if plan.mode == Mode::List {
        for h in &mut hosts {
            h.status = status(HostState::Unknown, Reason::UserSet);
        }
    } else if quiet_skip {
        for h in &mut hosts {
            h.status = status(HostState::Up, Reason::UserSet);
        }
    } else {
        // Hosts on an attached Ethernet link get ARP/ND, the others the IP
        // probes: two phases, as Nmap's "ARP Ping Scan" and "Ping Scan".
        let arp = matches!(
            plan.discovery,
            Discovery::Raw(discovery::RawPing { arp: true, .. }) | Discovery::Skip { arp: true }
        );
        let on_link = |addr: IpAddr| {
            arp && !discovery::is_local_address(addr)
                && engines
                    .raw
                    .as_ref()
                    .is_some_and(|io| io.link_for(addr).is_some())
        };
        let (link, other): (Vec<usize>, Vec<usize>) =
            (0..hosts.len()).partition(|&i| on_link(hosts[i].addr));
        let probes = match &plan.discovery {
            Discovery::ConnectPing(p) => p.len(),
            Discovery::Raw(p) if p.probes.is_empty() => 4,
            Discovery::Raw(p) => p.probes.len(),
            Discovery::Skip { .. } => 0,
        };
        // Neighbor discovery is "ND Ping Scan" in Nmap's -v lines.
        let link_task = if link.iter().any(|&i| hosts[i].addr.is_ipv6()) {
            "ND Ping Scan"
        } else {
            "ARP Ping Scan"
        };
        for (indices, task, ports) in [(link, link_task, 1), (other, "Ping Scan", probes)] {
            if indices.is_empty() {
                continue;
            }
            if matches!(plan.discovery, Discovery::Skip { .. }) && task == "Ping Scan" {
                // -Pn: off the link every target is simply up.
                for &i in &indices {
                    hosts[i].status = status(HostState::Up, Reason::UserSet);
                }
                continue;
            }
            let batch = PingBatch {
                indices: &indices,
                task,
                ports,
            };
            if ping_batch(
                plan,
                engines,
                shared,
                batch,
                &mut hosts,
                &mut ping_rtt,
                sink,
                &mut cancel,
            )
            .await
            {
                return true;
            }
        }
    }

    // Phase 2: reverse DNS.
    let wanted: Vec<usize> = (0..hosts.len())
        .filter(|&i| match plan.reverse_dns {
            ReverseDns::Never => false,
            ReverseDns::Always => true,
            ReverseDns::UpHosts => plan.mode == Mode::List || hosts[i].is_up(),
        })
        .collect();
    if !wanted.is_empty() {
        let addrs: Vec<IpAddr> = wanted.iter().map(|&i| hosts[i].addr).collect();
        let begin = tokio::time::Instant::now();
        sink.event(Event::DnsBegin { hosts: addrs.len() });
        let names = tokio::select! {
            biased;
            _ = connect::cancelled(&mut cancel) => return true,
            n = dns.reverse_many(&addrs, 64) => n,
        };
        sink.event(Event::DnsEnd {
            hosts: addrs.len(),
            elapsed: begin.elapsed(),
        });
        for (&i, name) in wanted.iter().zip(names) {
            if let Some(name) = name {
                hosts[i].hostnames.push(Hostname {
                    name,
                    kind: HostnameKind::Ptr,
                });
            }
        }
    }

    // Phase 3: port scans, one technique after the other. Hosts are handed
    // to the sink in target order, each as soon as it and every host before
    // it are finished with the last scan, not at group end.
    let scanning: Vec<bool> = hosts
        .iter()
        .map(|h| {
            // Host scripts also run after a ping scan (-sn --script), as in Nmap.
            let work = match plan.mode {
                Mode::Scan => !plan.scans.is_empty() || !plan.stages.is_empty(),
                Mode::PingOnly => !plan.stages.is_empty(),
                Mode::List => false,
            };
            work && h.is_up()
        })
        .collect();
    let mut out = Emitter {
        finished: scanning.iter().filter(|s| !**s).count(),
        tail_sent: false,
        raw: engines.raw.clone(),
        hosts: hosts.into_iter().map(Some).collect(),
        done: scanning.iter().map(|s| !s).collect(),
        next: 0,
        ping_rtt,
        min_rtt: plan.timing.min_rtt,
    };
    let up: Vec<usize> = (0..scanning.len()).filter(|&i| scanning[i]).collect();
    out.emit_ready(sink, summary, shared);
    if up.is_empty() {
        return false;
    }
    for (si, scan) in plan.scans.iter().enumerate() {
        let last = si + 1 == plan.scans.len() && plan.stages.is_empty();
        let interrupted = match scan.technique {
            ScanTechnique::Connect => {
                scan_phase(
                    plan,
                    si,
                    last,
                    &up,
                    engines.connector.clone(),
                    &mut out,
                    shared,
                    sink,
                    summary,
                )
                .await
            }
            ScanTechnique::Raw(t) => {
                let Some(io) = engines.raw.clone() else {
                    continue;
                };
                let scanner = Arc::new(raw::RawScanner { io, technique: t });
                scan_phase(
                    plan, si, last, &up, scanner, &mut out, shared, sink, summary,
                )
                .await
            }
        };
        if interrupted {
            // Hand over every host that completed; the rest are lost with the interruption.
            out.emit_finished(sink, summary, shared);
            return true;
        }
    }
    for (k, stage) in plan.stages.iter().enumerate() {
        let last = k + 1 == plan.stages.len();
        if stage_phase(stage, last, &up, &mut out, shared, sink, summary).await {
            out.emit_finished(sink, summary, shared);
            return true;
        }
    }
    out.emit_ready(sink, summary, shared);
    false
}

/// Runs `stage` over the `up` hosts that finished their scans, all at once
/// (the stage bounds its own concurrency). Returns `true` if interrupted.
async fn stage_phase(
    stage: &Arc<dyn HostStage>,
    last: bool,
    up: &[usize],
    out: &mut Emitter,
    shared: &Shared,
    sink: &mut dyn Sink,
    summary: &mut Summary,
) -> bool {
    let mut cancel = shared.cancel.clone();
    let todo: Vec<usize> = up
        .iter()
        .copied()
        .filter(|&i| out.hosts[i].as_ref().is_some_and(|h| !h.timed_out))
        .collect();
    let units: usize = todo
        .iter()
        .filter_map(|&i| out.hosts[i].as_ref())
        .map(|h| stage.units(h))
        .sum();
    let begin = tokio::time::Instant::now();
    let busy = units > 0;
    if busy {
        sink.event(Event::StageBegin {
            task: stage.name(),
            units,
            hosts: todo.len(),
            addr: match todo.as_slice() {
                [i] => out.hosts[*i].as_ref().map(|h| h.addr),
                _ => None,
            },
        });
    }
    let mut set = JoinSet::new();
    // What each host was before the stage, kept in case its task dies.
    let mut before = std::collections::HashMap::new();
    for &i in &todo {
        let Some(h) = out.hosts[i].take() else {
            continue;
        };
        let stage = stage.clone();
        let copy = h.clone();
        let task = set.spawn(async move { (i, stage.run(h).await) });
        before.insert(task.id(), (i, copy));
    }
    let mut interrupted = false;
    loop {
        let next = tokio::select! {
            biased;
            _ = connect::cancelled(&mut cancel) => {
                // Hosts still in the stage are lost with the interruption.
                set.abort_all();
                interrupted = true;
                break;
            }
            n = set.join_next() => n,
        };
        let Some(res) = next else { break };
        // A stage task that died (a bug) loses the stage's results, never
        // the host: it is written as it was before the stage.
        let (i, h) = match res {
            Ok(r) => r,
            Err(e) => match before.remove(&e.id()) {
                Some(r) => r,
                None => continue,
            },
        };
        out.hosts[i] = Some(h);
        if busy && set.is_empty() {
            // As Nmap: the stage's end is reported before the last hosts.
            sink.event(Event::StageEnd {
                task: stage.name(),
                elapsed: begin.elapsed(),
                units,
                hosts: todo.len(),
            });
        }
        if last {
            out.mark_done(i);
            out.emit_ready(sink, summary, shared);
        }
    }
    interrupted
}

/// Runs scan number `si` of the plan over the `up` hosts of a group.
/// Returns `true` if interrupted.
#[allow(clippy::too_many_arguments)] // one call site per technique kind
async fn scan_phase<C: connect::Prober>(
    plan: &Arc<Plan>,
    si: usize,
    last: bool,
    up: &[usize],
    connector: Arc<C>,
    out: &mut Emitter,
    shared: &Shared,
    sink: &mut dyn Sink,
    summary: &mut Summary,
) -> bool {
    let scan = &plan.scans[si];
    let technique = scan.technique;
    let protocol = technique.protocol();
    let rules = match technique {
        ScanTechnique::Connect => connect::ScanRules::CONNECT,
        ScanTechnique::Raw(t) => connect::ScanRules {
            silence: t.silence(),
            boost_delay: Some(t.boost_delay()),
            icmp_retry_floor: Some(Duration::from_secs(1)),
        },
    };
    shared.progress.set_task(technique.task_name());
    shared
        .progress
        .add_ports((up.len() * scan.ports.len()) as u64);
    let begin = tokio::time::Instant::now();
    sink.event(Event::TaskBegin {
        task: technique.task_name(),
        hosts: up
            .iter()
            .filter_map(|&i| out.hosts[i].as_ref())
            .map(|h| (h.addr, h.display_name().map(str::to_string)))
            .collect(),
        ports: scan.ports.len(),
    });
    let mut set = JoinSet::new();
    let mut task_host = std::collections::HashMap::new();
    for &i in up {
        let Some(h) = out.hosts[i].as_mut() else {
            continue;
        };
        if h.start.is_none() {
            h.start = Some(SystemTime::now());
        }
        let (addr, plan, conn, shared2) = (h.addr, plan.clone(), connector.clone(), shared.clone());
        let task = set.spawn(async move {
            shared2.progress.scan_started();
            let ports = &plan.scans[si].ports;
            let r = connect::scan_host(addr, ports, &plan.timing, conn, &shared2, rules).await;
            shared2.progress.scan_ended();
            (i, r, SystemTime::now())
        });
        task_host.insert(task.id(), i);
    }
    let mut interrupted = false;
    while let Some(res) = set.join_next().await {
        let (i, scan, end) = match res {
            Ok(r) => r,
            Err(e) => {
                // A scan task died (a bug): report the host as timed out
                // rather than holding back every host after it.
                if let Some(&i) = task_host.get(&e.id()) {
                    if let Some(h) = out.hosts[i].as_mut() {
                        h.timed_out = true;
                        h.end = Some(SystemTime::now());
                    }
                    out.mark_done(i);
                    out.emit_ready(sink, summary, shared);
                }
                continue;
            }
        };
        if scan.cancelled {
            interrupted = true;
            continue;
        }
        let Some(h) = out.hosts[i].as_mut() else {
            continue;
        };
        h.end = Some(end);
        h.timed_out |= scan.timed_out;
        for &connect::PortResult { port, state, .. } in &scan.ports {
            if state == nmaps_model::PortState::Open {
                sink.event(Event::OpenPort {
                    addr: h.addr,
                    port,
                    protocol,
                });
            }
        }
        if !h.timed_out {
            h.ports.extend(scan.ports.into_iter().map(|r| Port {
                protocol,
                number: r.port,
                state: r.state,
                reason: r.reason,
                reason_ttl: r.ttl,
                reason_ip: r.from,
                service: None,
                scripts: Vec::new(),
            }));
        } else {
            h.ports.clear();
        }
        if h.times.is_none() || last {
            set_times(h, scan.rtt.srtt(), scan.rtt.rttvar(), scan.rtt.timeout());
        }
        if last || h.timed_out {
            out.mark_done(i);
            out.emit_ready(sink, summary, shared);
        }
    }
    sink.event(Event::TaskEnd {
        task: technique.task_name(),
        elapsed: begin.elapsed(),
        hosts: up.len(),
        ports: scan.ports.len() * up.len(),
    });
    interrupted
}

/// Hands finished hosts of a group to the sink in target order.
struct Emitter {
    /// How many hosts are done, and whether the group said it is in its tail.
    finished: usize,
    tail_sent: bool,
    /// To fill in the MAC addresses learnt from replies.
    raw: Option<Arc<raw::RawIo>>,
    hosts: Vec<Option<Host>>,
    done: Vec<bool>,
    next: usize,
    ping_rtt: Vec<Option<Duration>>,
    min_rtt: Duration,
}

impl Emitter {
    /// Emit the finished hosts at the front of the group.
    fn emit_ready(&mut self, sink: &mut dyn Sink, summary: &mut Summary, shared: &Shared) {
        while self.next < self.hosts.len() && self.done[self.next] {
            self.emit(self.next, sink, summary, shared);
            self.next += 1;
        }
        // Half the hosts finished: let the next group start.
        if !self.tail_sent && self.finished * 2 >= self.hosts.len() {
            self.tail_sent = true;
            sink.group_tail();
        }
    }

    /// Host `i` has nothing more to do.
    fn mark_done(&mut self, i: usize) {
        if !self.done[i] {
            self.done[i] = true;
            self.finished += 1;
        }
    }

    /// Emit every finished host still held, gaps or not (interruption).
    fn emit_finished(&mut self, sink: &mut dyn Sink, summary: &mut Summary, shared: &Shared) {
        for i in self.next..self.hosts.len() {
            if self.done[i] {
                self.emit(i, sink, summary, shared);
            }
        }
    }

    fn emit(&mut self, i: usize, sink: &mut dyn Sink, summary: &mut Summary, shared: &Shared) {
        let Some(mut h) = self.hosts[i].take() else {
            return;
        };
        if let (None, true, Some(rtt)) = (h.times, h.is_up(), self.ping_rtt[i]) {
            // Only discovery timed this host: report its ping round trip.
            set_times(
                &mut h,
                Some(rtt),
                Duration::from_millis(5),
                self.min_rtt.max(Duration::from_millis(100)),
            );
        }
        if let (None, true, Some(io)) = (&h.mac, h.is_up(), &self.raw) {
            h.mac = io
                .mac_of(h.addr)
                .map(|addr| nmaps_model::Mac { addr, vendor: None });
        }
        count(summary, &h);
        shared.progress.host_done(h.is_up());
        sink.host(h);
    }
}

fn count(summary: &mut Summary, h: &Host) {
    match h.status.state {
        HostState::Up => summary.up += 1,
        HostState::Down => summary.down += 1,
        _ => {}
    }
}

fn new_host(t: &Target) -> Host {
    let mut h = Host::new(t.addr);
    if let Some(name) = &t.user_name {
        h.hostnames.push(Hostname {
            name: name.clone(),
            kind: HostnameKind::User,
        });
    }
    h.other_addrs = t.other_addrs.clone();
    h
}

fn status(state: HostState, reason: Reason) -> HostStatus {
    HostStatus {
        state,
        reason,
        reason_ttl: 0,
    }
}

fn set_times(h: &mut Host, srtt: Option<Duration>, rttvar: Duration, timeout: Duration) {
    let Some(srtt) = srtt else { return };
    h.latency = Some(srtt);
    h.times = Some(Times {
        srtt: srtt.as_micros() as u64,
        rttvar: rttvar.as_micros() as u64,
        timeout: timeout.as_micros() as u64,
    });
}

/// Raise the soft RLIMIT_NOFILE as far as the hard limit allows and return
/// how many sockets the scan may hold open at once (the limit less a reserve
/// for output files, DNS and the runtime).
pub fn socket_budget() -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(256);
    let reserve = 64.min(limit / 4);
    (limit.saturating_sub(reserve) as usize).clamp(1, 65_536)
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect::ConnectOutcome;
    use std::future::Future;
    use std::net::SocketAddr;

    /// 192.0.2.2 drops everything; every other address refuses at once.
    struct OneSlowHost;

    impl Connector for OneSlowHost {
        #[allow(clippy::manual_async_fn)] // the trait asks for a 'static future
        fn connect(
            &self,
            addr: SocketAddr,
            timeout: Duration,
        ) -> impl Future<Output = ConnectOutcome> + Send + 'static {
            async move {
                if addr.ip() == IpAddr::from([192, 0, 2, 2]) {
                    tokio::time::sleep(timeout).await;
                    ConnectOutcome::Timeout
                } else {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    ConnectOutcome::Refused
                }
            }
        }
    }

    /// Runs `plan` over `targets` on the [`OneSlowHost`] network, without DNS.
    async fn run_on_fake_net(
        plan: &Plan,
        targets: &mut dyn Iterator<Item = Target>,
        sink: &mut dyn Sink,
    ) -> Summary {
        let dns = Dns::new(&dns::DnsConfig {
            servers: Some(Vec::new()),
            hosts_file: None,
            timeout: None,
        })
        .unwrap();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let shared = Shared::new(1000, &plan.timing, rx);
        let engines = Engines {
            connector: Arc::new(OneSlowHost),
            raw: None,
        };
        run(plan, targets, &dns, engines, &shared, sink).await
    }

    struct Recorder(Vec<(IpAddr, tokio::time::Instant)>);

    impl Sink for Recorder {
        fn host(&mut self, host: Host) {
            self.0.push((host.addr, tokio::time::Instant::now()));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn hosts_stream_out_in_target_order_as_they_finish() {
        let plan = Plan {
            mode: Mode::Scan,
            discovery: Discovery::Skip { arp: false },
            scans: vec![PortScan {
                technique: ScanTechnique::Connect,
                ports: (1..=50).collect(),
            }],
            timing: Timing::template(3),
            reverse_dns: ReverseDns::Never,
            privileged: false,
            stages: Vec::new(),
        };
        let mut targets = (1..=3u8).map(|i| Target::addr(IpAddr::from([192, 0, 2, i])));
        let mut sink = Recorder(Vec::new());
        let start = tokio::time::Instant::now();
        let summary = run_on_fake_net(&plan, &mut targets, &mut sink).await;
        assert_eq!(summary.up, 3);
        let order: Vec<IpAddr> = sink.0.iter().map(|e| e.0).collect();
        assert_eq!(
            order,
            [[192, 0, 2, 1], [192, 0, 2, 2], [192, 0, 2, 3]].map(IpAddr::from)
        );
        // The first host is out long before the slow one finishes.
        assert!(
            sink.0[0].1 - start < Duration::from_secs(1),
            "{:?}",
            sink.0[0].1 - start
        );
        // The silent host waits out its retransmissions (timed from the
        // group's round trips once the others answered).
        assert!(sink.0[1].1 - start >= Duration::from_millis(200));
        assert!(sink.0[1].1 > sink.0[0].1);
    }

    /// A stage that names every port after the host's last octet, sleeping
    /// that many seconds; it dies on host .2.
    #[derive(Debug)]
    struct Namer;

    impl HostStage for Namer {
        fn name(&self) -> &'static str {
            "Service scan"
        }
        fn units(&self, host: &Host) -> usize {
            host.ports.len()
        }
        fn run(
            self: Arc<Self>,
            mut host: Host,
        ) -> std::pin::Pin<Box<dyn Future<Output = Host> + Send>> {
            Box::pin(async move {
                let IpAddr::V4(a) = host.addr else { panic!() };
                let n = a.octets()[3];
                tokio::time::sleep(Duration::from_secs(u64::from(4 - n))).await;
                assert_ne!(n, 2, "a stage bug");
                for p in &mut host.ports {
                    p.service = Some(nmaps_model::Service::from_table(format!("s{n}")));
                }
                host
            })
        }
    }

    struct Hosts(Vec<Host>, Vec<Event>);

    impl Sink for Hosts {
        fn host(&mut self, host: Host) {
            self.0.push(host);
        }
        fn event(&mut self, event: Event) {
            self.1.push(event);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stages_run_on_every_host_and_a_dying_stage_loses_no_host() {
        let plan = Plan {
            mode: Mode::Scan,
            discovery: Discovery::Skip { arp: false },
            scans: vec![PortScan {
                technique: ScanTechnique::Connect,
                ports: vec![1, 2],
            }],
            timing: Timing::template(3),
            reverse_dns: ReverseDns::Never,
            privileged: false,
            stages: vec![Arc::new(Namer)],
        };
        let mut targets = [1u8, 3]
            .map(|i| Target::addr(IpAddr::from([192, 0, 2, i])))
            .into_iter()
            .chain(std::iter::once(Target::addr(IpAddr::from([192, 0, 2, 2]))));
        let mut sink = Hosts(Vec::new(), Vec::new());
        run_on_fake_net(&plan, &mut targets, &mut sink).await;
        let got: Vec<(IpAddr, Option<String>)> = sink
            .0
            .iter()
            .map(|h| (h.addr, h.ports[0].service.as_ref().map(|s| s.name.clone())))
            .collect();
        assert_eq!(
            got,
            [
                (IpAddr::from([192, 0, 2, 1]), Some("s1".to_string())),
                (IpAddr::from([192, 0, 2, 3]), Some("s3".to_string())),
                // The stage died here: the host comes out as scanned.
                (IpAddr::from([192, 0, 2, 2]), None),
            ]
        );
        assert!(sink.1.iter().any(|e| matches!(
            e,
            Event::StageBegin {
                task: "Service scan",
                units: 6,
                hosts: 3,
                ..
            }
        )));
    }
}
