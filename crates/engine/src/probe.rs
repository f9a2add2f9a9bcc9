//! What the raw engines send and how they read what comes back.
//!
//! A [`Probe`] is one packet's worth of intent (a SYN to port 80, an ICMP
//! echo, a UDP datagram with the DNS payload…); [`build`] turns it into
//! bytes. A reply is summarised as an owned [`Response`] by the receive
//! thread, and each scan technique's [`Technique::classify`] turns it into
//! a port state and reason exactly as Nmap decides them
//! (reference: nmap.md §4.2).

use nmaps_model::{PortState, Reason};
use nmaps_wire::{
    IcmpError, IpPair, IpProtocol, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr, SctpChunkRepr,
    SctpChunkType, TcpFlags, TcpOption, TcpOptions, TcpPacket, TcpRepr, UdpPacket, UdpRepr,
    reply::IcmpErrorKind,
};
use std::net::IpAddr;

/// One probe to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// A TCP segment with these flags. SYN probes carry an MSS option, as
    /// Nmap's do; `seq` (and `ack` when the ACK flag is set) is the cookie.
    Tcp { flags: TcpFlags, port: u16 },
    /// A UDP datagram (with the port's protocol payload when there is one).
    Udp { port: u16 },
    /// SCTP INIT (`cookie_echo == false`) or COOKIE-ECHO.
    Sctp { port: u16, cookie_echo: bool },
    /// A bare IP packet of this protocol (`-sO`, `-PO`), with a minimal
    /// valid header for TCP, UDP, SCTP, ICMP and IGMP.
    IpProto { protocol: u8 },
    /// ICMP (or ICMPv6) echo request.
    Echo,
    /// ICMP timestamp request.
    Timestamp,
    /// ICMP address-mask request.
    AddressMask,
}

/// Packet-level options from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacketOpts {
    /// `--ttl`; Nmap's default is a random TTL in 37..=59... we keep 64
    /// minus a little per run (set by the caller).
    pub ttl: u8,
    /// `--data-length`: random bytes appended (instead of a UDP payload).
    pub data: Option<Vec<u8>>,
    /// `--badsum`: a wrong transport checksum.
    pub badsum: bool,
}

/// Fields the receive side needs to recognise replies to a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids {
    /// Our source port (TCP/UDP/SCTP) or ICMP identifier.
    pub local: u16,
    /// TCP sequence/ack, SCTP tag, ICMP sequence: the keyed cookie.
    pub cookie: u32,
    /// IPv4 identification.
    pub ip_id: u16,
}

/// Builds the full IP packet for `probe`.
pub fn build(
    probe: Probe,
    src: IpAddr,
    dst: IpAddr,
    ids: Ids,
    opts: &PacketOpts,
    udp_payload: &[u8],
) -> Option<Vec<u8>> {
    let ips = match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => IpPair::V4 { src, dst },
        (IpAddr::V6(src), IpAddr::V6(dst)) => IpPair::V6 { src, dst },
        _ => return None,
    };
    let v6 = dst.is_ipv6();
    let extra: &[u8] = opts.data.as_deref().unwrap_or(&[]);
    let (protocol, mut transport): (IpProtocol, Vec<u8>) = match probe {
        Probe::Tcp { flags, port } => (IpProtocol::Tcp, tcp_segment(&ips, ids, flags, port, extra)),
        Probe::Udp { port } => {
            let payload = if opts.data.is_some() {
                extra
            } else {
                udp_payload
            };
            (
                IpProtocol::Udp,
                udp_datagram(&ips, ids.local, port, payload),
            )
        }
        Probe::Sctp { port, cookie_echo } => {
            (IpProtocol::Sctp, sctp_packet(ids, port, cookie_echo, extra))
        }
        Probe::Echo | Probe::Timestamp | Probe::AddressMask => {
            let p = icmp_message(&ips, probe, ids, extra)?;
            (
                if v6 {
                    IpProtocol::Icmpv6
                } else {
                    IpProtocol::Icmp
                },
                p,
            )
        }
        Probe::IpProto { protocol } => ip_proto_payload(&ips, protocol, ids, extra),
    };
    if opts.badsum {
        corrupt_checksum(protocol, &mut transport);
    }
    Some(wrap(&ips, protocol, opts.ttl, ids.ip_id, &transport))
}

