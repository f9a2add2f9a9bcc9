//! `--iflist`: the interface and route tables, as Nmap 7.93 prints them.
//!
//! Nmap builds both tables with libdnet and prints them through its
//! `NmapOutputTable`; this module reproduces what that yields on Linux:
//!
//! * Interfaces in `/proc/net/dev` order. For each, one row for the primary
//!   IPv4 address (`SIOCGIFADDR`: the first address labelled with the
//!   interface's own name, or `(none)/0`), then one per other IPv4 address
//!   whose label is the name or `name:…` (`SIOCGIFCONF` order, each with the
//!   `SIOCGIFNETMASK` of its label, which is the mask of the *first* address
//!   with that label), then one per line of `/proc/net/if_inet6` naming the
//!   interface, in that file's order.
//! * TYPE from the flags: loopback; `IFF_BROADCAST` is ethernet (with a MAC)
//!   unless `IFF_NOARP`, which makes it "other"; `IFF_POINTOPOINT` is
//!   point2point; anything else "other".
//! * Routes from `/proc/net/route` and `/proc/net/ipv6_route`, every entry
//!   with `RTF_UP` (reject routes included), each given the first interface
//!   row of its family with the route's device name; failing that the first
//!   row whose subnet holds the gateway (or the destination when there is
//!   none); failing that the device of a route whose destination is the
//!   gateway; routes still without one are left out. Then a stable sort:
//!   IPv4 first, longest prefix first, lowest metric first.
//!
//! The MTU and MAC come from `nmaps_netio::iface::interfaces()`; the flags
//! and the IPv4 labels, which it does not keep, from the ioctls libdnet uses.
//! Routes are read here rather than with `nmaps_netio::iface::routes()`,
//! which drops reject routes that Nmap lists.

use nmaps_netio::iface::Interface;
use std::fmt::Write as _;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What the TYPE column says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DevType {
    Ethernet,
    Loopback,
    PointToPoint,
    Other,
}

/// One row of the interface table (Nmap's `struct interface_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct IfRow {
    name: String,
    /// `None` prints as `(none)` and matches no route.
    addr: Option<IpAddr>,
    bits: u16,
    kind: DevType,
    up: bool,
    mtu: i32,
    mac: [u8; 6],
}

/// One route (Nmap's `struct sys_route`, before the interface is found).
#[derive(Debug, Clone, PartialEq, Eq)]
struct RouteEntry {
    dest: IpAddr,
    bits: u16,
    /// The unspecified address when there is no gateway.
    gw: IpAddr,
    metric: i32,
    iface: String,
}

/// Both tables, banner excluded, exactly as Nmap prints them.
pub fn text() -> String {
    let rows = interface_rows();
    let mut out = String::new();
    match &rows {
        Some(r) if !r.is_empty() => {
            out.push_str("************************INTERFACES************************\n");
            out.push_str(&interface_table(r));
            out.push('\n');
        }
        _ => out.push_str("INTERFACES: NONE FOUND(!)\n"),
    }
    let routes = rows
        .as_deref()
        .map(|r| assign_routes(r, read_routes()))
        .unwrap_or_default();
    if routes.is_empty() {
        out.push_str("ROUTES: NONE FOUND(!)\n");
    } else {
        out.push_str("**************************ROUTES**************************\n");
        out.push_str(&route_table(&rows.unwrap_or_default(), &routes));
        out.push('\n');
    }
    out
}

fn read_proc_net(file: &str) -> Option<String> {
    fs::read_to_string(format!("/proc/thread-self/net/{file}"))
        .or_else(|_| fs::read_to_string(format!("/proc/net/{file}")))
        .ok()
}

/// The interface rows; `None` where libdnet's `intf_loop` would fail.
fn interface_rows() -> Option<Vec<IfRow>> {
    let names = parse_proc_dev(&read_proc_net("dev")?);
    let netio = nmaps_netio::iface::interfaces().ok()?;
    let inet6 = read_proc_net("if_inet6")
        .map(|t| parse_if_inet6(&t))
        .unwrap_or_default();
    let sock = sys::Sock::new()?;
    let conf = sock.ifconf()?;
    let mut rows = Vec::new();
    for name in &names {
        let info = netio.iter().find(|i| &i.name == name);
        rows.extend(rows_of(&sock, name, info, &conf, &inet6)?);
    }
    Some(rows)
}

