//! Properties: the parsers never panic on arbitrary text (database,
//! fingerprint, SCAN line), matching never panics on whatever parsed, and a
//! fingerprint survives its submission text, wrapped or not.

use nmaps_osdetect::fingerprint::{TEST_ATTRS, TEST_ORDER};
use nmaps_osdetect::{
    Fingerprint, OsDb, Rules, ScanLine, Test, compare, match_fingerprint, os_result,
    submission_lines, submission_text, wrap_os_lines,
};
use proptest::prelude::*;

const POINTS: &str = "MatchPoints\n\
SEQ(SP=25%GCD=75%ISR=25%TI=100%CI=50%II=100%SS=80%TS=100)\n\
OPS(O1=20%O2=20%O3=20%O4=20%O5=20%O6=20)\n\
WIN(W1=15%W2=15%W3=15%W4=15%W5=15%W6=15)\n\
ECN(R=100%DF=20%T=15%TG=15%W=15%O=15%CC=100%Q=20)\n\
T1(R=100%DF=20%T=15%TG=15%S=20%A=20%F=30%RD=20%Q=20)\n\
T2(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n\
T3(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n\
T4(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n\
T5(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n\
T6(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n\
T7(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n\
U1(R=50%DF=20%T=15%TG=15%IPL=100%UN=100%RIPL=100%RID=100%RIPCK=100%RUCK=100%RUD=100)\n\
IE(R=50%DFI=40%T=15%TG=15%CD=100)\n\n";

/// A database body in the format (fingerprints with classes, CPEs and
/// test lines of schema attributes with expression-like values), with
/// sometimes one line of noise, so that most cases parse and reach the
/// matcher.
fn db_like() -> impl Strategy<Value = String> {
    let test = (
        0..13usize,
        proptest::collection::btree_map(0..11usize, expr(), 0..5),
    )
        .prop_map(|(t, attrs)| {
            let names = TEST_ATTRS[t];
            let mut body: Vec<String> = Vec::new();
            for (a, v) in attrs {
                let name = names[a % names.len()];
                // R is Y or N in real files; keep other expressions rare.
                let v = match (name, v.len() % 4) {
                    ("R", 0) => "N".to_owned(),
                    ("R", 1 | 2) => "Y".to_owned(),
                    _ => v,
                };
                if !body.iter().any(|b| b.starts_with(&format!("{name}="))) {
                    body.push(format!("{name}={v}"));
                }
            }
            (t, format!("{}({})\n", TEST_ORDER[t], body.join("%")))
        });
    let print = (
        "[A-Za-z0-9][A-Za-z0-9 .]{0,11}",
        proptest::collection::vec(("[a-z]{0,3}", "[0-9.X]{0,3}", any::<bool>()), 0..3),
        proptest::collection::vec(test, 0..13),
    )
        .prop_map(|(name, classes, tests)| {
            let mut s = format!("Fingerprint {name}\n");
            for (v, g, cpe) in classes {
                s += &format!("Class {v} | {v}OS | {g} | general purpose\n");
                if cpe {
                    s += &format!("CPE cpe:/o:{v}:{v}os:{g} auto\n");
                }
            }
            let mut seen = 0u16;
            for (t, line) in tests {
                if seen & (1 << t) == 0 {
                    seen |= 1 << t;
                    s += &line;
                }
            }
            s + "\n"
        });
    let noise = prop_oneof![
        6 => Just(String::new()),
        1 => Just("This nmap-os-db\n".to_owned()),
        1 => Just("Class | | |\n".to_owned()),
        1 => "[ -~]{0,30}\n",
    ];
    (
        proptest::collection::vec(print, 0..12),
        noise,
        any::<prop::sample::Index>(),
    )
        .prop_map(|(prints, noise, at)| {
            let mut lines: Vec<String> =
                prints.concat().lines().map(|l| format!("{l}\n")).collect();
            let i = at.index(lines.len() + 1);
            lines.insert(i, noise);
            lines.concat()
        })
}

/// Expression-like text.
fn expr() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            6 => "[0-9A-F]{1,2}",
            3 => Just("|".to_owned()),
            2 => Just("-".to_owned()),
            1 => Just(">".to_owned()),
            1 => Just("<".to_owned()),
            2 => "\\[[<>]?[0-9A-F]{1,2}(-[0-9A-F]{1,2})?\\]",
            1 => Just("[".to_owned()),
            1 => Just("]".to_owned()),
            1 => Just("M".to_owned()),
            1 => Just("S+".to_owned()),
            1 => Just("0".to_owned()),
        ],
        0..6,
    )
    .prop_map(|v| v.concat())
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9A-F]{0,2}", "[0-9A-F]{0,9}", "[A-Z0-9+]{0,12}", expr()]
}

/// A fingerprint of schema tests with plausible values.
fn fingerprint() -> impl Strategy<Value = Fingerprint> {
    proptest::collection::vec(
        (
            0..13usize,
            proptest::collection::vec((0..11usize, value()), 0..6),
        ),
        0..16,
    )
    .prop_map(|tests| Fingerprint {
        tests: tests
            .into_iter()
            .map(|(t, attrs)| {
                let mut test = Test::new(TEST_ORDER[t]);
                for (a, v) in attrs {
                    let name = TEST_ATTRS[t][a % TEST_ATTRS[t].len()];
                    if test.get(name).is_none() {
                        test.push(name, v.replace(['|', '[', ']', '<', '>'], ""));
                    }
                }
                test
            })
            .collect(),
    })
}

