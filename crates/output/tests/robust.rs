//! Hostile data, interrupted runs, folding rules and the fan-out writer.

mod common;

use common::*;
use nmaps_model::{
    Exit, Host, HostState, Hostname, HostnameKind, PortState, Protocol, Reason, RunInfo, RunStats,
    ScriptElem, ScriptResult, Service, VersionInfo,
};
use nmaps_output::{Format, Multi, Writer, WriterOptions, writer};
use std::io::{self, Write};

const FORMATS: [Format; 4] = [Format::Normal, Format::Xml, Format::Grepable, Format::Json];

fn hostile_name() -> String {
    "evil\x1b[2J\u{9b}31m]]>--x\"'<&\t\nName: injected\u{202e}gpj.exe\x7f\0end".to_string()
}

const HOSTILE_VENDOR: &str = "Ev\x1b[31mil <&> --\u{202e}\nMAC Address: spoof";

fn hostile_scan() -> (RunInfo, Vec<Host>, RunStats) {
    let mut run = run(
        "nmap -sT -p 1-40 -v --reason 203.0.113.9",
        1795926053,
        &(1..=40).collect::<Vec<_>>(),
    );
    run.args
        .insert(2, "--script-args=x=\"a b\"\x1b]0;title\x07".to_string());
    run.args.push("---".to_string());
    run.verbose = 1;
    run.reason = true;
    run.stylesheet = Some("https://example.test/a\"b<c>--d.xsl".to_string());

    let mut h = host("203.0.113.9", HostState::Up, Reason::SynAck);
    h.hostnames.push(Hostname {
        name: hostile_name(),
        kind: HostnameKind::User,
    });
    // Invalid UTF-8 from the wire, replaced before it reaches the model.
    h.hostnames.push(Hostname {
        name: String::from_utf8_lossy(b"bad\xff\xfe-\x00\x07ptr--.example").into_owned(),
        kind: HostnameKind::Ptr,
    });
    h.other_addrs = vec![
        "203.0.113.10".parse().unwrap(),
        "2001:db8::1".parse().unwrap(),
    ];
    timing(&mut h, 1500, 700, 100000);
    h.start = Some(at(1795926053));
    h.end = Some(at(1795926060));
    h.ports = (1..=40)
        .map(|n| match n {
            1 => port(n, PortState::Open, Reason::SynAck, Some("ht/tp\x1b[31m")),
            2 => port(n, PortState::Open, Reason::SynAck, Some("a--b]]>\u{85}")),
            3 => port(n, PortState::Open, Reason::SynAck, None),
            _ => port(n, PortState::Closed, Reason::ConnRefused, Some("x")),
        })
        .collect();
    // A vendor from a user's --datadir file is untrusted text too.
    mac(&mut h, "00:00:0C:01:02:03", Some(HOSTILE_VENDOR));
    let mut down = host("203.0.113.77", HostState::Down, Reason::NoResponse);
    down.hostnames.push(Hostname {
        name: "down\x1b[1m.example".to_string(),
        kind: HostnameKind::User,
    });
    let mut stats = stats(1795926060, 7000, 1, 2);
    stats.exit = Exit::Error("caught SIGINT \x1b[0m -- \"quit\" <now> \u{9b}".to_string());
    (run, vec![h, down], stats)
}

