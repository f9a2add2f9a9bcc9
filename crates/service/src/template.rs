//! Version templates of `match` lines: `p/ v/ i/ h/ o/ d/` and `cpe:/…/`,
//! with Nmap's substitutions (`$1`…`$9`, `$P(n)`, `$SUBST(n,"from","to")`,
//! `$I(n,">")`, `$I(n,"<")`).
//!
//! The rules are Nmap 7.93's (`dotmplsubst`, `substvar`, `transform_cpe`,
//! and the output sanity check of `PortList::setServiceProbeResults`):
//!
//! * each field has a fixed buffer (product, version, hostname and each CPE
//!   80 bytes, extra info 256, OS and device type 32); a result that does
//!   not fit leaves the field **empty** (it is not truncated). A template
//!   ending in literal text may use `N - 1` bytes, one ending in a
//!   substitution `N - 2` (Nmap's exact bounds checks);
//! * a substitution that cannot be made (unknown command, group absent or
//!   unset, bad arguments) leaves the field empty too;
//! * a substituted capture stops at its first NUL byte (C strings);
//! * trailing whitespace and commas are removed;
//! * every byte outside printable ASCII (0x20–0x7e) becomes `.`;
//! * CPE substitutions are lower-cased, blanks become `_` and the characters
//!   `:/?#[]@!$&'()*+,;=%<>"` are percent-encoded (`%3A`); there is one CPE
//!   per part (`a`, `h`, `o`: the last template of a part wins), given in
//!   that order.

use nmaps_model::VersionInfo;

/// Buffer size Nmap gives product, version, hostname and CPE strings.
pub const FIELD_LEN: usize = 80;
/// Buffer size for extra info.
pub const EXTRA_LEN: usize = 256;
/// Buffer size for OS type and device type.
pub const TYPE_LEN: usize = 32;

const MAX_ARGS: usize = 5;
const ARG_STRLEN: usize = 128;
const CPE_RESERVED: &[u8] = b":/?#[]@!$&'()*+,;=%<>\"";

/// The templates of one `match` line, as written in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates {
    pub product: Option<Vec<u8>>,
    pub version: Option<Vec<u8>>,
    pub info: Option<Vec<u8>>,
    pub hostname: Option<Vec<u8>>,
    pub ostype: Option<Vec<u8>>,
    pub devicetype: Option<Vec<u8>>,
    /// Full CPE templates, `cpe:/` included, in file order.
    pub cpes: Vec<Vec<u8>>,
}

impl Templates {
    /// Fill a [`VersionInfo`] from a match of `subject`; `caps[0]` is the
    /// whole match, `caps[n]` group `n` (`None` when it did not take part).
    pub fn expand(&self, subject: &[u8], caps: &[Option<(usize, usize)>]) -> VersionInfo {
        let f = |t: &Option<Vec<u8>>, n: usize| {
            t.as_deref()
                .and_then(|t| substitute(t, subject, caps, n, false))
                .and_then(|v| sanitize(&v, n))
        };
        let mut parts: [Option<String>; 3] = [None, None, None];
        for t in &self.cpes {
            let slot = match cpe_part(t) {
                Some(b'a') => 0,
                Some(b'h') => 1,
                Some(b'o') => 2,
                _ => continue,
            };
            parts[slot] =
                substitute(t, subject, caps, FIELD_LEN, true).and_then(|v| sanitize(&v, FIELD_LEN));
        }
        VersionInfo {
            product: f(&self.product, FIELD_LEN),
            version: f(&self.version, FIELD_LEN),
            extrainfo: f(&self.info, EXTRA_LEN),
            hostname: f(&self.hostname, FIELD_LEN),
            ostype: f(&self.ostype, TYPE_LEN),
            devicetype: f(&self.devicetype, TYPE_LEN),
            cpes: parts.into_iter().flatten().collect(),
        }
    }
}

