//! Byte-exact comparison with real Nmap 7.93 output (see golden/README.md).

mod common;

use chrono::{DateTime, Local, Offset, Utc};
use common::*;
use nmaps_model::{
    Host, HostState, HostnameKind, NMAPS_VERSION, Port, PortState, Protocol, Reason, RunInfo,
    RunStats, ScanType, ScriptElem, ScriptResult, Service, VersionInfo, script_text,
};
use nmaps_output::{Format, WriterOptions, format_ctime};

const OPEN: PortState = PortState::Open;
const CLOSED: PortState = PortState::Closed;
const FILTERED: PortState = PortState::Filtered;

struct Scenario {
    name: &'static str,
    run: RunInfo,
    /// Pre-scan script results, written before the first host.
    pre: Vec<ScriptResult>,
    hosts: Vec<Host>,
    /// Post-scan script results, written after the last host.
    post: Vec<ScriptResult>,
    stats: RunStats,
}

fn parse_ranges(s: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for part in s.trim().split(',') {
        match part.split_once('-') {
            Some((a, b)) => out.extend(a.parse::<u16>().unwrap()..=b.parse::<u16>().unwrap()),
            None => out.push(part.parse().unwrap()),
        }
    }
    out
}

fn t1() -> Scenario {
    let ports = parse_ranges(include_str!("golden/t1_ports.txt"));
    let run = run("nmap -sT -oA t1 127.0.0.1", 1795926053, &ports);
    let mut h = host("127.0.0.1", HostState::Up, Reason::LocalhostResponse);
    ptr(&mut h, "localhost");
    timing(&mut h, 201, 204, 100000);
    h.start = Some(at(1795926053));
    h.end = Some(at(1795926053));
    let open = [
        (22, "ssh"),
        (80, "http"),
        (3306, "mysql"),
        (8080, "http-proxy"),
        (31337, "Elite"),
    ];
    h.ports = ports
        .iter()
        .map(|&n| match open.iter().find(|(p, _)| *p == n) {
            Some((_, svc)) => port(n, OPEN, Reason::SynAck, Some(svc)),
            None => port(n, CLOSED, Reason::ConnRefused, None),
        })
        .collect();
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "t1",
        run,
        hosts: vec![h],
        stats: stats(1795926053, 110, 1, 1),
    }
}

fn t3() -> Scenario {
    let ports: Vec<u16> = (1..=30).collect();
    let run = run(
        "nmap --unprivileged -sT -p1-30 -oA t3 127.0.0.2,5",
        1795926056,
        &ports,
    );
    let mk = |addr: &str, srtt, rttvar| {
        let mut h = host(addr, HostState::Up, Reason::ConnRefused);
        timing(&mut h, srtt, rttvar, 100000);
        h.start = Some(at(1795926069));
        h.end = Some(at(1795926069));
        h.ports = ports
            .iter()
            .map(|&n| port(n, CLOSED, Reason::ConnRefused, Some("whatever")))
            .collect();
        h
    };
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "t3",
        run,
        hosts: vec![mk("127.0.0.2", 204, 157), mk("127.0.0.5", 228, 162)],
        stats: stats(1795926069, 13040, 2, 2),
    }
}

fn t5() -> Scenario {
    let mut run = run("nmap -sL -oA t5 127.0.0.1-3", 1795926069, &[]);
    run.list_scan = true;
    let mut hosts: Vec<Host> = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        .iter()
        .map(|a| host(a, HostState::Unknown, Reason::UserSet))
        .collect();
    ptr(&mut hosts[0], "localhost");
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "t5",
        run,
        hosts,
        stats: stats(1795926082, 13000, 0, 3),
    }
}

fn t6() -> Scenario {
    let mut run = run(
        "nmap --unprivileged -sn -oA t6 127.0.0.1-3,9",
        1795926089,
        &[],
    );
    run.ping_only = true;
    let mut a = host("127.0.0.1", HostState::Up, Reason::SynAck);
    ptr(&mut a, "localhost");
    timing(&mut a, 173, 5000, 100000);
    let mut b = host("127.0.0.2", HostState::Up, Reason::ConnRefused);
    timing(&mut b, 320, 5000, 100000);
    let mut c = host("127.0.0.3", HostState::Up, Reason::ConnRefused);
    timing(&mut c, 225, 5000, 100000);
    let d = host("127.0.0.9", HostState::Down, Reason::NoResponse);
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "t6",
        run,
        hosts: vec![a, b, c, d],
        stats: stats(1795926103, 14210, 3, 4),
    }
}

/// The 30 ports of t7/t8 with their services-table names.
const T7_PORTS: &[(u16, &str)] = &[
    (20, "ftp-data"),
    (21, "ftp"),
    (22, "ssh"),
    (23, "telnet"),
    (990, "ftps"),
    (991, "nas"),
    (992, "telnets"),
    (993, "imaps"),
    (994, "ircs"),
    (995, "pop3s"),
    (996, "xtreelic"),
    (997, "maitrd"),
    (998, "busboy"),
    (999, "garcon"),
    (1000, "cadlock"),
    (1001, "webpush"),
    (1002, "windows-icfw"),
    (1003, "unknown"),
    (1004, "unknown"),
    (1005, "unknown"),
    (1006, "unknown"),
    (1007, "unknown"),
    (1008, "ufsd"),
    (1009, "unknown"),
    (1010, "surf"),
    (1999, "tcp-id-port"),
    (2000, "cisco-sccp"),
    (2001, "dc"),
    (2002, "globe"),
    (2003, "finger"),
];

fn t7_host() -> Host {
    let mut h = host("127.0.0.1", HostState::Up, Reason::SynAck);
    ptr(&mut h, "localhost");
    h.ports = T7_PORTS
        .iter()
        .map(|&(n, svc)| match n {
            22 => port(n, OPEN, Reason::SynAck, Some(svc)),
            1000..=1010 => port(n, FILTERED, Reason::NoResponse, Some(svc)),
            2000..=2002 => port(n, FILTERED, Reason::HostUnreach, Some(svc)),
            _ => port(n, CLOSED, Reason::ConnRefused, Some(svc)),
        })
        .collect();
    h
}