fn tcp_segment(ips: &IpPair, ids: Ids, flags: TcpFlags, port: u16, payload: &[u8]) -> Vec<u8> {
    let options = if flags == TcpFlags::SYN {
        TcpOptions::from_options(&[TcpOption::MaxSegmentSize(1460)]).unwrap_or(TcpOptions::EMPTY)
    } else {
        TcpOptions::EMPTY
    };
    let tcp = TcpRepr {
        src_port: ids.local,
        dst_port: port,
        seq_number: ids.cookie,
        ack_number: if flags.contains(TcpFlags::ACK) {
            ids.cookie
        } else {
            0
        },
        flags,
        window_len: 1024,
        urgent_pointer: 0,
        options,
        payload,
    };
    let mut buf = vec![0u8; tcp.buffer_len()];
    tcp.emit(&mut TcpPacket::new_unchecked(&mut buf[..]), ips);
    buf
}

fn udp_datagram(ips: &IpPair, local: u16, port: u16, payload: &[u8]) -> Vec<u8> {
    let udp = UdpRepr {
        src_port: local,
        dst_port: port,
        payload,
    };
    let mut buf = vec![0u8; udp.buffer_len()];
    udp.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), ips);
    buf
}

fn sctp_packet(ids: Ids, port: u16, cookie_echo: bool, extra: &[u8]) -> Vec<u8> {
    use nmaps_wire::sctp::InitChunk;
    let chunk = if cookie_echo {
        SctpChunkRepr::CookieEcho { cookie: &[0u8; 4] }
    } else {
        SctpChunkRepr::Init(InitChunk {
            initiate_tag: ids.cookie,
            a_rwnd: 32768,
            outbound_streams: 10,
            inbound_streams: 2048,
            initial_tsn: ids.cookie.rotate_left(16),
            params: &[],
        })
    };
    let mut chunks = vec![0u8; chunk.buffer_len()];
    chunk.emit(&mut chunks);
    chunks.extend_from_slice(extra);
    let sctp = nmaps_wire::SctpRepr {
        src_port: ids.local,
        dst_port: port,
        // An INIT must carry tag 0; a COOKIE-ECHO carries ours (the
        // target answers an unexpected one with an ABORT reflecting it).
        verification_tag: if cookie_echo { ids.cookie } else { 0 },
        chunks: &chunks,
    };
    let mut buf = vec![0u8; sctp.buffer_len()];
    sctp.emit(
        &mut nmaps_wire::SctpPacket::new_unchecked(&mut buf[..]),
        nmaps_wire::SctpChecksumKind::Crc32c,
    );
    buf
}

fn icmp_message(ips: &IpPair, probe: Probe, ids: Ids, data: &[u8]) -> Option<Vec<u8>> {
    let (ident, seq_no) = (ids.local, ids.cookie as u16);
    match ips {
        IpPair::V4 { .. } => {
            use nmaps_wire::Icmpv4Repr as R;
            let repr = match probe {
                Probe::Echo => R::EchoRequest {
                    ident,
                    seq_no,
                    data,
                },
                Probe::Timestamp => R::Timestamp {
                    ident,
                    seq_no,
                    originate: 0,
                    receive: 0,
                    transmit: 0,
                },
                Probe::AddressMask => R::AddressMaskRequest {
                    ident,
                    seq_no,
                    mask: std::net::Ipv4Addr::UNSPECIFIED,
                },
                _ => return None,
            };
            let mut buf = vec![0u8; repr.buffer_len()];
            repr.emit(&mut nmaps_wire::Icmpv4Packet::new_unchecked(&mut buf[..]));
            Some(buf)
        }
        IpPair::V6 { .. } => {
            let Probe::Echo = probe else { return None };
            let repr = nmaps_wire::Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            };
            let mut buf = vec![0u8; repr.buffer_len()];
            repr.emit(
                &mut nmaps_wire::Icmpv6Packet::new_unchecked(&mut buf[..]),
                ips,
            );
            Some(buf)
        }
    }
}

