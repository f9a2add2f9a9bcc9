//! Nmap's target syntax: addresses, IPv4 octet ranges, CIDR blocks,
//! IPv6 addresses and hostnames; exclude lists; `-iL` files.
//!
//! Nothing here resolves names. A hostname target keeps its optional `/n`;
//! once the engine has an address it calls [`apply_prefix`]. Address
//! iteration is lazy: a `/8` or an IPv6 `/64` never allocates its members.
//!
//! Rules follow Nmap 7.93: the netmask is whatever follows the *last* `/`
//! and must be a plain decimal number; in IPv4 mode a mask above 32 only
//! earns a warning ("Assuming /32", see [`target_warning`]), in IPv6 mode a
//! mask above 128 is silently ignored. IPv4 octets accept comma lists,
//! ranges with missing bounds (0 and 255), a lone `-` and `*`; a netmask
//! on an octet range widens every octet by the mask. IPv6 has no ranges.
//! Tokens that are neither addresses nor plausible host names are errors;
//! Nmap reports those as `Failed to resolve "TOKEN".` and goes on.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Per-octet membership bitmaps of an IPv4 octet-range expression.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Ipv4Octets {
    bits: [[u64; 4]; 4],
}

impl fmt::Debug for Ipv4Octets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ipv4Octets({self})")
    }
}

impl fmt::Display for Ipv4Octets {
    /// Nmap-style range text, e.g. `10.0.0-3.1,5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for o in 0..4 {
            if o > 0 {
                f.write_str(".")?;
            }
            let mut first = true;
            let mut i = 0u16;
            while i < 256 {
                if !self.has(o, i as u8) {
                    i += 1;
                    continue;
                }
                let mut j = i;
                while j < 255 && self.has(o, (j + 1) as u8) {
                    j += 1;
                }
                if !first {
                    f.write_str(",")?;
                }
                first = false;
                if i == j {
                    write!(f, "{i}")?;
                } else {
                    write!(f, "{i}-{j}")?;
                }
                i = j + 1;
            }
        }
        Ok(())
    }
}

impl Ipv4Octets {
    fn empty() -> Self {
        Self { bits: [[0; 4]; 4] }
    }
    /// A single address.
    pub fn from_addr(a: Ipv4Addr) -> Self {
        let mut s = Self::empty();
        for (i, o) in a.octets().into_iter().enumerate() {
            s.set(i, o);
        }
        s
    }
    fn set(&mut self, octet: usize, v: u8) {
        self.bits[octet][usize::from(v / 64)] |= 1 << (v % 64);
    }
    /// Whether value `v` is allowed in octet `octet` (0..4).
    pub fn has(&self, octet: usize, v: u8) -> bool {
        octet < 4 && self.bits[octet][usize::from(v / 64)] & (1 << (v % 64)) != 0
    }
    /// Number of values allowed in one octet.
    fn count(&self, octet: usize) -> u32 {
        self.bits[octet].iter().map(|w| w.count_ones()).sum()
    }
    /// Number of addresses.
    pub fn len(&self) -> u64 {
        (0..4).map(|o| u64::from(self.count(o))).product()
    }
    /// Whether no address matches.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether `a` matches.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        a.octets()
            .into_iter()
            .enumerate()
            .all(|(i, o)| self.has(i, o))
    }
    /// Widen with a CIDR netmask of `bits` bits, like Nmap: every host bit
    /// of each octet becomes free.
    pub fn apply_netmask(&mut self, bits: u8) {
        let mask: u32 = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(bits.min(32)))
        };
        for o in 0..4 {
            let m = ((mask >> (24 - 8 * o)) & 0xff) as u8;
            let mut chunk = 1u16;
            while chunk < 256 {
                if m & (chunk as u8) == 0 {
                    let mut i = 0u16;
                    while i < 256 {
                        for j in 0..chunk {
                            let a = (i + j) as u8;
                            let b = (i + j + chunk) as u8;
                            if self.has(o, a) {
                                self.set(o, b);
                            } else if self.has(o, b) {
                                self.set(o, a);
                            }
                        }
                        i += chunk * 2;
                    }
                }
                chunk <<= 1;
            }
        }
    }
    /// Lazy iteration in ascending address order.
    pub fn iter(&self) -> Ipv4OctetIter {
        let vals: [Vec<u8>; 4] =
            std::array::from_fn(|o| (0..=255u8).filter(|&v| self.has(o, v)).collect::<Vec<u8>>());
        let done = vals.iter().any(|v| v.is_empty());
        Ipv4OctetIter {
            vals,
            idx: [0; 4],
            done,
            remaining: self.len(),
        }
    }
}

