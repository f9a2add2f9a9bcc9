//! OS detection results (`-O`) in Nmap's formats: XML `<os>` and the
//! elements after it, the normal-output lines from "Device type:" to "IP ID
//! Sequence Generation:", and the grepable `OS:`, `Seq Index:` and `IP ID
//! Seq:` fields.
//!
//! What Nmap prints depends on the verdict, on whether the fingerprint is
//! fit for submission, on `--osscan-guess` and on the verbosity; those
//! rules live here so that every format agrees on them. The "Device type /
//! Running / OS CPE" lines are derived from the classes of the matches the
//! way Nmap does: classes are deduplicated, grouped by vendor and family,
//! generations joined with `|`, accuracies added when guessing, and nothing
//! is printed when more than 8 device types, CPEs or families would be
//! listed.

use crate::escape::{screen_escape as esc, xml_escape as x};
use nmaps_model::{OsMatch, OsResult, OsVerdict, RunInfo};
use std::fmt::Write as _;

/// Nmap lists at most this many guesses (`<osmatch>`, "Aggressive OS
/// guesses").
const MAX_GUESSES: usize = 10;
/// Nmap's limit on the device types, CPEs and families it lists; more
/// than this and the three lines are left out.
const MAX_CLASS_MEMBERS: usize = 8;
/// Distinct classes Nmap keeps for the classification.
const MAX_CLASSES: usize = 36;
/// Characters of fingerprint text per `OS:` line.
const WRAP_WIDTH: usize = 72;

/// Whether the writers show the fingerprint, and in which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FpBlock {
    Hidden,
    /// `OS:` lines of 72 characters of text each.
    Wrapped,
    /// One test per line, no prefix (Nmap's form for unsubmittable prints).
    PerTest,
}

fn very_verbose(run: &RunInfo) -> bool {
    run.verbose > 1 || run.debugging > 0
}

/// Nmap guesses with `--osscan-guess` and whenever the fingerprint cannot
/// be submitted.
fn guessing(os: &OsResult) -> bool {
    os.guessing || os.omit_reason.is_some()
}

fn fp_block(run: &RunInfo, os: &OsResult) -> FpBlock {
    let vv = very_verbose(run) || os.show_fingerprint;
    let fit = os.omit_reason.is_none();
    match os.verdict {
        OsVerdict::Perfect if vv => FpBlock::Wrapped,
        OsVerdict::Perfect => FpBlock::Hidden,
        OsVerdict::NoExact | OsVerdict::NoMatch if fit => FpBlock::Wrapped,
        OsVerdict::NoExact | OsVerdict::NoMatch | OsVerdict::TooMany if vv => FpBlock::PerTest,
        _ => FpBlock::Hidden,
    }
}

/// The fingerprint text as Nmap prints it, ending in a newline.
fn fingerprint_text(os: &OsResult, form: FpBlock) -> String {
    let flat: String = os
        .fingerprint
        .chars()
        .filter(|&c| c != '\n' && c != '\r')
        .collect();
    let mut s = String::with_capacity(flat.len() + flat.len() / 16 + 8);
    match form {
        FpBlock::Hidden => {}
        FpBlock::Wrapped => {
            let mut line = 0;
            for c in flat.chars() {
                if line == 0 {
                    s.push_str("OS:");
                }
                s.push(c);
                line += c.len_utf8();
                if line >= WRAP_WIDTH {
                    s.push('\n');
                    line = 0;
                }
            }
            if line > 0 {
                s.push('\n');
            }
        }
        FpBlock::PerTest => {
            for c in flat.chars() {
                s.push(c);
                if c == ')' {
                    s.push('\n');
                }
            }
            if !s.is_empty() && !s.ends_with('\n') {
                s.push('\n');
            }
        }
    }
    s
}

/// The `<osmatch>` elements Nmap writes: every perfect match, or the first
/// guesses; none when there are too many or no matches.
fn xml_matches(os: &OsResult) -> &[OsMatch] {
    match os.verdict {
        OsVerdict::Perfect => &os.matches,
        OsVerdict::NoExact => &os.matches[..os.matches.len().min(MAX_GUESSES)],
        OsVerdict::TooMany | OsVerdict::NoMatch => &[],
    }
}

/// `<os>…</os>` and `<uptime>`, `<distance>`, `<tcpsequence>`,
/// `<ipidsequence>`, `<tcptssequence>`, each on its own line, in Nmap's
/// order (after `<ports>`, before `<hostscript>`).
pub(crate) fn xml(s: &mut String, run: &RunInfo, os: &OsResult) {
    s.push_str("<os>");
    for p in &os.ports_used {
        let _ = writeln!(
            s,
            "<portused state=\"{}\" proto=\"{}\" portid=\"{}\"/>",
            p.state.as_str(),
            p.protocol.as_str(),
            p.port
        );
    }
    for m in xml_matches(os) {
        let _ = write!(
            s,
            "<osmatch name=\"{}\" accuracy=\"{}\" line=\"{}\"",
            x(&m.name),
            m.accuracy,
            m.line
        );
        if m.classes.is_empty() {
            s.push_str("/>\n");
            continue;
        }
        s.push_str(">\n");
        for c in &m.classes {
            let _ = write!(
                s,
                "<osclass type=\"{}\" vendor=\"{}\" osfamily=\"{}\"",
                x(&c.device_type),
                x(&c.vendor),
                x(&c.family)
            );
            if !c.generation.is_empty() {
                let _ = write!(s, " osgen=\"{}\"", x(&c.generation));
            }
            // Nmap gives every class the accuracy of its match.
            let _ = write!(s, " accuracy=\"{}\"", m.accuracy);
            if c.cpe.is_empty() {
                s.push_str("/>\n");
                continue;
            }
            s.push('>');
            for cpe in &c.cpe {
                let _ = write!(s, "<cpe>{}</cpe>", x(cpe));
            }
            s.push_str("</osclass>\n");
        }
        s.push_str("</osmatch>\n");
    }
    let form = fp_block(run, os);
    if form != FpBlock::Hidden {
        let _ = writeln!(
            s,
            "<osfingerprint fingerprint=\"{}\"/>",
            x(&fingerprint_text(os, form))
        );
    }
    s.push_str("</os>\n");
    if let Some(u) = &os.uptime {
        let _ = write!(s, "<uptime seconds=\"{}\"", u.seconds);
        if !u.lastboot.is_empty() {
            let _ = write!(s, " lastboot=\"{}\"", x(&u.lastboot));
        }
        s.push_str("/>\n");
    }
    if let Some(d) = os.distance {
        let _ = writeln!(s, "<distance value=\"{d}\"/>");
    }
    if let Some(t) = &os.tcp_sequence {
        let _ = writeln!(
            s,
            "<tcpsequence index=\"{}\" difficulty=\"{}\" values=\"{}\"/>",
            t.index,
            x(&t.difficulty),
            x(&t.values)
        );
    }
    if let Some(ip) = &os.ipid_sequence {
        let _ = writeln!(
            s,
            "<ipidsequence class=\"{}\" values=\"{}\"/>",
            x(&ip.class),
            x(&ip.values)
        );
    }
    if let Some(ts) = &os.tcpts_sequence {
        let _ = write!(s, "<tcptssequence class=\"{}\"", x(&ts.class));
        // Nmap leaves the values out when the host sends no timestamps.
        if !ts.values.is_empty() {
            let _ = write!(s, " values=\"{}\"", x(&ts.values));
        }
        s.push_str("/>\n");
    }
}