fn t7() -> Scenario {
    let ports: Vec<u16> = T7_PORTS.iter().map(|p| p.0).collect();
    let mut run = run(
        "nmap --unprivileged -sT -p 20-23,990-1010,1999-2003 --reason -oA t7 127.0.0.1",
        1795926103,
        &ports,
    );
    run.reason = true;
    let mut h = t7_host();
    timing(&mut h, 178, 144, 100000);
    h.start = Some(at(1795926103));
    h.end = Some(at(1795926104));
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "t7",
        run,
        hosts: vec![h],
        stats: stats(1795926104, 1240, 1, 1),
    }
}

fn t8() -> Scenario {
    let ports: Vec<u16> = T7_PORTS.iter().map(|p| p.0).collect();
    let mut run = run(
        "nmap --unprivileged -sT -p 20-23,990-1010,1999-2003 -v --open -oA t8 127.0.0.1,9",
        1795926105,
        &ports,
    );
    run.verbose = 1;
    run.open_only = true;
    let mut h = t7_host();
    timing(&mut h, 141, 103, 100000);
    h.start = Some(at(1795926106));
    h.end = Some(at(1795926107));
    let down = host("127.0.0.9", HostState::Down, Reason::NoResponse);
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "t8",
        run,
        hosts: vec![h, down],
        stats: stats(1795926107, 2440, 1, 2),
    }
}

fn u1() -> Scenario {
    let mut run = run(
        "nmap --unprivileged -sT -p 22,80,81 -v --reason -oA u1 localhost",
        1795926650,
        &[22, 80, 81],
    );
    run.verbose = 1;
    run.reason = true;
    let mut h = host("127.0.0.1", HostState::Up, Reason::ConnRefused);
    h.hostnames.push(nmaps_model::Hostname {
        name: "localhost".to_string(),
        kind: HostnameKind::User,
    });
    ptr(&mut h, "localhost");
    timing(&mut h, 144, 2158, 100000);
    h.start = Some(at(1795926650));
    h.end = Some(at(1795926650));
    h.ports = [(22, "ssh"), (80, "http"), (81, "hosts2-ns")]
        .iter()
        .map(|&(n, svc)| port(n, CLOSED, Reason::ConnRefused, Some(svc)))
        .collect();
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "u1",
        run,
        hosts: vec![h],
        stats: stats(1795926650, 70, 1, 1),
    }
}

fn u3() -> Scenario {
    let ports: Vec<u16> = (1..=1000).collect();
    let run = run(
        "nmap --unprivileged -sT -p 1-1000 --host-timeout 5ms -oA u3 127.0.0.1",
        1795926650,
        &ports,
    );
    let mut h = host("127.0.0.1", HostState::Up, Reason::ConnRefused);
    ptr(&mut h, "localhost");
    timing(&mut h, 718, 624, 100000);
    h.start = Some(at(1795926650));
    h.end = Some(at(1795926650));
    h.timed_out = true;
    h.ports = vec![port(22, CLOSED, Reason::ConnRefused, Some("ssh"))];
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "u3",
        run,
        hosts: vec![h],
        stats: stats(1795926650, 60, 1, 1),
    }
}

fn u4() -> Scenario {
    let mut run = run(
        "nmap --unprivileged -sn -v --reason -oA u4 127.0.0.1 192.0.2.1",
        1795926650,
        &[],
    );
    run.ping_only = true;
    run.verbose = 1;
    run.reason = true;
    let mut a = host("127.0.0.1", HostState::Up, Reason::ConnRefused);
    ptr(&mut a, "localhost");
    timing(&mut a, 4884, 5000, 100000);
    let mut b = host("192.0.2.1", HostState::Up, Reason::ConnRefused);
    timing(&mut b, 5572, 5572, 100000);
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "u4",
        run,
        hosts: vec![a, b],
        stats: stats(1795926650, 10, 2, 2),
    }
}

/// The vendor `--datadir dd` gave the lab's 02:00:C6 prefix in m2, m4, m5.
const LAB_VENDOR: &str = "Lab & <Test> \"Vendor\" --x";

/// A SYN scan run (the m* references are `-sS` scans in the lab).
fn syn_run(cmd: &str, start: u64, ports: &[u16]) -> RunInfo {
    let mut r = run(cmd, start, ports);
    for i in &mut r.scan_info {
        i.scan_type = ScanType::Syn;
    }
    r
}

/// 22/80/81 on a lab host: ssh and http open, 81 closed, replies with `ttl`.
fn lab_ports(h: &mut Host, ttl: u8) {
    h.ports = [
        (22, OPEN, Reason::SynAck, "ssh"),
        (80, OPEN, Reason::SynAck, "http"),
        (81, CLOSED, Reason::Reset, "hosts2-ns"),
    ]
    .iter()
    .map(|&(n, st, r, svc)| {
        let mut p = port(n, st, r, Some(svc));
        p.reason_ttl = ttl;
        p
    })
    .collect();
}

/// web.lab.test, found by ARP, SYN-scanned on 22/80/81.
fn lab_web(srtt: u64, rttvar: u64, t: u64, vendor: Option<&str>) -> Host {
    let mut h = host("198.18.0.10", HostState::Up, Reason::ArpResponse);
    ptr(&mut h, "web.lab.test");
    timing(&mut h, srtt, rttvar, 100000);
    h.start = Some(at(t));
    h.end = Some(at(t));
    lab_ports(&mut h, 64);
    mac(&mut h, "02:00:C6:12:00:0A", vendor);
    h
}

/// MAC without a vendor after a port table; the down host is not shown.
fn m1() -> Scenario {
    let run = syn_run(
        "nmap -sS -p22,80,81 -oA m1 198.18.0.10 198.18.0.99",
        1795934927,
        &[22, 80, 81],
    );
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "m1",
        run,
        hosts: vec![
            lab_web(31, 2124, 1795934928, None),
            host("198.18.0.99", HostState::Down, Reason::NoResponse),
        ],
        stats: stats(1795934928, 1300, 1, 2),
    }
}

/// MAC with a vendor that needs escaping, `-v --reason`; a routed host
/// without a MAC and a down host.
fn m2() -> Scenario {
    let mut run = syn_run(
        "nmap --datadir dd -sS -v --reason -p22,80,81 -oA m2 198.18.0.10 198.18.0.99 198.18.1.10",
        1795934928,
        &[22, 80, 81],
    );
    run.verbose = 1;
    run.reason = true;
    let mut far = host("198.18.1.10", HostState::Up, Reason::EchoReply);
    far.status.reason_ttl = 63;
    ptr(&mut far, "far.lab.test");
    timing(&mut far, 79, 2139, 100000);
    far.start = Some(at(1795934929));
    far.end = Some(at(1795934929));
    lab_ports(&mut far, 63);
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "m2",
        run,
        hosts: vec![
            host("198.18.0.99", HostState::Down, Reason::NoResponse),
            lab_web(38, 2125, 1795934929, Some(LAB_VENDOR)),
            far,
        ],
        stats: stats(1795934929, 1380, 2, 3),
    }
}

