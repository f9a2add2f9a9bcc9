//! The raw-packet machinery shared by every privileged scan: one send
//! thread, one receive thread, and a table of probes waiting for replies.
//!
//! ```text
//!  scheduler tasks ──probe()──► waiters table ◄──── receive thread ◄── AF_PACKET (all links)
//!          │                   (key → oneshot / host channel)  parse, validate cookie, deliver
//!          └──► bounded channel ──► send thread ──sendmmsg──► raw IP sockets / AF_PACKET
//! ```
//!
//! A probe registers a waiter under a [`Key`] built from what the reply
//! will carry back (target, protocol, target port, our port or ICMP id),
//! then hands its packet to the send thread. The receive thread reads
//! every incoming packet, derives the same key from the reply (or from the
//! datagram an ICMP error quotes), and accepts it only if it also carries
//! the keyed cookie: a TCP sequence/acknowledgement number, an SCTP tag or
//! an ICMP sequence number computed with a per-run secret, so forged or
//! stray packets are ignored. Everything else the kernel delivers is
//! dropped there, malformed or not.

use crate::probe::{self, Ids, PacketOpts, Probe, Response};
use nmaps_netio::capture::{Capture, LinkSender, Meta, ethertype};
use nmaps_wire::{
    ArpOperation, ArpPacket, ArpRepr, Body, EthernetAddress, IpPair, IpProtocol, QuotedTransport,
    TcpFlags, parse_reply,
};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::BuildHasher;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// Which engine part a probe belongs to. Added to the per-run base port, so
/// discovery probes and scan probes never answer each other's waiters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum Class {
    Scan = 0,
    PingSyn = 1,
    PingAck = 2,
    PingUdp = 3,
    PingSctp = 4,
    PingIcmp = 5,
    PingProto = 6,
}

/// Protocol numbers of the waiter table that are not IP protocols.
const KEY_ARP: u8 = 254;
const KEY_ND: u8 = 253;
/// `-sO`/`-PO`: "any reply in protocol `port`".
const KEY_PROTO: u8 = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    target: IpAddr,
    proto: u8,
    /// Target port, ICMP request type, or protocol number.
    port: u16,
    /// Our port or ICMP identifier.
    local: u16,
}

struct Waiter {
    id: u64,
    cookie: u32,
    tx: ReplyTo,
}

/// Where a waiter's answer goes.
enum ReplyTo {
    /// One probe awaited on its own (discovery, ARP/ND).
    Once(oneshot::Sender<Answer>),
    /// A host's scan loop, which has many probes in flight: the answer goes
    /// to its channel with the probe's slot and waiter id.
    Host(HostTx, u32),
}

/// A host scan loop's answer channel: (slot, waiter id, answer).
type HostTx = tokio::sync::mpsc::UnboundedSender<(u32, u64, Answer)>;

/// A validated reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub resp: Response,
    /// TTL (hop limit) of the reply.
    pub ttl: u8,
    /// Link-layer source, when it came over Ethernet.
    pub mac: Option<[u8; 6]>,
    /// The IP address the reply came from.
    pub from: IpAddr,
}

/// A probe on its way; see [`RawIo::wait`].
#[derive(Debug)]
pub struct Pending {
    key: Key,
    rx: oneshot::Receiver<Answer>,
    id: u64,
}

/// Why a probe could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The send queue is full: retry shortly.
    Busy,
    /// No source address or mismatched families: the target can't be probed.
    NoRoute,
}

/// What goes to the send thread.
enum Out {
    Ip(Vec<u8>, IpAddr),
    Link {
        ifindex: i32,
        protocol: u16,
        dst: [u8; 6],
        bytes: Vec<u8>,
    },
}

/// A directly attached Ethernet link towards a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub ifindex: i32,
    pub mac: [u8; 6],
    pub src: IpAddr,
}

/// Options of the raw engine.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    pub packet: PacketOpts,
    /// `-S`
    pub source: Option<IpAddr>,
    /// `-g`/`--source-port`
    pub source_port: Option<u16>,
    /// `-e`: only this interface (by name).
    pub interface: Option<String>,
    /// `--send-ip`: IPv4 probes go through the kernel's IP layer even on
    /// Ethernet links. By default they leave as Ethernet frames when the
    /// next hop's MAC is known, as Nmap sends them.
    pub send_ip: bool,
}

struct Inner {
    secret: std::collections::hash_map::RandomState,
    waiters: Mutex<HashMap<Key, Waiter>>,
    proto_waiters: AtomicU64,
    out: tokio::sync::mpsc::Sender<Out>,
    config: RawConfig,
    base_port: u16,
    next_id: AtomicU64,
    routes: Routes,
    stop: AtomicBool,
    /// Link-layer sources of accepted replies (MACs of on-link hosts).
    macs: Mutex<HashMap<IpAddr, [u8; 6]>>,
    /// Next hops' MACs from the kernel's neighbour table, for sending IPv4
    /// probes as Ethernet frames.
    neighbors: Mutex<Neighbors>,
    sent: AtomicU64,
    sent_bytes: AtomicU64,
    /// Every packet captured, and accepted replies.
    captured: AtomicU64,
    captured_bytes: AtomicU64,
    received: AtomicU64,
    /// Open taps (whole packets for OS detection), see `crate::tap`.
    taps: Arc<crate::tap::Taps>,
}

/// Handle on the raw engine; dropping it stops its threads.
pub struct RawIo {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RawIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawIo").finish_non_exhaustive()
    }
}

impl Drop for RawIo {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::Relaxed);
    }
}

impl RawIo {
    /// Opens the sockets (needs `CAP_NET_RAW`) and starts both threads.
    pub fn start(config: RawConfig) -> io::Result<Self> {
        let capture = Capture::new()?;
        let v4 = nmaps_netio::raw::RawIpSender::new()?;
        // IPv6 may be disabled; then IPv6 targets simply get no route.
        let v6 = nmaps_netio::raw::RawIpSender::new_v6().ok();
        for s in [Some(&v4), v6.as_ref()].into_iter().flatten() {
            let _ = s.socket().set_send_buffer_size(4 << 20);
            // -e: probes leave through this interface whatever the routes say.
            if let Some(name) = &config.interface {
                s.socket().bind_device(Some(name.as_bytes())).map_err(|e| {
                    io::Error::new(e.kind(), format!("interface {name:?} (-e): {e}"))
                })?;
            }
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel(65_536);
        let secret = std::collections::hash_map::RandomState::new();
        // Our ports: a per-run base in the ephemeral range, as Nmap picks one.
        let base_port = 33_000 + (secret.hash_one(0xba5e_u32) % 25_000) as u16;
        let routes = Routes::load(config.interface.as_deref());
        let inner = Arc::new(Inner::new(secret, tx, config, base_port, routes));
        let recv_inner = inner.clone();
        std::thread::Builder::new()
            .name("nmaps-recv".into())
            .spawn(move || receive_loop(&recv_inner, &capture))?;
        std::thread::Builder::new()
            .name("nmaps-send".into())
            .spawn(move || send_loop(&mut rx, &v4, v6.as_ref()))?;
        Ok(Self { inner })
    }

    /// Nmap's end-of-scan packet figures: sent, and every packet captured.
    pub fn packet_stats(&self) -> nmaps_model::PacketStats {
        let i = &self.inner;
        nmaps_model::PacketStats {
            sent: i.sent.load(Ordering::Relaxed),
            sent_bytes: i.sent_bytes.load(Ordering::Relaxed),
            received: i.captured.load(Ordering::Relaxed),
            received_bytes: i.captured_bytes.load(Ordering::Relaxed),
        }
    }

    /// The MAC address replies from `target` came from, if it is on an
    /// attached Ethernet link (for a routed target it would be a router's).
    pub fn mac_of(&self, target: IpAddr) -> Option<[u8; 6]> {
        self.link_for(target)?;
        self.inner
            .macs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&target)
            .copied()
    }