/// No terminal control sequence can survive: only `\n` (and `\t` as the
/// grepable field separator) below 0x20, no DEL, no C1 controls, no bidi.
fn assert_screen_safe(text: &str, allow_tab: bool, what: &str) {
    for (i, c) in text.chars().enumerate() {
        let bad = (c.is_control() && c != '\n' && !(allow_tab && c == '\t'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "{what}: control character {c:?} at char {i}:\n{text}");
    }
}

#[test]
fn normal_output_escapes_hostile_text() {
    let (run, hosts, mut stats) = hostile_scan();
    for opts in [WriterOptions::default(), interactive()] {
        let out = render(Format::Normal, &opts, &run, &hosts, &stats);
        assert_screen_safe(&out, false, "normal");
        assert!(out.contains("evil\\x1B[2J\\xC2\\x9B31m]]>--x\"'<&\\x09\\x0AName: injected\\xE2\\x80\\xAEgpj.exe\\x7F\\x00end (203.0.113.9)"));
        assert!(out.contains("ht/tp\\x1B[31m"));
        assert!(out.contains("Other addresses for evil"));
        assert!(out.contains("(not scanned): 203.0.113.10 2001:db8::1\n"));
        assert!(out.contains(
            "rDNS record for 203.0.113.9: bad\u{fffd}\u{fffd}-\\x00\\x07ptr--.example\n"
        ));
        assert!(out.contains("Nmap scan report for down\\x1B[1m.example (203.0.113.77) [host down, received no-response]\n"));
        assert!(out.contains(
            "\nMAC Address: 00:00:0C:01:02:03 (Ev\\x1B[31mil <&> --\\xE2\\x80\\xAE\\x0AMAC Address: spoof)\n"
        ));
        // No line may start with text injected through a newline in a name.
        assert!(!out.lines().any(|l| l.starts_with("Name: injected")));
        assert!(!out.lines().any(|l| l.starts_with("MAC Address: spoof")));
    }
    // Interrupted file output ends like Nmap after a fatal error.
    let out = render(
        Format::Normal,
        &WriterOptions::default(),
        &run,
        &hosts,
        &stats,
    );
    assert!(
        out.ends_with("caught SIGINT \\x1B[0m -- \"quit\" <now> \\xC2\\x9B\nQUITTING!\n"),
        "{out}"
    );
    stats.exit = Exit::Success;
    let out = render(
        Format::Normal,
        &WriterOptions::default(),
        &run,
        &hosts,
        &stats,
    );
    assert!(out.ends_with("-- 2 IP addresses (1 host up) scanned in 7.00 seconds\n"));
}

#[test]
fn grepable_output_escapes_hostile_text() {
    let (run, hosts, stats) = hostile_scan();
    let out = render(
        Format::Grepable,
        &WriterOptions::default(),
        &run,
        &hosts,
        &stats,
    );
    assert_screen_safe(&out, true, "grepable");
    for line in out.lines() {
        assert!(
            line.starts_with("# ") || line.starts_with("Host: "),
            "stray line {line:?}"
        );
    }
    assert!(out.contains(
        "1/open/tcp//ht|tp\\x1B[31m///, 2/open/tcp//a--b]]>\\xC2\\x85///, 3/open/tcp/////"
    ));
    // -v raises the folding threshold to 50: the 37 closed ports are listed.
    assert!(out.contains(", 40/closed/tcp//x///\n"));
    assert!(out.contains("Host: 203.0.113.77 ()\tStatus: Down\n"));
    // Each line has the expected number of tab-separated fields.
    let ports_line = out.lines().find(|l| l.contains("\tPorts: ")).unwrap();
    assert_eq!(ports_line.split('\t').count(), 2);
}

#[test]
fn xml_with_hostile_text_is_valid() {
    let (run, hosts, mut stats) = hostile_scan();
    for exit in [Exit::Success, stats.exit.clone()] {
        stats.exit = exit;
        let doc = render(Format::Xml, &WriterOptions::default(), &run, &hosts, &stats);
        assert!(doc.is_ascii(), "XML output is pure ASCII");
        assert!(!doc.contains("&#x1b;") && !doc.contains("&#x0;"));
        assert!(doc.contains("<hostname name=\"evil\\x1B[2J&#xc2;&#x9b;31m]]&gt;-&#45;x&quot;&apos;&lt;&amp;&#x9;&#xa;Name: injected&#xe2;&#x80;&#xae;gpj.exe\\x7F\\x00end\" type=\"user\"/>"));
        assert!(doc.contains("<?xml-stylesheet href=\"https://example.test/a&quot;b&lt;c&gt;-&#45;d.xsl\" type=\"text/xsl\"?>"));
        assert!(doc.contains(" -&#45;&#45; -->\n"));
        assert!(doc.contains("<address addr=\"00:00:0C:01:02:03\" addrtype=\"mac\" vendor=\"Ev\\x1B[31mil &lt;&amp;&gt; -&#45;&#xe2;&#x80;&#xae;&#xa;MAC Address: spoof\"/>\n"));
        if let Some(r) = xmllint(&doc, "hostile") {
            r.unwrap_or_else(|e| panic!("{e}\n{doc}"));
        }
    }
    assert!(render(Format::Xml, &WriterOptions::default(), &run, &hosts, &stats)
        .contains(" exit=\"error\" errormsg=\"caught SIGINT \\x1B[0m -&#45; &quot;quit&quot; &lt;now&gt; &#xc2;&#x9b;\"/>"));
}

#[test]
fn json_round_trips_hostile_text() {
    let (run, hosts, stats) = hostile_scan();
    let doc = render(
        Format::Json,
        &WriterOptions::default(),
        &run,
        &hosts,
        &stats,
    );
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
    assert_eq!(v["hosts"][0]["hostnames"][0]["name"], hostile_name());
    assert_eq!(v["hosts"][0]["hostnames"][0]["type"], "user");
    assert_eq!(v["hosts"][0]["hostnames"][1]["type"], "PTR");
    assert_eq!(
        v["hosts"][0]["ports"]["port"][0]["service"]["name"],
        "ht/tp\x1b[31m"
    );
    assert_eq!(v["hosts"][0]["other_addresses"][1], "2001:db8::1");
    assert_eq!(v["hosts"][0]["addresses"][1]["addr"], "00:00:0C:01:02:03");
    assert_eq!(v["hosts"][0]["addresses"][1]["vendor"], HOSTILE_VENDOR);
    assert_eq!(v["hosts"][1]["status"]["state"], "down");
    assert_eq!(v["argv"][2], run.args[2]);
    assert_eq!(v["runstats"]["finished"]["exit"], "error");
    assert!(
        v["runstats"]["finished"]["errormsg"]
            .as_str()
            .unwrap()
            .starts_with("caught SIGINT \x1b")
    );
    // Raw control characters never appear in the JSON text itself.
    assert!(!doc.bytes().any(|b| b < 0x20 && b != b'\n'));
}

#[test]
fn interrupted_right_after_begin_is_complete() {
    let run = run("nmap -sT 192.0.2.1", 1795926053, &[80, 443]);
    let mut st = stats(1795926054, 1000, 0, 0);
    st.exit = Exit::Error("Interrupted by SIGINT".to_string());
    for format in FORMATS {
        let out = render(format, &WriterOptions::default(), &run, &[], &st);
        match format {
            Format::Xml => {
                assert!(out.ends_with("exit=\"error\" errormsg=\"Interrupted by SIGINT\"/><hosts up=\"0\" down=\"0\" total=\"0\"/>\n</runstats>\n</nmaprun>\n"));
                if let Some(r) = xmllint(&out, "interrupted") {
                    r.unwrap();
                }
            }
            Format::Json => {
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert_eq!(v["hosts"].as_array().unwrap().len(), 0);
                assert_eq!(
                    v["runstats"]["finished"]["errormsg"],
                    "Interrupted by SIGINT"
                );
            }
            Format::Normal => assert!(out.ends_with("\nInterrupted by SIGINT\nQUITTING!\n")),
            Format::Grepable => assert_eq!(out.lines().count(), 1),
        }
    }
    // end() without begin() still gives a complete XML and JSON document.
    for format in [Format::Xml, Format::Json] {
        let cap = Capture::default();
        let mut w = writer(format, Box::new(cap.clone()), &WriterOptions::default());
        w.end(&run, &st).unwrap();
        let out = cap.text();
        if format == Format::Json {
            serde_json::from_str::<serde_json::Value>(&out).unwrap();
        } else if let Some(r) = xmllint(&out, "end-only") {
            r.unwrap();
        }
    }
}

fn ports_host(closed: u16, filtered: u16, open: &[u16]) -> Host {
    let mut h = host("192.0.2.5", HostState::Up, Reason::SynAck);
    let mut n = 1;
    for _ in 0..closed {
        h.ports
            .push(port(n, PortState::Closed, Reason::ConnRefused, Some("c")));
        n += 1;
    }
    for _ in 0..filtered {
        h.ports
            .push(port(n, PortState::Filtered, Reason::NoResponse, Some("f")));
        n += 1;
    }
    for &p in open {
        h.ports
            .push(port(p, PortState::Open, Reason::SynAck, Some("o")));
    }
    h.ports.sort_by_key(|p| p.number);
    h
}

fn normal_host(run: &RunInfo, h: &Host) -> String {
    let total = 1;
    render(
        Format::Normal,
        &WriterOptions::default(),
        run,
        std::slice::from_ref(h),
        &stats(1795926060, 1, 1, total),
    )
}

#[test]
fn folding_scales_with_verbosity() {
    let h = ports_host(40, 0, &[1000]);
    let mut r = run("nmap x", 1795926053, &[]);
    r.scan_info = vec![nmaps_model::ScanInfo {
        scan_type: nmaps_model::ScanType::Connect,
        scan_flags: None,
        protocol: Protocol::Tcp,
        ports: h.ports.iter().map(|p| p.number).collect(),
    }];
    assert!(normal_host(&r, &h).contains("Not shown: 40 closed tcp ports (conn-refused)\n"));
    r.verbose = 1; // threshold 50
    let out = normal_host(&r, &h);
    assert!(!out.contains("Not shown"));
    assert!(
        out.contains("\n\nPORT     STATE  SERVICE\n1/tcp    closed c\n"),
        "{out}"
    );
    r.verbose = 0;
    r.debugging = 3; // nothing is folded
    let out = normal_host(&r, &h);
    assert!(
        out.contains("PORT     STATE  SERVICE REASON\n"),
        "-d adds REASON: {out}"
    );
    assert!(!out.contains("Not shown"));
}

#[test]
fn folding_orders_states_and_reasons_like_nmap() {
    // Equal counts: closed (state 1) before filtered (state 3).
    let h = ports_host(30, 30, &[80]);
    let r = run("nmap x", 1795926053, &[]);
    let out = normal_host(&r, &h);
    assert!(
        out.contains(
            "Not shown: 30 closed tcp ports (conn-refused), 30 filtered tcp ports (no-response)\n"
        ),
        "{out}"
    );
    let xml = render(
        Format::Xml,
        &WriterOptions::default(),
        &r,
        std::slice::from_ref(&h),
        &stats(1, 1, 1, 1),
    );
    assert!(xml.contains("<ports><extraports state=\"closed\" count=\"30\">\n<extrareasons reason=\"conn-refused\" count=\"30\" proto=\"tcp\" ports=\"1-30\"/>\n</extraports>\n<extraports state=\"filtered\" count=\"30\">\n"));
    // Two ignored states: grepable names none.
    let g = render(
        Format::Grepable,
        &WriterOptions::default(),
        &r,
        std::slice::from_ref(&h),
        &stats(1, 1, 1, 1),
    );
    assert!(g.contains("Ports: 80/open/tcp//o///\n"), "{g}");

    // Equal reason counts inside one state: Nmap's merge sort puts the later one first.
    let mut h = ports_host(0, 0, &[80]);
    for n in 100..130 {
        h.ports
            .push(port(n, PortState::Filtered, Reason::NoResponse, None));
    }
    for n in 200..230 {
        h.ports
            .push(port(n, PortState::Filtered, Reason::HostUnreach, None));
    }
    let out = normal_host(&r, &h);
    assert!(
        out.contains(
            "Not shown: 30 filtered tcp ports (host-unreach), 30 filtered tcp ports (no-response)\n"
        ),
        "{out}"
    );

    // All ports folded.
    let h = ports_host(30, 30, &[]);
    let out = normal_host(&r, &h);
    assert!(
        out.contains(
            "All 60 scanned ports on 192.0.2.5 are in ignored states.\nNot shown: 30 closed"
        ),
        "{out}"
    );
    assert!(!out.contains("PORT"));
}

#[test]
fn names_and_hidden_hosts() {
    let mut r = run("nmap -sT example.test", 1795926053, &[80]);
    let mut h = host("192.0.2.1", HostState::Up, Reason::SynAck);
    h.hostnames = vec![
        Hostname {
            name: "example.test".into(),
            kind: HostnameKind::User,
        },
        Hostname {
            name: "web.example.net".into(),
            kind: HostnameKind::Ptr,
        },
    ];
    h.other_addrs = vec!["192.0.2.2".parse().unwrap()];
    h.ports = vec![port(
        80,
        PortState::Closed,
        Reason::ConnRefused,
        Some("http"),
    )];
    let out = normal_host(&r, &h);
    assert!(out.contains("Nmap scan report for example.test (192.0.2.1)\nHost is up.\nOther addresses for example.test (not scanned): 192.0.2.2\nrDNS record for 192.0.2.1: web.example.net\n\nPORT   STATE  SERVICE\n80/tcp closed http\n\n"), "{out}");
    let g = render(
        Format::Grepable,
        &WriterOptions::default(),
        &r,
        std::slice::from_ref(&h),
        &stats(1, 1, 1, 1),
    );
    assert!(g.contains("Host: 192.0.2.1 (web.example.net)\tStatus: Up\n"));

    // --open hides hosts without open ports in every format; down hosts too.
    r.open_only = true;
    r.verbose = 2;
    let down = host("192.0.2.9", HostState::Down, Reason::NoResponse);
    let hosts = [h.clone(), down.clone()];
    for format in FORMATS {
        let out = render(
            format,
            &WriterOptions::default(),
            &r,
            &hosts,
            &stats(1, 1, 1, 2),
        );
        assert!(
            !out.contains("192.0.2.1") && !out.contains("192.0.2.9"),
            "{format:?}: {out}"
        );
    }
    // Without --open, -v shows the down host.
    r.open_only = false;
    r.verbose = 1;
    let xml = render(
        Format::Xml,
        &WriterOptions::default(),
        &r,
        &hosts,
        &stats(1, 1, 1, 2),
    );
    assert!(xml.contains("<host><status state=\"down\" reason=\"no-response\" reason_ttl=\"0\"/>\n<address addr=\"192.0.2.9\" addrtype=\"ipv4\"/>\n</host>\n"), "{xml}");
    let out = render(
        Format::Normal,
        &WriterOptions::default(),
        &r,
        &hosts,
        &stats(1, 1, 1, 2),
    );
    assert!(
        out.contains("Nmap scan report for 192.0.2.9 [host down]\n# Nmap done"),
        "{out}"
    );
    // And without -v it is hidden.
    r.verbose = 0;
    let out = render(
        Format::Grepable,
        &WriterOptions::default(),
        &r,
        &hosts,
        &stats(1, 1, 1, 2),
    );
    assert!(!out.contains("192.0.2.9"));
    // The interactive hint for a single down host.
    let out = render(
        Format::Normal,
        &interactive(),
        &r,
        &[down],
        &stats(1, 1, 0, 1),
    );
    assert!(out.contains("Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn\nNmap done: 1 IP address (0 hosts up) scanned in 0.00 seconds\n"), "{out}");
}

#[test]
fn ipv6_and_reason_ttl() {
    let mut r = run("nmap -6 -sS --reason ::1", 1795926053, &[22]);
    r.reason = true;
    let mut h = host("2001:db8::5", HostState::Up, Reason::EchoReply);
    h.status.reason_ttl = 64;
    let mut p = port(22, PortState::Open, Reason::SynAck, Some("ssh"));
    p.reason_ttl = 64;
    h.ports = vec![p];
    let out = normal_host(&r, &h);
    assert!(out.contains("Host is up, received echo-reply ttl 64.\n\nPORT   STATE SERVICE REASON\n22/tcp open  ssh     syn-ack ttl 64\n"), "{out}");
    let xml = render(
        Format::Xml,
        &WriterOptions::default(),
        &r,
        std::slice::from_ref(&h),
        &stats(1, 1, 1, 1),
    );
    assert!(xml.contains("<address addr=\"2001:db8::5\" addrtype=\"ipv6\"/>"));
    assert!(xml.contains("reason=\"syn-ack\" reason_ttl=\"64\""));
}

struct Failing;
impl Write for Failing {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("disk full"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn multi_keeps_going_after_an_error() {
    let opts = WriterOptions::default();
    let cap = Capture::default();
    let mut m = Multi(vec![
        writer(Format::Xml, Box::new(Failing), &opts),
        writer(Format::Grepable, Box::new(cap.clone()), &opts),
    ]);
    let r = run("nmap x", 1795926053, &[80]);
    assert_eq!(m.begin(&r).unwrap_err().to_string(), "disk full");
    assert!(m.end(&r, &stats(1795926054, 1, 0, 0)).is_err());
    let out = cap.text();
    assert!(out.starts_with("# Nmap 7.93 scan initiated "));
    assert!(out.contains("# Nmap done at "));
}

#[test]
fn very_verbose_shows_scan_times() {
    let (mut run, hosts, mut stats) = hostile_scan();
    run.verbose = 2;
    stats.exit = Exit::Success;
    let out = render(
        Format::Normal,
        &WriterOptions::default(),
        &run,
        &hosts,
        &stats,
    );
    let line = out
        .lines()
        .find(|l| l.starts_with("Scanned at "))
        .expect("Scanned at line");
    assert!(line.ends_with(" for 7s"), "{line}");
    assert!(out.contains("Host is up, received syn-ack (0.0015s latency).\nOther addresses"));
}

/// An ICMP error from a router rather than the target: Nmap writes
/// `reason_ip` in XML and "… from ADDR ttl N" in the REASON column.
#[test]
fn reason_ip_of_a_routers_answer() {
    let mut r = run("nmap -sS --reason -p 80 198.18.1.200", 1795926060, &[80]);
    r.reason = true;
    let mut h = host("198.18.1.200", HostState::Up, Reason::UserSet);
    let mut p = port(80, PortState::Filtered, Reason::HostUnreach, Some("http"));
    p.reason_ttl = 64;
    p.reason_ip = Some("198.18.0.254".parse().unwrap());
    h.ports.push(p);
    let st = stats(1795926061, 1000, 1, 1);
    let normal = render(
        Format::Normal,
        &interactive(),
        &r,
        std::slice::from_ref(&h),
        &st,
    );
    assert!(
        normal.contains("80/tcp filtered http    host-unreach from 198.18.0.254 ttl 64"),
        "{normal}"
    );
    let xml = render(Format::Xml, &WriterOptions::default(), &r, &[h], &st);
    assert!(
        xml.contains(r#"<state state="filtered" reason="host-unreach" reason_ttl="64" reason_ip="198.18.0.254"/>"#),
        "{xml}"
    );
    if let Some(v) = xmllint(&xml, "reason_ip") {
        v.unwrap();
    }
}

/// Version detection findings come from remote banners: every text field
/// carries escape sequences, NUL, markup, quotes, a newline, `/` and `,`.
/// Like Nmap, the writers keep version fields as printable ASCII (other
/// bytes become `.`, a NUL ends the text); service names and fingerprints
/// are escaped.
fn hostile_version_scan() -> (RunInfo, Vec<Host>, RunStats) {
    let mut run = run("nmap -sV -p 1-3 203.0.113.9", 1795926053, &[1, 2, 3]);
    run.version_scan = true;
    let mut h = host("203.0.113.9", HostState::Up, Reason::SynAck);
    ptr(&mut h, "target.example");
    timing(&mut h, 1500, 700, 100000);
    h.start = Some(at(1795926053));
    h.end = Some(at(1795926060));
    let mut evil = Service::probed(
        "ht\x1b[31mtp",
        VersionInfo {
            product: Some(HOSTILE_PRODUCT.to_string()),
            version: Some("1.0<&\"\n3/4,5\x00hidden".to_string()),
            extrainfo: Some("x/y, \"z\" <&>\x1b]0;t\x07".to_string()),
            hostname: Some("h\x1b[1m.example\nService Info: spoof".to_string()),
            ostype: Some("Li/nux\n,OS".to_string()),
            devicetype: Some("dev<&>".to_string()),
            cpes: vec![
                "cpe:/o:evil:\x1b[31m<&>".to_string(),
                "cpe:/a:app:x".to_string(),
            ],
        },
    );
    evil.tunnel_ssl = true;
    let fp = Service {
        servicefp: Some(HOSTILE_FP.to_string()),
        ..Service::from_table("x/y")
    };
    let mut p1 = port(1, PortState::Open, Reason::SynAck, None);
    p1.service = Some(evil);
    let mut p2 = port(2, PortState::Open, Reason::SynAck, None);
    p2.service = Some(fp);
    h.ports = vec![
        p1,
        p2,
        port(3, PortState::Closed, Reason::ConnRefused, Some("z")),
    ];
    (run, vec![h], stats(1795926060, 7000, 1, 1))
}

const HOSTILE_PRODUCT: &str = "Evil\x1b[31m/Prod";
const HOSTILE_FP: &str =
    "SF-Port2-TCP:V=7.93%r(NULL,4,\"&\\x1b\")\nSF:%r(x)\x1b[2J\n# Nmap done at\x00&amp;";

#[test]
fn version_fields_from_banners_are_escaped() {
    let (run, hosts, stats) = hostile_version_scan();
    for opts in [WriterOptions::default(), interactive()] {
        let out = render(Format::Normal, &opts, &run, &hosts, &stats);
        assert_screen_safe(&out, false, "normal -sV");
        let rows: Vec<&str> = out.lines().filter(|l| l.contains("/tcp ")).collect();
        assert_eq!(
            rows[0],
            "1/tcp open   ssl/ht\\x1B[31mtp Evil.[31m/Prod 1.0<&\".3/4,5 (x/y, \"z\" <&>.]0;t.)"
        );
        assert_eq!(rows[1], "2/tcp open   x/y?");
        assert_eq!(rows[2], "3/tcp closed z");
        assert!(out.contains(
            "\nService Info: Host: h.[1m.example.Service Info: spoof; OS: Li/nux.,OS; Device: dev<&>; CPE: cpe:/o:evil:.[31m<&>\n"
        ));
        assert!(out.contains(
            "\nSF-Port2-TCP:V=7.93%r(NULL,4,\"&\\x1b\")\nSF:%r(x)\\x1B[2J\\x0A# Nmap done at\\x00&amp;\n"
        ));
        assert!(!out.lines().any(|l| l.starts_with("Service Info: spoof")));
        assert!(!out.lines().any(|l| l.starts_with("# Nmap done at\\")));
        assert!(out.contains("\nService detection performed."));
    }

    let out = render(
        Format::Grepable,
        &WriterOptions::default(),
        &run,
        &hosts,
        &stats,
    );
    assert_screen_safe(&out, true, "grepable -sV");
    let ports_line = out.lines().find(|l| l.contains("\tPorts: ")).unwrap();
    assert_eq!(ports_line.split('\t').count(), 2);
    // `/` becomes `|` in the service and version fields; `,` stays, as in Nmap.
    assert!(ports_line.ends_with(
        "\tPorts: 1/open/tcp//ssl|ht\\x1B[31mtp//Evil.[31m|Prod 1.0<&\".3|4,5 (x|y, \"z\" <&>.]0;t.)/, 2/open/tcp//x|y?///, 3/closed/tcp//z///"
    ));

    let doc = render(Format::Xml, &WriterOptions::default(), &run, &hosts, &stats);
    assert!(doc.is_ascii());
    assert!(!doc.contains("&#x1b;") && !doc.contains("&#x0;") && !doc.contains("&#x7;"));
    assert!(doc.contains(
        "<service name=\"ht\\x1B[31mtp\" product=\"Evil.[31m/Prod\" version=\"1.0&lt;&amp;&quot;.3/4,5\" extrainfo=\"x/y, &quot;z&quot; &lt;&amp;&gt;.]0;t.\" hostname=\"h.[1m.example.Service Info: spoof\" ostype=\"Li/nux.,OS\" devicetype=\"dev&lt;&amp;&gt;\" tunnel=\"ssl\" method=\"probed\" conf=\"10\"><cpe>cpe:/o:evil:.[31m&lt;&amp;&gt;</cpe><cpe>cpe:/a:app:x</cpe></service>"
    ));
    // servicefp: `\nSF:` removed; the text after the last `&` (no `;`
    // after it) is cut, as Nmap does.
    assert!(doc.contains(
        "<service name=\"x/y\" servicefp=\"SF-Port2-TCP:V=7.93%r(NULL,4,&quot;&amp;\\x1b&quot;)%r(x)\\x1B[2J&#xa;# Nmap done at\\x00&amp;amp;\" method=\"table\" conf=\"3\"/>"
    ));
    if let Some(r) = xmllint(&doc, "hostile-version") {
        r.unwrap_or_else(|e| panic!("{e}\n{doc}"));
    }

    let doc = render(
        Format::Json,
        &WriterOptions::default(),
        &run,
        &hosts,
        &stats,
    );
    assert!(!doc.bytes().any(|b| b < 0x20 && b != b'\n'));
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let svc = &v["hosts"][0]["ports"]["port"][0]["service"];
    // JSON mirrors the XML: version fields as Nmap keeps them.
    assert_eq!(svc["product"], "Evil.[31m/Prod");
    assert_eq!(svc["version"], "1.0<&\".3/4,5");
    assert_eq!(svc["tunnel"], "ssl");
    assert_eq!(svc["cpe"][0], "cpe:/o:evil:.[31m<&>");
    assert_eq!(svc["cpe"][1], "cpe:/a:app:x");
    assert_eq!(
        v["hosts"][0]["ports"]["port"][1]["service"]["servicefp"],
        HOSTILE_FP
    );
}

/// Script output is remote data: ESC sequences, C1 controls, bidi
/// overrides, NUL, CR, tabs, XML specials, `--`, `]]>`, text that was
/// invalid UTF-8 (replaced by U+FFFD) and newlines trying to start lines
/// of their own, in outputs, ids, elem values and keys.
const HOSTILE_SCRIPT: &str = "line1 \x1b[2J\x1b]0;title\x07 <b>&\"q\"'--]]>\r\n\
Nmap scan report for 198.51.100.1\n\tcaf\u{e9}\u{9b}31m\u{202e}\0end\x7f";

fn hostile_elems() -> Vec<ScriptElem> {
    let bad = String::from_utf8_lossy(b"bad\xff\xfe\x00").into_owned();
    vec![
        ScriptElem::Elem {
            key: Some("k\x1b[1m<&\"\n>--".to_string()),
            value: HOSTILE_SCRIPT.to_string(),
        },
        ScriptElem::Table {
            key: Some(bad.clone()),
            items: vec![
                ScriptElem::Elem {
                    key: None,
                    value: bad,
                },
                ScriptElem::Table {
                    key: None,
                    items: vec![],
                },
            ],
        },
    ]
}

fn hostile_script_result(id: &str) -> ScriptResult {
    ScriptResult {
        id: id.to_string(),
        output: HOSTILE_SCRIPT.to_string(),
        elements: hostile_elems(),
    }
}

fn hostile_script_scan() -> (
    RunInfo,
    Vec<ScriptResult>,
    Vec<Host>,
    Vec<ScriptResult>,
    RunStats,
) {
    let mut run = run("nmap --script x -p 80 203.0.113.9", 1795926053, &[80]);
    run.script_scan = true;
    let mut h = host("203.0.113.9", HostState::Up, Reason::SynAck);
    timing(&mut h, 1500, 700, 100000);
    h.start = Some(at(1795926053));
    h.end = Some(at(1795926060));
    let mut p = port(80, PortState::Open, Reason::SynAck, Some("http"));
    p.scripts = vec![
        hostile_script_result("port-script"),
        ScriptResult {
            id: "evil\x1b[31m\nid".to_string(),
            output: String::from_utf8_lossy(b"\xc3\x28 \xff").into_owned(),
            elements: vec![],
        },
        // An empty result prints nothing in normal output.
        ScriptResult {
            id: "empty".to_string(),
            output: String::new(),
            elements: vec![],
        },
    ];
    h.ports = vec![p];
    h.scripts = vec![hostile_script_result("host-script")];
    (
        run,
        vec![hostile_script_result("pre-script")],
        vec![h],
        vec![hostile_script_result("post-script")],
        stats(1795926060, 7000, 1, 1),
    )
}

#[test]
fn script_output_is_escaped_in_every_format() {
    let (run, pre, hosts, post, stats) = hostile_script_scan();
    let escaped = "line1 \\x1B[2J\\x1B]0;title\\x07 <b>&\"q\"'--]]>\\x0D";
    let rest = "Nmap scan report for 198.51.100.1\n|_\tcaf\\xC3\\xA9\\xC2\\x9B31m\\xE2\\x80\\xAE\\x00end\\x7F";
    for opts in [WriterOptions::default(), interactive()] {
        let out = render_scripts(Format::Normal, &opts, &run, &pre, &hosts, &post, &stats);
        // Tab stays, as in Nmap; nothing else below 0x20 but newlines.
        assert_screen_safe(&out, true, "normal scripts");
        assert!(out.is_ascii(), "script text is shown as ASCII");
        for (label, id) in [
            ("Pre-scan script results:\n", "pre-script"),
            ("\nHost script results:\n", "host-script"),
            ("Post-scan script results:\n", "post-script"),
        ] {
            assert!(
                out.contains(&format!("{label}| {id}: {escaped}\n| {rest}\n")),
                "{label}\n{out}"
            );
        }
        assert!(out.contains(&format!(
            "80/tcp open  http\n| port-script: {escaped}\n| {rest}\n|_evil\\x1B[31m\\x0Aid: \\xEF\\xBF\\xBD( \\xEF\\xBF\\xBD\n"
        )));
        // Like Nmap, the file (not the terminal) gets its complaint about
        // an empty result, written before the port table.
        if opts.interactive {
            assert!(!out.contains("empty"));
        } else {
            assert!(out.contains("\nBug in empty: no string output.\nPORT "));
        }
        // Every line of a script block starts with `|`: a newline in the
        // output cannot forge a line of the report.
        assert!(
            !out.lines()
                .any(|l| l.starts_with("Nmap scan report for 198"))
        );
        assert!(
            out.lines()
                .filter(|l| l.contains('\t'))
                .all(|l| l.starts_with("|_\t"))
        );
    }

    let doc = render_scripts(
        Format::Xml,
        &WriterOptions::default(),
        &run,
        &pre,
        &hosts,
        &post,
        &stats,
    );
    assert!(doc.is_ascii());
    assert!(!doc.contains("&#x1b;") && !doc.contains("&#x0;") && !doc.contains("&#x7;"));
    let attr = "line1 \\x1B[2J\\x1B]0;title\\x07 &lt;b&gt;&amp;&quot;q&quot;&apos;-&#45;]]&gt;&#xd;&#xa;Nmap scan report for 198.51.100.1&#xa;&#x9;caf\\xC3\\xA9\\xC2\\x9B31m\\xE2\\x80\\xAE\\x00end\\x7F";
    let children = format!(
        "<elem key=\"k\\x1B[1m&lt;&amp;&quot;&#xa;&gt;-&#45;\">{attr}</elem>\n<table key=\"bad\\xEF\\xBF\\xBD\\xEF\\xBF\\xBD\\x00\">\n<elem>bad\\xEF\\xBF\\xBD\\xEF\\xBF\\xBD\\x00</elem>\n<table>\n</table>\n</table>\n"
    );
    for (tag, id) in [
        ("prescript", "pre-script"),
        ("hostscript", "host-script"),
        ("postscript", "post-script"),
    ] {
        let want =
            format!("<{tag}><script id=\"{id}\" output=\"{attr}\">{children}</script></{tag}>");
        assert!(doc.contains(&want), "{want}\n{doc}");
    }
    assert!(doc.contains(
        "<script id=\"evil\\x1B[31m\\x0Aid\" output=\"\\xEF\\xBF\\xBD( \\xEF\\xBF\\xBD\"/><script id=\"empty\" output=\"\"/></port>"
    ));
    if let Some(r) = xmllint(&doc, "hostile-scripts") {
        r.unwrap_or_else(|e| panic!("{e}\n{doc}"));
    }

    let out = render_scripts(
        Format::Grepable,
        &WriterOptions::default(),
        &run,
        &pre,
        &hosts,
        &post,
        &stats,
    );
    assert_screen_safe(&out, true, "grepable scripts");
    // Nmap's grepable output has no script results.
    assert!(!out.contains("line1") && !out.contains("-script:") && !out.contains("evil"));
    assert!(out.contains("Ports: 80/open/tcp//http///\n"));

    let doc = render_scripts(
        Format::Json,
        &WriterOptions::default(),
        &run,
        &pre,
        &hosts,
        &post,
        &stats,
    );
    assert!(!doc.bytes().any(|b| b < 0x20 && b != b'\n'));
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
    let want = |id: &str| serde_json::to_value(hostile_script_result(id)).unwrap();
    assert_eq!(v["prescript"][0], want("pre-script"));
    assert_eq!(v["postscript"][0], want("post-script"));
    assert_eq!(v["hosts"][0]["hostscript"][0], want("host-script"));
    let port = &v["hosts"][0]["ports"]["port"][0];
    assert_eq!(port["script"][0], want("port-script"));
    assert_eq!(port["script"][1]["id"], "evil\x1b[31m\nid");
    assert_eq!(port["script"][2]["output"], "");
    assert!(port["script"][2].get("elements").is_none());
}

/// `-sO`: protocol names come from the protocols table at confidence 8, and
/// Nmap writes `conf` before `method` on them (checked against nmap 7.93).
#[test]
fn ip_protocol_services_as_nmap_writes_them() {
    let mut h = host("198.18.0.10", HostState::Up, Reason::UserSet);
    let mut p = port(1, PortState::Open, Reason::EchoReply, Some("icmp"));
    p.protocol = nmaps_model::Protocol::Ip;
    if let Some(s) = p.service.as_mut() {
        s.conf = 8;
    }
    h.ports.push(p);
    let xml = render(
        Format::Xml,
        &WriterOptions::default(),
        &run("nmaps -sO -p1 198.18.0.10", 0, &[1]),
        &[h],
        &stats(1, 10, 1, 1),
    );
    assert!(
        xml.contains(r#"<service name="icmp" conf="8" method="table"/>"#),
        "{xml}"
    );
}