/// `-sn`: the MAC line follows "Host is up".
fn m3() -> Scenario {
    let mut run = run("nmap -sn -oA m3 198.18.0.10-12", 1795934930, &[]);
    run.ping_only = true;
    let hosts = [
        ("198.18.0.10", "web", 31, "0A"),
        ("198.18.0.11", "db", 103, "0B"),
        ("198.18.0.12", "mail", 30, "0C"),
    ]
    .iter()
    .map(|&(addr, name, srtt, last)| {
        let mut h = host(addr, HostState::Up, Reason::ArpResponse);
        ptr(&mut h, &format!("{name}.lab.test"));
        timing(&mut h, srtt, 5000, 100000);
        mac(&mut h, &format!("02:00:C6:12:00:{last}"), None);
        h
    })
    .collect();
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "m3",
        run,
        hosts,
        stats: stats(1795934930, 70, 3, 3),
    }
}

/// Every port in an ignored state: the MAC line follows "Not shown".
fn m4() -> Scenario {
    let ports: Vec<u16> = (1..=30).collect();
    let run = syn_run(
        "nmap --datadir dd -sS -p1-30 -oA m4 198.18.0.254",
        1795934930,
        &ports,
    );
    let mut h = host("198.18.0.254", HostState::Up, Reason::ArpResponse);
    ptr(&mut h, "router.lab.test");
    timing(&mut h, 12, 0, 100000);
    h.start = Some(at(1795934930));
    h.end = Some(at(1795934930));
    h.ports = ports
        .iter()
        .map(|&n| {
            let mut p = port(n, CLOSED, Reason::Reset, None);
            p.reason_ttl = 64;
            p
        })
        .collect();
    mac(&mut h, "02:00:C6:12:00:FE", Some(LAB_VENDOR));
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "m4",
        run,
        hosts: vec![h],
        stats: stats(1795934930, 110, 1, 1),
    }
}

/// `-sn -v --reason` with a vendor and a down host.
fn m5() -> Scenario {
    let mut run = run(
        "nmap --datadir dd -sn -v --reason -oA m5 198.18.0.11 198.18.0.99",
        1795934930,
        &[],
    );
    run.ping_only = true;
    run.verbose = 1;
    run.reason = true;
    let mut h = host("198.18.0.11", HostState::Up, Reason::ArpResponse);
    ptr(&mut h, "db.lab.test");
    timing(&mut h, 44, 5000, 100000);
    mac(&mut h, "02:00:C6:12:00:0B", Some(LAB_VENDOR));
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "m5",
        run,
        hosts: vec![h, host("198.18.0.99", HostState::Down, Reason::NoResponse)],
        stats: stats(1795934931, 1250, 1, 2),
    }
}

/// IPv6: the MAC (learnt by neighbour discovery) follows the ipv6 address.
fn m6() -> Scenario {
    let run = syn_run("nmap -6 -sS -p22 -oA m6 fd00:18::10", 1795934931, &[22]);
    let mut h = host("fd00:18::10", HostState::Up, Reason::NdResponse);
    ptr(&mut h, "web.lab.test");
    timing(&mut h, 156, 3757, 100000);
    h.start = Some(at(1795934931));
    h.end = Some(at(1795934931));
    let mut p = port(22, OPEN, Reason::SynAck, Some("ssh"));
    p.reason_ttl = 64;
    h.ports = vec![p];
    mac(&mut h, "02:00:C6:12:00:0A", None);
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "m6",
        run,
        hosts: vec![h],
        stats: stats(1795934931, 120, 1, 1),
    }
}

/// `--host-timeout`: the MAC is in the XML but not in the normal output.
fn m7() -> Scenario {
    let ports: Vec<u16> = (1..=65535).collect();
    let run = syn_run(
        "nmap -sS -p1-65535 --host-timeout 300ms -oA m7 198.18.0.23",
        1795934932,
        &ports,
    );
    let mut h = host("198.18.0.23", HostState::Up, Reason::ArpResponse);
    ptr(&mut h, "slow.lab.test");
    timing(&mut h, 19355, 3594, 100000);
    h.start = Some(at(1795934932));
    h.end = Some(at(1795934932));
    h.timed_out = true;
    mac(&mut h, "02:00:C6:12:00:17", None);
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "m7",
        run,
        hosts: vec![h],
        stats: stats(1795934932, 460, 1, 1),
    }
}

/// The fingerprint of `port` as Nmap printed it in `golden/NAME.nmap`: the
/// `SF-Port…` line and the `SF:` lines after it.
fn golden_fp(name: &str, port: u16) -> String {
    let text = expected(name, "nmap");
    let start = format!("SF-Port{port}-");
    let mut lines = text.lines().skip_while(|l| !l.starts_with(&start));
    let mut fp = vec![lines.next().expect("fingerprint in golden file")];
    fp.extend(lines.take_while(|l| l.starts_with("SF:")));
    fp.join("\n")
}

