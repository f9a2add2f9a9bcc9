//! Host discovery.
//!
//! Without privileges: a TCP connect to a few ports (80 and 443 by default,
//! or the `-PS` list); any answer — handshake or refusal — proves the host
//! is up. With them ([`raw_ping`]): ARP or neighbor discovery on an
//! attached Ethernet link, otherwise Nmap's raw probes (ICMP echo and
//! timestamp, TCP SYN and ACK, UDP, SCTP, IP protocol).

use crate::connect::{ConnectOutcome, Connector, Shared};
use crate::probe::{self, Probe, Response};
use crate::raw::{Answer, Class, RawIo};
use crate::timing::{RttEstimator, Timing};
use nmaps_model::Reason;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// What discovery learnt about one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingResult {
    pub up: bool,
    pub reason: Reason,
    pub rtt: Option<Duration>,
    /// TTL of the answer (0 for ARP and connect answers).
    pub ttl: u8,
    /// Link-layer address, for hosts on an attached Ethernet link.
    pub mac: Option<[u8; 6]>,
}

impl PingResult {
    fn down(reason: Reason) -> Self {
        Self {
            up: false,
            reason,
            rtt: None,
            ttl: 0,
            mac: None,
        }
    }
}

/// One privileged discovery probe (`-PE`, `-PP`, `-PM`, `-PS`, `-PA`,
/// `-PU`, `-PY`, `-PO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingProbe {
    Echo,
    Timestamp,
    AddressMask,
    Syn(u16),
    Ack(u16),
    Udp(u16),
    Sctp(u16),
    Proto(u8),
}

/// Privileged discovery of one kind of target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPing {
    /// The IP-level probes, sent together.
    pub probes: Vec<PingProbe>,
    /// ARP (IPv4) / neighbor discovery (IPv6) for targets on an attached
    /// Ethernet link, instead of the probes (Nmap's default).
    pub arp: bool,
}

impl RawPing {
    /// Nmap's default probe set: `-PE -PS443 -PA80 -PP` (no timestamp over IPv6).
    pub fn nmap_default() -> Self {
        Self {
            probes: vec![
                PingProbe::Echo,
                PingProbe::Syn(443),
                PingProbe::Ack(80),
                PingProbe::Timestamp,
            ],
            arp: true,
        }
    }
}

/// The state-of-host reason a reply to `probe` gives, if it shows the host up.
fn ping_reason(probe: PingProbe, resp: Response) -> Option<Reason> {
    use nmaps_wire::TcpFlags;
    Some(match (probe, resp) {
        (PingProbe::Echo, Response::EchoReply) => Reason::EchoReply,
        (PingProbe::Timestamp, Response::TimestampReply) => Reason::TimestampReply,
        (PingProbe::AddressMask, Response::AddressMaskReply) => Reason::AddressmaskReply,
        (PingProbe::Syn(_) | PingProbe::Ack(_), Response::Tcp { flags, .. }) => {
            if flags.contains(TcpFlags::RST) {
                Reason::Reset
            } else if flags.contains(TcpFlags::SYN) && flags.contains(TcpFlags::ACK) {
                Reason::SynAck
            } else {
                return None;
            }
        }
        (PingProbe::Udp(_), Response::Udp) => Reason::UdpResponse,
        (PingProbe::Sctp(_), Response::Sctp { chunk }) => match chunk {
            Some(nmaps_wire::SctpChunkType::InitAck) => Reason::InitAck,
            Some(nmaps_wire::SctpChunkType::Abort) => Reason::Abort,
            _ => return None,
        },
        // A packet of the probed protocol; for ICMP, a reply, not an error
        // about some other probe.
        (PingProbe::Proto(_), Response::Protocol { icmp }) => match icmp {
            None | Some(Reason::EchoReply | Reason::TimestampReply | Reason::AddressmaskReply) => {
                Reason::ProtoResponse
            }
            Some(_) => return None,
        },
        // A port or protocol unreachable from the target itself proves it
        // is there, whatever the probe.
        (
            _,
            Response::IcmpError {
                v6,
                kind,
                code,
                from_target: true,
            },
        ) => match probe::icmp_reason(v6, kind, code)? {
            r @ (Reason::PortUnreach | Reason::ProtoUnreach) => r,
            _ => return None,
        },
        _ => return None,
    })
}

