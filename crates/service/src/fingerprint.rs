//! The service fingerprint Nmap prints for a port that returned data no
//! signature matched (`ServiceNFO::addToServiceFingerprint`, Nmap 7.93):
//!
//! ```text
//! SF-Port21-TCP:V=7.93%I=7%D=11/29%Time=6929A6B3%P=x86_64-pc-linux-gnu%r(NULL,
//! SF:…
//! ```
//!
//! * header `SF-Port<port>-<TCP|UDP>:V=<version>[%T=SSL]%I=<intensity>%D=<month>/<day>%Time=<unix time, hex>%P=<platform>`;
//! * then `%r(<probe>,<response length, hex>,"<escaped response>")` per
//!   response, in the order received; a response is cut to 900 bytes (1300
//!   with debugging) but its full length is given; no response is added
//!   once the fingerprint is over 2200 characters (10000 with debugging);
//! * escaping: letters and digits as is; NUL as `\0`, or `\x00` before a
//!   digit; `\ ? " [ ] ( ) . * + $ ^ |` behind a backslash; other
//!   punctuation as is; `\r \n \t`; anything else `\xhh` (lower case);
//! * wrapped every 74 characters: a character that would be number 75 of a
//!   line starts a new line with `SF:` (so escapes can be split);
//! * ends with `;` (never wrapped).

use crate::db::Proto;

/// What goes into the header besides the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FpParams<'a> {
    /// Scanner version (`7.93`).
    pub version: &'a str,
    /// `--version-intensity` in force.
    pub intensity: u8,
    /// Local month (1–12) and day of month of the first response.
    pub month: u32,
    pub day: u32,
    /// Unix time (seconds) of the first response.
    pub time: u64,
    /// Platform triple (`x86_64-pc-linux-gnu`).
    pub platform: &'a str,
    /// Nmap's `-d` limits (1300 bytes per response, 10000 in all).
    pub debugging: bool,
}

const WRAP: usize = 74;

/// Nmap wraps by bytes, so the text is built as bytes.
struct Fp {
    s: Vec<u8>,
}

impl Fp {
    fn ch(&mut self, c: u8) {
        if self.s.len() % (WRAP + 1) == WRAP {
            self.s.extend_from_slice(b"\nSF:");
        }
        self.s.push(c);
    }
    fn string(&mut self, t: &str) {
        t.bytes().for_each(|c| self.ch(c));
    }
}

fn is_c_punct(b: u8) -> bool {
    b.is_ascii_graphic() && !b.is_ascii_alphanumeric()
}

/// Build the fingerprint from the responses (probe name, data) in the order
/// they were received; empty responses are skipped. `None` when no
/// response had data.
pub fn service_fingerprint(
    proto: Proto,
    port: u16,
    tls: bool,
    responses: &[(&str, &[u8])],
    params: &FpParams<'_>,
) -> Option<String> {
    let (per_response, total) = if params.debugging {
        (1300, 10_000)
    } else {
        (900, 2200)
    };
    let mut fp = Fp { s: Vec::new() };
    for &(name, resp) in responses.iter().filter(|(_, r)| !r.is_empty()) {
        if fp.s.len() > total {
            break;
        }
        if fp.s.is_empty() {
            // Nmap prints `(int) time` with %X.
            let time = params.time as u32;
            fp.string(&format!(
                "SF-Port{port}-{}:V={}{}%I={}%D={}/{}%Time={time:X}%P={}",
                proto.upper(),
                params.version,
                if tls { "%T=SSL" } else { "" },
                params.intensity,
                params.month,
                params.day,
                params.platform
            ));
        }
        fp.string(&format!("%r({name},{:X},\"", resp.len()));
        let used = &resp[..resp.len().min(per_response)];
        for (k, &b) in used.iter().enumerate() {
            if b.is_ascii_alphanumeric() {
                fp.ch(b);
            } else if b == 0 {
                if used.get(k + 1).is_some_and(u8::is_ascii_digit) {
                    fp.string("\\x00");
                } else {
                    fp.string("\\0");
                }
            } else if b"\\?\"[]().*+$^|".contains(&b) {
                fp.ch(b'\\');
                fp.ch(b);
            } else if is_c_punct(b) {
                fp.ch(b);
            } else if b == b'\r' {
                fp.string("\\r");
            } else if b == b'\n' {
                fp.string("\\n");
            } else if b == b'\t' {
                fp.string("\\t");
            } else {
                fp.string(&format!("\\x{b:02x}"));
            }
        }
        fp.ch(b'"');
        fp.ch(b')');
    }
    if fp.s.is_empty() {
        return None;
    }
    fp.s.push(b';');
    Some(String::from_utf8_lossy(&fp.s).into_owned())
}

/// The fingerprint as Nmap puts it in XML's `servicefp` attribute: without
/// the `\nSF:` line breaks, and cut before a trailing `&…` that has no `;`.
pub fn xml_form(fp: &str) -> String {
    let joined = fp.replace("\nSF:", "");
    let mut amp = None;
    for (i, c) in joined.char_indices() {
        match c {
            '&' => amp = Some(i),
            ';' => amp = None,
            _ => {}
        }
    }
    match amp {
        Some(i) => joined[..i].to_string(),
        None => joined,
    }
}
