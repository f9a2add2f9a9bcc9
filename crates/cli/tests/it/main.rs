//! Integration tests: the real binary, real sockets, real listeners, inside a
//! private network namespace per test; and conformance with Debian's nmap
//! run with the same flags in the same namespace.

#![allow(unreachable_pub)] // test support modules, not API
mod dnsd;
mod iflist;
mod netns;
mod xml;

use netns::{Netns, stderr, stdout};
use std::collections::BTreeSet;

/// Listeners for a typical host: a few well-known ports and one high port.
const OPEN: &[u16] = &[22, 80, 3306, 8080, 31337];

fn with_listeners() -> Netns {
    let mut ns = Netns::new();
    let specs: Vec<String> = OPEN.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    ns.listen(&specs.iter().map(String::as_str).collect::<Vec<_>>());
    ns
}

/// A firewall in the namespace: dropped ports (filtered, no-response),
/// admin-prohibited rejects (filtered, host-unreach), port-unreachable
/// rejects (closed, conn-refused) and a silent address.
const FIREWALL: &str = "table inet t {
  chain in {
    type filter hook input priority 0;
    tcp dport 1000-1010 drop
    tcp dport 2000-2002 reject with icmp type admin-prohibited
    tcp dport 3000-3010 reject with icmp type port-unreachable
    ip daddr 127.0.0.9 drop
  }
}";

fn open_ports(doc: &xml::Elem) -> BTreeSet<(String, u16)> {
    xml::hosts(doc)
        .into_iter()
        .flat_map(|h| {
            h.ports
                .into_iter()
                .filter(|p| p.2 == "open")
                .map(move |p| (h.addr.clone(), p.1.parse().unwrap()))
        })
        .collect()
}

fn xml_of(out: &std::process::Output) -> xml::Elem {
    assert!(out.status.success(), "failed: {}", stderr(out));
    xml::parse(&stdout(out))
}

