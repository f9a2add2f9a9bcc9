//! Feeds arbitrary bytes to the nmap-os-db parser (under both rule sets)
//! and to the fingerprint and SCAN-line parsers. The input is a database
//! text, then optionally a NUL byte and a fingerprint text; whatever parses
//! is matched. Nothing may panic, and a parsed fingerprint must survive
//! its wrapped submission text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nmaps_osdetect::{
    Fingerprint, OsDb, Rules, ScanLine, match_fingerprint, os_result,
    submission_text, wrap_os_lines,
};

fuzz_target!(|data: &[u8]| {
    let (db_part, fp_part) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };
    let db_text = String::from_utf8_lossy(db_part);
    let fp_text = String::from_utf8_lossy(fp_part);
    let subject = Fingerprint::parse(&fp_text).ok();
    let _ = ScanLine::parse(&fp_text);
    if let Some(fp) = &subject {
        let again = wrap_os_lines(&submission_text(&ScanLine::default(), fp));
        assert_eq!(Fingerprint::parse(&again).ok().as_ref(), Some(&fp.canonical()));
    }
    for rules in [Rules::Nmap793, Rules::Nmap795] {
        let Ok(db) = OsDb::parse_with(&db_text, rules) else {
            continue;
        };
        let fp = subject.clone().unwrap_or_default();
        let list = match_fingerprint(&db, &fp);
        let _ = os_result(&db, &list, true);
        let _ = os_result(&db, &list, false);
    }
});
