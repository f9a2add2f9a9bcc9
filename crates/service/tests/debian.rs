//! Against Debian's installed `/usr/share/nmap/nmap-service-probes` (read at
//! run time, never copied). Each test is skipped when the file is absent.
#![allow(clippy::print_stderr)]

use nmaps_service::{MatchOutcome, ProbeDb, Proto};
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const FILE: &str = "/usr/share/nmap/nmap-service-probes";

fn db() -> Option<&'static ProbeDb> {
    static DB: OnceLock<Option<ProbeDb>> = OnceLock::new();
    DB.get_or_init(|| {
        if !Path::new(FILE).exists() {
            eprintln!("skipped: {FILE} is not installed");
            return None;
        }
        Some(ProbeDb::load(Path::new(FILE)).expect("Debian's file loads"))
    })
    .as_ref()
}

#[test]
fn loads_every_pattern() {
    let Some(_) = db() else { return };
    let text = std::fs::read(FILE).unwrap();
    let counted = text
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"match ") || l.starts_with(b"softmatch "))
        .count();
    let probes = text
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"Probe "))
        .count();
    let t = Instant::now();
    let db = ProbeDb::load(Path::new(FILE)).unwrap();
    let took = t.elapsed();
    eprintln!("loaded {} patterns in {took:?}", db.pattern_count());
    assert_eq!(db.pattern_count(), counted);
    assert_eq!(db.probes.len(), probes);
    assert!(counted > 10_000);
    let null = db.null_probe().expect("NULL probe");
    assert_eq!(db.probes[null].name, "NULL");
    assert_eq!(
        db.probes[null].tcpwrapped,
        Some(Duration::from_millis(3000))
    );
    assert_eq!(
        db.probes[null].total_wait,
        Some(Duration::from_millis(6000))
    );
    assert!(db.is_excluded(Proto::Tcp, 9100));
    assert!(db.is_excluded(Proto::Tcp, 9107));
    assert!(!db.is_excluded(Proto::Tcp, 9108));
    assert!(!db.is_excluded(Proto::Udp, 9100));
}

fn probe(db: &ProbeDb, name: &str) -> usize {
    db.probe(Proto::Tcp, name)
        .or_else(|| db.probe(Proto::Udp, name))
        .unwrap_or_else(|| panic!("probe {name}"))
}

fn hard(o: MatchOutcome) -> nmaps_service::Found {
    match o {
        MatchOutcome::Hard(f) => f,
        other => panic!("expected a hard match, got {other:?}"),
    }
}

/// Verified with Debian's nmap 7.93 (`nmap -sV` against a server sending
/// this banner, in a private network namespace).
#[test]
fn openssh_banner_on_null_probe() {
    let Some(db) = db() else { return };
    let null = db.null_probe().unwrap();
    let f = hard(db.match_response(null, b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", None));
    assert_eq!(f.service, "ssh");
    assert_eq!(f.info.product.as_deref(), Some("OpenSSH"));
    assert_eq!(f.info.version.as_deref(), Some("9.2p1 Debian 2+deb12u3"));
    assert_eq!(f.info.extrainfo.as_deref(), Some("protocol 2.0"));
    assert_eq!(f.info.ostype.as_deref(), Some("Linux"));
    assert_eq!(f.info.hostname, None);
    assert_eq!(
        f.info.cpes,
        ["cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"]
    );
}

/// Each case verified with Debian's nmap 7.93 the same way (see
/// docs/service-db.md): response on the NULL probe → service, product,
/// version, extra info, CPEs.
#[test]
fn more_banners_as_nmap_reports_them() {
    let Some(db) = db() else { return };
    let null = db.null_probe().unwrap();
    type Case<'a> = (&'a [u8], &'a str, [Option<&'a str>; 5], &'a [&'a str]);
    // [product, version, extrainfo, hostname, ostype]
    let cases: &[Case<'_>] = &[
        (
            b"220 (vsFTPd 3.0.3)\r\n",
            "ftp",
            [Some("vsftpd"), Some("3.0.3"), None, None, Some("Unix")],
            &["cpe:/a:vsftpd:vsftpd:3.0.3"],
        ),
        (
            b"220 mail.example.test ESMTP Postfix (Debian/GNU)\r\n",
            "smtp",
            // Nmap keeps the blank the pattern captures.
            [
                Some("Postfix smtpd"),
                None,
                None,
                Some(" mail.example.test"),
                None,
            ],
            &["cpe:/a:postfix:postfix"],
        ),
    ];
    for (resp, svc, fields, cpes) in cases {
        let f = hard(db.match_response(null, resp, None));
        assert_eq!(&f.service, svc, "{}", String::from_utf8_lossy(resp));
        let i = &f.info;
        let got =
            [&i.product, &i.version, &i.extrainfo, &i.hostname, &i.ostype].map(|v| v.as_deref());
        assert_eq!(&got, fields);
        assert_eq!(i.devicetype, None);
        assert_eq!(&i.cpes, cpes);
    }
}

