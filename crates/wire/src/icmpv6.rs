//! ICMPv6 (RFC 4443) and the Neighbor Discovery messages a scanner needs
//! (RFC 4861 §4.3-4.4, with link-layer address options §4.6.1).
//!
//! The checksum covers the IPv6 pseudo-header, so it needs the addresses.
//! Error messages quote the offending packet; [`Packet::quoted_ipv6`]
//! gives it as a lax IPv6 view. NDP options are kept raw ([`NdOptions`])
//! and walked in order.

use core::net::Ipv6Addr;

use crate::ethernet::EthernetAddress;
use crate::ip::{IpPair, IpProtocol};
use crate::ipv6;
use crate::{Error, Result, be16, be32, set_be16, set_be32};

enum_with_unknown! {
    /// ICMPv6 message type.
    pub enum Message(u8) {
        DstUnreachable = 1,
        PacketTooBig = 2,
        TimeExceeded = 3,
        ParamProblem = 4,
        EchoRequest = 128,
        EchoReply = 129,
        MldQuery = 130,
        MldReport = 131,
        MldDone = 132,
        RouterSolicit = 133,
        RouterAdvert = 134,
        NeighborSolicit = 135,
        NeighborAdvert = 136,
        Redirect = 137,
        MldV2Report = 143,
    }
}

impl Message {
    /// Whether this type quotes the offending packet (types 0-127).
    pub fn is_error(self) -> bool {
        u8::from(self) < 128
    }
}

enum_with_unknown! {
    /// Codes of destination unreachable (RFC 4443 §3.1).
    pub enum DstUnreachable(u8) {
        NoRoute = 0,
        AdminProhibit = 1,
        BeyondScope = 2,
        AddrUnreachable = 3,
        PortUnreachable = 4,
        FailedPolicy = 5,
        RejectRoute = 6,
    }
}

mod field {
    use crate::field::Field;

    pub(crate) const TYPE: usize = 0;
    pub(crate) const CODE: usize = 1;
    pub(crate) const CHECKSUM: Field = 2..4;
    pub(crate) const REST: Field = 4..8;
    pub(crate) const ECHO_IDENT: Field = 4..6;
    pub(crate) const ECHO_SEQNO: Field = 6..8;
    pub(crate) const DATA: usize = REST.end;
    /// NS/NA target address.
    pub(crate) const TARGET: Field = 8..24;
    pub(crate) const ND_OPTIONS: usize = TARGET.end;

    pub(crate) const OPT_TYPE: usize = 0;
    pub(crate) const OPT_LEN: usize = 1;
}

/// Length of the ICMPv6 header (type, code, checksum, four more bytes).
pub const HEADER_LEN: usize = field::DATA;
/// Length of a neighbor solicitation/advertisement without options.
pub const ND_HEADER_LEN: usize = field::ND_OPTIONS;

/// Neighbor advertisement flag bits (the top of the first word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NdFlags(pub u32);

impl NdFlags {
    pub const ROUTER: u32 = 0x8000_0000;
    pub const SOLICITED: u32 = 0x4000_0000;
    pub const OVERRIDE: u32 = 0x2000_0000;

    /// R: the sender is a router.
    pub fn router(self) -> bool {
        self.0 & Self::ROUTER != 0
    }

    /// S: sent in response to a solicitation.
    pub fn solicited(self) -> bool {
        self.0 & Self::SOLICITED != 0
    }

    /// O: override an existing cache entry.
    pub fn override_entry(self) -> bool {
        self.0 & Self::OVERRIDE != 0
    }
}