    /// The Ethernet link to `target` if it is directly attached (not via a
    /// gateway, not loopback, not one of our own addresses).
    pub fn link_for(&self, target: IpAddr) -> Option<Link> {
        self.inner.routes.link_for(target, self.inner.config.source)
    }

    /// The source address of packets to `target`: `-S` when given, else
    /// the route's.
    pub fn source_for(&self, target: IpAddr) -> Option<IpAddr> {
        let inner = &self.inner;
        inner
            .config
            .source
            .filter(|s| s.is_ipv4() == target.is_ipv4())
            .or_else(|| inner.routes.source_for(target))
    }

    /// Waits for room in the send queue (backpressure from the send
    /// thread); `Busy` once the send thread is gone.
    async fn reserve(&self) -> Result<tokio::sync::mpsc::Permit<'_, Out>, SendError> {
        self.inner.out.reserve().await.map_err(|_| SendError::Busy)
    }

    /// Sends a complete IP packet built by the caller (OS detection's
    /// probes), counted in the packet statistics. Waits for room in the
    /// send queue.
    pub async fn send_packet(&self, target: IpAddr, bytes: Vec<u8>) -> Result<(), SendError> {
        let permit = self.reserve().await?;
        let out = Out::Ip(bytes, target);
        self.inner.count_sent(&out);
        permit.send(out);
        Ok(())
    }

    /// Opens a tap on `source`: a copy of every IP packet captured from
    /// that address until the tap is dropped (see [`crate::tap`]).
    pub fn tap(&self, source: IpAddr) -> crate::tap::Tap {
        crate::tap::Tap::new(&self.inner.taps, source)
    }

    /// Sends `probe` to `target` and waits up to `timeout` for a reply.
    /// `Ok(None)`: no reply in time.
    pub async fn probe(
        &self,
        target: IpAddr,
        probe: Probe,
        class: Class,
        timeout: Duration,
    ) -> Result<Option<Answer>, SendError> {
        // Wait for room in the send queue (backpressure from the send
        // thread), then register and queue the probe.
        let permit = self.reserve().await?;
        let (pending, out) = self.prepare(target, probe, class)?;
        self.inner.count_sent(&out);
        permit.send(out);
        Ok(self.wait(pending, timeout).await)
    }

    /// Waits up to `timeout` for the reply to a started probe.
    pub async fn wait(&self, pending: Pending, timeout: Duration) -> Option<Answer> {
        self.inner
            .wait(pending.key, (pending.rx, pending.id), timeout)
            .await
    }

    /// Queues `probe` for sending now, in call order, and registers its
    /// waiter; [`RawIo::wait`] then collects the reply. Fails with
    /// [`SendError::Busy`] when the send queue is full.
    pub fn send(&self, target: IpAddr, probe: Probe, class: Class) -> Result<Pending, SendError> {
        let (pending, out) = self.prepare(target, probe, class)?;
        if let Err(e) = self.inner.send(out) {
            self.inner.unregister(&pending.key, pending.id);
            return Err(e);
        }
        Ok(pending)
    }

    /// Builds the packet of `probe` and registers its waiter.
    fn prepare(
        &self,
        target: IpAddr,
        probe: Probe,
        class: Class,
    ) -> Result<(Pending, Out), SendError> {
        let (key, cookie, out) = self.build(target, probe, class)?;
        let (tx, rx) = oneshot::channel();
        let id = self.inner.register(key, cookie, ReplyTo::Once(tx));
        Ok((Pending { key, rx, id }, out))
    }

    /// Builds the packet of `probe`: its waiter key, cookie and bytes.
    fn build(
        &self,
        target: IpAddr,
        probe: Probe,
        class: Class,
    ) -> Result<(Key, u32, Out), SendError> {
        let inner = &self.inner;
        let local = inner
            .config
            .source_port
            .filter(|_| !matches!(probe, Probe::Echo | Probe::Timestamp | Probe::AddressMask))
            .unwrap_or(inner.base_port.wrapping_add(class as u16));
        let (proto, port) = match probe {
            Probe::Tcp { port, .. } => (6, port),
            Probe::Udp { port } => (17, port),
            Probe::Sctp { port, .. } => (132, port),
            Probe::Echo if target.is_ipv6() => (58, 128),
            Probe::Echo => (1, 8),
            Probe::Timestamp => (1, 13),
            Probe::AddressMask => (1, 17),
            Probe::IpProto { protocol } => (KEY_PROTO, u16::from(protocol)),
        };
        let key = Key {
            target,
            proto,
            port,
            local: if proto == KEY_PROTO { 0 } else { local },
        };
        let cookie = inner.cookie(&key);
        let src = self.source_for(target).ok_or(SendError::NoRoute)?;
        let ids = Ids {
            local,
            cookie,
            ip_id: ip_id(cookie),
        };
        let payload: &[u8] = match probe {
            Probe::Udp { port } => crate::payloads::Payloads::embedded()
                .for_port(port)
                .first()
                .map_or(&[], |p| p.data.as_slice()),
            _ => &[],
        };
        let bytes = probe::build(probe, src, target, ids, &inner.config.packet, payload)
            .ok_or(SendError::NoRoute)?;
        Ok((key, cookie, inner.out_for(bytes, target)))
    }

    /// ARP "who-has" for `target` on `link`; the answer carries its MAC.
    pub async fn arp(
        &self,
        target: Ipv4Addr,
        link: Link,
        timeout: Duration,
    ) -> Result<Option<Answer>, SendError> {
        let IpAddr::V4(src) = link.src else {
            return Err(SendError::NoRoute);
        };
        let repr = ArpRepr {
            operation: ArpOperation::Request,
            source_hardware_addr: EthernetAddress(link.mac),
            source_protocol_addr: src,
            target_hardware_addr: EthernetAddress([0; 6]),
            target_protocol_addr: target,
        };
        let mut bytes = vec![0u8; 28];
        repr.emit(&mut ArpPacket::new_unchecked(&mut bytes[..]));
        let out = Out::Link {
            ifindex: link.ifindex,
            protocol: ethertype::ARP,
            dst: [0xff; 6],
            bytes,
        };
        self.link_probe(IpAddr::V4(target), KEY_ARP, out, timeout)
            .await
    }

    /// IPv6 neighbor solicitation for `target` on `link`.
    pub async fn neighbor_solicit(
        &self,
        target: Ipv6Addr,
        link: Link,
        timeout: Duration,
    ) -> Result<Option<Answer>, SendError> {
        let IpAddr::V6(src) = link.src else {
            return Err(SendError::NoRoute);
        };
        let t = target.octets();
        let group = Ipv6Addr::new(
            0xff02,
            0,
            0,
            0,
            0,
            1,
            0xff00 | u16::from(t[13]),
            u16::from_be_bytes([t[14], t[15]]),
        );
        let mut opt = [0u8; 8];
        nmaps_wire::NdOption::SourceLinkLayerAddr(EthernetAddress(link.mac)).emit(&mut opt);
        let icmp = nmaps_wire::Icmpv6Repr::NeighborSolicit {
            reserved: 0,
            target,
            options: nmaps_wire::NdOptions(&opt),
        };
        let ips = IpPair::V6 { src, dst: group };
        let ip = nmaps_wire::Ipv6Repr {
            next_header: IpProtocol::Icmpv6,
            payload_len: icmp.buffer_len(),
            hop_limit: 255,
            ..nmaps_wire::Ipv6Repr::new(src, group)
        };
        let mut bytes = vec![0u8; nmaps_wire::IPV6_HEADER_LEN + icmp.buffer_len()];
        ip.emit(&mut nmaps_wire::Ipv6Packet::new_unchecked(&mut bytes[..]));
        icmp.emit(
            &mut nmaps_wire::Icmpv6Packet::new_unchecked(&mut bytes[nmaps_wire::IPV6_HEADER_LEN..]),
            &ips,
        );
        let out = Out::Link {
            ifindex: link.ifindex,
            protocol: ethertype::IPV6,
            dst: [0x33, 0x33, 0xff, t[13], t[14], t[15]],
            bytes,
        };
        self.link_probe(IpAddr::V6(target), KEY_ND, out, timeout)
            .await
    }

    /// Sends a link-layer frame asking for `target` (ARP, ND) and waits
    /// for the answer registered under `kind`.
    async fn link_probe(
        &self,
        target: IpAddr,
        kind: u8,
        out: Out,
        timeout: Duration,
    ) -> Result<Option<Answer>, SendError> {
        let key = Key {
            target,
            proto: kind,
            port: 0,
            local: 0,
        };
        let inner = &self.inner;
        let (tx, rx) = oneshot::channel();
        let id = inner.register(key, 0, ReplyTo::Once(tx));
        if let Err(e) = inner.send(out) {
            inner.unregister(&key, id);
            return Err(e);
        }
        Ok(inner.wait(key, (rx, id), timeout).await)
    }
}

