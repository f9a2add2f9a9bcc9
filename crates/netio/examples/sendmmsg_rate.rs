//! The baseline of benchmark (d): a plain `sendmmsg` loop of prebuilt TCP
//! SYNs, as fast as one thread can send. `bench/raw-lab` runs it in the
//! lab's scanner namespace next to an nmaps scan of the same size.
//!
//! usage: sendmmsg_rate SRC DST PACKETS [FIRST_PORT | sweep]
//! Prints `packets seconds packets_per_second`.
//!
//! With `sweep` the packets go to ports 80 and 443 of DST, DST+1, … in
//! turn: the probes of `-p80,443` over a range of hosts (benchmark (b)).
//!
//! With `SENDMMSG_LINK=IFACE,MAC` in the environment the same packets leave
//! as Ethernet frames to MAC through `AF_PACKET` on IFACE, the way nmaps
//! sends IPv4 probes to an Ethernet next hop, instead of through the raw IP
//! socket.

// A command-line tool: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use nmaps_netio::raw::RawIpSender;
use nmaps_wire::{IpPair, IpProtocol, Ipv4Packet, Ipv4Repr, TcpFlags, TcpPacket, TcpRepr};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

fn syn(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16) -> Vec<u8> {
    let tcp = TcpRepr {
        src_port: sport,
        dst_port: dport,
        seq_number: 0x1234_5678 ^ u32::from(dport),
        ack_number: 0,
        flags: TcpFlags::SYN,
        window_len: 1024,
        urgent_pointer: 0,
        options: nmaps_wire::TcpOptions::EMPTY,
        payload: &[],
    };
    let ip = Ipv4Repr {
        protocol: IpProtocol::Tcp,
        payload_len: tcp.buffer_len(),
        ttl: 64,
        ident: dport,
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: sendmmsg_rate SRC DST PACKETS [FIRST_PORT | sweep]");
        std::process::exit(2);
    }
    let src: Ipv4Addr = args[1].parse().expect("SRC");
    let dst: Ipv4Addr = args[2].parse().expect("DST");
    let count: usize = args[3].parse().expect("PACKETS");
    let sweep = args.get(4).is_some_and(|a| a == "sweep");
    let first: u16 = match args.get(4) {
        Some(a) if !sweep => a.parse().expect("FIRST_PORT"),
        _ => 1,
    };
    let packets: Vec<(Vec<u8>, Ipv4Addr)> = (0..count)
        .map(|i| {
            if sweep {
                let to = Ipv4Addr::from(u32::from(dst).wrapping_add((i / 2) as u32));
                let port = if i % 2 == 0 { 80 } else { 443 };
                (syn(src, to, 40_000, port), to)
            } else {
                (syn(src, dst, 40_000, first.wrapping_add(i as u16)), dst)
            }
        })
        .collect();
    if let Ok(link) = std::env::var("SENDMMSG_LINK") {
        let (iface, mac) = link.split_once(',').expect("SENDMMSG_LINK=IFACE,MAC");
        let mac = nmaps_netio::iface::parse_mac(mac).expect("MAC");
        let index = nmaps_netio::iface::interfaces()
            .expect("interfaces")
            .into_iter()
            .find(|i| i.name == iface)
            .expect("no such interface")
            .index;
        let sender = nmaps_netio::capture::LinkSender::new(index as i32).expect("AF_PACKET socket");
        let start = Instant::now();
        for chunk in packets.chunks(256) {
            let batch: Vec<(&[u8], [u8; 6])> =
                chunk.iter().map(|(p, _)| (p.as_slice(), mac)).collect();
            let mut at = 0;
            while at < batch.len() {
                match sender.send_batch(&batch[at..], nmaps_netio::capture::ethertype::IPV4) {
                    Ok(n) if n > 0 => at += n,
                    _ => at += 1,
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        println!("{count} {secs:.4} {:.0}", count as f64 / secs);
        return;
    }
    let sender = RawIpSender::new().expect("raw socket (needs root)");
    let _ = sender.socket().set_send_buffer_size(4 << 20);
    let start = Instant::now();
    for chunk in packets.chunks(256) {
        let batch: Vec<(&[u8], IpAddr)> = chunk
            .iter()
            .map(|(p, to)| (p.as_slice(), IpAddr::V4(*to)))
            .collect();
        let mut at = 0;
        while at < batch.len() {
            match sender.send_batch_ip(&batch[at..]) {
                Ok(n) if n > 0 => at += n,
                _ => at += 1,
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{count} {secs:.4} {:.0}", count as f64 / secs);
}
