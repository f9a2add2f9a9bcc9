//! The `nmap-service-probes` database: parser, probe order and matcher.
//!
//! The grammar and the rules follow Nmap 7.93 (`service_scan.cc`):
//!
//! * Lines starting with `#` and blank lines are skipped. The first other
//!   line must be `Exclude` or `Probe`; `Exclude` (one at most) must come
//!   before every `Probe`.
//! * `Probe <TCP|UDP> <name> q<d>payload<d> [no-payload]`: the name starts
//!   with a letter or digit, the payload ends at the first `<d>` (it cannot
//!   be escaped) and uses C escapes `\0 \a \b \f \n \r \t \v \xHH`, a
//!   backslash before any other non-alphanumeric byte gives that byte.
//!   Words after the payload other than `no-payload` are ignored, as in
//!   newer Nmap versions. A probe with an empty payload is *the* NULL probe
//!   (at most one), sent first on TCP, whatever protocol its line names.
//! * `ports`/`sslports` take `21-25,53,80` lists (repeated lines add up),
//!   `rarity` 1–9 (default 5), `totalwaitms`/`tcpwrappedms` 100–300000,
//!   `fallback a,b` (last line wins; names looked up in the probe's own
//!   protocol first, then in any; `NULL` is the NULL probe for TCP probes;
//!   at most 17; ignored on the NULL probe).
//! * `match`/`softmatch <service> m<d>regex<d>[i][s] templates…`.
//!
//! Matching: a response to probe P is tried against P's lines, then those
//! of each fallback, then the NULL probe's (TCP only). The **first** line
//! that matches decides, soft or hard. A soft match when the service was
//! already soft-matched is ignored (Nmap keeps the first soft service, even
//! when the new one differs); a hard match is always taken, even for
//! another service than the soft one.

use crate::template::{Templates, is_c_space};
use nmaps_model::VersionInfo;
use pcre2::bytes::{CaptureLocations, Regex, RegexBuilder};
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// Nmap's default wait for a probe's response (`DEFAULT_SERVICEWAITMS`).
pub const DEFAULT_TOTAL_WAIT: Duration = Duration::from_millis(5000);
/// Nmap's default `tcpwrappedms` (`DEFAULT_TCPWRAPPEDMS`).
pub const DEFAULT_TCPWRAPPED: Duration = Duration::from_millis(2000);
/// PCRE2 match limit (Nmap master's value).
pub const MATCH_LIMIT: u32 = 50_000;
/// PCRE2 depth limit (Nmap master's value; the JIT ignores it).
pub const DEPTH_LIMIT: u32 = 1_000;
/// PCRE2 heap limit in KiB (Nmap master's value).
pub const HEAP_LIMIT_KIB: u32 = 10_240;
const MAX_FALLBACKS: usize = 17;

/// Transport protocol of a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    /// `TCP` / `UDP`, as in the file and in fingerprints.
    pub fn upper(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
        }
    }
}

/// A parse error: the 1-based line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for DbError {}

/// A set of ports written as an Nmap list (`1,2,10-20`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortSet {
    ranges: Vec<(u16, u16)>,
}

impl PortSet {
    /// Parse `21-25,53,80` as Nmap's `setPortVector` does (blanks allowed
    /// around numbers, no trailing comma, ranges ascending).
    pub fn parse(text: &str) -> Result<PortSet, String> {
        let mut set = PortSet::default();
        set.add(text.as_bytes())?;
        Ok(set)
    }

    fn add(&mut self, s: &[u8]) -> Result<(), String> {
        const EXAMPLE: &str = "bad port list (an example of proper form is \"21-25,53,80\")";
        const RANGE: &str = "ports must be between 0 and 65535 inclusive";
        let mut i = 0;
        let skip = |i: &mut usize| {
            while *i < s.len() && is_c_space(s[*i]) {
                *i += 1;
            }
        };
        let num = |i: &mut usize| -> Result<u16, String> {
            let start = *i;
            while *i < s.len() && s[*i].is_ascii_digit() {
                *i += 1;
            }
            if *i == start {
                return Err(EXAMPLE.into());
            }
            let digits = std::str::from_utf8(&s[start..*i]).map_err(|_| EXAMPLE.to_string())?;
            digits.parse::<u16>().map_err(|_| RANGE.to_string())
        };
        loop {
            skip(&mut i);
            let lo = num(&mut i)?;
            skip(&mut i);
            let hi = if s.get(i) == Some(&b'-') {
                i += 1;
                let hi = num(&mut i)?;
                if hi < lo {
                    return Err(RANGE.into());
                }
                hi
            } else {
                lo
            };
            self.ranges.push((lo, hi));
            skip(&mut i);
            match s.get(i) {
                None => return Ok(()),
                Some(b',') => i += 1,
                Some(_) => return Err(EXAMPLE.into()),
            }
        }
    }

