//! Service fingerprints, checked against what Debian's nmap 7.93 printed for
//! a test server (in a private network namespace) that sent the response
//! built by `response()` on connect and closed.

use nmaps_service::Proto;
use nmaps_service::fingerprint::{FpParams, service_fingerprint, xml_form};

fn response() -> Vec<u8> {
    let mut b =
        b"\x00\x011abc XYZ \\?\"[]().*+$^|!#%&',-/:;<=>@_`{}~\r\n\t\x7f\x80\xff\x00".to_vec();
    b.extend(0u8..40);
    b.extend(std::iter::repeat_n(b'Q', 950));
    b
}

fn params() -> FpParams<'static> {
    FpParams {
        version: "7.93",
        intensity: 7,
        month: 11,
        day: 29,
        time: 0x6B0B_F3F7,
        platform: "x86_64-pc-linux-gnu",
        debugging: false,
    }
}

/// Nmap 7.93's output for `response()` on the NULL probe.
const EXPECTED: &str = r##"
SF-Port4567-TCP:V=7.93%I=7%D=11/29%Time=6B0BF3F7%P=x86_64-pc-linux-gnu%r(N
SF:ULL,410,"\0\x011abc\x20XYZ\x20\\\?\"\[\]\(\)\.\*\+\$\^\|!#%&',-/:;<=>@_
SF:`{}~\r\n\t\x7f\x80\xff\0\0\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\
SF:r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x
SF:1f\x20!\"#\$%&'QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
SF:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ");
"##;

#[test]
fn matches_nmap_byte_for_byte() {
    let r = response();
    let fp = service_fingerprint(Proto::Tcp, 4567, false, &[("NULL", &r)], &params()).unwrap();
    assert_eq!(fp, EXPECTED.trim());
    for line in fp.lines() {
        assert!(line.len() <= 74, "{line}");
    }
    assert!(fp.lines().skip(1).all(|l| l.starts_with("SF:")));
}

#[test]
fn header_variants_and_limits() {
    let p = FpParams {
        intensity: 9,
        month: 1,
        day: 2,
        time: 0x10,
        ..params()
    };
    let fp = service_fingerprint(
        Proto::Udp,
        53,
        true,
        &[("DNSStatusRequest", b"\x00\x019")],
        &p,
    )
    .unwrap();
    assert_eq!(
        fp,
        "SF-Port53-UDP:V=7.93%T=SSL%I=9%D=1/2%Time=10%P=x86_64-pc-linux-gnu%r(DNSSt\nSF:atusRequest,3,\"\\0\\x019\");"
    );
    // Nothing with data: no fingerprint.
    assert_eq!(
        service_fingerprint(Proto::Tcp, 1, false, &[("NULL", b"")], &params()),
        None
    );
    assert_eq!(
        service_fingerprint(Proto::Tcp, 1, false, &[], &params()),
        None
    );
    // Responses stop being added once the fingerprint is over 2200 chars.
    let big = vec![b'A'; 1000];
    let many: Vec<(&str, &[u8])> = (0..12).map(|_| ("GetRequest", big.as_slice())).collect();
    let fp = service_fingerprint(Proto::Tcp, 80, false, &many, &params()).unwrap();
    assert_eq!(fp.matches("%r(").count(), 3);
    let dbg = FpParams {
        debugging: true,
        ..params()
    };
    let fp = service_fingerprint(Proto::Tcp, 80, false, &many, &dbg).unwrap();
    assert_eq!(fp.matches("%r(").count(), 10);
    assert!(fp.contains(&format!("%r(GetRequest,3E8,\"{}", "A".repeat(20))));
}

#[test]
fn xml_form_joins_lines() {
    let r = response();
    let fp = service_fingerprint(Proto::Tcp, 4567, false, &[("NULL", &r)], &params()).unwrap();
    let x = xml_form(&fp);
    assert!(!x.contains('\n'));
    assert!(!x.contains("SF:ULL"));
    assert!(x.starts_with("SF-Port4567-TCP:V=7.93%I=7%D=11/29%Time=6B0BF3F7%P=x86_64-pc-linux-gnu%r(NULL,410,\"\\0\\x01"));
    assert!(x.ends_with("QQ\");"));
}
