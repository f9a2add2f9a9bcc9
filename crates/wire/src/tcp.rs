//! TCP (RFC 9293): a 20-byte header, up to 40 bytes of options, payload.
//!
//! Options are kept as raw bytes ([`TcpOptions`]) and walked in order with
//! [`OptionIter`], which yields every option exactly as it appears,
//! including end-of-list padding and unknown kinds, so a parsed option
//! list re-emits byte for byte. OS fingerprints are made of exactly this.

use core::fmt;

use crate::ip::{IpPair, IpProtocol};
use crate::options::OptionBytes;
use crate::{Error, Result, be16, be32, set_be16, set_be32};

mod field {
    #![allow(non_snake_case)]
    use crate::field::Field;

    pub(crate) const SRC_PORT: Field = 0..2;
    pub(crate) const DST_PORT: Field = 2..4;
    pub(crate) const SEQ_NUM: Field = 4..8;
    pub(crate) const ACK_NUM: Field = 8..12;
    pub(crate) const FLAGS: Field = 12..14;
    pub(crate) const WIN_SIZE: Field = 14..16;
    pub(crate) const CHECKSUM: Field = 16..18;
    pub(crate) const URGENT: Field = 18..20;

    pub(crate) const fn OPTIONS(header_len: usize) -> Field {
        URGENT.end..header_len
    }

    pub(crate) const OPT_END: u8 = 0;
    pub(crate) const OPT_NOP: u8 = 1;
    pub(crate) const OPT_MSS: u8 = 2;
    pub(crate) const OPT_WS: u8 = 3;
    pub(crate) const OPT_SACKPERM: u8 = 4;
    pub(crate) const OPT_SACKRNG: u8 = 5;
    pub(crate) const OPT_TSTAMP: u8 = 8;
}

/// Length of a TCP header without options.
pub const HEADER_LEN: usize = field::URGENT.end;
/// Length of a TCP header with the most options.
pub const MAX_HEADER_LEN: usize = HEADER_LEN + OptionBytes::MAX_LEN;

/// The twelve bits after the data offset: three reserved bits, NS (the
/// former ECN nonce), CWR, ECE, URG, ACK, PSH, RST, SYN, FIN. All are kept,
/// so unusual combinations (Nmap's `--scanflags`) survive a round trip.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Flags(pub u16);

impl Flags {
    pub const FIN: Self = Self(0x001);
    pub const SYN: Self = Self(0x002);
    pub const RST: Self = Self(0x004);
    pub const PSH: Self = Self(0x008);
    pub const ACK: Self = Self(0x010);
    pub const URG: Self = Self(0x020);
    pub const ECE: Self = Self(0x040);
    pub const CWR: Self = Self(0x080);
    pub const NS: Self = Self(0x100);
    /// The twelve bits a header can hold.
    pub const MASK: u16 = 0x0fff;

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The low eight bits (CWR..FIN), the byte Nmap's `--scanflags` sets.
    pub const fn low_byte(self) -> u8 {
        self.0 as u8
    }
}

impl core::ops::BitOr for Flags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl core::ops::BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({self})")
    }
}

/// tcpdump-style letters: `S`, `SA`, `RA`, `FPU`, …; `.` when none.
impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Flags, char); 9] = [
            (Flags::SYN, 'S'),
            (Flags::FIN, 'F'),
            (Flags::RST, 'R'),
            (Flags::PSH, 'P'),
            (Flags::ACK, 'A'),
            (Flags::URG, 'U'),
            (Flags::ECE, 'E'),
            (Flags::CWR, 'C'),
            (Flags::NS, 'N'),
        ];
        let mut any = false;
        for (flag, letter) in NAMES {
            if self.contains(flag) {
                write!(f, "{letter}")?;
                any = true;
            }
        }
        if !any {
            write!(f, ".")?;
        }
        Ok(())
    }
}

/// Up to four SACK blocks (RFC 2018: "at most 4 SACK blocks" fit in the
/// 40 option bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SackBlocks {
    blocks: [(u32, u32); 4],
    len: u8,
}

