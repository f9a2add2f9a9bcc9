//! Source-address selection.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// The source address the kernel would choose to reach `dst`.
///
/// Connects an unbound UDP socket to `dst` (port 9, discard) and reads
/// the local address back. `connect` on a UDP socket only performs the
/// route lookup: no packet is sent.
pub fn source_for(dst: IpAddr) -> io::Result<IpAddr> {
    let any: SocketAddr = match dst {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(any)?;
    socket.connect((dst, 9))?;
    Ok(socket.local_addr()?.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_v4() {
        let src = source_for(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        assert_eq!(src, IpAddr::V4(Ipv4Addr::LOCALHOST));
    }

    #[test]
    fn loopback_v6() {
        // Hosts with IPv6 disabled have no ::1; only check when it works.
        match source_for(IpAddr::V6(Ipv6Addr::LOCALHOST)) {
            Ok(src) => assert_eq!(src, IpAddr::V6(Ipv6Addr::LOCALHOST)),
            Err(e) => assert!(
                matches!(
                    e.raw_os_error(),
                    Some(libc::EAFNOSUPPORT | libc::EADDRNOTAVAIL | libc::ENETUNREACH)
                ),
                "{e}"
            ),
        }
    }
}
