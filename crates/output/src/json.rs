//! nmaps's JSON output (`-oJ`): one document mirroring the XML model.
//!
//! The document is written as it goes: the head in `begin`, one line per
//! host in `host`, the tail in `end`, so a finished file is one valid JSON
//! value. The schema is described in `docs/json.md`.

use crate::fold::fold;
use crate::service::{field, has_service};
use crate::show::{Shown, classify};
use crate::text::{done_counts, format_ctime, join_args};
use crate::{emit, epoch};
use nmaps_model::{
    Exit, Host, HostnameKind, NMAP_COMPAT_VERSION, NMAPS_VERSION, OsResult, RunInfo, RunStats,
    ScriptElem, ScriptResult, Service, ServiceMethod, range_list,
};
use std::io::{self, Write};
use std::net::IpAddr;

/// Version of the JSON layout described in `docs/json.md`.
pub(crate) const JSON_FORMAT_VERSION: u32 = 1;

/// An object under construction, keeping keys in insertion order.
struct Obj(String);

impl Obj {
    fn new() -> Self {
        Self(String::from("{"))
    }
    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&quote(k));
        self.0.push(':');
    }
    fn raw(mut self, k: &str, v: &str) -> Self {
        self.key(k);
        self.0.push_str(v);
        self
    }
    fn str(self, k: &str, v: &str) -> Self {
        self.raw(k, &quote(v))
    }
    fn num(self, k: &str, v: impl std::fmt::Display) -> Self {
        self.raw(k, &v.to_string())
    }
    fn done(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn array(items: impl IntoIterator<Item = String>) -> String {
    let v: Vec<String> = items.into_iter().collect();
    format!("[{}]", v.join(","))
}

fn addrtype(a: &IpAddr) -> &'static str {
    match a {
        IpAddr::V4(_) => "ipv4",
        IpAddr::V6(_) => "ipv6",
    }
}

pub(crate) struct JsonWriter {
    out: Box<dyn Write + Send>,
    run: Option<RunInfo>,
    hosts: usize,
    prescript: Vec<ScriptResult>,
    postscript: Vec<ScriptResult>,
}

impl JsonWriter {
    pub(crate) fn new(out: Box<dyn Write + Send>) -> Self {
        Self {
            out,
            run: None,
            hosts: 0,
            prescript: Vec::new(),
            postscript: Vec::new(),
        }
    }
}

fn head(run: &RunInfo) -> String {
    let scaninfo = array(run.scan_info.iter().map(|i| {
        let mut o = Obj::new().str("type", i.scan_type.xml_name());
        if let (Some(f), nmaps_model::Protocol::Tcp) = (i.scan_flags, i.protocol) {
            o = o.str("scanflags", &nmaps_model::scan_flags_names(f));
        }
        o.str("protocol", i.protocol.as_str())
            .num("numservices", i.ports.len())
            .str("services", &range_list(&i.ports))
            .done()
    }));
    let mut o = Obj::new()
        .str("scanner", "nmaps")
        .str("version", NMAPS_VERSION)
        .str("nmap_version", NMAP_COMPAT_VERSION)
        .num("format_version", JSON_FORMAT_VERSION)
        .str("args", &join_args(&run.args))
        .raw("argv", &array(run.args.iter().map(|a| quote(a))))
        .num("start", epoch(run.start))
        .str("startstr", &format_ctime(run.start))
        .raw("scaninfo", &scaninfo)
        .num("verbose", run.verbose)
        .num("debugging", run.debugging);
    o.key("hosts");
    // Left open: hosts follow, `end` closes the array and the object.
    o.0.push('[');
    o.0
}