/// Iterator over an [`Ipv4Octets`] (odometer over the four octets).
#[derive(Debug, Clone)]
pub struct Ipv4OctetIter {
    vals: [Vec<u8>; 4],
    idx: [usize; 4],
    done: bool,
    remaining: u64,
}

impl Iterator for Ipv4OctetIter {
    type Item = Ipv4Addr;
    fn next(&mut self) -> Option<Ipv4Addr> {
        if self.done {
            return None;
        }
        let a = Ipv4Addr::new(
            self.vals[0][self.idx[0]],
            self.vals[1][self.idx[1]],
            self.vals[2][self.idx[2]],
            self.vals[3][self.idx[3]],
        );
        self.remaining = self.remaining.saturating_sub(1);
        let mut o = 4;
        loop {
            if o == 0 {
                self.done = true;
                break;
            }
            o -= 1;
            self.idx[o] += 1;
            if self.idx[o] < self.vals[o].len() {
                break;
            }
            self.idx[o] = 0;
        }
        Some(a)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (n, usize::try_from(self.remaining).ok())
    }
}

/// A contiguous, inclusive address range of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrRange {
    V4 { start: Ipv4Addr, end: Ipv4Addr },
    V6 { start: Ipv6Addr, end: Ipv6Addr },
}

impl AddrRange {
    /// Number of addresses (saturates at `u128::MAX` for `::/0`).
    pub fn len(&self) -> u128 {
        match *self {
            AddrRange::V4 { start, end } => {
                u128::from(u32::from(end).saturating_sub(u32::from(start))) + 1
            }
            AddrRange::V6 { start, end } => (u128::from(end) - u128::from(start)).saturating_add(1),
        }
    }
    /// Never empty (ranges are inclusive); provided for API symmetry.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Whether `a` lies in the range.
    pub fn contains(&self, a: IpAddr) -> bool {
        match (*self, a) {
            (AddrRange::V4 { start, end }, IpAddr::V4(a)) => start <= a && a <= end,
            (AddrRange::V6 { start, end }, IpAddr::V6(a)) => start <= a && a <= end,
            _ => false,
        }
    }
    /// Lazy iteration in ascending order.
    pub fn iter(&self) -> AddrIter {
        match *self {
            AddrRange::V4 { start, end } => AddrIter::Range {
                next: Some(u128::from(u32::from(start))),
                end: u128::from(u32::from(end)),
                v6: false,
            },
            AddrRange::V6 { start, end } => AddrIter::Range {
                next: Some(u128::from(start)),
                end: u128::from(end),
                v6: true,
            },
        }
    }
}