/// The rows of one interface (libdnet's `intf_get`, then Nmap's
/// `collect_dnet_interfaces`).
fn rows_of(
    sock: &sys::Sock,
    name: &str,
    info: Option<&Interface>,
    conf: &[(String, Ipv4Addr)],
    inet6: &[(String, Ipv6Addr, u16)],
) -> Option<Vec<IfRow>> {
    let flags = sock.flags(name)?;
    let kind = dev_type(flags);
    let primary = sock.addr(name, sys::Which::Addr);
    let primary_bits = match primary {
        Some(_) => mask_bits(&sock.addr(name, sys::Which::Netmask)?.octets()),
        None => 0,
    };
    // libdnet reads the peer address of point-to-point links only.
    let dst = if kind == DevType::PointToPoint {
        sock.addr(name, sys::Which::DstAddr)
    } else {
        None
    };
    let mut addrs: Vec<(Option<IpAddr>, u16)> = vec![(primary.map(IpAddr::V4), primary_bits)];
    for (label, addr) in conf {
        if label.split(':').next() != Some(name) {
            continue;
        }
        let primary_ip = primary.unwrap_or(Ipv4Addr::UNSPECIFIED);
        if *addr == primary_ip || *addr == dst.unwrap_or(Ipv4Addr::UNSPECIFIED) {
            continue;
        }
        let bits = sock
            .addr(label, sys::Which::Netmask)
            .map_or(32, |m| mask_bits(&m.octets()));
        addrs.push((Some(IpAddr::V4(*addr)), bits));
    }
    for (ifname, addr, bits) in inet6 {
        if ifname == name {
            addrs.push((Some(IpAddr::V6(*addr)), *bits));
        }
    }
    let mtu = info.and_then(|i| i.mtu).map_or(0, |m| m as i32);
    let mac = match kind {
        DevType::Ethernet => info.and_then(|i| i.mac).unwrap_or([0; 6]),
        _ => [0; 6],
    };
    Some(
        addrs
            .into_iter()
            .map(|(addr, bits)| IfRow {
                name: name.to_string(),
                addr,
                bits,
                kind,
                up: flags & libc::IFF_UP as u32 != 0,
                mtu,
                mac,
            })
            .collect(),
    )
}

/// libdnet's `_intf_set_type` plus Nmap's NOARP rule.
fn dev_type(flags: u32) -> DevType {
    let has = |f: libc::c_int| flags & f as u32 != 0;
    if has(libc::IFF_LOOPBACK) {
        DevType::Loopback
    } else if has(libc::IFF_BROADCAST) {
        if has(libc::IFF_NOARP) {
            DevType::Other
        } else {
            DevType::Ethernet
        }
    } else if has(libc::IFF_POINTOPOINT) {
        DevType::PointToPoint
    } else {
        DevType::Other
    }
}

/// libdnet's `addr_mtob`: the leading one bits of a mask.
fn mask_bits(mask: &[u8]) -> u16 {
    let mut n = 0u16;
    for b in mask {
        n += b.leading_ones() as u16;
        if *b != 0xff {
            break;
        }
    }
    n
}

/// Interface names from `/proc/net/dev`, in its order.
fn parse_proc_dev(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(name, _)| name.trim_start_matches(' ').to_string())
        .collect()
}

/// `/proc/net/if_inet6`: (interface, address, prefix length) per line.
fn parse_if_inet6(text: &str) -> Vec<(String, Ipv6Addr, u16)> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 {
                return None;
            }
            let addr = hex_v6(f[0])?;
            let bits = u16::from_str_radix(f[2], 16).ok()?;
            Some((f[5].to_string(), addr, bits))
        })
        .collect()
}