/// A value as a probe would produce it: a hex number without leading
/// zeros, a symbol, or nothing.
fn clean_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[1-9A-F][0-9A-F]{0,5}",
        1 => Just("0".to_owned()),
        2 => "[A-Z][A-Z0-9+]{0,5}",
        1 => Just(String::new()),
    ]
}

/// An expression that `v` satisfies under both rule sets: the value, an
/// alternative list ending in it, a range or a comparison around it.
fn expr_for(v: &str, form: u8, delta: u32) -> String {
    let hex = !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit());
    let n = u32::from_str_radix(v, 16).unwrap_or(0);
    match form % 5 {
        1 => format!("ZZ|{v}"),
        2 if hex => format!(
            "{:X}-{:X}",
            n.saturating_sub(delta),
            n.saturating_add(delta)
        ),
        3 if hex && n > 0 => format!(">{:X}", n - 1 - (delta % n)),
        4 if hex => format!("<{:X}", n.saturating_add(1 + delta).min(0xFFFFFF)),
        _ => v.to_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_text_never_panics_the_parsers(text in "\\PC{0,400}") {
        let _ = OsDb::parse(&text);
        let _ = OsDb::parse(&format!("{POINTS}{text}"));
        let _ = Fingerprint::parse(&text);
        let _ = ScanLine::parse(&text);
    }

    #[test]
    fn format_like_text_parses_and_matches_without_panic(
        body in db_like(),
        fp in fingerprint(),
        guess in any::<bool>(),
    ) {
        for rules in [Rules::Nmap793, Rules::Nmap795] {
            let parsed = OsDb::parse_with(&format!("{POINTS}{body}"), rules);
            let Ok(db) = parsed else {
                continue;
            };
            let list = match_fingerprint(&db, &fp);
            let (matches, _, _) = os_result(&db, &list, guess);
            prop_assert!(matches.len() <= 36);
            prop_assert!(list.candidates().windows(2).all(|w| w[0].accuracy >= w[1].accuracy));
            for c in list.candidates() {
                let full = compare(&db, c.index, &fp).unwrap();
                prop_assert_eq!(full.accuracy, c.accuracy);
                prop_assert!(c.accuracy >= 0.85);
            }
        }
        let text = submission_text(&ScanLine::default(), &fp);
        let _ = Fingerprint::parse(&text);
    }

    #[test]
    fn fingerprints_survive_their_submission_text(fp in fingerprint(), time in any::<u32>()) {
        let scan = ScanLine { version: "7.93".into(), engine: "4".into(), time, ..ScanLine::default() };
        let canonical = fp.canonical();
        let text = submission_text(&scan, &fp);
        prop_assert_eq!(&Fingerprint::parse(&text).unwrap(), &canonical);
        prop_assert_eq!(&Fingerprint::parse(&wrap_os_lines(&text)).unwrap(), &canonical);
        prop_assert_eq!(&Fingerprint::parse(&submission_lines(&scan, &fp)).unwrap(), &canonical);
        prop_assert_eq!(ScanLine::parse(&wrap_os_lines(&text)).unwrap(), scan);
        prop_assert!(wrap_os_lines(&text).lines().all(|l| l.len() <= 75 && l.starts_with("OS:")));
    }

    #[test]
    fn a_reference_made_from_a_fingerprint_matches_it_perfectly(
        tests in proptest::collection::btree_map(
            0..13usize,
            proptest::collection::btree_map(1..11usize, (clean_value(), any::<u8>(), 0..40u32), 1..6),
            1..13,
        ),
    ) {
        let mut fp = Fingerprint::default();
        let mut db = format!("{POINTS}Fingerprint Self\nClass V | F | 1.X | t\n");
        for (t, attrs) in tests {
            let names = TEST_ATTRS[t];
            let mut test = Test::new(TEST_ORDER[t]);
            let mut line = Vec::new();
            if names[0] == "R" {
                test.push("R", "Y");
                line.push("R=Y".to_owned());
            }
            let first = usize::from(names[0] == "R");
            for (a, (v, form, delta)) in attrs {
                let name = names[first + a % (names.len() - first)];
                if test.get(name).is_none() {
                    line.push(format!("{name}={}", expr_for(&v, form, delta)));
                    test.push(name, v);
                }
            }
            db += &format!("{}({})\n", TEST_ORDER[t], line.join("%"));
            fp.tests.push(test);
        }
        for rules in [Rules::Nmap793, Rules::Nmap795] {
            let db = OsDb::parse_with(&db, rules).unwrap();
            let list = match_fingerprint(&db, &fp);
            prop_assert_eq!(list.best_accuracy(), Some(1.0), "{:?}", compare(&db, 0, &fp));
            let (m, v, _) = os_result(&db, &list, false);
            prop_assert_eq!(v, nmaps_model::OsVerdict::Perfect);
            prop_assert_eq!(&m[0].name, "Self");
        }
    }
}
