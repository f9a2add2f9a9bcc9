//! Packet formats for the raw-packet scan engines: zero-copy views to parse
//! replies and validated representations to build probes.
//!
//! # Layers
//! One module per protocol, each built the same way (after smoltcp's
//! `wire` module):
//!
//! - `Packet<T: AsRef<[u8]>>` (or `Frame`) is a view over a buffer. Getters
//!   need `AsRef<[u8]>`, setters `AsMut<[u8]>`, so the same type reads a
//!   `&[u8]` and writes a `&mut [u8]` or a `Vec<u8>`.
//! - `check_len` is the single gate: `new_checked` = `new_unchecked` +
//!   `check_len`, and once it has passed no accessor panics. Untrusted
//!   bytes always go through `new_checked`; builders use `new_unchecked`
//!   over a buffer of exactly `Repr::buffer_len()` bytes.
//! - `Repr` is a small validated value with `parse(&Packet)`,
//!   `buffer_len()` and `emit(&mut Packet)`. Parse → emit gives back the
//!   same bytes for every well-formed packet.
//! - Numeric codes are enums with an `Unknown(raw)` variant, and options
//!   (TCP, IPv4, NDP, SCTP parameters) are kept raw and in order, so
//!   nothing a fingerprint could depend on is lost.
//!
//! On top sits [`reply`]: [`parse_reply`] turns the bytes a raw socket
//! delivers (starting at the IP header) into a [`Reply`] summary, and never
//! panics on any input.
//!
//! # Example: build a SYN probe and read it back
//! ```
//! use core::net::Ipv4Addr;
//! use nmaps_wire::{IpPair, IpProtocol, Ipv4Packet, Ipv4Repr, TcpFlags, TcpOptions, TcpOption,
//!                  TcpPacket, TcpRepr, parse_reply, Body};
//!
//! let (src, dst) = (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2));
//! let tcp = TcpRepr {
//!     src_port: 40000,
//!     dst_port: 80,
//!     seq_number: 0x1234_5678,
//!     ack_number: 0,
//!     flags: TcpFlags::SYN,
//!     window_len: 1024,
//!     urgent_pointer: 0,
//!     options: TcpOptions::from_options(&[TcpOption::MaxSegmentSize(1460)]).unwrap(),
//!     payload: &[],
//! };
//! let ip = Ipv4Repr {
//!     protocol: IpProtocol::Tcp,
//!     payload_len: tcp.buffer_len(),
//!     ttl: 42,
//!     ..Ipv4Repr::new(src, dst)
//! };
//! let mut buf = vec![0u8; ip.buffer_len() + tcp.buffer_len()];
//! let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
//! ip.emit(&mut packet);
//! tcp.emit(&mut TcpPacket::new_unchecked(packet.payload_mut()), &IpPair::V4 { src, dst });
//!
//! let reply = parse_reply(&buf).unwrap();
//! let Body::Tcp(seg) = reply.body else { panic!() };
//! assert_eq!((seg.dst_port, seg.flags), (80, TcpFlags::SYN));
//! assert!(seg.checksum_ok);
//! ```

#![cfg_attr(not(test), no_std)]

#[macro_use]
mod macros;

pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod icmpv4;
pub mod icmpv6;
pub mod ip;
pub mod ipv4;
pub mod ipv6;
mod options;
pub mod reply;
pub mod sctp;
pub mod tcp;
pub mod udp;

pub use arp::{Operation as ArpOperation, Packet as ArpPacket, Repr as ArpRepr};
pub use ethernet::{
    EtherType, EthernetAddress, Frame as EthernetFrame, HEADER_LEN as ETHERNET_HEADER_LEN,
    Repr as EthernetRepr,
};
pub use icmpv4::{Message as Icmpv4Message, Packet as Icmpv4Packet, Repr as Icmpv4Repr};
pub use icmpv6::{
    Message as Icmpv6Message, NdOption, NdOptions, Packet as Icmpv6Packet, Repr as Icmpv6Repr,
};

pub use ip::{IpPair, IpProtocol};
pub use ipv4::{HEADER_LEN as IPV4_HEADER_LEN, Packet as Ipv4Packet, Repr as Ipv4Repr};
pub use ipv6::{HEADER_LEN as IPV6_HEADER_LEN, Packet as Ipv6Packet, Repr as Ipv6Repr};
pub use options::OptionBytes;
pub use reply::{Body, IcmpError, IpInfo, Quoted, QuotedTransport, Reply, parse_reply};
pub use sctp::{
    ChecksumKind as SctpChecksumKind, ChunkRepr as SctpChunkRepr, ChunkType as SctpChunkType,
    Packet as SctpPacket, Repr as SctpRepr,
};
pub use tcp::{
    Flags as TcpFlags, HEADER_LEN as TCP_HEADER_LEN, Packet as TcpPacket, Repr as TcpRepr,
    TcpOption, TcpOptions,
};
pub use udp::{HEADER_LEN as UDP_HEADER_LEN, Packet as UdpPacket, Repr as UdpRepr};

use core::fmt;

/// The one error of this crate: the bytes are truncated or malformed.
///
/// Deliberately zero-sized: parsers are on the receive hot path, and the
/// caller's only reasonable reaction is to drop the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("truncated or malformed packet")
    }
}

impl core::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

mod field {
    /// A byte range inside a header.
    pub(crate) type Field = core::ops::Range<usize>;
}

/// Reads a big-endian u16 from a two-byte slice.
fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

/// Reads a big-endian u32 from a four-byte slice.
fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn set_be16(b: &mut [u8], value: u16) {
    b.copy_from_slice(&value.to_be_bytes());
}

fn set_be32(b: &mut [u8], value: u32) {
    b.copy_from_slice(&value.to_be_bytes());
}

#[cfg(test)]
mod test_util {
    /// Decodes a hex string (whitespace ignored).
    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(core::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }
}
