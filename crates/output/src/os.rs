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
pub(crate) fn guessing(os: &OsResult) -> bool {
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
            s.push_str(&nmaps_model::wrap_os_lines(&flat));
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
pub(crate) fn xml_matches(os: &OsResult) -> &[OsMatch] {
    match os.verdict {
        OsVerdict::Perfect => &os.matches,
        OsVerdict::NoExact => &os.matches[..os.matches.len().min(MAX_GUESSES)],
        OsVerdict::TooMany | OsVerdict::NoMatch => &[],
    }
}

/// One class as Nmap's classification keeps it: the first match that
/// has it gives its accuracy.
struct Class<'a> {
    vendor: &'a str,
    family: &'a str,
    generation: &'a str,
    device_type: &'a str,
    cpe: &'a [String],
    accuracy: u8,
}

/// Nmap's list of distinct classes (vendor, family, generation, device
/// type), and how many of them come from perfect matches. `None` when
/// Nmap does not classify: no matches, or more classes of perfect matches
/// than it keeps.
fn classes(os: &OsResult) -> Option<(Vec<Class<'_>>, usize)> {
    if os.verdict == OsVerdict::NoMatch {
        return None;
    }
    let mut list: Vec<Class<'_>> = Vec::new();
    let mut perfect = 0;
    'matches: for m in &os.matches {
        let exact = m.accuracy >= 100;
        for c in &m.classes {
            let known = list.iter().any(|k| {
                k.vendor == c.vendor
                    && k.family == c.family
                    && k.device_type == c.device_type
                    && k.generation == c.generation
            });
            if known {
                continue;
            }
            if list.len() == MAX_CLASSES {
                if exact {
                    return None;
                }
                break 'matches;
            }
            // Once there are perfect classes, lesser matches add nothing.
            if perfect > 0 && !exact {
                break 'matches;
            }
            list.push(Class {
                vendor: &c.vendor,
                family: &c.family,
                generation: &c.generation,
                device_type: &c.device_type,
                cpe: &c.cpe,
                accuracy: m.accuracy,
            });
            if exact {
                perfect += 1;
            }
        }
    }
    (!list.is_empty()).then_some((list, perfect))
}

/// A vendor and family ("Linux", "Lab&Co embedded") with its generations
/// joined by `|` and the accuracy of its first class.
struct Family {
    name: String,
    generations: String,
    accuracy: u8,
}

/// Adds `item` to `list` unless it is there; false when the list is full.
fn add_new<'a>(list: &mut Vec<&'a str>, item: &'a str) -> bool {
    if list.contains(&item) {
        return true;
    }
    if list.len() == MAX_CLASS_MEMBERS {
        return false;
    }
    list.push(item);
    true
}

/// The "Device type:", "Running:" and "OS CPE:" lines, derived from the
/// classes as Nmap does; empty when Nmap prints none of them.
fn classification(os: &OsResult) -> String {
    let mut s = String::new();
    let Some((list, perfect)) = classes(os) else {
        return s;
    };
    let guess = guessing(os);
    let mut types: Vec<&str> = Vec::new();
    let mut cpes: Vec<&str> = Vec::new();
    let mut families: Vec<Family> = Vec::new();
    let mut overflow = false;
    for (i, c) in list.iter().enumerate() {
        // The matches are already those within 10 % of the best.
        if (!guess && i >= perfect) || (c.accuracy < 100 && i > 9) {
            break;
        }
        overflow |= !add_new(&mut types, c.device_type);
        for cpe in c.cpe {
            overflow |= !add_new(&mut cpes, cpe);
        }
        let name = if c.vendor == c.family {
            c.family.to_string()
        } else {
            format!("{} {}", c.vendor, c.family)
        };
        if let Some(f) = families.iter_mut().find(|f| f.name == name) {
            // Nmap skips a generation already contained in the list, even
            // as part of another one.
            if !c.generation.is_empty() && !f.generations.contains(c.generation) {
                if !f.generations.is_empty() {
                    f.generations.push('|');
                }
                f.generations.push_str(c.generation);
            }
            continue;
        }
        if families.len() == MAX_CLASS_MEMBERS {
            overflow = true;
            break;
        }
        families.push(Family {
            name,
            generations: c.generation.to_string(),
            accuracy: c.accuracy,
        });
    }
    if overflow || families.is_empty() {
        return s;
    }
    let _ = writeln!(s, "Device type: {}", esc(&types.join("|")));
    s.push_str("Running");
    if perfect == 0 {
        s.push_str(" (JUST GUESSING)");
    }
    s.push_str(": ");
    for (i, f) in families.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&esc(&f.name));
        if !f.generations.is_empty() {
            let _ = write!(s, " {}", esc(&f.generations));
        }
        // Nmap compares the family's index with the number of perfect
        // classes here.
        if i >= perfect {
            let _ = write!(s, " ({}%)", f.accuracy);
        }
    }
    s.push('\n');
    if !cpes.is_empty() {
        s.push_str("OS CPE:");
        for cpe in cpes {
            let _ = write!(s, " {}", esc(cpe));
        }
        s.push('\n');
    }
    s
}