impl SackBlocks {
    /// Up to four `(left, right)` edges; more is an error.
    pub fn new(blocks: &[(u32, u32)]) -> Result<Self> {
        if blocks.is_empty() || blocks.len() > 4 {
            return Err(Error);
        }
        let mut out = Self {
            blocks: [(0, 0); 4],
            len: blocks.len() as u8,
        };
        out.blocks[..blocks.len()].copy_from_slice(blocks);
        Ok(out)
    }

    /// The blocks.
    pub fn as_slice(&self) -> &[(u32, u32)] {
        &self.blocks[..usize::from(self.len)]
    }
}

/// One TCP option. A known kind with an unexpected length is kept as
/// [`TcpOption::Unknown`], so nothing is normalised away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpOption<'a> {
    /// Kind 0, one byte.
    EndOfList,
    /// Kind 1, one byte.
    NoOperation,
    /// Kind 2, length 4.
    MaxSegmentSize(u16),
    /// Kind 3, length 3: the shift count.
    WindowScale(u8),
    /// Kind 4, length 2.
    SackPermitted,
    /// Kind 5, length 2 + 8n with n in 1..=4.
    Sack(SackBlocks),
    /// Kind 8, length 10.
    Timestamp { tsval: u32, tsecr: u32 },
    /// Anything else: the kind and the bytes after the length octet.
    Unknown { kind: u8, data: &'a [u8] },
}

impl<'a> TcpOption<'a> {
    /// Reads one option from the front of `bytes`; returns it and the rest.
    /// Errors on a length octet below 2 or past the end of `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<(Self, &'a [u8])> {
        let (&kind, after) = bytes.split_first().ok_or(Error)?;
        match kind {
            field::OPT_END => return Ok((Self::EndOfList, after)),
            field::OPT_NOP => return Ok((Self::NoOperation, after)),
            _ => {}
        }
        let len = usize::from(*after.first().ok_or(Error)?);
        if len < 2 || len > bytes.len() {
            return Err(Error);
        }
        let data = &bytes[2..len];
        let rest = &bytes[len..];
        let option = match (kind, data.len()) {
            (field::OPT_MSS, 2) => Self::MaxSegmentSize(be16(data)),
            (field::OPT_WS, 1) => Self::WindowScale(data[0]),
            (field::OPT_SACKPERM, 0) => Self::SackPermitted,
            (field::OPT_SACKRNG, n) if n % 8 == 0 && (8..=32).contains(&n) => {
                let mut blocks = [(0, 0); 4];
                for (block, edges) in blocks.iter_mut().zip(data.chunks_exact(8)) {
                    *block = (be32(&edges[..4]), be32(&edges[4..]));
                }
                Self::Sack(SackBlocks {
                    blocks,
                    len: (n / 8) as u8,
                })
            }
            (field::OPT_TSTAMP, 8) => Self::Timestamp {
                tsval: be32(&data[..4]),
                tsecr: be32(&data[4..]),
            },
            _ => Self::Unknown { kind, data },
        };
        Ok((option, rest))
    }

    /// The kind octet.
    pub fn kind(&self) -> u8 {
        match *self {
            Self::EndOfList => field::OPT_END,
            Self::NoOperation => field::OPT_NOP,
            Self::MaxSegmentSize(_) => field::OPT_MSS,
            Self::WindowScale(_) => field::OPT_WS,
            Self::SackPermitted => field::OPT_SACKPERM,
            Self::Sack(_) => field::OPT_SACKRNG,
            Self::Timestamp { .. } => field::OPT_TSTAMP,
            Self::Unknown { kind, .. } => kind,
        }
    }

    /// Bytes this option takes on the wire.
    pub fn buffer_len(&self) -> usize {
        match *self {
            Self::EndOfList | Self::NoOperation => 1,
            Self::MaxSegmentSize(_) => 4,
            Self::WindowScale(_) => 3,
            Self::SackPermitted => 2,
            Self::Sack(blocks) => 2 + 8 * blocks.as_slice().len(),
            Self::Timestamp { .. } => 10,
            Self::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Writes the option at the front of `buffer`; returns the rest.
    ///
    /// # Panics
    /// Panics if `buffer` is shorter than [`TcpOption::buffer_len`] or an
    /// unknown option's data is longer than 253 bytes.
    pub fn emit<'b>(&self, buffer: &'b mut [u8]) -> &'b mut [u8] {
        let len = self.buffer_len();
        let (out, rest) = buffer.split_at_mut(len);
        out[0] = self.kind();
        if len > 1 {
            out[1] = u8::try_from(len).expect("TCP option longer than 255 bytes");
        }
        match *self {
            Self::EndOfList | Self::NoOperation | Self::SackPermitted => {}
            Self::MaxSegmentSize(mss) => set_be16(&mut out[2..4], mss),
            Self::WindowScale(shift) => out[2] = shift,
            Self::Sack(blocks) => {
                for (edges, &(left, right)) in out[2..].chunks_exact_mut(8).zip(blocks.as_slice()) {
                    set_be32(&mut edges[..4], left);
                    set_be32(&mut edges[4..], right);
                }
            }
            Self::Timestamp { tsval, tsecr } => {
                set_be32(&mut out[2..6], tsval);
                set_be32(&mut out[6..10], tsecr);
            }
            Self::Unknown { data, .. } => out[2..].copy_from_slice(data),
        }
        rest
    }
}