/// The packet and waiter class of a discovery probe.
fn ping_probe(p: PingProbe) -> (Probe, Class) {
    use nmaps_wire::TcpFlags;
    match p {
        PingProbe::Echo => (Probe::Echo, Class::PingIcmp),
        PingProbe::Timestamp => (Probe::Timestamp, Class::PingIcmp),
        PingProbe::AddressMask => (Probe::AddressMask, Class::PingIcmp),
        PingProbe::Syn(port) => (
            Probe::Tcp {
                flags: TcpFlags::SYN,
                port,
            },
            Class::PingSyn,
        ),
        PingProbe::Ack(port) => (
            Probe::Tcp {
                flags: TcpFlags::ACK,
                port,
            },
            Class::PingAck,
        ),
        PingProbe::Udp(port) => (Probe::Udp { port }, Class::PingUdp),
        PingProbe::Sctp(port) => (
            Probe::Sctp {
                port,
                cookie_echo: false,
            },
            Class::PingSctp,
        ),
        PingProbe::Proto(protocol) => (Probe::IpProto { protocol }, Class::PingProto),
    }
}

/// Privileged ping of one host: ARP/ND on an attached link, otherwise
/// every probe at once; the first valid answer wins.
pub async fn raw_ping(
    addr: IpAddr,
    ping: &RawPing,
    timing: &Timing,
    io: Arc<RawIo>,
    shared: &Shared,
) -> PingResult {
    let est = RttEstimator::new(timing);
    let tries = 1 + timing.max_retries.min(1);
    let link = io.link_for(addr);
    if let (true, Some(link)) = (ping.arp, link) {
        for _ in 0..tries {
            paced(shared).await;
            let sent = Instant::now();
            let answer = match addr {
                IpAddr::V4(a) => io.arp(a, link, est.timeout()).await,
                IpAddr::V6(a) => io.neighbor_solicit(a, link, est.timeout()).await,
            };
            shared.progress.probe_sent();
            if let Ok(Some(a)) = answer {
                return PingResult {
                    up: true,
                    reason: if addr.is_ipv4() {
                        Reason::ArpResponse
                    } else {
                        Reason::NdResponse
                    },
                    rtt: Some(sent.elapsed()),
                    ttl: 0,
                    mac: a.mac,
                };
            }
        }
        return PingResult::down(Reason::NoResponse);
    }
    // -PR alone: targets off the link get Nmap's default probes instead.
    let default = RawPing::nmap_default();
    let list = if ping.probes.is_empty() {
        &default.probes
    } else {
        &ping.probes
    };
    let probes: Vec<PingProbe> = list
        .iter()
        .copied()
        .filter(|p| !(addr.is_ipv6() && matches!(p, PingProbe::Timestamp | PingProbe::AddressMask)))
        .collect();
    let mut unreachable = None;
    for _ in 0..tries {
        // Sent in order (Nmap's: echo, SYN, ACK, timestamp), all at once.
        let mut set = JoinSet::new();
        for (idx, &p) in probes.iter().enumerate() {
            paced(shared).await;
            let (probe, class) = ping_probe(p);
            let Ok(pending) = io.send(addr, probe, class) else {
                continue;
            };
            let (io, timeout) = (io.clone(), est.timeout());
            set.spawn(async move {
                let sent = Instant::now();
                let r = io.wait(pending, timeout).await;
                (idx, p, r, sent.elapsed())
            });
        }
        let mut answers: Vec<(usize, Reason, Duration, Answer)> = Vec::new();
        while let Some(res) = set.join_next().await {
            let Ok((idx, p, Some(answer), rtt)) = res else {
                continue;
            };
            shared.progress.probe_sent();
            if let Some(reason) = ping_reason(p, answer.resp) {
                answers.push((idx, reason, rtt, answer));
                // Replies that arrive together are taken in probe order, as
                // they come off Nmap's capture: a short grace for the others.
                let grace = (rtt * 2)
                    .max(Duration::from_millis(5))
                    .min(Duration::from_millis(50));
                let deadline = Instant::now() + grace;
                while let Ok(Some(Ok((idx, p, Some(answer), rtt)))) =
                    tokio::time::timeout_at(deadline, set.join_next()).await
                {
                    if let Some(reason) = ping_reason(p, answer.resp) {
                        answers.push((idx, reason, rtt, answer));
                    }
                }
                set.abort_all();
                let (_, reason, rtt, answer) =
                    answers.into_iter().min_by_key(|a| a.0).expect("non-empty");
                return PingResult {
                    up: true,
                    reason,
                    rtt: Some(rtt),
                    ttl: answer.ttl,
                    mac: link.and(answer.mac),
                };
            }
            if let Response::IcmpError { v6, kind, code, .. } = answer.resp {
                unreachable = unreachable.or(probe::icmp_reason(v6, kind, code));
            }
        }
        if unreachable.is_some() {
            break;
        }
    }
    PingResult::down(unreachable.unwrap_or(Reason::NoResponse))
}