impl Inner {
    /// The engine's state with nothing sent, received or waiting yet.
    fn new(
        secret: std::collections::hash_map::RandomState,
        out: tokio::sync::mpsc::Sender<Out>,
        config: RawConfig,
        base_port: u16,
        routes: Routes,
    ) -> Self {
        Self {
            secret,
            waiters: Mutex::new(HashMap::new()),
            proto_waiters: AtomicU64::new(0),
            out,
            config,
            base_port,
            next_id: AtomicU64::new(1),
            routes,
            stop: AtomicBool::new(false),
            macs: Mutex::new(HashMap::new()),
            neighbors: Mutex::new(Neighbors::default()),
            sent: AtomicU64::new(0),
            sent_bytes: AtomicU64::new(0),
            captured: AtomicU64::new(0),
            captured_bytes: AtomicU64::new(0),
            received: AtomicU64::new(0),
            taps: Arc::default(),
        }
    }

    fn cookie(&self, key: &Key) -> u32 {
        self.secret.hash_one(key) as u32
    }

    /// How an IP packet to `target` leaves: as an Ethernet frame to the
    /// next hop when that hop is on an Ethernet link and its MAC is known
    /// (the kernel's IP output path, its routing and neighbour lookups
    /// per packet are skipped: a sixth of the sender's time in the lab),
    /// else through the raw IP socket, which also makes the kernel resolve
    /// the next hop for the packets after.
    fn out_for(&self, bytes: Vec<u8>, target: IpAddr) -> Out {
        match self.eth_next_hop(target) {
            Some((ifindex, dst)) => Out::Link {
                ifindex,
                protocol: nmaps_netio::capture::ethertype::IPV4,
                dst,
                bytes,
            },
            None => Out::Ip(bytes, target),
        }
    }

    /// The interface and MAC of `target`'s next hop, for IPv4 over
    /// Ethernet, when known.
    fn eth_next_hop(&self, target: IpAddr) -> Option<(i32, [u8; 6])> {
        let IpAddr::V4(dst) = target else {
            return None;
        };
        if self.config.send_ip || self.config.source.is_some() {
            // -S may name an address of another interface: let the kernel
            // route as it always did.
            return None;
        }
        let (ifindex, hop) = self.routes.ethernet_hop(dst)?;
        if hop == dst
            && let Some(mac) = self
                .macs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&target)
        {
            return Some((ifindex, *mac));
        }
        self.neighbors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .mac_of(hop)
            .map(|mac| (ifindex, mac))
    }

    fn register(&self, key: Key, cookie: u32, tx: ReplyTo) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if key.proto == KEY_PROTO {
            self.proto_waiters.fetch_add(1, Ordering::Relaxed);
        }
        let old = self
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, Waiter { id, cookie, tx });
        if old.is_some() && key.proto == KEY_PROTO {
            self.proto_waiters.fetch_sub(1, Ordering::Relaxed);
        }
        id
    }

    /// Removes waiter `id`; `false` if it is gone already (answered, or
    /// replaced by a newer probe of the same key).
    fn unregister(&self, key: &Key, id: u64) -> bool {
        let mut w = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if w.get(key).is_some_and(|w| w.id == id) {
            w.remove(key);
            if key.proto == KEY_PROTO {
                self.proto_waiters.fetch_sub(1, Ordering::Relaxed);
            }
            return true;
        }
        false
    }

    fn count_sent(&self, out: &Out) {
        let len = match out {
            Out::Ip(b, _) => b.len(),
            // The kernel adds the Ethernet header.
            Out::Link { bytes, .. } => bytes.len() + 14,
        };
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.sent_bytes.fetch_add(len as u64, Ordering::Relaxed);
    }

    fn send(&self, out: Out) -> Result<(), SendError> {
        self.count_sent(&out);
        self.out.try_send(out).map_err(|_| SendError::Busy)
    }

    async fn wait(
        &self,
        key: Key,
        (rx, id): (oneshot::Receiver<Answer>, u64),
        timeout: Duration,
    ) -> Option<Answer> {
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(a)) => Some(a),
            _ => {
                self.unregister(&key, id);
                None
            }
        }
    }

    /// Hands `answer` to the waiter under `key` if `valid(cookie)` holds.
    fn deliver(&self, key: Key, answer: Answer, valid: impl FnOnce(u32) -> bool) {
        let mut w = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        let Some(waiter) = w.get(&key) else { return };
        if !valid(waiter.cookie) {
            return;
        }
        let Some(waiter) = w.remove(&key) else { return };
        drop(w);
        if key.proto == KEY_PROTO {
            self.proto_waiters.fetch_sub(1, Ordering::Relaxed);
        }
        self.received.fetch_add(1, Ordering::Relaxed);
        if let Some(mac) = answer.mac.filter(|_| self.routes.on_link(key.target)) {
            let mut macs = self.macs.lock().unwrap_or_else(|e| e.into_inner());
            if macs.len() < 1 << 20 {
                macs.insert(key.target, mac);
            }
        }
        match waiter.tx {
            ReplyTo::Once(tx) => {
                let _ = tx.send(answer);
            }
            ReplyTo::Host(tx, slot) => {
                let _ = tx.send((slot, waiter.id, answer));
            }
        }
    }
}

