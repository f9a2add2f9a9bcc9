//! Nmap's matching order, soft/hard rules, probe order and regex limits.

use nmaps_service::{MatchOutcome, ProbeCursor, ProbeDb, Proto};
use proptest::prelude::*;
use std::time::{Duration, Instant};

const DB: &str = "\
Exclude T:9100
Probe TCP NULL q||
match ssh m|^SSH-2\\.0-(\\S+)\\r?\\n| p/$1/
softmatch ftp m|^220 |
match smtp m|^220 .*ESMTP| p/generic smtpd/
Probe TCP GenericLines q|\\r\\n\\r\\n|
rarity 1
ports 21,25
match ftp m|^220 FooFTP (\\S+)| p/FooFTP/ v/$1/
softmatch http m|^HTTP/1\\.[01] |
Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|
rarity 1
ports 80
sslports 443
match http m|^HTTP/1\\.[01] \\d+ .*\\r\\nServer: ([^\\r]+)|s p/$1/
Probe TCP Rare q|rare|
rarity 8
match ftp m|^220 RareFTP| p/RareFTP/
Probe TCP Mid q|mid|
rarity 5
ports 25
fallback GetRequest
match other m|^mid|
Probe UDP DNS q|\\0\\0|
rarity 1
ports 53
match dns m|^\\0\\0| p/dns/
Probe UDP Fallback q|x|
rarity 9
fallback DNS
";

fn db() -> ProbeDb {
    ProbeDb::parse(DB).unwrap()
}

fn names(db: &ProbeDb, v: &[usize]) -> Vec<String> {
    v.iter().map(|&i| db.probes[i].name.clone()).collect()
}

#[test]
fn plan_order() {
    let db = db();
    let n = |port, i, tls| names(&db, &db.plan(Proto::Tcp, port, i, tls));
    assert_eq!(
        n(21, 7, false),
        ["NULL", "GenericLines", "GetRequest", "Mid"]
    );
    assert_eq!(
        n(21, 9, false),
        ["NULL", "GenericLines", "GetRequest", "Rare", "Mid"]
    );
    assert_eq!(n(21, 0, false), ["NULL", "GenericLines"]);
    assert_eq!(n(25, 0, false), ["NULL", "GenericLines", "Mid"]);
    assert_eq!(n(80, 1, false), ["NULL", "GetRequest", "GenericLines"]);
    assert_eq!(n(443, 1, false), ["NULL", "GenericLines", "GetRequest"]);
    assert_eq!(n(443, 0, true), ["NULL", "GetRequest"]);
    assert_eq!(n(80, 0, true), ["NULL"]);
    let u = |port, i| names(&db, &db.plan(Proto::Udp, port, i, false));
    assert_eq!(u(53, 0), ["DNS"]);
    assert_eq!(u(53, 9), ["DNS", "Fallback"]);
    assert_eq!(u(54, 8), ["DNS"]);
    assert!(db.is_excluded(Proto::Tcp, 9100));
}

#[test]
fn cursor_narrows_after_a_soft_match() {
    let db = db();
    // Port 21, intensity 7: after the NULL probe soft-matches ftp, only
    // probes with an ftp line are sent, and Rare (rarity 8) becomes eligible.
    let mut c = ProbeCursor::new(Proto::Tcp, 21, 7, false);
    assert_eq!(c.next(&db, None), db.null_probe());
    let seq: Vec<_> = std::iter::from_fn(|| c.next(&db, Some("ftp"))).collect();
    assert_eq!(names(&db, &seq), ["GenericLines", "Rare"]);
    // At intensity 9 nothing is skipped.
    let mut c = ProbeCursor::new(Proto::Tcp, 21, 9, false);
    let seq: Vec<_> = std::iter::from_fn(|| c.next(&db, Some("ftp"))).collect();
    assert_eq!(
        names(&db, &seq),
        ["NULL", "GenericLines", "GetRequest", "Rare", "Mid"]
    );
    // A soft match found midway changes only what comes next.
    let mut c = ProbeCursor::new(Proto::Tcp, 21, 7, false);
    assert_eq!(names(&db, &[c.next(&db, None).unwrap()]), ["NULL"]);
    assert_eq!(names(&db, &[c.next(&db, None).unwrap()]), ["GenericLines"]);
    assert_eq!(
        names(&db, &[c.next(&db, Some("http")).unwrap()]),
        ["GetRequest"]
    );
    assert_eq!(c.next(&db, Some("http")), None);
    assert!(db.probe_can_match(db.probe(Proto::Tcp, "GenericLines").unwrap(), "http"));
    assert!(!db.probe_can_match(db.probe(Proto::Tcp, "Mid").unwrap(), "http"));
    assert!(!db.probe_can_match(999, "http"));
}