/// `addr/prefix` as a range (host bits cleared to set). Prefixes above the
/// address length mean "the address alone".
pub fn apply_prefix(addr: IpAddr, prefix: u8) -> AddrRange {
    match addr {
        IpAddr::V4(a) => {
            let a = u32::from(a);
            let mask = if prefix == 0 {
                0
            } else if prefix >= 32 {
                u32::MAX
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            AddrRange::V4 {
                start: Ipv4Addr::from(a & mask),
                end: Ipv4Addr::from(a | !mask),
            }
        }
        IpAddr::V6(a) => {
            let a = u128::from(a);
            let mask = if prefix == 0 {
                0
            } else if prefix >= 128 {
                u128::MAX
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            AddrRange::V6 {
                start: Ipv6Addr::from(a & mask),
                end: Ipv6Addr::from(a | !mask),
            }
        }
    }
}

/// Lazy address iterator over any literal target.
#[derive(Debug, Clone)]
pub enum AddrIter {
    Octets(Ipv4OctetIter),
    Range {
        next: Option<u128>,
        end: u128,
        v6: bool,
    },
}

impl Iterator for AddrIter {
    type Item = IpAddr;
    fn next(&mut self) -> Option<IpAddr> {
        match self {
            AddrIter::Octets(it) => it.next().map(IpAddr::V4),
            AddrIter::Range { next, end, v6 } => {
                let cur = (*next)?;
                *next = if cur >= *end { None } else { Some(cur + 1) };
                Some(if *v6 {
                    IpAddr::V6(Ipv6Addr::from(cur))
                } else {
                    IpAddr::V4(Ipv4Addr::from(u32::try_from(cur).unwrap_or(u32::MAX)))
                })
            }
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            AddrIter::Octets(it) => it.size_hint(),
            AddrIter::Range { next: None, .. } => (0, Some(0)),
            AddrIter::Range {
                next: Some(n), end, ..
            } => {
                let left = (end - n).saturating_add(1);
                let l = usize::try_from(left).unwrap_or(usize::MAX);
                (l, usize::try_from(left).ok())
            }
        }
    }
}

/// One parsed target token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TargetSpec {
    /// A plain IPv4 address.
    Ipv4(Ipv4Addr),
    /// IPv4 octet ranges/lists/wildcards (`198.18.0-3,7.1-254`), possibly
    /// widened by a netmask.
    Ipv4Ranges(Ipv4Octets),
    /// `a.b.c.d/n`.
    Ipv4Cidr { addr: Ipv4Addr, prefix: u8 },
    /// An IPv6 address, with its `%zone` if given.
    Ipv6 {
        addr: Ipv6Addr,
        zone: Option<String>,
    },
    /// `addr/n` in IPv6.
    Ipv6Cidr {
        addr: Ipv6Addr,
        prefix: u8,
        zone: Option<String>,
    },
    /// A name to resolve, with an optional `/n`.
    Hostname { name: String, prefix: Option<u8> },
}

impl TargetSpec {
    /// Whether the target is a name that still needs resolving.
    pub fn is_hostname(&self) -> bool {
        matches!(self, TargetSpec::Hostname { .. })
    }
    /// The addresses of a literal target, lazily (`None` for hostnames).
    pub fn addrs(&self) -> Option<AddrIter> {
        Some(match self {
            TargetSpec::Ipv4(a) => apply_prefix(IpAddr::V4(*a), 32).iter(),
            TargetSpec::Ipv4Ranges(o) => AddrIter::Octets(o.iter()),
            TargetSpec::Ipv4Cidr { addr, prefix } => {
                apply_prefix(IpAddr::V4(*addr), *prefix).iter()
            }
            TargetSpec::Ipv6 { addr, .. } => apply_prefix(IpAddr::V6(*addr), 128).iter(),
            TargetSpec::Ipv6Cidr { addr, prefix, .. } => {
                apply_prefix(IpAddr::V6(*addr), *prefix).iter()
            }
            TargetSpec::Hostname { .. } => return None,
        })
    }
    /// Number of addresses of a literal target (`None` for hostnames;
    /// saturates at `u128::MAX` for `::/0`).
    pub fn len(&self) -> Option<u128> {
        Some(match self {
            TargetSpec::Ipv4(_) | TargetSpec::Ipv6 { .. } => 1,
            TargetSpec::Ipv4Ranges(o) => u128::from(o.len()),
            TargetSpec::Ipv4Cidr { addr, prefix } => apply_prefix(IpAddr::V4(*addr), *prefix).len(),
            TargetSpec::Ipv6Cidr { addr, prefix, .. } => {
                apply_prefix(IpAddr::V6(*addr), *prefix).len()
            }
            TargetSpec::Hostname { .. } => return None,
        })
    }
    /// Whether a literal target has no address (never true; hostnames
    /// report `false`).
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
    /// Whether a literal target covers `a` (always false for hostnames).
    pub fn contains(&self, a: IpAddr) -> bool {
        match (self, a) {
            (TargetSpec::Ipv4(x), IpAddr::V4(y)) => *x == y,
            (TargetSpec::Ipv4Ranges(o), IpAddr::V4(y)) => o.contains(y),
            (TargetSpec::Ipv4Cidr { addr, prefix }, _) => {
                apply_prefix(IpAddr::V4(*addr), *prefix).contains(a)
            }
            (TargetSpec::Ipv6 { addr, .. }, IpAddr::V6(y)) => *addr == y,
            (TargetSpec::Ipv6Cidr { addr, prefix, .. }, _) => {
                apply_prefix(IpAddr::V6(*addr), *prefix).contains(a)
            }
            _ => false,
        }
    }
    /// The IPv6 zone (`%eth0`), if any.
    pub fn zone(&self) -> Option<&str> {
        match self {
            TargetSpec::Ipv6 { zone, .. } | TargetSpec::Ipv6Cidr { zone, .. } => zone.as_deref(),
            _ => None,
        }
    }
}

/// Why a target token was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetErrorKind {
    /// The text after the last `/` is not a plain decimal number.
    BadNetmask,
    /// An IPv6 literal without `-6`.
    Ipv6WithoutFlag,
    /// An IPv4 literal or range with `-6`.
    Ipv4WithFlag,
    /// Neither an address nor a plausible host name.
    InvalidName,
    /// (Exclude lists only) a netmask longer than the address.
    NetmaskTooLong,
}

