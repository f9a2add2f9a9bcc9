//! Matches arbitrary responses against Debian's nmap-service-probes when it
//! is installed (a small built-in database otherwise, or when
//! `NMAPS_FUZZ_BUILTIN` is set: much faster): the first byte picks
//! the probe, the rest is the response, tried against that probe's lines
//! and, for one input in 16, its whole chain (fallbacks and NULL). Also
//! builds the service fingerprint of the response. Nothing may panic, and
//! every version field must stay printable and bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nmaps_service::fingerprint::{FpParams, service_fingerprint};
use nmaps_service::{MatchOutcome, ProbeDb, Proto};
use std::sync::OnceLock;

const BUILTIN: &str = r#"Probe TCP NULL q||
match ssh m|^SSH-([\d.]+)-OpenSSH_([\w._-]+)[ -]{1,2}Debian[ -_]([^\r\n]+)\r?\n| p/OpenSSH/ v/$2 Debian $3/ i/protocol $1/ o/Linux/ cpe:/a:openbsd:openssh:$2/ cpe:/o:linux:linux_kernel/a
match x m|^X(.)(.{0,8})(.*)|s p/$P(3)/ v/$I(2,">")/ i/$SUBST(3,"a","\x20")/ h/$1/ cpe:/a:$3:$2/ cpe:/h:$1/
softmatch ftp m|^220[- ]|
Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n|
fallback NULL
match http m|^HTTP/1\.[01] \d\d\d .*\r\nServer: ([^\r\n]+)|s p/$1/ cpe:/a:$1/
Probe UDP DNS q|\0\0|
match dns m|^(..)\x81\x80|s v/$I(1,"<")/
"#;

fn db() -> &'static ProbeDb {
    static DB: OnceLock<ProbeDb> = OnceLock::new();
    DB.get_or_init(|| {
        let debian = std::path::Path::new("/usr/share/nmap/nmap-service-probes");
        match std::env::var_os("NMAPS_FUZZ_BUILTIN") {
            None => ProbeDb::load(debian).ok(),
            Some(_) => None,
        }
        .unwrap_or_else(|| ProbeDb::parse(BUILTIN).unwrap())
    })
}

fn check(o: &MatchOutcome) {
    if let MatchOutcome::Hard(f) | MatchOutcome::Soft(f) = o {
        let i = &f.info;
        for (v, max) in [
            (&i.product, 78),
            (&i.version, 78),
            (&i.extrainfo, 254),
            (&i.hostname, 78),
            (&i.ostype, 30),
            (&i.devicetype, 30),
        ] {
            if let Some(v) = v {
                assert!(v.len() <= max && v.bytes().all(|b| (0x20..0x7f).contains(&b)));
            }
        }
        for c in &i.cpes {
            assert!(c.len() <= 79 && c.bytes().all(|b| (0x20..0x7f).contains(&b)));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, resp)) = data.split_first() else {
        return;
    };
    let db = db();
    let p = usize::from(pick) % db.probes.len();
    for m in &db.probes[p].matches {
        if let Some(f) = m.try_match(resp) {
            check(&MatchOutcome::Hard(f));
        }
    }
    if pick & 0xf0 == 0 {
        check(&db.match_response(p, resp, None));
    }
    let params = FpParams {
        version: "7.93",
        intensity: 7,
        month: 11,
        day: 29,
        time: u64::from(pick) << 24,
        platform: "x86_64-pc-linux-gnu",
        debugging: pick & 1 == 1,
    };
    if let Some(fp) = service_fingerprint(Proto::Tcp, 80, pick & 2 == 2, &[("NULL", resp)], &params)
    {
        assert!(fp.is_ascii() && fp.ends_with(';'));
        assert!(fp.lines().all(|l| l.len() <= 75));
    }
});
