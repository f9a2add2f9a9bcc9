//! IPv4 (RFC 791): a 20-byte header, up to 40 bytes of options (kept raw),
//! then the payload.
//!
//! Two gates exist. [`Packet::check_len`] is strict (header length ≥ 20,
//! header within the total length, total length within the buffer) and is
//! what received packets go through. [`Packet::check_len_lax`] only asks
//! for a whole header: it is for the original datagram quoted inside an
//! ICMP error, which is usually cut short and whose total length some
//! stacks rewrite. Both make every accessor panic-free; `payload()` is
//! clamped to the buffer.

use core::net::Ipv4Addr;

use crate::ip::IpProtocol;
use crate::options::OptionBytes;
use crate::{Error, Result, be16, checksum, set_be16};

mod field {
    #![allow(non_snake_case)]
    use crate::field::Field;

    pub(crate) const VER_IHL: usize = 0;
    pub(crate) const TOS: usize = 1;
    pub(crate) const LENGTH: Field = 2..4;
    pub(crate) const IDENT: Field = 4..6;
    pub(crate) const FLG_OFF: Field = 6..8;
    pub(crate) const TTL: usize = 8;
    pub(crate) const PROTOCOL: usize = 9;
    pub(crate) const CHECKSUM: Field = 10..12;
    pub(crate) const SRC_ADDR: Field = 12..16;
    pub(crate) const DST_ADDR: Field = 16..20;

    pub(crate) const fn OPTIONS(header_len: usize) -> Field {
        DST_ADDR.end..header_len
    }
}

/// Length of an IPv4 header without options.
pub const HEADER_LEN: usize = field::DST_ADDR.end;
/// Length of an IPv4 header with the most options.
pub const MAX_HEADER_LEN: usize = HEADER_LEN + OptionBytes::MAX_LEN;

const FLAG_RESERVED: u16 = 0x8000;
const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// A read/write view of an IPv4 packet.
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

    /// Strict gate: header length ≥ 20 and within the buffer, total length
    /// between the header length and the buffer length.
    pub fn check_len(&self) -> Result<()> {
        self.check_len_lax()?;
        let total = usize::from(self.total_len());
        if total < self.header_len() || total > self.buffer.as_ref().len() {
            return Err(Error);
        }
        Ok(())
    }

    /// Lax gate: header length ≥ 20 and the whole header in the buffer.
    /// The total length is not checked.
    pub fn check_len_lax(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error);
        }
        let header_len = self.header_len();
        if header_len < HEADER_LEN || header_len > len {
            return Err(Error);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// IP version (4 for a real IPv4 packet).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// Type of service byte (DSCP and ECN).
    pub fn tos(&self) -> u8 {
        self.buffer.as_ref()[field::TOS]
    }

    /// Total length field.
    pub fn total_len(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::LENGTH])
    }

    /// Identification.
    pub fn ident(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::IDENT])
    }

    /// The reserved ("evil") flag bit.
    pub fn reserved_flag(&self) -> bool {
        be16(&self.buffer.as_ref()[field::FLG_OFF]) & FLAG_RESERVED != 0
    }

    /// Don't Fragment.
    pub fn dont_frag(&self) -> bool {
        be16(&self.buffer.as_ref()[field::FLG_OFF]) & FLAG_DF != 0
    }

    /// More Fragments.
    pub fn more_frags(&self) -> bool {
        be16(&self.buffer.as_ref()[field::FLG_OFF]) & FLAG_MF != 0
    }

    /// Fragment offset in 8-byte units.
    pub fn frag_offset(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::FLG_OFF]) & OFFSET_MASK
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// Protocol of the payload.
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::PROTOCOL])
    }

    /// Header checksum field.
    pub fn checksum(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::SRC_ADDR];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::DST_ADDR];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// The raw option bytes (walk them with [`OptionIter`]).
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::OPTIONS(self.header_len())]
    }

    /// Whether the header checksum is correct.
    pub fn verify_checksum(&self) -> bool {
        checksum::data(&self.buffer.as_ref()[..self.header_len()]) == 0xffff
    }

    /// The payload: from the end of the header to the total length, or to
    /// the end of the buffer when the total length points past it or
    /// before the header (lax views of quoted datagrams).
    pub fn payload(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let start = self.header_len();
        let total = usize::from(self.total_len());
        let end = if total < start || total > data.len() {
            data.len()
        } else {
            total
        };
        &data[start..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the version.
    pub fn set_version(&mut self, value: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0x0f) | (value << 4);
    }

    /// Sets the header length in bytes (rounded down to 32-bit words).
    pub fn set_header_len(&mut self, value: usize) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0xf0) | ((value / 4) as u8 & 0x0f);
    }

    /// Sets the type of service byte.
    pub fn set_tos(&mut self, value: u8) {
        self.buffer.as_mut()[field::TOS] = value;
    }

    /// Sets the total length.
    pub fn set_total_len(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::LENGTH], value);
    }

    /// Sets the identification.
    pub fn set_ident(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::IDENT], value);
    }

    /// Sets the flags and fragment offset (8-byte units) at once.
    pub fn set_flags_and_offset(&mut self, reserved: bool, df: bool, mf: bool, offset: u16) {
        let mut raw = offset & OFFSET_MASK;
        if reserved {
            raw |= FLAG_RESERVED;
        }
        if df {
            raw |= FLAG_DF;
        }
        if mf {
            raw |= FLAG_MF;
        }
        set_be16(&mut self.buffer.as_mut()[field::FLG_OFF], raw);
    }

    /// Sets the time to live.
    pub fn set_ttl(&mut self, value: u8) {
        self.buffer.as_mut()[field::TTL] = value;
    }

    /// Sets the protocol.
    pub fn set_protocol(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[field::PROTOCOL] = value.into();
    }

    /// Sets the checksum field (use [`Packet::fill_checksum`] to compute it).
    pub fn set_checksum(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::CHECKSUM], value);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&value.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&value.octets());
    }

    /// The option bytes, mutably.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let range = field::OPTIONS(self.header_len());
        &mut self.buffer.as_mut()[range]
    }

    /// Computes and stores the header checksum.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let header_len = self.header_len();
        let sum = checksum::data(&self.buffer.as_ref()[..header_len]);
        self.set_checksum(!sum);
    }

    /// The payload, mutably (same bounds as [`Packet::payload`]).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        let total = usize::from(self.total_len());
        let data = self.buffer.as_mut();
        let end = if total < start || total > data.len() {
            data.len()
        } else {
            total
        };
        &mut data[start..end]
    }
}