/// A rejected target token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError {
    pub kind: TargetErrorKind,
    /// The token as given.
    pub token: String,
}

impl TargetError {
    fn new(kind: TargetErrorKind, token: &str) -> Self {
        Self {
            kind,
            token: token.to_string(),
        }
    }
    /// What Nmap 7.93 prints for this token. Nmap skips the target and
    /// goes on, except for [`TargetErrorKind::NetmaskTooLong`] in exclude
    /// lists, which is fatal.
    pub fn nmap_message(&self) -> String {
        let t = &self.token;
        match self.kind {
            TargetErrorKind::BadNetmask => {
                format!("Unable to split netmask from target expression: \"{t}\"")
            }
            TargetErrorKind::Ipv6WithoutFlag => format!(
                "{t} looks like an IPv6 target specification -- you have to use the -6 option."
            ),
            TargetErrorKind::Ipv4WithFlag | TargetErrorKind::InvalidName => {
                format!("Failed to resolve \"{t}\".")
            }
            TargetErrorKind::NetmaskTooLong => {
                format!("Illegal netmask in \"{t}\". Must be smaller than address bit length.")
            }
        }
    }
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.kind {
            TargetErrorKind::BadNetmask => "netmask is not a number",
            TargetErrorKind::Ipv6WithoutFlag => {
                "looks like an IPv6 target specification -- you have to use the -6 option"
            }
            TargetErrorKind::Ipv4WithFlag => "is an IPv4 target but -6 was given",
            TargetErrorKind::InvalidName => "not an address or a valid host name",
            TargetErrorKind::NetmaskTooLong => "netmask longer than the address",
        };
        write!(f, "invalid target {:?}: {why}", self.token)
    }
}

impl std::error::Error for TargetError {}

/// Split off the netmask after the last `/`. `Ok((expr, None))` without a
/// slash; `Err` when the mask is not a plain decimal number (or overflows
/// a C `int`, as in Nmap).
fn split_netmask(token: &str) -> Result<(&str, Option<u32>), ()> {
    match token.rsplit_once('/') {
        None => Ok((token, None)),
        Some((expr, mask)) => {
            if mask.is_empty() || !mask.bytes().all(|b| b.is_ascii_digit()) {
                return Err(());
            }
            let v: u64 = mask.trim_start_matches('0').parse().unwrap_or(
                if mask.trim_start_matches('0').is_empty() {
                    0
                } else {
                    u64::MAX
                },
            );
            if v > i32::MAX as u64 {
                return Err(());
            }
            Ok((expr, Some(v as u32)))
        }
    }
}

/// Nmap's IPv4 range grammar: each octet is `*` or a comma list of `n`,
/// `n-m`, `-m`, `n-`, `-`.
fn parse_ipv4_ranges(s: &str) -> Option<Ipv4Octets> {
    let b = s.as_bytes();
    let mut p = 0usize;
    let mut out = Ipv4Octets::empty();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let num = |p: &mut usize| -> Option<Option<u32>> {
        // None inside = no digits; Some(None) would be overflow -> reject.
        if !at(*p).is_ascii_digit() {
            return Some(None);
        }
        let mut v: u32 = 0;
        while at(*p).is_ascii_digit() {
            v = v
                .saturating_mul(10)
                .saturating_add(u32::from(at(*p) - b'0'));
            *p += 1;
        }
        Some(Some(v))
    };
    for octet in 0..4 {
        if p >= b.len() {
            return None;
        }
        if at(p) == b'*' {
            for v in 0..=255u8 {
                out.set(octet, v);
            }
            p += 1;
        } else {
            loop {
                let start = match num(&mut p)? {
                    Some(v) => v,
                    None if at(p) == b'-' => 0,
                    None => return None,
                };
                if start > 255 {
                    return None;
                }
                let end = if at(p) == b'-' {
                    p += 1;
                    num(&mut p)?.unwrap_or(255)
                } else {
                    start
                };
                if end > 255 || end < start {
                    return None;
                }
                for v in start..=end {
                    out.set(octet, v as u8);
                }
                if at(p) != b',' {
                    break;
                }
                p += 1;
            }
        }
        if octet < 3 {
            if at(p) != b'.' {
                return None;
            }
            p += 1;
        }
    }
    if p != b.len() {
        return None;
    }
    Some(out)
}