pub(crate) fn host_object(run: &RunInfo, host: &Host, shown: Shown) -> String {
    let mut o = Obj::new();
    if matches!(shown, Shown::Scanned | Shown::TimedOut) {
        if let Some(t) = host.start {
            o = o.num("starttime", epoch(t));
        }
        if let Some(t) = host.end {
            o = o.num("endtime", epoch(t));
        }
    }
    if shown == Shown::TimedOut {
        o = o.raw("timedout", "true");
    }
    let state = if shown == Shown::Listed {
        "unknown"
    } else if host.is_up() {
        "up"
    } else {
        "down"
    };
    o = o
        .raw(
            "status",
            &Obj::new()
                .str("state", state)
                .str("reason", host.status.reason.as_str())
                .num("reason_ttl", host.status.reason_ttl)
                .done(),
        )
        .raw("addresses", &addresses(host))
        .raw(
            "hostnames",
            &array(
                host.hostnames
                    .iter()
                    .filter(|h| !h.name.is_empty())
                    .map(|h| {
                        Obj::new()
                            .str("name", &h.name)
                            .str(
                                "type",
                                match h.kind {
                                    HostnameKind::User => "user",
                                    HostnameKind::Ptr => "PTR",
                                },
                            )
                            .done()
                    }),
            ),
        );
    if !host.other_addrs.is_empty() {
        o = o.raw(
            "other_addresses",
            &array(host.other_addrs.iter().map(|a| quote(&a.to_string()))),
        );
    }
    if shown == Shown::Scanned && !host.ports.is_empty() {
        o = o.raw("ports", &ports(run, host));
    }
    if shown == Shown::Scanned
        && let Some(os) = &host.os
    {
        o = os_fields(o, os);
    }
    if shown == Shown::Scanned && !host.scripts.is_empty() {
        o = o.raw("hostscript", &scripts(&host.scripts));
    }
    if matches!(shown, Shown::Scanned | Shown::TimedOut | Shown::Pinged) {
        if let Some(l) = host.latency {
            o = o.num("latency", l.as_secs_f64());
        }
        if let Some(t) = host.times {
            o = o.raw(
                "times",
                &Obj::new()
                    .num("srtt", t.srtt)
                    .num("rttvar", t.rttvar)
                    .num("to", t.timeout)
                    .done(),
            );
        }
    }
    o.done()
}

/// The scanned address, then the MAC address (with its vendor when known),
/// as the `<address>` elements of the XML.
fn addresses(host: &Host) -> String {
    let ip = Obj::new()
        .str("addr", &host.addr.to_string())
        .str("addrtype", addrtype(&host.addr))
        .done();
    let mac = host.mac.as_ref().map(|m| {
        let o = Obj::new()
            .str("addr", &m.to_nmap_string())
            .str("addrtype", "mac");
        match &m.vendor {
            Some(v) => o.str("vendor", v).done(),
            None => o.done(),
        }
    });
    array(std::iter::once(ip).chain(mac))
}

fn ports(run: &RunInfo, host: &Host) -> String {
    let folded = fold(run, &host.ports);
    // As in XML: a protocol scan has no port scripts.
    let ipproto = run
        .scan_info
        .iter()
        .any(|i| i.scan_type == nmaps_model::ScanType::IpProto);
    let extraports = array(folded.ignored.iter().map(|ig| {
        Obj::new()
            .str("state", ig.state.as_str())
            .num("count", ig.count)
            .raw(
                "extrareasons",
                &array(ig.reasons.iter().map(|g| {
                    Obj::new()
                        .str("reason", g.reason.as_str())
                        .num("count", g.ports.len())
                        .str("proto", g.proto.as_str())
                        .str("ports", &range_list(&g.ports))
                        .done()
                })),
            )
            .done()
    }));
    let port = array(folded.shown.iter().map(|p| {
        let mut o = Obj::new()
            .str("protocol", p.protocol.as_str())
            .num("portid", p.number)
            .raw("state", &{
                let mut st = Obj::new()
                    .str("state", p.state.as_str())
                    .str("reason", p.reason.as_str())
                    .num("reason_ttl", p.reason_ttl);
                if let Some(ip) = p.reason_ip {
                    st = st.str("reason_ip", &ip.to_string());
                }
                st.done()
            });
        if let Some(svc) = p.service.as_ref().filter(|s| has_service(s)) {
            o = o.raw("service", &service(svc));
        }
        if !p.scripts.is_empty() && !ipproto {
            o = o.raw("script", &scripts(&p.scripts));
        }
        o.done()
    }));
    Obj::new()
        .raw("extraports", &extraports)
        .raw("port", &port)
        .done()
}