/// Ping one host: probe every port at once, retry the silent ones, first answer wins.
pub async fn connect_ping<C: Connector>(
    addr: IpAddr,
    ports: &[u16],
    timing: &Timing,
    connector: Arc<C>,
    shared: &Shared,
) -> PingResult {
    let est = RttEstimator::new(timing);
    let tries = 1 + timing.max_retries.min(1);
    let mut unreachable = None;
    for _ in 0..tries {
        let mut set = JoinSet::new();
        for (idx, &port) in ports.iter().enumerate() {
            let Ok(permit) = shared.sockets.clone().acquire_owned().await else {
                break;
            };
            paced(shared).await;
            let fut = connector.connect(SocketAddr::new(addr, port), est.timeout());
            set.spawn(async move {
                let sent = Instant::now();
                let outcome = fut.await;
                drop(permit);
                (idx, outcome, sent.elapsed())
            });
        }
        let mut answers: Vec<(usize, Reason, Duration)> = Vec::new();
        while let Some(res) = set.join_next().await {
            let Ok((idx, outcome, rtt)) = res else {
                continue;
            };
            shared.progress.probe_sent();
            match outcome {
                ConnectOutcome::Open => answers.push((idx, Reason::SynAck, rtt)),
                ConnectOutcome::Refused => answers.push((idx, Reason::ConnRefused, rtt)),
                ConnectOutcome::Unreachable(r) => unreachable = Some(r),
                _ => {}
            }
            if answers.is_empty() {
                continue;
            }
            // Answers that arrive together are read in probe order, as Nmap
            // reads its ready sockets: give the other probes a moment (two more
            // round trips, at least 5 ms for scheduling jitter, at most 50 ms)
            // to land, then take the earliest probe's answer.
            let grace = (rtt * 2)
                .max(Duration::from_millis(5))
                .min(Duration::from_millis(50));
            let deadline = Instant::now() + grace;
            while let Ok(Some(Ok((idx, outcome, rtt)))) =
                tokio::time::timeout_at(deadline, set.join_next()).await
            {
                match outcome {
                    ConnectOutcome::Open => answers.push((idx, Reason::SynAck, rtt)),
                    ConnectOutcome::Refused => answers.push((idx, Reason::ConnRefused, rtt)),
                    _ => {}
                }
            }
            set.abort_all();
            let (_, reason, rtt) = answers.into_iter().min_by_key(|a| a.0).expect("non-empty");
            return PingResult {
                up: true,
                reason,
                rtt: Some(rtt),
                ttl: 0,
                mac: None,
            };
        }
        if unreachable.is_some() {
            break;
        }
    }
    PingResult::down(unreachable.unwrap_or(Reason::NoResponse))
}

/// Wait for the global `--max-rate` pacer, if any, and take a slot.
async fn paced(shared: &Shared) {
    let Some(rate) = &shared.rate else { return };
    loop {
        let wait = {
            let mut r = rate.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            match r.wait_until(now) {
                Some(t) => t,
                None => {
                    r.taken(now);
                    return;
                }
            }
        };
        tokio::time::sleep_until(wait).await;
    }
}

/// Whether `addr` belongs to this machine (Nmap then says `localhost-response`).
///
/// Loopback, or an address of an interface (read once per run: this is
/// asked for every target, and a socket per target would cost more than
/// scanning it).
pub fn is_local_address(addr: IpAddr) -> bool {
    static LOCAL: std::sync::OnceLock<std::collections::HashSet<IpAddr>> =
        std::sync::OnceLock::new();
    if addr.is_loopback() {
        return true;
    }
    LOCAL
        .get_or_init(|| {
            nmaps_netio::iface::interfaces()
                .unwrap_or_default()
                .iter()
                .flat_map(|i| i.addrs.iter().map(|a| a.addr))
                .collect()
        })
        .contains(&addr)
}