/// Walks TCP option bytes in order: one item per option, one
/// [`TcpOption::EndOfList`] per zero byte (Nmap's fingerprints show
/// trailing `L`s), and one `Err` then the end on a malformed length.
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
    type Item = Result<TcpOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match TcpOption::parse(self.rest) {
            Ok((option, rest)) => {
                self.rest = rest;
                Some(Ok(option))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// TCP option bytes kept inside a [`Repr`]: at most 40, a multiple of 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpOptions(pub OptionBytes);

impl TcpOptions {
    /// No options.
    pub const EMPTY: Self = Self(OptionBytes::EMPTY);

    /// Copies already-encoded option bytes (a multiple of 4, at most 40).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        OptionBytes::new(bytes).map(Self)
    }

    /// Encodes `options` in order and pads with end-of-list bytes to a
    /// multiple of four. Errors past 40 bytes.
    pub fn from_options(options: &[TcpOption<'_>]) -> Result<Self> {
        let mut buf = [0u8; OptionBytes::MAX_LEN];
        let mut used = 0;
        for option in options {
            let len = option.buffer_len();
            if used + len > buf.len() {
                return Err(Error);
            }
            option.emit(&mut buf[used..]);
            used += len;
        }
        OptionBytes::padded(&buf[..used]).map(Self)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Walks the options in order.
    pub fn iter(&self) -> OptionIter<'_> {
        OptionIter::new(self.as_bytes())
    }
}

/// A read/write view of a TCP segment.
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

    /// The single gate: a whole fixed header, data offset ≥ 5 and the
    /// whole header (with options) in the buffer.
    pub fn check_len(&self) -> Result<()> {
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

    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::SRC_PORT])
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::DST_PORT])
    }

    /// Sequence number.
    pub fn seq_number(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::SEQ_NUM])
    }

    /// Acknowledgement number.
    pub fn ack_number(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::ACK_NUM])
    }

    /// Header length in bytes (data offset × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::FLAGS.start] >> 4) * 4
    }

    /// The flag bits.
    pub fn flags(&self) -> Flags {
        Flags(be16(&self.buffer.as_ref()[field::FLAGS]) & Flags::MASK)
    }

    /// Window size.
    pub fn window_len(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::WIN_SIZE])
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// Urgent pointer.
    pub fn urgent_pointer(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::URGENT])
    }

    /// Raw option bytes.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::OPTIONS(self.header_len())]
    }

    /// The payload (everything after the header).
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }

    /// Whether the checksum over the pseudo-header and the whole buffer
    /// is correct.
    pub fn verify_checksum(&self, ips: &IpPair) -> bool {
        ips.transport_checksum(IpProtocol::Tcp, self.buffer.as_ref()) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::SRC_PORT], value);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::DST_PORT], value);
    }

    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, value: u32) {
        set_be32(&mut self.buffer.as_mut()[field::SEQ_NUM], value);
    }

    /// Sets the acknowledgement number.
    pub fn set_ack_number(&mut self, value: u32) {
        set_be32(&mut self.buffer.as_mut()[field::ACK_NUM], value);
    }

    /// Sets the data offset and flags (header length rounded down to
    /// 32-bit words).
    pub fn set_header_len_and_flags(&mut self, header_len: usize, flags: Flags) {
        let raw = ((header_len as u16 / 4) << 12) | (flags.0 & Flags::MASK);
        set_be16(&mut self.buffer.as_mut()[field::FLAGS], raw);
    }

    /// Sets the window size.
    pub fn set_window_len(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::WIN_SIZE], value);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::CHECKSUM], value);
    }

    /// Sets the urgent pointer.
    pub fn set_urgent_pointer(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::URGENT], value);
    }

    /// Option bytes, mutably.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let range = field::OPTIONS(self.header_len());
        &mut self.buffer.as_mut()[range]
    }

    /// The payload, mutably.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }

    /// Computes and stores the checksum over the whole buffer.
    pub fn fill_checksum(&mut self, ips: &IpPair) {
        self.set_checksum(0);
        let sum = ips.transport_checksum(IpProtocol::Tcp, self.buffer.as_ref());
        self.set_checksum(sum);
    }
}