/// The fingerprint block of normal output: "TCP/IP fingerprint:", the
/// text, a blank line.
fn normal_fingerprint(s: &mut String, run: &RunInfo, os: &OsResult) {
    let form = fp_block(run, os);
    if form == FpBlock::Hidden {
        return;
    }
    s.push_str("TCP/IP fingerprint:\n");
    for line in fingerprint_text(os, form).lines() {
        s.push_str(&esc(line));
        s.push('\n');
    }
    s.push('\n');
}

/// The OS lines of a host's normal report, in Nmap's order (after the MAC
/// address, before Service Info). Some are `-v` only.
pub(crate) fn normal(s: &mut String, run: &RunInfo, os: &OsResult) {
    let vv = very_verbose(run);
    if os.unreliable && os.verdict != OsVerdict::TooMany {
        s.push_str("Warning: OSScan results may be unreliable because we could not find at least 1 open and 1 closed port\n");
    }
    s.push_str(&classification(os));
    let not_ideal = |s: &mut String| {
        if let Some(reason) = &os.omit_reason {
            let _ = writeln!(s, "OS fingerprint not ideal because: {}", esc(reason));
        }
    };
    match os.verdict {
        OsVerdict::Perfect => {
            let names: Vec<String> = os.matches.iter().map(|m| esc(&m.name)).collect();
            let _ = writeln!(s, "OS details: {}", names.join(", "));
        }
        OsVerdict::NoExact => {
            if vv {
                not_ideal(s);
            }
            if guessing(os) && !os.matches.is_empty() {
                s.push_str("Aggressive OS guesses: ");
                for (i, m) in os.matches.iter().take(MAX_GUESSES).enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    let _ = write!(s, "{} ({}%)", esc(&m.name), m.accuracy);
                }
                s.push('\n');
            }
            if os.omit_reason.is_none() {
                s.push_str("No exact OS matches for host (If you know what OS is running on it, see https://nmap.org/submit/ ).\n");
            } else {
                s.push_str("No exact OS matches for host (test conditions non-ideal).\n");
            }
        }
        OsVerdict::NoMatch => {
            if os.omit_reason.is_none() {
                s.push_str("No OS matches for host (If you know what OS is running on it, see https://nmap.org/submit/ ).\n");
            } else {
                not_ideal(s);
                s.push_str("No OS matches for host\n");
            }
        }
        OsVerdict::TooMany => {
            s.push_str("Too many fingerprints match this host to give specific OS details\n");
        }
    }
    normal_fingerprint(s, run, os);
    if let Some(u) = &os.uptime
        && run.verbose > 0
    {
        let days = u.seconds as f64 / 86400.0;
        if u.lastboot.is_empty() {
            let _ = writeln!(s, "Uptime guess: {days:.3} days");
        } else {
            let _ = writeln!(
                s,
                "Uptime guess: {days:.3} days (since {})",
                esc(&u.lastboot)
            );
        }
    }
    if let Some(d) = os.distance {
        let plural = if d == 1 { "" } else { "s" };
        let _ = writeln!(s, "Network Distance: {d} hop{plural}");
    }
    if run.verbose > 0 {
        if let Some(t) = &os.tcp_sequence {
            let _ = writeln!(
                s,
                "TCP Sequence Prediction: Difficulty={} ({})",
                t.index,
                esc(&t.difficulty)
            );
        }
        if let Some(ip) = &os.ipid_sequence {
            let _ = writeln!(s, "IP ID Sequence Generation: {}", esc(&ip.class));
        }
    }
}

