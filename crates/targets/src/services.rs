//! The service table: which name and which observed open-frequency belong to
//! each (port, protocol), and the IP protocol-number table.
//!
//! nmaps ships its own copy of these facts in `data/services.tsv` and
//! `data/protocols.tsv` (see `tools/gen-services.py`). A user may point
//! `--datadir` / `NMAPDIR` at a directory holding Nmap-format
//! `nmap-services` / `nmap-protocols` files instead; [`Services::load_datadir`]
//! and [`Protocols::load_datadir`] read those.
//!
//! The frequency drives the default port list, `-F`, `--top-ports` and
//! `--port-ratio`, using Nmap's rule: every row is stably sorted by
//! frequency, highest first (ties keep file order, i.e. ascending port), and
//! rows are taken per protocol until enough are found.

use nmaps_model::Protocol;
use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::OnceLock;

const EMBEDDED_SERVICES: &str = include_str!("../../../data/services.tsv");
const EMBEDDED_PROTOCOLS: &str = include_str!("../../../data/protocols.tsv");

/// Name used for ports without a known service.
pub const UNKNOWN: &str = "unknown";

#[derive(Debug, Clone)]
struct Entry {
    proto: Protocol,
    port: u16,
    freq: f64,
    name: Box<str>,
}

/// Port/protocol → (service name, open frequency).
///
/// Only `tcp`, `udp` and `sctp` rows are held. Entries whose name is
/// `unknown` are kept: they still count as "listed" for `[lo-hi]` port
/// specifications and for top-ports selection.
#[derive(Debug, Clone)]
pub struct Services {
    /// Rows in file order (first occurrence of each (proto, port) only).
    entries: Vec<Entry>,
    index: HashMap<(Protocol, u16), usize>,
    /// Indices into `entries`, stably sorted by frequency, highest first.
    by_ratio: Vec<usize>,
    has_frequencies: bool,
}