    /// Whether `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.ranges.iter().any(|&(a, b)| (a..=b).contains(&port))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The ranges as written (inclusive).
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }
}

/// One `match` or `softmatch` line.
#[derive(Debug, Clone)]
pub struct Match {
    pub service: String,
    pub soft: bool,
    pub line: usize,
    /// The pattern as written between the delimiters.
    pub pattern: String,
    pub caseless: bool,
    pub dotall: bool,
    pub templates: Templates,
    regex: Regex,
}

impl Match {
    /// Run the pattern; `None` on no match and on a PCRE2 error (match or
    /// depth limit hit), as Nmap.
    pub fn captures(&self, subject: &[u8]) -> Option<Vec<Option<(usize, usize)>>> {
        // Most responses match nothing: `is_match` uses the regex's pooled
        // match data, where capture locations would allocate every time.
        if !self.regex.is_match(subject).unwrap_or(false) {
            return None;
        }
        let mut locs: CaptureLocations = self.regex.capture_locations();
        match self.regex.captures_read(&mut locs, subject) {
            Ok(Some(_)) => Some((0..locs.len()).map(|i| locs.get(i)).collect()),
            _ => None,
        }
    }

    /// Match and fill the version fields.
    pub fn try_match(&self, subject: &[u8]) -> Option<Found> {
        let caps = self.captures(subject)?;
        Some(Found {
            service: self.service.clone(),
            info: self.templates.expand(subject, &caps),
            line: self.line,
        })
    }
}

/// One `Probe` and its directives.
#[derive(Debug, Clone)]
pub struct Probe {
    pub proto: Proto,
    pub name: String,
    pub payload: Vec<u8>,
    /// `no-payload`: not to be used as a port-scan payload (Nmap 7.94+).
    pub no_payload: bool,
    pub ports: PortSet,
    pub sslports: PortSet,
    pub rarity: u8,
    pub total_wait: Option<Duration>,
    pub tcpwrapped: Option<Duration>,
    /// Probes named by `fallback`, resolved, in order (without the probe
    /// itself and the implicit NULL probe: see [`ProbeDb::match_chain`]).
    pub fallback: Vec<usize>,
    pub matches: Vec<Match>,
    /// Line of the `Probe` directive.
    pub line: usize,
    fallback_names: Option<(usize, Vec<String>)>,
}

impl Probe {
    /// How long to wait for this probe's response.
    pub fn wait(&self) -> Duration {
        self.total_wait.unwrap_or(DEFAULT_TOTAL_WAIT)
    }

    /// A close before this long without data (NULL probe) means `tcpwrapped`.
    pub fn tcpwrapped_wait(&self) -> Duration {
        self.tcpwrapped.unwrap_or(DEFAULT_TCPWRAPPED)
    }

    /// Whether the probe is a NULL probe (empty payload).
    pub fn is_null(&self) -> bool {
        self.payload.is_empty()
    }
}

/// What a response matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub service: String,
    pub info: VersionInfo,
    /// Line of the `match`/`softmatch` in the file.
    pub line: usize,
}