fn text(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// The nginx `Server:` header suffix the v1/v2 servers sent (`i/$2/`).
const NGINX_EXTRA: &str = "mod & <b>, \"q\"/x 'y' --z";

/// The services the -sV reference runs found on the test servers of
/// 127.0.0.1 in a private network namespace (see golden/README.md).
fn v_service(name: &str, port: u16) -> Option<Service> {
    let nginx = || {
        Service::probed(
            "http",
            VersionInfo {
                product: text("nginx"),
                version: text("1.22.1"),
                extrainfo: text(NGINX_EXTRA),
                cpes: vec!["cpe:/a:igor_sysoev:nginx:1.22.1".to_string()],
                ..VersionInfo::default()
            },
        )
    };
    Some(match port {
        21 => Service::probed(
            "ftp",
            VersionInfo {
                product: text("Epson printer ftpd"),
                version: text("1.0"),
                extrainfo: text("Epson PM-A820"),
                hostname: text("epson.example.test"),
                devicetype: text("printer"),
                ..VersionInfo::default()
            },
        ),
        22 => Service::probed(
            "ssh",
            VersionInfo {
                product: text("OpenSSH"),
                version: text("9.2p1 Debian 2+deb12u3"),
                extrainfo: text("protocol 2.0"),
                ostype: text("Linux"),
                cpes: vec![
                    "cpe:/a:openbsd:openssh:9.2p1".to_string(),
                    "cpe:/o:linux:linux_kernel".to_string(),
                ],
                ..VersionInfo::default()
            },
        ),
        25 => Service::probed(
            "smtp",
            VersionInfo {
                product: text("Hotmail Popper hotmail to smtp gateway"),
                hostname: text("mail.example.test"),
                ..VersionInfo::default()
            },
        ),
        80 => nginx(),
        443 => Service {
            tunnel_ssl: true,
            ..nginx()
        },
        2000 => Service::tcpwrapped(),
        5000 => Service::from_table("upnp"),
        9998 => Service {
            servicefp: Some(golden_fp(name, 9998)),
            ..Service::from_table("distinct32")
        },
        9999 => Service {
            servicefp: Some(golden_fp(name, 9999)),
            ..Service::from_table("abyss")
        },
        _ => return None,
    })
}

fn v_open(name: &str, n: u16) -> Port {
    let mut p = port(n, OPEN, Reason::SynAck, None);
    p.reason_ttl = 64;
    p.service = v_service(name, n);
    p
}

fn v_host(srtt: u64, rttvar: u64, start: u64, end: u64) -> Host {
    let mut h = host("127.0.0.1", HostState::Up, Reason::LocalhostResponse);
    ptr(&mut h, "localhost");
    timing(&mut h, srtt, rttvar, 100000);
    h.start = Some(at(start));
    h.end = Some(at(end));
    h
}

const V_OPEN: &[u16] = &[21, 22, 25, 80, 443, 2000, 5000, 9998, 9999];

/// `-sV`: versions, ssl/, tcpwrapped, `?` guesses, two fingerprints, a
/// Service Info line with two hosts, an OS, a device and a CPE.
fn v1() -> Scenario {
    let ports: Vec<u16> = (1..=30).chain([80, 443, 2000, 5000, 9998, 9999]).collect();
    let mut run = syn_run(
        "nmap -sV -p 1-30,80,443,2000,5000,9998,9999 -oA v1 127.0.0.1",
        1795945180,
        &ports,
    );
    run.version_scan = true;
    let mut h = v_host(5, 1, 1795945181, 1795945343);
    h.ports = ports
        .iter()
        .map(|&n| {
            if V_OPEN.contains(&n) {
                v_open("v1", n)
            } else {
                let mut p = port(n, CLOSED, Reason::Reset, None);
                p.reason_ttl = 64;
                p
            }
        })
        .collect();
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "v1",
        run,
        hosts: vec![h],
        stats: stats(1795945343, 162860, 1, 1),
    }
}

/// `-sV -v --reason`: the VERSION column after REASON.
fn v2() -> Scenario {
    let ports = [22, 80, 443, 2000, 5000, 9998, 9999];
    let mut run = syn_run(
        "nmap -sV -v --reason -p 22,80,443,2000,5000,9998,9999 -oA v2 127.0.0.1",
        1795945343,
        &ports,
    );
    run.version_scan = true;
    run.verbose = 1;
    run.reason = true;
    let mut h = v_host(28, 909, 1795945343, 1795945506);
    h.ports = ports.iter().map(|&n| v_open("v2", n)).collect();
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "v2",
        run,
        hosts: vec![h],
        stats: stats(1795945506, 162770, 1, 1),
    }
}

/// `-sS -sU -sV`: an open|filtered table guess gets no `?`.
fn v3() -> Scenario {
    let mut run = syn_run(
        "nmap -sS -sU -sV -p T:22,U:53,161 -oA v3 127.0.0.1",
        1795945518,
        &[22],
    );
    run.scan_info.push(nmaps_model::ScanInfo {
        scan_type: ScanType::Udp,
        protocol: Protocol::Udp,
        scan_flags: None,
        ports: vec![53, 161],
    });
    run.version_scan = true;
    let mut h = v_host(49, 3751, 1795945519, 1795945626);
    let mut dns = port(53, CLOSED, Reason::PortUnreach, Some("domain"));
    dns.protocol = Protocol::Udp;
    dns.reason_ttl = 64;
    let mut snmp = port(
        161,
        PortState::OpenFiltered,
        Reason::NoResponse,
        Some("snmp"),
    );
    snmp.protocol = Protocol::Udp;
    h.ports = vec![v_open("v3", 22), dns, snmp];
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "v3",
        run,
        hosts: vec![h],
        stats: stats(1795945626, 107700, 1, 1),
    }
}

/// `-sV` with only closed ports: the VERSION header, no versions.
fn v4() -> Scenario {
    let mut run = syn_run("nmap -sV -p 1-3 -oA v4 127.0.0.1", 1795945626, &[1, 2, 3]);
    run.version_scan = true;
    let mut h = v_host(39, 2828, 1795945628, 1795945628);
    h.ports = [(1, "tcpmux"), (2, "compressnet"), (3, "compressnet")]
        .iter()
        .map(|&(n, svc)| {
            let mut p = port(n, CLOSED, Reason::Reset, Some(svc));
            p.reason_ttl = 64;
            p
        })
        .collect();
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "v4",
        run,
        hosts: vec![h],
        stats: stats(1795945628, 1900, 1, 1),
    }
}

/// `-sV`: plural Service Info fields (two OS types, two device types, two
/// CPEs), a hostname equal to the PTR name but for case (left out), an
/// extrainfo too long for the VERSION column.
fn v5() -> Scenario {
    let ports = [21, 22, 23, 25, 80];
    let mut run = syn_run(
        "nmap -sV -p 21-23,25,80 -oA v5 127.0.0.1",
        1795945957,
        &ports,
    );
    run.version_scan = true;
    let mut h = v_host(38, 1607, 1795945958, 1795945964);
    let long: String = (0..40).map(|i| format!("x{i:03}/")).collect();
    h.ports = ports
        .iter()
        .map(|&n| {
            let mut p = v_open("v5", n);
            match n {
                23 => {
                    p.service = Some(Service::probed(
                        "telnet",
                        VersionInfo {
                            product: text("Cisco router telnetd"),
                            ostype: text("IOS"),
                            devicetype: text("router"),
                            cpes: vec![
                                "cpe:/a:cisco:telnet".to_string(),
                                "cpe:/o:cisco:ios".to_string(),
                            ],
                            ..VersionInfo::default()
                        },
                    ));
                }
                25 => {
                    let svc = p.service.as_mut().unwrap();
                    svc.version.hostname = text("LOCALHOST");
                }
                80 => {
                    let svc = p.service.as_mut().unwrap();
                    svc.version.extrainfo = Some(long.clone());
                }
                _ => {}
            }
            p
        })
        .collect();
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "v5",
        run,
        hosts: vec![h],
        stats: stats(1795945964, 7010, 1, 1),
    }
}

