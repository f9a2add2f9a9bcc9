//! A measured fingerprint: Nmap's test lines (`SEQ`, `OPS`, `WIN`, `ECN`,
//! `T1`…`T7`, `U1`, `IE`), each an ordered list of attributes, and its text
//! in Nmap's submission format.
//!
//! The submission text is what Nmap prints under "TCP/IP fingerprint:" and
//! writes to `<osfingerprint fingerprint="…">`: a `SCAN(…)` pseudo-test
//! ([`ScanLine`]) followed by the test lines, either run together and cut
//! into `OS:`-prefixed lines of 72 characters ([`wrap_os_lines`]), or, in
//! the cases where Nmap does not wrap (`-vv` with a fingerprint unfit for
//! submission), one line per test ([`submission_lines`]). In both forms
//! every line ends with a newline, the last one included.

use std::fmt;

/// Test lines in the order Nmap writes them.
pub const TEST_ORDER: [&str; 13] = [
    "SEQ", "OPS", "WIN", "ECN", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "U1", "IE",
];

/// The attributes each test may have, in the order Nmap writes them; index
/// `i` belongs to `TEST_ORDER[i]`. The matcher and the database parser use
/// this schema: an attribute outside it is an error.
pub const TEST_ATTRS: [&[&str]; 13] = [
    &["SP", "GCD", "ISR", "TI", "CI", "II", "SS", "TS"],
    &["O1", "O2", "O3", "O4", "O5", "O6"],
    &["W1", "W2", "W3", "W4", "W5", "W6"],
    &["R", "DF", "T", "TG", "W", "O", "CC", "Q"],
    &["R", "DF", "T", "TG", "S", "A", "F", "RD", "Q"],
    TCP_PROBE_ATTRS,
    TCP_PROBE_ATTRS,
    TCP_PROBE_ATTRS,
    TCP_PROBE_ATTRS,
    TCP_PROBE_ATTRS,
    TCP_PROBE_ATTRS,
    &[
        "R", "DF", "T", "TG", "IPL", "UN", "RIPL", "RID", "RIPCK", "RUCK", "RUD",
    ],
    &["R", "DFI", "T", "TG", "CD"],
];

const TCP_PROBE_ATTRS: &[&str] = &["R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"];

/// Position of test `name` in [`TEST_ORDER`].
pub fn test_index(name: &str) -> Option<usize> {
    TEST_ORDER.iter().position(|t| *t == name)
}

/// Position of `attr` in the schema of test number `test` ([`TEST_ATTRS`]).
pub fn attr_index(test: usize, attr: &str) -> Option<usize> {
    TEST_ATTRS.get(test)?.iter().position(|a| *a == attr)
}

/// First slot of each test in the flat (test, attribute) numbering the
/// matcher uses: slot = `SLOT_BASE[test] + attribute index`.
pub(crate) const SLOT_BASE: [usize; 13] = slot_bases();
/// Number of (test, attribute) slots (119).
pub(crate) const SLOTS: usize = SLOT_BASE[12] + TEST_ATTRS[12].len();

const fn slot_bases() -> [usize; 13] {
    let mut out = [0; 13];
    let mut i = 1;
    while i < 13 {
        out[i] = out[i - 1] + TEST_ATTRS[i - 1].len();
        i += 1;
    }
    out
}

/// The test and attribute names of a slot.
pub(crate) fn slot_names(slot: usize) -> (&'static str, &'static str) {
    let test = SLOT_BASE.iter().rposition(|b| *b <= slot).unwrap_or(0);
    let attrs = TEST_ATTRS[test];
    let attr = attrs.get(slot - SLOT_BASE[test]).copied().unwrap_or("?");
    (TEST_ORDER[test], attr)
}

/// Longest fingerprint text [`Fingerprint::parse`] accepts. Nmap's own
/// buffers hold 10 KiB; a merged fingerprint of five tries fits easily.
pub const MAX_TEXT: usize = 64 * 1024;
/// Most test lines one fingerprint text may hold (13 tests × 5 tries, and
/// some slack).
pub const MAX_TESTS: usize = 80;