/// `os`, then `uptime`, `distance`, `tcpsequence`, `ipidsequence` and
/// `tcptssequence`, as XML's `<os>` and the elements after it.
fn os_fields(mut o: Obj, os: &OsResult) -> Obj {
    let portused = array(os.ports_used.iter().map(|p| {
        Obj::new()
            .str("state", p.state.as_str())
            .str("proto", p.protocol.as_str())
            .num("portid", p.port)
            .done()
    }));
    let osmatch = array(crate::os::xml_matches(os).iter().map(|m| {
        let classes = array(m.classes.iter().map(|c| {
            let mut k = Obj::new()
                .str("type", &c.device_type)
                .str("vendor", &c.vendor)
                .str("osfamily", &c.family);
            if !c.generation.is_empty() {
                k = k.str("osgen", &c.generation);
            }
            k.num("accuracy", m.accuracy)
                .raw("cpe", &array(c.cpe.iter().map(|c| quote(c))))
                .done()
        }));
        Obj::new()
            .str("name", &m.name)
            .num("accuracy", m.accuracy)
            .num("line", m.line)
            .raw("osclass", &classes)
            .done()
    }));
    let verdict = serde_json::to_value(os.verdict)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut v = Obj::new()
        .str("verdict", &verdict)
        .raw("portused", &portused)
        .raw("osmatch", &osmatch);
    if crate::os::guessing(os) {
        v = v.raw("guessing", "true");
    }
    if let Some(reason) = &os.omit_reason {
        v = v.str("omit_reason", reason);
    }
    if os.unreliable {
        v = v.raw("unreliable", "true");
    }
    if !os.fingerprint.is_empty() {
        v = v.str("osfingerprint", &os.fingerprint);
    }
    o = o.raw("os", &v.done());
    if let Some(u) = &os.uptime {
        let mut k = Obj::new().num("seconds", u.seconds);
        if !u.lastboot.is_empty() {
            k = k.str("lastboot", &u.lastboot);
        }
        o = o.raw("uptime", &k.done());
    }
    if let Some(d) = os.distance {
        o = o.num("distance", d);
    }
    if let Some(t) = &os.tcp_sequence {
        o = o.raw(
            "tcpsequence",
            &Obj::new()
                .num("index", t.index)
                .str("difficulty", &t.difficulty)
                .str("values", &t.values)
                .done(),
        );
    }
    for (key, seq) in [
        ("ipidsequence", &os.ipid_sequence),
        ("tcptssequence", &os.tcpts_sequence),
    ] {
        if let Some(seq) = seq {
            let mut k = Obj::new().str("class", &seq.class);
            if !seq.values.is_empty() {
                k = k.str("values", &seq.values);
            }
            o = o.raw(key, &k.done());
        }
    }
    o
}

/// `service`: the `<service>` attributes, CPEs as the array `cpe`.
fn service(svc: &Service) -> String {
    let v = &svc.version.nmap_stored();
    let mut o = Obj::new().str("name", &svc.name);
    for (key, value) in [
        ("product", &v.product),
        ("version", &v.version),
        ("extrainfo", &v.extrainfo),
        ("hostname", &v.hostname),
        ("ostype", &v.ostype),
        ("devicetype", &v.devicetype),
        ("servicefp", &svc.servicefp),
    ] {
        if let Some(value) = field(value) {
            o = o.str(key, value);
        }
    }
    if svc.tunnel_ssl {
        o = o.str("tunnel", "ssl");
    }
    o = o
        .str(
            "method",
            match svc.method {
                ServiceMethod::Table => "table",
                ServiceMethod::Probed => "probed",
            },
        )
        .num("conf", svc.conf);
    let cpes: Vec<String> = v
        .cpes
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| quote(c))
        .collect();
    if !cpes.is_empty() {
        o = o.raw("cpe", &array(cpes));
    }
    o.done()
}

