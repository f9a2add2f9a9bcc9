//! ICMPv4 (RFC 792, RFC 950): type, code, checksum, four type-specific
//! bytes, then data.
//!
//! Error messages (destination unreachable, time exceeded, parameter
//! problem, source quench, redirect) quote the start of the datagram that
//! caused them; [`Packet::quoted_ipv4`] gives it as a *lax* IPv4 view,
//! since routers quote as little as the IP header plus eight bytes.

use core::net::Ipv4Addr;

use crate::ipv4;
use crate::{Error, Result, be16, be32, checksum, set_be16, set_be32};

enum_with_unknown! {
    /// ICMPv4 message type.
    pub enum Message(u8) {
        EchoReply = 0,
        DstUnreachable = 3,
        SourceQuench = 4,
        Redirect = 5,
        EchoRequest = 8,
        RouterAdvert = 9,
        RouterSolicit = 10,
        TimeExceeded = 11,
        ParamProblem = 12,
        Timestamp = 13,
        TimestampReply = 14,
        InfoRequest = 15,
        InfoReply = 16,
        AddressMaskRequest = 17,
        AddressMaskReply = 18,
    }
}

impl Message {
    /// Whether this type quotes the offending datagram.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            Self::DstUnreachable
                | Self::SourceQuench
                | Self::Redirect
                | Self::TimeExceeded
                | Self::ParamProblem
        )
    }
}

enum_with_unknown! {
    /// Codes of destination unreachable (RFC 792, RFC 1812).
    pub enum DstUnreachable(u8) {
        NetUnreachable = 0,
        HostUnreachable = 1,
        ProtoUnreachable = 2,
        PortUnreachable = 3,
        FragRequired = 4,
        SrcRouteFailed = 5,
        DstNetUnknown = 6,
        DstHostUnknown = 7,
        SrcHostIsolated = 8,
        NetProhibited = 9,
        HostProhibited = 10,
        NetUnreachToS = 11,
        HostUnreachToS = 12,
        CommProhibited = 13,
        HostPrecedViol = 14,
        PrecedCutoff = 15,
    }
}

enum_with_unknown! {
    /// Codes of time exceeded.
    pub enum TimeExceeded(u8) {
        TtlExpired = 0,
        FragExpired = 1,
    }
}

mod field {
    use crate::field::Field;

    pub(crate) const TYPE: usize = 0;
    pub(crate) const CODE: usize = 1;
    pub(crate) const CHECKSUM: Field = 2..4;
    /// The four type-specific bytes ("rest of header").
    pub(crate) const REST: Field = 4..8;
    pub(crate) const ECHO_IDENT: Field = 4..6;
    pub(crate) const ECHO_SEQNO: Field = 6..8;
    pub(crate) const UNREACH_MTU: Field = 6..8;
    pub(crate) const DATA: usize = REST.end;
    pub(crate) const TS_ORIGINATE: Field = 8..12;
    pub(crate) const TS_RECEIVE: Field = 12..16;
    pub(crate) const TS_TRANSMIT: Field = 16..20;
    pub(crate) const MASK: Field = 8..12;
}

/// Length of the ICMPv4 header (type, code, checksum, four more bytes).
pub const HEADER_LEN: usize = field::DATA;
/// Length of a timestamp or timestamp reply message.
pub const TIMESTAMP_LEN: usize = field::TS_TRANSMIT.end;
/// Length of an address mask request or reply.
pub const ADDRESS_MASK_LEN: usize = field::MASK.end;

