//! What a received packet is, in one call: [`parse_reply`] takes the bytes
//! a raw IP socket or an `AF_PACKET`/`SOCK_DGRAM` socket delivers (starting
//! at the IPv4 or IPv6 header) and returns a [`Reply`]: the IP facts and a
//! [`Body`] with the fields scan engines match on.
//!
//! It never panics, on any input (a property test and a fuzz target hold
//! it to that). The outer packet is checked strictly; an ICMP error's
//! quoted datagram is read laxly, since routers quote as little as the IP
//! header and eight bytes. Checksums are reported, not enforced: Nmap
//! accepts replies with bad transport checksums, and the engine decides.
//!
//! [`Reply`] implements `Display` as a tcpdump-like one-liner.

use core::fmt;
use core::net::IpAddr;

use crate::ethernet::EthernetAddress;
use crate::icmpv4::{self, Message as V4Message};
use crate::icmpv6::{self, Message as V6Message, NdFlags, NdOptions};
use crate::ip::{IpPair, IpProtocol};
use crate::sctp::{self, ChunkType};
use crate::tcp::{self, Flags};
use crate::{Error, Result, be16, be32, ipv4, ipv6, udp};

/// The IP layer of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpInfo {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 identification, or the IPv6 Fragment header's, if any.
    pub ident: Option<u32>,
    /// The upper-layer protocol (after IPv6 extension headers).
    pub protocol: IpProtocol,
    /// Total length of the IP packet as the header declares it.
    pub total_len: usize,
}

impl IpInfo {
    fn pair(&self) -> Option<IpPair> {
        match (self.src, self.dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => Some(IpPair::V4 { src, dst }),
            (IpAddr::V6(src), IpAddr::V6(dst)) => Some(IpPair::V6 { src, dst }),
            _ => None,
        }
    }
}

/// A TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: Flags,
    pub window: u16,
    pub urgent: u16,
    /// Raw option bytes, in order; walk with [`TcpSegment::options`].
    pub option_bytes: &'a [u8],
    pub payload_len: usize,
    pub checksum_ok: bool,
}

impl<'a> TcpSegment<'a> {
    /// Walks the options in order.
    pub fn options(&self) -> tcp::OptionIter<'a> {
        tcp::OptionIter::new(self.option_bytes)
    }
}

/// A UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UdpDatagram<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
    pub checksum_ok: bool,
}

/// An SCTP packet: header fields and the types of its chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SctpPacket<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub verification_tag: u32,
    /// Raw chunks; walk with [`SctpPacket::chunks`].
    pub chunk_bytes: &'a [u8],
    /// Type of the first chunk (what scan engines decide on), if any.
    pub first_chunk: Option<ChunkType>,
    pub crc32c_ok: bool,
}

impl<'a> SctpPacket<'a> {
    /// Walks the chunks.
    pub fn chunks(&self) -> sctp::ChunkIter<'a> {
        sctp::ChunkIter::new(self.chunk_bytes)
    }
}

/// The transport header of a quoted datagram, as far as it was quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuotedTransport {
    /// Ports, and the sequence number when quoted (it is within RFC 792's
    /// eight bytes).
    Tcp {
        src_port: u16,
        dst_port: u16,
        seq: Option<u32>,
    },
    Udp {
        src_port: u16,
        dst_port: u16,
    },
    Sctp {
        src_port: u16,
        dst_port: u16,
        verification_tag: Option<u32>,
    },
    /// An ICMP or ICMPv6 message (ident and sequence, if an echo).
    Icmp {
        msg_type: u8,
        code: u8,
        echo: Option<(u16, u16)>,
    },
    /// Another protocol, or too little quoted to read ports.
    Other,
}

/// The datagram quoted in an ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quoted<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: IpProtocol,
    /// IPv4 identification of the quoted datagram.
    pub ident: Option<u16>,
    /// TTL/hop limit as it reached the reporting host.
    pub ttl: u8,
    pub transport: QuotedTransport,
    /// The quoted bytes, from its IP header on.
    pub bytes: &'a [u8],
}

/// The kind of an ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpErrorKind {
    DstUnreachable,
    TimeExceeded,
    ParamProblem,
    SourceQuench,
    Redirect,
    /// ICMPv6 only.
    PacketTooBig,
}

