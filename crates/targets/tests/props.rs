//! Property tests: parsers never panic; counts agree with iteration.

use nmaps_model::Protocol;
use nmaps_targets::ports::{ProtoSet, parse_port_spec_for};
use nmaps_targets::{
    ExcludeList, MacVendors, Protocols, Services, parse_port_spec, parse_target, scan_order,
    split_target_file,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn port_spec_never_panics(s in "\\PC{0,40}") {
        let svc = Services::embedded();
        let _ = parse_port_spec(&s, svc);
        let _ = parse_port_spec_for(&s, ProtoSet { tcp: true, udp: true, sctp: false, ip: false }, svc, Protocols::embedded());
    }

    #[test]
    fn port_spec_syntaxish_never_panics(s in "[TUSP:0-9,\\-\\[\\] a-z*?]{0,30}") {
        let svc = Services::embedded();
        for ip in [false, true] {
            let sc = ProtoSet { tcp: true, udp: true, sctp: true, ip };
            let _ = parse_port_spec_for(&s, sc, svc, Protocols::embedded());
        }
    }

    #[test]
    fn target_never_panics(s in "\\PC{0,60}", v6 in any::<bool>()) {
        let _ = parse_target(&s, v6);
        let _ = ExcludeList::from_exclude_arg(&s, v6);
        let _ = ExcludeList::from_exclude_file(&s, v6);
        let _ = split_target_file(&s);
    }

    #[test]
    fn target_syntaxish_never_panics(s in "[0-9.,\\-*/:%a-f]{0,40}", v6 in any::<bool>()) {
        if let Ok(t) = parse_target(&s, v6)
            && let (Some(n), Some(it)) = (t.len(), t.addrs())
            && n <= 4096
        {
            prop_assert_eq!(it.count() as u128, n);
        }
    }

    #[test]
    fn nmap_services_parser_never_panics(s in "\\PC{0,200}") {
        let svc = Services::parse_nmap_services(&s);
        let _ = svc.top_ports(Protocol::Tcp, 10, None, None);
        let _ = Protocols::parse(&s);
    }

    #[test]
    fn ranges_round_trip(lo in 1u16..=65535, len in 0u16..300) {
        let hi = lo.saturating_add(len);
        let spec = format!("{lo}-{hi}");
        let sc = ProtoSet { tcp: true, ..ProtoSet::default() };
        let r = parse_port_spec_for(&spec, sc, Services::embedded(), Protocols::embedded()).unwrap();
        prop_assert_eq!(r.ports.tcp, (lo..=hi).collect::<Vec<_>>());
        prop_assert_eq!(nmaps_model::range_list(&(lo..=hi).collect::<Vec<_>>()), if lo == hi { lo.to_string() } else { spec });
    }

    #[test]
    fn octet_ranges_count(a in 0u8..=255, b in 0u8..=255, c in 0u8..=255, d in 0u8..=255, w in 0u8..4, p in 24u8..=32) {
        let (lo, hi) = (c.min(d), c.max(d));
        let hi = lo.saturating_add(w.min(hi - lo));
        let tok = format!("{a}.{b}.{lo}-{hi}.{d}");
        let t = parse_target(&tok, false).unwrap();
        let n = t.len().unwrap();
        prop_assert_eq!(t.addrs().unwrap().count() as u128, n);
        let cidr = parse_target(&format!("{a}.{b}.{c}.{d}/{p}"), false).unwrap();
        let n = cidr.len().unwrap();
        prop_assert_eq!(n, 1u128 << (32 - p));
        let all: Vec<_> = cidr.addrs().unwrap().collect();
        prop_assert_eq!(all.len() as u128, n);
        prop_assert!(all.iter().all(|x| cidr.contains(*x)));
    }

    #[test]
    fn v6_prefix_count(x in any::<u128>(), p in 116u8..=128) {
        let a = std::net::Ipv6Addr::from(x);
        let t = parse_target(&format!("{a}/{p}"), true).unwrap();
        let n = t.len().unwrap();
        prop_assert_eq!(n, 1u128 << (128 - p));
        prop_assert_eq!(t.addrs().unwrap().count() as u128, n);
    }

    #[test]
    fn scan_order_is_permutation(mut ports in proptest::collection::vec(any::<u16>(), 0..500), seed in any::<u64>()) {
        ports.sort_unstable();
        ports.dedup();
        let o = scan_order(&ports, seed, true);
        prop_assert_eq!(&o, &scan_order(&ports, seed, true));
        let mut s = o.clone();
        s.sort_unstable();
        prop_assert_eq!(s, ports);
    }

    #[test]
    fn mac_prefixes_parser_never_panics(s in "\\PC{0,200}", mac in any::<[u8; 6]>()) {
        if let Ok(v) = MacVendors::parse(&s) {
            let _ = v.lookup(mac);
        }
    }

    #[test]
    fn mac_prefixes_syntaxish(
        lines in proptest::collection::vec("[#]?[0-9a-fA-F]{0,10}[ \t]{0,2}\\PC{0,12}[\r]?", 0..12),
        mac in any::<[u8; 6]>(),
    ) {
        let text = lines.join("\n");
        match MacVendors::parse(&text) {
            Ok(v) => {
                let _ = v.lookup(mac);
                prop_assert!(v.len() <= lines.len());
            }
            Err(e) => prop_assert!(e.starts_with("line "), "{}", e),
        }
    }

    #[test]
    fn mac_lookup_finds_every_prefix(mac in any::<[u8; 6]>(), digits in 6usize..=9) {
        let hex: String = mac.iter().map(|b| format!("{b:02X}")).collect();
        let v = MacVendors::parse(&format!("{} Vendor\n", &hex[..digits])).unwrap();
        prop_assert_eq!(v.lookup(mac), Some("Vendor"));
        let mut other = mac;
        other[0] ^= 0x80;
        prop_assert_eq!(v.lookup(other), None);
    }
}