/// `-sO`/`-PO`: the protocols Nmap gives a real header send one (so the
/// target's stack answers in kind); the others go out empty.
fn ip_proto_payload(ips: &IpPair, protocol: u8, ids: Ids, extra: &[u8]) -> (IpProtocol, Vec<u8>) {
    let proto = IpProtocol::from(protocol);
    let v6 = matches!(ips, IpPair::V6 { .. });
    let body = match (protocol, v6) {
        (6, _) => tcp_segment(ips, ids, TcpFlags::ACK, 80, extra),
        (17, _) => udp_datagram(ips, ids.local, 40125, extra),
        (132, _) => sctp_packet(ids, 80, false, extra),
        (1, false) | (58, true) => icmp_message(ips, Probe::Echo, ids, extra).unwrap_or_default(),
        (2, false) => {
            // IGMPv2 membership query, checksummed.
            let mut b = vec![0x11, 0, 0, 0, 0, 0, 0, 0];
            let sum = !nmaps_wire::checksum::data(&b);
            b[2..4].copy_from_slice(&sum.to_be_bytes());
            b
        }
        _ => extra.to_vec(),
    };
    (proto, body)
}

fn corrupt_checksum(protocol: IpProtocol, transport: &mut [u8]) {
    let at = match protocol {
        IpProtocol::Tcp => 16,
        IpProtocol::Udp => 6,
        IpProtocol::Icmp | IpProtocol::Icmpv6 => 2,
        IpProtocol::Sctp => 8,
        _ => return,
    };
    if let Some(b) = transport.get_mut(at) {
        *b ^= 0x5a;
    }
}

fn wrap(ips: &IpPair, protocol: IpProtocol, ttl: u8, ident: u16, transport: &[u8]) -> Vec<u8> {
    match *ips {
        IpPair::V4 { src, dst } => {
            let ip = Ipv4Repr {
                protocol,
                payload_len: transport.len(),
                ttl,
                ident,
                ..Ipv4Repr::new(src, dst)
            };
            let mut buf = vec![0u8; ip.buffer_len() + transport.len()];
            let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
            ip.emit(&mut packet);
            buf[ip.buffer_len()..].copy_from_slice(transport);
            buf
        }
        IpPair::V6 { src, dst } => {
            let ip = Ipv6Repr {
                next_header: protocol,
                payload_len: transport.len(),
                hop_limit: ttl,
                ..Ipv6Repr::new(src, dst)
            };
            let mut buf = vec![0u8; nmaps_wire::IPV6_HEADER_LEN + transport.len()];
            ip.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
            buf[nmaps_wire::IPV6_HEADER_LEN..].copy_from_slice(transport);
            buf
        }
    }
}

/// A reply, summarised and owned (the receive thread's buffer is reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    Tcp {
        flags: TcpFlags,
        window: u16,
    },
    Udp,
    Sctp {
        chunk: Option<SctpChunkType>,
    },
    /// An ICMP/ICMPv6 error about our probe. `from_target`: sent by the
    /// target itself rather than a router on the way.
    IcmpError {
        v6: bool,
        kind: IcmpErrorKind,
        code: u8,
        from_target: bool,
    },
    EchoReply,
    TimestampReply,
    AddressMaskReply,
    /// `-sO`/`-PO`: any packet of the probed protocol from the target.
    /// For ICMP, the reason its type gives (Nmap's rule: any ICMP packet
    /// from the target shows protocol 1 open).
    Protocol {
        icmp: Option<Reason>,
    },
    ArpReply,
    NeighborAdvert,
}

/// What the engine decides from a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub state: PortState,
    pub reason: Reason,
}

/// The reason an ICMP error gives, and whether Nmap counts it at all.
pub fn icmp_reason(v6: bool, kind: IcmpErrorKind, code: u8) -> Option<Reason> {
    Some(match (v6, kind) {
        (_, IcmpErrorKind::TimeExceeded) => Reason::TimeExceeded,
        (_, IcmpErrorKind::SourceQuench) => Reason::SourceQuench,
        (true, IcmpErrorKind::ParamProblem) => Reason::ParamProblem,
        (false, IcmpErrorKind::DstUnreachable) => match code {
            0 => Reason::NetUnreach,
            1 => Reason::HostUnreach,
            2 => Reason::ProtoUnreach,
            3 => Reason::PortUnreach,
            9 => Reason::NetProhibited,
            10 => Reason::HostProhibited,
            13 => Reason::AdminProhibited,
            _ => Reason::DestUnreach,
        },
        (true, IcmpErrorKind::DstUnreachable) => match code {
            0 => Reason::NoRoute,
            1 => Reason::AdminProhibited,
            2 => Reason::BeyondScope,
            3 => Reason::HostUnreach,
            4 => Reason::PortUnreach,
            _ => Reason::RejectRoute,
        },
        _ => return None,
    })
}