/// An ICMPv4 or ICMPv6 error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IcmpError<'a> {
    pub kind: IcmpErrorKind,
    /// Whether this is ICMPv6.
    pub v6: bool,
    pub msg_type: u8,
    pub code: u8,
    /// The four type-specific bytes (MTU, pointer, gateway, …).
    pub rest: u32,
    /// The quoted datagram, when at least its IP header was quoted.
    pub quoted: Option<Quoted<'a>>,
}

/// What the reply is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body<'a> {
    Tcp(TcpSegment<'a>),
    Udp(UdpDatagram<'a>),
    Sctp(SctpPacket<'a>),
    IcmpError(IcmpError<'a>),
    /// ICMP/ICMPv6 echo reply (or request, `reply == false`).
    Echo {
        v6: bool,
        reply: bool,
        ident: u16,
        seq_no: u16,
    },
    /// ICMPv4 timestamp reply.
    TimestampReply {
        ident: u16,
        seq_no: u16,
        originate: u32,
        receive: u32,
        transmit: u32,
    },
    /// ICMPv4 address mask reply.
    AddressMaskReply {
        ident: u16,
        seq_no: u16,
        mask: core::net::Ipv4Addr,
    },
    /// ICMPv6 neighbor advertisement.
    NeighborAdvert {
        target: core::net::Ipv6Addr,
        flags: NdFlags,
        /// From the target link-layer address option, if present.
        link_addr: Option<EthernetAddress>,
    },
    /// ICMPv6 neighbor solicitation.
    NeighborSolicit {
        target: core::net::Ipv6Addr,
        link_addr: Option<EthernetAddress>,
    },
    /// Any other ICMP or ICMPv6 message.
    OtherIcmp {
        v6: bool,
        msg_type: u8,
        code: u8,
    },
    /// A fragment other than the first: no transport header to read.
    Fragment {
        payload: &'a [u8],
    },
    /// Another protocol, or a transport header too short or malformed to
    /// read: the payload from the upper-layer header on.
    Other {
        payload: &'a [u8],
    },
}

/// A received IP packet, summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reply<'a> {
    pub ip: IpInfo,
    pub body: Body<'a>,
}

/// Reads a packet starting at its IPv4 or IPv6 header. Errors only when
/// the IP header itself is truncated or malformed; anything wrong above it
/// yields [`Body::Other`].
pub fn parse_reply(bytes: &[u8]) -> Result<Reply<'_>> {
    match bytes.first().map(|b| b >> 4) {
        Some(4) => parse_v4(bytes),
        Some(6) => parse_v6(bytes),
        _ => Err(Error),
    }
}

fn parse_v4(bytes: &[u8]) -> Result<Reply<'_>> {
    let packet = ipv4::Packet::new_checked(bytes)?;
    let ip = IpInfo {
        src: packet.src_addr().into(),
        dst: packet.dst_addr().into(),
        ttl: packet.ttl(),
        ident: Some(u32::from(packet.ident())),
        protocol: packet.protocol(),
        total_len: usize::from(packet.total_len()),
    };
    // Checked strictly: the total length is within the buffer.
    let payload = &bytes[packet.header_len()..usize::from(packet.total_len())];
    let body = if packet.frag_offset() != 0 {
        Body::Fragment { payload }
    } else {
        transport(&ip, payload)
    };
    Ok(Reply { ip, body })
}

fn parse_v6(bytes: &[u8]) -> Result<Reply<'_>> {
    let packet = ipv6::Packet::new_checked(bytes)?;
    let upper = packet.upper_layer()?;
    let ip = IpInfo {
        src: packet.src_addr().into(),
        dst: packet.dst_addr().into(),
        ttl: packet.hop_limit(),
        ident: upper.fragment_ident,
        protocol: upper.protocol,
        total_len: ipv6::HEADER_LEN + usize::from(packet.payload_len()),
    };
    // Checked strictly, and the walk stays within the payload.
    let end = ipv6::HEADER_LEN + usize::from(packet.payload_len());
    let payload = &bytes[ipv6::HEADER_LEN + upper.offset..end];
    let body = if upper.non_first_fragment {
        Body::Fragment { payload }
    } else {
        transport(&ip, payload)
    };
    Ok(Reply { ip, body })
}