impl Found {
    /// Nmap keeps the fields of an earlier soft match that a later hard
    /// match leaves empty (it only overwrites fields the hard match has;
    /// CPEs per part `a`/`h`/`o`). Apply that to this (hard) result.
    pub fn inherit(&mut self, soft: &Found) {
        let i = &mut self.info;
        let s = &soft.info;
        for (mine, theirs) in [
            (&mut i.product, &s.product),
            (&mut i.version, &s.version),
            (&mut i.extrainfo, &s.extrainfo),
            (&mut i.hostname, &s.hostname),
            (&mut i.ostype, &s.ostype),
            (&mut i.devicetype, &s.devicetype),
        ] {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        let part = |c: &String| crate::template::cpe_part(c.as_bytes());
        let mut cpes = Vec::new();
        for p in [b'a', b'h', b'o'] {
            if let Some(c) = i.cpes.iter().find(|c| part(c) == Some(p)) {
                cpes.push(c.clone());
            } else if let Some(c) = s.cpes.iter().find(|c| part(c) == Some(p)) {
                cpes.push(c.clone());
            }
        }
        i.cpes = cpes;
    }
}

/// Result of [`ProbeDb::match_response`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchOutcome {
    /// A `match` line: probing of this port is over (unless the service is
    /// `ssl`, which the engine tunnels through).
    Hard(Found),
    /// A first `softmatch`: the service name is known; go on with the
    /// probes that can still match it.
    Soft(Found),
    /// Nothing new (no line matched, or a soft match after an earlier one).
    None,
}

/// The whole probe database.
#[derive(Debug, Clone, Default)]
pub struct ProbeDb {
    /// Every probe in file order (the NULL probe included).
    pub probes: Vec<Probe>,
    exclude_tcp: PortSet,
    exclude_udp: PortSet,
    null: Option<usize>,
}

/// Nmap's `cstring_unescape` (7.93): `\0 \a \b \f \n \r \t \v \xHH`, and a
/// backslash before a non-alphanumeric byte gives that byte.
pub(crate) fn unescape(s: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = s.get(i) else {
            return Err("backslash at end of string".into());
        };
        i += 1;
        out.push(match e {
            b'0' => 0,
            b'a' => 7,
            b'b' => 8,
            b'f' => 12,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 11,
            b'x' => {
                let h = s.get(i..i + 2).ok_or("\\x needs two hex digits")?;
                let v = std::str::from_utf8(h)
                    .ok()
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("\\x needs two hex digits")?;
                i += 2;
                v
            }
            e if e.is_ascii_alphanumeric() => {
                return Err(format!("unknown escape \\{}", char::from(e)));
            }
            e => e,
        });
    }
    Ok(out)
}

/// Nmap's `next_template`: skip blanks, read `<mode><d>text<d>[flags]`.
/// Returns `(mode, text, flags)` and advances `pos`; `Ok(None)` at the end.
type Template<'a> = (&'a [u8], &'a [u8], &'a [u8]);
fn next_template<'a>(s: &'a [u8], pos: &mut usize) -> Result<Option<Template<'a>>, String> {
    let mut p = *pos;
    while p < s.len() && is_c_space(s[p]) {
        p += 1;
    }
    if p >= s.len() {
        *pos = p;
        return Ok(None);
    }
    let ms = p;
    while p < s.len() && (s[p].is_ascii_alphabetic() || s[p] == b':') {
        p += 1;
    }
    let mode = &s[ms..p];
    let Some(&delim) = s.get(p) else {
        return Err(format!(
            "template '{}' has no delimiter",
            String::from_utf8_lossy(mode)
        ));
    };
    if is_c_space(delim) {
        return Err(format!(
            "template '{}' has no delimiter",
            String::from_utf8_lossy(mode)
        ));
    }
    let ts = p + 1;
    let Some(len) = s[ts..].iter().position(|&b| b == delim) else {
        return Err(format!(
            "missing closing delimiter '{}' of template '{}'",
            char::from(delim).escape_default(),
            String::from_utf8_lossy(mode)
        ));
    };
    let text = &s[ts..ts + len];
    let fs = ts + len + 1;
    let mut q = fs;
    while q < s.len() && s[q].is_ascii_alphabetic() {
        q += 1;
    }
    *pos = q;
    Ok(Some((mode, text, &s[fs..q])))
}

