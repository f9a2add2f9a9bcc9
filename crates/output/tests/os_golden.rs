//! OS detection (`-O`) output compared byte for byte with real Nmap 7.93
//! runs in the test lab (see golden/os/README.md). Each scenario's model is
//! read back from Nmap's own XML, so the test checks that the writers turn
//! the same data into the same text.

mod common;

use chrono::{DateTime, Local, Offset};
use common::*;
use nmaps_model::{
    Host, HostState, OsClass, OsMatch, OsResult, OsVerdict, PortState, PortUsed, Protocol, Reason,
    RunInfo, RunStats, ScanInfo, ScanType, SequenceClass, TcpSequence, Uptime,
};
use nmaps_output::{Format, WriterOptions};
use std::time::Duration;

/// One element's start tag, its attributes unescaped, and the text that
/// follows it up to the next tag.
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
}

impl Tag {
    fn get(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn attr(&self, k: &str) -> &str {
        self.get(k)
            .unwrap_or_else(|| panic!("<{}> has no {k}", self.name))
    }
    fn num<T: std::str::FromStr>(&self, k: &str) -> T {
        self.attr(k)
            .parse()
            .unwrap_or_else(|_| panic!("<{}> {k}", self.name))
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').expect("entity ends") + i;
        let ent = &rest[i + 1..end];
        match ent {
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "amp" => out.push('&'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            _ => {
                let n = match ent.strip_prefix("#x") {
                    Some(h) => u32::from_str_radix(h, 16).unwrap(),
                    None => ent[1..].parse().unwrap(),
                };
                out.push(char::from_u32(n).unwrap());
            }
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The start tags of Nmap's XML (end tags appear as names starting with
/// `/`; declarations and comments are skipped).
fn tags(doc: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            rest = &rest[rest.find('>').unwrap() + 1..];
            continue;
        }
        let end = rest.find('>').unwrap();
        let body = rest[..end].trim_end_matches('/');
        let (name, mut a) = body.split_once(' ').unwrap_or((body, ""));
        let mut attrs = Vec::new();
        while let Some(eq) = a.find("=\"") {
            let k = a[..eq].trim().to_string();
            let close = a[eq + 2..].find('"').unwrap() + eq + 2;
            attrs.push((k, unescape(&a[eq + 2..close])));
            a = &a[close + 1..];
        }
        rest = &rest[end + 1..];
        let text = unescape(&rest[..rest.find('<').unwrap_or(rest.len())]);
        out.push(Tag {
            name: name.to_string(),
            attrs,
            text,
        });
    }
    out
}

fn state(s: &str) -> PortState {
    match s {
        "open" => PortState::Open,
        "closed" => PortState::Closed,
        "filtered" => PortState::Filtered,
        other => panic!("state {other}"),
    }
}

fn proto(s: &str) -> Protocol {
    match s {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        other => panic!("protocol {other}"),
    }
}

fn reason(s: &str) -> Reason {
    Reason::from_name(s).unwrap_or_else(|| panic!("reason {s}"))
}

fn ranges(s: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => out.extend(a.parse::<u16>().unwrap()..=b.parse::<u16>().unwrap()),
            None => out.push(part.parse().unwrap()),
        }
    }
    out
}

/// The fingerprint text of `<osfingerprint>` in the model's form: the
/// `OS:` prefixes and the line breaks taken out.
fn flat_fingerprint(s: &str) -> String {
    s.lines()
        .map(|l| l.strip_prefix("OS:").unwrap_or(l))
        .collect()
}

struct Scenario {
    name: &'static str,
    run: RunInfo,
    hosts: Vec<Host>,
    stats: RunStats,
}

/// Builds the model of a whole run from Nmap's XML.
fn from_xml(name: &'static str, doc: &str) -> Scenario {
    let mut run = run("", 0, &[]);
    run.os_scan = true;
    let mut hosts: Vec<Host> = Vec::new();
    let mut stats = stats(0, 0, 0, 0);
    let mut extra: Option<(PortState, Reason)> = None;
    let mut os: Option<OsResult> = None;
    for t in tags(doc) {
        let h = hosts.last_mut();
        match t.name.as_str() {
            "nmaprun" => {
                run.args = args(t.attr("args"));
                run.start = at(t.num("start"));
            }
            "scaninfo" => run.scan_info.push(ScanInfo {
                scan_type: ScanType::Syn,
                scan_flags: None,
                protocol: proto(t.attr("protocol")),
                ports: ranges(t.attr("services")),
            }),
            "verbose" => run.verbose = t.num("level"),
            "debugging" => run.debugging = t.num("level"),
            "host" => {
                let mut h = host("0.0.0.0", HostState::Up, Reason::ArpResponse);
                h.start = Some(at(t.num("starttime")));
                h.end = Some(at(t.num("endtime")));
                hosts.push(h);
            }
            "status" => {
                let h = h.unwrap();
                h.status.reason = reason(t.attr("reason"));
                h.status.reason_ttl = t.num("reason_ttl");
            }
            "address" => {
                let h = h.unwrap();
                if t.attr("addrtype") == "mac" {
                    mac(h, t.attr("addr"), t.get("vendor"));
                } else {
                    h.addr = t.attr("addr").parse().unwrap();
                }
            }
            "extraports" => extra = Some((state(t.attr("state")), Reason::Reset)),
            "extrareasons" => {
                let (st, _) = extra.unwrap();
                let r = reason(t.attr("reason"));
                let h = h.unwrap();
                for n in ranges(t.attr("ports")) {
                    h.ports.push(port(n, st, r, None));
                }
            }
            "port" => {
                let n: u16 = t.num("portid");
                h.unwrap()
                    .ports
                    .push(port(n, PortState::Open, Reason::SynAck, None));
            }
            "state" => {
                let p = h.unwrap().ports.last_mut().unwrap();
                p.state = state(t.attr("state"));
                p.reason = reason(t.attr("reason"));
                p.reason_ttl = t.num("reason_ttl");
            }
            "service" => {
                let p = h.unwrap().ports.last_mut().unwrap();
                p.service = Some(nmaps_model::Service::from_table(t.attr("name")));
            }
            "os" => {
                os = Some(OsResult {
                    guessing: run.args.iter().any(|a| a == "--osscan-guess"),
                    ..OsResult::default()
                })
            }
            "portused" => os.as_mut().unwrap().ports_used.push(PortUsed {
                state: state(t.attr("state")),
                protocol: proto(t.attr("proto")),
                port: t.num("portid"),
            }),
            "osmatch" => os.as_mut().unwrap().matches.push(OsMatch {
                name: t.attr("name").to_string(),
                accuracy: t.num("accuracy"),
                line: t.num("line"),
                classes: Vec::new(),
            }),
            "osclass" => {
                let m = os.as_mut().unwrap().matches.last_mut().unwrap();
                m.classes.push(OsClass {
                    vendor: t.attr("vendor").to_string(),
                    family: t.attr("osfamily").to_string(),
                    generation: t.get("osgen").unwrap_or("").to_string(),
                    device_type: t.attr("type").to_string(),
                    accuracy: t.num("accuracy"),
                    cpe: Vec::new(),
                })
            }
            "cpe" => {
                let m = os.as_mut().unwrap().matches.last_mut().unwrap();
                m.classes.last_mut().unwrap().cpe.push(t.text.clone());
            }
            "osfingerprint" => {
                os.as_mut().unwrap().fingerprint = flat_fingerprint(t.attr("fingerprint"))
            }
            "/os" => {
                let o = os.as_mut().unwrap();
                o.verdict = match o.matches.first() {
                    Some(m) if m.accuracy == 100 => OsVerdict::Perfect,
                    Some(_) => OsVerdict::NoExact,
                    None => OsVerdict::NoMatch,
                };
            }
            "uptime" => {
                os.as_mut().unwrap().uptime = Some(Uptime {
                    seconds: t.num("seconds"),
                    lastboot: t.get("lastboot").unwrap_or("").to_string(),
                })
            }
            "distance" => os.as_mut().unwrap().distance = Some(t.num("value")),
            "tcpsequence" => {
                os.as_mut().unwrap().tcp_sequence = Some(TcpSequence {
                    index: t.num("index"),
                    difficulty: t.attr("difficulty").to_string(),
                    values: t.attr("values").to_string(),
                })
            }
            "ipidsequence" | "tcptssequence" => {
                let seq = SequenceClass {
                    class: t.attr("class").to_string(),
                    values: t.get("values").unwrap_or("").to_string(),
                };
                let o = os.as_mut().unwrap();
                if t.name == "ipidsequence" {
                    o.ipid_sequence = Some(seq);
                } else {
                    o.tcpts_sequence = Some(seq);
                }
            }
            "times" => {
                let h = h.unwrap();
                timing(h, t.num("srtt"), t.num("rttvar"), t.num("to"));
                h.os = os.take();
            }
            "finished" => {
                stats.end = at(t.num("time"));
                let secs: f64 = t.num("elapsed");
                stats.elapsed = Duration::from_millis((secs * 1000.0).round() as u64);
            }
            "hosts" => {
                stats.hosts_up = t.num("up");
                stats.hosts_total = t.num("total");
                stats.hosts_down = t.num("down");
            }
            _ => {}
        }
    }
    for h in &mut hosts {
        h.ports.sort_by_key(|p| p.number);
    }
    Scenario {
        name,
        run,
        hosts,
        stats,
    }
}

fn golden(name: &str, ext: &str) -> String {
    let path = format!(
        "{}/tests/golden/os/{name}.{ext}",
        env!("CARGO_MANIFEST_DIR")
    );
    let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    strip_engine_output(&raw)
}

/// Takes out what the engine, not the report writer, produces (as for the
/// other goldens): `<hosthint>` blocks and task progress in XML, the "Read
/// data files from" line.
fn strip_engine_output(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_hint = false;
    for line in s.split_inclusive('\n') {
        if line.starts_with("<hosthint>") {
            in_hint = true;
        }
        let skip = in_hint
            || line.starts_with("<taskbegin ")
            || line.starts_with("<taskend ")
            || line.starts_with("<taskprogress ")
            || line.starts_with("Read data files from: ")
            || line.starts_with("Read from ");
        if line.starts_with("</hosthint>") {
            in_hint = false;
        }
        if !skip {
            out.push_str(line);
        }
    }
    out
}

fn scenario(name: &'static str) -> Scenario {
    let mut sc = from_xml(name, &golden(name, "xml"));
    if name.starts_with("unfit") {
        // -p 22,80: no closed TCP port, so Nmap warns and will not ask for
        // the fingerprint.
        let os = sc.hosts[0].os.as_mut().unwrap();
        os.unreliable = true;
        os.omit_reason = Some("Missing a closed TCP port so results incomplete".into());
    }
    if name == "toomany" {
        // Nine perfect matches (db/toomany): no <osmatch> in the XML, but
        // Nmap still classifies them.
        let os = sc.hosts[0].os.as_mut().unwrap();
        os.verdict = OsVerdict::TooMany;
        os.matches = (1..=9)
            .map(|i| OsMatch {
                name: format!("Lab Linux {i}"),
                accuracy: 100,
                line: 47 + 17 * (i - 1),
                classes: vec![OsClass {
                    vendor: "Linux".into(),
                    family: "Linux".into(),
                    generation: "5.X".into(),
                    device_type: "general purpose".into(),
                    accuracy: 100,
                    cpe: vec!["cpe:/o:linux:linux_kernel:5".into()],
                }],
            })
            .collect();
    }
    sc
}

/// The lab runs were made in UTC; the texts carry local times.
fn utc_machine(sc: &Scenario) -> bool {
    DateTime::<Local>::from(sc.run.start)
        .offset()
        .fix()
        .local_minus_utc()
        == 0
}

fn check(sc: &Scenario, format: Format, ext: &str) {
    let want = golden(sc.name, ext);
    let got = render(
        format,
        &WriterOptions::default(),
        &sc.run,
        &sc.hosts,
        &sc.stats,
    );
    assert!(
        got == want,
        "{}.{ext} differs\n--- want\n{want}\n--- got\n{got}",
        sc.name
    );
}

/// o1–o3: the lab hosts against Nmap's database (`-O`, `-O -v`, `-O -vv
/// --osscan-guess`); the others against the small databases of `db/`.
const LAB_RUNS: &[&str] = &[
    "o1",
    "o2",
    "o3",
    "perfect",
    "guess",
    "toomany",
    "nomatch",
    "unfit",
    "unfitnone",
];

#[test]
fn os_xml_matches_nmap() {
    for name in LAB_RUNS {
        let sc = scenario(name);
        assert!(sc.hosts.iter().all(|h| h.os.is_some()), "{name}");
        if utc_machine(&sc) {
            check(&sc, Format::Xml, "xml");
        }
        let doc = render(
            Format::Xml,
            &WriterOptions::default(),
            &sc.run,
            &sc.hosts,
            &sc.stats,
        );
        if let Some(r) = xmllint(&doc, name) {
            r.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn os_normal_matches_nmap() {
    for name in LAB_RUNS {
        let sc = scenario(name);
        if utc_machine(&sc) {
            check(&sc, Format::Normal, "nmap");
        }
    }
}

#[test]
fn os_grepable_matches_nmap() {
    for name in LAB_RUNS {
        let sc = scenario(name);
        if utc_machine(&sc) {
            check(&sc, Format::Grepable, "gnmap");
        }
    }
}

/// OS names, classes, CPEs and fingerprint text with markup, quotes and
/// raw control bytes (a hostile or broken database): XML stays valid,
/// normal and grepable output get no raw control byte.
#[test]
fn hostile_os_text_is_escaped() {
    let mut sc = scenario("perfect");
    let nasty =
        "a<b>&\"q\" 'x' \u{1b}[31mred\u{7}\u{7f}\r\nNmap scan report for 192.0.2.1\u{0}\u{202e}";
    let os = sc.hosts[0].os.as_mut().unwrap();
    for m in &mut os.matches {
        m.name = format!("{}{nasty}", m.name);
        for c in &mut m.classes {
            c.vendor.push_str(nasty);
            c.family.push_str(nasty);
            c.generation.push_str(nasty);
            c.device_type.push_str(nasty);
            c.cpe.push(format!("cpe:/o:{nasty}"));
        }
    }
    os.fingerprint = format!("SCAN(V=7.93%P={nasty})SEQ(SP=1)");
    os.omit_reason = Some(nasty.to_string());
    os.uptime.as_mut().unwrap().lastboot = nasty.to_string();
    os.tcp_sequence.as_mut().unwrap().difficulty = nasty.to_string();
    os.ipid_sequence.as_mut().unwrap().class = nasty.to_string();
    sc.run.verbose = 2;
    let xml = render(
        Format::Xml,
        &WriterOptions::default(),
        &sc.run,
        &sc.hosts,
        &sc.stats,
    );
    assert!(xml.contains("<osfingerprint"), "{xml}");
    assert!(xml.is_ascii());
    if let Some(r) = xmllint(&xml, "hostile-os") {
        r.unwrap_or_else(|e| panic!("{e}\n{xml}"));
    }
    for format in [Format::Normal, Format::Grepable] {
        let text = render(
            format,
            &WriterOptions::default(),
            &sc.run,
            &sc.hosts,
            &sc.stats,
        );
        assert!(text.contains("a<b>&\"q\" 'x' \\x1B[31mred"), "{text}");
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t' || c == '\u{202e}'),
            "{format:?}: {text:?}"
        );
        assert!(!text.contains("\nNmap scan report for 192.0.2.1"));
        // Tabs separate grepable fields; none comes from the OS texts.
        let tabs = if format == Format::Grepable { 6 } else { 0 };
        assert_eq!(text.matches('\t').count(), tabs, "{format:?}");
    }
    // The whole model, unaltered, in JSON.
    let json = render(
        Format::Json,
        &WriterOptions::default(),
        &sc.run,
        &sc.hosts,
        &sc.stats,
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let os = &v["hosts"][0]["os"];
    assert_eq!(os["omit_reason"], nasty);
    assert_eq!(
        os["osmatch"][0]["name"],
        format!("Lab Linux 5.X-6.X <kernel> & \"friends\"{nasty}")
    );
}

/// The `os` object of docs/json.md.
#[test]
fn json_os_object() {
    let sc = scenario("perfect");
    let json = render(
        Format::Json,
        &WriterOptions::default(),
        &sc.run,
        &sc.hosts,
        &sc.stats,
    );
    for example in [
        r#""os":{"verdict":"perfect","portused":[{"state":"open","proto":"tcp","portid":22},{"state":"closed","proto":"tcp","portid":1},{"state":"closed","proto":"udp","portid":"#,
        r#""osmatch":[{"name":"Lab Linux 5.X-6.X <kernel> & \"friends\"","accuracy":100,"line":47,"osclass":[{"type":"general purpose","vendor":"Linux","osfamily":"Linux","osgen":"5.X","accuracy":100,"cpe":["cpe:/o:linux:linux_kernel:5"]},"#,
        r#"{"type":"WAP","vendor":"Lab&Co <Labs>","osfamily":"embedded","accuracy":100,"cpe":["cpe:/h:lab:box_\"1\"<2>&3"]}]}]},"uptime":{"seconds":1,"lastboot":"Sun Nov 29 12:53:13 2026"},"distance":1,"#,
        r#""distance":1,"tcpsequence":{"index":262,"difficulty":"Good luck!","values":"#,
        r#""ipidsequence":{"class":"All zeros","values":"0,0,0,0,0,0"},"tcptssequence":{"class":"other","values":"#,
    ] {
        assert!(json.contains(example), "{example}\n{json}");
    }
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let host = &v["hosts"][0];
    assert_eq!(host["uptime"]["seconds"], 1);
    assert!(host["os"].get("guessing").is_none());
    // Too many matches: classified, but no osmatch, as in XML.
    let sc = scenario("toomany");
    let json = render(
        Format::Json,
        &WriterOptions::default(),
        &sc.run,
        &sc.hosts,
        &sc.stats,
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["hosts"][0]["os"]["verdict"], "too_many");
    assert_eq!(v["hosts"][0]["os"]["osmatch"], serde_json::json!([]));
}

/// The terminal report: Nmap's stdout without the banner and without the
/// engine's progress lines (which the report writer does not print).
#[test]
fn os_interactive_stdout_matches_nmap() {
    let engine = [
        "Initiating ",
        "Scanning ",
        "Completed ",
        "Discovered open port ",
        "Retrying OS detection ",
        "WARNING: OS didn't match until try #",
        "Read data files from: ",
        "Read from ",
        "           Raw packets sent: ",
    ];
    for name in LAB_RUNS {
        let sc = scenario(name);
        if !utc_machine(&sc) {
            continue;
        }
        let want: String = golden(name, "stdout")
            .split_inclusive('\n')
            .skip(1)
            .filter(|l| !engine.iter().any(|e| l.starts_with(e)))
            .collect();
        let got = render(
            Format::Normal,
            &interactive(),
            &sc.run,
            &sc.hosts,
            &sc.stats,
        );
        let got = got.split_once('\n').map_or("", |(_, rest)| rest);
        assert!(
            got == want,
            "{name}.stdout differs\n--- want\n{want}\n--- got\n{got}"
        );
    }
}