impl Services {
    /// The table built into nmaps (parsed once, on first use).
    pub fn embedded() -> &'static Services {
        static CELL: OnceLock<Services> = OnceLock::new();
        CELL.get_or_init(|| Services::parse_tsv(EMBEDDED_SERVICES))
    }

    /// Parse nmaps's own TSV format: `proto<TAB>port<TAB>frequency<TAB>name`.
    /// Comment (`#`) and malformed lines are skipped.
    pub fn parse_tsv(text: &str) -> Services {
        let mut b = Builder::default();
        for line in text.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let mut f = line.split('\t');
            let (Some(proto), Some(port), Some(freq), Some(name)) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            let (Some(proto), Ok(port), Ok(freq)) =
                (parse_proto(proto), port.parse::<u16>(), freq.parse::<f64>())
            else {
                continue;
            };
            if !(0.0..=1.0).contains(&freq) || name.is_empty() {
                continue;
            }
            b.has_frequencies = true;
            b.push(proto, port, freq, name);
        }
        b.finish()
    }

    /// Parse Nmap's `nmap-services` format:
    /// `name <ws> port/proto [<ws> frequency] [# comment]`.
    ///
    /// The frequency may be a decimal beginning with `0.` or a fraction
    /// `n/d`; any other third field counts as 0 (as in Nmap). Files without
    /// frequencies (plain `/etc/services` layout) are accepted, but then
    /// [`Services::has_frequencies`] is false. Bad lines are skipped; the
    /// first entry for a (port, proto) wins. Never panics.
    pub fn parse_nmap_services(text: &str) -> Services {
        let mut b = Builder::default();
        for line in text.lines() {
            let t = line.trim_start();
            if t.starts_with('#') {
                continue;
            }
            let mut f = t.split_ascii_whitespace();
            let (Some(name), Some(pp)) = (f.next(), f.next()) else {
                continue;
            };
            let Some((port, proto)) = pp.split_once('/') else {
                continue;
            };
            let (Ok(port), Some(proto)) = (port.parse::<u16>(), parse_proto(proto)) else {
                continue;
            };
            let freq = match f.next() {
                None => 0.0,
                Some(r) if r.contains('/') => {
                    let Some(v) = parse_fraction(r) else { continue };
                    b.has_frequencies = true;
                    v
                }
                Some(r) if r.starts_with("0.") => {
                    b.has_frequencies = true;
                    leading_float(r)
                }
                Some(_) => 0.0,
            };
            b.push(proto, port, freq, name);
        }
        b.finish()
    }

    /// Read `dir/nmap-services` if it exists (`Ok(None)` when it does not).
    pub fn load_datadir(dir: &Path) -> io::Result<Option<Services>> {
        match std::fs::read(dir.join("nmap-services")) {
            Ok(bytes) => Ok(Some(Services::parse_nmap_services(
                &String::from_utf8_lossy(&bytes),
            ))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether the table carries open frequencies. Without them Nmap refuses
    /// `--top-ports`/`--port-ratio` and scans `1-1024,[1025-]` by default
    /// (`[-]` with `-F`).
    pub fn has_frequencies(&self) -> bool {
        self.has_frequencies
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of rows for one protocol.
    pub fn count(&self, proto: Protocol) -> usize {
        self.entries.iter().filter(|e| e.proto == proto).count()
    }

    /// Service name of a port (`Some("unknown")` for listed ports without a
    /// name, `None` for ports not in the table).
    pub fn name(&self, port: u16, proto: Protocol) -> Option<&str> {
        self.index
            .get(&(proto, port))
            .map(|&i| &*self.entries[i].name)
    }

    /// Open frequency of a listed port.
    pub fn frequency(&self, port: u16, proto: Protocol) -> Option<f64> {
        self.index
            .get(&(proto, port))
            .map(|&i| self.entries[i].freq)
    }

    /// Whether (port, proto) is listed in the table.
    pub fn contains(&self, port: u16, proto: Protocol) -> bool {
        self.index.contains_key(&(proto, port))
    }

    /// All (protocol, port) rows whose name matches `mask` (case-insensitive;
    /// `*` = any run, `?` = one character), ordered by protocol then port.
    pub fn lookup_name(&self, mask: &str) -> Vec<(Protocol, u16)> {
        let mut out: Vec<(Protocol, u16)> = self
            .entries
            .iter()
            .filter(|e| wildcard_match(mask, &e.name))
            .map(|e| (e.proto, e.port))
            .collect();
        out.sort_unstable();
        out
    }

    /// Nmap's top-ports rule for one protocol: the `n` most frequently open
    /// ports, considering only ports in `allowed` (sorted or not; `None` =
    /// all) and not in `exclude`, returned in ascending order.
    ///
    /// Ports with frequency 0 are still eligible once all others are taken.
    pub fn top_ports(
        &self,
        proto: Protocol,
        n: usize,
        allowed: Option<&[u16]>,
        exclude: Option<&[u16]>,
    ) -> Vec<u16> {
        self.select(proto, n, 0.0, allowed, exclude)
    }

    /// `--port-ratio r`: every port of `proto` whose frequency is at least
    /// `ratio`, honouring `allowed`/`exclude` like [`Services::top_ports`].
    pub fn ratio_ports(
        &self,
        proto: Protocol,
        ratio: f64,
        allowed: Option<&[u16]>,
        exclude: Option<&[u16]>,
    ) -> Vec<u16> {
        self.select(proto, usize::MAX, ratio, allowed, exclude)
    }

    pub(crate) fn select(
        &self,
        proto: Protocol,
        n: usize,
        min_ratio: f64,
        allowed: Option<&[u16]>,
        exclude: Option<&[u16]>,
    ) -> Vec<u16> {
        let allowed = allowed.map(bitmap_of);
        let exclude = exclude.map(bitmap_of);
        let mut out = Vec::new();
        for &i in &self.by_ratio {
            if out.len() >= n {
                break;
            }
            let e = &self.entries[i];
            if e.freq < min_ratio {
                break;
            }
            if e.proto != proto {
                continue;
            }
            if allowed.as_ref().is_some_and(|a| !bit(a, e.port)) {
                continue;
            }
            if exclude.as_ref().is_some_and(|x| bit(x, e.port)) {
                continue;
            }
            out.push(e.port);
        }
        out.sort_unstable();
        out
    }
}

fn bitmap_of(ports: &[u16]) -> Vec<u64> {
    let mut m = vec![0u64; 1024];
    for &p in ports {
        m[usize::from(p) / 64] |= 1 << (p % 64);
    }
    m
}

fn bit(m: &[u64], p: u16) -> bool {
    m[usize::from(p) / 64] & (1 << (p % 64)) != 0
}

#[derive(Default)]
struct Builder {
    entries: Vec<Entry>,
    index: HashMap<(Protocol, u16), usize>,
    has_frequencies: bool,
}

impl Builder {
    fn push(&mut self, proto: Protocol, port: u16, freq: f64, name: &str) {
        if self.index.contains_key(&(proto, port)) {
            return;
        }
        let freq = if freq.is_finite() {
            freq.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.index.insert((proto, port), self.entries.len());
        self.entries.push(Entry {
            proto,
            port,
            freq,
            name: name.into(),
        });
    }

    fn finish(self) -> Services {
        let mut by_ratio: Vec<usize> = (0..self.entries.len()).collect();
        // Stable: equal frequencies keep file order.
        by_ratio.sort_by(|&a, &b| self.entries[b].freq.total_cmp(&self.entries[a].freq));
        Services {
            entries: self.entries,
            index: self.index,
            by_ratio,
            has_frequencies: self.has_frequencies,
        }
    }
}

fn parse_proto(s: &str) -> Option<Protocol> {
    match s.to_ascii_lowercase().as_str() {
        "tcp" => Some(Protocol::Tcp),
        "udp" => Some(Protocol::Udp),
        "sctp" => Some(Protocol::Sctp),
        _ => None,
    }
}

/// `n/d` with 0 <= n <= d, d > 0.
fn parse_fraction(s: &str) -> Option<f64> {
    let (n, d) = s.split_once('/')?;
    let n: u32 = n.parse().ok()?;
    let d: u32 = d.parse().ok()?;
    if d == 0 || n > d {
        return None;
    }
    Some(f64::from(n) / f64::from(d))
}

/// Like C's `strtod` on a string that starts with `0.`: the longest numeric
/// prefix.
fn leading_float(s: &str) -> f64 {
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (c == '.' && i == 1)))
        .map_or(s.len(), |(i, _)| i);
    s[..end].parse().unwrap_or(0.0)
}

/// Nmap's service-name wildcard test: case-insensitive, `*` matches any
/// (possibly empty) run, `?` exactly one character.
pub fn wildcard_match(mask: &str, name: &str) -> bool {
    let m: Vec<char> = mask.chars().map(|c| c.to_ascii_lowercase()).collect();
    let n: Vec<char> = name.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut mi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if mi < m.len() && (m[mi] == '?' || (m[mi] != '*' && m[mi] == n[ni])) {
            mi += 1;
            ni += 1;
        } else if mi < m.len() && m[mi] == '*' {
            star = Some((mi, ni));
            mi += 1;
        } else if let Some((smi, sni)) = star {
            mi = smi + 1;
            ni = sni + 1;
            star = Some((smi, sni + 1));
        } else {
            return false;
        }
    }
    m[mi..].iter().all(|&c| c == '*')
}

/// IP protocol number → name (`nmap-protocols`), for `-sO` and `P:` specs.
#[derive(Debug, Clone)]
pub struct Protocols {
    names: Vec<Option<Box<str>>>,
}

impl Protocols {
    /// The table built into nmaps.
    pub fn embedded() -> &'static Protocols {
        static CELL: OnceLock<Protocols> = OnceLock::new();
        CELL.get_or_init(|| Protocols::parse(EMBEDDED_PROTOCOLS))
    }

    /// Parse `name <ws> number [# comment]` (Nmap's layout) or
    /// `number<TAB>name` (ours). Bad lines are skipped.
    pub fn parse(text: &str) -> Protocols {
        let mut names: Vec<Option<Box<str>>> = vec![None; 256];
        for line in text.lines() {
            let body = line.split('#').next().unwrap_or("");
            let mut f = body.split_ascii_whitespace();
            let (Some(a), Some(b)) = (f.next(), f.next()) else {
                continue;
            };
            let (num, name) = match (a.parse::<u8>(), b.parse::<u8>()) {
                (Ok(n), _) => (n, b),
                (_, Ok(n)) => (n, a),
                _ => continue,
            };
            let slot = &mut names[usize::from(num)];
            if slot.is_none() {
                *slot = Some(name.into());
            }
        }
        Protocols { names }
    }

    /// Read `dir/nmap-protocols` if it exists.
    pub fn load_datadir(dir: &Path) -> io::Result<Option<Protocols>> {
        match std::fs::read(dir.join("nmap-protocols")) {
            Ok(bytes) => Ok(Some(Protocols::parse(&String::from_utf8_lossy(&bytes)))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Name of protocol `num`, if listed.
    pub fn name(&self, num: u8) -> Option<&str> {
        self.names[usize::from(num)].as_deref()
    }

    /// Protocol numbers whose names match `mask` (see [`wildcard_match`]).
    pub fn lookup_name(&self, mask: &str) -> Vec<u8> {
        (0..=255u8)
            .filter(|&n| self.name(n).is_some_and(|name| wildcard_match(mask, name)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_counts() {
        let s = Services::embedded();
        assert_eq!(s.count(Protocol::Tcp), 8366);
        assert_eq!(s.count(Protocol::Udp), 19022);
        assert_eq!(s.count(Protocol::Sctp), 52);
        assert!(s.has_frequencies());
        assert_eq!(s.name(22, Protocol::Tcp), Some("ssh"));
        assert_eq!(s.name(4, Protocol::Tcp), Some("unknown"));
        assert_eq!(s.name(53, Protocol::Udp), Some("domain"));
        assert_eq!(s.name(0, Protocol::Tcp), None);
        assert_eq!(Protocols::embedded().name(6), Some("tcp"));
        assert_eq!(Protocols::embedded().name(1), Some("icmp"));
    }

    #[test]
    fn wildcards() {
        let cases = [
            ("http*", "http", true),
            ("http*", "https", true),
            ("HTTP", "http", true),
            ("h?tp", "http", true),
            ("h?tp", "htp", false),
            ("*", "", true),
            ("?", "", false),
            ("*-*", "http-proxy", true),
            ("*x", "http", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbYcd", false),
            ("**", "x", true),
        ];
        for (m, n, want) in cases {
            assert_eq!(wildcard_match(m, n), want, "{m} vs {n}");
        }
    }

    #[test]
    fn nmap_format_parsing() {
        let text = "# c\n\
            foo\t1/tcp\t0.5\t# x\n\
            bar 2/UDP 1/4\n\
            baz\t3/tcp\n\
            dup\t1/tcp\t0.9\n\
            bad\t70000/tcp\t0.1\n\
            bad\tx/tcp\n\
            bad\t4/xyz\t0.1\n\
            frac\t5/tcp\t3/2\n\
            odd\t6/tcp\t1.5\n";
        let s = Services::parse_nmap_services(text);
        assert!(s.has_frequencies());
        assert_eq!(s.name(1, Protocol::Tcp), Some("foo"));
        assert_eq!(s.frequency(1, Protocol::Tcp), Some(0.5));
        assert_eq!(s.frequency(2, Protocol::Udp), Some(0.25));
        assert_eq!(s.frequency(3, Protocol::Tcp), Some(0.0));
        assert_eq!(s.name(5, Protocol::Tcp), None);
        assert_eq!(s.frequency(6, Protocol::Tcp), Some(0.0));
        assert_eq!(s.len(), 4);
        let plain = Services::parse_nmap_services("ssh 22/tcp\n");
        assert!(!plain.has_frequencies());
    }

    #[test]
    fn load_datadir_missing_is_none() {
        let r = Services::load_datadir(Path::new("/nonexistent/nmaps-test-dir"));
        assert!(matches!(r, Ok(None)));
    }
}