#[test]
fn first_matching_line_decides() {
    let db = db();
    let null = db.null_probe().unwrap();
    // The ftp softmatch line comes before the smtp match line: soft wins.
    let r = db.match_response(null, b"220 mx ESMTP\r\n", None);
    assert!(
        matches!(&r, MatchOutcome::Soft(f) if f.service == "ftp" && f.line == 4),
        "{r:?}"
    );
    // Already soft-matched: a soft match gives nothing, whatever its service.
    assert_eq!(
        db.match_response(null, b"220 mx ESMTP\r\n", Some("ftp")),
        MatchOutcome::None
    );
    assert_eq!(
        db.match_response(null, b"220 mx ESMTP\r\n", Some("imap")),
        MatchOutcome::None
    );
    let r = db.match_response(null, b"SSH-2.0-Foo_1\r\n", Some("ftp"));
    assert!(
        matches!(&r, MatchOutcome::Hard(f) if f.service == "ssh"),
        "{r:?}"
    );
}

#[test]
fn fallbacks_then_null() {
    let db = db();
    let generic = db.probe(Proto::Tcp, "GenericLines").unwrap();
    let mid = db.probe(Proto::Tcp, "Mid").unwrap();
    // Own line first.
    let r = db.match_response(generic, b"220 FooFTP 1.2\r\n", None);
    assert!(
        matches!(&r, MatchOutcome::Hard(f) if f.info.version.as_deref() == Some("1.2")),
        "{r:?}"
    );
    // The NULL probe's lines are tried after the probe's own.
    let r = db.match_response(generic, b"SSH-2.0-X\r\n", None);
    assert!(
        matches!(&r, MatchOutcome::Hard(f) if f.service == "ssh" && f.line == 3),
        "{r:?}"
    );
    // Mid: itself, then GetRequest (fallback), then NULL.
    assert_eq!(
        db.match_chain(mid),
        vec![mid, db.probe(Proto::Tcp, "GetRequest").unwrap(), 0]
    );
    let r = db.match_response(mid, b"HTTP/1.0 200 OK\r\nServer: tiny\r\n", None);
    assert!(
        matches!(&r, MatchOutcome::Hard(f) if f.info.product.as_deref() == Some("tiny")),
        "{r:?}"
    );
    // GenericLines has no fallback to GetRequest: only its softmatch.
    let r = db.match_response(generic, b"HTTP/1.0 200 OK\r\nServer: tiny\r\n", None);
    assert!(
        matches!(&r, MatchOutcome::Soft(f) if f.service == "http"),
        "{r:?}"
    );
    // UDP: no NULL probe at the end.
    let fb = db.probe(Proto::Udp, "Fallback").unwrap();
    assert_eq!(
        db.match_chain(fb),
        vec![fb, db.probe(Proto::Udp, "DNS").unwrap()]
    );
    assert!(matches!(
        db.match_response(fb, b"\0\0", None),
        MatchOutcome::Hard(_)
    ));
    assert_eq!(
        db.match_response(fb, b"SSH-2.0-X\r\n", None),
        MatchOutcome::None
    );
}

#[test]
fn hard_match_inherits_soft_fields() {
    let db = ProbeDb::parse(
        "Probe TCP NULL q||\nsoftmatch x m|^soft| p/SoftProduct/ o/Linux/ cpe:/o:linux:linux_kernel/ cpe:/a:soft:soft/\n\
         match x m|^hard| v/2.0/ cpe:/a:hard:hard/\n",
    )
    .unwrap();
    let MatchOutcome::Soft(soft) = db.match_response(0, b"soft", None) else {
        panic!()
    };
    let MatchOutcome::Hard(mut hard) = db.match_response(0, b"hard", Some("x")) else {
        panic!()
    };
    hard.inherit(&soft);
    assert_eq!(hard.info.product.as_deref(), Some("SoftProduct"));
    assert_eq!(hard.info.version.as_deref(), Some("2.0"));
    assert_eq!(hard.info.ostype.as_deref(), Some("Linux"));
    assert_eq!(
        hard.info.cpes,
        ["cpe:/a:hard:hard", "cpe:/o:linux:linux_kernel"]
    );
}

