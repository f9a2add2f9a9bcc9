//! Raw send and receive over loopback, inside a private network namespace
//! this test creates (and deletes in a `Drop` guard). Every raw socket is
//! created in a thread that has entered that namespace, which has only
//! `lo` and no default route, and every probe goes to 127.0.0.1 there.
//! Needs root and iproute2; fails otherwise.

// Only `enter_netns` uses unsafe (the `setns` call).
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::{Duration, Instant};

use nmaps_netio::iface;
use nmaps_netio::raw::{RawIpSender, RawTcpReceiver};
use nmaps_netio::route::source_for;
use nmaps_wire::{
    Body, IpPair, IpProtocol, Ipv4Packet, Ipv4Repr, TcpFlags, TcpOptions, TcpPacket, TcpRepr,
    parse_reply,
};

/// Deletes the namespace when dropped, even on panic.
struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn ip(args: &[&str]) -> io::Result<()> {
    let status = Command::new("ip").args(args).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("ip {args:?}: {status}")))
    }
}

/// Moves the calling thread (only) into the named network namespace.
fn enter_netns(name: &str) -> io::Result<()> {
    let file = File::open(format!("/var/run/netns/{name}"))?;
    // SAFETY: `file` is an open namespace file descriptor for the whole
    // call; setns only changes the calling thread's network namespace.
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn netns_inode(path: &str) -> String {
    std::fs::read_link(path).unwrap().display().to_string()
}

fn syn(src_port: u16, dst_port: u16, seq: u32) -> Vec<u8> {
    let (src, dst) = (Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST);
    let tcp = TcpRepr {
        src_port,
        dst_port,
        seq_number: seq,
        ack_number: 0,
        flags: TcpFlags::SYN,
        window_len: 1024,
        urgent_pointer: 0,
        options: TcpOptions::EMPTY,
        payload: &[],
    };
    let ip = Ipv4Repr {
        protocol: IpProtocol::Tcp,
        payload_len: tcp.buffer_len(),
        ..Ipv4Repr::new(src, dst)
    };
    let mut buf = vec![0u8; ip.buffer_len() + tcp.buffer_len()];
    let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
    ip.emit(&mut packet);
    tcp.emit(
        &mut TcpPacket::new_unchecked(packet.payload_mut()),
        &IpPair::V4 { src, dst },
    );
    buf
}

/// Runs inside the namespace thread.
fn probe_loopback() {
    // We really are elsewhere than the process's main thread.
    assert_ne!(
        netns_inode("/proc/thread-self/ns/net"),
        netns_inode("/proc/self/ns/net")
    );
    // Only loopback, no default route.
    let ifaces = iface::interfaces().unwrap();
    assert!(
        !ifaces.is_empty() && ifaces.iter().all(|i| i.loopback),
        "{ifaces:?}"
    );
    assert!(
        ifaces
            .iter()
            .all(|i| i.up && i.mtu.is_some() && i.index > 0),
        "{ifaces:?}"
    );
    let routes = iface::routes().unwrap();
    assert!(
        routes.iter().all(|r| !r.is_default() && r.iface == "lo"),
        "{routes:?}"
    );
    assert_eq!(
        source_for(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap(),
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    );
    assert!(source_for(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))).is_err());

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = {
        let tmp = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        tmp.local_addr().unwrap().port()
    };

    let receiver = RawTcpReceiver::new().unwrap();
    let sender = RawIpSender::new().unwrap();
    let (sport_open, sport_closed) = (41_001u16, 41_002u16);
    let (seq_open, seq_closed) = (0x1234_5678u32, 0xffff_ffffu32);
    let probe_open = syn(sport_open, open, seq_open);
    let probe_closed = syn(sport_closed, closed, seq_closed);
    let sent = sender
        .send_batch(&[
            (&probe_open, Ipv4Addr::LOCALHOST),
            (&probe_closed, Ipv4Addr::LOCALHOST),
        ])
        .unwrap();
    assert_eq!(sent, 2);

    let (mut synack, mut rst) = (false, false);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 2048];
    while !(synack && rst) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "timed out: syn-ack {synack}, rst {rst}");
        let Some(n) = receiver.recv_timeout(&mut buf, left).unwrap() else {
            continue;
        };
        let Ok(reply) = parse_reply(&buf[..n]) else {
            continue;
        };
        let Body::Tcp(seg) = reply.body else {
            continue;
        };
        assert_eq!(reply.ip.src, IpAddr::V4(Ipv4Addr::LOCALHOST));
        // No checksum check: on loopback the kernel leaves locally
        // generated segments with a partial (offloaded) checksum.
        if (seg.src_port, seg.dst_port) == (open, sport_open)
            && seg.flags.contains(TcpFlags::SYN | TcpFlags::ACK)
        {
            assert_eq!(seg.ack, seq_open.wrapping_add(1));
            synack = true;
        } else if (seg.src_port, seg.dst_port) == (closed, sport_closed) {
            assert!(seg.flags.contains(TcpFlags::RST), "{seg:?}");
            assert_eq!(seg.ack, seq_closed.wrapping_add(1));
            rst = true;
        }
    }
    // A second, single send also works.
    assert_eq!(
        sender.send(&probe_closed, Ipv4Addr::LOCALHOST).unwrap(),
        probe_closed.len()
    );
    drop(listener);
}

#[test]
fn syn_to_open_and_closed_port_in_private_netns() {
    let root = std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false);
    // Like every namespace test of the project, this needs root and iproute2
    // (scripts/test runs as root): fail loudly rather than pass silently.
    assert!(root, "run as root: the test creates a network namespace");
    assert!(
        Command::new("ip").arg("-V").output().is_ok(),
        "iproute2 (`ip`) is missing"
    );
    let name = format!("nmaps-netio-{}", std::process::id());
    ip(&["netns", "add", &name]).unwrap();
    let ns = Netns(name);
    ip(&["-n", &ns.0, "link", "set", "lo", "up"]).unwrap();

    let thread_ns = ns.0.clone();
    let result = std::thread::spawn(move || {
        // Never reach the raw sockets unless the thread is in the namespace.
        enter_netns(&thread_ns).expect("setns into the test namespace");
        probe_loopback();
    })
    .join();
    drop(ns);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
