//! Script results (`--script`) as Nmap prints them: the `|`/`|_` blocks of
//! normal output and the `<script>` elements of XML.
//!
//! Script output is remote data. Normal output keeps only tab, newline and
//! printable ASCII and shows every other byte as `\xNN` (Nmap's
//! `escape_for_screen`); XML does the same but also keeps CR (Nmap's
//! `protect_xml`) before the usual XML escaping, so the document is ASCII
//! and valid whatever the script returned.

use crate::escape::xml_escape;
use nmaps_model::{ScriptElem, ScriptResult};
use std::fmt::Write as _;

/// Keeps the bytes `keep` accepts and printable ASCII; `\xNN` for the rest.
fn hex_escape(s: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (0x20..=0x7e).contains(&b) || keep(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

/// Nmap's `escape_for_screen`: tab, newline and printable ASCII stay.
pub(crate) fn screen(s: &str) -> String {
    hex_escape(s, |b| b == b'\t' || b == b'\n')
}

/// Nmap's `protect_xml`: tab, CR, newline and printable ASCII stay.
pub(crate) fn protect_xml(s: &str) -> String {
    hex_escape(s, |b| matches!(b, b'\t' | b'\r' | b'\n'))
}

/// A script id on one line: printable ASCII only. (Nmap prints ids as
/// they are; they are the names of local script files.)
fn id_text(id: &str) -> String {
    hex_escape(id, |_| false)
}

/// Nmap's `formatScriptOutput`: `|_id: text` for one line; otherwise
/// `| id: first` and `| next`… with `|_` on the last line. A final newline
/// of the output adds no line. `None` when the output is empty (Nmap
/// prints nothing for it). No trailing newline.
pub(crate) fn normal_block(sr: &ScriptResult) -> Option<String> {
    let text = screen(&sr.output);
    if text.is_empty() {
        return None;
    }
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let lines: Vec<&str> = body.split('\n').collect();
    let mut out = String::with_capacity(text.len() + 8 * lines.len() + sr.id.len());
    for (i, line) in lines.iter().enumerate() {
        out.push_str(if i + 1 < lines.len() { "| " } else { "|_" });
        if i == 0 {
            out.push_str(&id_text(&sr.id));
            out.push_str(": ");
        }
        out.push_str(line);
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
    Some(out)
}

/// What Nmap's XML writer complains about a result with empty output, on
/// stderr and in the normal output file (not on stdout), at the moment it
/// writes the `<script>` element.
pub(crate) fn bug_line(sr: &ScriptResult) -> Option<String> {
    sr.output
        .is_empty()
        .then(|| format!("Bug in {}: no string output.\n", id_text(&sr.id)))
}

/// The blocks of a list of results (host, pre- or post-scan scripts), each
/// followed by a newline; in the normal output file (`file`), a
/// [`bug_line`] for each empty result, as Nmap writes it there.
pub(crate) fn normal_blocks(results: &[ScriptResult], file: bool) -> String {
    let mut s = String::new();
    for sr in results {
        if let (true, Some(bug)) = (file, bug_line(sr)) {
            s.push_str(&bug);
        }
        if let Some(block) = normal_block(sr) {
            s.push_str(&block);
            s.push('\n');
        }
    }
    s
}

fn xml_text(s: &str) -> String {
    xml_escape(&protect_xml(s))
}

/// One `<script id="…" output="…">`, with its `<elem>`/`<table>`
/// children one per line, or `/>` for a plain string result. No newline
/// after it, as in Nmap.
pub(crate) fn xml_script(s: &mut String, sr: &ScriptResult) {
    let _ = write!(
        s,
        "<script id=\"{}\" output=\"{}\"",
        xml_escape(&id_text(&sr.id)),
        xml_text(&sr.output)
    );
    if sr.elements.is_empty() {
        s.push_str("/>");
        return;
    }
    s.push('>');
    xml_elems(s, &sr.elements);
    s.push_str("</script>");
}

fn xml_key(s: &mut String, key: &Option<String>) {
    if let Some(k) = key {
        let _ = write!(s, " key=\"{}\"", xml_text(k));
    }
}

fn xml_elems(s: &mut String, elems: &[ScriptElem]) {
    for e in elems {
        match e {
            ScriptElem::Elem { key, value } => {
                s.push_str("<elem");
                xml_key(s, key);
                let _ = writeln!(s, ">{}</elem>", xml_text(value));
            }
            ScriptElem::Table { key, items } => {
                s.push_str("<table");
                xml_key(s, key);
                s.push_str(">\n");
                xml_elems(s, items);
                s.push_str("</table>\n");
            }
        }
    }
}

/// `<hostscript>`, `<prescript>` or `<postscript>` around `results`;
/// nothing when there are none.
pub(crate) fn xml_wrapped(s: &mut String, tag: &str, results: &[ScriptResult]) {
    if results.is_empty() {
        return;
    }
    let _ = write!(s, "<{tag}>");
    for sr in results {
        xml_script(s, sr);
    }
    let _ = write!(s, "</{tag}>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sr(id: &str, output: &str) -> ScriptResult {
        ScriptResult {
            id: id.to_string(),
            output: output.to_string(),
            elements: Vec::new(),
        }
    }

    #[test]
    fn blocks_like_format_script_output() {
        assert_eq!(
            normal_block(&sr("banner", "SSH-2.0-x")).unwrap(),
            "|_banner: SSH-2.0-x"
        );
        assert_eq!(
            normal_block(&sr("m", "\n  Supported Methods: GET HEAD")).unwrap(),
            "| m: \n|_  Supported Methods: GET HEAD"
        );
        assert_eq!(
            normal_block(&sr("h", "\n  a\n  \n  b\n")).unwrap(),
            "| h: \n|   a\n|   \n|_  b"
        );
        assert_eq!(normal_block(&sr("e", "")), None);
        assert_eq!(normal_block(&sr("n", "\n")).unwrap(), "|_n: ");
        assert_eq!(normal_block(&sr("n", "a\n\n")).unwrap(), "| n: a\n|_");
        assert_eq!(
            normal_block(&sr("x", "\x1b[31m\r\0caf\u{e9}\t")).unwrap(),
            "|_x: \\x1B[31m\\x0D\\x00caf\\xC3\\xA9\t"
        );
        assert_eq!(
            normal_block(&sr("a\nb\x1b", "z")).unwrap(),
            "|_a\\x0Ab\\x1B: z"
        );
    }

    #[test]
    fn xml_like_write_xml() {
        let mut s = String::new();
        xml_script(&mut s, &sr("t", "a\r\n<\"&'>--\u{e9}\0"));
        assert_eq!(
            s,
            "<script id=\"t\" output=\"a&#xd;&#xa;&lt;&quot;&amp;&apos;&gt;-&#45;\\xC3\\xA9\\x00\"/>"
        );
        let mut s = String::new();
        let r = ScriptResult {
            id: "k".into(),
            output: "o".into(),
            elements: vec![
                ScriptElem::Elem {
                    key: Some("a<".into()),
                    value: "v\x1b".into(),
                },
                ScriptElem::Table {
                    key: None,
                    items: vec![ScriptElem::Elem {
                        key: None,
                        value: "x".into(),
                    }],
                },
                ScriptElem::Table {
                    key: Some("empty".into()),
                    items: vec![],
                },
            ],
        };
        xml_wrapped(&mut s, "hostscript", std::slice::from_ref(&r));
        assert_eq!(
            s,
            "<hostscript><script id=\"k\" output=\"o\"><elem key=\"a&lt;\">v\\x1B</elem>\n<table>\n<elem>x</elem>\n</table>\n<table key=\"empty\">\n</table>\n</script></hostscript>"
        );
    }
}