/// A TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq_number: u32,
    pub ack_number: u32,
    pub flags: Flags,
    pub window_len: u16,
    pub urgent_pointer: u16,
    /// Options exactly as on the wire.
    pub options: TcpOptions,
    pub payload: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Reads a checked segment. The checksum is not verified here (see
    /// [`Packet::verify_checksum`]), nor are the options: malformed ones
    /// are kept raw and show up as an `Err` item when walked.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &'a Packet<&'a T>) -> Result<Self> {
        packet.check_len()?;
        Ok(Self {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq_number: packet.seq_number(),
            ack_number: packet.ack_number(),
            flags: packet.flags(),
            window_len: packet.window_len(),
            urgent_pointer: packet.urgent_pointer(),
            options: TcpOptions::from_bytes(packet.options())?,
            payload: &packet.buffer.as_ref()[packet.header_len()..],
        })
    }

    /// Length of the header.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.as_bytes().len()
    }

    /// Length of the segment (header and payload).
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Writes the segment and its checksum for the addresses `ips`.
    ///
    /// # Panics
    /// Panics if the buffer is not exactly [`Repr::buffer_len`] long
    /// (the checksum covers the whole buffer).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>, ips: &IpPair) {
        assert_eq!(packet.buffer.as_ref().len(), self.buffer_len());
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_seq_number(self.seq_number);
        packet.set_ack_number(self.ack_number);
        packet.set_header_len_and_flags(self.header_len(), self.flags);
        packet.set_window_len(self.window_len);
        packet.set_urgent_pointer(self.urgent_pointer);
        packet
            .options_mut()
            .copy_from_slice(self.options.as_bytes());
        packet.payload_mut().copy_from_slice(self.payload);
        packet.fill_checksum(ips);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::test_util::hex;
    use core::net::Ipv4Addr;

    const LO: IpPair = IpPair::V4 {
        src: Ipv4Addr::LOCALHOST,
        dst: Ipv4Addr::LOCALHOST,
    };

    // Linux 6.x SYN-ACK on loopback: MSS 65495, SACK-permitted, timestamps,
    // NOP, window scale 10 (checksum filled in; loopback leaves it partial).
    const SYN_ACK: &str = "9c419f76a79544d46130ade9a012ffcb00000000\
                           0204ffd70402080acab38bc5a01118ef0103030a";

    fn with_checksum(hex_str: &str, ips: &IpPair) -> Vec<u8> {
        let mut bytes = hex(hex_str);
        Packet::new_unchecked(&mut bytes[..]).fill_checksum(ips);
        bytes
    }

    #[test]
    fn deconstruct_syn_ack() {
        let bytes = with_checksum(SYN_ACK, &LO);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (40001, 40822));
        assert_eq!(p.flags(), Flags::SYN | Flags::ACK);
        assert_eq!(p.ack_number(), 0x6130_ade9);
        assert_eq!(p.window_len(), 65483);
        assert!(p.verify_checksum(&LO));
        let options: Vec<_> = OptionIter::new(p.options()).map(Result::unwrap).collect();
        assert_eq!(
            options,
            [
                TcpOption::MaxSegmentSize(65495),
                TcpOption::SackPermitted,
                TcpOption::Timestamp {
                    tsval: 0xcab3_8bc5,
                    tsecr: 0xa011_18ef
                },
                TcpOption::NoOperation,
                TcpOption::WindowScale(10),
            ]
        );
        // Re-encoding the walked options gives the same bytes.
        assert_eq!(
            TcpOptions::from_options(&options).unwrap().as_bytes(),
            p.options()
        );
    }

    #[test]
    fn every_option_roundtrips() {
        let sack = SackBlocks::new(&[(1, 2), (3, 4)]).unwrap();
        let table: [(TcpOption<'_>, &[u8]); 9] = [
            (TcpOption::EndOfList, &[0]),
            (TcpOption::NoOperation, &[1]),
            (TcpOption::MaxSegmentSize(1460), &[2, 4, 0x05, 0xb4]),
            (TcpOption::WindowScale(7), &[3, 3, 7]),
            (TcpOption::SackPermitted, &[4, 2]),
            (
                TcpOption::Sack(sack),
                &[5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4],
            ),
            (
                TcpOption::Timestamp { tsval: 1, tsecr: 2 },
                &[8, 10, 0, 0, 0, 1, 0, 0, 0, 2],
            ),
            // MSS with a wrong length stays unknown, byte-exact.
            (
                TcpOption::Unknown {
                    kind: 2,
                    data: &[5],
                },
                &[2, 3, 5],
            ),
            (
                TcpOption::Unknown {
                    kind: 30,
                    data: &[],
                },
                &[30, 2],
            ),
        ];
        for (option, bytes) in table {
            assert_eq!(TcpOption::parse(bytes), Ok((option, &[][..])), "{bytes:?}");
            let mut out = vec![0xa5; bytes.len()];
            assert!(option.emit(&mut out).is_empty());
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn bad_option_lengths() {
        for bad in [
            &[2u8][..],    // no length octet
            &[2, 0],       // length 0
            &[2, 1],       // length 1
            &[2, 5, 0, 0], // past the end
            &[8, 255, 0],  // far past the end
        ] {
            assert_eq!(TcpOption::parse(bad), Err(Error), "{bad:?}");
            let walked: Vec<_> = OptionIter::new(bad).collect();
            assert_eq!(walked, [Err(Error)]);
        }
        // A NOP before the bad option is still reported.
        let walked: Vec<_> = OptionIter::new(&[1, 3, 0]).collect();
        assert_eq!(walked, [Ok(TcpOption::NoOperation), Err(Error)]);
    }

    #[test]
    fn parse_emit_roundtrip() {
        let bytes = with_checksum(SYN_ACK, &LO);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        let repr = Repr::parse(&p).unwrap();
        let mut out = vec![0xa5; repr.buffer_len()];
        repr.emit(&mut Packet::new_unchecked(&mut out[..]), &LO);
        assert_eq!(out, bytes);
    }

    #[test]
    fn truncated_and_impossible() {
        let bytes = with_checksum(SYN_ACK, &LO);
        for len in 0..bytes.len() {
            assert_eq!(Packet::new_checked(&bytes[..len]), Err(Error), "len {len}");
        }
        let mut b = bytes.clone();
        b[12] = 0x40 | (b[12] & 0x0f); // data offset 4 < 5
        assert_eq!(Packet::new_checked(&b[..]), Err(Error));
        let mut b = bytes;
        b[12] = 0xf0 | (b[12] & 0x0f); // data offset 15: 60 bytes > 40
        assert_eq!(Packet::new_checked(&b[..]), Err(Error));
    }

    #[test]
    fn flags_display() {
        assert_eq!((Flags::SYN | Flags::ACK).to_string(), "SA");
        assert_eq!((Flags::RST | Flags::ACK).to_string(), "RA");
        assert_eq!(Flags(0).to_string(), ".");
    }
}
