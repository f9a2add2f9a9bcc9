//! Interfaces and routes, as the kernel reports them.
//!
//! Interfaces come from `getifaddrs(3)` (names, flags, addresses, and the
//! link-layer index and MAC from its `AF_PACKET` entries) and the MTU from
//! `SIOCGIFMTU`, all of which follow the calling thread's network
//! namespace. `/sys/class/net/<if>/` (which shows the namespace sysfs was
//! mounted in) is only a fallback for the MTU, MAC and index.
//! Routes come from `/proc/thread-self/net/route` and `ipv6_route`, so a
//! thread that entered another network namespace with `setns` sees that
//! namespace's routes. The text parsers are pure functions, tested on
//! sample text.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address of an interface, with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IfAddr {
    pub addr: IpAddr,
    pub prefix_len: u8,
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    /// Kernel interface index (0 when unknown).
    pub index: u32,
    /// Hardware address, when the link has a 6-byte one.
    pub mac: Option<[u8; 6]>,
    pub mtu: Option<u32>,
    pub up: bool,
    pub loopback: bool,
    /// IPv4 then IPv6 addresses, in the kernel's order within each family.
    pub addrs: Vec<IfAddr>,
}

/// A route of the kernel's main table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Route {
    pub dst: IpAddr,
    pub prefix_len: u8,
    /// Next hop, `None` for on-link routes.
    pub gateway: Option<IpAddr>,
    pub iface: String,
    pub metric: u32,
}

impl Route {
    /// Whether this is a default route (`0.0.0.0/0` or `::/0`).
    pub fn is_default(&self) -> bool {
        self.prefix_len == 0
    }
}

/// Lists the interfaces of the calling thread's network namespace.
pub fn interfaces() -> io::Result<Vec<Interface>> {
    let entries = sys::ifaddrs()?;
    let mut out: Vec<Interface> = Vec::new();
    for entry in entries {
        let pos = match out.iter().position(|i| i.name == entry.name) {
            Some(p) => p,
            None => {
                out.push(Interface {
                    name: entry.name.clone(),
                    index: 0,
                    mac: None,
                    mtu: None,
                    up: false,
                    loopback: false,
                    addrs: Vec::new(),
                });
                out.len() - 1
            }
        };
        let iface = &mut out[pos];
        iface.up |= entry.flags & (libc::IFF_UP as u32) != 0;
        iface.loopback |= entry.flags & (libc::IFF_LOOPBACK as u32) != 0;
        match entry.kind {
            sys::Kind::Addr(a) => iface.addrs.push(a),
            sys::Kind::Link { index, mac } => {
                iface.index = index;
                if mac.is_some() {
                    iface.mac = mac;
                }
            }
            sys::Kind::None => {}
        }
    }
    for iface in &mut out {
        iface.addrs.sort_by_key(|a| a.addr.is_ipv6());
        let dir = format!("/sys/class/net/{}", iface.name);
        if iface.mtu.is_none() {
            iface.mtu = sys::mtu(&iface.name).or_else(|| {
                fs::read_to_string(format!("{dir}/mtu"))
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
            });
        }
        if iface.mac.is_none() && !iface.loopback {
            iface.mac = fs::read_to_string(format!("{dir}/address"))
                .ok()
                .and_then(|s| parse_mac(s.trim()));
        }
        if iface.index == 0 {
            iface.index = fs::read_to_string(format!("{dir}/ifindex"))
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
        }
    }
    Ok(out)
}

/// IPv4 and IPv6 routes of the calling thread's network namespace.
pub fn routes() -> io::Result<Vec<Route>> {
    let mut out = parse_route_v4(&read_proc_net("route")?);
    // IPv6 may be disabled: then the file is absent.
    match read_proc_net("ipv6_route") {
        Ok(text) => out.extend(parse_route_v6(&text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    Ok(out)
}

/// The kernel's resolved IPv4 neighbours (`/proc/net/arp`) of the calling
/// thread's network namespace: address, MAC and interface name.
pub fn arp_table() -> io::Result<Vec<(Ipv4Addr, [u8; 6], String)>> {
    Ok(parse_arp_table(&read_proc_net("arp")?))
}

/// `ATF_COM`: the entry is complete (the MAC is known).
const ATF_COM: u32 = 0x2;

/// Parses `/proc/net/arp`: `IP address  HW type  Flags  HW address  Mask
/// Device`. Incomplete entries and malformed lines are skipped.
pub fn parse_arp_table(text: &str) -> Vec<(Ipv4Addr, [u8; 6], String)> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 {
                return None;
            }
            let flags = u32::from_str_radix(f[2].trim_start_matches("0x"), 16).ok()?;
            if flags & ATF_COM == 0 {
                return None;
            }
            let mac = parse_mac(f[3]).filter(|m| *m != [0; 6])?;
            Some((f[0].parse().ok()?, mac, f[5].to_owned()))
        })
        .collect()
}

