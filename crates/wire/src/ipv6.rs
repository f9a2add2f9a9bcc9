//! IPv6 (RFC 8200): a fixed 40-byte header, then extension headers, then
//! the upper-layer packet.
//!
//! [`Repr`] covers the fixed header only; extension headers (if any) are
//! part of its payload. Received packets find their upper layer with
//! [`upper_layer`], a bounded walk over Hop-by-Hop, Routing, Fragment,
//! Destination Options and AH headers: every step consumes at least eight
//! bytes and is checked against the buffer, so it ends on any input and
//! never indexes out of bounds.
//!
//! Like IPv4, [`Packet::check_len`] is strict and
//! [`Packet::check_len_lax`] only asks for the fixed header (for
//! datagrams quoted in ICMPv6 errors).

use core::net::Ipv6Addr;

use crate::ip::IpProtocol;
use crate::{Error, Result, be16, be32, set_be16, set_be32};

mod field {
    use crate::field::Field;

    pub(crate) const VER_TC_FLOW: Field = 0..4;
    pub(crate) const LENGTH: Field = 4..6;
    pub(crate) const NXT_HDR: usize = 6;
    pub(crate) const HOP_LIMIT: usize = 7;
    pub(crate) const SRC_ADDR: Field = 8..24;
    pub(crate) const DST_ADDR: Field = 24..40;
}

/// Length of the fixed IPv6 header.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

/// A read/write view of an IPv6 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer, checking it with [`Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Wraps a buffer, checking it with [`Packet::check_len_lax`].
    pub fn new_lax(buffer: T) -> Result<Self> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len_lax()?;
        Ok(packet)
    }

    /// Strict gate: the fixed header and the whole declared payload are in
    /// the buffer. (Jumbograms, payload length 0 with a Jumbo option, are
    /// not supported: their payload reads as empty.)
    pub fn check_len(&self) -> Result<()> {
        self.check_len_lax()?;
        if HEADER_LEN + usize::from(self.payload_len()) > self.buffer.as_ref().len() {
            return Err(Error);
        }
        Ok(())
    }

    /// Lax gate: the fixed header is in the buffer.
    pub fn check_len_lax(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Error)
        } else {
            Ok(())
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn first_word(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::VER_TC_FLOW])
    }

    /// IP version (6 for a real IPv6 packet).
    pub fn version(&self) -> u8 {
        (self.first_word() >> 28) as u8
    }

    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        (self.first_word() >> 20) as u8
    }

    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        self.first_word() & 0x000f_ffff
    }

    /// Payload length field.
    pub fn payload_len(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::LENGTH])
    }

    /// Next header (the first extension header or the upper layer).
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::NXT_HDR])
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[field::SRC_ADDR])
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[field::DST_ADDR])
    }

    /// The payload: the declared payload length, clamped to the buffer.
    pub fn payload(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let end = (HEADER_LEN + usize::from(self.payload_len())).min(data.len());
        &data[HEADER_LEN..end]
    }

    /// Finds the upper-layer protocol behind any extension headers.
    pub fn upper_layer(&self) -> Result<UpperLayer> {
        upper_layer(self.next_header(), self.payload())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn set_first_word(&mut self, value: u32) {
        set_be32(&mut self.buffer.as_mut()[field::VER_TC_FLOW], value);
    }

    /// Sets the version.
    pub fn set_version(&mut self, value: u8) {
        let w = self.first_word();
        self.set_first_word((w & 0x0fff_ffff) | (u32::from(value & 0x0f) << 28));
    }

    /// Sets the traffic class.
    pub fn set_traffic_class(&mut self, value: u8) {
        let w = self.first_word();
        self.set_first_word((w & 0xf00f_ffff) | (u32::from(value) << 20));
    }

    /// Sets the flow label (low 20 bits of `value`).
    pub fn set_flow_label(&mut self, value: u32) {
        let w = self.first_word();
        self.set_first_word((w & 0xfff0_0000) | (value & 0x000f_ffff));
    }

    /// Sets the payload length.
    pub fn set_payload_len(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::LENGTH], value);
    }

    /// Sets the next header.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[field::NXT_HDR] = value.into();
    }

    /// Sets the hop limit.
    pub fn set_hop_limit(&mut self, value: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = value;
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, value: Ipv6Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&value.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, value: Ipv6Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&value.octets());
    }

    /// The payload, mutably (same bounds as [`Packet::payload`]).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = HEADER_LEN + usize::from(self.payload_len());
        let data = self.buffer.as_mut();
        let end = end.min(data.len());
        &mut data[HEADER_LEN..end]
    }
}

