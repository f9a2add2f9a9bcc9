//! Things shared by IPv4 and IPv6: the protocol number space and the
//! address pair that transport checksums cover.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::checksum;

enum_with_unknown! {
    /// IP protocol number / IPv6 next-header value (IANA registry).
    pub enum IpProtocol(u8) {
        /// IPv6 Hop-by-Hop Options (extension header).
        HopByHop = 0,
        Icmp = 1,
        Igmp = 2,
        /// IPv4 encapsulation.
        IpInIp = 4,
        Tcp = 6,
        Udp = 17,
        /// IPv6 encapsulation.
        Ipv6 = 41,
        /// IPv6 Routing header (extension header).
        Ipv6Route = 43,
        /// IPv6 Fragment header (extension header).
        Ipv6Frag = 44,
        Gre = 47,
        Esp = 50,
        /// Authentication Header (extension header in IPv6).
        Ah = 51,
        Icmpv6 = 58,
        /// IPv6 No Next Header.
        Ipv6NoNxt = 59,
        /// IPv6 Destination Options (extension header).
        Ipv6Opts = 60,
        Sctp = 132,
    }
}

impl IpProtocol {
    /// Whether this value names an IPv6 extension header that
    /// [`ipv6::upper_layer`](crate::ipv6::upper_layer) steps over.
    pub fn is_ipv6_extension(self) -> bool {
        matches!(
            self,
            Self::HopByHop | Self::Ipv6Route | Self::Ipv6Frag | Self::Ipv6Opts | Self::Ah
        )
    }
}

/// Source and destination of one IP packet, as the transport checksum's
/// pseudo-header needs them. Both addresses always have the same family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpPair {
    V4 { src: Ipv4Addr, dst: Ipv4Addr },
    V6 { src: Ipv6Addr, dst: Ipv6Addr },
}

impl IpPair {
    /// Source address.
    pub fn src(&self) -> IpAddr {
        match *self {
            Self::V4 { src, .. } => IpAddr::V4(src),
            Self::V6 { src, .. } => IpAddr::V6(src),
        }
    }

    /// Destination address.
    pub fn dst(&self) -> IpAddr {
        match *self {
            Self::V4 { dst, .. } => IpAddr::V4(dst),
            Self::V6 { dst, .. } => IpAddr::V6(dst),
        }
    }

    /// The same pair seen from the other end.
    pub fn reversed(&self) -> Self {
        match *self {
            Self::V4 { src, dst } => Self::V4 { src: dst, dst: src },
            Self::V6 { src, dst } => Self::V6 { src: dst, dst: src },
        }
    }

    /// Folded sum of the pseudo-header for an upper-layer packet of
    /// `length` bytes.
    ///
    /// IPv4's pseudo-header length field is 16 bits; longer lengths cannot
    /// occur in an IPv4 packet and are truncated.
    pub fn pseudo_header(&self, protocol: IpProtocol, length: usize) -> u16 {
        match *self {
            Self::V4 { src, dst } => checksum::pseudo_header_v4(src, dst, protocol, length as u16),
            Self::V6 { src, dst } => checksum::pseudo_header_v6(src, dst, protocol, length as u32),
        }
    }

    /// The checksum (complemented) over the pseudo-header and `bytes`,
    /// whose checksum field must be zero or hold the value to verify.
    pub fn transport_checksum(&self, protocol: IpProtocol, bytes: &[u8]) -> u16 {
        !checksum::combine(&[
            self.pseudo_header(protocol, bytes.len()),
            checksum::data(bytes),
        ])
    }
}
