//! Host discovery without privileges: a TCP connect to a few ports (80 and 443
//! by default, or the `-PS` list). Any answer — handshake or refusal — proves
//! the host is up.

use crate::connect::{ConnectOutcome, Connector, Shared};
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
            };
        }
        if unreachable.is_some() {
            break;
        }
    }
    PingResult {
        up: false,
        reason: unreachable.unwrap_or(Reason::NoResponse),
        rtt: None,
    }
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
pub fn is_local_address(addr: IpAddr) -> bool {
    if addr.is_loopback() {
        return true;
    }
    std::net::UdpSocket::bind(SocketAddr::new(addr, 0)).is_ok()
}