/// One IPv4 option: `kind` and, for all but end-of-list (0) and no-op
/// (1), the bytes after the length octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Option<'a> {
    pub kind: u8,
    pub data: &'a [u8],
}

/// Walks IPv4 option bytes in order. Every byte of a padding run after
/// end-of-list yields another end-of-list; a length octet below 2 or
/// running past the end yields one `Err` and ends the walk.
#[derive(Debug, Clone)]
pub struct OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> OptionIter<'a> {
    /// Walks `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = Result<Ipv4Option<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&kind, after) = self.rest.split_first()?;
        if kind <= 1 {
            self.rest = after;
            return Some(Ok(Ipv4Option { kind, data: &[] }));
        }
        let len = after.first().map_or(0, |&l| usize::from(l));
        if len < 2 || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(Error));
        }
        let data = &self.rest[2..len];
        self.rest = &self.rest[len..];
        Some(Ok(Ipv4Option { kind, data }))
    }
}

/// An IPv4 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    pub src_addr: Ipv4Addr,
    pub dst_addr: Ipv4Addr,
    pub protocol: IpProtocol,
    /// Length of the payload (total length minus header length).
    pub payload_len: usize,
    pub ttl: u8,
    /// Type of service byte (DSCP and ECN).
    pub tos: u8,
    pub ident: u16,
    pub dont_frag: bool,
    pub more_frags: bool,
    /// The reserved flag bit (RFC 3514); Nmap can send it.
    pub reserved_flag: bool,
    /// Fragment offset in 8-byte units.
    pub frag_offset: u16,
    /// Raw options, a multiple of four bytes (validated TLVs on parse).
    pub options: OptionBytes,
}

impl Repr {
    /// A header with TTL 64, no options and the other fields zero.
    pub const fn new(src_addr: Ipv4Addr, dst_addr: Ipv4Addr) -> Self {
        Self {
            src_addr,
            dst_addr,
            protocol: IpProtocol::Unknown(255),
            payload_len: 0,
            ttl: 64,
            tos: 0,
            ident: 0,
            dont_frag: false,
            more_frags: false,
            reserved_flag: false,
            frag_offset: 0,
            options: OptionBytes::EMPTY,
        }
    }

    /// Reads a header: version 4, strict lengths, option TLVs that walk
    /// cleanly. The checksum is not verified here (see
    /// [`Packet::verify_checksum`]).
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self> {
        packet.check_len()?;
        if packet.version() != 4 {
            return Err(Error);
        }
        let options = packet.options();
        if OptionIter::new(options).any(|o| o.is_err()) {
            return Err(Error);
        }
        Ok(Self {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            protocol: packet.protocol(),
            payload_len: usize::from(packet.total_len()) - packet.header_len(),
            ttl: packet.ttl(),
            tos: packet.tos(),
            ident: packet.ident(),
            dont_frag: packet.dont_frag(),
            more_frags: packet.more_frags(),
            reserved_flag: packet.reserved_flag(),
            frag_offset: packet.frag_offset(),
            options: OptionBytes::new(options)?,
        })
    }