/// Assert nmaps and nmap agree on hosts, states, reasons, names and folding,
/// and that the XML documents have the same element structure.
fn assert_conforms(ns: &Netns, args: &[&str]) {
    let mut a = vec!["-oX", "-"];
    a.extend_from_slice(args);
    let ours = xml_of(&ns.nmaps(&a));
    let theirs = xml_of(&ns.nmap(&a));
    assert_eq!(
        xml::hosts(&ours),
        xml::hosts(&theirs),
        "hosts differ for {args:?}"
    );
    let shape = |d: &xml::Elem| {
        let mut v = Vec::new();
        d.shape(&mut v);
        // nmap adds <hosthint> early-liveness elements; not part of the comparison.
        v.retain(|n| n != "hosthint");
        v
    };
    let (mut so, mut st) = (shape(&ours), shape(&theirs));
    // hosthint children (status, address, hostnames) go with it.
    let strip = |v: &mut Vec<String>, d: &xml::Elem| {
        for h in d.all("hosthint") {
            for c in &h.children {
                if let Some(i) = v.iter().position(|n| *n == c.name) {
                    v.remove(i);
                }
            }
        }
    };
    strip(&mut so, &ours);
    strip(&mut st, &theirs);
    assert_eq!(so, st, "XML structure differs for {args:?}");
    let si = |d: &xml::Elem| {
        d.all("scaninfo")
            .map(|s| s.attrs.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(si(&ours), si(&theirs), "scaninfo differs for {args:?}");
}

#[test]
fn connect_scan_states_and_reasons() {
    let ns = with_listeners();
    ns.nft(FIREWALL);
    let out = ns.nmaps(&[
        "-sT",
        "-n",
        "--unprivileged",
        "-p",
        "20-23,80,990-1010,1999-2003,8080",
        "-oX",
        "-",
        "127.0.0.1",
    ]);
    let doc = xml_of(&out);
    let h = &xml::hosts(&doc)[0];
    let port = |n: &str| h.ports.iter().find(|p| p.1 == n).cloned().unwrap();
    assert_eq!(
        (port("22").2, port("22").3),
        ("open".into(), "syn-ack".into())
    );
    assert_eq!(
        (port("21").2, port("21").3),
        ("closed".into(), "conn-refused".into())
    );
    assert_eq!(
        (port("1005").2, port("1005").3),
        ("filtered".into(), "no-response".into())
    );
    assert_eq!(
        (port("2001").2, port("2001").3),
        ("filtered".into(), "host-unreach".into())
    );
    assert_eq!(port("22").4, "ssh");
}

#[test]
fn conformance_connect_scan_with_firewall() {
    let ns = with_listeners();
    ns.nft(FIREWALL);
    assert_conforms(
        &ns,
        &[
            "-sT",
            "--unprivileged",
            "-n",
            "-p",
            "20-23,80,990-1010,1999-2003,8080,31337",
            "127.0.0.1",
        ],
    );
    assert_conforms(
        &ns,
        &[
            "-sT",
            "--unprivileged",
            "-n",
            "--reason",
            "--open",
            "-p",
            "1-100,1000-1010",
            "127.0.0.1-3",
        ],
    );
}

/// Every raw TCP technique, UDP and IP-protocol scans through raw sockets
/// on the namespace's loopback (AF_PACKET capture sees lo too), with the
/// firewall's drops and ICMP rejects: same hosts, states and reasons as nmap.
#[test]
fn conformance_raw_scans_on_loopback() {
    let ns = with_listeners();
    ns.nft(FIREWALL);
    ns.sh("python3 -c 'import socket,time,sys\nu=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nu.bind((\"127.0.0.1\",5353))\nprint(\"ready\",flush=True)\ntime.sleep(600)' >/dev/null 2>&1 &");
    let ports = "20-23,80,1000-1002,2000-2002,3000-3002,8080";
    for technique in ["-sS", "-sA", "-sW", "-sN", "-sF", "-sX", "-sM"] {
        assert_conforms(
            &ns,
            &[technique, "-n", "--reason", "-p", ports, "127.0.0.1"],
        );
    }
    assert_conforms(
        &ns,
        &["--scanflags", "SYNPSH", "-n", "-p", ports, "127.0.0.1"],
    );
    assert_conforms(
        &ns,
        &["-sU", "-n", "--reason", "-p", "53,5353,9-11", "127.0.0.1"],
    );
    assert_conforms(
        &ns,
        &[
            "-sO",
            "-n",
            "--reason",
            "-p",
            "6,17,47,132,200",
            "127.0.0.1",
        ],
    );
    // Privileged default: a SYN scan.
    let out = ns.nmaps(&["-n", "-p", "22,23", "-oX", "-", "127.0.0.1"]);
    assert!(
        stdout(&out).contains(r#"<scaninfo type="syn""#),
        "{}",
        stdout(&out)
    );
    // Packet options go out without breaking the scan.
    for extra in [
        &["-g", "53"][..],
        &["--ttl", "9"],
        &["--data-length", "20"],
        &["-S", "127.0.0.1"],
        &["-e", "lo"],
    ] {
        let mut a = vec!["-sS", "-n", "-p", "22,23", "-oX", "-"];
        a.extend_from_slice(extra);
        a.push("127.0.0.1");
        let doc = xml_of(&ns.nmaps(&a));
        let h = &xml::hosts(&doc)[0];
        let states: Vec<(String, String)> =
            h.ports.iter().map(|p| (p.1.clone(), p.2.clone())).collect();
        assert_eq!(
            states,
            [("22".into(), "open".into()), ("23".into(), "closed".into())],
            "{extra:?}"
        );
    }
    // An interface that does not exist: one line naming it, nothing sent.
    let out = ns.nmaps(&["-sS", "-n", "-e", "nosuch0", "-p", "22", "127.0.0.1"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("nosuch0"), "{err}");
    // With a bad checksum the stack drops the probes: nothing answers.
    let doc = xml_of(&ns.nmaps(&[
        "-sS",
        "-n",
        "--badsum",
        "--max-retries",
        "0",
        "-p",
        "22",
        "-oX",
        "-",
        "127.0.0.1",
    ]));
    assert_eq!(xml::hosts(&doc)[0].ports[0].2, "filtered");
}

#[test]
fn conformance_default_ports_top_ports_and_fast() {
    let ns = with_listeners();
    assert_conforms(&ns, &["-sT", "--unprivileged", "-n", "127.0.0.1"]);
    assert_conforms(&ns, &["-sT", "--unprivileged", "-n", "-F", "127.0.0.1"]);
    assert_conforms(
        &ns,
        &[
            "-sT",
            "--unprivileged",
            "-n",
            "--top-ports",
            "50",
            "127.0.0.1",
        ],
    );
    assert_conforms(
        &ns,
        &[
            "-sT",
            "--unprivileged",
            "-n",
            "-p",
            "ssh,http*,[8000-8100]",
            "127.0.0.1",
        ],
    );
}

#[test]
fn conformance_host_discovery() {
    let ns = with_listeners();
    ns.nft(FIREWALL);
    assert_conforms(&ns, &["-sn", "--unprivileged", "-n", "127.0.0.1-3,9"]);
    assert_conforms(&ns, &["-sn", "--unprivileged", "-n", "-PS22", "127.0.0.1"]);
    assert_conforms(
        &ns,
        &[
            "-sT",
            "--unprivileged",
            "-n",
            "-Pn",
            "-p",
            "22,23",
            "127.0.0.9",
        ],
    );
    assert_conforms(&ns, &["-sL", "-n", "127.0.0.1-4"]);
}

/// Normal and grepable files are the same as nmap's, once times are removed.
#[test]
fn conformance_normal_and_grepable_text() {
    let ns = with_listeners();
    ns.nft(FIREWALL);
    let dir = tempdir();
    for (who, prog) in [("ours", "nmaps"), ("theirs", "nmap")] {
        let base = format!("{dir}/{who}");
        let args = [
            "-sT",
            "--unprivileged",
            "-n",
            "--reason",
            "-p",
            "20-23,80,990-1010,1999-2003",
            "-oA",
            &base,
            "127.0.0.1",
        ];
        let out = if prog == "nmaps" {
            ns.nmaps(&args)
        } else {
            ns.nmap(&args)
        };
        assert!(out.status.success());
    }
    let clean = |path: String| -> String {
        std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                if l.starts_with("Host is up") {
                    l.split(" (").next().unwrap().to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        clean(format!("{dir}/ours.nmap")),
        clean(format!("{dir}/theirs.nmap"))
    );
    assert_eq!(
        clean(format!("{dir}/ours.gnmap")),
        clean(format!("{dir}/theirs.gnmap"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Validate an XML file against the DTD Debian's nmap-common installs.
fn assert_valid_xml(file: &str) {
    let dtd = "/usr/share/nmap/nmap.dtd";
    assert!(
        std::path::Path::new(dtd).exists(),
        "{dtd} missing: apt-get install nmap-common"
    );
    let v = std::process::Command::new("xmllint")
        .args(["--noout", "--dtdvalid", dtd, file])
        .output()
        .expect("xmllint (libxml2-utils)");
    assert!(
        v.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&v.stderr)
    );
}

fn tempdir() -> String {
    let d = std::env::temp_dir().join(format!(
        "nmaps-it-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d.to_string_lossy().into_owned()
}

#[test]
fn full_range_scan_has_no_false_opens_even_with_256_descriptors() {
    let ns = with_listeners();
    // A 65535-port scan of loopback: ephemeral source ports collide with
    // destination ports, so self-connects happen; none may count as open.
    let out = ns.exec(
        "prlimit",
        &[
            "--nofile=256:256",
            env!("CARGO_BIN_EXE_nmaps"),
            "-sT",
            "-n",
            "-p-",
            "-oX",
            "-",
            "127.0.0.1",
        ],
    );
    let doc = xml_of(&out);
    let want: BTreeSet<(String, u16)> =
        OPEN.iter().map(|&p| ("127.0.0.1".to_string(), p)).collect();
    assert_eq!(open_ports(&doc), want);
    let h = &xml::hosts(&doc)[0];
    assert_eq!(
        h.extraports,
        vec![(
            "closed".into(),
            "65530".into(),
            vec![("conn-refused".into(), "65530".into())]
        )]
    );
}

#[test]
fn xml_validates_against_nmap_dtd() {
    let ns = with_listeners();
    ns.nft(FIREWALL);
    let dir = tempdir();
    let file = format!("{dir}/out.xml");
    let out = ns.nmaps(&[
        "-sT",
        "-n",
        "-v",
        "--reason",
        "-p",
        "1-100,1000-1010,2000-2002",
        "-oX",
        &file,
        "127.0.0.1-2,9",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_valid_xml(&file);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_matches_xml() {
    let ns = with_listeners();
    let out = ns.nmaps(&["-sT", "-n", "-p", "1-100,3306", "-oJ", "-", "127.0.0.1"]);
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    let text = j.to_string();
    for p in ["22", "80", "3306"] {
        assert!(
            text.contains(&format!("\"portid\":{p}"))
                || text.contains(&format!("\"portid\":\"{p}\"")),
            "{p} missing in {text}"
        );
    }
    assert!(text.contains("\"conn-refused\""));
}

#[test]
fn reverse_dns_from_a_private_server_appears_in_every_format() {
    let ns = Netns::new();
    ns.sh("ip addr add 198.18.0.5/32 dev lo && ip addr add 198.18.0.6/32 dev lo && ip addr add 198.18.0.7/32 dev lo");
    use hickory_proto::rr::Name;
    let hostile = Name::from_labels(vec![
        b"x\x1b[31m<b>".to_vec(),
        b"nmaps".to_vec(),
        b"test".to_vec(),
    ])
    .unwrap();
    dnsd::serve(
        &ns.name,
        dnsd::Zone {
            hosts: vec![
                (
                    Name::from_ascii("web.nmaps.test.").unwrap(),
                    "198.18.0.5".parse().unwrap(),
                ),
                (hostile, "198.18.0.7".parse().unwrap()),
            ],
            extra_a: vec![
                (
                    Name::from_ascii("multi.nmaps.test.").unwrap(),
                    "198.18.0.5".parse().unwrap(),
                ),
                (
                    Name::from_ascii("multi.nmaps.test.").unwrap(),
                    "198.18.0.6".parse().unwrap(),
                ),
            ],
        },
    );
    let dir = tempdir();
    let base = format!("{dir}/dns");
    let out = ns.nmaps(&[
        "-sL",
        "--dns-servers",
        "127.0.0.1",
        "-oA",
        &base,
        "-oJ",
        &format!("{base}.json"),
        "198.18.0.5-7",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let normal = stdout(&out);
    assert!(
        normal.contains("Nmap scan report for web.nmaps.test (198.18.0.5)"),
        "{normal}"
    );
    assert!(
        normal.contains("Nmap scan report for 198.18.0.6\n"),
        "{normal}"
    );
    assert!(
        !normal.contains('\x1b'),
        "terminal escape leaked: {normal:?}"
    );
    for ext in ["nmap", "xml", "gnmap", "json"] {
        let text = std::fs::read_to_string(format!("{base}.{ext}")).unwrap();
        assert!(text.contains("web.nmaps.test"), "{ext}: {text}");
        assert!(!text.contains('\x1b'), "{ext} has a raw escape");
    }
    assert_valid_xml(&format!("{base}.xml"));

    // -n: no names at all.
    let out = ns.nmaps(&["-sL", "-n", "--dns-servers", "127.0.0.1", "198.18.0.5"]);
    assert!(!stdout(&out).contains("web.nmaps.test"));

    // Forward resolution of a name with two addresses.
    let out = ns.nmaps(&[
        "-sT",
        "-Pn",
        "-p",
        "9",
        "--dns-servers",
        "127.0.0.1",
        "multi.nmaps.test",
    ]);
    let text = stdout(&out);
    assert!(
        text.contains("Nmap scan report for multi.nmaps.test (198.18.0.5)"),
        "{text}"
    );
    assert!(
        text.contains("Other addresses for multi.nmaps.test (not scanned): 198.18.0.6"),
        "{text}"
    );
    assert!(
        text.contains("rDNS record for 198.18.0.5: web.nmaps.test"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_command_lines_exit_2_with_one_line() {
    let ns = Netns::new();
    for args in [
        vec!["--bogus", "127.0.0.1"],
        vec!["-sS", "--unprivileged", "127.0.0.1"],
        vec!["-sU", "-sS", "-sA", "127.0.0.1"],
        vec!["-PE", "--unprivileged", "127.0.0.1"],
        vec!["-p", "99999", "127.0.0.1"],
        vec!["-p", "80-70", "127.0.0.1"],
        vec!["127.0.0.1/x"],
        vec!["bad_host!name"],
        vec!["-iR", "10"],
        vec!["-T7", "127.0.0.1"],
        vec!["--top-ports", "x", "127.0.0.1"],
        vec!["-6", "127.0.0.1"],
        vec!["fd00::1"],
        vec!["-oA", "-", "127.0.0.1"],
        vec!["-S", "192.0.2.77", "127.0.0.1"],
        vec!["-6", "-S", "127.0.0.1", "::1"],
        vec!["-sV", "--version-intensity", "10", "127.0.0.1"],
        vec!["--version-intensity", "x", "127.0.0.1"],
    ] {
        let out = ns.nmaps(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("nmaps: "), "{err}");
        assert!(stdout(&out).is_empty(), "{args:?} printed output");
    }
    let e = stderr(&ns.nmaps(&["-p", "99999", "127.0.0.1"]));
    assert!(e.contains("99999"), "{e}");
    let e = stderr(&ns.nmaps(&["--bogus"]));
    assert!(e.contains("--bogus"), "{e}");
    // A malformed probe database: one line naming the file and line, nothing scanned.
    let dir = tempdir();
    let db = format!("{dir}/probes");
    std::fs::write(&db, "Probe TCP NULL q||\nmatch x m|^(| p/x/\n").unwrap();
    let out = ns.nmaps(&["-sV", "--versiondb", &db, "-p", "1", "127.0.0.1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(
        e.lines().count() == 1 && e.contains(&db) && e.contains("line 2"),
        "{e}"
    );
    assert!(stdout(&out).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn target_lists_and_exclusions() {
    let ns = Netns::new();
    let dir = tempdir();
    std::fs::write(
        format!("{dir}/list"),
        "127.0.0.1 # first\n127.0.0.2-4\n\n127.0.1.0/30\n",
    )
    .unwrap();
    std::fs::write(format!("{dir}/ex"), "127.0.0.3\n127.0.1.2 # gone\n").unwrap();
    let out = ns.nmaps(&[
        "-sL",
        "-n",
        "-iL",
        &format!("{dir}/list"),
        "--excludefile",
        &format!("{dir}/ex"),
        "--exclude",
        "127.0.1.0",
        "-oG",
        "-",
    ]);
    let hosts: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| l.starts_with("Host:"))
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect();
    assert_eq!(
        hosts,
        [
            "127.0.0.1",
            "127.0.0.2",
            "127.0.0.4",
            "127.0.1.1",
            "127.0.1.3"
        ]
    );
    // -iL - reads standard input.
    let mut child = ns
        .nmaps_cmd(&["-sL", "-n", "-iL", "-", "-oG", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"127.0.0.5\n127.0.0.6\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out).matches("Status: Unknown").count(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ipv6_loopback_scan() {
    let mut ns = Netns::new();
    ns.listen(&["[::1]:22", "[::1]:8080"]);
    let doc = xml_of(&ns.nmaps(&["-6", "-sT", "-n", "-p", "20-25,8080", "-oX", "-", "::1"]));
    let open: Vec<(String, u16)> = open_ports(&doc).into_iter().collect();
    assert_eq!(
        open,
        vec![("::1".to_string(), 22), ("::1".to_string(), 8080)]
    );
    assert_conforms(
        &ns,
        &[
            "-6",
            "-sT",
            "--unprivileged",
            "-n",
            "-p",
            "20-25,8080",
            "::1",
        ],
    );
}

#[test]
fn host_timeout_reports_the_host_as_timed_out() {
    let ns = Netns::new();
    ns.nft(FIREWALL);
    let out = ns.nmaps(&[
        "-sT",
        "-n",
        "-Pn",
        "-p",
        "1000-1010",
        "--host-timeout",
        "300ms",
        "-oX",
        "-",
        "127.0.0.9",
    ]);
    let doc = xml_of(&out);
    let host = doc.first("host").expect("host element");
    assert_eq!(host.attr("timedout"), "true");
    assert!(host.first("ports").is_none());
}

#[test]
fn sigint_completes_every_output_with_finished_hosts() {
    let ns = with_listeners();
    ns.nft(FIREWALL);
    let dir = tempdir();
    let base = format!("{dir}/int");
    // 127.0.0.1 finishes at once; 127.0.0.9 drops everything and takes long.
    let mut child = ns
        .nmaps_cmd(&[
            "-sT",
            "-n",
            "-Pn",
            "--max-retries",
            "10",
            "--initial-rtt-timeout",
            "5s",
            "--min-rtt-timeout",
            "5s",
            "-p",
            "1-200",
            "-oA",
            &base,
            "-oJ",
            &format!("{base}.json"),
            "127.0.0.1,9",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // `ip netns exec` passes the signal's target pid through: signal nmaps itself.
    let pids = ns.exec("pgrep", &["-f", &format!("nmaps.*{base}")]);
    for pid in stdout(&pids).split_whitespace() {
        ns.exec("kill", &["-INT", pid]);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let x = std::fs::read_to_string(format!("{base}.xml")).unwrap();
    assert!(x.trim_end().ends_with("</nmaprun>"), "{x}");
    let doc = xml::parse(&x);
    let hosts = xml::hosts(&doc);
    assert_eq!(hosts.len(), 1, "only the finished host: {hosts:?}");
    assert_eq!(hosts[0].addr, "127.0.0.1");
    assert_eq!(
        doc.first("runstats")
            .unwrap()
            .first("finished")
            .unwrap()
            .attr("exit"),
        "error"
    );
    assert_valid_xml(&format!("{base}.xml"));
    let g = std::fs::read_to_string(format!("{base}.gnmap")).unwrap();
    assert!(
        g.contains("Host: 127.0.0.1 ()\tPorts: 22/open/tcp//ssh///"),
        "{g}"
    );
    let n = std::fs::read_to_string(format!("{base}.nmap")).unwrap();
    assert!(n.contains("Nmap scan report for 127.0.0.1"), "{n}");
    let _: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{base}.json")).unwrap())
            .expect("JSON complete");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verbose_lines_and_help_and_version() {
    let ns = with_listeners();
    let out = ns.nmaps(&["-v", "-sT", "-n", "-p", "22,23", "127.0.0.1"]);
    let text = stdout(&out);
    assert!(text.contains("Initiating Connect Scan at "), "{text}");
    assert!(
        text.contains("Discovered open port 22/tcp on 127.0.0.1"),
        "{text}"
    );
    assert!(text.contains("Completed Connect Scan at "), "{text}");
    let help = stdout(&ns.nmaps(&["-h"]));
    assert!(help.contains("-sT: TCP connect() scan"));
    let v = stdout(&ns.nmaps(&["-V"]));
    // Nmap's first line (python-nmap and python3-nmap read it), then ours.
    assert!(
        v.starts_with("Nmap version 7.93 ( https://nmap.org )\nnmaps version "),
        "{v}"
    );
    assert!(v.contains("\nCompiled with: "), "{v}");
}

#[test]
fn append_output_adds_to_existing_files() {
    let ns = with_listeners();
    let dir = tempdir();
    let file = format!("{dir}/log.nmap");
    for _ in 0..2 {
        let out = ns.nmaps(&[
            "-sT",
            "-n",
            "-p",
            "22",
            "--append-output",
            "-oN",
            &file,
            "127.0.0.1",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("scan initiated").count(), 2, "{text}");
    // Without it, the file is replaced.
    ns.nmaps(&["-sT", "-n", "-p", "22", "-oN", &file, "127.0.0.1"]);
    assert_eq!(
        std::fs::read_to_string(&file)
            .unwrap()
            .matches("scan initiated")
            .count(),
        1
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