#[test]
fn http_response_matches_through_get_request() {
    let Some(db) = db() else { return };
    let get = probe(db, "GetRequest");
    let resp = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.2\r\nDate: Sun, 29 Nov 2026 10:00:00 GMT\r\nContent-type: text/html\r\n\r\n<html></html>";
    let f = hard(db.match_response(get, resp, None));
    assert_eq!(f.service, "http");
    assert_eq!(f.info.product.as_deref(), Some("SimpleHTTPServer"));
    assert_eq!(f.info.version.as_deref(), Some("0.6"));
    assert_eq!(f.info.extrainfo.as_deref(), Some("Python 3.11.2"));
    // Two `cpe:/a` templates on the line: the last one wins, as nmap shows.
    assert_eq!(f.info.cpes, ["cpe:/a:python:simplehttpserver:0.6"]);
}

#[test]
fn unknown_data_matches_nothing() {
    let Some(db) = db() else { return };
    let null = db.null_probe().unwrap();
    assert_eq!(
        db.match_response(null, b"\x01\x02zzqx nothing known here\x03", None),
        MatchOutcome::None
    );
}

#[test]
fn plan_follows_ports_and_rarity() {
    let Some(db) = db() else { return };
    let null = db.null_probe().unwrap();
    for intensity in 0..=9u8 {
        let plan = db.plan(Proto::Tcp, 80, intensity, false);
        assert_eq!(plan[0], null);
        // Every probe listing port 80 comes right after NULL, in file order.
        let listed: Vec<usize> = (0..db.probes.len())
            .filter(|&i| {
                i != null && db.probes[i].proto == Proto::Tcp && db.probes[i].ports.contains(80)
            })
            .collect();
        assert_eq!(&plan[1..=listed.len()], listed.as_slice());
        for &i in &plan[1 + listed.len()..] {
            assert!(db.probes[i].rarity <= intensity);
            assert_eq!(db.probes[i].proto, Proto::Tcp);
        }
        let rest: Vec<usize> = (0..db.probes.len())
            .filter(|&i| {
                i != null
                    && db.probes[i].proto == Proto::Tcp
                    && !db.probes[i].ports.contains(80)
                    && db.probes[i].rarity <= intensity
            })
            .collect();
        assert_eq!(&plan[1 + listed.len()..], rest.as_slice());
    }
    // UDP: no NULL probe.
    let udp = db.plan(Proto::Udp, 53, 7, false);
    assert!(!udp.contains(&null));
    assert!(udp.iter().all(|&i| db.probes[i].proto == Proto::Udp));
    // Through TLS the sslports lists count: 443 is listed for GetRequest.
    let tls = db.plan(Proto::Tcp, 443, 0, true);
    assert!(tls.contains(&probe(db, "GetRequest")));
    let plain = db.plan(Proto::Tcp, 443, 0, false);
    assert!(!plain.contains(&probe(db, "GetRequest")));
}

#[test]
fn fallbacks_are_resolved() {
    let Some(db) = db() else { return };
    let text = std::fs::read_to_string(FILE).unwrap();
    let mut with_fallback = 0;
    let mut current = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Probe ") {
            let mut w = rest.split(' ');
            let proto = if w.next() == Some("TCP") {
                Proto::Tcp
            } else {
                Proto::Udp
            };
            current = db.probe(proto, w.next().unwrap());
        } else if let Some(names) = line.strip_prefix("fallback ") {
            with_fallback += 1;
            let p = &db.probes[current.unwrap()];
            let got: Vec<&str> = p
                .fallback
                .iter()
                .map(|&i| db.probes[i].name.as_str())
                .collect();
            let want: Vec<&str> = names.split(',').map(str::trim).collect();
            assert_eq!(got, want, "probe {}", p.name);
            let chain = db.match_chain(current.unwrap());
            assert_eq!(chain[0], current.unwrap());
            if p.proto == Proto::Tcp {
                assert_eq!(chain.last(), db.null_probe().as_ref());
            }
        }
    }
    assert!(with_fallback > 5);
}

#[test]
fn every_pattern_survives_hostile_input_quickly() {
    let Some(db) = db() else { return };
    let mut inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![0; 4096],
        vec![b'a'; 4096],
        b"HTTP/1.1 200 OK\r\n".repeat(200),
        (0..=255u8).cycle().take(4096).collect(),
    ];
    inputs.push(
        b"SSH-2.0-"
            .iter()
            .copied()
            .chain(std::iter::repeat_n(b'x', 4000))
            .collect(),
    );
    let t = Instant::now();
    for input in &inputs {
        for p in 0..db.probes.len() {
            let _ = db.match_response(p, input, None);
        }
    }
    let took = t.elapsed();
    eprintln!(
        "{} probes x {} inputs in {took:?}",
        db.probes.len(),
        inputs.len()
    );
    assert!(took < Duration::from_secs(60));
}

/// Verified with Debian's nmap 7.93: control and non-ASCII bytes in a
/// capture print as `.`, and a capture stops at a NUL byte.
#[test]
fn unprintable_captures_as_nmap_shows_them() {
    let Some(db) = db() else { return };
    let null = db.null_probe().unwrap();
    let f = hard(db.match_response(null, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\x01x\xe9y\r\n", None));
    assert_eq!(f.info.version.as_deref(), Some("9.2p1 Debian 2.x.y"));
    let f = hard(db.match_response(null, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\0zz\r\n", None));
    assert_eq!(f.info.version.as_deref(), Some("9.2p1 Debian 2"));
    assert_eq!(
        f.info.cpes,
        ["cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"]
    );
}
