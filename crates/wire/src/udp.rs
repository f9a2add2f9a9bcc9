//! UDP (RFC 768): an 8-byte header and the payload.
//!
//! The length field is checked against the buffer; bytes past it (link
//! padding) are not payload. A zero checksum means "none" over IPv4; a
//! computed zero is sent as 0xffff (RFC 768: "If the computed checksum is
//! zero, it is transmitted as all ones").

use crate::ip::{IpPair, IpProtocol};
use crate::{Error, Result, be16, set_be16};

mod field {
    use crate::field::Field;

    pub(crate) const SRC_PORT: Field = 0..2;
    pub(crate) const DST_PORT: Field = 2..4;
    pub(crate) const LENGTH: Field = 4..6;
    pub(crate) const CHECKSUM: Field = 6..8;
}

/// Length of a UDP header.
pub const HEADER_LEN: usize = field::CHECKSUM.end;

/// A read/write view of a UDP datagram.
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

    /// The single gate: a whole header, and a length field between 8 and
    /// the buffer length.
    pub fn check_len(&self) -> Result<()> {
        let buffer_len = self.buffer.as_ref().len();
        if buffer_len < HEADER_LEN {
            return Err(Error);
        }
        let field_len = usize::from(self.len());
        if field_len < HEADER_LEN || field_len > buffer_len {
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

    /// Length field (header and payload).
    #[allow(clippy::len_without_is_empty)] // a header field, not a container length
    pub fn len(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::LENGTH])
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// The payload, up to the length field.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.len())]
    }

    /// Whether the checksum is correct; a zero checksum over IPv4 means
    /// "not computed" and verifies.
    pub fn verify_checksum(&self, ips: &IpPair) -> bool {
        if matches!(ips, IpPair::V4 { .. }) && self.checksum() == 0 {
            return true;
        }
        let datagram = &self.buffer.as_ref()[..usize::from(self.len())];
        ips.transport_checksum(IpProtocol::Udp, datagram) == 0
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

    /// Sets the length field.
    pub fn set_len(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::LENGTH], value);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::CHECKSUM], value);
    }

    /// The payload, mutably, up to the length field.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = usize::from(self.len());
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }

    /// Computes and stores the checksum over the datagram (up to the
    /// length field).
    pub fn fill_checksum(&mut self, ips: &IpPair) {
        self.set_checksum(0);
        let end = usize::from(self.len());
        let sum = ips.transport_checksum(IpProtocol::Udp, &self.buffer.as_ref()[..end]);
        self.set_checksum(if sum == 0 { 0xffff } else { sum });
    }
}

/// A UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Reads a checked datagram (checksum not verified here).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &'a Packet<&'a T>) -> Result<Self> {
        packet.check_len()?;
        let end = usize::from(packet.len());
        Ok(Self {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            payload: &packet.buffer.as_ref()[HEADER_LEN..end],
        })
    }

    /// Length of the datagram.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Writes the datagram and its checksum for the addresses `ips`.
    ///
    /// # Panics
    /// Panics if the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>, ips: &IpPair) {
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_len(self.buffer_len() as u16);
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
    // "hello" from 47705 to 40003 on loopback (checksum filled in).
    const HELLO: &str = "ba599c43000d000068656c6c6f";

    fn datagram() -> Vec<u8> {
        let mut b = hex(HELLO);
        Packet::new_unchecked(&mut b[..]).fill_checksum(&LO);
        b
    }

    #[test]
    fn roundtrip() {
        let bytes = datagram();
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port(), p.len()), (47705, 40003, 13));
        assert!(p.verify_checksum(&LO));
        let repr = Repr::parse(&p).unwrap();
        assert_eq!(repr.payload, b"hello");
        let mut out = vec![0xa5; repr.buffer_len()];
        repr.emit(&mut Packet::new_unchecked(&mut out[..]), &LO);
        assert_eq!(out, bytes);
    }

    #[test]
    fn truncated_and_impossible() {
        let bytes = datagram();
        for len in 0..bytes.len() {
            assert_eq!(Packet::new_checked(&bytes[..len]), Err(Error));
        }
        let mut b = bytes.clone();
        b[5] = 7; // length below the header
        assert_eq!(Packet::new_checked(&b[..]), Err(Error));
        let mut b = bytes;
        b.push(0); // padding after the datagram is not payload
        assert_eq!(Packet::new_checked(&b[..]).unwrap().payload(), b"hello");
    }

    #[test]
    fn zero_checksum() {
        let mut b = datagram();
        b[6] = 0;
        b[7] = 0;
        assert!(Packet::new_checked(&b[..]).unwrap().verify_checksum(&LO));
    }
}