/// One test line, e.g. `T5(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Test {
    /// `SEQ`, `OPS`, …
    pub name: String,
    /// Attributes in the order Nmap writes them; values are the final text
    /// (upper-case hex or symbols), possibly empty (`Q=`).
    pub attrs: Vec<(String, String)>,
}

impl Test {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            attrs: Vec::new(),
        }
    }

    /// Appends `attr=value`.
    pub fn push(&mut self, attr: &str, value: impl Into<String>) {
        self.attrs.push((attr.to_owned(), value.into()));
    }

    /// The value of `attr`, if the test has it.
    pub fn get(&self, attr: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == attr)
            .map(|(_, v)| v.as_str())
    }

    /// `NAME(a=v%b=w)`, attributes in their stored order.
    fn write(&self, out: &mut String) {
        out.push_str(&self.name);
        out.push('(');
        for (i, (a, v)) in self.attrs.iter().enumerate() {
            if i > 0 {
                out.push('%');
            }
            out.push_str(a);
            out.push('=');
            out.push_str(v);
        }
        out.push(')');
    }

    /// Nmap 7.93 takes two tests of the same name as the same test when
    /// their attribute *names* agree, whatever the values (`mergeFPs`).
    fn same_shape(&self, other: &Test) -> bool {
        self.name == other.name
            && self.attrs.len() == other.attrs.len()
            && self.attrs.iter().zip(&other.attrs).all(|(a, b)| a.0 == b.0)
    }
}

/// A subject fingerprint: the tests measured on one host, in [`TEST_ORDER`].
/// A test that could not be computed is simply absent, as in Nmap.
///
/// A fingerprint merged from several tries ([`merge_tries`]) or parsed from
/// such a text may hold a test name more than once; the matcher then uses
/// the first one, as Nmap's fingerprint tools do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fingerprint {
    pub tests: Vec<Test>,
}

impl Fingerprint {
    /// The test named `name`, if present (the first, if repeated).
    pub fn test(&self, name: &str) -> Option<&Test> {
        self.tests.iter().find(|t| t.name == name)
    }

    /// The value of `test`'s `attr`.
    pub fn get(&self, test: &str, attr: &str) -> Option<&str> {
        self.test(test)?.get(attr)
    }

    /// Parses the test lines of a fingerprint in Nmap's submission format:
    /// `SEQ(SP=…%GCD=…)OPS(…)…`, as one run, one test per line, or as
    /// Nmap's wrapped `OS:` lines (the prefix is dropped and the lines are
    /// joined, since the wrapping cuts anywhere). A `SCAN(…)` test is
    /// skipped (see [`ScanLine::parse`]). Tests and attributes must belong
    /// to Nmap's schema ([`TEST_ATTRS`]) and an attribute may appear once
    /// per test; values hold no blanks or control characters; a test may be
    /// repeated (merged tries) and keeps its place.
    pub fn parse(text: &str) -> Result<Fingerprint, FingerprintError> {
        let joined = join_lines(text)?;
        let mut fp = Fingerprint::default();
        for item in tests_of(&joined) {
            let (name, body) = item?;
            if name == "SCAN" {
                continue;
            }
            let test =
                test_index(name).ok_or_else(|| err(format!("unknown test {:?}", clip(name))))?;
            // Values are hex or symbols: blanks could not survive wrapping.
            if body.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(err(format!(
                    "{name}: blank or control character in {:?}",
                    clip(body)
                )));
            }
            if fp.tests.len() == MAX_TESTS {
                return Err(err(format!("more than {MAX_TESTS} tests")));
            }
            let mut t = Test::new(name);
            for (attr, value) in attrs_of(body) {
                let attr = attr.map_err(|m| err(format!("{name}: {m}")))?;
                if attr_index(test, attr).is_none() {
                    return Err(err(format!("{name}: unknown attribute {:?}", clip(attr))));
                }
                if t.get(attr).is_some() {
                    return Err(err(format!("{name}: attribute {attr} given twice")));
                }
                t.push(attr, value);
            }
            fp.tests.push(t);
        }
        Ok(fp)
    }

    /// The tests in the order Nmap prints them: sorted by [`TEST_ORDER`]
    /// (stable, so repeated tests keep their order; unknown names go
    /// last), and a repeated test dropped when it has the same attribute
    /// names as an earlier one, as Nmap 7.93 does when it merges tries.
    pub fn canonical(&self) -> Fingerprint {
        let mut tests: Vec<&Test> = self.tests.iter().collect();
        tests.sort_by_key(|t| test_index(&t.name).unwrap_or(TEST_ORDER.len()));
        let mut out: Vec<Test> = Vec::with_capacity(tests.len());
        for t in tests {
            if !out.iter().any(|kept| kept.same_shape(t)) {
                out.push(t.clone());
            }
        }
        Fingerprint { tests: out }
    }
}