fn addr(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Ipv6Addr::from(a)
}

/// Where the upper-layer packet starts, as found by [`upper_layer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UpperLayer {
    /// The protocol after the last extension header.
    pub protocol: IpProtocol,
    /// Offset of the upper-layer packet within the IPv6 payload.
    pub offset: usize,
    /// Identification from a Fragment header, if one was crossed.
    pub fragment_ident: Option<u32>,
    /// Whether a Fragment header with a non-zero offset was crossed: the
    /// bytes at `offset` are then the middle of a datagram, not a header.
    pub non_first_fragment: bool,
}

/// The most extension headers [`upper_layer`] steps over. Each one is at
/// least eight bytes, so the walk is bounded by the payload length anyway;
/// this caps the work on a maximal packet of back-to-back empty headers.
pub const MAX_EXTENSION_HEADERS: usize = 32;

/// Steps over extension headers, starting with `next_header` at the start
/// of `payload`, and returns the upper-layer protocol and its offset.
///
/// Crosses Hop-by-Hop (0), Routing (43), Fragment (44), Destination
/// Options (60) and AH (51); stops at anything else (including ESP and
/// No Next Header) and returns it. A non-first fragment stops the walk at
/// the fragment header. Errors if a header runs past `payload` or there
/// are more than [`MAX_EXTENSION_HEADERS`].
pub fn upper_layer(next_header: IpProtocol, payload: &[u8]) -> Result<UpperLayer> {
    let mut protocol = next_header;
    let mut offset = 0usize;
    let mut fragment_ident = None;
    for _ in 0..=MAX_EXTENSION_HEADERS {
        if !protocol.is_ipv6_extension() {
            return Ok(UpperLayer {
                protocol,
                offset,
                fragment_ident,
                non_first_fragment: false,
            });
        }
        // Every extension header starts with next-header and a length.
        let header = payload.get(offset..offset + 8).ok_or(Error)?;
        let next = IpProtocol::from(header[0]);
        let len = match protocol {
            IpProtocol::Ipv6Frag => 8,
            // RFC 4302: AH's length is in 4-byte words, minus 2.
            IpProtocol::Ah => (usize::from(header[1]) + 2) * 4,
            // RFC 8200 §4.3-4.6: 8-byte words, not counting the first.
            _ => (usize::from(header[1]) + 1) * 8,
        };
        if offset + len > payload.len() {
            return Err(Error);
        }
        if protocol == IpProtocol::Ipv6Frag {
            let frag_offset = be16(&header[2..4]) >> 3;
            fragment_ident = Some(be32(&header[4..8]));
            if frag_offset != 0 {
                return Ok(UpperLayer {
                    protocol: next,
                    offset: offset + len,
                    fragment_ident,
                    non_first_fragment: true,
                });
            }
        }
        offset += len;
        protocol = next;
    }
    Err(Error)
}

/// The fixed IPv6 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    pub src_addr: Ipv6Addr,
    pub dst_addr: Ipv6Addr,
    /// The next header as written in the fixed header (an extension header
    /// or the upper layer).
    pub next_header: IpProtocol,
    /// Length of everything after the fixed header.
    pub payload_len: usize,
    pub hop_limit: u8,
    pub traffic_class: u8,
    pub flow_label: u32,
}

impl Repr {
    /// A header with hop limit 64 and the other fields zero.
    pub const fn new(src_addr: Ipv6Addr, dst_addr: Ipv6Addr) -> Self {
        Self {
            src_addr,
            dst_addr,
            next_header: IpProtocol::Ipv6NoNxt,
            payload_len: 0,
            hop_limit: 64,
            traffic_class: 0,
            flow_label: 0,
        }
    }

