//! Ethernet vendor lookup: which organisation a MAC address prefix is
//! registered to.
//!
//! nmaps ships its own table in `data/mac-prefixes.txt`, generated from the
//! IEEE Registration Authority's public registry (see
//! `tools/gen-mac-prefixes.py`). A user may point `--datadir` / `NMAPDIR` at
//! a directory holding an Nmap-format `nmap-mac-prefixes` instead;
//! [`MacVendors::load_datadir`] reads that.
//!
//! Both files use one layout: `HEXPREFIX Vendor Name` per line, `#` comment
//! lines and blank lines ignored. A prefix of 6 hex digits is an MA-L (24-bit)
//! assignment, 7 an MA-M (28-bit), 9 an MA-S or IAB (36-bit); 8 digits (32
//! bits) are accepted too. The longest matching prefix wins, so a 36-bit
//! assignment inside the IEEE's own 24-bit block names the real owner.

use nmaps_model::Mac;
use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::OnceLock;

const EMBEDDED: &str = include_str!("../../../data/mac-prefixes.txt");

/// Shortest and longest prefix, in hex digits.
const MIN_DIGITS: usize = 6;
const MAX_DIGITS: usize = 9;

/// MAC prefix → vendor name.
#[derive(Debug, Clone, Default)]
pub struct MacVendors {
    /// One map per prefix length: index `d - MIN_DIGITS` holds the prefixes
    /// of `d` hex digits, keyed by their value.
    by_len: [HashMap<u64, Box<str>>; MAX_DIGITS - MIN_DIGITS + 1],
}

impl MacVendors {
    /// The table built into nmaps (parsed once, on first use).
    ///
    /// The embedded file is checked by this crate's tests; should it ever
    /// fail to parse, the table is empty rather than a panic.
    pub fn embedded() -> &'static MacVendors {
        static CELL: OnceLock<MacVendors> = OnceLock::new();
        CELL.get_or_init(|| MacVendors::parse(EMBEDDED).unwrap_or_default())
    }

    /// Parse the `nmap-mac-prefixes` layout: per line a prefix of 6 to 9
    /// hex digits (either case), white space, then the vendor name up to the
    /// end of the line (trailing white space dropped). Lines whose first
    /// non-blank character is `#`, and blank lines, are skipped. When a
    /// prefix is listed twice the first entry wins, as in Nmap.
    ///
    /// Any other line is an error, reported as `line N: …` (1-based).
    /// Never panics.
    pub fn parse(text: &str) -> Result<MacVendors, String> {
        let mut table = MacVendors::default();
        for (i, line) in text.lines().enumerate() {
            let lineno = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (prefix, vendor) = match line.split_once(|c: char| c.is_ascii_whitespace()) {
                Some((p, v)) => (p, v.trim()),
                None => (line, ""),
            };
            if !(MIN_DIGITS..=MAX_DIGITS).contains(&prefix.len())
                || !prefix.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(format!(
                    "line {lineno}: MAC prefix {:?} is not 6 to 9 hex digits",
                    shorten(prefix)
                ));
            }
            if vendor.is_empty() {
                return Err(format!("line {lineno}: no vendor after prefix {prefix}"));
            }
            let Ok(value) = u64::from_str_radix(prefix, 16) else {
                return Err(format!("line {lineno}: bad MAC prefix {prefix}"));
            };
            table.by_len[prefix.len() - MIN_DIGITS]
                .entry(value)
                .or_insert_with(|| vendor.into());
        }
        Ok(table)
    }

    /// Read `dir/nmap-mac-prefixes` if it exists (`Ok(None)` when it does
    /// not). A file that does not parse is an [`io::ErrorKind::InvalidData`]
    /// error naming the file and line.
    pub fn load_datadir(dir: &Path) -> io::Result<Option<MacVendors>> {
        let path = dir.join("nmap-mac-prefixes");
        match std::fs::read(&path) {
            Ok(bytes) => MacVendors::parse(&String::from_utf8_lossy(&bytes))
                .map(Some)
                .map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{}: {e}", path.display()),
                    )
                }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Vendor of `mac`: the entry with the longest matching prefix (36, 32,
    /// 28, then 24 bits), or `None` when no prefix matches.
    pub fn lookup(&self, mac: [u8; 6]) -> Option<&str> {
        let value = mac.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        (MIN_DIGITS..=MAX_DIGITS).rev().find_map(|digits| {
            let key = value >> (4 * (12 - digits));
            self.by_len[digits - MIN_DIGITS].get(&key).map(|v| &**v)
        })
    }

    /// `mac` with its vendor filled in, as the model carries it.
    pub fn mac(&self, addr: [u8; 6]) -> Mac {
        Mac {
            addr,
            vendor: self.lookup(addr).map(str::to_string),
        }
    }

    /// Number of prefixes.
    pub fn len(&self) -> usize {
        self.by_len.iter().map(HashMap::len).sum()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.by_len.iter().all(HashMap::is_empty)
    }
}

