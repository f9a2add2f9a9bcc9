//! Feeds arbitrary bytes to the nmap-service-probes parser; when they parse,
//! matches the same bytes against every probe (templates included), with
//! and without an earlier soft match, and walks the probe order. Nothing may
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nmaps_service::{ProbeCursor, ProbeDb, Proto};

fuzz_target!(|data: &[u8]| {
    // `Exclude` goes to nmaps-targets' port-spec parser, whose service-name
    // wildcard lookups would take most of the time; one input in 16 keeps
    // that path covered.
    if data.first().is_some_and(|b| b & 0x0f != 0) && data.windows(8).any(|w| w == b"Exclude ") {
        return;
    }
    let Ok(db) = ProbeDb::parse_bytes_with(data, false) else {
        return;
    };
    let _ = db.pattern_count();
    for p in 0..db.probes.len() {
        let _ = db.match_response(p, data, None);
        let _ = db.match_response(p, data, Some("x"));
        let _ = db.probe_can_match(p, "x");
    }
    for proto in [Proto::Tcp, Proto::Udp] {
        let _ = db.plan(proto, 80, 9, false);
        let _ = db.is_excluded(proto, 9100);
        let mut c = ProbeCursor::new(proto, 443, 7, true);
        while c.next(&db, Some("http")).is_some() {}
    }
});