    /// Reads the fixed header of a strictly checked version-6 packet.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self> {
        packet.check_len()?;
        if packet.version() != 6 {
            return Err(Error);
        }
        Ok(Self {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            payload_len: usize::from(packet.payload_len()),
            hop_limit: packet.hop_limit(),
            traffic_class: packet.traffic_class(),
            flow_label: packet.flow_label(),
        })
    }

    /// Length of the fixed header.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the fixed header. The payload is left alone.
    ///
    /// # Panics
    /// Panics if the buffer is shorter than [`HEADER_LEN`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_first_word(0);
        packet.set_version(6);
        packet.set_traffic_class(self.traffic_class);
        packet.set_flow_label(self.flow_label);
        packet.set_payload_len(self.payload_len as u16);
        packet.set_next_header(self.next_header);
        packet.set_hop_limit(self.hop_limit);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::test_util::hex;

    // MLDv2 report from Linux (veth capture): Hop-by-Hop with Router Alert,
    // then ICMPv6.
    const MLD: &str = "6000000000380001fe80000000000000782ccefffe0305c3ff020000000000000000000000000016\
                       3a000502000001008f001e350000000204000000ff0200000000000000000001ff00000104000000\
                       ff0200000000000000000001ff0305c3";

    #[test]
    fn deconstruct_and_walk() {
        let bytes = hex(MLD);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!((p.version(), p.payload_len(), p.hop_limit()), (6, 56, 1));
        assert_eq!(p.next_header(), IpProtocol::HopByHop);
        let upper = p.upper_layer().unwrap();
        assert_eq!(upper.protocol, IpProtocol::Icmpv6);
        assert_eq!(upper.offset, 8);
        assert_eq!(p.payload()[upper.offset], 143); // MLDv2 report
    }

    #[test]
    fn parse_emit_roundtrip() {
        let bytes = hex(MLD);
        let repr = Repr::parse(&Packet::new_checked(&bytes[..]).unwrap()).unwrap();
        let mut out = vec![0xa5; bytes.len()];
        out[HEADER_LEN..].copy_from_slice(&bytes[HEADER_LEN..]);
        repr.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, bytes);
    }

    #[test]
    fn truncated() {
        let bytes = hex(MLD);
        for len in 0..bytes.len() {
            assert!(Packet::new_checked(&bytes[..len]).is_err());
            if let Ok(p) = Packet::new_lax(&bytes[..len]) {
                // A cut hop-by-hop header is an error, never a panic.
                assert_eq!(p.upper_layer().is_ok(), len >= HEADER_LEN + 8);
            }
        }
    }

    #[test]
    fn walk_chain_and_fragments() {
        // Dest options (8 bytes) -> fragment (offset 0, id 7) -> routing
        // (16 bytes) -> TCP.
        let mut chain = vec![44, 0, 1, 4, 0, 0, 0, 0];
        chain.extend_from_slice(&[43, 0, 0, 0, 0, 0, 0, 7]);
        chain.extend_from_slice(&[6, 1, 0, 0, 0, 0, 0, 0]);
        chain.extend_from_slice(&[0; 8]);
        chain.extend_from_slice(&[0xaa; 20]);
        let upper = upper_layer(IpProtocol::Ipv6Opts, &chain).unwrap();
        assert_eq!(upper.protocol, IpProtocol::Tcp);
        assert_eq!(upper.offset, 32);
        assert_eq!(upper.fragment_ident, Some(7));
        assert!(!upper.non_first_fragment);

        // A non-first fragment stops the walk.
        let frag = [17, 0, 0x05, 0x00, 0, 0, 0, 9, 1, 2, 3];
        let upper = upper_layer(IpProtocol::Ipv6Frag, &frag).unwrap();
        assert!(upper.non_first_fragment);
        assert_eq!((upper.protocol, upper.offset), (IpProtocol::Udp, 8));
    }

    #[test]
    fn walk_is_bounded() {
        // A header claiming more than is there.
        assert_eq!(
            upper_layer(IpProtocol::HopByHop, &[6, 1, 0, 0, 0, 0, 0, 0]),
            Err(Error)
        );
        // A long run of empty hop-by-hop headers pointing at each other.
        let many = [0u8; 8 * (MAX_EXTENSION_HEADERS + 2)];
        assert_eq!(upper_layer(IpProtocol::HopByHop, &many), Err(Error));
        // No next header ends the walk.
        let none = upper_layer(IpProtocol::Ipv6NoNxt, &[]).unwrap();
        assert_eq!(none.protocol, IpProtocol::Ipv6NoNxt);
    }
}