/// `-sV` against `Server: nginx/1.22.1 + ESC[31mred ESC[0m \x01\x7f café
/// \xff end`: Nmap keeps the extrainfo as printable ASCII. The engine
/// builds it from the raw bytes with `nmap_printable`.
fn h1() -> Scenario {
    let mut run = syn_run("nmap -sV -p 8080 -oA h1 127.0.0.1", 1795945964, &[8080]);
    run.version_scan = true;
    let mut h = v_host(31, 5000, 1795945965, 1795945971);
    let raw = b"\x1b[31mred\x1b[0m \x01\x7f caf\xc3\xa9 \xff end";
    let mut p = v_open("h1", 80);
    p.number = 8080;
    let svc = p.service.as_mut().unwrap();
    svc.version.extrainfo = nmaps_model::nmap_printable(raw, VersionInfo::EXTRAINFO_MAX);
    h.ports = vec![p];
    Scenario {
        pre: Vec::new(),
        post: Vec::new(),
        name: "h1",
        run,
        hosts: vec![h],
        stats: stats(1795945971, 7140, 1, 1),
    }
}

/// A script result with its structured children.
fn script(id: &str, output: &str, elements: Vec<ScriptElem>) -> ScriptResult {
    ScriptResult {
        id: id.to_string(),
        output: output.to_string(),
        elements,
    }
}

fn elem(key: Option<&str>, value: &str) -> ScriptElem {
    ScriptElem::Elem {
        key: key.map(str::to_string),
        value: value.to_string(),
    }
}

fn table(key: Option<&str>, items: Vec<ScriptElem>) -> ScriptElem {
    ScriptElem::Table {
        key: key.map(str::to_string),
        items,
    }
}

/// A run with `--script` (a SYN scan, as root).
fn script_run(cmd: &str, start: u64, ports: &[u16]) -> RunInfo {
    let mut r = syn_run(cmd, start, ports);
    r.script_scan = true;
    r
}

/// An open port of the s* runs (SYN scans of a private namespace's
/// loopback, replies with TTL 64).
fn s_port(n: u16, state: PortState, svc: &str, scripts: Vec<ScriptResult>) -> Port {
    let reason = if state == OPEN {
        Reason::SynAck
    } else {
        Reason::Reset
    };
    let mut p = port(n, state, reason, Some(svc));
    p.reason_ttl = 64;
    p.scripts = scripts;
    p
}

fn s_host(addr: &str, srtt: u64, rttvar: u64, start: u64, end: u64) -> Host {
    let mut h = host(addr, HostState::Up, Reason::LocalhostResponse);
    timing(&mut h, srtt, rttvar, 100000);
    h.start = Some(at(start));
    h.end = Some(at(end));
    h
}

const BANNER_SSH: &str = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3";
/// What banner.nse made of `220 ESC[31mred ESC[0m <b>&"q" café \xff\x01 --
/// end` (the script escapes the bytes itself).
const BANNER_HOSTILE: &str = r#"220 \x1B[31mred\x1B[0m <b>&"q" caf\xC3\xA9 \xFF\x01 -- end"#;
/// The title of the test page, as http-title returns it (UTF-8 é).
const TITLE: &str = "Hi &amp; \"q\" &lt;there&gt; caf\u{e9}";

fn http_methods() -> ScriptResult {
    script(
        "http-methods",
        "\n  Supported Methods: GET HEAD",
        vec![table(
            Some("Supported Methods"),
            vec![elem(None, "GET"), elem(None, "HEAD")],
        )],
    )
}

fn http_title() -> ScriptResult {
    script("http-title", TITLE, vec![elem(Some("title"), TITLE)])
}

/// Port scripts: one-line and multi-line results, a table of key-less
/// elems, a trailing newline, an empty continuation line, non-ASCII text
/// and a banner with escapes and XML specials.
fn s1() -> Scenario {
    let run = script_run(
        "nmap -n -p 22,80,2323 --script banner,http-title,http-headers,http-methods -oA s1 127.0.0.1",
        1795947396,
        &[22, 80, 2323],
    );
    let mut h = s_host("127.0.0.1", 53, 2834, 1795947396, 1795947406);
    let headers = script(
        "http-headers",
        "\n  Server: TestHTTP/1.0 \n  Date: Sun, 29 Nov 2026 10:16:36 GMT\n  Content-type: text/html\n  Content-Length: 88\n  Last-Modified: Sun, 29 Nov 2026 10:16:35 GMT\n  \n  (Request type: HEAD)\n",
        vec![],
    );
    h.ports = vec![
        s_port(22, OPEN, "ssh", vec![script("banner", BANNER_SSH, vec![])]),
        s_port(
            80,
            OPEN,
            "http",
            vec![http_methods(), http_title(), headers],
        ),
        s_port(
            2323,
            OPEN,
            "3d-nfsd",
            vec![script("banner", BANNER_HOSTILE, vec![])],
        ),
    ];
    Scenario {
        name: "s1",
        run,
        pre: Vec::new(),
        hosts: vec![h],
        post: Vec::new(),
        stats: stats(1795947406, 10630, 1, 1),
    }
}

/// Port scripts with `-v --reason`: script lines do not widen the columns.
fn s2() -> Scenario {
    let mut run = script_run(
        "nmap -n -v -p 22,80,2323 --script banner,http-title,http-methods --reason -oA s2 127.0.0.1",
        1795947406,
        &[22, 80, 2323],
    );
    run.verbose = 1;
    run.reason = true;
    let mut h = s_host("127.0.0.1", 47, 2830, 1795947407, 1795947417);
    h.ports = vec![
        s_port(22, OPEN, "ssh", vec![script("banner", BANNER_SSH, vec![])]),
        s_port(80, OPEN, "http", vec![http_title(), http_methods()]),
        s_port(
            2323,
            OPEN,
            "3d-nfsd",
            vec![script("banner", BANNER_HOSTILE, vec![])],
        ),
    ];
    Scenario {
        name: "s2",
        run,
        pre: Vec::new(),
        hosts: vec![h],
        post: Vec::new(),
        stats: stats(1795947417, 10610, 1, 1),
    }
}