/// At most 20 characters of untrusted text, for error messages.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(20).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(s: &str) -> [u8; 6] {
        let mut a = [0u8; 6];
        for (i, part) in s.split(':').enumerate() {
            a[i] = u8::from_str_radix(part, 16).unwrap();
        }
        a
    }

    #[test]
    fn embedded_knows_ieee_prefixes() {
        let v = MacVendors::embedded();
        assert!(v.len() > 40_000, "{}", v.len());
        // MA-L.
        assert_eq!(v.lookup(mac("00:00:0c:12:34:56")), Some("Cisco Systems"));
        assert_eq!(v.lookup(mac("00:0C:29:AA:BB:CC")), Some("VMware"));
        assert_eq!(
            v.lookup(mac("B8:27:EB:00:00:01")),
            Some("Raspberry Pi Foundation")
        );
        assert_eq!(
            v.lookup(mac("08:00:27:00:00:01")),
            Some("PCS Systemtechnik")
        );
        // MA-S inside the IEEE's own 70:B3:D5 block, and the block itself.
        assert_eq!(v.lookup(mac("70:B3:D5:F2:F0:01")), Some("TELEPLATFORMS"));
        assert_eq!(
            v.lookup(mac("70:B3:D5:00:00:01")),
            Some("IEEE Registration Authority")
        );
        // IAB (36-bit) inside 00:50:C2.
        assert_eq!(v.lookup(mac("00:50:C2:00:0F:FF")), Some("T.L.S"));
        // MA-M.
        assert_eq!(v.lookup(mac("20:85:93:B1:23:45")), Some("IOG Products"));
        // Locally administered, as in the lab: not registered.
        assert_eq!(v.lookup(mac("02:00:C6:12:00:0A")), None);
        assert_eq!(v.mac(mac("02:00:C6:12:00:0A")).vendor, None);
        assert_eq!(
            v.mac(mac("00:0C:29:00:00:01")).vendor.as_deref(),
            Some("VMware")
        );
    }

    #[test]
    fn longest_prefix_wins() {
        let v = MacVendors::parse(
            "# comment\n\
             \n\
             0050C2 Block owner\n\
             0050C21 Twenty-eight\n\
             0050C2123 Thirty-six\n\
             0050c2f0 thirty-two, lower case\n",
        )
        .unwrap();
        assert_eq!(v.len(), 4);
        assert_eq!(v.lookup(mac("00:50:C2:12:3F:FF")), Some("Thirty-six"));
        assert_eq!(v.lookup(mac("00:50:C2:12:40:00")), Some("Twenty-eight"));
        assert_eq!(
            v.lookup(mac("00:50:C2:F0:00:00")),
            Some("thirty-two, lower case")
        );
        assert_eq!(v.lookup(mac("00:50:C2:20:00:00")), Some("Block owner"));
        assert_eq!(v.lookup(mac("00:50:C3:12:30:00")), None);
    }

    #[test]
    fn nmap_layout_is_accepted() {
        let v = MacVendors::parse(
            "# $Id$ generated with make-mac-prefixes.pl\r\n\
             000000 Xerox\r\n\
             00000C\tCisco Systems  \r\n\
             00000C Duplicate ignored\n\
             \t# indented comment\n",
        )
        .unwrap();
        assert_eq!(v.lookup(mac("00:00:00:01:02:03")), Some("Xerox"));
        assert_eq!(v.lookup(mac("00:00:0C:01:02:03")), Some("Cisco Systems"));
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line) in [
            ("000000 A\nxyz123 B\n", 2),
            ("000000 A\n\n00000 short\n", 3),
            ("0000000000 ten digits\n", 1),
            ("000000\n", 1),
            ("000000   \n", 1),
            ("# c\n+00000 sign\n", 2),
            ("0x0000 hex\n", 1),
        ] {
            let e = MacVendors::parse(text).unwrap_err();
            assert!(e.starts_with(&format!("line {line}: ")), "{text:?}: {e}");
        }
        assert!(MacVendors::parse("").unwrap().is_empty());
    }

    #[test]
    fn load_datadir_missing_is_none() {
        let r = MacVendors::load_datadir(Path::new("/nonexistent/nmaps-test-dir"));
        assert!(matches!(r, Ok(None)));
    }

    #[test]
    fn load_datadir_reads_and_reports() {
        let dir = std::env::temp_dir().join(format!("nmaps-macs-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("nmap-mac-prefixes");
        std::fs::write(&file, b"0200C6 Lab \xff Vendor\n").unwrap();
        let v = MacVendors::load_datadir(&dir).unwrap().unwrap();
        assert_eq!(
            v.lookup(mac("02:00:C6:12:00:0A")),
            Some("Lab \u{fffd} Vendor")
        );
        std::fs::write(&file, b"0200C6 ok\nnope\n").unwrap();
        let e = MacVendors::load_datadir(&dir).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("nmap-mac-prefixes: line 2: "), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