fn hex_v6(s: &str) -> Option<Ipv6Addr> {
    if s.len() != 32 {
        return None;
    }
    Some(Ipv6Addr::from(u128::from_str_radix(s, 16).ok()?))
}

/// A `%d` field, wrapping like C's `int` for values printed unsigned.
fn c_int(s: &str) -> Option<i32> {
    s.parse::<i32>()
        .ok()
        .or_else(|| s.parse::<u32>().ok().map(|v| v as i32))
}

const RTF_UP: u32 = 0x0001;

/// `/proc/net/route` as libdnet's `route_loop` reads it: every line of
/// eleven fields with `RTF_UP`.
fn parse_route_v4(text: &str) -> Vec<RouteEntry> {
    let hex = |s: &str| u32::from_str_radix(s, 16).ok();
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 11 {
                return None;
            }
            let dst = hex(f[1])?;
            let gw = hex(f[2])?;
            let flags = hex(f[3])?;
            let metric = c_int(f[6])?;
            let mask = hex(f[7])?;
            if f[4..11]
                .iter()
                .enumerate()
                .any(|(i, v)| i != 3 && c_int(v).is_none())
                || flags & RTF_UP == 0
            {
                return None;
            }
            Some(RouteEntry {
                dest: IpAddr::V4(Ipv4Addr::from(dst.to_ne_bytes())),
                bits: mask_bits(&mask.to_ne_bytes()),
                gw: IpAddr::V4(Ipv4Addr::from(gw.to_ne_bytes())),
                metric,
                iface: f[0].chars().take(15).collect(),
            })
        })
        .collect()
}

/// `/proc/net/ipv6_route` as libdnet's `route_loop` reads it.
fn parse_route_v6(text: &str) -> Vec<RouteEntry> {
    let hex = |s: &str| u32::from_str_radix(s, 16).ok();
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 {
                return None;
            }
            let dest = hex_v6(f[0])?;
            let bits = u16::from_str_radix(f[1], 16).ok()?;
            let gw = hex_v6(f[4])?;
            let metric = hex(f[5])? as i32;
            let flags = hex(f[8])?;
            if flags & RTF_UP == 0 || bits > 128 {
                return None;
            }
            Some(RouteEntry {
                dest: IpAddr::V6(dest),
                bits,
                gw: IpAddr::V6(gw),
                metric,
                iface: f[9].chars().take(15).collect(),
            })
        })
        .collect()
}

fn read_routes() -> Vec<RouteEntry> {
    let mut routes = read_proc_net("route")
        .map(|t| parse_route_v4(&t))
        .unwrap_or_default();
    if let Some(t) = read_proc_net("ipv6_route") {
        routes.extend(parse_route_v6(&t));
    }
    routes
}

/// Whether `a` and `b` agree on their first `bits` bits (same family only).
fn same_net(a: IpAddr, b: IpAddr, bits: u16) -> bool {
    let (a, b): (Vec<u8>, Vec<u8>) = match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (a.octets().to_vec(), b.octets().to_vec()),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.octets().to_vec(), b.octets().to_vec()),
        _ => return false,
    };
    let mut left = u32::from(bits);
    for (x, y) in a.iter().zip(&b) {
        let m = match left {
            0 => 0,
            1..=7 => 0xffu8 << (8 - left),
            _ => 0xff,
        };
        left = left.saturating_sub(8);
        if x & m != y & m {
            return false;
        }
    }
    true
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