/// Nmap's merged fingerprint of several tries at one host (at most five by
/// default): all their tests, in Nmap's order, repeated shapes dropped.
pub fn merge_tries(tries: &[Fingerprint]) -> Fingerprint {
    let all = Fingerprint {
        tests: tries.iter().flat_map(|f| f.tests.iter().cloned()).collect(),
    };
    all.canonical()
}

/// A fingerprint text that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintError {
    pub message: String,
}

impl fmt::Display for FingerprintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FingerprintError {}

fn err(message: String) -> FingerprintError {
    FingerprintError { message }
}

/// At most 40 characters of hostile text, for error messages (which show
/// it with `{:?}`, escaped).
pub(crate) fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Joins the lines of a fingerprint text, dropping each line's `OS:`
/// prefix and surrounding blanks.
fn join_lines(text: &str) -> Result<String, FingerprintError> {
    if text.len() > MAX_TEXT {
        return Err(err(format!(
            "fingerprint text longer than {MAX_TEXT} bytes"
        )));
    }
    let mut joined = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.trim();
        joined.push_str(line.strip_prefix("OS:").unwrap_or(line));
    }
    Ok(joined)
}

/// Splits `NAME(body)NAME(body)…` into (name, body) pairs.
fn tests_of(text: &str) -> impl Iterator<Item = Result<(&str, &str), FingerprintError>> {
    let mut rest = text.trim_start();
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some(open) = rest.find('(') else {
            let bad = clip(rest);
            rest = "";
            return Some(Err(err(format!("expected TEST(...) at {bad:?}"))));
        };
        let name = &rest[..open];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            let bad = clip(name);
            rest = "";
            return Some(Err(err(format!("bad test name {bad:?}"))));
        }
        let Some(close) = rest[open..].find(')') else {
            rest = "";
            return Some(Err(err(format!("{name}: missing ')'"))));
        };
        let body = &rest[open + 1..open + close];
        rest = rest[open + close + 1..].trim_start();
        Some(Ok((name, body)))
    })
}

/// Splits a test body `a=v%b=w` into attributes; an empty body has none.
/// Each piece needs an `=`; the value runs to the next `%` and may be
/// empty.
pub(crate) fn attrs_of(body: &str) -> impl Iterator<Item = (Result<&str, String>, &str)> {
    let pieces = if body.is_empty() {
        None
    } else {
        Some(body.split('%'))
    };
    pieces
        .into_iter()
        .flatten()
        .map(|piece| match piece.split_once('=') {
            Some((a, v)) if !a.is_empty() => (Ok(a), v),
            _ => (
                Err(format!("expected attr=value, got {:?}", clip(piece))),
                "",
            ),
        })
}