const S3_ADDR: &str = "2001:db8::200:5eff:fe00:5301";

/// address-info's host script result for S3_ADDR (nested tables).
fn address_info() -> ScriptResult {
    script(
        "address-info",
        "\n  IPv6 EUI-64: \n    MAC address: \n      address: 00005e005301\n      manuf: Icann, Iana Department",
        vec![table(
            Some("IPv6 EUI-64"),
            vec![table(
                Some("MAC address"),
                vec![
                    elem(Some("address"), "00005e005301"),
                    elem(Some("manuf"), "Icann, Iana Department"),
                ],
            )],
        )],
    )
}

/// Pre-scan, host and post-scan scripts (`-6`, the address on the
/// namespace's loopback).
fn s3_like(
    name: &'static str,
    verbose: u8,
    start: u64,
    t: u64,
    srtt: u64,
    rttvar: u64,
    elapsed_ms: u64,
) -> Scenario {
    let v = if verbose > 0 { " -v" } else { "" };
    let mut run = script_run(
        &format!(
            "nmap -n -6{v} -p 80,8080 --script address-info,reverse-index,targets-ipv6-map4to6 --script-args targets-ipv6-map4to6.IPv4Hosts={{192.0.2.0/30}},targets-ipv6-subnet={{2001:db8:c0ca::/64}} -oA {name} {S3_ADDR}"
        ),
        start,
        &[80, 8080],
    );
    run.verbose = verbose;
    let mut h = s_host(S3_ADDR, srtt, rttvar, t, t);
    h.ports = vec![
        s_port(80, CLOSED, "http", vec![]),
        s_port(8080, OPEN, "http-proxy", vec![]),
    ];
    h.scripts = vec![address_info()];
    let pre = script(
        "targets-ipv6-map4to6",
        "\n  node count: 4.0\n  addresses: \n    2001:db8:c0ca:0:0:0:c000:200/126",
        vec![
            elem(Some("node count"), "4.0"),
            table(
                Some("addresses"),
                vec![elem(None, "2001:db8:c0ca:0:0:0:c000:200/126")],
            ),
        ],
    );
    let post = script(
        "reverse-index",
        &format!("\n  8080/tcp: {S3_ADDR}"),
        vec![table(Some("8080/tcp"), vec![elem(None, S3_ADDR)])],
    );
    Scenario {
        name,
        run,
        pre: vec![pre],
        hosts: vec![h],
        post: vec![post],
        stats: stats(t, elapsed_ms, 1, 1),
    }
}

fn s3() -> Scenario {
    s3_like("s3", 0, 1795947455, 1795947455, 69, 3762, 650)
}

fn s4() -> Scenario {
    s3_like("s4", 1, 1795947455, 1795947456, 78, 3766, 790)
}

/// `-sn` with a host script: the full host report, without ports.
fn s5() -> Scenario {
    let mut run = script_run(
        &format!("nmap -n -6 -sn --script address-info -oA s5 {S3_ADDR}"),
        1795947419,
        &[],
    );
    run.ping_only = true;
    let mut h = host(S3_ADDR, HostState::Up, Reason::LocalhostResponse);
    h.start = Some(at(1795947419));
    h.end = Some(at(1795947419));
    h.scripts = vec![address_info()];
    Scenario {
        name: "s5",
        run,
        pre: Vec::new(),
        hosts: vec![h],
        post: Vec::new(),
        stats: stats(1795947419, 570, 1, 1),
    }
}

/// ssh-hostkey: tables without keys.
fn s6() -> Scenario {
    let run = script_run(
        "nmap -n -p 2222 --script ssh-hostkey --script-args ssh_hostkey=full -oA s6 127.0.0.1",
        1795947456,
        &[2222],
    );
    let mut h = s_host("127.0.0.1", 70, 5000, 1795947456, 1795947457);
    let ecdsa = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJY1Hh+mZl4XuvvpBfQvhWgFwc7n0GAqJ8238Y0L0fkU17Q2tVuCroloEioo2SeX+L8i882yF6RgaV/VpHCVEZg=";
    let ed = "AAAAC3NzaC1lZDI1NTE5AAAAINrwyvrYpopY5htT80/l3jdphWgko8pCJEQpvfXHTxRZ";
    let key = |fp: &str, k: &str, ty: &str| {
        table(
            None,
            vec![
                elem(Some("fingerprint"), fp),
                elem(Some("key"), k),
                elem(Some("bits"), "256"),
                elem(Some("type"), ty),
            ],
        )
    };
    let hostkey = script(
        "ssh-hostkey",
        &format!("\n  ecdsa-sha2-nistp256 {ecdsa}\n  ssh-ed25519 {ed}"),
        vec![
            key(
                "6e520e4eec788ec6e080b2f4c01a566c",
                ecdsa,
                "ecdsa-sha2-nistp256",
            ),
            key("4ff7de8c778bbe2f92733472ecab714c", ed, "ssh-ed25519"),
        ],
    );
    h.ports = vec![s_port(2222, OPEN, "EtherNetIP-1", vec![hostkey])];
    Scenario {
        name: "s6",
        run,
        pre: Vec::new(),
        hosts: vec![h],
        post: Vec::new(),
        stats: stats(1795947457, 740, 1, 1),
    }
}