/// A pattern as PCRE2 source: bytes that are not valid UTF-8 are written
/// as `\x{hh}` (the regex is compiled in byte mode either way).
fn pattern_source(raw: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.to_string();
    }
    let mut out = String::new();
    let mut backslashes = 0usize;
    for chunk in raw.utf8_chunks() {
        for ch in chunk.valid().chars() {
            out.push(ch);
            backslashes = if ch == '\\' { backslashes + 1 } else { 0 };
        }
        for &b in chunk.invalid() {
            if backslashes % 2 == 1 {
                // `\<byte>` is that literal byte.
                out.pop();
            }
            out.push_str(&format!("\\x{{{b:02x}}}"));
            backslashes = 0;
        }
    }
    out
}

fn compile(pattern: &str, caseless: bool, dotall: bool, jit: bool) -> Result<Regex, String> {
    // PCRE2's start-of-pattern limits bound every match (the pcre2 crate
    // has no match-context setters); they can only lower the defaults.
    let src = format!(
        "(*LIMIT_MATCH={MATCH_LIMIT})(*LIMIT_DEPTH={DEPTH_LIMIT})(*LIMIT_HEAP={HEAP_LIMIT_KIB}){pattern}"
    );
    RegexBuilder::new()
        .caseless(caseless)
        .dotall(dotall)
        .jit_if_available(jit)
        .build(&src)
        .map_err(|_| {
            // Compile again without the prefix for an offset in the
            // pattern as written.
            let msg = RegexBuilder::new()
                .caseless(caseless)
                .dotall(dotall)
                .build(pattern)
                .err()
                .map_or_else(|| "rejected".to_string(), |e| e.to_string());
            format!("bad regex: {msg}")
        })
}

fn parse_match(line: &[u8], lineno: usize, jit: bool) -> Result<Match, String> {
    let (soft, rest) = if let Some(r) = line.strip_prefix(b"softmatch ") {
        (true, r)
    } else if let Some(r) = line.strip_prefix(b"match ") {
        (false, r)
    } else {
        return Err("expected match or softmatch".into());
    };
    let sp = rest
        .iter()
        .position(|&b| b == b' ')
        .ok_or("could not find service name")?;
    if sp == 0 {
        return Err("empty service name".into());
    }
    let service = String::from_utf8_lossy(&rest[..sp]).into_owned();
    let mut pos = sp;
    let (mode, pat, flags) = next_template(rest, &mut pos)?.ok_or("missing m/regex/")?;
    if mode != b"m" {
        return Err("the pattern must begin with 'm'".into());
    }
    let mut caseless = false;
    let mut dotall = false;
    for &f in flags {
        match f {
            b'i' => caseless = true,
            b's' => dotall = true,
            _ => return Err(format!("illegal regex option '{}'", char::from(f))),
        }
    }
    let pattern = pattern_source(pat);
    let regex = compile(&pattern, caseless, dotall, jit)?;
    let mut t = Templates::default();
    while let Some((mode, text, _flags)) = next_template(rest, &mut pos)? {
        let slot = match mode {
            b"p" => &mut t.product,
            b"v" => &mut t.version,
            b"i" => &mut t.info,
            b"h" => &mut t.hostname,
            b"o" => &mut t.ostype,
            b"d" => &mut t.devicetype,
            b"cpe:" => {
                let mut c = b"cpe:/".to_vec();
                c.extend_from_slice(text);
                t.cpes.push(c);
                continue;
            }
            _ => {
                return Err(format!(
                    "unknown template specifier '{}'",
                    String::from_utf8_lossy(mode)
                ));
            }
        };
        *slot = Some(text.to_vec());
    }
    Ok(Match {
        service,
        soft,
        line: lineno,
        pattern,
        caseless,
        dotall,
        templates: t,
        regex,
    })
}