/// How Nmap measured the distance to the host (`DC` in the `SCAN` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistanceMethod {
    /// The target is this machine (`L`).
    Localhost,
    /// Directly connected: the MAC address is known (`D`).
    Direct,
    /// From the TTL quoted in the ICMP port unreachable (`I`).
    Icmp,
    /// From a traceroute (`T`).
    Traceroute,
}

impl DistanceMethod {
    /// The letter Nmap writes.
    pub fn letter(self) -> char {
        match self {
            DistanceMethod::Localhost => 'L',
            DistanceMethod::Direct => 'D',
            DistanceMethod::Icmp => 'I',
            DistanceMethod::Traceroute => 'T',
        }
    }

    fn from_letter(s: &str) -> Option<Self> {
        Some(match s {
            "L" => DistanceMethod::Localhost,
            "D" => DistanceMethod::Direct,
            "I" => DistanceMethod::Icmp,
            "T" => DistanceMethod::Traceroute,
            _ => return None,
        })
    }
}

/// The informational `SCAN(…)` pseudo-test that opens a submitted
/// fingerprint. It is never matched. Nmap writes `OT`, `CT` and `CU` even
/// when empty, and leaves out `DS`, `DC` and `M` when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanLine {
    /// `V`: the scanner's version, e.g. `7.93`.
    pub version: String,
    /// `E`: the OS detection engine, `4` for IPv4.
    pub engine: String,
    /// `D`: month (1–12) and day of the scan in local time; 0/0 when the
    /// local time was unknown.
    pub month: u8,
    pub day: u8,
    /// `OT`: the open TCP port used.
    pub open_tcp: Option<u16>,
    /// `CT`: the closed TCP port used.
    pub closed_tcp: Option<u16>,
    /// `CU`: the closed UDP port used.
    pub closed_udp: Option<u16>,
    /// `PV`: the target's address is private (reserved).
    pub private: bool,
    /// `DS`: hops to the target, when known (Nmap may write a negative
    /// value for a nonsensical measurement).
    pub distance: Option<i32>,
    /// `DC`: how the distance was found.
    pub distance_method: Option<DistanceMethod>,
    /// `G`: the fingerprint is good for submission.
    pub good: bool,
    /// `M`: the first three bytes of the target's MAC address.
    pub mac_prefix: Option<[u8; 3]>,
    /// `TM`: the Unix time of the scan, as Nmap prints it (its low 32 bits).
    pub time: u32,
    /// `P`: the scanner's platform triple, e.g. `x86_64-pc-linux-gnu`.
    pub platform: String,
}

impl ScanLine {
    /// `SCAN(V=…%E=…%…%P=…)` exactly as Nmap writes it.
    pub fn text(&self) -> String {
        fn port(p: Option<u16>) -> String {
            p.map(|p| p.to_string()).unwrap_or_default()
        }
        let yn = |b: bool| if b { 'Y' } else { 'N' };
        let mut s = format!(
            "SCAN(V={}%E={}%D={}/{}%OT={}%CT={}%CU={}%PV={}",
            self.version,
            self.engine,
            self.month,
            self.day,
            port(self.open_tcp),
            port(self.closed_tcp),
            port(self.closed_udp),
            yn(self.private),
        );
        if let Some(d) = self.distance {
            s.push_str(&format!("%DS={d}"));
        }
        if let Some(m) = self.distance_method {
            s.push_str(&format!("%DC={}", m.letter()));
        }
        s.push_str(&format!("%G={}", yn(self.good)));
        if let Some([a, b, c]) = self.mac_prefix {
            s.push_str(&format!("%M={a:02X}{b:02X}{c:02X}"));
        }
        s.push_str(&format!("%TM={:X}%P={})", self.time, self.platform));
        s
    }

    /// Finds and reads the `SCAN(…)` test of a fingerprint text (wrapped or
    /// not). Unknown attributes are ignored, as Nmap's tools do; a value
    /// that does not parse is an error.
    pub fn parse(text: &str) -> Result<ScanLine, FingerprintError> {
        let joined = join_lines(text)?;
        for item in tests_of(&joined) {
            let (name, body) = item?;
            if name == "SCAN" {
                return Self::parse_body(body);
            }
        }
        Err(err("no SCAN(...) test".to_owned()))
    }

