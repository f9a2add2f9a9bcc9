//! Receiving replies and sending link-layer frames through `AF_PACKET`.
//!
//! [`Capture`] is one `AF_PACKET`/`SOCK_DGRAM` socket for every interface
//! (loopback included): the kernel strips the link header and hands over
//! the packet from its network header on, with the link-layer source
//! address and the interface in the socket address. A classic BPF filter,
//! run in the kernel, keeps only incoming IPv4, IPv6 and ARP packets, so
//! our own outgoing probes (which `AF_PACKET` also sees) never reach user
//! space.
//!
//! [`LinkSender`] sends ARP and IPv6 neighbor solicitations as Ethernet
//! frames on one interface. (Frames sent this way to 127.0.0.1 would be
//! dropped by the kernel: IP probes go through [`crate::raw`] instead.)
//!
//! Both need `CAP_NET_RAW` and use the calling thread's network namespace.

use std::io;
use std::time::Duration;

/// Link-layer protocol numbers (`ETH_P_*`), host order.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const IPV6: u16 = 0x86dd;
    pub const ALL: u16 = 0x0003;
}

/// `sll_pkttype` values.
pub mod pkttype {
    pub const HOST: u8 = 0;
    pub const BROADCAST: u8 = 1;
    pub const MULTICAST: u8 = 2;
    pub const OTHERHOST: u8 = 3;
    pub const OUTGOING: u8 = 4;
}

/// Where a received packet came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Bytes received (the buffer may hold fewer: see [`Capture::recv`]).
    pub len: usize,
    /// Interface index.
    pub ifindex: i32,
    /// Link-layer protocol ([`ethertype`]).
    pub protocol: u16,
    /// [`pkttype`].
    pub pkttype: u8,
    /// Source link-layer address when it is an Ethernet one.
    pub src_mac: Option<[u8; 6]>,
}

/// Bytes of each packet the kernel copies to us: whole packets (the reply
/// parser checks the IP length against what it got, and UDP answers such
/// as memcached's "stats" fill a 1500-byte frame). The kernel copies only
/// what a packet holds, so small replies cost no more.
pub const SNAPLEN: u32 = 65_535;

/// Incoming IPv4, IPv6 and ARP packets from every interface.
#[derive(Debug)]
pub struct Capture {
    fd: std::os::fd::OwnedFd,
}

