//! The parser, directive by directive, and its errors.

use nmaps_service::{DbError, PortSet, ProbeDb, Proto};
use std::time::Duration;

fn parse(text: &str) -> ProbeDb {
    ProbeDb::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn err(text: &str) -> DbError {
    match ProbeDb::parse(text) {
        Ok(_) => panic!("should fail:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn every_directive() {
    let db = parse(
        "# comment\n\
         \n\
         Exclude T:9100-9102,U:30000\n\
         Probe TCP NULL q||\n\
         totalwaitms 6000\n\
         tcpwrappedms 3000\n\
         match ftp m/^220 (\\S+) FTP/ p/$1 ftpd/\n\
         softmatch ftp m|^220 |\n\
         \n\
         Probe TCP Hello q=HELLO\\r\\n= no-payload\n\
         rarity 3\n\
         ports 21,80-82\n\
         ports 8080\n\
         sslports 443, 8443-8444\n\
         fallback NULL\n\
         match hello m=^HI=i\n\
         Probe UDP Ping q/\\x01\\x02/\n\
         rarity 9\n\
         fallback Hello\n",
    );
    assert_eq!(db.probes.len(), 3);
    assert_eq!(db.pattern_count(), 3);
    assert_eq!(db.null_probe(), Some(0));
    let null = &db.probes[0];
    assert_eq!(
        (null.proto, null.name.as_str(), null.line),
        (Proto::Tcp, "NULL", 4)
    );
    assert!(null.payload.is_empty() && null.is_null());
    assert_eq!(null.total_wait, Some(Duration::from_millis(6000)));
    assert_eq!(null.tcpwrapped, Some(Duration::from_millis(3000)));
    assert_eq!(null.rarity, 5);
    assert_eq!(null.matches[0].service, "ftp");
    assert!(!null.matches[0].soft);
    assert_eq!(null.matches[0].line, 7);
    assert!(null.matches[1].soft);
    assert_eq!(null.matches[1].line, 8);

    let hello = &db.probes[1];
    assert_eq!(hello.payload, b"HELLO\r\n");
    assert!(hello.no_payload);
    assert_eq!(hello.rarity, 3);
    assert_eq!(hello.wait(), Duration::from_millis(5000));
    assert_eq!(hello.tcpwrapped_wait(), Duration::from_millis(2000));
    for p in [21, 80, 81, 82, 8080] {
        assert!(hello.ports.contains(p), "{p}");
    }
    assert!(!hello.ports.contains(83));
    assert!(hello.sslports.contains(443) && hello.sslports.contains(8444));
    assert!(!hello.sslports.contains(80));
    assert_eq!(hello.fallback, vec![0]);
    assert!(hello.matches[0].caseless && !hello.matches[0].dotall);

    let ping = &db.probes[2];
    assert_eq!(ping.proto, Proto::Udp);
    assert_eq!(ping.payload, [1, 2]);
    assert!(!ping.no_payload);
    assert_eq!(ping.fallback, vec![1]);
    assert_eq!(db.match_chain(2), vec![2, 1]); // UDP: no NULL at the end
    assert_eq!(db.match_chain(1), vec![1, 0, 0]); // fallback NULL, then NULL again
    assert_eq!(db.match_chain(0), vec![0]);

    assert!(db.is_excluded(Proto::Tcp, 9100) && db.is_excluded(Proto::Tcp, 9102));
    assert!(!db.is_excluded(Proto::Tcp, 9103) && !db.is_excluded(Proto::Udp, 9100));
    assert!(db.is_excluded(Proto::Udp, 30000) && !db.is_excluded(Proto::Tcp, 30000));
}

#[test]
fn unprefixed_exclude_covers_both_protocols() {
    let db = parse("Exclude 7,9\nProbe TCP NULL q||\n");
    assert!(db.is_excluded(Proto::Tcp, 7) && db.is_excluded(Proto::Udp, 9));
    let db = parse("Probe TCP NULL q||\n");
    assert!(!db.is_excluded(Proto::Tcp, 9100));
}

#[test]
fn payload_escapes() {
    let cases: &[(&str, &[u8])] = &[
        (r"\0", b"\0"),
        (r"\a\b\f\n\r\t\v", b"\x07\x08\x0c\n\r\t\x0b"),
        (r"\\", b"\\"),
        (r"\x00\xff\x7F\xaB", b"\x00\xff\x7f\xab"),
        (r"a\.b\-c\ d", b"a.b-c d"),
        (r"plain text", b"plain text"),
        (r#"\""#, b"\""),
    ];
    for (esc, want) in cases {
        for delim in ['|', '=', '%', '#', '!'] {
            let db = parse(&format!("Probe TCP X q{delim}{esc}{delim}\n"));
            assert_eq!(db.probes[0].payload, *want, "{esc} with {delim}");
        }
    }
    // The payload ends at the first delimiter, which cannot be escaped.
    let db = parse("Probe TCP X q|a|b|\n");
    assert_eq!(db.probes[0].payload, b"a");
    // `q|a\|` ends after a lone backslash.
    assert!(err("Probe TCP X q|a\\|\n").message.contains("escaping"));
}

#[test]
fn match_delimiters_flags_and_templates() {
    let db = parse(
        "Probe TCP X q|x|\n\
         match a m|^a| p/A/\n\
         match b m=^b=si p|B/b| v#1.0# i%x% h!h! o'o' d;d; cpe:/a:x:y/a cpe:|o:z:w|\n\
         softmatch c m,c,\n\
         match d m/d/ p/one/ p/two/\n",
    );
    let m = &db.probes[0].matches;
    assert_eq!(m.len(), 4);
    assert_eq!(m[0].pattern, "^a");
    assert!(m[1].caseless && m[1].dotall);
    let t = &m[1].templates;
    assert_eq!(t.product.as_deref(), Some(&b"B/b"[..]));
    assert_eq!(t.version.as_deref(), Some(&b"1.0"[..]));
    assert_eq!(t.info.as_deref(), Some(&b"x"[..]));
    assert_eq!(t.hostname.as_deref(), Some(&b"h"[..]));
    assert_eq!(t.ostype.as_deref(), Some(&b"o"[..]));
    assert_eq!(t.devicetype.as_deref(), Some(&b"d"[..]));
    assert_eq!(t.cpes, vec![b"cpe:/a:x:y".to_vec(), b"cpe:/o:z:w".to_vec()]);
    assert!(m[2].soft);
    // A repeated template replaces the first.
    assert_eq!(m[3].templates.product.as_deref(), Some(&b"two"[..]));
}

#[test]
fn port_lists() {
    let s = PortSet::parse("1,2,10-20").unwrap();
    assert!(s.contains(1) && s.contains(2) && s.contains(10) && s.contains(20));
    assert!(!s.contains(3) && !s.contains(21) && !s.contains(0));
    assert_eq!(s.ranges(), &[(1, 1), (2, 2), (10, 20)]);
    assert!(PortSet::parse(" 0 , 65535 ").unwrap().contains(0));
    // Nmap allows blanks before the dash, not after it.
    assert!(PortSet::parse("1 -5").unwrap().contains(3));
    for bad in [
        "", "80,", ",80", "a", "1-", "20-10", "65536", "1;2", "1 2", "-5", "1- 5",
    ] {
        assert!(PortSet::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn errors_name_the_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("match x m/a/\n", 1, "Probe"),
        ("# c\n\nports 80\n", 3, "Probe"),
        ("Probe TCP NULL q||\nfoo bar\n", 2, "unknown directive"),
        (
            "Probe TCP NULL q||\n match x m/a/\n",
            2,
            "unknown directive",
        ),
        ("Probe SCTP X q|a|\n", 1, "protocol"),
        ("Probe TCP  X q|a|\n", 1, "probe name"),
        ("Probe TCP X\n", 1, "nothing after probe name"),
        ("Probe TCP X p|a|\n", 1, "'q'"),
        ("Probe TCP X q\n", 1, "delimiter"),
        ("Probe TCP X q|abc\n", 1, "ending delimiter"),
        ("Probe TCP X q|\\q|\n", 1, "escap"),
        ("Probe TCP X q|\\x4|\n", 1, "escap"),
        ("Probe TCP X q|\\xZZ|\n", 1, "escap"),
        ("Probe TCP X q|a\\|\n", 1, "escaping"),
        ("Probe TCP X q|a|\nmatch x m/(/\n", 2, "regex"),
        ("Probe TCP X q|a|\nmatch x m/a\n", 2, "delimiter"),
        ("Probe TCP X q|a|\nmatch x m/a/x\n", 2, "option"),
        ("Probe TCP X q|a|\nmatch x r/a/\n", 2, "'m'"),
        ("Probe TCP X q|a|\nmatch x\n", 2, "service name"),
        ("Probe TCP X q|a|\nmatch x m/a/ z/b/\n", 2, "template"),
        ("Probe TCP X q|a|\nmatch x m/a/ p/b\n", 2, "delimiter"),
        ("Probe TCP X q|a|\nmatch x m/a/ p\n", 2, "delimiter"),
        ("Probe TCP X q|a|\nrarity 0\n", 2, "rarity"),
        ("Probe TCP X q|a|\nrarity 10\n", 2, "rarity"),
        ("Probe TCP X q|a|\nrarity x\n", 2, "rarity"),
        ("Probe TCP X q|a|\nports 80,\n", 2, "port"),
        ("Probe TCP X q|a|\nsslports 70000\n", 2, "port"),
        ("Probe TCP X q|a|\ntotalwaitms 99\n", 2, "totalwaitms"),
        ("Probe TCP X q|a|\ntcpwrappedms 300001\n", 2, "tcpwrappedms"),
        (
            "Probe TCP X q|a|\n\nfallback Nope\n",
            3,
            "unknown fallback 'Nope'",
        ),
        (
            "Probe UDP X q|a|\nfallback NULL\nProbe TCP NULL q||\n",
            2,
            "unknown fallback",
        ),
        ("Probe TCP X q|a|\nExclude T:1\n", 2, "Exclude"),
        ("Exclude T:1\nExclude T:2\n", 2, "only one Exclude"),
        ("Exclude T:zzz-\n", 1, "Exclude"),
        ("Probe TCP A q||\nProbe TCP B q||\n", 2, "NULL"),
        (
            "Probe TCP A q|a|\nfallback a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r\n",
            2,
            "fallbacks",
        ),
    ];
    for (text, line, needle) in cases {
        let e = err(text);
        assert_eq!(e.line, *line, "{text:?}: {e}");
        assert!(e.message.contains(needle), "{text:?}: {e}");
        assert_eq!(e.to_string(), format!("line {}: {}", e.line, e.message));
    }
}

#[test]
fn load_prefixes_the_path() {
    let dir = std::env::temp_dir().join(format!("nmaps-svc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("probes");
    std::fs::write(&f, "Probe TCP NULL q||\nbogus\n").unwrap();
    let e = ProbeDb::load(&f).unwrap_err();
    assert_eq!(e, format!("{}: line 2: unknown directive", f.display()));
    std::fs::write(&f, "Probe TCP NULL q||\r\nmatch a m|^a\\r$|\r\n").unwrap();
    let db = ProbeDb::load(&f).unwrap();
    assert_eq!(db.pattern_count(), 1);
    let missing = ProbeDb::load(&dir.join("none")).unwrap_err();
    assert!(missing.starts_with(&format!("{}: ", dir.join("none").display())));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn non_utf8_patterns_match_bytes() {
    let db =
        ProbeDb::parse_bytes(b"Probe TCP NULL q||\nmatch a m|^\xe9\\\xff(.)| p/$1/\n").unwrap();
    let f = match db.match_response(0, b"\xe9\xffZ", None) {
        nmaps_service::MatchOutcome::Hard(f) => f,
        o => panic!("{o:?}"),
    };
    assert_eq!(f.info.product.as_deref(), Some("Z"));
}