/// The grepable fields, each after a tab: `OS:` (perfect matches only,
/// joined with `|`), `Seq Index:`, `IP ID Seq:`.
pub(crate) fn grepable(s: &mut String, os: &OsResult) {
    if os.verdict == OsVerdict::Perfect && !os.matches.is_empty() {
        let names: Vec<String> = os.matches.iter().map(|m| esc(&m.name)).collect();
        let _ = write!(s, "\tOS: {}", names.join("|"));
    }
    if let Some(t) = &os.tcp_sequence {
        let _ = write!(s, "\tSeq Index: {}", t.index);
    }
    if let Some(ip) = &os.ipid_sequence {
        let _ = write!(s, "\tIP ID Seq: {}", esc(&ip.class));
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

#[cfg(test)]
mod tests {
    use super::*;
    use nmaps_model::OsClass;

    fn class(vendor: &str, family: &str, generation: &str, cpe: &str) -> OsClass {
        OsClass {
            vendor: vendor.into(),
            family: family.into(),
            generation: generation.into(),
            device_type: "general purpose".into(),
            accuracy: 0,
            cpe: vec![cpe.into()],
        }
    }

    fn matched(name: &str, accuracy: u8, classes: Vec<OsClass>) -> OsMatch {
        OsMatch {
            name: name.into(),
            accuracy,
            line: 1,
            classes,
        }
    }

    #[test]
    fn more_than_eight_families_print_no_classification() {
        let matches = (0..9)
            .map(|i| {
                let v = format!("V{i}");
                matched(&v, 95, vec![class(&v, "F", "", "cpe:/o:x")])
            })
            .collect();
        let mut os = OsResult {
            matches,
            guessing: true,
            ..OsResult::default()
        };
        assert_eq!(classification(&os), "");
        os.matches.truncate(8);
        let lines = classification(&os);
        assert!(
            lines.starts_with(
                "Device type: general purpose\nRunning (JUST GUESSING): V0 F (95%), V1 F (95%)"
            ),
            "{lines}"
        );
        assert!(lines.ends_with("OS CPE: cpe:/o:x\n"), "{lines}");
        // Without guessing, imperfect matches are not classified.
        os.guessing = false;
        assert_eq!(classification(&os), "");
    }

    #[test]
    fn too_many_perfect_classes_are_not_classified() {
        let many = |n: usize| OsResult {
            verdict: OsVerdict::TooMany,
            matches: (0..n)
                .map(|i| {
                    matched(
                        "L",
                        100,
                        vec![class("Linux", "Linux", &format!("{i}.X"), "c")],
                    )
                })
                .collect(),
            ..OsResult::default()
        };
        assert_eq!(classification(&many(37)), "");
        // 36 classes fit; one family, its generations joined.
        let lines = classification(&many(36));
        assert!(lines.starts_with("Device type: general purpose\nRunning: Linux 0.X|1.X|2.X|"));
    }

    #[test]
    fn generations_join_once_and_perfect_matches_shut_out_guesses() {
        let os = OsResult {
            verdict: OsVerdict::Perfect,
            matches: vec![
                matched(
                    "A",
                    100,
                    vec![
                        class("Linux", "Linux", "2.6.X", "cpe:/o:linux:linux_kernel:2.6"),
                        // Contained in "2.6.X": Nmap leaves it out.
                        class("Linux", "Linux", "6.X", "cpe:/o:linux:linux_kernel:6"),
                        class("Linux", "Linux", "3.X", "cpe:/o:linux:linux_kernel:3"),
                    ],
                ),
                matched(
                    "B",
                    97,
                    vec![class("Apple", "macOS", "13.X", "cpe:/o:apple")],
                ),
            ],
            guessing: true,
            ..OsResult::default()
        };
        assert_eq!(
            classification(&os),
            "Device type: general purpose\nRunning: Linux 2.6.X|3.X\nOS CPE: cpe:/o:linux:linux_kernel:2.6 cpe:/o:linux:linux_kernel:6 cpe:/o:linux:linux_kernel:3\n"
        );
    }

    #[test]
    fn fingerprint_wraps_at_72_characters_or_splits_per_test() {
        let os = OsResult {
            fingerprint: format!("SCAN({})\nT2(R=N)", "x".repeat(100)),
            ..OsResult::default()
        };
        let wrapped = fingerprint_text(&os, FpBlock::Wrapped);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 75);
        assert_eq!(lines[1], format!("OS:{}){}", "x".repeat(33), "T2(R=N)"));
        assert_eq!(
            fingerprint_text(&os, FpBlock::PerTest),
            format!("SCAN({})\nT2(R=N)\n", "x".repeat(100))
        );
    }

    #[test]
    fn verbosity_decides_the_fingerprint_block() {
        let mut run = RunInfo {
            args: Vec::new(),
            start: std::time::SystemTime::UNIX_EPOCH,
            scan_info: Vec::new(),
            verbose: 1,
            debugging: 0,
            reason: false,
            open_only: false,
            list_scan: false,
            ping_only: false,
            version_scan: false,
            script_scan: false,
            stylesheet: None,
            os_scan: true,
        };
        let mut os = OsResult {
            verdict: OsVerdict::Perfect,
            ..OsResult::default()
        };
        assert_eq!(fp_block(&run, &os), FpBlock::Hidden);
        os.show_fingerprint = true;
        assert_eq!(fp_block(&run, &os), FpBlock::Wrapped);
        os.show_fingerprint = false;
        os.verdict = OsVerdict::TooMany;
        assert_eq!(fp_block(&run, &os), FpBlock::Hidden);
        os.verdict = OsVerdict::NoExact;
        assert_eq!(fp_block(&run, &os), FpBlock::Wrapped);
        os.omit_reason = Some("Timing level 5 (Insane) used".into());
        assert_eq!(fp_block(&run, &os), FpBlock::Hidden);
        run.debugging = 1;
        assert_eq!(fp_block(&run, &os), FpBlock::PerTest);
    }
}