/// A read/write view of an ICMPv6 message (the upper-layer packet).
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

    /// The gate: the 8-byte header, and for NS/NA the target address.
    pub fn check_len(&self) -> Result<()> {
        let data = self.buffer.as_ref();
        let needed = match data.first() {
            Some(135 | 136) => ND_HEADER_LEN,
            _ => HEADER_LEN,
        };
        if data.len() < needed {
            Err(Error)
        } else {
            Ok(())
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Message type.
    pub fn msg_type(&self) -> Message {
        Message::from(self.buffer.as_ref()[field::TYPE])
    }

    /// Message code.
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// The four type-specific bytes (MTU, pointer, ND flags, …).
    pub fn rest_of_header(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::REST])
    }

    /// Echo identifier.
    pub fn echo_ident(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::ECHO_IDENT])
    }

    /// Echo sequence number.
    pub fn echo_seq_no(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::ECHO_SEQNO])
    }

    /// NS/NA target address (needs [`ND_HEADER_LEN`]).
    pub fn target_addr(&self) -> Ipv6Addr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.buffer.as_ref()[field::TARGET]);
        Ipv6Addr::from(a)
    }

    /// NS/NA option bytes (needs [`ND_HEADER_LEN`]).
    pub fn nd_options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::ND_OPTIONS..]
    }

    /// Everything after the 8-byte header.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..]
    }

    /// For error messages: the quoted packet as a lax IPv6 view.
    pub fn quoted_ipv6(&self) -> Result<ipv6::Packet<&[u8]>> {
        if !self.msg_type().is_error() {
            return Err(Error);
        }
        ipv6::Packet::new_lax(self.data())
    }

    /// Whether the checksum over the pseudo-header and message is correct.
    pub fn verify_checksum(&self, ips: &IpPair) -> bool {
        ips.transport_checksum(IpProtocol::Icmpv6, self.buffer.as_ref()) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, value: Message) {
        self.buffer.as_mut()[field::TYPE] = value.into();
    }

    /// Sets the message code.
    pub fn set_msg_code(&mut self, value: u8) {
        self.buffer.as_mut()[field::CODE] = value;
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::CHECKSUM], value);
    }

    /// Sets the four type-specific bytes.
    pub fn set_rest_of_header(&mut self, value: u32) {
        set_be32(&mut self.buffer.as_mut()[field::REST], value);
    }

    /// Sets the target address.
    pub fn set_target_addr(&mut self, value: Ipv6Addr) {
        self.buffer.as_mut()[field::TARGET].copy_from_slice(&value.octets());
    }

    /// Everything after the 8-byte header, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA..]
    }

    /// Computes and stores the checksum.
    pub fn fill_checksum(&mut self, ips: &IpPair) {
        self.set_checksum(0);
        let sum = ips.transport_checksum(IpProtocol::Icmpv6, self.buffer.as_ref());
        self.set_checksum(sum);
    }
}

/// One NDP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NdOption<'a> {
    /// Type 1 with an Ethernet address (length 1).
    SourceLinkLayerAddr(EthernetAddress),
    /// Type 2 with an Ethernet address (length 1).
    TargetLinkLayerAddr(EthernetAddress),
    /// Anything else: the type and the bytes after the length octet.
    Unknown { kind: u8, data: &'a [u8] },
}

impl<'a> NdOption<'a> {
    /// Reads one option from the front of `bytes`; returns it and the rest.
    /// A length of zero is an error (RFC 4861 §4.6: "MUST silently
    /// discard").
    pub fn parse(bytes: &'a [u8]) -> Result<(Self, &'a [u8])> {
        let kind = *bytes.get(field::OPT_TYPE).ok_or(Error)?;
        let len = usize::from(*bytes.get(field::OPT_LEN).ok_or(Error)?) * 8;
        if len == 0 || len > bytes.len() {
            return Err(Error);
        }
        let data = &bytes[2..len];
        let option = match (kind, len) {
            (1, 8) => Self::SourceLinkLayerAddr(EthernetAddress::from_bytes(&data[..6])),
            (2, 8) => Self::TargetLinkLayerAddr(EthernetAddress::from_bytes(&data[..6])),
            _ => Self::Unknown { kind, data },
        };
        Ok((option, &bytes[len..]))
    }

    /// Bytes this option takes (a multiple of eight for well-formed data).
    pub fn buffer_len(&self) -> usize {
        match *self {
            Self::SourceLinkLayerAddr(_) | Self::TargetLinkLayerAddr(_) => 8,
            Self::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Writes the option at the front of `buffer`; returns the rest.
    ///
    /// # Panics
    /// Panics if `buffer` is too short.
    pub fn emit<'b>(&self, buffer: &'b mut [u8]) -> &'b mut [u8] {
        let len = self.buffer_len();
        let (out, rest) = buffer.split_at_mut(len);
        out[field::OPT_LEN] = (len / 8) as u8;
        match *self {
            Self::SourceLinkLayerAddr(addr) | Self::TargetLinkLayerAddr(addr) => {
                out[field::OPT_TYPE] = if matches!(self, Self::SourceLinkLayerAddr(_)) {
                    1
                } else {
                    2
                };
                out[2..].copy_from_slice(&addr.0);
            }
            Self::Unknown { kind, data } => {
                out[field::OPT_TYPE] = kind;
                out[2..].copy_from_slice(data);
            }
        }
        rest
    }
}

/// NDP option bytes, walked in order; one `Err` then the end on a bad
/// length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NdOptions<'a>(pub &'a [u8]);

impl<'a> NdOptions<'a> {
    /// The link-layer address of the first source or target link-layer
    /// option, if any.
    pub fn link_layer_addr(&self) -> Option<EthernetAddress> {
        self.into_iter().find_map(|o| match o {
            Ok(NdOption::SourceLinkLayerAddr(a) | NdOption::TargetLinkLayerAddr(a)) => Some(a),
            _ => None,
        })
    }
}

impl<'a> IntoIterator for NdOptions<'a> {
    type Item = Result<NdOption<'a>>;
    type IntoIter = NdOptionIter<'a>;