fn parse_probe(rest: &[u8], lineno: usize) -> Result<Probe, String> {
    let (proto, rest) = if let Some(r) = rest.strip_prefix(b"TCP ") {
        (Proto::Tcp, r)
    } else if let Some(r) = rest.strip_prefix(b"UDP ") {
        (Proto::Udp, r)
    } else {
        return Err("invalid protocol (TCP or UDP)".into());
    };
    if !rest.first().is_some_and(u8::is_ascii_alphanumeric) {
        return Err("bad probe name".into());
    }
    let sp = rest
        .iter()
        .position(|&b| b == b' ')
        .ok_or("nothing after probe name")?;
    let name = String::from_utf8_lossy(&rest[..sp]).into_owned();
    let rest = &rest[sp + 1..];
    if rest.first() != Some(&b'q') {
        return Err("probe string must begin with 'q'".into());
    }
    let &delim = rest.get(1).ok_or("no delimiter for probe string")?;
    let end = rest[2..]
        .iter()
        .position(|&b| b == delim)
        .ok_or("no ending delimiter for probe string")?
        + 2;
    let payload = unescape(&rest[2..end]).map_err(|e| format!("bad probe string escaping: {e}"))?;
    let no_payload = rest[end + 1..]
        .split(|&b| is_c_space(b))
        .any(|w| w.starts_with(b"no-payload"));
    Ok(Probe {
        proto,
        name,
        payload,
        no_payload,
        ports: PortSet::default(),
        sslports: PortSet::default(),
        rarity: 5,
        total_wait: None,
        tcpwrapped: None,
        fallback: Vec::new(),
        matches: Vec::new(),
        line: lineno,
        fallback_names: None,
    })
}

/// C `atoi`.
fn atoi(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let neg = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let mut v: i64 = 0;
    while let Some(d) = s.get(i).filter(|b| b.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(d - b'0'));
        i += 1;
    }
    if neg { -v } else { v }
}

fn wait_ms(s: &[u8], what: &str) -> Result<Duration, String> {
    let ms = atoi(s);
    if !(100..=300_000).contains(&ms) {
        return Err(format!(
            "bad {what} value (must be between 100 and 300000 milliseconds)"
        ));
    }
    Ok(Duration::from_millis(ms.unsigned_abs()))
}

impl ProbeDb {
    /// Parse a whole file; the first error stops parsing.
    pub fn parse(text: &str) -> Result<ProbeDb, DbError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// Like [`ProbeDb::parse`], for a file that may not be UTF-8.
    pub fn parse_bytes(text: &[u8]) -> Result<ProbeDb, DbError> {
        Self::parse_bytes_with(text, true)
    }

    /// Like [`ProbeDb::parse_bytes`]; `jit: false` skips PCRE2's JIT
    /// compilation (much cheaper to build, slower to match: for fuzzing and
    /// tools that parse many small files).
    pub fn parse_bytes_with(text: &[u8], jit: bool) -> Result<ProbeDb, DbError> {
        let mut db = ProbeDb::default();
        let mut exclude_seen = false;
        let mut cur: Option<Probe> = None;
        let err = |line: usize, message: String| DbError { line, message };
        let mut lineno = 0;
        for raw in text.split(|&b| b == b'\n') {
            lineno += 1;
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.first() == Some(&b'#') || line.iter().all(|&b| is_c_space(b)) {
                continue;
            }
            if let Some(rest) = line.strip_prefix(b"Exclude ") {
                if cur.is_some() || !db.probes.is_empty() {
                    return Err(err(
                        lineno,
                        "the Exclude directive must precede all Probes".into(),
                    ));
                }
                if exclude_seen {
                    return Err(err(lineno, "only one Exclude directive is allowed".into()));
                }
                exclude_seen = true;
                db.set_exclude(rest).map_err(|m| err(lineno, m))?;
                continue;
            }
            if let Some(rest) = line.strip_prefix(b"Probe ") {
                if let Some(p) = cur.take() {
                    db.push_probe(p)?;
                }
                cur = Some(parse_probe(rest, lineno).map_err(|m| err(lineno, m))?);
                continue;
            }
            let Some(p) = cur.as_mut() else {
                return Err(err(
                    lineno,
                    "expected a line beginning with \"Probe \" or \"Exclude \"".into(),
                ));
            };
            let r = if let Some(v) = line.strip_prefix(b"ports ") {
                p.ports.add(v)
            } else if let Some(v) = line.strip_prefix(b"sslports ") {
                p.sslports.add(v)
            } else if let Some(v) = line.strip_prefix(b"rarity ") {
                match u8::try_from(atoi(v)) {
                    Ok(r @ 1..=9) => {
                        p.rarity = r;
                        Ok(())
                    }
                    _ => Err("rarity must be between 1 and 9".into()),
                }
            } else if let Some(v) = line.strip_prefix(b"fallback ") {
                let names = v
                    .split(|&b| matches!(b, b',' | b'\r' | b'\n' | b'\t' | b' '))
                    .filter(|w| !w.is_empty())
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect::<Vec<_>>();
                if names.len() > MAX_FALLBACKS {
                    Err(format!("more than {MAX_FALLBACKS} fallbacks"))
                } else {
                    p.fallback_names = Some((lineno, names));
                    Ok(())
                }
            } else if let Some(v) = line.strip_prefix(b"totalwaitms ") {
                wait_ms(v, "totalwaitms").map(|d| p.total_wait = Some(d))
            } else if let Some(v) = line.strip_prefix(b"tcpwrappedms ") {
                wait_ms(v, "tcpwrappedms").map(|d| p.tcpwrapped = Some(d))
            } else if line.starts_with(b"match ") || line.starts_with(b"softmatch ") {
                parse_match(line, lineno, jit).map(|m| p.matches.push(m))
            } else if line.starts_with(b"Exclude ") {
                Err("the Exclude directive must precede all Probes".into())
            } else {
                Err("unknown directive".into())
            };
            r.map_err(|m| err(lineno, m))?;
        }
        if let Some(p) = cur.take() {
            db.push_probe(p)?;
        }
        db.resolve_fallbacks()?;
        Ok(db)
    }