/// A read/write view of an ICMPv4 message (the whole IP payload).
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

    /// The gate: the 8-byte header is present, and timestamp and address
    /// mask messages are long enough for their fields.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        let needed = match self.msg_type_raw() {
            Some(13 | 14) => TIMESTAMP_LEN,
            Some(17 | 18) => ADDRESS_MASK_LEN,
            _ => HEADER_LEN,
        };
        if len < needed { Err(Error) } else { Ok(()) }
    }

    fn msg_type_raw(&self) -> Option<u8> {
        self.buffer.as_ref().first().copied()
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

    /// The four type-specific bytes after the checksum.
    pub fn rest_of_header(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::REST])
    }

    /// Identifier (echo, timestamp, address mask).
    pub fn echo_ident(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::ECHO_IDENT])
    }

    /// Sequence number (echo, timestamp, address mask).
    pub fn echo_seq_no(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::ECHO_SEQNO])
    }

    /// Next-hop MTU of a "fragmentation needed" unreachable (RFC 1191).
    pub fn next_hop_mtu(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::UNREACH_MTU])
    }

    /// Originate timestamp (timestamp messages; needs [`TIMESTAMP_LEN`]).
    pub fn originate_timestamp(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::TS_ORIGINATE])
    }

    /// Receive timestamp.
    pub fn receive_timestamp(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::TS_RECEIVE])
    }

    /// Transmit timestamp.
    pub fn transmit_timestamp(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::TS_TRANSMIT])
    }

    /// Address mask (needs [`ADDRESS_MASK_LEN`]).
    pub fn address_mask(&self) -> Ipv4Addr {
        Ipv4Addr::from(be32(&self.buffer.as_ref()[field::MASK]))
    }

    /// Everything after the 8-byte header.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..]
    }

    /// For error messages: the quoted datagram as a lax IPv4 view (header
    /// complete, payload possibly cut short).
    pub fn quoted_ipv4(&self) -> Result<ipv4::Packet<&[u8]>> {
        if !self.msg_type().is_error() {
            return Err(Error);
        }
        ipv4::Packet::new_lax(self.data())
    }

    /// Whether the checksum over the whole message is correct.
    pub fn verify_checksum(&self) -> bool {
        checksum::data(self.buffer.as_ref()) == 0xffff
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

    /// Sets the identifier.
    pub fn set_echo_ident(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::ECHO_IDENT], value);
    }

    /// Sets the sequence number.
    pub fn set_echo_seq_no(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::ECHO_SEQNO], value);
    }

    /// Sets the three timestamps.
    pub fn set_timestamps(&mut self, originate: u32, receive: u32, transmit: u32) {
        let b = self.buffer.as_mut();
        set_be32(&mut b[field::TS_ORIGINATE], originate);
        set_be32(&mut b[field::TS_RECEIVE], receive);
        set_be32(&mut b[field::TS_TRANSMIT], transmit);
    }

    /// Sets the address mask.
    pub fn set_address_mask(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::MASK].copy_from_slice(&value.octets());
    }

    /// Everything after the 8-byte header, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA..]
    }

    /// Computes and stores the checksum over the whole buffer.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::data(self.buffer.as_ref());
        self.set_checksum(!sum);
    }
}