fn transport<'a>(ip: &IpInfo, payload: &'a [u8]) -> Body<'a> {
    let body = match ip.protocol {
        IpProtocol::Tcp => tcp_body(ip, payload),
        IpProtocol::Udp => udp_body(ip, payload),
        IpProtocol::Sctp => sctp_body(payload),
        IpProtocol::Icmp if ip.src.is_ipv4() => icmpv4_body(payload),
        IpProtocol::Icmpv6 if ip.src.is_ipv6() => icmpv6_body(payload),
        _ => None,
    };
    body.unwrap_or(Body::Other { payload })
}

fn tcp_body<'a>(ip: &IpInfo, payload: &'a [u8]) -> Option<Body<'a>> {
    let p = tcp::Packet::new_checked(payload).ok()?;
    let checksum_ok = ip.pair().is_some_and(|pair| p.verify_checksum(&pair));
    Some(Body::Tcp(TcpSegment {
        src_port: p.src_port(),
        dst_port: p.dst_port(),
        seq: p.seq_number(),
        ack: p.ack_number(),
        flags: p.flags(),
        window: p.window_len(),
        urgent: p.urgent_pointer(),
        option_bytes: &payload[tcp::HEADER_LEN..p.header_len()],
        payload_len: payload.len() - p.header_len(),
        checksum_ok,
    }))
}

fn udp_body<'a>(ip: &IpInfo, payload: &'a [u8]) -> Option<Body<'a>> {
    let p = udp::Packet::new_checked(payload).ok()?;
    let checksum_ok = ip.pair().is_some_and(|pair| p.verify_checksum(&pair));
    Some(Body::Udp(UdpDatagram {
        src_port: p.src_port(),
        dst_port: p.dst_port(),
        payload: &payload[udp::HEADER_LEN..usize::from(p.len())],
        checksum_ok,
    }))
}

fn sctp_body(payload: &[u8]) -> Option<Body<'_>> {
    let p = sctp::Packet::new_checked(payload).ok()?;
    let first_chunk = p
        .chunk_iter()
        .next()
        .and_then(|c| c.ok())
        .map(|c| c.chunk_type);
    Some(Body::Sctp(SctpPacket {
        src_port: p.src_port(),
        dst_port: p.dst_port(),
        verification_tag: p.verification_tag(),
        chunk_bytes: &payload[sctp::HEADER_LEN..],
        first_chunk,
        crc32c_ok: p.verify_checksum(sctp::ChecksumKind::Crc32c),
    }))
}

fn icmpv4_body(payload: &[u8]) -> Option<Body<'_>> {
    let p = icmpv4::Packet::new_checked(payload).ok()?;
    let data = &payload[icmpv4::HEADER_LEN..];
    let (msg_type, code) = (p.msg_type(), p.msg_code());
    let kind = match msg_type {
        V4Message::EchoReply | V4Message::EchoRequest => {
            return Some(Body::Echo {
                v6: false,
                reply: msg_type == V4Message::EchoReply,
                ident: p.echo_ident(),
                seq_no: p.echo_seq_no(),
            });
        }
        V4Message::TimestampReply => {
            return Some(Body::TimestampReply {
                ident: p.echo_ident(),
                seq_no: p.echo_seq_no(),
                originate: p.originate_timestamp(),
                receive: p.receive_timestamp(),
                transmit: p.transmit_timestamp(),
            });
        }
        V4Message::AddressMaskReply => {
            return Some(Body::AddressMaskReply {
                ident: p.echo_ident(),
                seq_no: p.echo_seq_no(),
                mask: p.address_mask(),
            });
        }
        V4Message::DstUnreachable => IcmpErrorKind::DstUnreachable,
        V4Message::TimeExceeded => IcmpErrorKind::TimeExceeded,
        V4Message::ParamProblem => IcmpErrorKind::ParamProblem,
        V4Message::SourceQuench => IcmpErrorKind::SourceQuench,
        V4Message::Redirect => IcmpErrorKind::Redirect,
        _ => {
            return Some(Body::OtherIcmp {
                v6: false,
                msg_type: msg_type.into(),
                code,
            });
        }
    };
    let quoted = ipv4::Packet::new_lax(data).ok().map(|q| Quoted {
        src: q.src_addr().into(),
        dst: q.dst_addr().into(),
        protocol: q.protocol(),
        ident: Some(q.ident()),
        ttl: q.ttl(),
        transport: if q.frag_offset() == 0 {
            quoted_transport(q.protocol(), q.payload())
        } else {
            QuotedTransport::Other
        },
        bytes: data,
    });
    Some(Body::IcmpError(IcmpError {
        kind,
        v6: false,
        msg_type: msg_type.into(),
        code,
        rest: p.rest_of_header(),
        quoted,
    }))
}

