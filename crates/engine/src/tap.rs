//! Taps: full copies of every IP packet a host sends us, for code that
//! crafts its own probes and reads the replies itself (OS detection).
//!
//! The scan engine's waiters see only a summary of a validated reply; OS
//! detection needs whole packets (IP ID, TTL, DF, TCP options, the datagram
//! an ICMP error quotes) and judges them itself. A [`Tap`] is opened for
//! one source address with [`crate::raw::RawIo::tap`]; while it is open the
//! receive thread copies every captured IP packet from that address into
//! it, with the time it was read. Dropping the tap closes it.
//!
//! When no tap is open the receive thread pays one relaxed atomic load per
//! packet. A tap's queue is bounded ([`QUEUE`]): a host flooding us loses
//! its excess packets rather than growing memory.

use nmaps_wire::{Ipv4Packet, Ipv6Packet};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc;

/// Packets a tap holds before further ones from its host are dropped.
pub const QUEUE: usize = 4096;

/// One captured packet, from the IP header on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub bytes: Vec<u8>,
    /// When the receive thread read it.
    pub at: Instant,
}

type TapTx = mpsc::Sender<Captured>;

/// The open taps, by source address (shared by the receive thread and
/// every [`Tap`]).
#[derive(Debug, Default)]
pub(crate) struct Taps {
    open: AtomicUsize,
    next_id: AtomicU64,
    by_source: Mutex<HashMap<IpAddr, Vec<(u64, TapTx)>>>,
}

impl Taps {
    /// Copies `bytes` (an IPv4 or IPv6 packet) to the taps open on its
    /// source address, if any. Never blocks: a full tap misses the packet.
    pub(crate) fn offer(&self, bytes: &[u8]) {
        if self.open.load(Ordering::Relaxed) == 0 {
            return;
        }
        let Some(src) = source_of(bytes) else { return };
        let map = self.by_source.lock().unwrap_or_else(|e| e.into_inner());
        let Some(list) = map.get(&src) else { return };
        let at = Instant::now();
        for (_, tx) in list {
            let _ = tx.try_send(Captured {
                bytes: bytes.to_vec(),
                at,
            });
        }
    }

    fn open(self: &Arc<Self>, source: IpAddr) -> Tap {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.by_source
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(source)
            .or_default()
            .push((id, tx));
        self.open.fetch_add(1, Ordering::Relaxed);
        Tap {
            rx,
            id,
            source,
            taps: self.clone(),
        }
    }

    fn close(&self, source: IpAddr, id: u64) {
        let mut map = self.by_source.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = map.get_mut(&source) {
            let before = list.len();
            list.retain(|(i, _)| *i != id);
            if list.len() < before {
                self.open.fetch_sub(1, Ordering::Relaxed);
            }
            if list.is_empty() {
                map.remove(&source);
            }
        }
    }
}

/// The source address of an IPv4 or IPv6 packet whose header is whole.
fn source_of(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.first()? >> 4 {
        4 => Ipv4Packet::new_checked(bytes)
            .ok()
            .map(|p| IpAddr::V4(p.src_addr())),
        6 => Ipv6Packet::new_checked(bytes)
            .ok()
            .map(|p| IpAddr::V6(p.src_addr())),
        _ => None,
    }
}

/// Every IP packet from one address while it is open; see the module
/// documentation. Dropping it closes it.
#[derive(Debug)]
pub struct Tap {
    rx: mpsc::Receiver<Captured>,
    id: u64,
    source: IpAddr,
    taps: Arc<Taps>,
}

impl Tap {
    /// Opens a tap on `source` in `taps` (see [`crate::raw::RawIo::tap`]).
    pub(crate) fn new(taps: &Arc<Taps>, source: IpAddr) -> Self {
        taps.open(source)
    }

    /// The next packet; `None` once the engine has stopped.
    pub async fn recv(&mut self) -> Option<Captured> {
        self.rx.recv().await
    }

    /// A packet already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Captured> {
        self.rx.try_recv().ok()
    }

    /// The address this tap listens to.
    pub fn source(&self) -> IpAddr {
        self.source
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.taps.close(self.source, self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ipv4(src: Ipv4Addr, payload: &[u8]) -> Vec<u8> {
        let ip = nmaps_wire::Ipv4Repr {
            protocol: nmaps_wire::IpProtocol::Udp,
            payload_len: payload.len(),
            ..nmaps_wire::Ipv4Repr::new(src, Ipv4Addr::new(192, 0, 2, 1))
        };
        let mut buf = vec![0u8; ip.buffer_len() + payload.len()];
        ip.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]));
        buf[ip.buffer_len()..].copy_from_slice(payload);
        buf
    }

    #[tokio::test]
    async fn a_tap_gets_its_hosts_packets_only_and_closes_on_drop() {
        let taps = Arc::new(Taps::default());
        let a = Ipv4Addr::new(192, 0, 2, 7);
        let b = Ipv4Addr::new(192, 0, 2, 8);
        let mut tap = Tap::new(&taps, IpAddr::V4(a));
        let mut twin = Tap::new(&taps, IpAddr::V4(a));
        taps.offer(&ipv4(b, b"other"));
        taps.offer(&ipv4(a, b"mine"));
        let got = tap.recv().await.unwrap();
        assert_eq!(got.bytes, ipv4(a, b"mine"));
        assert!(
            tap.try_recv().is_none(),
            "the other host's packet is not here"
        );
        assert_eq!(twin.try_recv().unwrap().bytes, got.bytes);
        drop(tap);
        assert_eq!(taps.open.load(Ordering::Relaxed), 1);
        drop(twin);
        assert_eq!(taps.open.load(Ordering::Relaxed), 0);
        assert!(taps.by_source.lock().unwrap().is_empty());
    }

    #[test]
    fn hostile_packets_are_ignored_without_panicking() {
        let taps = Arc::new(Taps::default());
        let a = Ipv4Addr::new(192, 0, 2, 7);
        let mut tap = Tap::new(&taps, IpAddr::V4(a));
        let good = ipv4(a, b"x");
        // Every truncation, a lying header length and total length, random bytes.
        for n in 0..good.len() {
            taps.offer(&good[..n]);
        }
        let mut bad_ihl = good.clone();
        bad_ihl[0] = 0x4f;
        taps.offer(&bad_ihl);
        let mut bad_len = good.clone();
        bad_len[2..4].copy_from_slice(&0xffffu16.to_be_bytes());
        taps.offer(&bad_len);
        let mut x: u32 = 0x1234_5678;
        for len in 0..200usize {
            let junk: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            taps.offer(&junk);
        }
        let mut v6 = vec![0x60u8; 39];
        taps.offer(&v6);
        v6.resize(40, 0);
        taps.offer(&v6);
        // Only the whole packet itself, never a fragment of it, arrived.
        let mut n = 0;
        while let Some(p) = tap.try_recv() {
            assert!(source_of(&p.bytes) == Some(IpAddr::V4(a)));
            n += 1;
        }
        assert!(n <= 1, "{n}");
    }

    #[test]
    fn a_full_tap_drops_rather_than_grows() {
        let taps = Arc::new(Taps::default());
        let a = Ipv4Addr::new(192, 0, 2, 7);
        let mut tap = Tap::new(&taps, IpAddr::V4(a));
        let p = ipv4(a, b"x");
        for _ in 0..QUEUE + 10 {
            taps.offer(&p);
        }
        let mut n = 0;
        while tap.try_recv().is_some() {
            n += 1;
        }
        assert_eq!(n, QUEUE);
    }
}
