//! Raw IPv4 send and receive.
//!
//! [`RawIpSender`] is an `AF_INET`/`SOCK_RAW`/`IPPROTO_RAW` socket, which
//! implies `IP_HDRINCL`: the caller supplies complete IPv4 packets (built
//! with `nmaps-wire`) and the kernel routes them, filling in the header
//! checksum, total length and, when zero, the identification.
//! [`RawTcpReceiver`] is an `IPPROTO_TCP` raw socket that receives a copy
//! of every incoming TCP segment, IPv4 header included.
//!
//! Both need `CAP_NET_RAW`.

use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Sends complete IPv4 (or, from [`RawIpSender::new_v6`], IPv6) packets.
#[derive(Debug)]
pub struct RawIpSender {
    socket: Socket,
}

impl RawIpSender {
    /// Opens the raw socket (in the calling thread's network namespace).
    pub fn new() -> io::Result<Self> {
        let socket = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(libc::IPPROTO_RAW)),
        )?;
        Ok(Self { socket })
    }

    /// Opens an IPv6 raw socket. Linux treats `IPPROTO_RAW` on `AF_INET6`
    /// as header-included too: the caller supplies the IPv6 header.
    pub fn new_v6() -> io::Result<Self> {
        let socket = Socket::new(
            Domain::IPV6,
            Type::RAW,
            Some(Protocol::from(libc::IPPROTO_RAW)),
        )?;
        Ok(Self { socket })
    }

    /// Sends one packet of either family (the socket must match it).
    pub fn send_ip(&self, packet: &[u8], dst: IpAddr) -> io::Result<usize> {
        self.socket
            .send_to(packet, &SockAddr::from(SocketAddr::new(dst, 0)))
    }

    /// [`RawIpSender::send_batch`] for either family.
    pub fn send_batch_ip(&self, packets: &[(&[u8], IpAddr)]) -> io::Result<usize> {
        let mut sent = 0;
        while sent < packets.len() {
            let chunk = &packets[sent..packets.len().min(sent + sys::MAX_BATCH)];
            let addrs: Vec<SockAddr> = chunk
                .iter()
                .map(|&(_, dst)| SockAddr::from(SocketAddr::new(dst, 0)))
                .collect();
            let bufs: Vec<&[u8]> = chunk.iter().map(|&(p, _)| p).collect();
            match sys::sendmmsg_any(&self.socket, &bufs, &addrs) {
                Ok(0) => break,
                Ok(n) => sent += n,
                Err(_) => {
                    for &(packet, dst) in &packets[sent..] {
                        match self.send_ip(packet, dst) {
                            Ok(_) => sent += 1,
                            Err(e) if sent == 0 => return Err(e),
                            Err(_) => return Ok(sent),
                        }
                    }
                    return Ok(sent);
                }
            }
        }
        Ok(sent)
    }

    /// The underlying socket, e.g. to set the send buffer size.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Sends one packet (starting at its IPv4 header) towards `dst`.
    pub fn send(&self, packet: &[u8], dst: Ipv4Addr) -> io::Result<usize> {
        self.socket
            .send_to(packet, &SockAddr::from(SocketAddrV4::new(dst, 0)))
    }

    /// Sends the packets in order with `sendmmsg(2)`, falling back to one
    /// `sendto` per packet if `sendmmsg` fails.
    ///
    /// Returns how many packets were sent: all of them, or those before
    /// the first one that failed. Errors only when the first packet that
    /// could not go out by either way is the first of the batch.
    pub fn send_batch(&self, packets: &[(&[u8], Ipv4Addr)]) -> io::Result<usize> {
        let any: Vec<(&[u8], IpAddr)> = packets.iter().map(|&(p, d)| (p, IpAddr::V4(d))).collect();
        self.send_batch_ip(&any)
    }
}

/// Receives incoming IPv4 TCP segments, IP header included.
#[derive(Debug)]
pub struct RawTcpReceiver {
    socket: Socket,
}

impl RawTcpReceiver {
    /// Opens the raw socket (in the calling thread's network namespace).
    pub fn new() -> io::Result<Self> {
        let socket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::TCP))?;
        Ok(Self { socket })
    }

    /// The underlying socket, e.g. to set the receive buffer size.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Waits up to `timeout` for one packet and copies it into `buf`
    /// (truncated to `buf.len()`). `Ok(None)` when the time ran out or a
    /// signal interrupted the wait.
    pub fn recv_timeout(&self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        // A zero timeout would mean "block forever" to SO_RCVTIMEO.
        self.socket
            .set_read_timeout(Some(timeout.max(Duration::from_micros(1))))?;
        match (&self.socket).read(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

#[allow(unsafe_code)]
mod sys {
    //! The `sendmmsg(2)` call: the only unsafe code of this module.

    use std::io;
    use std::mem;
    use std::os::fd::AsRawFd;
    use std::ptr;

    use socket2::Socket;

    /// The kernel caps one `sendmmsg` at `UIO_MAXIOV` messages.
    pub(super) const MAX_BATCH: usize = 1024;

    /// Sends `bufs[i]` to `addrs[i]` (at most `MAX_BATCH`, both the same
    /// length); returns how many went out.
    pub(super) fn sendmmsg_any(
        socket: &Socket,
        bufs: &[&[u8]],
        addrs: &[socket2::SockAddr],
    ) -> io::Result<usize> {
        let n = bufs.len().min(addrs.len()).min(MAX_BATCH);
        let mut iovs: Vec<libc::iovec> = bufs[..n]
            .iter()
            .map(|b| libc::iovec {
                // The kernel only reads from send buffers.
                iov_base: b.as_ptr().cast_mut().cast(),
                iov_len: b.len(),
            })
            .collect();
        let mut msgs: Vec<libc::mmsghdr> = addrs[..n]
            .iter()
            .zip(iovs.iter_mut())
            .map(|(addr, iov)| {
                // SAFETY: mmsghdr is plain old data; all-zero is valid.
                let mut msg: libc::mmsghdr = unsafe { mem::zeroed() };
                msg.msg_hdr.msg_name = addr.as_ptr().cast_mut().cast();
                msg.msg_hdr.msg_namelen = addr.len();
                msg.msg_hdr.msg_iov = ptr::from_mut(iov);
                msg.msg_hdr.msg_iovlen = 1;
                msg
            })
            .collect();
        // SAFETY: every header points into `addrs`, `iovs` and `bufs`,
        // alive and unmoved for the duration of the call.
        let r = unsafe {
            libc::sendmmsg(
                socket.as_raw_fd(),
                msgs.as_mut_ptr(),
                msgs.len() as libc::c_uint,
                0,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r as usize)
        }
    }
}