fn icmpv6_body(payload: &[u8]) -> Option<Body<'_>> {
    let p = icmpv6::Packet::new_checked(payload).ok()?;
    let data = &payload[icmpv6::HEADER_LEN..];
    let (msg_type, code) = (p.msg_type(), p.msg_code());
    let kind = match msg_type {
        V6Message::EchoReply | V6Message::EchoRequest => {
            return Some(Body::Echo {
                v6: true,
                reply: msg_type == V6Message::EchoReply,
                ident: p.echo_ident(),
                seq_no: p.echo_seq_no(),
            });
        }
        V6Message::NeighborAdvert => {
            return Some(Body::NeighborAdvert {
                target: p.target_addr(),
                flags: NdFlags(p.rest_of_header()),
                link_addr: NdOptions(p.nd_options()).link_layer_addr(),
            });
        }
        V6Message::NeighborSolicit => {
            return Some(Body::NeighborSolicit {
                target: p.target_addr(),
                link_addr: NdOptions(p.nd_options()).link_layer_addr(),
            });
        }
        V6Message::DstUnreachable => IcmpErrorKind::DstUnreachable,
        V6Message::PacketTooBig => IcmpErrorKind::PacketTooBig,
        V6Message::TimeExceeded => IcmpErrorKind::TimeExceeded,
        V6Message::ParamProblem => IcmpErrorKind::ParamProblem,
        _ => {
            return Some(Body::OtherIcmp {
                v6: true,
                msg_type: msg_type.into(),
                code,
            });
        }
    };
    let quoted = ipv6::Packet::new_lax(data).ok().map(|q| {
        // The quoted payload may be cut anywhere, even inside an
        // extension header: then the transport is unknown.
        let transport = match q.upper_layer() {
            Ok(upper) if !upper.non_first_fragment => {
                quoted_transport(upper.protocol, &q.payload()[upper.offset..])
            }
            _ => QuotedTransport::Other,
        };
        Quoted {
            src: q.src_addr().into(),
            dst: q.dst_addr().into(),
            protocol: q.upper_layer().map_or(q.next_header(), |u| u.protocol),
            ident: None,
            ttl: q.hop_limit(),
            transport,
            bytes: data,
        }
    });
    Some(Body::IcmpError(IcmpError {
        kind,
        v6: true,
        msg_type: msg_type.into(),
        code,
        rest: p.rest_of_header(),
        quoted,
    }))
}

/// Reads ports and the like from the (possibly cut) start of a quoted
/// transport header.
fn quoted_transport(protocol: IpProtocol, b: &[u8]) -> QuotedTransport {
    if b.len() < 4 {
        return QuotedTransport::Other;
    }
    let (src_port, dst_port) = (be16(&b[0..2]), be16(&b[2..4]));
    let word = b.get(4..8).map(be32);
    match protocol {
        IpProtocol::Tcp => QuotedTransport::Tcp {
            src_port,
            dst_port,
            seq: word,
        },
        IpProtocol::Udp => QuotedTransport::Udp { src_port, dst_port },
        IpProtocol::Sctp => QuotedTransport::Sctp {
            src_port,
            dst_port,
            verification_tag: word,
        },
        IpProtocol::Icmp | IpProtocol::Icmpv6 => {
            let (msg_type, code) = (b[0], b[1]);
            let is_echo = matches!(msg_type, 0 | 8 | 128 | 129);
            QuotedTransport::Icmp {
                msg_type,
                code,
                echo: word
                    .filter(|_| is_echo)
                    .map(|w| ((w >> 16) as u16, w as u16)),
            }
        }
        _ => QuotedTransport::Other,
    }
}