    /// Read and parse a file; errors read `PATH: line N: message`.
    pub fn load(path: &Path) -> Result<ProbeDb, String> {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse_bytes(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn push_probe(&mut self, p: Probe) -> Result<(), DbError> {
        if p.is_null() {
            if let Some(n) = self.null {
                return Err(DbError {
                    line: p.line,
                    message: format!(
                        "probe {} has an empty payload but probe {} is already the NULL probe",
                        p.name, self.probes[n].name
                    ),
                });
            }
            self.null = Some(self.probes.len());
        }
        self.probes.push(p);
        Ok(())
    }

    fn set_exclude(&mut self, spec: &[u8]) -> Result<(), String> {
        use nmaps_targets::ports::{ProtoSet, parse_port_spec};
        let spec = String::from_utf8_lossy(spec);
        let services = nmaps_targets::Services::embedded();
        let parsed = parse_port_spec(spec.trim(), services).map_err(|e| format!("Exclude: {e}"))?;
        let res = parsed
            .resolve(
                ProtoSet::ALL_PORTS,
                services,
                nmaps_targets::Protocols::embedded(),
            )
            .map_err(|e| format!("Exclude: {e}"))?;
        // Sorted ports → merged ranges.
        let to_set = |v: &[u16]| {
            let mut ranges: Vec<(u16, u16)> = Vec::new();
            for &p in v {
                match ranges.last_mut() {
                    Some((_, hi)) if u32::from(*hi) + 1 == u32::from(p) => *hi = p,
                    _ => ranges.push((p, p)),
                }
            }
            PortSet { ranges }
        };
        self.exclude_tcp = to_set(&res.ports.tcp);
        self.exclude_udp = to_set(&res.ports.udp);
        Ok(())
    }

    /// Nmap's `getProbeByName`.
    fn probe_by_name(&self, name: &str, proto: Proto) -> Option<usize> {
        if proto == Proto::Tcp
            && let Some(n) = self.null
            && self.probes[n].name == name
        {
            return Some(n);
        }
        let others = || {
            self.probes
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != self.null)
        };
        others()
            .find(|(_, p)| p.proto == proto && p.name == name)
            .or_else(|| others().find(|(_, p)| p.name == name))
            .map(|(i, _)| i)
    }

    fn resolve_fallbacks(&mut self) -> Result<(), DbError> {
        for i in 0..self.probes.len() {
            let Some((line, names)) = self.probes[i].fallback_names.take() else {
                continue;
            };
            if Some(i) == self.null {
                continue; // Nmap never reads the NULL probe's fallback line.
            }
            let proto = self.probes[i].proto;
            let mut resolved = Vec::with_capacity(names.len());
            for n in &names {
                resolved.push(self.probe_by_name(n, proto).ok_or_else(|| DbError {
                    line,
                    message: format!("unknown fallback '{n}' in probe {}", self.probes[i].name),
                })?);
            }
            self.probes[i].fallback = resolved;
        }
        Ok(())
    }

    /// The project's own database (`data/service-probes`), parsed once.
    pub fn embedded() -> std::sync::Arc<ProbeDb> {
        static DB: std::sync::OnceLock<std::sync::Arc<ProbeDb>> = std::sync::OnceLock::new();
        DB.get_or_init(|| {
            let text = include_str!("../../../data/service-probes");
            // The file is checked by the tests: a parse error is a build bug.
            std::sync::Arc::new(ProbeDb::parse(text).unwrap_or_default())
        })
        .clone()
    }

    /// Number of `match` and `softmatch` lines.
    pub fn pattern_count(&self) -> usize {
        self.probes.iter().map(|p| p.matches.len()).sum()
    }

    /// Whether `Exclude` names this port (ignored by `--allports`).
    pub fn is_excluded(&self, proto: Proto, port: u16) -> bool {
        match proto {
            Proto::Tcp => self.exclude_tcp.contains(port),
            Proto::Udp => self.exclude_udp.contains(port),
        }
    }

    /// Index of the NULL probe (the one with an empty payload).
    pub fn null_probe(&self) -> Option<usize> {
        self.null
    }

    /// Index of a probe by protocol and name.
    pub fn probe(&self, proto: Proto, name: &str) -> Option<usize> {
        self.probes
            .iter()
            .position(|p| p.proto == proto && p.name == name)
    }

    /// Probe order for a port, as Nmap: NULL first (TCP), then probes of
    /// that protocol whose `ports` (or `sslports` when `tls`) contain the
    /// port, in file order, then every other probe of the protocol with
    /// rarity <= intensity. This is the order before any soft match; use
    /// [`ProbeCursor`] to follow Nmap's narrowing after one.
    pub fn plan(&self, proto: Proto, port: u16, intensity: u8, tls: bool) -> Vec<usize> {
        let mut c = ProbeCursor::new(proto, port, intensity, tls);
        std::iter::from_fn(|| c.next(self, None)).collect()
    }

    /// The probes whose lines a response to `probe` is tried against, in
    /// order: itself, its fallbacks, then the NULL probe for TCP probes.
    /// The NULL probe's own chain is just itself.
    pub fn match_chain(&self, probe: usize) -> Vec<usize> {
        let Some(p) = self.probes.get(probe) else {
            return Vec::new();
        };
        let mut chain = vec![probe];
        if Some(probe) == self.null {
            return chain;
        }
        chain.extend_from_slice(&p.fallback);
        if p.proto == Proto::Tcp
            && let Some(n) = self.null
        {
            chain.push(n);
        }
        chain
    }

    /// Try a response to probe `probe` against its lines, its fallbacks'
    /// and the NULL probe's (TCP): the first matching line decides. A soft
    /// match when `softmatched` is already set gives `None` (Nmap ignores
    /// it, whatever its service); a hard match is always returned.
    pub fn match_response(
        &self,
        probe: usize,
        response: &[u8],
        softmatched: Option<&str>,
    ) -> MatchOutcome {
        for i in self.match_chain(probe) {
            for m in &self.probes[i].matches {
                if let Some(found) = m.try_match(response) {
                    return match (m.soft, softmatched) {
                        (false, _) => MatchOutcome::Hard(found),
                        (true, None) => MatchOutcome::Soft(found),
                        (true, Some(_)) => MatchOutcome::None,
                    };
                }
            }
        }
        MatchOutcome::None
    }

    /// Whether probe `probe` has a line (soft or hard) for `service`:
    /// Nmap's `serviceIsPossible`, used to skip probes after a soft match.
    pub fn probe_can_match(&self, probe: usize, service: &str) -> bool {
        self.probes
            .get(probe)
            .is_some_and(|p| p.matches.iter().any(|m| m.service == service))
    }
}

/// Nmap's probe sequence for one port (`ServiceNFO::nextProbe`), which
/// depends on the soft match found so far:
///
/// 1. the NULL probe (TCP only);
/// 2. probes of the protocol whose `ports` (`sslports` through TLS) list the
///    port, in file order; after a soft match only those that can match the
///    soft service (all of them at intensity 9);
/// 3. the other probes of the protocol: without a soft match those with
///    rarity <= intensity; after one, those that can match the service,
///    **whatever their rarity** (all of them at intensity 9).
#[derive(Debug, Clone)]
pub struct ProbeCursor {
    proto: Proto,
    port: u16,
    intensity: u8,
    tls: bool,
    state: CursorState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CursorState {
    Initial,
    Matching(usize),
    NonMatching(usize),
    Done,
}

impl ProbeCursor {
    /// A fresh sequence (also what Nmap restarts with inside a TLS tunnel).
    pub fn new(proto: Proto, port: u16, intensity: u8, tls: bool) -> ProbeCursor {
        ProbeCursor {
            proto,
            port,
            intensity,
            tls,
            state: CursorState::Initial,
        }
    }