/// How a TCP technique reads a RST (and what silence means).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpRead {
    /// SYN scan: SYN/ACK open, RST closed, silence filtered.
    Syn,
    /// ACK scan: RST unfiltered, silence filtered.
    Ack,
    /// Window scan: RST with a window open, without closed.
    Window,
    /// FIN, NULL, Xmas, Maimon: RST closed, silence open|filtered.
    Fin,
}

/// A port-scan technique of the raw engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Technique {
    /// `-sS`, `-sA`, `-sW`, `-sM`, `-sN`, `-sF`, `-sX`, `--scanflags`.
    Tcp { flags: TcpFlags, read: TcpRead },
    /// `-sU`.
    Udp,
    /// `-sY` (INIT) / `-sZ` (COOKIE-ECHO).
    Sctp { cookie_echo: bool },
    /// `-sO`: ports are protocol numbers.
    IpProto,
}

impl Technique {
    pub const SYN: Self = Self::Tcp {
        flags: TcpFlags::SYN,
        read: TcpRead::Syn,
    };

    /// The probe for `port`.
    pub fn probe(self, port: u16) -> Probe {
        match self {
            Self::Tcp { flags, .. } => Probe::Tcp { flags, port },
            Self::Udp => Probe::Udp { port },
            Self::Sctp { cookie_echo } => Probe::Sctp { port, cookie_echo },
            Self::IpProto => Probe::IpProto {
                protocol: port as u8,
            },
        }
    }

    /// The state of a port that never answered.
    pub fn silence(self) -> PortState {
        match self {
            Self::Tcp {
                read: TcpRead::Fin, ..
            }
            | Self::Udp
            | Self::Sctp { cookie_echo: true }
            | Self::IpProto => PortState::OpenFiltered,
            _ => PortState::Filtered,
        }
    }

    /// First scan-delay step when loss shows a rate limit: Nmap starts UDP
    /// (ICMP-limited, about one answer a second on Linux) at 50 ms and TCP
    /// at 5 ms.
    pub fn boost_delay(self) -> std::time::Duration {
        match self {
            Self::Udp | Self::IpProto => std::time::Duration::from_millis(50),
            _ => std::time::Duration::from_millis(5),
        }
    }