/// An ICMPv4 message. Types and lengths this crate does not model are kept
/// whole in [`Repr::Other`], so every message parses and re-emits exactly.
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
    /// Timestamp request (type 13, exactly 20 bytes).
    Timestamp {
        ident: u16,
        seq_no: u16,
        originate: u32,
        receive: u32,
        transmit: u32,
    },
    /// Timestamp reply (type 14, exactly 20 bytes).
    TimestampReply {
        ident: u16,
        seq_no: u16,
        originate: u32,
        receive: u32,
        transmit: u32,
    },
    /// Address mask request (type 17, exactly 12 bytes).
    AddressMaskRequest {
        ident: u16,
        seq_no: u16,
        mask: Ipv4Addr,
    },
    /// Address mask reply (type 18, exactly 12 bytes).
    AddressMaskReply {
        ident: u16,
        seq_no: u16,
        mask: Ipv4Addr,
    },
    /// Destination unreachable; `rest` holds the unused/MTU bytes as sent.
    DstUnreachable {
        code: DstUnreachable,
        rest: u32,
        quoted: &'a [u8],
    },
    /// Time exceeded; `rest` holds the unused bytes as sent.
    TimeExceeded {
        code: TimeExceeded,
        rest: u32,
        quoted: &'a [u8],
    },
    /// Parameter problem; the pointer is the top byte of `rest`.
    ParamProblem {
        code: u8,
        rest: u32,
        quoted: &'a [u8],
    },
    /// Any other message, whole.
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
        let len = packet.buffer.as_ref().len();
        let data = &packet.buffer.as_ref()[field::DATA..];
        let (ident, seq_no, rest, code) = (
            packet.echo_ident(),
            packet.echo_seq_no(),
            packet.rest_of_header(),
            packet.msg_code(),
        );
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
            (Message::Timestamp, 0) if len == TIMESTAMP_LEN => Self::Timestamp {
                ident,
                seq_no,
                originate: packet.originate_timestamp(),
                receive: packet.receive_timestamp(),
                transmit: packet.transmit_timestamp(),
            },
            (Message::TimestampReply, 0) if len == TIMESTAMP_LEN => Self::TimestampReply {
                ident,
                seq_no,
                originate: packet.originate_timestamp(),
                receive: packet.receive_timestamp(),
                transmit: packet.transmit_timestamp(),
            },
            (Message::AddressMaskRequest, 0) if len == ADDRESS_MASK_LEN => {
                Self::AddressMaskRequest {
                    ident,
                    seq_no,
                    mask: packet.address_mask(),
                }
            }
            (Message::AddressMaskReply, 0) if len == ADDRESS_MASK_LEN => Self::AddressMaskReply {
                ident,
                seq_no,
                mask: packet.address_mask(),
            },
            (Message::DstUnreachable, code) => Self::DstUnreachable {
                code: code.into(),
                rest,
                quoted: data,
            },
            (Message::TimeExceeded, code) => Self::TimeExceeded {
                code: code.into(),
                rest,
                quoted: data,
            },
            (Message::ParamProblem, code) => Self::ParamProblem {
                code,
                rest,
                quoted: data,
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
            Self::EchoRequest { data, .. } | Self::EchoReply { data, .. } => {
                HEADER_LEN + data.len()
            }
            Self::Timestamp { .. } | Self::TimestampReply { .. } => TIMESTAMP_LEN,
            Self::AddressMaskRequest { .. } | Self::AddressMaskReply { .. } => ADDRESS_MASK_LEN,
            Self::DstUnreachable { quoted, .. }
            | Self::TimeExceeded { quoted, .. }
            | Self::ParamProblem { quoted, .. } => HEADER_LEN + quoted.len(),
            Self::Other { data, .. } => HEADER_LEN + data.len(),
        }
    }

    /// Writes the message and its checksum.
    ///
    /// # Panics
    /// Panics if the buffer is not exactly [`Repr::buffer_len`] long.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        assert_eq!(packet.buffer.as_ref().len(), self.buffer_len());
        let echo = |p: &mut Packet<T>, t, ident, seq_no| {
            p.set_msg_type(t);
            p.set_msg_code(0);
            p.set_echo_ident(ident);
            p.set_echo_seq_no(seq_no);
        };
        match *self {
            Self::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                echo(packet, Message::EchoRequest, ident, seq_no);
                packet.data_mut().copy_from_slice(data);
            }
            Self::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                echo(packet, Message::EchoReply, ident, seq_no);
                packet.data_mut().copy_from_slice(data);
            }
            Self::Timestamp {
                ident,
                seq_no,
                originate,
                receive,
                transmit,
            } => {
                echo(packet, Message::Timestamp, ident, seq_no);
                packet.set_timestamps(originate, receive, transmit);
            }
            Self::TimestampReply {
                ident,
                seq_no,
                originate,
                receive,
                transmit,
            } => {
                echo(packet, Message::TimestampReply, ident, seq_no);
                packet.set_timestamps(originate, receive, transmit);
            }
            Self::AddressMaskRequest {
                ident,
                seq_no,
                mask,
            } => {
                echo(packet, Message::AddressMaskRequest, ident, seq_no);
                packet.set_address_mask(mask);
            }
            Self::AddressMaskReply {
                ident,
                seq_no,
                mask,
            } => {
                echo(packet, Message::AddressMaskReply, ident, seq_no);
                packet.set_address_mask(mask);
            }
            Self::DstUnreachable { code, rest, quoted } => {
                Self::emit_raw(packet, Message::DstUnreachable, code.into(), rest, quoted);
            }
            Self::TimeExceeded { code, rest, quoted } => {
                Self::emit_raw(packet, Message::TimeExceeded, code.into(), rest, quoted);
            }
            Self::ParamProblem { code, rest, quoted } => {
                Self::emit_raw(packet, Message::ParamProblem, code, rest, quoted);
            }
            Self::Other {
                msg_type,
                code,
                rest,
                data,
            } => Self::emit_raw(packet, msg_type, code, rest, data),
        }
        packet.fill_checksum();
    }

    fn emit_raw<T: AsRef<[u8]> + AsMut<[u8]>>(
        packet: &mut Packet<T>,
        msg_type: Message,
        code: u8,
        rest: u32,
        data: &[u8],
    ) {
        packet.set_msg_type(msg_type);
        packet.set_msg_code(code);
        packet.set_rest_of_header(rest);
        packet.data_mut().copy_from_slice(data);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ip::IpProtocol;
    use crate::test_util::hex;

    // ICMP payloads captured from Linux on a veth pair / loopback.
    const ECHO_REPLY: &str = "00005c35123400016162636465666768";
    const TS_REPLY: &str = "0e00501f43210002000003e8013aac30013aac30";
    // Port unreachable quoting a UDP datagram of one byte ("x").
    const PORT_UNREACH: &str = "0303e720000000004500001d838d40000111d2960ad507010ad50702\
                                ddc39c47000923c778";

    #[test]
    fn table_roundtrip() {
        for (hex_str, check) in [(ECHO_REPLY, 0usize), (TS_REPLY, 1), (PORT_UNREACH, 2)] {
            let bytes = hex(hex_str);
            let p = Packet::new_checked(&bytes[..]).unwrap();
            assert!(p.verify_checksum(), "{hex_str}");
            let repr = Repr::parse(&p).unwrap();
            match (check, repr) {
                (
                    0,
                    Repr::EchoReply {
                        ident,
                        seq_no,
                        data,
                    },
                ) => {
                    assert_eq!((ident, seq_no, data), (0x1234, 1, &b"abcdefgh"[..]));
                }
                (1, Repr::TimestampReply { originate, .. }) => assert_eq!(originate, 1000),
                (2, Repr::DstUnreachable { code, quoted, .. }) => {
                    assert_eq!(code, DstUnreachable::PortUnreachable);
                    assert_eq!(quoted.len(), 29);
                }
                other => panic!("{other:?}"),
            }
            let mut out = vec![0xa5; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut out[..]));
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn quoted_datagram() {
        let bytes = hex(PORT_UNREACH);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        let ip = p.quoted_ipv4().unwrap();
        assert_eq!(ip.protocol(), IpProtocol::Udp);
        assert_eq!(ip.dst_addr(), Ipv4Addr::new(10, 213, 7, 2));
        assert_eq!(&ip.payload()[2..4], &[0x9c, 0x47]); // port 40007
        // Cut down to IP header + 8 bytes, as RFC 792 routers quote.
        let short = &bytes[..8 + 20 + 8];
        let p = Packet::new_checked(short).unwrap();
        assert_eq!(p.quoted_ipv4().unwrap().payload().len(), 8);
    }

    #[test]
    fn truncated() {
        for hex_str in [ECHO_REPLY, TS_REPLY, PORT_UNREACH] {
            let bytes = hex(hex_str);
            for len in 0..bytes.len() {
                let Ok(p) = Packet::new_checked(&bytes[..len]) else {
                    continue;
                };
                // Any prefix that passes is a whole header: parsing works
                // (possibly as Other) and never panics.
                assert!(len >= HEADER_LEN);
                let _ = Repr::parse(&p).unwrap();
                let _ = p.quoted_ipv4();
            }
        }
        assert_eq!(Packet::new_checked(&hex(TS_REPLY)[..19]), Err(Error));
    }
}