#[test]
fn pcre_semantics() {
    let db = ProbeDb::parse(
        "Probe TCP NULL q||\n\
         match dollar m|^end$| p/dollar/\n\
         match look m|^(?=abc)(a)(?!x)| p/look/\n\
         match back m|^(\\w)\\1| p/back/\n\
         match behind m|(?<=X)y$| p/behind/\n\
         match ci m|^hello|i p/ci/\n\
         match dot m|^a.b|s p/dot/\n\
         match nul m|^\\0\\x01| p/nul/\n",
    )
    .unwrap();
    let p = |r: &[u8]| match db.match_response(0, r, None) {
        MatchOutcome::Hard(f) => f.info.product,
        _ => None,
    };
    assert_eq!(p(b"end\n").as_deref(), Some("dollar")); // `$` before a final newline
    assert_eq!(p(b"end\n\n"), None);
    assert_eq!(p(b"abc").as_deref(), Some("look"));
    assert_eq!(p(b"zz").as_deref(), Some("back"));
    assert_eq!(p(b"Xy").as_deref(), Some("behind"));
    assert_eq!(p(b"HeLLo").as_deref(), Some("ci"));
    assert_eq!(p(b"a\nb").as_deref(), Some("dot"));
    assert_eq!(p(b"\0\x01").as_deref(), Some("nul"));
}

#[test]
fn catastrophic_backtracking_is_bounded() {
    let db = ProbeDb::parse(
        "Probe TCP NULL q||\nmatch evil m|^(a+)+$|\nmatch evil2 m|^(\\w+\\s?)*$|\nmatch evil3 m=^(a|a)*b$=\n",
    )
    .unwrap();
    let mut input = vec![b'a'; 5000];
    input.push(b'!');
    let t = Instant::now();
    assert_eq!(db.match_response(0, &input, None), MatchOutcome::None);
    let mut words = b"word ".repeat(2000);
    words.push(b'!');
    assert_eq!(db.match_response(0, &words, None), MatchOutcome::None);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parser_never_panics(text in "(Probe (TCP|UDP) [A-Za-z0-9]{0,4} q[|/=].{0,8}[|/=]( no-payload)?|match [a-z]{1,3} m[|/].{0,12}[|/][is]{0,2}( [pvihod]/[^/]{0,6}/| cpe:/[aho]:[^/]{0,6}/a?){0,3}|softmatch x m.{0,8}|ports [0-9,-]{0,8}|sslports .{0,6}|rarity .{0,3}|fallback [A-Za-z,]{0,8}|totalwaitms [0-9]{0,7}|tcpwrappedms .{0,4}|Exclude .{0,8}|#.{0,5}|.{0,10})(\n(Probe (TCP|UDP) [A-Za-z0-9]{1,4} q[|/=].{0,8}[|/=]|match [a-z]{1,3} m[|/].{0,12}[|/][is]{0,2}( [pvihod]/[^/]{0,6}/){0,3}|ports [0-9,-]{0,8}|rarity [0-9]|fallback [A-Za-z,]{0,8}|.{0,10})){0,8}") {
        if let Ok(db) = ProbeDb::parse(&text) {
            for p in 0..db.probes.len() {
                let _ = db.match_response(p, text.as_bytes(), None);
                let _ = db.match_response(p, text.as_bytes(), Some("x"));
            }
            let _ = db.plan(Proto::Tcp, 80, 9, false);
        }
    }

    #[test]
    fn parse_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = ProbeDb::parse_bytes(&bytes);
    }

    #[test]
    fn templates_never_panic(tmpl in ".{0,60}", subject in proptest::collection::vec(any::<u8>(), 0..40),
                             cpe in any::<bool>(), n in 0usize..300,
                             spans in proptest::collection::vec(proptest::option::of((0usize..50, 0usize..50)), 0..11)) {
        let caps: Vec<Option<(usize, usize)>> = spans;
        if let Some(v) = nmaps_service::template::substitute(tmpl.as_bytes(), &subject, &caps, n, cpe) {
            prop_assert!(v.len() < n.max(1));
        }
        let line = format!("Probe TCP NULL q||\nmatch x m|(.*)|s p/{}/ cpe:/a:{}/", tmpl.replace('/', ""), tmpl.replace('/', ""));
        if let Ok(db) = ProbeDb::parse(&line)
            && let MatchOutcome::Hard(f) = db.match_response(0, &subject, None)
        {
            for v in [f.info.product].into_iter().flatten().chain(f.info.cpes) {
                prop_assert!(v.len() < 80 && v.bytes().all(|b| (0x20..0x7f).contains(&b)));
            }
        }
    }
}