fn read_proc_net(file: &str) -> io::Result<String> {
    fs::read_to_string(format!("/proc/thread-self/net/{file}"))
        .or_else(|_| fs::read_to_string(format!("/proc/net/{file}")))
}

/// Parses `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for byte in &mut mac {
        let p = parts.next()?;
        if p.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

const RTF_UP: u32 = 0x0001;
const RTF_GATEWAY: u32 = 0x0002;
const RTF_REJECT: u32 = 0x0200;

/// Parses `/proc/net/route`. Addresses there are the raw network-order
/// bytes printed as a host-order `%08X`. Lines that are malformed, not
/// up, or reject routes are skipped.
pub fn parse_route_v4(text: &str) -> Vec<Route> {
    let hex_addr = |s: &str| -> Option<Ipv4Addr> {
        let v = u32::from_str_radix(s, 16).ok()?;
        Some(Ipv4Addr::from(v.to_ne_bytes()))
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            let dst = hex_addr(f[1])?;
            let gw = hex_addr(f[2])?;
            let flags = u32::from_str_radix(f[3], 16).ok()?;
            let metric = f[6].parse().ok()?;
            let mask = u32::from_be_bytes(hex_addr(f[7])?.octets());
            if flags & RTF_UP == 0
                || flags & RTF_REJECT != 0
                || mask.leading_ones() != mask.count_ones()
            {
                return None;
            }
            Some(Route {
                dst: IpAddr::V4(dst),
                prefix_len: mask.count_ones() as u8,
                gateway: (flags & RTF_GATEWAY != 0 && !gw.is_unspecified())
                    .then_some(IpAddr::V4(gw)),
                iface: f[0].to_owned(),
                metric,
            })
        })
        .collect()
}

/// Parses `/proc/net/ipv6_route` (no header line; addresses as 32 hex
/// digits in network order). Malformed, down and reject routes (the
/// kernel's `lo` "unreachable" entries) are skipped.
pub fn parse_route_v6(text: &str) -> Vec<Route> {
    let hex_addr = |s: &str| -> Option<Ipv6Addr> {
        if s.len() != 32 {
            return None;
        }
        Some(Ipv6Addr::from(u128::from_str_radix(s, 16).ok()?))
    };
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 {
                return None;
            }
            let dst = hex_addr(f[0])?;
            let prefix_len = u8::from_str_radix(f[1], 16).ok().filter(|p| *p <= 128)?;
            let gw = hex_addr(f[4])?;
            let metric = u32::from_str_radix(f[5], 16).ok()?;
            let flags = u32::from_str_radix(f[8], 16).ok()?;
            if flags & RTF_UP == 0 || flags & RTF_REJECT != 0 {
                return None;
            }
            Some(Route {
                dst: IpAddr::V6(dst),
                prefix_len,
                gateway: (!gw.is_unspecified()).then_some(IpAddr::V6(gw)),
                iface: f[9].to_owned(),
                metric,
            })
        })
        .collect()
}

#[allow(unsafe_code)]
mod sys {
    //! The `getifaddrs(3)` and `SIOCGIFMTU` wrappers: the only unsafe
    //! code of this module.

    use super::IfAddr;
    use std::ffi::CStr;
    use std::io;
    use std::mem;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::os::fd::AsRawFd;
    use std::ptr;

    use socket2::{Domain, Socket, Type};

    pub(super) enum Kind {
        Addr(IfAddr),
        Link { index: u32, mac: Option<[u8; 6]> },
        None,
    }

    pub(super) struct Entry {
        pub(super) name: String,
        pub(super) flags: u32,
        pub(super) kind: Kind,
    }

    /// Frees the list on every exit path.
    struct List(*mut libc::ifaddrs);

    impl Drop for List {
        fn drop(&mut self) {
            if !self.0.is_null() {
                // SAFETY: the pointer came from a successful getifaddrs and
                // is freed exactly once, here.
                unsafe { libc::freeifaddrs(self.0) };
            }
        }
    }