    /// Length of the header.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// Writes the header and its checksum. The payload is left alone.
    ///
    /// # Panics
    /// Panics if the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_version(4);
        packet.set_header_len(self.buffer_len());
        packet.set_tos(self.tos);
        packet.set_total_len((self.buffer_len() + self.payload_len) as u16);
        packet.set_ident(self.ident);
        packet.set_flags_and_offset(
            self.reserved_flag,
            self.dont_frag,
            self.more_frags,
            self.frag_offset,
        );
        packet.set_ttl(self.ttl);
        packet.set_protocol(self.protocol);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
        packet
            .options_mut()
            .copy_from_slice(self.options.as_bytes());
        packet.fill_checksum();
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::test_util::hex;

    // An ICMP echo reply from Linux, captured on a veth pair.
    const ECHO_REPLY: &str =
        "450000245f3700004001f7f50ad507020ad5070100005c35123400016162636465666768";
    // The same header with a record-route option (RFC 791 §3.1), built by hand.
    const WITH_RR: &str = "4800002c000040004001000000c0000201c0000202070b04000000000000000000000000\
                           0000000000000000";

    #[test]
    fn deconstruct() {
        let bytes = hex(ECHO_REPLY);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!((p.version(), p.header_len(), p.total_len()), (4, 20, 36));
        assert_eq!((p.ident(), p.dont_frag(), p.ttl()), (0x5f37, false, 64));
        assert_eq!(p.protocol(), IpProtocol::Icmp);
        assert_eq!(p.src_addr(), Ipv4Addr::new(10, 213, 7, 2));
        assert!(p.verify_checksum());
        assert_eq!(p.payload().len(), 16);
    }

    #[test]
    fn parse_emit_roundtrip() {
        let mut rr = hex(WITH_RR);
        Packet::new_unchecked(&mut rr[..]).fill_checksum();
        for bytes in [hex(ECHO_REPLY), rr] {
            let p = Packet::new_checked(&bytes[..]).unwrap();
            let repr = Repr::parse(&p).unwrap();
            let mut out = vec![0xa5; bytes.len()];
            out[repr.buffer_len()..].copy_from_slice(&bytes[repr.buffer_len()..]);
            repr.emit(&mut Packet::new_unchecked(&mut out[..]));
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn options_walk() {
        let opts = [0x01, 0x07, 0x03, 0x04, 0x00];
        let v: Vec<_> = OptionIter::new(&opts).collect();
        assert_eq!(
            v,
            [
                Ok(Ipv4Option { kind: 1, data: &[] }),
                Ok(Ipv4Option {
                    kind: 7,
                    data: &[0x04]
                }),
                Ok(Ipv4Option { kind: 0, data: &[] }),
            ]
        );
        for bad in [
            &[0x07, 0x00][..],
            &[0x07, 0x01],
            &[0x07, 0x05, 0x00],
            &[0x07],
        ] {
            let v: Vec<_> = OptionIter::new(bad).collect();
            assert_eq!(v, [Err(Error)], "{bad:?}");
        }
    }

    #[test]
    fn truncated() {
        let bytes = hex(ECHO_REPLY);
        for len in 0..bytes.len() {
            assert!(Packet::new_checked(&bytes[..len]).is_err(), "len {len}");
            // The lax view accepts any prefix holding the header.
            assert_eq!(Packet::new_lax(&bytes[..len]).is_ok(), len >= HEADER_LEN);
            if let Ok(p) = Packet::new_lax(&bytes[..len]) {
                assert_eq!(p.payload(), &bytes[HEADER_LEN..len]);
            }
        }
    }

    #[test]
    fn impossible_lengths() {
        let bytes = hex(ECHO_REPLY);
        let mut b = bytes.clone();
        b[0] = 0x44; // IHL 4 < 5
        assert_eq!(Packet::new_checked(&b[..]), Err(Error));
        assert_eq!(Packet::new_lax(&b[..]), Err(Error));
        let mut b = bytes.clone();
        b[0] = 0x4f; // IHL 15: 60 bytes, longer than the buffer
        assert_eq!(Packet::new_lax(&b[..]), Err(Error));
        let mut b = bytes.clone();
        b[3] = 19; // total length below the header
        assert_eq!(Packet::new_checked(&b[..]), Err(Error));
        let mut b = bytes.clone();
        b[3] = 37; // total length past the buffer
        assert_eq!(Packet::new_checked(&b[..]), Err(Error));
        let mut b = bytes;
        b[0] = 0x65; // version 6
        assert_eq!(Repr::parse(&Packet::new_unchecked(&b[..])), Err(Error));
    }

    #[test]
    fn trailing_padding_is_not_payload() {
        let mut bytes = hex(ECHO_REPLY);
        bytes.extend_from_slice(&[0; 10]);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.payload().len(), 16);
    }
}