/// Script results as `{id, output, elements?}` objects, the values exactly
/// as the scripts returned them.
fn scripts(results: &[ScriptResult]) -> String {
    array(results.iter().map(|sr| {
        let o = Obj::new().str("id", &sr.id).str("output", &sr.output);
        if sr.elements.is_empty() {
            o.done()
        } else {
            o.raw("elements", &elements(&sr.elements)).done()
        }
    }))
}

/// `<elem>` as `{type: "elem", key?, value}`, `<table>` as
/// `{type: "table", key?, items}`.
fn elements(elems: &[ScriptElem]) -> String {
    array(elems.iter().map(|e| {
        let (kind, key) = match e {
            ScriptElem::Elem { key, .. } => ("elem", key),
            ScriptElem::Table { key, .. } => ("table", key),
        };
        let mut o = Obj::new().str("type", kind);
        if let Some(k) = key {
            o = o.str("key", k);
        }
        match e {
            ScriptElem::Elem { value, .. } => o.str("value", value).done(),
            ScriptElem::Table { items, .. } => o.raw("items", &elements(items)).done(),
        }
    }))
}

fn tail(stats: &RunStats, prescript: &[ScriptResult], postscript: &[ScriptResult]) -> String {
    let end = format_ctime(stats.end);
    let mut finished = Obj::new()
        .num("time", epoch(stats.end))
        .str("timestr", &end)
        .str(
            "summary",
            &format!("Nmap done at {end}; {}", done_counts(stats)),
        )
        .num("elapsed", stats.elapsed.as_secs_f64());
    finished = match &stats.exit {
        Exit::Success => finished.str("exit", "success"),
        Exit::Error(msg) => finished.str("exit", "error").str("errormsg", msg),
    };
    let runstats = Obj::new()
        .raw("finished", &finished.done())
        .raw(
            "hosts",
            &Obj::new()
                .num("up", stats.hosts_up)
                .num("down", stats.hosts_total.saturating_sub(stats.hosts_up))
                .num("total", stats.hosts_total)
                .done(),
        )
        .done();
    let mut s = String::from("\n]");
    for (key, results) in [("prescript", prescript), ("postscript", postscript)] {
        if !results.is_empty() {
            s.push_str(&format!(",{}:{}", quote(key), scripts(results)));
        }
    }
    format!("{s},\"runstats\":{runstats}}}\n")
}

impl crate::Writer for JsonWriter {
    fn begin(&mut self, run: &RunInfo) -> io::Result<()> {
        self.run = Some(run.clone());
        emit(&mut self.out, &head(run))
    }

    fn host(&mut self, host: &Host) -> io::Result<()> {
        let Some(run) = self.run.as_ref() else {
            return Ok(());
        };
        let shown = classify(run, host);
        if shown == Shown::Hidden {
            return Ok(());
        }
        let sep = if self.hosts == 0 { "\n" } else { ",\n" };
        self.hosts += 1;
        emit(
            &mut self.out,
            &format!("{sep}{}", host_object(run, host, shown)),
        )
    }

    fn prescan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        // The hosts array is open: kept for the trailer.
        self.prescript.extend_from_slice(results);
        Ok(())
    }

    fn postscan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        self.postscript.extend_from_slice(results);
        Ok(())
    }

    fn end(&mut self, run: &RunInfo, stats: &RunStats) -> io::Result<()> {
        let mut s = String::new();
        if self.run.is_none() {
            s.push_str(&head(run));
        }
        s.push_str(&tail(stats, &self.prescript, &self.postscript));
        emit(&mut self.out, &s)
    }
}