    /// The interface's MTU, by `SIOCGIFMTU` on a throwaway UDP socket.
    pub(super) fn mtu(name: &str) -> Option<u32> {
        let bytes = name.as_bytes();
        if bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
            return None;
        }
        let socket = Socket::new(Domain::IPV4, Type::DGRAM, None).ok()?;
        // SAFETY: ifreq is plain old data; all-zero is a valid value (and
        // leaves the name NUL-terminated, as it is shorter than IFNAMSIZ).
        let mut req: libc::ifreq = unsafe { mem::zeroed() };
        for (d, s) in req.ifr_name.iter_mut().zip(bytes) {
            *d = *s as libc::c_char;
        }
        // SAFETY: SIOCGIFMTU reads the NUL-terminated name from, and writes
        // the MTU into, the ifreq we own and pass by pointer.
        let r = unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFMTU as _, &mut req) };
        if r != 0 {
            return None;
        }
        // SAFETY: after a successful SIOCGIFMTU the union holds ifru_mtu.
        u32::try_from(unsafe { req.ifr_ifru.ifru_mtu }).ok()
    }

    fn prefix_of(mask: &[u8]) -> u8 {
        mask.iter().map(|b| b.count_ones()).sum::<u32>() as u8
    }

    pub(super) fn ifaddrs() -> io::Result<Vec<Entry>> {
        let mut head: *mut libc::ifaddrs = ptr::null_mut();
        // SAFETY: `head` is a valid out-pointer; on success getifaddrs stores
        // the head of a list that stays valid until freeifaddrs.
        if unsafe { libc::getifaddrs(&mut head) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let list = List(head);
        let mut out = Vec::new();
        let mut cur = list.0;
        while !cur.is_null() {
            // SAFETY: `cur` is a non-null node of the list owned by `list`,
            // which outlives this loop.
            let ifa = unsafe { &*cur };
            cur = ifa.ifa_next;
            if ifa.ifa_name.is_null() {
                continue;
            }
            // SAFETY: ifa_name is a NUL-terminated string owned by the list.
            let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
                .to_string_lossy()
                .into_owned();
            let kind = if ifa.ifa_addr.is_null() {
                Kind::None
            } else {
                // SAFETY: a non-null ifa_addr points to a sockaddr, which
                // starts with its family.
                let family = i32::from(unsafe { ptr::read_unaligned(ifa.ifa_addr) }.sa_family);
                match family {
                    libc::AF_INET => {
                        // SAFETY: AF_INET entries hold a sockaddr_in (as does
                        // the netmask, when present).
                        let sin = unsafe {
                            ptr::read_unaligned(ifa.ifa_addr.cast::<libc::sockaddr_in>())
                        };
                        let prefix_len = if ifa.ifa_netmask.is_null() {
                            32
                        } else {
                            // SAFETY: as above, for the netmask.
                            let m = unsafe {
                                ptr::read_unaligned(ifa.ifa_netmask.cast::<libc::sockaddr_in>())
                            };
                            prefix_of(&m.sin_addr.s_addr.to_ne_bytes())
                        };
                        Kind::Addr(IfAddr {
                            addr: IpAddr::V4(Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes())),
                            prefix_len,
                        })
                    }
                    libc::AF_INET6 => {
                        // SAFETY: AF_INET6 entries hold a sockaddr_in6 (as does
                        // the netmask, when present).
                        let sin6 = unsafe {
                            ptr::read_unaligned(ifa.ifa_addr.cast::<libc::sockaddr_in6>())
                        };
                        let prefix_len = if ifa.ifa_netmask.is_null() {
                            128
                        } else {
                            // SAFETY: as above, for the netmask.
                            let m = unsafe {
                                ptr::read_unaligned(ifa.ifa_netmask.cast::<libc::sockaddr_in6>())
                            };
                            prefix_of(&m.sin6_addr.s6_addr)
                        };
                        Kind::Addr(IfAddr {
                            addr: IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)),
                            prefix_len,
                        })
                    }
                    libc::AF_PACKET => {
                        // SAFETY: AF_PACKET entries hold a sockaddr_ll.
                        let sll = unsafe {
                            ptr::read_unaligned(ifa.ifa_addr.cast::<libc::sockaddr_ll>())
                        };
                        let mac = (sll.sll_halen == 6).then(|| {
                            let mut m = [0u8; 6];
                            m.copy_from_slice(&sll.sll_addr[..6]);
                            m
                        });
                        Kind::Link {
                            index: u32::try_from(sll.sll_ifindex).unwrap_or(0),
                            mac: mac.filter(|m| m != &[0; 6]),
                        }
                    }
                    _ => Kind::None,
                }
            };
            out.push(Entry {
                name,
                flags: ifa.ifa_flags,
                kind,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn arp_table_keeps_complete_entries() {
        let text = "IP address       HW type     Flags       HW address            Mask     Device\n\
                    198.18.0.30      0x1         0x2         02:00:c6:12:00:1e     *        eth0\n\
                    198.18.0.99      0x1         0x0         00:00:00:00:00:00     *        eth0\n\
                    198.18.0.10      0x1         0x6         02:00:c6:12:00:0a     *        eth1\n\
                    garbage\n\
                    198.18.0.11      0x1         0x2         02:00:c6:12:00        *        eth0\n";
        let t = super::parse_arp_table(text);
        assert_eq!(
            t,
            vec![
                (
                    "198.18.0.30".parse().unwrap(),
                    [2, 0, 0xc6, 0x12, 0, 0x1e],
                    "eth0".to_owned()
                ),
                (
                    "198.18.0.10".parse().unwrap(),
                    [2, 0, 0xc6, 0x12, 0, 0x0a],
                    "eth1".to_owned()
                ),
            ]
        );
    }

    use super::*;

    #[cfg(target_endian = "little")]
    #[test]
    fn route_v4_table() {
        let text = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
            eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
            eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n\
            eth1\t0000000A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n\
            down\t0000000B\t00000000\t0000\t0\t0\t0\t000000FF\t0\t0\t0\n\
            rej\t0000000C\t00000000\t0201\t0\t0\t0\t000000FF\t0\t0\t0\n\
            bad\t0000000D\t00000000\t0001\t0\t0\t0\t00FF00FF\t0\t0\t0\n\
            short\t00000000\n";
        let routes = parse_route_v4(text);
        assert_eq!(
            routes,
            vec![
                Route {
                    dst: "0.0.0.0".parse().unwrap(),
                    prefix_len: 0,
                    gateway: Some("192.168.2.1".parse().unwrap()),
                    iface: "eth0".into(),
                    metric: 100,
                },
                Route {
                    dst: "192.168.2.0".parse().unwrap(),
                    prefix_len: 24,
                    gateway: None,
                    iface: "eth0".into(),
                    metric: 100,
                },
                Route {
                    dst: "10.0.0.0".parse().unwrap(),
                    prefix_len: 16,
                    gateway: None,
                    iface: "eth1".into(),
                    metric: 0,
                },
            ]
        );
        assert!(routes[0].is_default() && !routes[1].is_default());
    }

    #[test]
    fn route_v6_table() {
        let text = "\
20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
fe800000000000000000000000000000 99 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
nonsense
";
        assert_eq!(
            parse_route_v6(text),
            vec![
                Route {
                    dst: "2001:db8::".parse().unwrap(),
                    prefix_len: 64,
                    gateway: None,
                    iface: "eth0".into(),
                    metric: 256,
                },
                Route {
                    dst: "::".parse().unwrap(),
                    prefix_len: 0,
                    gateway: Some("fe80::1".parse().unwrap()),
                    iface: "eth0".into(),
                    metric: 1024,
                },
                Route {
                    dst: "::1".parse().unwrap(),
                    prefix_len: 128,
                    gateway: None,
                    iface: "lo".into(),
                    metric: 0,
                },
            ]
        );
    }

    #[test]
    fn mac_parsing() {
        assert_eq!(
            parse_mac("52:54:00:ab:cd:ef"),
            Some([0x52, 0x54, 0, 0xab, 0xcd, 0xef])
        );
        for bad in [
            "",
            "52:54:00:ab:cd",
            "52:54:00:ab:cd:ef:01",
            "5:54:00:ab:cd:ef",
            "zz:54:00:ab:cd:ef",
        ] {
            assert_eq!(parse_mac(bad), None, "{bad}");
        }
    }

    #[test]
    fn loopback_is_listed() {
        let ifaces = interfaces().unwrap();
        let lo = ifaces
            .iter()
            .find(|i| i.loopback)
            .expect("a loopback interface");
        assert!(lo.index > 0);
        assert!(lo.mtu.is_some());
        if lo.up {
            assert!(lo.addrs.contains(&IfAddr {
                addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
                prefix_len: 8
            }));
        }
    }

    #[test]
    fn routes_read() {
        // Only checks that the live files parse; contents depend on the host.
        routes().unwrap();
    }
}
