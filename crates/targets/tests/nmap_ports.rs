//! Port selection compared with real Nmap 7.93 output (tests/data).

use nmaps_model::{Protocol, range_list};
use nmaps_targets::ports::{PortSelection, ProtoSet, parse_port_spec_for, select_ports};
use nmaps_targets::{Protocols, Services, parse_port_spec};

fn scanned(flags: &str) -> ProtoSet {
    let mut s = ProtoSet::default();
    for f in flags.split_whitespace() {
        match f {
            "-sS" => s.tcp = true,
            "-sU" => s.udp = true,
            "-sY" => s.sctp = true,
            "-sO" => s.ip = true,
            _ => panic!("flag {f}"),
        }
    }
    s
}

fn run(flags: &str, spec: &str) -> Result<(String, bool), String> {
    let svc = Services::embedded();
    let prot = Protocols::embedded();
    let sc = scanned(flags);
    let res = if let Some(extra) = spec.strip_prefix('X') {
        let args: Vec<&str> = extra.split_whitespace().collect();
        let mut sel = PortSelection::Default;
        let mut p = None;
        let mut ex = None;
        let mut i = 0;
        while i < args.len() {
            match args[i] {
                "-F" => sel = PortSelection::Fast,
                "--top-ports" => {
                    i += 1;
                    sel = PortSelection::Top(args[i].parse().unwrap());
                }
                "--port-ratio" => {
                    i += 1;
                    sel = PortSelection::Ratio(args[i].parse().unwrap());
                }
                "-p" => {
                    i += 1;
                    p = Some(parse_port_spec(args[i], svc).map_err(|e| e.nmap_message())?);
                }
                "--exclude-ports" => {
                    i += 1;
                    ex = Some(parse_port_spec(args[i], svc).map_err(|e| e.nmap_message())?);
                }
                a => panic!("arg {a}"),
            }
            i += 1;
        }
        select_ports(sel, p.as_ref(), ex.as_ref(), sc, svc, prot)
    } else if spec == "<none>" {
        select_ports(PortSelection::Default, None, None, sc, svc, prot)
    } else {
        parse_port_spec_for(spec, sc, svc, prot)
    }
    .map_err(|e| e.nmap_message())?;
    let mut parts = Vec::new();
    for (proto, on) in [
        (Protocol::Tcp, sc.tcp),
        (Protocol::Udp, sc.udp),
        (Protocol::Sctp, sc.sctp),
        (Protocol::Ip, sc.ip),
    ] {
        if on {
            parts.push(format!(
                "{}={}",
                proto.as_str(),
                range_list(&res.ports.ports(proto))
            ));
        }
    }
    Ok((parts.join(";"), res.duplicates))
}

#[test]
fn matches_nmap_793() {
    let data = include_str!("data/nmap-ports.txt");
    let mut failures = Vec::new();
    let mut n = 0;
    for line in data.lines().filter(|l| !l.starts_with('#')) {
        let mut f = line.splitn(3, '|');
        let (flags, spec, want) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        n += 1;
        let got = match run(flags, spec) {
            Ok((lists, dup)) => {
                if dup {
                    format!("{lists};dup")
                } else {
                    lists
                }
            }
            Err(msg) => format!("ERR:{msg}"),
        };
        if got != want {
            failures.push(format!(
                "{flags} | {spec:?}\n  want {want:.200}\n  got  {got:.200}"
            ));
        }
    }
    assert!(n > 100);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn fixture_list(spec: &str, proto: &str) -> String {
    let data = include_str!("data/nmap-ports.txt");
    let line = data
        .lines()
        .find(|l| l.starts_with(&format!("-sS -sU|{spec}|")))
        .unwrap();
    line.rsplit('|')
        .next()
        .unwrap()
        .split(';')
        .find_map(|p| p.strip_prefix(&format!("{proto}=")))
        .unwrap()
        .to_string()
}

#[test]
fn top_ports_direct() {
    let s = Services::embedded();
    for (spec, n) in [("<none>", 1000), ("X-F", 100)] {
        for (proto, name) in [(Protocol::Tcp, "tcp"), (Protocol::Udp, "udp")] {
            let got = s.top_ports(proto, n, None, None);
            assert_eq!(got.len(), n);
            assert_eq!(range_list(&got), fixture_list(spec, name), "{spec} {name}");
        }
    }
    // The first 20 TCP ports by frequency (reference notes §5.1).
    let top20 = s.top_ports(Protocol::Tcp, 20, None, None);
    let mut want = vec![
        80u16, 23, 443, 21, 22, 25, 3389, 110, 445, 139, 143, 53, 135, 3306, 8080, 1723, 111, 995,
        993, 5900,
    ];
    want.sort_unstable();
    assert_eq!(top20, want);
}