    fn into_iter(self) -> NdOptionIter<'a> {
        NdOptionIter { rest: self.0 }
    }
}

/// Iterator over [`NdOptions`].
#[derive(Debug, Clone)]
pub struct NdOptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for NdOptionIter<'a> {
    type Item = Result<NdOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match NdOption::parse(self.rest) {
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

/// An ICMPv6 message. Everything not modelled is kept whole in
/// [`Repr::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repr<'a> {
    EchoRequest {
        ident: u16,
        seq_no: u16,
        data: &'a [u8],
    },
    EchoReply {
        ident: u16,
        seq_no: u16,
        data: &'a [u8],
    },
    DstUnreachable {
        code: DstUnreachable,
        rest: u32,
        quoted: &'a [u8],
    },
    PacketTooBig {
        code: u8,
        mtu: u32,
        quoted: &'a [u8],
    },
    TimeExceeded {
        code: u8,
        rest: u32,
        quoted: &'a [u8],
    },
    ParamProblem {
        code: u8,
        pointer: u32,
        quoted: &'a [u8],
    },
    NeighborSolicit {
        /// The reserved word, normally zero.
        reserved: u32,
        target: Ipv6Addr,
        options: NdOptions<'a>,
    },
    NeighborAdvert {
        flags: NdFlags,
        target: Ipv6Addr,
        options: NdOptions<'a>,
    },
    Other {
        msg_type: Message,
        code: u8,
        rest: u32,
        data: &'a [u8],
    },
}

