//! Target syntax, exclude lists and -iL splitting.

use nmaps_targets::target::{TargetErrorKind, target_warning};
use nmaps_targets::{ExcludeList, TargetSpec, apply_prefix, parse_target, split_target_file};
use std::net::IpAddr;

fn addrs(tok: &str, v6: bool) -> Vec<String> {
    parse_target(tok, v6)
        .unwrap()
        .addrs()
        .unwrap()
        .map(|a| a.to_string())
        .collect()
}

#[test]
fn good_ipv4() {
    let cases: &[(&str, &[&str])] = &[
        ("10.0.0.1", &["10.0.0.1"]),
        ("10.0.0.01", &["10.0.0.1"]),
        ("10.0.0.1/32", &["10.0.0.1"]),
        ("10.0.0.1/33", &["10.0.0.1"]),
        ("10.0.0.1/31", &["10.0.0.0", "10.0.0.1"]),
        ("10.0.0-1.7", &["10.0.0.7", "10.0.1.7"]),
        ("10.0.0.1,3-4", &["10.0.0.1", "10.0.0.3", "10.0.0.4"]),
        ("10.0.0.254-", &["10.0.0.254", "10.0.0.255"]),
        ("10.0.0.-1", &["10.0.0.0", "10.0.0.1"]),
    ];
    for (tok, want) in cases {
        assert_eq!(addrs(tok, false), *want, "{tok}");
    }
    // Nmap widens each octet by the mask: 3 x 4 addresses.
    let t = parse_target("10.0.0-2.1/30", false).unwrap();
    assert_eq!(t.len(), Some(12));
    assert_eq!(
        t.addrs()
            .unwrap()
            .take(5)
            .map(|a| a.to_string())
            .collect::<Vec<_>>(),
        ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.1.0"]
    );
    assert_eq!(parse_target("10.0.0.*", false).unwrap().len(), Some(256));
    assert_eq!(parse_target("10.0.0.-", false).unwrap().len(), Some(256));
    assert_eq!(
        parse_target("198.18.0-3,7.1-254", false).unwrap().len(),
        Some(5 * 254)
    );
    assert_eq!(
        parse_target("10.0.0,1,3-7.-", false).unwrap().len(),
        Some(7 * 256)
    );
    let big = parse_target("10.0.0.0/8", false).unwrap();
    assert_eq!(big.len(), Some(1 << 24));
    let mut it = big.addrs().unwrap();
    assert_eq!(it.next().unwrap().to_string(), "10.0.0.0");
    assert_eq!(it.nth(255).unwrap().to_string(), "10.0.1.0");
    assert_eq!(
        parse_target("0.0.0.0/0", false).unwrap().len(),
        Some(1 << 32)
    );
    assert_eq!(
        target_warning("10.0.0.1/33", false).unwrap(),
        "Illegal netmask in \"10.0.0.1/33\". Assuming /32 (one host)"
    );
    assert!(target_warning("10.0.0.1/32", false).is_none());
}

#[test]
fn good_ipv6_and_names() {
    assert_eq!(addrs("::1/127", true), ["::", "::1"]);
    assert_eq!(addrs("::1/129", true), ["::1"]);
    let z = parse_target("fe80::1%eth0", true).unwrap();
    assert_eq!(z.zone(), Some("eth0"));
    let n = parse_target("2001:db8::/64", true).unwrap();
    assert_eq!(n.len(), Some(1u128 << 64));
    assert_eq!(
        n.addrs().unwrap().nth(3).unwrap().to_string(),
        "2001:db8::3"
    );
    assert_eq!(parse_target("::/0", true).unwrap().len(), Some(u128::MAX));
    assert_eq!(
        parse_target("scanme.example.org/24", false).unwrap(),
        TargetSpec::Hostname {
            name: "scanme.example.org".into(),
            prefix: Some(24)
        }
    );
    for name in ["localhost", "a_b.example.", "127.1", "10.0.0.256", "x-1.y"] {
        assert!(parse_target(name, false).unwrap().is_hostname(), "{name}");
    }
    let r = apply_prefix("192.168.5.77".parse().unwrap(), 24);
    assert_eq!(r.len(), 256);
    assert!(r.contains("192.168.5.0".parse().unwrap()));
    assert!(!r.contains("192.168.6.0".parse().unwrap()));
}

#[test]
fn bad_targets() {
    use TargetErrorKind as K;
    let cases: &[(&str, bool, K)] = &[
        ("10.0.0.1/", false, K::BadNetmask),
        ("10.0.0.1/-1", false, K::BadNetmask),
        ("10.0.0.1/a", false, K::BadNetmask),
        ("10.0.0.1/99999999999", false, K::BadNetmask),
        ("::1", false, K::Ipv6WithoutFlag),
        ("fe80::1%lo/64", false, K::Ipv6WithoutFlag),
        ("10.0.0.1", true, K::Ipv4WithFlag),
        ("10.0.0.1-5", true, K::Ipv4WithFlag),
        ("10.0.0.1,", false, K::InvalidName),
        ("a..b", false, K::InvalidName),
        ("-foo", false, K::InvalidName),
        ("", false, K::InvalidName),
        ("[::1]", true, K::InvalidName),
        ("1.2.3.4%x", false, K::InvalidName),
        ("10.0.0.1/24/8", false, K::InvalidName),
    ];
    for (tok, v6, kind) in cases {
        let e = parse_target(tok, *v6).unwrap_err();
        assert_eq!(e.kind, *kind, "{tok}");
        assert!(e.to_string().contains(&format!("{tok:?}")), "{e}");
        assert!(!e.to_string().contains('\n'));
    }
    assert_eq!(
        parse_target("::1", false).unwrap_err().nmap_message(),
        "::1 looks like an IPv6 target specification -- you have to use the -6 option."
    );
}

#[test]
fn exclude_lists() {
    let mut ex =
        ExcludeList::from_exclude_arg("10.0.0.1,192.168.0.0/16,172.16.1-2.*,::1,gw.lan/30", false)
            .unwrap();
    let has = |ex: &ExcludeList, a: &str| ex.contains(a.parse::<IpAddr>().unwrap());
    assert!(has(&ex, "10.0.0.1"));
    assert!(!has(&ex, "10.0.0.2"));
    assert!(has(&ex, "192.168.200.3"));
    assert!(has(&ex, "172.16.2.9"));
    assert!(!has(&ex, "172.16.3.9"));
    assert!(has(&ex, "::1"));
    assert_eq!(ex.hostnames(), &[("gw.lan".to_string(), Some(30))]);
    ex.add_resolved("10.9.9.9".parse().unwrap(), Some(30));
    assert!(has(&ex, "10.9.9.8"));
    assert!(!has(&ex, "10.9.9.12"));
    let e = ExcludeList::from_exclude_arg("10.0.0.3/33", false).unwrap_err();
    assert_eq!(
        e.nmap_message(),
        "Illegal netmask in \"10.0.0.3/33\". Must be smaller than address bit length."
    );
    let f =
        ExcludeList::from_exclude_file("127.0.0.1 # c\n10.0.0.1#x\n\t10.0.0.5\r\n", false).unwrap();
    assert!(has(&f, "127.0.0.1") && has(&f, "10.0.0.1") && has(&f, "10.0.0.5"));
    assert!(!has(&f, "10.0.0.2"));
}

#[test]
fn target_files() {
    assert_eq!(
        split_target_file("a b\tc\n# all comment\nd#e f\r\n  g # h i\n"),
        ["a", "b", "c", "d", "g"]
    );
    assert!(split_target_file("").is_empty());
}