/// Nmap's `getsysroutes`: each route with the index of its interface row,
/// unmatched routes dropped, sorted.
fn assign_routes(rows: &[IfRow], routes: Vec<RouteEntry>) -> Vec<(RouteEntry, usize)> {
    let mut dev: Vec<Option<usize>> = routes
        .iter()
        .map(|r| {
            rows.iter()
                .position(|i| i.name == r.iface && i.addr.is_some_and(|a| same_family(a, r.dest)))
        })
        .collect();
    for (r, d) in routes.iter().zip(dev.iter_mut()) {
        if d.is_some() {
            continue;
        }
        let target = if r.gw.is_unspecified() { r.dest } else { r.gw };
        *d = rows
            .iter()
            .position(|i| i.addr.is_some_and(|a| same_net(a, target, i.bits)));
    }
    loop {
        let mut changed = false;
        for i in 0..routes.len() {
            if dev[i].is_some() {
                continue;
            }
            for j in 0..routes.len() {
                if routes[i].gw == routes[j].dest
                    && let Some(d) = dev[j]
                {
                    dev[i] = Some(d);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut out: Vec<(RouteEntry, usize)> = routes
        .into_iter()
        .zip(dev)
        .filter_map(|(r, d)| Some((r, d?)))
        .collect();
    out.sort_by(|(a, _), (b, _)| {
        a.dest
            .is_ipv6()
            .cmp(&b.dest.is_ipv6())
            .then(b.bits.cmp(&a.bits))
            .then(a.metric.cmp(&b.metric))
    });
    out
}

/// glibc's `inet_ntop`, which differs from Rust's `Display` for
/// IPv4-compatible addresses (`::1.2.3.4`).
fn ntop(addr: IpAddr) -> String {
    let v6 = match addr {
        IpAddr::V4(a) => return a.to_string(),
        IpAddr::V6(a) => a,
    };
    let w = v6.segments();
    // The longest run of zero words (the first of equals), if two or more.
    // (first word, length) of runs of zero words.
    let mut best: Option<(usize, usize)> = None;
    let mut cur: Option<(usize, usize)> = None;
    for (i, word) in w.iter().enumerate() {
        if *word == 0 {
            cur = Some(cur.map_or((i, 1), |(b, l)| (b, l + 1)));
        } else if let Some(c) = cur.take()
            && best.is_none_or(|b| c.1 > b.1)
        {
            best = Some(c);
        }
    }
    if let Some(c) = cur
        && best.is_none_or(|b| c.1 > b.1)
    {
        best = Some(c);
    }
    let best = best.filter(|b| b.1 >= 2);
    let mut s = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some((base, len)) = best
            && i >= base
            && i < base + len
        {
            if i == base {
                s.push(':');
            }
            i += 1;
            continue;
        }
        if i != 0 {
            s.push(':');
        }
        if i == 6
            && let Some((0, len)) = best
            && (len == 6 || (len == 5 && w[5] == 0xffff))
        {
            let o = v6.octets();
            let _ = write!(s, "{}", Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            return s;
        }
        let _ = write!(s, "{:x}", w[i]);
        i += 1;
    }
    if best.is_some_and(|(base, len)| base + len == 8) {
        s.push(':');
    }
    s
}

/// Nmap's `NmapOutputTable::printableTable`: each column as wide as its
/// longest cell plus one space; empty cells are blank; nothing is printed
/// after a row's last non-empty cell.
fn render(cells: &[Vec<String>]) -> String {
    let ncols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..ncols)
        .map(|c| {
            cells
                .iter()
                .filter_map(|r| r.get(c))
                .map(String::len)
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in cells {
        let items = row.iter().filter(|c| !c.is_empty()).count();
        if items == 0 {
            continue;
        }
        let mut done = 0;
        for (c, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if !cell.is_empty() {
                done += 1;
            }
            if done < items {
                out.extend(std::iter::repeat_n(' ', width[c] + 1 - cell.len()));
            }
        }
        out.push('\n');
    }
    out
}

fn interface_table(rows: &[IfRow]) -> String {
    let mut cells = vec![
        ["DEV", "(SHORT)", "IP/MASK", "TYPE", "UP", "MTU", "MAC"]
            .map(String::from)
            .to_vec(),
    ];
    for r in rows {
        let addr = r.addr.map_or_else(|| "(none)".to_string(), ntop);
        let (kind, mac) = match r.kind {
            DevType::Ethernet => {
                let m = r.mac;
                let mac = format!(
                    "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}",
                    m[0], m[1], m[2], m[3], m[4], m[5]
                );
                ("ethernet", mac)
            }
            DevType::Loopback => ("loopback", String::new()),
            DevType::PointToPoint => ("point2point", String::new()),
            DevType::Other => ("other", String::new()),
        };
        cells.push(vec![
            r.name.clone(),
            format!("({})", r.name),
            format!("{addr}/{}", r.bits),
            kind.to_string(),
            if r.up { "up" } else { "down" }.to_string(),
            r.mtu.to_string(),
            mac,
        ]);
    }
    render(&cells)
}

fn route_table(rows: &[IfRow], routes: &[(RouteEntry, usize)]) -> String {
    let mut cells = vec![
        ["DST/MASK", "DEV", "METRIC", "GATEWAY"]
            .map(String::from)
            .to_vec(),
    ];
    for (r, dev) in routes {
        cells.push(vec![
            format!("{}/{}", ntop(r.dest), r.bits),
            rows[*dev].name.clone(),
            r.metric.to_string(),
            if r.gw.is_unspecified() {
                String::new()
            } else {
                ntop(r.gw)
            },
        ]);
    }
    render(&cells)
}

#[allow(unsafe_code)]
mod sys {
    //! The ioctls libdnet's `intf_loop` makes on Linux: the only unsafe code
    //! of this module.

    use std::mem;
    use std::net::Ipv4Addr;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    /// libdnet's `SIOCGIFCONF` buffer (`ifcbuf[4192]`): with 40-byte
    /// `ifreq`s, at most 104 addresses.
    const IFCONF_BYTES: usize = 4192;

    pub(super) enum Which {
        Addr,
        Netmask,
        DstAddr,
    }

    pub(super) struct Sock(OwnedFd);

    fn request(name: &str) -> Option<libc::ifreq> {
        let bytes = name.as_bytes();
        if bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
            return None;
        }
        // SAFETY: ifreq is plain old data; all-zero is a valid value, leaves
        // the name NUL-terminated and the address family AF_UNSPEC (so the
        // kernel looks the address up by label alone, as for libdnet).
        let mut req: libc::ifreq = unsafe { mem::zeroed() };
        for (d, s) in req.ifr_name.iter_mut().zip(bytes) {
            *d = *s as libc::c_char;
        }
        Some(req)
    }

    fn v4(sa: &libc::sockaddr) -> Ipv4Addr {
        // SAFETY: sockaddr and sockaddr_in have the same size; the caller
        // only reads AF_INET results.
        let sin: libc::sockaddr_in = unsafe { mem::transmute_copy(sa) };
        Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes())
    }

    impl Sock {
        pub(super) fn new() -> Option<Self> {
            // SAFETY: plain socket(2) call; the result is checked.
            let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
            if fd < 0 {
                return None;
            }
            // SAFETY: fd is a freshly opened descriptor that nothing else owns.
            Some(Self(unsafe { OwnedFd::from_raw_fd(fd) }))
        }

        /// `SIOCGIFFLAGS`.
        pub(super) fn flags(&self, name: &str) -> Option<u32> {
            let mut req = request(name)?;
            // SAFETY: the ioctl reads the name from and writes the flags into
            // the ifreq we own and pass by pointer.
            if unsafe { libc::ioctl(self.0.as_raw_fd(), libc::SIOCGIFFLAGS as _, &mut req) } != 0 {
                return None;
            }
            // SAFETY: after a successful SIOCGIFFLAGS the union holds ifru_flags.
            Some(u32::from(unsafe { req.ifr_ifru.ifru_flags } as u16))
        }

        /// `SIOCGIFADDR`, `SIOCGIFNETMASK` or `SIOCGIFDSTADDR` for a name or label.
        pub(super) fn addr(&self, name: &str, which: Which) -> Option<Ipv4Addr> {
            let mut req = request(name)?;
            let op = match which {
                Which::Addr => libc::SIOCGIFADDR,
                Which::Netmask => libc::SIOCGIFNETMASK,
                Which::DstAddr => libc::SIOCGIFDSTADDR,
            };
            // SAFETY: as for flags; the kernel writes a sockaddr_in.
            if unsafe { libc::ioctl(self.0.as_raw_fd(), op as _, &mut req) } != 0 {
                return None;
            }
            // SAFETY: after a successful call the union holds a sockaddr.
            Some(v4(unsafe { &req.ifr_ifru.ifru_addr }))
        }

        /// `SIOCGIFCONF`: (label, address) of every IPv4 address, in the
        /// kernel's order.
        pub(super) fn ifconf(&self) -> Option<Vec<(String, Ipv4Addr)>> {
            let size = mem::size_of::<libc::ifreq>();
            // SAFETY: as in `request`, all-zero ifreqs are valid.
            let mut buf: Vec<libc::ifreq> = (0..IFCONF_BYTES.div_ceil(size))
                .map(|_| unsafe { mem::zeroed() })
                .collect();
            // SAFETY: ifconf is plain old data.
            let mut conf: libc::ifconf = unsafe { mem::zeroed() };
            conf.ifc_len = IFCONF_BYTES as libc::c_int;
            conf.ifc_ifcu.ifcu_req = buf.as_mut_ptr();
            // SAFETY: the buffer holds at least ifc_len bytes and outlives the
            // call; the kernel writes whole ifreqs into it and the used length
            // into ifc_len.
            if unsafe { libc::ioctl(self.0.as_raw_fd(), libc::SIOCGIFCONF as _, &mut conf) } != 0 {
                return None;
            }
            let n = usize::try_from(conf.ifc_len).ok()? / size;
            Some(
                buf.iter()
                    .take(n)
                    .map(|r| {
                        let name: Vec<u8> = r
                            .ifr_name
                            .iter()
                            .take_while(|c| **c != 0)
                            .map(|c| *c as u8)
                            .collect();
                        // SAFETY: SIOCGIFCONF fills ifru_addr of each entry.
                        let addr = v4(unsafe { &r.ifr_ifru.ifru_addr });
                        (String::from_utf8_lossy(&name).into_owned(), addr)
                    })
                    .collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, addr: &str, bits: u16) -> IfRow {
        IfRow {
            name: name.into(),
            addr: Some(addr.parse().unwrap()),
            bits,
            kind: DevType::Ethernet,
            up: true,
            mtu: 1500,
            mac: [2, 0, 0, 0, 0, 1],
        }
    }

    fn route(dest: &str, bits: u16, gw: &str, metric: i32, iface: &str) -> RouteEntry {
        RouteEntry {
            dest: dest.parse().unwrap(),
            bits,
            gw: gw.parse().unwrap(),
            metric,
            iface: iface.into(),
        }
    }

    #[test]
    fn ntop_matches_glibc() {
        for (a, s) in [
            ("::", "::"),
            ("::1", "::1"),
            ("::2", "::2"),
            ("::102:304", "::1.2.3.4"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("2001:db8::", "2001:db8::"),
            ("2001:db8:0:1::1", "2001:db8:0:1::1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("2001:0:0:1:1:0:0:1", "2001::1:1:0:0:1"),
            ("fe80::ff:fe00:2", "fe80::ff:fe00:2"),
            ("ff00::", "ff00::"),
            ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"),
            ("10.1.2.3", "10.1.2.3"),
        ] {
            assert_eq!(ntop(a.parse().unwrap()), s, "{a}");
        }
    }

    #[test]
    fn table_pads_like_nmap() {
        let cells = vec![
            vec!["A".into(), "BB".into(), "C".into()],
            vec!["long".into(), String::new(), "x".into()],
            vec!["z".into(), "y".into(), String::new()],
            vec![String::new(), String::new(), String::new()],
        ];
        assert_eq!(render(&cells), "A    BB C\nlong    x\nz    y\n");
    }

    #[test]
    fn mask_bits_counts_leading_ones() {
        assert_eq!(mask_bits(&[255, 255, 255, 0]), 24);
        assert_eq!(mask_bits(&[255, 255, 240, 0]), 20);
        assert_eq!(mask_bits(&[255, 0, 255, 0]), 8);
        assert_eq!(mask_bits(&[255; 4]), 32);
        assert_eq!(mask_bits(&[0; 16]), 0);
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn route_files_parse_like_libdnet() {
        let v4 = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
            v0\t0000090A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n\
            *\t007100CB\t00000000\t0201\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
            v0\t0064000A\t0900090A\t0003\t0\t0\t-1\t00FFFFFF\t0\t0\t0\n\
            dn\t0000000B\t00000000\t0000\t0\t0\t0\t000000FF\t0\t0\t0\n\
            short\t00000000\n";
        assert_eq!(
            parse_route_v4(v4),
            vec![
                route("10.9.0.0", 16, "0.0.0.0", 0, "v0"),
                route("203.0.113.0", 24, "0.0.0.0", 0, "*"),
                route("10.0.100.0", 24, "10.9.0.9", -1, "v0"),
            ]
        );
        let v6 = "\
20010db8000100000000000000000000 30 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001       v0
20010db8000900000000000000000000 30 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000001 00000000 00200200       lo
20010db8000a00000000000000000000 30 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000001 00000000 00000201       lo
20010db8007800000000000000000000 30 00000000000000000000000000000000 00 20010db8000100000000000000000099 00000400 00000001 00000000 00000003       v0
";
        assert_eq!(
            parse_route_v6(v6),
            vec![
                route("2001:db8:1::", 48, "::", 256, "v0"),
                route("2001:db8:a::", 48, "::", 1024, "lo"),
                route("2001:db8:78::", 48, "2001:db8:1::99", 1024, "v0"),
            ]
        );
    }

    #[test]
    fn proc_files_parse() {
        let dev =
            "Inter-|   Receive |  Transmit\n face |bytes packets\n    lo: 0 0\n  v1: 5 6\nv0:1 2\n";
        assert_eq!(parse_proc_dev(dev), ["lo", "v1", "v0"]);
        let inet6 = "fd000000000000000000000000000001 08 40 00 82     ifb0\n\
            00000000000000000000000000000001 01 80 10 80       lo\n";
        assert_eq!(
            parse_if_inet6(inet6),
            vec![
                ("ifb0".to_string(), "fd00::1".parse().unwrap(), 64),
                ("lo".to_string(), "::1".parse().unwrap(), 128),
            ]
        );
    }

    #[test]
    fn routes_find_interfaces_like_nmap() {
        let rows = vec![
            IfRow {
                addr: None,
                bits: 0,
                ..row("v1", "0.0.0.0", 0)
            },
            row("v1", "fe80::3", 64),
            row("v0", "10.9.0.1", 16),
            row("v0", "172.16.0.1", 12),
            row("v0", "2001:db8:1::1", 48),
        ];
        let routes = vec![
            // By name and family.
            route("10.9.0.0", 16, "0.0.0.0", 0, "v0"),
            // No IPv4 row for v1: by the subnet holding the destination.
            route("172.16.5.0", 24, "0.0.0.0", 3, "v1"),
            // A reject route: by the subnet holding the destination, or not at all.
            route("10.9.8.0", 24, "0.0.0.0", 0, "*"),
            route("203.0.113.0", 24, "0.0.0.0", 0, "*"),
            // Through another route's destination.
            route("198.51.100.0", 24, "192.0.2.7", 0, "x"),
            route("192.0.2.7", 32, "10.9.0.254", 0, "y"),
            route("fe80::", 64, "::", 256, "v1"),
            route("ff00::", 8, "::", 256, "v0"),
            route("2001:db8:1::", 48, "::", 256, "v0"),
        ];
        let got: Vec<(String, u16, String)> = assign_routes(&rows, routes)
            .into_iter()
            .map(|(r, d)| (r.dest.to_string(), r.bits, rows[d].name.clone()))
            .collect();
        let want = [
            ("192.0.2.7", 32, "v0"),
            ("10.9.8.0", 24, "v0"),
            ("198.51.100.0", 24, "v0"),
            ("172.16.5.0", 24, "v0"),
            ("10.9.0.0", 16, "v0"),
            ("fe80::", 64, "v1"),
            ("2001:db8:1::", 48, "v0"),
            ("ff00::", 8, "v0"),
        ];
        assert_eq!(
            got,
            want.map(|(a, b, c)| (a.to_string(), b, c.to_string()))
                .to_vec()
        );
    }
}