impl<'a> Repr<'a> {
    /// Reads a checked message (checksum not verified here).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &'a Packet<&'a T>) -> Result<Self> {
        packet.check_len()?;
        let data = &packet.buffer.as_ref()[field::DATA..];
        let (code, rest) = (packet.msg_code(), packet.rest_of_header());
        let (ident, seq_no) = (packet.echo_ident(), packet.echo_seq_no());
        Ok(match (packet.msg_type(), code) {
            (Message::EchoRequest, 0) => Self::EchoRequest {
                ident,
                seq_no,
                data,
            },
            (Message::EchoReply, 0) => Self::EchoReply {
                ident,
                seq_no,
                data,
            },
            (Message::DstUnreachable, code) => Self::DstUnreachable {
                code: code.into(),
                rest,
                quoted: data,
            },
            (Message::PacketTooBig, code) => Self::PacketTooBig {
                code,
                mtu: rest,
                quoted: data,
            },
            (Message::TimeExceeded, code) => Self::TimeExceeded {
                code,
                rest,
                quoted: data,
            },
            (Message::ParamProblem, code) => Self::ParamProblem {
                code,
                pointer: rest,
                quoted: data,
            },
            (Message::NeighborSolicit, 0) => Self::NeighborSolicit {
                reserved: rest,
                target: packet.target_addr(),
                options: NdOptions(&packet.buffer.as_ref()[field::ND_OPTIONS..]),
            },
            (Message::NeighborAdvert, 0) => Self::NeighborAdvert {
                flags: NdFlags(rest),
                target: packet.target_addr(),
                options: NdOptions(&packet.buffer.as_ref()[field::ND_OPTIONS..]),
            },
            (msg_type, code) => Self::Other {
                msg_type,
                code,
                rest,
                data,
            },
        })
    }

    /// Length of the message.
    pub fn buffer_len(&self) -> usize {
        match *self {
            Self::EchoRequest { data, .. }
            | Self::EchoReply { data, .. }
            | Self::Other { data, .. } => HEADER_LEN + data.len(),
            Self::DstUnreachable { quoted, .. }
            | Self::PacketTooBig { quoted, .. }
            | Self::TimeExceeded { quoted, .. }
            | Self::ParamProblem { quoted, .. } => HEADER_LEN + quoted.len(),
            Self::NeighborSolicit { options, .. } | Self::NeighborAdvert { options, .. } => {
                ND_HEADER_LEN + options.0.len()
            }
        }
    }

    /// Writes the message and its checksum for the addresses `ips`.
    ///
    /// # Panics
    /// Panics if the buffer is not exactly [`Repr::buffer_len`] long.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>, ips: &IpPair) {
        assert_eq!(packet.buffer.as_ref().len(), self.buffer_len());
        let (msg_type, code, rest, body): (Message, u8, u32, &[u8]) = match *self {
            Self::EchoRequest {
                ident,
                seq_no,
                data,
            } => (
                Message::EchoRequest,
                0,
                (u32::from(ident) << 16) | u32::from(seq_no),
                data,
            ),
            Self::EchoReply {
                ident,
                seq_no,
                data,
            } => (
                Message::EchoReply,
                0,
                (u32::from(ident) << 16) | u32::from(seq_no),
                data,
            ),
            Self::DstUnreachable { code, rest, quoted } => {
                (Message::DstUnreachable, code.into(), rest, quoted)
            }
            Self::PacketTooBig { code, mtu, quoted } => (Message::PacketTooBig, code, mtu, quoted),
            Self::TimeExceeded { code, rest, quoted } => {
                (Message::TimeExceeded, code, rest, quoted)
            }
            Self::ParamProblem {
                code,
                pointer,
                quoted,
            } => (Message::ParamProblem, code, pointer, quoted),
            Self::NeighborSolicit {
                reserved,
                target,
                options: _,
            } => {
                packet.set_target_addr(target);
                (Message::NeighborSolicit, 0, reserved, &[][..])
            }
            Self::NeighborAdvert {
                flags,
                target,
                options: _,
            } => {
                packet.set_target_addr(target);
                (Message::NeighborAdvert, 0, flags.0, &[][..])
            }
            Self::Other {
                msg_type,
                code,
                rest,
                data,
            } => (msg_type, code, rest, data),
        };
        packet.set_msg_type(msg_type);
        packet.set_msg_code(code);
        packet.set_rest_of_header(rest);
        match *self {
            Self::NeighborSolicit { options, .. } | Self::NeighborAdvert { options, .. } => {
                packet.buffer.as_mut()[field::ND_OPTIONS..].copy_from_slice(options.0);
            }
            _ => packet.data_mut().copy_from_slice(body),
        }
        packet.fill_checksum(ips);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::test_util::hex;

    fn pair(src: &str, dst: &str) -> IpPair {
        IpPair::V6 {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
        }
    }

    // Linux neighbor solicitation and advertisement, captured on a veth
    // pair (fd77::1 <-> fd77::2).
    const NS: &str = "870030b700000000fd77000000000000000000000000000201017a2cce0305c3";
    const NA: &str = "88007fe660000000fd7700000000000000000000000000020201a604c39533b6";
    // Port unreachable from ::1 quoting a UDP datagram of three bytes.
    const PORT_UNREACH: &str = "0104b61600000000600ff883000b11400000000000000000000000000000000100\
                                000000000000000000000000000001a3b59c45000b001e686936";

    #[test]
    fn table_roundtrip() {
        let ns_ips = pair("fd77::1", "ff02::1:ff00:2");
        let na_ips = pair("fd77::2", "fd77::1");
        let lo = pair("::1", "::1");
        for (hex_str, ips) in [(NS, ns_ips), (NA, na_ips), (PORT_UNREACH, lo)] {
            let bytes = hex(hex_str);
            let p = Packet::new_checked(&bytes[..]).unwrap();
            assert!(p.verify_checksum(&ips), "{hex_str}");
            let repr = Repr::parse(&p).unwrap();
            let mut out = vec![0xa5; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut out[..]), &ips);
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn neighbor_advert() {
        let bytes = hex(NA);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        let Repr::NeighborAdvert {
            flags,
            target,
            options,
        } = Repr::parse(&p).unwrap()
        else {
            panic!()
        };
        assert!(flags.solicited() && flags.override_entry() && !flags.router());
        assert_eq!(target, "fd77::2".parse::<Ipv6Addr>().unwrap());
        assert_eq!(
            options.link_layer_addr(),
            Some(EthernetAddress([0xa6, 0x04, 0xc3, 0x95, 0x33, 0xb6]))
        );
        let mut out = [0xa5; 8];
        NdOption::TargetLinkLayerAddr(options.link_layer_addr().unwrap()).emit(&mut out);
        assert_eq!(out, &bytes[24..]);
    }

    #[test]
    fn quoted_and_truncated() {
        let bytes = hex(PORT_UNREACH);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        let q = p.quoted_ipv6().unwrap();
        assert_eq!(q.upper_layer().unwrap().protocol, IpProtocol::Udp);
        for hex_str in [NS, NA, PORT_UNREACH] {
            let bytes = hex(hex_str);
            for len in 0..bytes.len() {
                if let Ok(p) = Packet::new_checked(&bytes[..len]) {
                    let repr = Repr::parse(&p).unwrap();
                    if let Repr::NeighborAdvert { options, .. }
                    | Repr::NeighborSolicit { options, .. } = repr
                    {
                        // A cut option is reported, not read past.
                        let _ = options.into_iter().count();
                    }
                    let _ = p.quoted_ipv6();
                }
            }
        }
    }

    #[test]
    fn bad_nd_options() {
        assert_eq!(NdOption::parse(&[1, 0, 0, 0, 0, 0, 0, 0]), Err(Error));
        assert_eq!(NdOption::parse(&[1, 2, 0, 0, 0, 0, 0, 0]), Err(Error));
        assert_eq!(NdOption::parse(&[1]), Err(Error));
        let walked: Vec<_> = NdOptions(&[1, 0]).into_iter().collect();
        assert_eq!(walked, [Err(Error)]);
    }
}