    /// The name of the scan in `-v` lines and `<scaninfo type=…>`.
    pub fn task_name(self) -> &'static str {
        match self {
            Self::Tcp { read, flags } => match (read, flags.low_byte()) {
                (TcpRead::Syn, 0x02) => "SYN Stealth Scan",
                (TcpRead::Ack, 0x10) => "ACK Scan",
                (TcpRead::Window, _) => "Window Scan",
                (TcpRead::Fin, 0x01) => "FIN Scan",
                (TcpRead::Fin, 0x00) => "NULL Scan",
                (TcpRead::Fin, 0x29) => "XMAS Scan",
                (TcpRead::Fin, 0x11) => "Maimon Scan",
                (TcpRead::Syn, _) => "SYN Stealth Scan",
                (TcpRead::Ack, _) => "ACK Scan",
                (TcpRead::Fin, _) => "FIN Scan",
            },
            Self::Udp => "UDP Scan",
            Self::Sctp { cookie_echo: false } => "SCTP INIT Scan",
            Self::Sctp { cookie_echo: true } => "SCTP COOKIE-ECHO Scan",
            Self::IpProto => "IPProto Scan",
        }
    }

    /// The transport protocol of the scan's ports.
    pub fn protocol(self) -> nmaps_model::Protocol {
        match self {
            Self::Tcp { .. } => nmaps_model::Protocol::Tcp,
            Self::Udp => nmaps_model::Protocol::Udp,
            Self::Sctp { .. } => nmaps_model::Protocol::Sctp,
            Self::IpProto => nmaps_model::Protocol::Ip,
        }
    }

    /// The state and reason a response gives, or `None` when the response
    /// says nothing about the port (Nmap ignores it and keeps waiting).
    pub fn classify(self, resp: Response) -> Option<Verdict> {
        let v = |state, reason| Some(Verdict { state, reason });
        if let Response::IcmpError {
            v6,
            kind,
            code,
            from_target,
        } = resp
        {
            let reason = icmp_reason(v6, kind, code)?;
            if kind == IcmpErrorKind::SourceQuench {
                return None;
            }
            let port_unreach = reason == Reason::PortUnreach;
            let proto_unreach = reason == Reason::ProtoUnreach
                || (v6 && kind == IcmpErrorKind::ParamProblem && code == 1);
            return match self {
                Self::Udp if port_unreach && from_target => v(PortState::Closed, reason),
                Self::IpProto if proto_unreach && from_target => v(PortState::Closed, reason),
                Self::IpProto if port_unreach && from_target => v(PortState::Open, reason),
                _ => v(PortState::Filtered, reason),
            };
        }
        match (self, resp) {
            (Self::Tcp { read, .. }, Response::Tcp { flags, window }) => {
                let rst = flags.contains(TcpFlags::RST);
                match read {
                    TcpRead::Syn if flags.contains(TcpFlags::SYN) && !rst => {
                        if flags.contains(TcpFlags::ACK) {
                            v(PortState::Open, Reason::SynAck)
                        } else {
                            v(PortState::Open, Reason::SplitHandshakeSyn)
                        }
                    }
                    TcpRead::Syn | TcpRead::Fin if rst => v(PortState::Closed, Reason::Reset),
                    TcpRead::Ack if rst => v(PortState::Unfiltered, Reason::Reset),
                    TcpRead::Window if rst => v(
                        if window != 0 {
                            PortState::Open
                        } else {
                            PortState::Closed
                        },
                        Reason::Reset,
                    ),
                    _ => None,
                }
            }
            (Self::Udp, Response::Udp) => v(PortState::Open, Reason::UdpResponse),
            (Self::Sctp { cookie_echo }, Response::Sctp { chunk }) => match chunk {
                Some(SctpChunkType::InitAck) if !cookie_echo => v(PortState::Open, Reason::InitAck),
                Some(SctpChunkType::Abort) => v(PortState::Closed, Reason::Abort),
                _ => None,
            },
            (Self::IpProto, Response::Protocol { icmp }) => {
                v(PortState::Open, icmp.unwrap_or(Reason::ProtoResponse))
            }
            _ => None,
        }
    }
}

/// Nmap's reason for an ICMPv4 message of any type (its `icmp_to_reason`).
pub fn icmpv4_reason(msg_type: u8, code: u8) -> Reason {
    match msg_type {
        0 => Reason::EchoReply,
        3 => icmp_reason(false, IcmpErrorKind::DstUnreachable, code).unwrap_or(Reason::DestUnreach),
        4 => Reason::SourceQuench,
        11 => Reason::TimeExceeded,
        14 => Reason::TimestampReply,
        18 => Reason::AddressmaskReply,
        _ => Reason::UnknownResponse,
    }
}