/// IPv6 literal with optional `%zone`.
fn parse_ipv6(s: &str) -> Option<(Ipv6Addr, Option<String>)> {
    let (addr, zone) = match s.split_once('%') {
        Some((a, z)) => {
            if z.is_empty() || !z.bytes().all(|c| c.is_ascii_graphic() && c != b'%') {
                return None;
            }
            (a, Some(z.to_string()))
        }
        None => (s, None),
    };
    addr.parse::<Ipv6Addr>().ok().map(|a| (a, zone))
}

/// RFC-ish host name check: labels of letters, digits, `-` and `_`, 1–63
/// characters, not starting or ending with `-`; at most 253 characters; a
/// single trailing dot allowed. (Numeric forms such as `127.1` pass and
/// are left to the resolver, as in Nmap.)
pub fn is_valid_hostname(name: &str) -> bool {
    let n = name.strip_suffix('.').unwrap_or(name);
    if n.is_empty() || n.len() > 253 {
        return false;
    }
    n.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    })
}

/// Parse one target token. `ipv6_mode` is `-6`. Never panics.
pub fn parse_target(token: &str, ipv6_mode: bool) -> Result<TargetSpec, TargetError> {
    use TargetErrorKind as K;
    let Ok((expr, bits)) = split_netmask(token) else {
        return Err(TargetError::new(K::BadNetmask, token));
    };
    // IPv4 mode: a mask above 32 is dropped (with a warning); IPv6 mode:
    // above 128 is ignored.
    let limit = if ipv6_mode { 128 } else { 32 };
    let bits: Option<u8> = bits.filter(|&b| b <= limit).map(|b| b as u8);

    if !ipv6_mode && let Some(o) = parse_ipv4_ranges(expr) {
        return Ok(match bits {
            None if o.len() == 1 => {
                TargetSpec::Ipv4(o.iter().next().unwrap_or(Ipv4Addr::UNSPECIFIED))
            }
            None => TargetSpec::Ipv4Ranges(o),
            Some(b) if o.len() == 1 => TargetSpec::Ipv4Cidr {
                addr: o.iter().next().unwrap_or(Ipv4Addr::UNSPECIFIED),
                prefix: b,
            },
            Some(b) => {
                let mut o = o;
                o.apply_netmask(b);
                TargetSpec::Ipv4Ranges(o)
            }
        });
    }
    if let Some((addr, zone)) = parse_ipv6(expr) {
        if !ipv6_mode {
            return Err(TargetError::new(K::Ipv6WithoutFlag, token));
        }
        return Ok(match bits {
            None => TargetSpec::Ipv6 { addr, zone },
            Some(prefix) => TargetSpec::Ipv6Cidr { addr, prefix, zone },
        });
    }
    if ipv6_mode && parse_ipv4_ranges(expr).is_some() {
        return Err(TargetError::new(K::Ipv4WithFlag, token));
    }
    if is_valid_hostname(expr) {
        return Ok(TargetSpec::Hostname {
            name: expr.to_string(),
            prefix: bits,
        });
    }
    Err(TargetError::new(K::InvalidName, token))
}

/// The warning Nmap prints for an accepted token, if any: in IPv4 mode a
/// netmask above 32 is replaced by /32.
pub fn target_warning(token: &str, ipv6_mode: bool) -> Option<String> {
    let (_, bits) = split_netmask(token).ok()?;
    (!ipv6_mode && bits? > 32)
        .then(|| format!("Illegal netmask in \"{token}\". Assuming /32 (one host)"))
}