/// The send thread: drains the queue in batches, one `sendmmsg` per
/// family per batch. Send errors are not reported: the probe then times
/// out and is retransmitted like a lost one, as with Nmap.
fn send_loop(
    rx: &mut tokio::sync::mpsc::Receiver<Out>,
    v4: &nmaps_netio::raw::RawIpSender,
    v6: Option<&nmaps_netio::raw::RawIpSender>,
) {
    const BATCH: usize = 256;
    let mut batch: Vec<Out> = Vec::with_capacity(BATCH);
    let mut links: HashMap<i32, LinkSender> = HashMap::new();
    // Blocks for the first packet; ends when every sender is gone.
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let mut ip4: Vec<(&[u8], IpAddr)> = Vec::new();
        let mut ip6: Vec<(&[u8], IpAddr)> = Vec::new();
        // Frames per (interface, protocol), in batch order.
        let mut frames: Vec<((i32, u16), Frames<'_>)> = Vec::new();
        for out in &batch {
            match out {
                Out::Ip(bytes, dst) if dst.is_ipv4() => ip4.push((bytes, *dst)),
                Out::Ip(bytes, dst) => ip6.push((bytes, *dst)),
                Out::Link {
                    ifindex,
                    protocol,
                    dst,
                    bytes,
                } => {
                    let key = (*ifindex, *protocol);
                    match frames.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, v)) => v.push((bytes, *dst)),
                        None => frames.push((key, vec![(bytes.as_slice(), *dst)])),
                    }
                }
            }
        }
        for ((ifindex, protocol), list) in &frames {
            if let std::collections::hash_map::Entry::Vacant(e) = links.entry(*ifindex)
                && let Ok(s) = LinkSender::new(*ifindex)
            {
                e.insert(s);
            }
            if let Some(s) = links.get(ifindex) {
                let mut at = 0;
                while at < list.len() {
                    match s.send_batch(&list[at..], *protocol) {
                        Ok(n) if n > 0 => at += n,
                        // Skip a frame the kernel refuses rather than the rest.
                        _ => at += 1,
                    }
                }
            }
        }
        send_all(v4, &ip4);
        if let Some(v6) = v6 {
            send_all(v6, &ip6);
        }
        batch.clear();
    }
}

/// Ethernet payloads and their destination MACs.
type Frames<'a> = Vec<(&'a [u8], [u8; 6])>;

/// Sends every packet, skipping one that the kernel refuses (no route,
/// firewall) rather than dropping the rest of the batch.
fn send_all(sock: &nmaps_netio::raw::RawIpSender, packets: &[(&[u8], IpAddr)]) {
    let mut at = 0;
    while at < packets.len() {
        match sock.send_batch_ip(&packets[at..]) {
            Ok(n) if n > 0 => at += n,
            _ => at += 1,
        }
    }
}