/// Reads an ICMP error of `parse_reply` into a [`Response`], given who
/// the probe went to.
pub fn icmp_response(err: &IcmpError<'_>, reporter: IpAddr, target: IpAddr) -> Response {
    Response::IcmpError {
        v6: err.v6,
        kind: err.kind,
        code: err.code,
        from_target: reporter == target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    type Case = (Technique, Response, Option<(PortState, Reason)>);

    const TCP_SCANS: [Case; 8] = [
        (
            Technique::SYN,
            Response::Tcp {
                flags: TcpFlags(0x12),
                window: 100,
            },
            Some((PortState::Open, Reason::SynAck)),
        ),
        (
            Technique::SYN,
            Response::Tcp {
                flags: TcpFlags(0x14),
                window: 0,
            },
            Some((PortState::Closed, Reason::Reset)),
        ),
        (
            Technique::SYN,
            Response::Tcp {
                flags: TcpFlags(0x02),
                window: 0,
            },
            Some((PortState::Open, Reason::SplitHandshakeSyn)),
        ),
        (
            Technique::Tcp {
                flags: TcpFlags::ACK,
                read: TcpRead::Ack,
            },
            Response::Tcp {
                flags: TcpFlags(0x04),
                window: 0,
            },
            Some((PortState::Unfiltered, Reason::Reset)),
        ),
        (
            Technique::Tcp {
                flags: TcpFlags::ACK,
                read: TcpRead::Window,
            },
            Response::Tcp {
                flags: TcpFlags(0x04),
                window: 5,
            },
            Some((PortState::Open, Reason::Reset)),
        ),
        (
            Technique::Tcp {
                flags: TcpFlags(0),
                read: TcpRead::Fin,
            },
            Response::Tcp {
                flags: TcpFlags(0x14),
                window: 0,
            },
            Some((PortState::Closed, Reason::Reset)),
        ),
        (
            Technique::Udp,
            Response::IcmpError {
                v6: false,
                kind: IcmpErrorKind::DstUnreachable,
                code: 3,
                from_target: true,
            },
            Some((PortState::Closed, Reason::PortUnreach)),
        ),
        (
            Technique::Udp,
            Response::IcmpError {
                v6: false,
                kind: IcmpErrorKind::DstUnreachable,
                code: 13,
                from_target: true,
            },
            Some((PortState::Filtered, Reason::AdminProhibited)),
        ),
    ];

    #[test]
    fn decisions_follow_nmaps_table() {
        for (i, (t, r, want)) in TCP_SCANS.iter().enumerate() {
            let got = t.classify(*r).map(|v| (v.state, v.reason));
            assert_eq!(got, *want, "case {i}");
        }
        assert_eq!(Technique::Udp.silence(), PortState::OpenFiltered);
        assert_eq!(Technique::SYN.silence(), PortState::Filtered);
        // A router's port-unreachable says nothing about the target's port.
        let from_router = Response::IcmpError {
            v6: false,
            kind: IcmpErrorKind::DstUnreachable,
            code: 3,
            from_target: false,
        };
        assert_eq!(
            Technique::Udp.classify(from_router).map(|v| v.state),
            Some(PortState::Filtered)
        );
    }

    #[test]
    fn probes_parse_back() {
        let (src, dst) = (
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        );
        let ids = Ids {
            local: 40000,
            cookie: 0xdead_beef,
            ip_id: 7,
        };
        let opts = PacketOpts {
            ttl: 50,
            ..PacketOpts::default()
        };
        for probe in [
            Probe::Tcp {
                flags: TcpFlags::SYN,
                port: 80,
            },
            Probe::Udp { port: 53 },
            Probe::Sctp {
                port: 80,
                cookie_echo: false,
            },
            Probe::Echo,
            Probe::Timestamp,
            Probe::AddressMask,
            Probe::IpProto { protocol: 2 },
            Probe::IpProto { protocol: 200 },
        ] {
            let bytes = build(probe, src, dst, ids, &opts, b"x").unwrap();
            let r = nmaps_wire::parse_reply(&bytes).unwrap();
            assert_eq!((r.ip.src, r.ip.dst, r.ip.ttl), (src, dst, 50), "{probe:?}");
            match (probe, r.body) {
                (Probe::Tcp { .. }, nmaps_wire::Body::Tcp(s)) => {
                    assert!(s.checksum_ok);
                    assert_eq!((s.seq, s.dst_port, s.src_port), (0xdead_beef, 80, 40000));
                }
                (Probe::Udp { .. }, nmaps_wire::Body::Udp(u)) => {
                    assert!(u.checksum_ok);
                    assert_eq!(u.payload, b"x");
                }
                (Probe::Sctp { .. }, nmaps_wire::Body::Sctp(s)) => assert!(s.crc32c_ok),
                (Probe::Echo, nmaps_wire::Body::Echo { reply, ident, .. }) => {
                    assert!(!reply);
                    assert_eq!(ident, 40000);
                }
                (Probe::Timestamp | Probe::AddressMask, nmaps_wire::Body::OtherIcmp { .. }) => {}
                (Probe::IpProto { .. }, _) => {}
                (p, b) => panic!("{p:?} parsed as {b:?}"),
            }
        }
        let bad = build(
            Probe::Tcp {
                flags: TcpFlags::SYN,
                port: 80,
            },
            src,
            dst,
            ids,
            &PacketOpts {
                badsum: true,
                ..opts
            },
            &[],
        )
        .unwrap();
        let nmaps_wire::Body::Tcp(s) = nmaps_wire::parse_reply(&bad).unwrap().body else {
            panic!()
        };
        assert!(!s.checksum_ok);
    }
}