impl fmt::Display for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (src, dst) = (self.ip.src, self.ip.dst);
        match self.body {
            Body::Tcp(t) => {
                write!(
                    f,
                    "TCP {src}:{} > {dst}:{} [{}] seq={} ack={} win={}",
                    t.src_port, t.dst_port, t.flags, t.seq, t.ack, t.window
                )?;
                if !t.option_bytes.is_empty() {
                    write!(f, " opts=")?;
                    for option in t.options() {
                        match option {
                            Ok(o) => write_tcp_option(f, &o)?,
                            Err(_) => write!(f, "!")?,
                        }
                    }
                }
                if !t.checksum_ok {
                    write!(f, " bad-sum")?;
                }
                Ok(())
            }
            Body::Udp(u) => write!(
                f,
                "UDP {src}:{} > {dst}:{} len={}",
                u.src_port,
                u.dst_port,
                u.payload.len()
            ),
            Body::Sctp(s) => {
                write!(
                    f,
                    "SCTP {src}:{} > {dst}:{} vtag={:#010x} chunks=",
                    s.src_port, s.dst_port, s.verification_tag
                )?;
                for chunk in s.chunks() {
                    match chunk {
                        Ok(c) => write!(f, "{:?},", c.chunk_type)?,
                        Err(_) => write!(f, "!")?,
                    }
                }
                Ok(())
            }
            Body::IcmpError(e) => {
                let v = if e.v6 { "ICMPv6" } else { "ICMP" };
                write!(f, "{v} {src} > {dst} {:?} code {}", e.kind, e.code)?;
                match e.quoted {
                    Some(q) => write!(
                        f,
                        " quoting {} > {} {:?} {:?}",
                        q.src, q.dst, q.protocol, q.transport
                    ),
                    None => write!(f, " (nothing quoted)"),
                }
            }
            Body::Echo {
                v6,
                reply,
                ident,
                seq_no,
            } => write!(
                f,
                "{} {src} > {dst} echo {} id={ident} seq={seq_no}",
                if v6 { "ICMPv6" } else { "ICMP" },
                if reply { "reply" } else { "request" }
            ),
            Body::TimestampReply {
                ident,
                seq_no,
                originate,
                receive,
                transmit,
            } => write!(
                f,
                "ICMP {src} > {dst} timestamp reply id={ident} seq={seq_no} \
                 orig={originate} recv={receive} xmit={transmit}"
            ),
            Body::AddressMaskReply {
                ident,
                seq_no,
                mask,
            } => write!(
                f,
                "ICMP {src} > {dst} address mask reply id={ident} seq={seq_no} mask={mask}"
            ),
            Body::NeighborAdvert {
                target,
                flags,
                link_addr,
            } => {
                write!(
                    f,
                    "ICMPv6 {src} > {dst} neighbor advert {target} flags={:#x}",
                    flags.0
                )?;
                if let Some(mac) = link_addr {
                    write!(f, " tll={mac}")?;
                }
                Ok(())
            }
            Body::NeighborSolicit { target, link_addr } => {
                write!(f, "ICMPv6 {src} > {dst} neighbor solicit {target}")?;
                if let Some(mac) = link_addr {
                    write!(f, " sll={mac}")?;
                }
                Ok(())
            }
            Body::OtherIcmp { v6, msg_type, code } => write!(
                f,
                "{} {src} > {dst} type {msg_type} code {code}",
                if v6 { "ICMPv6" } else { "ICMP" }
            ),
            Body::Fragment { payload } => {
                write!(f, "IP {src} > {dst} fragment len={}", payload.len())
            }
            Body::Other { payload } => write!(
                f,
                "IP {src} > {dst} proto {} len={}",
                u8::from(self.ip.protocol),
                payload.len()
            ),
        }
    }
}

/// Nmap's option letters (as in its OS fingerprints).
fn write_tcp_option(f: &mut fmt::Formatter<'_>, option: &tcp::TcpOption<'_>) -> fmt::Result {
    use tcp::TcpOption as O;
    match *option {
        O::EndOfList => write!(f, "L"),
        O::NoOperation => write!(f, "N"),
        O::MaxSegmentSize(mss) => write!(f, "M{mss:X}"),
        O::WindowScale(shift) => write!(f, "W{shift:X}"),
        O::SackPermitted => write!(f, "S"),
        O::Sack(_) => write!(f, "K"),
        O::Timestamp { tsval, tsecr } => {
            write!(f, "T{}{}", u8::from(tsval != 0), u8::from(tsecr != 0))
        }
        O::Unknown { kind, .. } => write!(f, "?{kind}"),
    }
}