/// Split `-iL` / `--excludefile` text into tokens: separated by blanks,
/// `#` starts a comment to the end of the line (also inside a token).
pub fn split_target_file(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.split('\n') {
        let body = line.split('#').next().unwrap_or("");
        out.extend(
            body.split([' ', '\t', '\r', '\0'])
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        );
    }
    out
}

/// Addresses to skip (`--exclude`, `--excludefile`).
///
/// Literal entries are checked directly; host names are kept (see
/// [`ExcludeList::hostnames`]) until the caller resolves them and adds the
/// results with [`ExcludeList::add_resolved`].
#[derive(Debug, Clone, Default)]
pub struct ExcludeList {
    octets: Vec<Ipv4Octets>,
    ranges: Vec<AddrRange>,
    names: Vec<(String, Option<u8>)>,
}

impl ExcludeList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Build from `--exclude a,b,c` (comma-separated).
    pub fn from_exclude_arg(arg: &str, ipv6_mode: bool) -> Result<Self, TargetError> {
        let mut l = Self::new();
        for t in arg.split(',').filter(|t| !t.is_empty()) {
            l.add_spec(t, ipv6_mode)?;
        }
        Ok(l)
    }

    /// Build from `--excludefile` contents (see [`split_target_file`]).
    pub fn from_exclude_file(text: &str, ipv6_mode: bool) -> Result<Self, TargetError> {
        let mut l = Self::new();
        for t in split_target_file(text) {
            l.add_spec(&t, ipv6_mode)?;
        }
        Ok(l)
    }

    /// Add one spec. Exclude specs accept both families regardless of
    /// `-6` (addresses of the other family simply never match); a netmask
    /// longer than the address is an error, as in Nmap.
    pub fn add_spec(&mut self, spec: &str, ipv6_mode: bool) -> Result<(), TargetError> {
        use TargetErrorKind as K;
        let Ok((expr, bits)) = split_netmask(spec) else {
            return Err(TargetError::new(K::BadNetmask, spec));
        };
        if let Some((addr, _)) = parse_ipv6(expr) {
            let b = bits.unwrap_or(128);
            if b > 128 {
                return Err(TargetError::new(K::NetmaskTooLong, spec));
            }
            self.ranges.push(apply_prefix(IpAddr::V6(addr), b as u8));
            return Ok(());
        }
        if let Some(mut o) = parse_ipv4_ranges(expr) {
            let b = bits.unwrap_or(32);
            if b > 32 {
                return Err(TargetError::new(K::NetmaskTooLong, spec));
            }
            if o.len() == 1 {
                let a = o.iter().next().unwrap_or(Ipv4Addr::UNSPECIFIED);
                self.ranges.push(apply_prefix(IpAddr::V4(a), b as u8));
            } else {
                o.apply_netmask(b as u8);
                self.octets.push(o);
            }
            return Ok(());
        }
        let _ = ipv6_mode;
        if is_valid_hostname(expr) {
            let limit = 128;
            if bits.is_some_and(|b| b > limit) {
                return Err(TargetError::new(K::NetmaskTooLong, spec));
            }
            self.names.push((expr.to_string(), bits.map(|b| b as u8)));
            return Ok(());
        }
        Err(TargetError::new(K::InvalidName, spec))
    }

    /// Host names awaiting resolution, with their `/n`.
    pub fn hostnames(&self) -> &[(String, Option<u8>)] {
        &self.names
    }

    /// Add an address a host name resolved to, widened by its prefix.
    pub fn add_resolved(&mut self, addr: IpAddr, prefix: Option<u8>) {
        let full = if addr.is_ipv4() { 32 } else { 128 };
        self.ranges.push(apply_prefix(addr, prefix.unwrap_or(full)));
    }

    /// Add an address range directly.
    pub fn add_range(&mut self, r: AddrRange) {
        self.ranges.push(r);
    }

    /// Whether `a` is excluded.
    pub fn contains(&self, a: IpAddr) -> bool {
        if let IpAddr::V4(v4) = a
            && self.octets.iter().any(|o| o.contains(v4))
        {
            return true;
        }
        self.ranges.iter().any(|r| r.contains(a))
    }

    /// Whether nothing is excluded.
    pub fn is_empty(&self) -> bool {
        self.octets.is_empty() && self.ranges.is_empty() && self.names.is_empty()
    }
}