    fn parse_body(body: &str) -> Result<ScanLine, FingerprintError> {
        fn port(v: &str) -> Result<Option<u16>, FingerprintError> {
            if v.is_empty() {
                return Ok(None);
            }
            v.parse()
                .map(Some)
                .map_err(|_| err(format!("SCAN: bad port {:?}", clip(v))))
        }
        fn yn(v: &str) -> Result<bool, FingerprintError> {
            match v {
                "Y" => Ok(true),
                "N" => Ok(false),
                _ => Err(err(format!("SCAN: expected Y or N, got {:?}", clip(v)))),
            }
        }
        let mut s = ScanLine::default();
        for (attr, v) in attrs_of(body) {
            let attr = attr.map_err(|m| err(format!("SCAN: {m}")))?;
            let bad = || err(format!("SCAN: bad {attr} value {:?}", clip(v)));
            match attr {
                "V" => s.version = v.to_owned(),
                "E" => s.engine = v.to_owned(),
                "D" => {
                    let (m, d) = v.split_once('/').ok_or_else(bad)?;
                    s.month = m.parse().map_err(|_| bad())?;
                    s.day = d.parse().map_err(|_| bad())?;
                }
                "OT" => s.open_tcp = port(v)?,
                "CT" => s.closed_tcp = port(v)?,
                "CU" => s.closed_udp = port(v)?,
                "PV" => s.private = yn(v)?,
                "DS" => s.distance = Some(v.parse().map_err(|_| bad())?),
                "DC" => s.distance_method = Some(DistanceMethod::from_letter(v).ok_or_else(bad)?),
                "G" => s.good = yn(v)?,
                "M" => {
                    let n = hex_u32(v).filter(|_| v.len() == 6).ok_or_else(bad)?;
                    let [_, a, b, c] = n.to_be_bytes();
                    s.mac_prefix = Some([a, b, c]);
                }
                "TM" => s.time = hex_u32(v).ok_or_else(bad)?,
                "P" => s.platform = v.to_owned(),
                _ => {}
            }
        }
        Ok(s)
    }
}

/// 1 to 8 hex digits, nothing else.
fn hex_u32(v: &str) -> Option<u32> {
    if v.is_empty() || v.len() > 8 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(v, 16).ok()
}

/// The submission text run together: `SCAN(…)` then every test in Nmap's
/// order ([`Fingerprint::canonical`]), no newlines. [`wrap_os_lines`] turns
/// it into the `OS:` lines Nmap prints.
pub fn submission_text(scan: &ScanLine, fp: &Fingerprint) -> String {
    let mut out = scan.text();
    for t in &fp.canonical().tests {
        t.write(&mut out);
    }
    out
}

/// The unwrapped form Nmap prints (and puts in `<osfingerprint>`) when the
/// fingerprint is not fit for submission and `-vv` or `-d` is on:
/// `SCAN(…)` and each test on a line of its own, each line ending in a
/// newline.
pub fn submission_lines(scan: &ScanLine, fp: &Fingerprint) -> String {
    let mut out = scan.text();
    out.push('\n');
    for t in &fp.canonical().tests {
        t.write(&mut out);
        out.push('\n');
    }
    out
}

// Nmap's wrapped fingerprint (`OS:` lines of 72 characters); it lives in
// the model crate because the output writers wrap the text of
// `OsResult::fingerprint` with it too.
pub use nmaps_model::wrap_os_lines;

#[cfg(test)]
mod tests {
    use super::*;