impl Capture {
    /// Opens the socket with the filter attached and a large receive
    /// buffer (`SO_RCVBUFFORCE`, falling back to `SO_RCVBUF`), so a burst
    /// of replies is not dropped while the reader is busy.
    pub fn new() -> io::Result<Self> {
        let fd = sys::packet_socket(ethertype::ALL)?;
        let me = Self { fd };
        sys::attach_filter(&me.fd, &incoming_ip_and_arp_filter())?;
        // Linux 4.20+: outgoing packets skip this socket before the kernel
        // copies them for it (the filter drops them too, but only after
        // the copy: one clone per probe sent). Older kernels refuse the
        // option and the filter does the work.
        const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
        let _ = sys::set_int(&me.fd, libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
        let want = 16 << 20;
        if sys::set_int(&me.fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, want).is_err() {
            let _ = sys::set_int(&me.fd, libc::SOL_SOCKET, libc::SO_RCVBUF, want);
        }
        // Packets queued before the filter was attached may be anything.
        let mut scratch = [0u8; 64];
        while let Ok(Some(_)) = sys::recv(&me.fd, &mut scratch, Some(Duration::ZERO)) {}
        Ok(me)
    }

    /// Waits up to `timeout` (`None`: forever) for one packet and copies
    /// up to `buf.len()` bytes of it, from the network header on.
    /// `Ok(None)` when the time ran out or a signal interrupted the wait.
    pub fn recv(&self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<Option<Meta>> {
        sys::recv(&self.fd, buf, timeout)
    }
}

/// The classic BPF program of [`Capture`]: drop what we sent ourselves,
/// keep IPv4, IPv6 and ARP, cut to [`SNAPLEN`].
pub fn incoming_ip_and_arp_filter() -> Vec<libc::sock_filter> {
    // Ancillary loads (SKF_AD_OFF + x) read skb fields rather than bytes.
    const SKF_AD_OFF: u32 = (-0x1000i32) as u32;
    const SKF_AD_PROTOCOL: u32 = 0;
    const SKF_AD_PKTTYPE: u32 = 4;
    const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const LD_H_ABS: u16 = (libc::BPF_LD | libc::BPF_H | libc::BPF_ABS) as u16;
    const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    let op = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    vec![
        // 0: packet type; our own transmissions are OUTGOING.
        op(LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_PKTTYPE),
        op(JEQ_K, 5, 0, u32::from(pkttype::OUTGOING)), // -> drop
        // 2: link-layer protocol (host order in the accumulator).
        op(LD_H_ABS, 0, 0, SKF_AD_OFF + SKF_AD_PROTOCOL),
        op(JEQ_K, 2, 0, u32::from(ethertype::IPV4)), // -> keep
        op(JEQ_K, 1, 0, u32::from(ethertype::IPV6)), // -> keep
        op(JEQ_K, 0, 1, u32::from(ethertype::ARP)),  // -> keep / drop
        op(RET_K, 0, 0, SNAPLEN),                    // 6: keep
        op(RET_K, 0, 0, 0),                          // 7: drop
    ]
}

/// Sends frames on one Ethernet interface.
#[derive(Debug)]
pub struct LinkSender {
    fd: std::os::fd::OwnedFd,
    ifindex: i32,
}

impl LinkSender {
    /// A sender on interface `ifindex`. It receives nothing (protocol 0).
    pub fn new(ifindex: i32) -> io::Result<Self> {
        Ok(Self {
            fd: sys::packet_socket(0)?,
            ifindex,
        })
    }

    /// Sends `payload` (an ARP packet, an IPv6 packet…) to `dst_mac` with
    /// link-layer protocol `protocol`; the kernel adds the Ethernet header.
    pub fn send(&self, payload: &[u8], protocol: u16, dst_mac: [u8; 6]) -> io::Result<usize> {
        sys::send_to(&self.fd, payload, self.ifindex, protocol, dst_mac)
    }

    /// Sends as many of `frames` (payload, destination MAC) as the kernel
    /// takes in one `sendmmsg`, all with link-layer protocol `protocol`;
    /// returns how many went. An error means the first one failed.
    pub fn send_batch(&self, frames: &[(&[u8], [u8; 6])], protocol: u16) -> io::Result<usize> {
        sys::send_batch(&self.fd, frames, self.ifindex, protocol)
    }
}

#[allow(unsafe_code)]
mod sys {
    //! The `AF_PACKET` system calls: the only unsafe code of this module.

    use super::Meta;
    use std::io;
    use std::mem;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::time::Duration;

    pub(super) fn packet_socket(protocol: u16) -> io::Result<OwnedFd> {
        // SAFETY: plain system call; the result is checked before use.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                i32::from(protocol.to_be()),
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    pub(super) fn set_int(fd: &OwnedFd, level: i32, name: i32, value: i32) -> io::Result<()> {
        // SAFETY: the option value is a valid int for the given length.
        let r = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                level,
                name,
                (&raw const value).cast(),
                mem::size_of::<i32>() as libc::socklen_t,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    pub(super) fn attach_filter(fd: &OwnedFd, program: &[libc::sock_filter]) -> io::Result<()> {
        let prog = libc::sock_fprog {
            len: program.len() as u16,
            filter: program.as_ptr().cast_mut(),
        };
        // SAFETY: `prog` points at `program`, alive for the call; the
        // kernel copies the program.
        let r = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ATTACH_FILTER,
                (&raw const prog).cast(),
                mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    pub(super) fn recv(
        fd: &OwnedFd,
        buf: &mut [u8],
        timeout: Option<Duration>,
    ) -> io::Result<Option<Meta>> {
        // Under load packets are already queued: read first, and poll only
        // when the queue is empty (one syscall per packet instead of two).
        if let Some(meta) = recv_now(fd, buf)? {
            return Ok(Some(meta));
        }
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.map_or(-1, |t| {
            i32::try_from(t.as_millis()).unwrap_or(i32::MAX).max(
                // Round sub-millisecond waits up rather than spin.
                i32::from(!t.is_zero()),
            )
        });
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&raw mut pfd, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(None)
            } else {
                Err(e)
            };
        }
        if r == 0 {
            return Ok(None);
        }
        recv_now(fd, buf)
    }

    /// One packet if one is queued, without waiting.
    fn recv_now(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<Option<Meta>> {
        // SAFETY: all-zero is a valid sockaddr_ll.
        let mut addr: libc::sockaddr_ll = unsafe { mem::zeroed() };
        let mut addr_len = mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: buffer and address are valid for the lengths given.
        // MSG_TRUNC makes the kernel report the real length.
        let n = unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT | libc::MSG_TRUNC,
                (&raw mut addr).cast(),
                &raw mut addr_len,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
                _ => Err(e),
            };
        }
        let src_mac = (addr.sll_halen == 6 && addr.sll_hatype == libc::ARPHRD_ETHER).then(|| {
            let mut m = [0u8; 6];
            m.copy_from_slice(&addr.sll_addr[..6]);
            m
        });
        Ok(Some(Meta {
            len: n as usize,
            ifindex: addr.sll_ifindex,
            protocol: u16::from_be(addr.sll_protocol),
            pkttype: addr.sll_pkttype,
            src_mac,
        }))
    }

    fn link_addr(ifindex: i32, protocol: u16, dst: [u8; 6]) -> libc::sockaddr_ll {
        // SAFETY: all-zero is a valid sockaddr_ll; fields set below.
        let mut addr: libc::sockaddr_ll = unsafe { mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = protocol.to_be();
        addr.sll_ifindex = ifindex;
        addr.sll_halen = 6;
        addr.sll_addr[..6].copy_from_slice(&dst);
        addr
    }

    pub(super) fn send_batch(
        fd: &OwnedFd,
        frames: &[(&[u8], [u8; 6])],
        ifindex: i32,
        protocol: u16,
    ) -> io::Result<usize> {
        // The kernel takes at most UIO_MAXIOV messages per call.
        let frames = &frames[..frames.len().min(1024)];
        if frames.is_empty() {
            return Ok(0);
        }
        let mut addrs: Vec<libc::sockaddr_ll> = frames
            .iter()
            .map(|(_, dst)| link_addr(ifindex, protocol, *dst))
            .collect();
        let mut iovs: Vec<libc::iovec> = frames
            .iter()
            .map(|(p, _)| libc::iovec {
                iov_base: p.as_ptr().cast_mut().cast(),
                iov_len: p.len(),
            })
            .collect();
        let mut msgs: Vec<libc::mmsghdr> = iovs
            .iter_mut()
            .zip(addrs.iter_mut())
            .map(|(iov, addr)| {
                // SAFETY: all-zero is a valid mmsghdr; fields set below.
                let mut m: libc::mmsghdr = unsafe { mem::zeroed() };
                m.msg_hdr.msg_name = (addr as *mut libc::sockaddr_ll).cast();
                m.msg_hdr.msg_namelen = mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
                m.msg_hdr.msg_iov = iov;
                m.msg_hdr.msg_iovlen = 1;
                m
            })
            .collect();
        // SAFETY: every message points at an address and an iovec that
        // live in `addrs`/`iovs` until the call returns, and each iovec at
        // a payload borrowed for that long; the kernel only reads them.
        let n = unsafe {
            libc::sendmmsg(
                fd.as_raw_fd(),
                msgs.as_mut_ptr(),
                msgs.len() as libc::c_uint,
                0,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    pub(super) fn send_to(
        fd: &OwnedFd,
        payload: &[u8],
        ifindex: i32,
        protocol: u16,
        dst: [u8; 6],
    ) -> io::Result<usize> {
        let addr = link_addr(ifindex, protocol, dst);
        // SAFETY: buffer and address valid for the lengths given.
        let n = unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                payload.as_ptr().cast(),
                payload.len(),
                0,
                (&raw const addr).cast(),
                mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_jumps_stay_inside_the_program() {
        let prog = incoming_ip_and_arp_filter();
        for (i, ins) in prog.iter().enumerate() {
            if ins.code & libc::BPF_JMP as u16 != 0 && ins.code & 0x07 == libc::BPF_JMP as u16 {
                assert!(i + 1 + usize::from(ins.jt) < prog.len(), "jt at {i}");
                assert!(i + 1 + usize::from(ins.jf) < prog.len(), "jf at {i}");
            }
        }
        assert_eq!(prog.last().map(|i| i.k), Some(0));
    }
}