/// The receive thread: every incoming packet is parsed and, if it answers
/// a waiting probe and carries its cookie, delivered.
fn receive_loop(inner: &Inner, capture: &Capture) {
    let mut buf = vec![0u8; nmaps_netio::capture::SNAPLEN as usize];
    while !inner.stop.load(Ordering::Relaxed) {
        match capture.recv(&mut buf, Some(Duration::from_millis(50))) {
            Ok(Some(meta)) => {
                inner.captured.fetch_add(1, Ordering::Relaxed);
                inner
                    .captured_bytes
                    .fetch_add(meta.len as u64, Ordering::Relaxed);
                let len = meta.len.min(buf.len());
                dispatch(inner, &buf[..len], &meta);
            }
            Ok(None) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn dispatch(inner: &Inner, bytes: &[u8], meta: &Meta) {
    if meta.protocol != ethertype::ARP {
        inner.taps.offer(bytes);
    }
    let mac = meta.src_mac.filter(|m| *m != [0; 6]);
    if meta.protocol == ethertype::ARP {
        let Ok(packet) = ArpPacket::new_checked(bytes) else {
            return;
        };
        let Ok(arp) = ArpRepr::parse(&packet) else {
            return;
        };
        if arp.operation != ArpOperation::Reply {
            return;
        }
        let key = Key {
            target: IpAddr::V4(arp.source_protocol_addr),
            proto: KEY_ARP,
            port: 0,
            local: 0,
        };
        let answer = Answer {
            resp: Response::ArpReply,
            ttl: 0,
            mac: Some(arp.source_hardware_addr.0),
            from: IpAddr::V4(arp.source_protocol_addr),
        };
        inner.deliver(key, answer, |_| true);
        return;
    }
    let Ok(reply) = parse_reply(bytes) else {
        return;
    };
    if inner.proto_waiters.load(Ordering::Relaxed) > 0 {
        dispatch_proto(inner, &reply, mac);
    }
    let src = reply.ip.src;
    let ttl = reply.ip.ttl;
    let answer = |resp| Answer {
        resp,
        ttl,
        mac,
        from: src,
    };
    match reply.body {
        Body::Tcp(seg) => {
            let key = Key {
                target: src,
                proto: 6,
                port: seg.src_port,
                local: seg.dst_port,
            };
            let resp = Response::Tcp {
                flags: seg.flags,
                window: seg.window,
            };
            let (flags, seq, ack) = (seg.flags, seg.seq, seg.ack);
            // A RST acknowledges the SYN/FIN and any --data-length bytes.
            let slack = 2 + inner
                .config
                .packet
                .data
                .as_ref()
                .map_or(0, |d| d.len() as u32);
            inner.deliver(key, answer(resp), |c| {
                (flags.contains(TcpFlags::ACK) && ack.wrapping_sub(c) <= slack)
                    || (flags.contains(TcpFlags::RST) && seq == c)
                    // Split handshake: a bare SYN, which can't echo our number.
                    || (flags == TcpFlags::SYN && seq != c)
            });
        }
        Body::Udp(d) => {
            let key = Key {
                target: src,
                proto: 17,
                port: d.src_port,
                local: d.dst_port,
            };
            inner.deliver(key, answer(Response::Udp), |_| true);
        }
        Body::Sctp(p) => {
            let key = Key {
                target: src,
                proto: 132,
                port: p.src_port,
                local: p.dst_port,
            };
            let (tag, first) = (p.verification_tag, p.first_chunk);
            inner.deliver(key, answer(Response::Sctp { chunk: first }), |c| tag == c);
        }
        Body::Echo {
            v6,
            reply: true,
            ident,
            seq_no,
        } => {
            let key = Key {
                target: src,
                proto: if v6 { 58 } else { 1 },
                port: if v6 { 128 } else { 8 },
                local: ident,
            };
            inner.deliver(key, answer(Response::EchoReply), |c| seq_no == c as u16);
        }
        Body::TimestampReply { ident, seq_no, .. } => {
            let key = Key {
                target: src,
                proto: 1,
                port: 13,
                local: ident,
            };
            inner.deliver(key, answer(Response::TimestampReply), |c| {
                seq_no == c as u16
            });
        }
        Body::AddressMaskReply { ident, seq_no, .. } => {
            let key = Key {
                target: src,
                proto: 1,
                port: 17,
                local: ident,
            };
            inner.deliver(key, answer(Response::AddressMaskReply), |c| {
                seq_no == c as u16
            });
        }
        Body::NeighborAdvert {
            target, link_addr, ..
        } => {
            let key = Key {
                target: IpAddr::V6(target),
                proto: KEY_ND,
                port: 0,
                local: 0,
            };
            let a = Answer {
                resp: Response::NeighborAdvert,
                ttl,
                mac: link_addr.map(|a| a.0).or(mac),
                from: src,
            };
            inner.deliver(key, a, |_| true);
        }
        Body::IcmpError(err) => {
            let Some(q) = err.quoted else { return };
            let resp = probe::icmp_response(&err, src, q.dst);
            if inner.proto_waiters.load(Ordering::Relaxed) > 0 {
                let key = Key {
                    target: q.dst,
                    proto: KEY_PROTO,
                    port: u16::from(u8::from(q.protocol)),
                    local: 0,
                };
                inner.deliver(key, answer(resp), |_| true);
            }
            let (proto, port, local, check): (u8, u16, u16, Option<u32>) = match q.transport {
                QuotedTransport::Tcp {
                    src_port,
                    dst_port,
                    seq,
                } => (6, dst_port, src_port, seq),
                QuotedTransport::Udp { src_port, dst_port } => (17, dst_port, src_port, None),
                QuotedTransport::Sctp {
                    src_port,
                    dst_port,
                    verification_tag,
                } => (
                    132,
                    dst_port,
                    src_port,
                    verification_tag.filter(|&t| t != 0),
                ),
                QuotedTransport::Icmp {
                    msg_type,
                    echo: Some((ident, seq)),
                    ..
                } => (
                    if q.dst.is_ipv6() { 58 } else { 1 },
                    u16::from(msg_type),
                    ident,
                    Some(u32::from(seq)),
                ),
                _ => return,
            };
            let key = Key {
                target: q.dst,
                proto,
                port,
                local,
            };
            let icmp_seq = proto == 1 || proto == 58;
            inner.deliver(key, answer(resp), |c| match check {
                None => true,
                Some(v) if icmp_seq => v == u32::from(c as u16),
                // SCTP INIT goes out with tag 0; its cookie is inside.
                Some(v) => v == c || proto == 132,
            });
        }
        _ => {}
    }
}

/// `-sO` replies: any packet of a protocol being probed counts as an
/// answer, and any ICMPv4 packet at all shows ICMP open (Nmap's rule). Our
/// own probes to a local address come back on loopback: the IP ID tells.
fn dispatch_proto(inner: &Inner, reply: &nmaps_wire::Reply<'_>, mac: Option<[u8; 6]>) {
    let src = reply.ip.src;
    let ttl = reply.ip.ttl;
    let p: u8 = reply.ip.protocol.into();
    let icmp = match (p, reply.body) {
        (1, Body::Echo { reply: true, .. }) => Some(probe::icmpv4_reason(0, 0)),
        (1, Body::Echo { reply: false, .. }) => Some(probe::icmpv4_reason(8, 0)),
        (1, Body::TimestampReply { .. }) => Some(probe::icmpv4_reason(14, 0)),
        (1, Body::AddressMaskReply { .. }) => Some(probe::icmpv4_reason(18, 0)),
        (1, Body::IcmpError(e)) => Some(probe::icmpv4_reason(e.msg_type, e.code)),
        (1, Body::OtherIcmp { msg_type, code, .. }) => Some(probe::icmpv4_reason(msg_type, code)),
        _ => None,
    };
    if p != 1 && matches!(reply.body, Body::IcmpError(_)) {
        return;
    }
    let key = Key {
        target: src,
        proto: KEY_PROTO,
        port: u16::from(p),
        local: 0,
    };
    let own = reply.ip.src == reply.ip.dst;
    let ident = reply.ip.ident;
    let a = Answer {
        resp: Response::Protocol { icmp },
        ttl,
        mac,
        from: src,
    };
    inner.deliver(key, a, |c| !(own && ident == Some(u32::from(ip_id(c)))));
}

/// The IPv4 identification a probe with cookie `c` carries.
fn ip_id(c: u32) -> u16 {
    (c >> 16) as u16 ^ (c as u16)
}

/// A route's index, with the destination when the source depends on it.
type SourceKey = (usize, Option<IpAddr>);

/// The routing facts the engine needs, read once at start.
/// A copy of the kernel's IPv4 neighbour table, read again at most every
/// [`Neighbors::REFRESH`] while a next hop is missing from it.
#[derive(Default)]
struct Neighbors {
    macs: HashMap<Ipv4Addr, [u8; 6]>,
    read_at: Option<std::time::Instant>,
}

impl Neighbors {
    const REFRESH: Duration = Duration::from_millis(200);
    /// Entries kept (a /16 on one link is 65,536).
    const MAX: usize = 1 << 20;

    fn mac_of(&mut self, hop: Ipv4Addr) -> Option<[u8; 6]> {
        if let Some(mac) = self.macs.get(&hop) {
            return Some(*mac);
        }
        if self.read_at.is_some_and(|t| t.elapsed() < Self::REFRESH) {
            return None;
        }
        self.read_at = Some(std::time::Instant::now());
        for (ip, mac, _) in nmaps_netio::iface::arp_table().unwrap_or_default() {
            if self.macs.len() < Self::MAX {
                self.macs.insert(ip, mac);
            }
        }
        self.macs.get(&hop).copied()
    }
}

struct Routes {
    routes: Vec<nmaps_netio::iface::Route>,
    ifaces: Vec<nmaps_netio::iface::Interface>,
    /// Source address per route (index), or per destination when the main
    /// table has no route (own addresses, loopback).
    cache: Mutex<HashMap<SourceKey, Option<IpAddr>>>,
}

impl Routes {
    fn load(only: Option<&str>) -> Self {
        let mut routes = nmaps_netio::iface::routes().unwrap_or_default();
        if let Some(name) = only {
            routes.retain(|r| r.iface == name);
        }
        Self {
            routes,
            ifaces: nmaps_netio::iface::interfaces().unwrap_or_default(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn best(&self, dst: IpAddr) -> Option<usize> {
        self.routes
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.dst.is_ipv4() == dst.is_ipv4() && prefix_match(r.dst, dst, r.prefix_len)
            })
            .max_by_key(|(_, r)| (r.prefix_len, std::cmp::Reverse(r.metric)))
            .map(|(i, _)| i)
    }

    fn is_local(&self, dst: IpAddr) -> bool {
        crate::discovery::is_local_address(dst)
    }

    fn source_for(&self, dst: IpAddr) -> Option<IpAddr> {
        // The kernel takes the source from the route (its preferred source
        // address), so one lookup per route serves every target behind it.
        // Own addresses and loopback are in the local table, not here:
        // those are looked up one by one.
        let key = match self.best(dst) {
            Some(i) if !self.is_local(dst) => (i, None),
            _ => (usize::MAX, Some(dst)),
        };
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = cache.get(&key) {
            return *s;
        }
        let src = nmaps_netio::route::source_for(dst).ok();
        if cache.len() < 1 << 20 {
            cache.insert(key, src);
        }
        src
    }

    /// Whether `dst` is reached directly on an Ethernet link (its MAC is
    /// its own, not a router's).
    fn on_link(&self, dst: IpAddr) -> bool {
        !self.is_local(dst)
            && self
                .best(dst)
                .is_some_and(|i| self.routes[i].gateway.is_none())
    }

    /// The route and Ethernet interface `dst` leaves through (not our own
    /// addresses, not loopback, only links with a MAC).
    fn ethernet_route(
        &self,
        dst: IpAddr,
    ) -> Option<(&nmaps_netio::iface::Route, &nmaps_netio::iface::Interface)> {
        if self.is_local(dst) {
            return None;
        }
        let r = &self.routes[self.best(dst)?];
        let iface = self.ifaces.iter().find(|i| i.name == r.iface)?;
        (!iface.loopback && iface.mac.is_some()).then_some((r, iface))
    }

    /// For an IPv4 `dst` reached over an Ethernet interface: that
    /// interface's index and the next hop (the gateway, or `dst` itself).
    fn ethernet_hop(&self, dst: Ipv4Addr) -> Option<(i32, Ipv4Addr)> {
        let (r, iface) = self.ethernet_route(IpAddr::V4(dst))?;
        let hop = match r.gateway {
            None => dst,
            Some(IpAddr::V4(g)) => g,
            Some(IpAddr::V6(_)) => return None,
        };
        Some((i32::try_from(iface.index).ok()?, hop))
    }

    fn link_for(&self, dst: IpAddr, source: Option<IpAddr>) -> Option<Link> {
        let (r, iface) = self.ethernet_route(dst)?;
        if r.gateway.is_some() {
            return None;
        }
        Some(Link {
            ifindex: i32::try_from(iface.index).ok()?,
            mac: iface.mac?,
            src: source
                .filter(|s| s.is_ipv4() == dst.is_ipv4())
                .or_else(|| self.source_for(dst))?,
        })
    }
}

fn prefix_match(net: IpAddr, addr: IpAddr, len: u8) -> bool {
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len.min(32)))
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len.min(128)))
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Ids, PacketOpts};
    use nmaps_model::{PortState, Reason};

    const US: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const TARGET: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8));

    /// The engine's state without sockets or threads: the test plays the
    /// receive thread by calling `dispatch`.
    fn engine() -> (Inner, tokio::sync::mpsc::Receiver<Out>) {
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let routes = Routes {
            routes: Vec::new(),
            ifaces: Vec::new(),
            cache: Mutex::new(HashMap::new()),
        };
        let inner = Inner::new(
            std::collections::hash_map::RandomState::new(),
            tx,
            RawConfig::default(),
            40_000,
            routes,
        );
        (inner, rx)
    }

    /// IPv4 probes leave as Ethernet frames to the next hop's MAC (the
    /// target's own on the link, the gateway's behind it) once it is known,
    /// and through the raw IP socket otherwise or with --send-ip.
    #[test]
    fn ipv4_probes_leave_as_frames_to_the_next_hop() {
        use nmaps_netio::iface::{Interface, Route};
        let v4 = |s: &str| -> Ipv4Addr { s.parse().unwrap() };
        let route = |dst: &str, len, gw: Option<&str>| Route {
            dst: IpAddr::V4(v4(dst)),
            prefix_len: len,
            gateway: gw.map(|g| IpAddr::V4(v4(g))),
            iface: "eth0".into(),
            metric: 0,
        };
        let routes = Routes {
            routes: vec![
                route("192.0.2.0", 24, None),
                route("198.51.100.0", 24, Some("192.0.2.254")),
            ],
            ifaces: vec![Interface {
                name: "eth0".into(),
                index: 5,
                mac: Some([2, 0, 0, 0, 0, 1]),
                mtu: Some(1500),
                up: true,
                loopback: false,
                addrs: Vec::new(),
            }],
            cache: Mutex::new(HashMap::new()),
        };
        let gw_mac = [2, 0, 0, 0, 0, 0xfe];
        let target_mac = [2, 0, 0, 0, 0, 7];
        let make = |send_ip| {
            let (tx, _rx) = tokio::sync::mpsc::channel(1);
            let config = RawConfig {
                send_ip,
                ..RawConfig::default()
            };
            let inner = Inner::new(
                std::collections::hash_map::RandomState::new(),
                tx,
                config,
                40_000,
                Routes {
                    routes: routes.routes.clone(),
                    ifaces: routes.ifaces.clone(),
                    cache: Mutex::new(HashMap::new()),
                },
            );
            // The neighbour table as read just now: no /proc read in a test.
            *inner.neighbors.lock().unwrap() = Neighbors {
                macs: HashMap::from([(v4("192.0.2.254"), gw_mac)]),
                read_at: Some(std::time::Instant::now()),
            };
            inner.macs.lock().unwrap().insert(TARGET, target_mac);
            inner
        };
        let frame = |out: Out| match out {
            Out::Link {
                ifindex,
                protocol,
                dst,
                ..
            } => Some((ifindex, protocol, dst)),
            Out::Ip(..) => None,
        };
        let inner = make(false);
        let routed = IpAddr::V4(v4("198.51.100.9"));
        assert_eq!(
            frame(inner.out_for(vec![0x45], routed)),
            Some((5, ethertype::IPV4, gw_mac))
        );
        assert_eq!(
            frame(inner.out_for(vec![0x45], TARGET)),
            Some((5, ethertype::IPV4, target_mac))
        );
        // An on-link host whose MAC is not known yet: the kernel resolves it.
        assert_eq!(frame(inner.out_for(vec![0x45], OTHER)), None);
        // No route, IPv6: the raw IP socket.
        assert_eq!(
            frame(inner.out_for(vec![0x45], IpAddr::V4(v4("203.0.113.1")))),
            None
        );
        assert_eq!(
            frame(inner.out_for(vec![0x60], "fd00::1".parse().unwrap())),
            None
        );
        let inner = make(true);
        assert_eq!(frame(inner.out_for(vec![0x45], routed)), None);
        assert_eq!(frame(inner.out_for(vec![0x45], TARGET)), None);
    }

    fn meta(len: usize) -> Meta {
        Meta {
            len,
            ifindex: 2,
            protocol: ethertype::IPV4,
            pkttype: nmaps_netio::capture::pkttype::HOST,
            src_mac: Some([2, 0, 0, 0, 0, 7]),
        }
    }

    /// A TCP segment `src:sport → dst:dport`, TTL 64, with seq (and ack,
    /// when the flags have ACK) = `n`.
    fn tcp(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, flags: TcpFlags, n: u32) -> Vec<u8> {
        let ids = Ids {
            local: sport,
            cookie: n,
            ip_id: 1,
        };
        let opts = PacketOpts {
            ttl: 64,
            ..PacketOpts::default()
        };
        let probe = Probe::Tcp { flags, port: dport };
        probe::build(probe, src, dst, ids, &opts, &[]).unwrap()
    }

    /// A TCP segment from `src:80` to our port 40000 with seq = ack = `n`.
    fn tcp_reply(src: IpAddr, flags: TcpFlags, n: u32) -> Vec<u8> {
        tcp(src, 80, US, 40_000, flags, n)
    }

    fn waiting_syn(inner: &Inner) -> (oneshot::Receiver<Answer>, u32) {
        let key = Key {
            target: TARGET,
            proto: 6,
            port: 80,
            local: 40_000,
        };
        let cookie = inner.cookie(&key);
        let (tx, rx) = oneshot::channel();
        inner.register(key, cookie, ReplyTo::Once(tx));
        (rx, cookie)
    }

    /// A host's flights with the test playing the receive thread.
    fn flights() -> (RawFlights, Arc<RawIo>, tokio::sync::mpsc::Receiver<Out>) {
        use crate::connect::Prober;
        let (mut inner, out) = engine();
        inner.config.source = Some(US);
        let io = Arc::new(RawIo {
            inner: Arc::new(inner),
        });
        let scanner = Arc::new(RawScanner {
            io: io.clone(),
            technique: crate::probe::Technique::SYN,
        });
        (scanner.flights(TARGET), io, out)
    }

    fn tag(idx: usize) -> crate::connect::Tag {
        crate::connect::Tag {
            idx,
            tries: 0,
            self_connects: 0,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn flights_match_answers_to_slots_and_time_out_the_rest() {
        use crate::connect::{ConnectOutcome, Flights};
        let (mut fl, io, _out) = flights();
        let inner = &io.inner;
        let ms = Duration::from_millis;
        fl.launch(tag(0), 80, ms(100), None).unwrap();
        fl.launch(tag(1), 81, ms(300), None).unwrap();
        assert_eq!(fl.len(), 2);
        // The SYN-ACK of port 80 carries its cookie in the ack number.
        let key = Key {
            target: TARGET,
            proto: 6,
            port: 80,
            local: 40_000,
        };
        let c = inner.cookie(&key);
        let good = tcp_reply(TARGET, TcpFlags(0x12), c.wrapping_add(1));
        dispatch(inner, &good, &meta(good.len()));
        let d = fl.next().await.expect("answer");
        assert_eq!(d.tag, tag(0));
        assert!(matches!(
            d.outcome,
            ConnectOutcome::Decided {
                state: PortState::Open,
                ..
            }
        ));
        // Port 81 stays silent: it times out after its own 300 ms.
        let t0 = tokio::time::Instant::now();
        let d = fl.next().await.expect("timeout");
        assert_eq!((d.tag, d.outcome), (tag(1), ConnectOutcome::Timeout));
        assert!(t0.elapsed() >= ms(290));
        assert!(fl.is_empty() && fl.next().await.is_none());
        assert!(inner.waiters.lock().unwrap().is_empty());
        // A late answer to the timed-out probe reaches nobody, not even a
        // new probe that took over its slot.
        fl.launch(tag(2), 82, ms(100), None).unwrap();
        let key81 = Key { port: 81, ..key };
        let late = tcp(
            TARGET,
            81,
            US,
            40_000,
            TcpFlags(0x12),
            inner.cookie(&key81).wrapping_add(1),
        );
        dispatch(inner, &late, &meta(late.len()));
        let d = fl.next().await.expect("timeout of port 82");
        assert_eq!((d.tag, d.outcome), (tag(2), ConnectOutcome::Timeout));
        assert_eq!(inner.received.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_send_queue_refuses_the_probe_and_leaves_no_waiter() {
        use crate::connect::Flights;
        let (mut fl, io, _out) = flights();
        // The test engine's queue holds 16 packets and nobody drains it.
        for i in 0..16 {
            fl.launch(tag(i), 1000 + i as u16, Duration::from_secs(1), None)
                .unwrap();
        }
        assert!(
            fl.launch(tag(16), 2000, Duration::from_secs(1), None)
                .is_err()
        );
        assert_eq!(fl.len(), 16);
        assert_eq!(io.inner.waiters.lock().unwrap().len(), 16);
        // Dropping the flights unregisters every waiter.
        drop(fl);
        assert!(io.inner.waiters.lock().unwrap().is_empty());
    }

    #[test]
    fn only_replies_with_the_cookie_from_the_target_are_accepted() {
        let (inner, _out) = engine();
        let (mut rx, c) = waiting_syn(&inner);
        let syn_ack = TcpFlags(0x12);
        // Wrong acknowledgement number, or the right one from another host:
        // both ignored, the probe still waits.
        for bad in [
            tcp_reply(TARGET, syn_ack, c.wrapping_add(9)),
            tcp_reply(TARGET, syn_ack, c.wrapping_sub(1)),
            tcp_reply(OTHER, syn_ack, c.wrapping_add(1)),
        ] {
            dispatch(&inner, &bad, &meta(bad.len()));
            assert!(rx.try_recv().is_err());
        }
        let good = tcp_reply(TARGET, syn_ack, c.wrapping_add(1));
        dispatch(&inner, &good, &meta(good.len()));
        let a = rx.try_recv().expect("delivered");
        let verdict = crate::probe::Technique::SYN.classify(a.resp).unwrap();
        assert_eq!(
            (verdict.state, verdict.reason),
            (PortState::Open, Reason::SynAck)
        );
        assert_eq!(a.ttl, 64);
        // A duplicate finds no waiter.
        dispatch(&inner, &good, &meta(good.len()));
        assert_eq!(inner.received.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn an_icmp_error_must_quote_our_probe() {
        let (inner, _out) = engine();
        let (mut rx, c) = waiting_syn(&inner);
        let probe = |seq: u32| tcp(US, 40_000, TARGET, 80, TcpFlags::SYN, seq);
        let unreachable = |quoted: &[u8]| {
            let icmp = nmaps_wire::Icmpv4Repr::DstUnreachable {
                code: nmaps_wire::icmpv4::DstUnreachable::CommProhibited,
                rest: 0,
                quoted,
            };
            let mut body = vec![0u8; icmp.buffer_len()];
            icmp.emit(&mut nmaps_wire::Icmpv4Packet::new_unchecked(&mut body[..]));
            let IpAddr::V4(t) = TARGET else {
                unreachable!()
            };
            let IpAddr::V4(u) = US else { unreachable!() };
            let ip = nmaps_wire::Ipv4Repr {
                protocol: IpProtocol::Icmp,
                payload_len: body.len(),
                ttl: 63,
                ..nmaps_wire::Ipv4Repr::new(t, u)
            };
            let mut pkt = vec![0u8; ip.buffer_len() + body.len()];
            ip.emit(&mut nmaps_wire::Ipv4Packet::new_unchecked(&mut pkt[..]));
            pkt[ip.buffer_len()..].copy_from_slice(&body);
            pkt
        };
        let forged = unreachable(&probe(c ^ 0xdead)[..28]);
        dispatch(&inner, &forged, &meta(forged.len()));
        assert!(rx.try_recv().is_err());
        let real = unreachable(&probe(c)[..28]);
        dispatch(&inner, &real, &meta(real.len()));
        let a = rx.try_recv().expect("delivered");
        let v = crate::probe::Technique::SYN.classify(a.resp).unwrap();
        assert_eq!(
            (v.state, v.reason),
            (PortState::Filtered, Reason::AdminProhibited)
        );
    }

    #[test]
    fn hostile_packets_never_panic_nor_deliver() {
        use proptest::prelude::*;
        let (inner, _out) = engine();
        let (mut rx, _c) = waiting_syn(&inner);
        proptest!(ProptestConfig::with_cases(4000), |(mut bytes in proptest::collection::vec(any::<u8>(), 0..200), arp in any::<bool>())| {
            // Make most inputs look like IPv4 from the target, so the
            // parsers past the IP header get exercised.
            if bytes.len() > 20 {
                bytes[0] = 0x45;
                bytes[12..16].copy_from_slice(&[192, 0, 2, 7]);
            }
            let mut m = meta(bytes.len() + 7);
            if arp {
                m.protocol = ethertype::ARP;
            }
            dispatch(&inner, &bytes, &m);
        });
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn prefixes() {
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(prefix_match(a("198.18.0.0"), a("198.18.0.77"), 24));
        assert!(!prefix_match(a("198.18.0.0"), a("198.18.1.77"), 24));
        assert!(prefix_match(a("0.0.0.0"), a("192.0.2.8"), 0));
        assert!(prefix_match(a("fd00:18::"), a("fd00:18::53"), 64));
        assert!(!prefix_match(a("fd00:18::"), a("fd00:19::53"), 64));
        assert!(!prefix_match(a("fd00:18::"), a("198.18.0.1"), 0));
    }
}

/// A raw port-scan technique as a [`crate::connect::Prober`], so the
/// connect scan's scheduler (windows, retries, pacing, host timeouts)
/// drives it unchanged.
#[derive(Debug, Clone)]
pub struct RawScanner {
    pub io: Arc<RawIo>,
    pub technique: crate::probe::Technique,
}

impl crate::connect::Prober for RawScanner {
    type Flights = RawFlights;

    fn flights(self: &Arc<Self>, addr: IpAddr) -> RawFlights {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        RawFlights {
            io: self.io.clone(),
            technique: self.technique,
            addr,
            tx,
            rx,
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            timers: BinaryHeap::new(),
            ready: VecDeque::new(),
        }
    }
}

/// One host's raw probes in flight. No task, timer or channel per probe:
/// probes sit in slots, their deadlines in one heap, and the receive
/// thread sends every answer for this host down one channel tagged with
/// the probe's slot and waiter id.
pub struct RawFlights {
    io: Arc<RawIo>,
    technique: crate::probe::Technique,
    addr: IpAddr,
    tx: HostTx,
    rx: tokio::sync::mpsc::UnboundedReceiver<(u32, u64, Answer)>,
    slots: Vec<Option<Flight>>,
    free: Vec<u32>,
    live: usize,
    /// (deadline, slot, waiter id); entries of answered probes stay until
    /// they come up, and are skipped then.
    timers: BinaryHeap<Reverse<(tokio::time::Instant, u32, u64)>>,
    /// Outcomes decided at launch (no route to the target).
    ready: VecDeque<crate::connect::Done>,
}

struct Flight {
    tag: crate::connect::Tag,
    key: Key,
    id: u64,
    sent: tokio::time::Instant,
}

impl RawFlights {
    fn take(&mut self, slot: u32, id: u64) -> Option<Flight> {
        let cell = self.slots.get_mut(slot as usize)?;
        if cell.as_ref().is_none_or(|f| f.id != id) {
            return None;
        }
        let f = cell.take()?;
        self.free.push(slot);
        self.live -= 1;
        Some(f)
    }

    fn answered(&mut self, slot: u32, id: u64, a: Answer) -> Option<crate::connect::Done> {
        use crate::connect::{ConnectOutcome, Done};
        let f = self.take(slot, id)?;
        let now = tokio::time::Instant::now();
        let outcome = match self.technique.classify(a.resp) {
            Some(v) => ConnectOutcome::Decided {
                state: v.state,
                reason: v.reason,
                ttl: a.ttl,
                from: (a.from != self.addr).then_some(a.from),
            },
            // A reply that says nothing about the port (Nmap ignores
            // it): as good as none.
            None => ConnectOutcome::Timeout,
        };
        Some(Done {
            tag: f.tag,
            sent: f.sent,
            rtt: now.duration_since(f.sent),
            outcome,
        })
    }

    fn expired(&mut self, slot: u32, id: u64) -> Option<crate::connect::Done> {
        let key = self.slots.get(slot as usize)?.as_ref()?.key;
        // If the receive thread took the waiter first, its answer is
        // already in the channel: let that decide.
        if !self.io.inner.unregister(&key, id) {
            return None;
        }
        let f = self.take(slot, id)?;
        Some(crate::connect::Done {
            tag: f.tag,
            sent: f.sent,
            rtt: f.sent.elapsed(),
            outcome: crate::connect::ConnectOutcome::Timeout,
        })
    }
}

impl crate::connect::Flights for RawFlights {
    const USES_SOCKETS: bool = false;

    fn len(&self) -> usize {
        self.live + self.ready.len()
    }

    fn launch(
        &mut self,
        tag: crate::connect::Tag,
        port: u16,
        timeout: Duration,
        _permit: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<(), ()> {
        use crate::connect::{ConnectOutcome, Done};
        let now = tokio::time::Instant::now();
        let probe = self.technique.probe(port);
        let (key, cookie, out) = match self.io.build(self.addr, probe, Class::Scan) {
            Ok(b) => b,
            Err(_) => {
                self.ready.push_back(Done {
                    tag,
                    sent: now,
                    rtt: Duration::ZERO,
                    outcome: ConnectOutcome::Decided {
                        state: self.technique.silence(),
                        reason: nmaps_model::Reason::NoResponse,
                        ttl: 0,
                        from: None,
                    },
                });
                return Ok(());
            }
        };
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        let inner = &self.io.inner;
        let id = inner.register(key, cookie, ReplyTo::Host(self.tx.clone(), slot));
        if inner.send(out).is_err() {
            inner.unregister(&key, id);
            self.free.push(slot);
            return Err(());
        }
        self.slots[slot as usize] = Some(Flight {
            tag,
            key,
            id,
            sent: now,
        });
        self.live += 1;
        self.timers.push(Reverse((now + timeout, slot, id)));
        Ok(())
    }

    async fn next(&mut self) -> Option<crate::connect::Done> {
        loop {
            if let Some(d) = self.ready.pop_front() {
                return Some(d);
            }
            if self.live == 0 {
                return None;
            }
            // Answers first: one that beat its deadline counts.
            while let Ok((slot, id, a)) = self.rx.try_recv() {
                if let Some(d) = self.answered(slot, id, a) {
                    return Some(d);
                }
            }
            let now = tokio::time::Instant::now();
            while let Some(&Reverse((at, slot, id))) = self.timers.peek() {
                if at > now {
                    break;
                }
                self.timers.pop();
                if let Some(d) = self.expired(slot, id) {
                    return Some(d);
                }
            }
            let Some(&Reverse((at, _, _))) = self.timers.peek() else {
                // Live probes always have a timer; this is unreachable,
                // but waiting for an answer is the safe reading.
                if let Some((slot, id, a)) = self.rx.recv().await
                    && let Some(d) = self.answered(slot, id, a)
                {
                    return Some(d);
                }
                continue;
            };
            tokio::select! {
                m = self.rx.recv() => {
                    if let Some((slot, id, a)) = m
                        && let Some(d) = self.answered(slot, id, a)
                    {
                        return Some(d);
                    }
                }
                _ = tokio::time::sleep_until(at) => {}
            }
        }
    }

    fn abort_all(&mut self) {
        let inner = &self.io.inner;
        for f in self.slots.iter_mut().filter_map(Option::take) {
            inner.unregister(&f.key, f.id);
        }
        self.free.clear();
        self.slots.clear();
        self.live = 0;
        self.timers.clear();
        self.ready.clear();
    }
}

impl Drop for RawFlights {
    fn drop(&mut self) {
        crate::connect::Flights::abort_all(self);
    }
}