/// The part letter of a CPE (`a`, `h` or `o`), as Nmap's `cpe_get_part`.
pub fn cpe_part(cpe: &[u8]) -> Option<u8> {
    match cpe.strip_prefix(b"cpe:/")?.first() {
        Some(&p @ (b'a' | b'h' | b'o')) => Some(p),
        _ => None,
    }
}

/// C `isspace` in the C locale.
pub(crate) fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_print(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

/// Nmap's output sanity check: cut at NUL and at `len`, non-printable
/// bytes become `.`; an empty string is no value.
fn sanitize(v: &[u8], len: usize) -> Option<String> {
    let end = v.iter().position(|&b| b == 0).unwrap_or(v.len()).min(len);
    if end == 0 {
        return None;
    }
    Some(
        v[..end]
            .iter()
            .map(|&b| if is_print(b) { char::from(b) } else { '.' })
            .collect(),
    )
}

/// Make a substituted string safe inside a CPE, as Nmap's `transform_cpe`.
pub fn transform_cpe(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &b in s {
        if CPE_RESERVED.contains(&b) {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else if is_c_space(b) {
            out.push(b'_');
        } else {
            out.push(b.to_ascii_lowercase());
        }
    }
    out
}

/// Expand one template into a buffer of `n` bytes, as Nmap's `dotmplsubst`:
/// `None` when a substitution fails or the result does not fit. With `cpe`,
/// every substitution goes through [`transform_cpe`]. Trailing whitespace
/// and commas are removed. Never panics.
pub fn substitute(
    tmpl: &[u8],
    subject: &[u8],
    caps: &[Option<(usize, usize)>],
    n: usize,
    cpe: bool,
) -> Option<Vec<u8>> {
    if n < 3 {
        return None;
    }
    let mut dst: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < tmpl.len() {
        match tmpl[i..].iter().position(|&b| b == b'$') {
            None => {
                for &c in &tmpl[i..] {
                    if dst.len() >= n - 1 {
                        return None;
                    }
                    dst.push(c);
                }
                trim_end(&mut dst);
                return Some(dst);
            }
            Some(off) => {
                let lit = &tmpl[i..i + off];
                if dst.len() + lit.len() > n {
                    return None;
                }
                dst.extend_from_slice(lit);
                i += off;
                let (mut sub, used) = substvar(&tmpl[i..], subject, caps)?;
                if let Some(z) = sub.iter().position(|&b| b == 0) {
                    sub.truncate(z);
                }
                if cpe {
                    sub = transform_cpe(&sub);
                }
                if dst.len() + sub.len() >= n - 1 {
                    return None;
                }
                dst.extend_from_slice(&sub);
                i += used;
            }
        }
    }
    if dst.len() >= n - 1 {
        return None;
    }
    trim_end(&mut dst);
    Some(dst)
}

fn trim_end(v: &mut Vec<u8>) {
    while let Some(&b) = v.last() {
        if is_c_space(b) || b == b',' {
            v.pop();
        } else {
            break;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    Int(i64),
    Str(Vec<u8>),
}

fn group(caps: &[Option<(usize, usize)>], n: i64, len: usize) -> Option<(usize, usize)> {
    if !(1..=9).contains(&n) {
        return None;
    }
    let (s, e) = (*caps.get(usize::try_from(n).ok()?)?)?;
    (s <= e && e <= len).then_some((s, e))
}

/// One `$…` variable at the start of `t`: its value and the bytes it used.
fn substvar(t: &[u8], subject: &[u8], caps: &[Option<(usize, usize)>]) -> Option<(Vec<u8>, usize)> {
    if t.first() != Some(&b'$') {
        return None;
    }
    let d = *t.get(1)?;
    if d.is_ascii_digit() {
        let (s, e) = group(caps, i64::from(d - b'0'), subject.len())?;
        return Some((subject[s..e].to_vec(), 2));
    }
    let open = t[1..].iter().position(|&b| b == b'(')? + 1;
    let cmd = &t[1..open];
    if cmd.is_empty() || cmd.len() >= 16 {
        return None;
    }
    let (args, used) = command_args(&t[open + 1..])?;
    if args.is_empty() {
        return None;
    }
    let used = open + 1 + used;
    let len = subject.len();
    let out = match (cmd, args.as_slice()) {
        (b"P", [Arg::Int(n)]) => {
            let (s, e) = group(caps, *n, len)?;
            subject[s..e]
                .iter()
                .copied()
                .filter(|&b| is_print(b))
                .collect()
        }
        (b"SUBST", [Arg::Int(n), Arg::Str(from), Arg::Str(to)]) => {
            let (s, e) = group(caps, *n, len)?;
            let mut out = Vec::with_capacity(e - s);
            let mut k = s;
            while k < e {
                // Nmap compares `from` over its whole length, even past the
                // end of the group. An empty `from` would make Nmap loop
                // forever; here it replaces nothing.
                if !from.is_empty() && subject[k..].starts_with(from) {
                    out.extend_from_slice(to);
                    k += from.len();
                } else {
                    out.push(subject[k]);
                    k += 1;
                }
            }
            out
        }
        (b"I", [Arg::Int(n), Arg::Str(order)]) if order.len() == 1 => {
            let (s, e) = group(caps, *n, len)?;
            let g = &subject[s..e];
            if g.len() > 8 {
                return None;
            }
            let v = match order[0] {
                b'>' => g.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)),
                b'<' => g.iter().rev().fold(0u64, |v, &b| (v << 8) | u64::from(b)),
                _ => return None,
            };
            v.to_string().into_bytes()
        }
        _ => return None,
    };
    Some((out, used))
}

/// Nmap's `getsubstcommandargs`: the arguments after `(` and the bytes used
/// (through the closing `)`, or to the end when there is none).
fn command_args(s: &[u8]) -> Option<(Vec<Arg>, usize)> {
    let mut args = Vec::new();
    let mut i = 0;
    while i < s.len() && s[i] != b')' {
        while i < s.len() && is_c_space(s[i]) {
            i += 1;
        }
        if i >= s.len() {
            break;
        }
        if s[i] == b')' {
            break;
        }
        if args.len() == MAX_ARGS {
            return None;
        }
        if s[i] == b'"' {
            let mut raw = Vec::new();
            let mut closed = false;
            i += 1;
            while i < s.len() {
                let c = s[i];
                // A quote preceded by one backslash is part of the string
                // (Nmap looks at the two bytes before it, nothing more).
                let escaped = s[i - 1] == b'\\' && i >= 2 && s[i - 2] != b'\\';
                if c == b'"' && !escaped {
                    closed = true;
                    break;
                }
                if raw.len() >= ARG_STRLEN - 1 {
                    return None;
                }
                raw.push(c);
                i += 1;
            }
            if !closed {
                return None;
            }
            i += 1;
            args.push(Arg::Str(crate::db::unescape(&raw).ok()?));
        } else {
            let (v, used) = strtol(&s[i..])?;
            i += used;
            args.push(Arg::Int(v));
        }
        match s[i..].iter().position(|&b| b == b',' || b == b')') {
            None => return None,
            Some(p) => {
                i += p;
                if s[i] == b',' {
                    i += 1;
                }
            }
        }
    }
    if i < s.len() && s[i] == b')' {
        i += 1;
    }
    Some((args, i))
}

/// C `strtol(s, &end, 0)`: value (saturated) and bytes used; `None` when no
/// digits were converted.
fn strtol(s: &[u8]) -> Option<(i64, usize)> {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let mut base = 10u32;
    if s.get(i) == Some(&b'0') {
        if matches!(s.get(i + 1), Some(b'x' | b'X'))
            && s.get(i + 2).is_some_and(|b| b.is_ascii_hexdigit())
        {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let start = i;
    let mut v: i64 = 0;
    while let Some(d) = s.get(i).and_then(|&b| char::from(b).to_digit(base)) {
        v = v
            .saturating_mul(i64::from(base))
            .saturating_add(i64::from(d));
        i += 1;
    }
    if i == start {
        return None;
    }
    Some((if neg { -v } else { v }, i))
}
