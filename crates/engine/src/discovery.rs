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
        for &port in ports {
            let Ok(permit) = shared.sockets.clone().acquire_owned().await else {
                break;
            };
            let fut = connector.connect(SocketAddr::new(addr, port), est.timeout());
            set.spawn(async move {
                let sent = Instant::now();
                let outcome = fut.await;
                drop(permit);
                (outcome, sent.elapsed())
            });
        }
        while let Some(res) = set.join_next().await {
            let Ok((outcome, rtt)) = res else { continue };
            shared.progress.probe_sent();
            let reason = match outcome {
                ConnectOutcome::Open => Reason::SynAck,
                ConnectOutcome::Refused => Reason::ConnRefused,
                ConnectOutcome::Unreachable(r) => {
                    unreachable = Some(r);
                    continue;
                }
                _ => continue,
            };
            set.abort_all();
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

/// Whether `addr` belongs to this machine (Nmap then says `localhost-response`).
pub fn is_local_address(addr: IpAddr) -> bool {
    if addr.is_loopback() {
        return true;
    }
    std::net::UdpSocket::bind(SocketAddr::new(addr, 0)).is_ok()
}
