//! `--iflist` against Debian's nmap, in a namespace with a veth pair
//! (addresses, a labelled alias, routes with and without gateways, a
//! reject route, IPv6) and no default route.

use crate::netns::{Netns, stderr, stdout};

/// The output without its first line, the `Starting …` banner.
fn tables(banner: &str, out: &std::process::Output) -> String {
    assert!(out.status.success(), "failed: {}", stderr(out));
    let text = stdout(out);
    let (first, rest) = text.split_once('\n').expect("a banner line");
    assert!(first.starts_with(banner), "banner: {first:?}");
    rest.to_string()
}

#[test]
fn iflist_matches_nmap() {
    let ns = Netns::new();
    // No automatic link-local addresses: nothing changes while the two
    // scanners read the tables.
    ns.sh("ip link add v0 type veth peer name v1; \
           ip link set v0 address 02:00:00:00:00:01; ip link set v1 address 02:00:00:00:00:02; \
           ip link set v0 addrgenmode none; ip link set v1 addrgenmode none; \
           ip addr add 192.0.2.1/24 dev v0; ip addr add 192.0.2.77/24 dev v0; \
           ip addr add 10.9.0.1/16 dev v0 label v0:1; \
           ip -6 addr add 2001:db8::1/64 dev v0 nodad; \
           ip link set v0 up; ip link set v1 mtu 1400; \
           ip route add 198.51.100.0/24 via 192.0.2.254; \
           ip route add 203.0.113.0/24 dev v0 metric 7; \
           ip route add unreachable 10.9.8.0/24; \
           ip -6 route add 2001:db8:5::/48 via 2001:db8::fe");
    // Targets on the line are ignored, as nmap ignores them.
    let ours = tables("Starting nmaps ", &ns.nmaps(&["--iflist", "192.0.2.9"]));
    let theirs = tables("Starting Nmap ", &ns.nmap(&["--iflist", "192.0.2.9"]));
    assert!(
        ours.contains("************************INTERFACES"),
        "{ours}"
    );
    assert!(ours.contains("02:00:00:00:00:01"), "{ours}");
    assert_eq!(ours, theirs, "nmaps:\n{ours}\nnmap:\n{theirs}");

    // -oN gets the bare tables, -oX/-oG files are left empty, as with nmap.
    let dir = std::env::temp_dir().join(format!("nmaps-iflist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (n, x) = (dir.join("o.nmap"), dir.join("o.xml"));
    let out = ns.nmaps(&[
        "--iflist",
        "-oN",
        n.to_str().unwrap(),
        "-oX",
        x.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&n).unwrap(), ours);
    assert_eq!(std::fs::read_to_string(&x).unwrap(), "");
    std::fs::remove_dir_all(&dir).unwrap();
}