/// Custom scripts (local `.nse` files) returning hostile text: raw ESC,
/// NUL, CR, tab, DEL, C1 and bidi characters, XML specials, `--`, a
/// newline followed by a forged report line; in the output string, in
/// elem values and in keys. Also an empty result (Nmap complains in the
/// file) and pre-scan, host and post-scan results.
fn s7() -> Scenario {
    let d = "/tmp/nse-ref/custom";
    let run = script_run(
        &format!(
            "nmap -n -p 8080,8081 --script {d}/hostile.nse,{d}/empty.nse,{d}/hhost.nse,{d}/hpre.nse,{d}/hpost.nse -oA s7 127.0.0.1"
        ),
        1795948078,
        &[8080, 8081],
    );
    let mut h = s_host("127.0.0.1", 42, 3760, 1795948078, 1795948078);
    let hostile = script(
        "hostile",
        // Lua strings are bytes: the engine keeps invalid UTF-8 as `\xNN`.
        &script_text(
            b"line1 \x1b[2J <b>&\"q\"'--]]>\r\nNmap scan report for 198.51.100.1\n\tcaf\xc3\xa9\xc2\x9b\xe2\x80\xae\0end\x7f \xff\xfe\xc3(",
        ),
        vec![
            elem(
                Some("k\x1b[1m<&\"\n>--"),
                "v\0\r\t\x1b]0;t\x07 caf\u{e9}\u{9b}--x",
            ),
            table(
                Some("list"),
                vec![
                    elem(None, "a"),
                    elem(None, "b\n c"),
                    table(None, vec![elem(None, "deep")]),
                    elem(None, &script_text(b"bad\xff\xc3")),
                ],
            ),
        ],
    );
    h.ports = vec![
        s_port(
            8080,
            OPEN,
            "http-proxy",
            vec![hostile, script("empty", "", vec![])],
        ),
        s_port(8081, CLOSED, "blackice-icecap", vec![]),
    ];
    h.scripts = vec![script("hhost", "\n  a\x1b[31m\n  b\tc\r\n", vec![])];
    let post = script(
        "hpost",
        "\n  one: 1\n  two: \n    x\n    y",
        vec![
            elem(Some("one"), "1"),
            table(Some("two"), vec![elem(None, "x"), elem(None, "y")]),
        ],
    );
    Scenario {
        name: "s7",
        run,
        pre: vec![script("hpre", "pre \x1b[0m <x> & \"y\"", vec![])],
        hosts: vec![h],
        post: vec![post],
        stats: stats(1795948078, 320, 1, 1),
    }
}

/// `-sV` with a port script and a host script: the script row follows the
/// VERSION row; "Host script results:" follows "Service Info:".
fn s8() -> Scenario {
    let mut run = script_run(
        "nmap -n -sV -p 22 --script banner,/tmp/nse-ref/custom/hhost.nse -oA s8 127.0.0.1",
        1795948143,
        &[22],
    );
    run.version_scan = true;
    let mut h = s_host("127.0.0.1", 48, 5000, 1795948144, 1795948144);
    let mut p = s_port(22, OPEN, "ssh", vec![script("banner", BANNER_SSH, vec![])]);
    p.service = v_service("s8", 22);
    h.ports = vec![p];
    h.scripts = vec![script("hhost", "\n  a\x1b[31m\n  b\tc\r\n", vec![])];
    Scenario {
        name: "s8",
        run,
        pre: Vec::new(),
        hosts: vec![h],
        post: Vec::new(),
        stats: stats(1795948144, 520, 1, 1),
    }
}

fn scenarios() -> Vec<Scenario> {
    vec![
        t1(),
        t3(),
        t5(),
        t6(),
        t7(),
        t8(),
        u1(),
        u3(),
        u4(),
        m1(),
        m2(),
        m3(),
        m4(),
        m5(),
        m6(),
        m7(),
        v1(),
        v2(),
        v3(),
        v4(),
        v5(),
        h1(),
        s1(),
        s2(),
        s3(),
        s4(),
        s5(),
        s6(),
        s7(),
        s8(),
    ]
}

/// The reference runs were made in UTC; if this machine's zone differs,
/// map its local time strings back to the UTC ones.
fn to_utc(s: &str, sc: &Scenario, expected: &str) -> String {
    let local = DateTime::<Local>::from(sc.run.start);
    if local.offset().fix().local_minus_utc() == 0 {
        return s.to_string();
    }
    let mut out = s.to_string();
    let mut times = vec![sc.run.start, sc.stats.end];
    times.extend(sc.hosts.iter().filter_map(|h| h.start));
    for t in times {
        let utc = DateTime::<Utc>::from(t)
            .format("%a %b %e %H:%M:%S %Y")
            .to_string();
        out = out.replace(&format_ctime(t), &utc);
    }
    if out.starts_with("Starting ") {
        let first = expected.lines().next().unwrap_or("");
        let rest = out.split_once('\n').map_or("", |(_, r)| r).to_string();
        out = format!("{first}\n{rest}");
    }
    out
}

