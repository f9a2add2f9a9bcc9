//! Escaping of untrusted text (host names, service names, arguments).

use std::fmt::Write as _;

/// Characters that must never reach a terminal or a line-oriented file
/// verbatim: C0/C1 controls, DEL, and the Unicode bidirectional overrides.
fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_bytes_hex(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        let _ = write!(out, "\\x{b:02X}");
    }
}

/// Makes text safe for normal and grepable output: every control character
/// (including tab, newline, ESC and DEL) and every bidirectional override is
/// shown as `\xNN` per UTF-8 byte, as Nmap does for script output.
pub fn screen_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_hostile(c) {
            push_bytes_hex(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// [`screen_escape`] for bytes that may not be valid UTF-8 (a value cut
/// to Nmap's buffer size in the middle of a character): valid text is
/// escaped as usual, every byte of an invalid sequence becomes `\xNN`.
pub(crate) fn screen_escape_bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(&screen_escape(chunk.valid()));
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02X}");
        }
    }
    out
}

/// Escapes text for an XML attribute, text node or comment, as Nmap's
/// `xml.cc` does: `<>&"'` become entities, the second `-` of every `--`
/// becomes `&#45;`, and tab, CR, LF and every byte above 0x7F become
/// `&#xNN;` per byte, so the document is pure ASCII.
///
/// Other control characters (and DEL) are first turned into the visible text
/// `\xNN`, as Nmap does for script output: XML 1.0 forbids them even as
/// character references, so the document stays valid.
pub fn xml_escape(s: &str) -> String {
    let mut protected = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && !matches!(c, '\t' | '\r' | '\n') && (c as u32) < 0x80 {
            push_bytes_hex(&mut protected, c);
        } else {
            protected.push(c);
        }
    }
    let mut out = String::with_capacity(protected.len() + 8);
    let mut prev = 0u8;
    for b in protected.bytes() {
        match b {
            b'<' => out.push_str("&lt;"),
            b'>' => out.push_str("&gt;"),
            b'&' => out.push_str("&amp;"),
            b'"' => out.push_str("&quot;"),
            b'\'' => out.push_str("&apos;"),
            b'-' if prev == b'-' => out.push_str("&#45;"),
            b if !(0x20..=0x7f).contains(&b) => {
                let _ = write!(out, "&#x{b:x};");
            }
            b => out.push(char::from(b)),
        }
        prev = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_rules() {
        assert_eq!(xml_escape("nmap --reason"), "nmap -&#45;reason");
        assert_eq!(xml_escape("a---b"), "a-&#45;&#45;b");
        assert_eq!(
            xml_escape("<a href='x'>&\"</a>"),
            "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(xml_escape("é"), "&#xc3;&#xa9;");
        assert_eq!(xml_escape("a\tb\nc\rd"), "a&#x9;b&#xa;c&#xd;d");
        assert_eq!(xml_escape("\x1b[31m"), "\\x1B[31m");
        assert_eq!(xml_escape("\x7f\0"), "\\x7F\\x00");
        assert_eq!(xml_escape("]]>"), "]]&gt;");
        assert_eq!(xml_escape("\u{9b}"), "&#xc2;&#x9b;");
    }

    #[test]
    fn screen_rules() {
        assert_eq!(
            screen_escape("plain name-1.example"),
            "plain name-1.example"
        );
        assert_eq!(screen_escape("\x1b]0;pwn\x07"), "\\x1B]0;pwn\\x07");
        assert_eq!(screen_escape("a\tb\nc\r"), "a\\x09b\\x0Ac\\x0D");
        assert_eq!(screen_escape("\u{9b}2J"), "\\xC2\\x9B2J");
        assert_eq!(screen_escape("\u{202e}abc"), "\\xE2\\x80\\xAEabc");
        assert_eq!(screen_escape("bücher"), "bücher");
    }

    #[test]
    fn screen_bytes_rules() {
        assert_eq!(screen_escape_bytes(b"a\x1b[31m"), "a\\x1B[31m");
        assert_eq!(screen_escape_bytes("bü".as_bytes()), "bü");
        assert_eq!(screen_escape_bytes(&"bü".as_bytes()[..2]), "b\\xC3");
        assert_eq!(screen_escape_bytes(b"\xff\x00z"), "\\xFF\\x00z");
    }
}
