//! Against Debian's installed `/usr/share/nmap/nmap-os-db` (nmap 7.93, read
//! at run time, never copied): the whole file loads, and for fingerprints
//! nmap 7.93 printed (fixtures/*.xml, each the `<os>` element of a real
//! `nmap -O --osscan-guess` run) the matcher gives nmap's `<osmatch>` list:
//! same names, accuracies, lines, classes and CPEs, in the same order.
//! Each test is skipped when the file is absent.
#![allow(clippy::print_stderr)]

use nmaps_model::{OsMatch, OsVerdict};
use nmaps_osdetect::{
    Fingerprint, OsDb, Rules, ScanLine, best_try, match_fingerprint, os_result, submission_text,
    wrap_os_lines,
};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

const FILE: &str = "/usr/share/nmap/nmap-os-db";

fn db() -> Option<&'static OsDb> {
    static DB: OnceLock<Option<OsDb>> = OnceLock::new();
    DB.get_or_init(|| {
        if !Path::new(FILE).exists() {
            eprintln!("skipped: {FILE} is not installed");
            return None;
        }
        Some(OsDb::load(Path::new(FILE)).expect("Debian's file loads"))
    })
    .as_ref()
}

/// A fixture: nmap's `<os>` element.
struct Capture {
    name: String,
    fingerprint: String,
    matches: Vec<OsMatch>,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let tag = format!(" {tag}");
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

fn unescape(s: &str) -> String {
    s.replace("&#xa;", "\n")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn captures() -> Vec<Capture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    for path in files {
        let xml = std::fs::read_to_string(&path).unwrap();
        let fp_tag = &xml[xml.find("<osfingerprint ").unwrap()..];
        let mut matches = Vec::new();
        for chunk in xml.split("<osmatch ").skip(1) {
            let chunk = &chunk[..chunk.find("</osmatch>").unwrap()];
            let head = &chunk[..chunk.find('>').unwrap()];
            let classes = chunk
                .split("<osclass ")
                .skip(1)
                .map(|c| {
                    let head = &c[..c.find('>').unwrap()];
                    nmaps_model::OsClass {
                        vendor: attr(head, "vendor").unwrap(),
                        family: attr(head, "osfamily").unwrap(),
                        generation: attr(head, "osgen").unwrap_or_default(),
                        device_type: attr(head, "type").unwrap(),
                        accuracy: attr(head, "accuracy").unwrap().parse().unwrap(),
                        cpe: c
                            .split("<cpe>")
                            .skip(1)
                            .map(|x| unescape(&x[..x.find("</cpe>").unwrap()]))
                            .collect(),
                    }
                })
                .collect();
            matches.push(OsMatch {
                name: attr(head, "name").unwrap(),
                accuracy: attr(head, "accuracy").unwrap().parse().unwrap(),
                line: attr(head, "line").unwrap().parse().unwrap(),
                classes,
            });
        }
        out.push(Capture {
            name: path.file_stem().unwrap().to_string_lossy().into_owned(),
            fingerprint: attr(fp_tag, "fingerprint").unwrap(),
            matches,
        });
    }
    out
}

#[test]
fn loads_every_fingerprint() {
    let Some(db) = db() else { return };
    let text = std::fs::read_to_string(FILE).unwrap();
    let counted = text
        .lines()
        .filter(|l| l.starts_with("Fingerprint "))
        .count();
    let t = Instant::now();
    let again = OsDb::load(Path::new(FILE)).unwrap();
    eprintln!("loaded {} fingerprints in {:?}", again.len(), t.elapsed());
    assert_eq!(db.len(), counted);
    assert!(counted > 5000);
    assert_eq!(db.rules(), Rules::Nmap793);
    assert_eq!(db.weight("SEQ", "GCD"), Some(75));
    let linux = db
        .references()
        .iter()
        .find(|r| r.name == "Linux 4.10")
        .unwrap();
    assert_eq!(
        text.lines().nth(linux.line as usize - 1),
        Some("Fingerprint Linux 4.10")
    );
}

#[test]
fn matches_nmaps_osmatch_lists() {
    let Some(db) = db() else { return };
    let mut compared = 0;
    for cap in &captures() {
        let fp = Fingerprint::parse(&cap.fingerprint).unwrap();
        // A test printed twice means several tries differed; Nmap matched
        // its best try, which the merged text does not give back (it keeps
        // only the first try of each shape).
        if tests_repeat(&fp) {
            assert_eq!(cap.name, "lab-web");
            continue;
        }
        compared += 1;
        let list = match_fingerprint(db, &fp);
        let (mut matches, verdict, guessing) = os_result(db, &list, true);
        // The XML writers show the first ten guesses.
        matches.truncate(10);
        assert_eq!(verdict, OsVerdict::NoExact, "{}", cap.name);
        assert!(guessing);
        let show = |m: &[OsMatch]| {
            m.iter()
                .map(|m| format!("{} ({}) line {}", m.name, m.accuracy, m.line))
                .collect::<Vec<_>>()
        };
        assert_eq!(show(&matches), show(&cap.matches), "{}", cap.name);
        assert_eq!(matches, cap.matches, "{}", cap.name);
        // The best try: Nmap's choice among identical tries is the first.
        let (i, again) = best_try(db, &[fp.clone(), fp.clone()]).unwrap();
        assert_eq!((i, again), (0, list));
    }
    assert!(compared >= 15, "{compared}");
}

fn tests_repeat(fp: &Fingerprint) -> bool {
    fp.tests
        .iter()
        .enumerate()
        .any(|(i, t)| fp.tests[..i].iter().any(|u| u.name == t.name))
}

#[test]
fn submission_text_round_trips_nmaps_text() {
    for cap in captures() {
        let fp = Fingerprint::parse(&cap.fingerprint).unwrap();
        let scan = ScanLine::parse(&cap.fingerprint).unwrap();
        assert_eq!(scan.version, "7.93");
        assert_eq!(
            wrap_os_lines(&submission_text(&scan, &fp)),
            cap.fingerprint,
            "{}",
            cap.name
        );
        assert_eq!(
            Fingerprint::parse(&submission_text(&scan, &fp)).unwrap(),
            fp
        );
    }
}

/// Well under 10 ms per fingerprint in release builds (debug builds are
/// allowed 20 times that).
#[test]
fn matching_the_whole_database_is_fast() {
    let Some(db) = db() else { return };
    let caps = captures();
    let fps: Vec<Fingerprint> = caps
        .iter()
        .map(|c| Fingerprint::parse(&c.fingerprint).unwrap())
        .collect();
    let rounds = 5;
    let t = Instant::now();
    for _ in 0..rounds {
        for fp in &fps {
            std::hint::black_box(match_fingerprint(db, fp));
        }
    }
    let each = t.elapsed() / (rounds * fps.len()) as u32;
    eprintln!("{} references: {each:?} per fingerprint", db.len());
    let limit_ms = if cfg!(debug_assertions) { 200 } else { 10 };
    assert!(each.as_millis() < limit_ms, "{each:?}");
}