    /// The lab's 198.18.0.11 as nmap 7.93 printed it.
    const LAB: &str = "\
OS:SCAN(V=7.93%E=4%D=11/29%OT=22%CT=1%CU=38899%PV=N%DS=1%DC=D%G=Y%M=0200C6%
OS:TM=6B0C1EA6%P=x86_64-pc-linux-gnu)SEQ(SP=100%GCD=1%ISR=10E%TI=Z%CI=Z%II=
OS:I%TS=21)OPS(O1=M5B4ST11NWA%O2=M5B4ST11NWA%O3=M5B4NNT11NWA%O4=M5B4ST11NWA
OS:%O5=M5B4ST11NWA%O6=M5B4ST11)WIN(W1=FE88%W2=FE88%W3=FE88%W4=FE88%W5=FE88%
OS:W6=FE88)ECN(R=Y%DF=Y%T=40%W=FAF0%O=M5B4NNSNWA%CC=Y%Q=)T1(R=Y%DF=Y%T=40%S
OS:=O%A=S+%F=AS%RD=0%Q=)T2(R=N)T3(R=N)T4(R=Y%DF=Y%T=40%W=0%S=A%A=Z%F=R%O=%R
OS:D=0%Q=)T5(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)T6(R=Y%DF=Y%T=40%W=
OS:0%S=A%A=Z%F=R%O=%RD=0%Q=)T7(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)U
OS:1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)IE(R=Y%DF
OS:I=N%T=40%CD=S)
";

    #[test]
    fn schema_slots() {
        assert_eq!(SLOTS, 119);
        assert_eq!(SLOT_BASE[1], 8);
        assert_eq!(slot_names(0), ("SEQ", "SP"));
        assert_eq!(slot_names(SLOT_BASE[4] + 4), ("T1", "S"));
        assert_eq!(slot_names(SLOTS - 1), ("IE", "CD"));
        assert_eq!(attr_index(11, "RUD"), Some(10));
        assert_eq!(attr_index(0, "R"), None);
    }

    #[test]
    fn parses_the_wrapped_lab_text_and_prints_it_back_byte_for_byte() {
        let fp = Fingerprint::parse(LAB).unwrap();
        assert_eq!(fp.tests.len(), 13);
        assert_eq!(fp.get("SEQ", "II"), Some("I"));
        assert_eq!(fp.get("T2", "R"), Some("N"));
        assert_eq!(fp.get("T4", "O"), Some(""));
        assert_eq!(fp.get("U1", "RIPL"), Some("G"));
        assert_eq!(fp.get("IE", "DFI"), Some("N"));
        let scan = ScanLine::parse(LAB).unwrap();
        assert_eq!(scan.open_tcp, Some(22));
        assert_eq!(scan.closed_udp, Some(38899));
        assert_eq!(scan.distance_method, Some(DistanceMethod::Direct));
        assert_eq!(scan.mac_prefix, Some([0x02, 0x00, 0xc6]));
        assert_eq!(scan.time, 0x6B0C1EA6);
        assert_eq!(wrap_os_lines(&submission_text(&scan, &fp)), LAB);
        assert_eq!(wrap_os_lines(&submission_lines(&scan, &fp)), LAB);
    }

    #[test]
    fn unwrapped_lines_form() {
        let fp = Fingerprint::parse(LAB).unwrap();
        let scan = ScanLine::parse(LAB).unwrap();
        let lines = submission_lines(&scan, &fp);
        assert!(lines.starts_with("SCAN(V=7.93%E=4%D=11/29%OT=22%"));
        assert!(lines.contains(")\nSEQ(SP=100%GCD=1%ISR=10E%TI=Z%CI=Z%II=I%TS=21)\nOPS("));
        assert!(lines.ends_with("IE(R=Y%DFI=N%T=40%CD=S)\n"));
        assert_eq!(lines.lines().count(), 14);
        assert_eq!(Fingerprint::parse(&lines).unwrap(), fp);
    }

    #[test]
    fn scan_line_leaves_out_unknowns() {
        let scan = ScanLine {
            version: "7.93".into(),
            engine: "4".into(),
            month: 1,
            day: 2,
            open_tcp: None,
            closed_tcp: Some(1),
            closed_udp: None,
            private: true,
            distance: None,
            distance_method: None,
            good: false,
            mac_prefix: None,
            time: 0xABC,
            platform: "x86_64-pc-linux-gnu".into(),
        };
        let text = scan.text();
        assert_eq!(
            text,
            "SCAN(V=7.93%E=4%D=1/2%OT=%CT=1%CU=%PV=Y%G=N%TM=ABC%P=x86_64-pc-linux-gnu)"
        );
        assert_eq!(ScanLine::parse(&text).unwrap(), scan);
        let far = ScanLine {
            distance: Some(2),
            distance_method: Some(DistanceMethod::Icmp),
            ..scan
        };
        assert!(far.text().contains("%PV=Y%DS=2%DC=I%G=N%TM="));
        for bad in [
            "M=+ABCDE",
            "M=0200C",
            "TM=+1",
            "TM=123456789",
            "OT=70000",
            "PV=X",
            "DC=Z",
        ] {
            assert!(ScanLine::parse(&format!("SCAN({bad})")).is_err(), "{bad}");
        }
        assert!(ScanLine::parse("SEQ(SP=1)").is_err());
        assert_eq!(ScanLine::parse("SCAN(XX=1)").unwrap(), ScanLine::default());
    }

    #[test]
    fn wrapping_cuts_every_72_characters() {
        let text: String = "0123456789".repeat(15);
        let wrapped = wrap_os_lines(&text);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), 75);
        assert_eq!(lines[1].len(), 75);
        assert_eq!(lines[2], format!("OS:{}", &text[144..]));
        assert!(wrapped.ends_with('\n'));
        assert_eq!(wrap_os_lines(&text[..72]).lines().count(), 1);
        assert_eq!(wrap_os_lines(""), "");
    }

    #[test]
    fn merged_tries_keep_order_and_drop_same_shapes() {
        let a = Fingerprint::parse("SEQ(SP=107%TI=Z)IE(R=N)T1(R=Y%DF=Y)").unwrap();
        let b = Fingerprint::parse("SEQ(SP=104%TI=Z%II=I)T1(R=Y%DF=N)IE(R=Y%DFI=N)").unwrap();
        let c = Fingerprint::parse("SEQ(SP=FF%TI=Z%II=I)").unwrap();
        let m = merge_tries(&[a, b, c]);
        let names: Vec<String> = m
            .tests
            .iter()
            .map(|t| {
                let mut s = String::new();
                t.write(&mut s);
                s
            })
            .collect();
        assert_eq!(
            names,
            [
                "SEQ(SP=107%TI=Z)",
                "SEQ(SP=104%TI=Z%II=I)",
                "T1(R=Y%DF=Y)",
                "IE(R=N)",
                "IE(R=Y%DFI=N)"
            ]
        );
        // The matcher's view: the first of each name.
        assert_eq!(m.get("SEQ", "SP"), Some("107"));
        assert_eq!(m.canonical(), m);
    }

    #[test]
    fn rejects_what_is_not_a_fingerprint() {
        for bad in [
            "SEQ(SP=1",
            "SEQ SP=1)",
            "XYZ(A=1)",
            "SEQ(R=Y)",
            "SEQ(SP=1%SP=2)",
            "SEQ(SP)",
            "SEQ(SP=1%)",
            "(SP=1)",
            "Fingerprint Linux",
            "SEQ(SP=1 2)",
            "SEQ(SP=1\t)",
        ] {
            assert!(Fingerprint::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Fingerprint::parse("").unwrap(), Fingerprint::default());
        let t = Fingerprint::parse("T2(R=N) \n T3()").unwrap();
        assert_eq!(t.tests.len(), 2);
        assert!(t.test("T3").unwrap().attrs.is_empty());
        assert!(Fingerprint::parse(&"T2(R=N)".repeat(MAX_TESTS + 1)).is_err());
        assert!(Fingerprint::parse(&" ".repeat(MAX_TEXT + 1)).is_err());
    }
}