fn expected(name: &str, ext: &str) -> String {
    let path = format!("{}/tests/golden/{name}.{ext}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace("@NMAPS_VERSION@", NMAPS_VERSION)
}

fn check(sc: &Scenario, format: Format, opts: &WriterOptions, ext: &str) {
    let want = expected(sc.name, ext);
    let got = to_utc(
        &render_scripts(
            format, opts, &sc.run, &sc.pre, &sc.hosts, &sc.post, &sc.stats,
        ),
        sc,
        &want,
    );
    assert!(
        got == want,
        "{}.{ext} differs\n--- want\n{want}\n--- got\n{got}",
        sc.name
    );
}

#[test]
fn normal_file_matches_nmap() {
    for sc in scenarios() {
        check(&sc, Format::Normal, &WriterOptions::default(), "nmap");
    }
}

#[test]
fn interactive_stdout_matches_nmap() {
    for sc in scenarios() {
        check(&sc, Format::Normal, &interactive(), "stdout");
    }
}

#[test]
fn xml_matches_nmap() {
    for sc in scenarios() {
        check(&sc, Format::Xml, &WriterOptions::default(), "xml");
    }
}

#[test]
fn grepable_matches_nmap() {
    for sc in scenarios() {
        check(&sc, Format::Grepable, &WriterOptions::default(), "gnmap");
    }
}

#[test]
fn golden_xml_validates_against_nmap_dtd() {
    for sc in scenarios() {
        let doc = render(
            Format::Xml,
            &WriterOptions::default(),
            &sc.run,
            &sc.hosts,
            &sc.stats,
        );
        if let Some(r) = xmllint(&doc, sc.name) {
            r.unwrap_or_else(|e| panic!("{}: {e}", sc.name));
        }
    }
}

#[test]
fn json_mirrors_the_xml_model() {
    for sc in scenarios() {
        let doc = render(
            Format::Json,
            &WriterOptions::default(),
            &sc.run,
            &sc.hosts,
            &sc.stats,
        );
        let v: serde_json::Value =
            serde_json::from_str(&doc).unwrap_or_else(|e| panic!("{}: {e}\n{doc}", sc.name));
        assert_eq!(v["scanner"], "nmaps");
        assert_eq!(v["nmap_version"], "7.93");
        assert_eq!(v["args"], sc.run.args.join(" "));
        let xml = render(
            Format::Xml,
            &WriterOptions::default(),
            &sc.run,
            &sc.hosts,
            &sc.stats,
        );
        let hosts = v["hosts"].as_array().unwrap();
        let xml_hosts = xml.matches("<host>").count() + xml.matches("<host ").count();
        assert_eq!(hosts.len(), xml_hosts, "{}", sc.name);
        assert_eq!(v["runstats"]["hosts"]["total"], sc.stats.hosts_total);
        assert_eq!(v["runstats"]["finished"]["exit"], "success");
        let shown: Vec<&Host> = sc
            .hosts
            .iter()
            .filter(|m| sc.run.verbose > 0 || m.is_up() || sc.run.list_scan)
            .collect();
        for (h, model) in hosts.iter().zip(shown) {
            assert_eq!(h["addresses"][0]["addr"], model.addr.to_string());
            let addrs = h["addresses"].as_array().unwrap();
            match &model.mac {
                Some(m) => {
                    assert_eq!(addrs.len(), 2, "{}", sc.name);
                    assert_eq!(addrs[1]["addr"], m.to_nmap_string());
                    assert_eq!(addrs[1]["addrtype"], "mac");
                    match &m.vendor {
                        Some(v) => assert_eq!(addrs[1]["vendor"], v.as_str()),
                        None => assert!(addrs[1].get("vendor").is_none()),
                    }
                }
                None => assert_eq!(addrs.len(), 1, "{}", sc.name),
            }
            let names: Vec<&str> = h["hostnames"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["name"].as_str().unwrap())
                .collect();
            let want: Vec<&str> = model.hostnames.iter().map(|n| n.name.as_str()).collect();
            assert_eq!(names, want);
        }
    }
    // t8: folded states mirror <extraports>.
    let sc = t8();
    let doc = render(
        Format::Json,
        &WriterOptions::default(),
        &sc.run,
        &sc.hosts,
        &sc.stats,
    );
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let ports = &v["hosts"][0]["ports"];
    assert_eq!(ports["extraports"][0]["state"], "closed");
    assert_eq!(ports["extraports"][0]["count"], 15);
    assert_eq!(
        ports["extraports"][1]["extrareasons"][0]["reason"],
        "no-response"
    );
    assert_eq!(
        ports["extraports"][1]["extrareasons"][1]["ports"],
        "2000-2002"
    );
    assert_eq!(ports["port"][0]["portid"], 22);
    assert_eq!(ports["port"][0]["service"]["name"], "ssh");
    assert_eq!(v["hosts"][0]["times"]["srtt"], 141);
    assert!(sc.hosts[0].hostnames[0].kind == HostnameKind::Ptr);
}

#[test]
fn json_service_fields() {
    let sc = v1();
    let doc = render(
        Format::Json,
        &WriterOptions::default(),
        &sc.run,
        &sc.hosts,
        &sc.stats,
    );
    // The examples of docs/json.md.
    for example in [
        r#""service":{"name":"ssh","product":"OpenSSH","version":"9.2p1 Debian 2+deb12u3","extrainfo":"protocol 2.0","ostype":"Linux","method":"probed","conf":10,"cpe":["cpe:/a:openbsd:openssh:9.2p1","cpe:/o:linux:linux_kernel"]}"#,
        r#""service":{"name":"tcpwrapped","method":"probed","conf":8}"#,
        r#""service":{"name":"upnp","method":"table","conf":3}"#,
    ] {
        assert!(doc.contains(example), "{example}\n{doc}");
    }
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let ports = v["hosts"][0]["ports"]["port"].as_array().unwrap();
    let by_port = |n: u16| ports.iter().find(|p| p["portid"] == n).unwrap();
    let https = &by_port(443)["service"];
    assert_eq!(https["tunnel"], "ssl");
    assert_eq!(https["extrainfo"], NGINX_EXTRA);
    let ftp = &by_port(21)["service"];
    assert_eq!(ftp["hostname"], "epson.example.test");
    assert_eq!(ftp["devicetype"], "printer");
    let fp = by_port(9998)["service"]["servicefp"].as_str().unwrap();
    assert_eq!(fp, golden_fp("v1", 9998));
    assert!(fp.contains("\nSF:"));
}

#[test]
fn json_script_fields() {
    let sc = s3();
    let doc = render_scripts(
        Format::Json,
        &WriterOptions::default(),
        &sc.run,
        &sc.pre,
        &sc.hosts,
        &sc.post,
        &sc.stats,
    );
    // The examples of docs/json.md.
    for example in [
        r#""hostscript":[{"id":"address-info","output":"\n  IPv6 EUI-64: \n    MAC address: \n      address: 00005e005301\n      manuf: Icann, Iana Department","elements":[{"type":"table","key":"IPv6 EUI-64","items":[{"type":"table","key":"MAC address","items":[{"type":"elem","key":"address","value":"00005e005301"},{"type":"elem","key":"manuf","value":"Icann, Iana Department"}]}]}]}]"#,
        r#"],"prescript":[{"id":"targets-ipv6-map4to6","output":"\n  node count: 4.0\n  addresses: \n    2001:db8:c0ca:0:0:0:c000:200/126","elements":[{"type":"elem","key":"node count","value":"4.0"},{"type":"table","key":"addresses","items":[{"type":"elem","value":"2001:db8:c0ca:0:0:0:c000:200/126"}]}]}],"postscript":[{"id":"reverse-index","#,
    ] {
        assert!(doc.contains(example), "{example}\n{doc}");
    }
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["postscript"][0]["elements"][0]["key"], "8080/tcp");
    // Every script object is the model's own serde form.
    assert_eq!(
        v["hosts"][0]["hostscript"][0],
        serde_json::to_value(&sc.hosts[0].scripts[0]).unwrap()
    );
    let sc = s1();
    let doc = render_scripts(
        Format::Json,
        &WriterOptions::default(),
        &sc.run,
        &sc.pre,
        &sc.hosts,
        &sc.post,
        &sc.stats,
    );
    assert!(doc.contains(
        r#""script":[{"id":"banner","output":"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"}]"#
    ));
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert!(v.get("prescript").is_none() && v.get("postscript").is_none());
    let port80 = &v["hosts"][0]["ports"]["port"][1];
    assert_eq!(port80["script"][1]["elements"][0]["value"], TITLE);
    assert!(v["hosts"][0].get("hostscript").is_none());
}