    /// The next probe to send, given the service soft-matched so far.
    pub fn next(&mut self, db: &ProbeDb, softmatched: Option<&str>) -> Option<usize> {
        let listed = |p: &Probe| {
            if self.tls {
                p.sslports.contains(self.port)
            } else {
                p.ports.contains(self.port)
            }
        };
        let possible =
            |i: usize| self.intensity >= 9 || db.probe_can_match(i, softmatched.unwrap_or(""));
        loop {
            match self.state {
                CursorState::Initial => {
                    self.state = CursorState::Matching(0);
                    if self.proto == Proto::Tcp
                        && let Some(n) = db.null
                    {
                        return Some(n);
                    }
                }
                CursorState::Matching(from) => {
                    for i in from..db.probes.len() {
                        let p = &db.probes[i];
                        if Some(i) == db.null || p.proto != self.proto || !listed(p) {
                            continue;
                        }
                        if softmatched.is_none() || possible(i) {
                            self.state = CursorState::Matching(i + 1);
                            return Some(i);
                        }
                    }
                    self.state = CursorState::NonMatching(0);
                }
                CursorState::NonMatching(from) => {
                    for i in from..db.probes.len() {
                        let p = &db.probes[i];
                        if Some(i) == db.null || p.proto != self.proto || listed(p) {
                            continue;
                        }
                        let ok = match softmatched {
                            None => p.rarity <= self.intensity,
                            Some(_) => possible(i),
                        };
                        if ok {
                            self.state = CursorState::NonMatching(i + 1);
                            return Some(i);
                        }
                    }
                    self.state = CursorState::Done;
                }
                CursorState::Done => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shareable_across_tasks() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<ProbeDb>();
        send_sync::<ProbeCursor>();
        send_sync::<MatchOutcome>();
    }

    #[test]
    fn match_limit_is_in_force() {
        let mut input = vec![b'a'; 3000];
        input.push(b'!');
        for jit in [true, false] {
            let re = RegexBuilder::new()
                .jit_if_available(jit)
                .build(&format!("(*LIMIT_MATCH={MATCH_LIMIT})^(a+)+$"))
                .unwrap();
            let err = re.is_match(&input).unwrap_err();
            assert!(err.to_string().contains("limit"), "{err}");
        }
        // And through compile(): the error becomes "no match".
        for jit in [true, false] {
            let re = compile("^(a+)+$", false, false, jit).unwrap();
            assert!(re.is_match(&input).is_err());
            assert!(re.is_match(b"aaa").unwrap());
        }
        let re = compile("^(a+)+$", false, false, true).unwrap();
        assert!(re.is_match(b"aaa").unwrap());
    }

    #[test]
    fn pattern_source_escapes_invalid_utf8() {
        assert_eq!(pattern_source(b"a\xffb"), "a\\x{ff}b");
        assert_eq!(pattern_source(b"a\\\xffb"), "a\\x{ff}b");
        assert_eq!(pattern_source(b"a\\\\\xffb"), "a\\\\\\x{ff}b");
        assert_eq!(pattern_source("é".as_bytes()), "é");
    }

    #[test]
    fn unescape_rules() {
        assert_eq!(unescape(b"\\x41\\-\\\\").unwrap(), b"A-\\");
        assert!(unescape(b"\\q").is_err());
        assert!(unescape(b"\\").is_err());
        assert!(unescape(b"\\x4").is_err());
        assert!(unescape(b"\\x+1").is_err());
    }
}
