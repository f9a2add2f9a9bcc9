//! Nmap's XML output (`-oX`), valid against Nmap 7.93's `nmap.dtd`.

use crate::escape::xml_escape as x;
use crate::fold::fold;
use crate::script;
use crate::service::{field, has_service, xml_servicefp};
use crate::show::{Shown, classify};
use crate::text::{done_counts, format_ctime, join_args, secs2};
use crate::{emit, epoch};
use nmaps_model::{
    Exit, Host, NMAP_COMPAT_VERSION, RunInfo, RunStats, ScriptResult, Service, ServiceMethod,
    range_list,
};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;

pub(crate) struct XmlWriter {
    out: Box<dyn Write + Send>,
    run: Option<RunInfo>,
}

impl XmlWriter {
    pub(crate) fn new(out: Box<dyn Write + Send>) -> Self {
        Self { out, run: None }
    }
}

fn addrtype(a: &IpAddr) -> &'static str {
    match a {
        IpAddr::V4(_) => "ipv4",
        IpAddr::V6(_) => "ipv6",
    }
}

/// The document up to and including `<debugging/>`.
pub(crate) fn prologue(run: &RunInfo) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n");
    if let Some(href) = &run.stylesheet {
        let _ = writeln!(
            s,
            "<?xml-stylesheet href=\"{}\" type=\"text/xsl\"?>",
            x(href)
        );
    }
    let start = format_ctime(run.start);
    let args = join_args(&run.args);
    let comment = format!(" Nmap {NMAP_COMPAT_VERSION} scan initiated {start} as: {args} ");
    let _ = writeln!(s, "<!--{}-->", x(&comment));
    let _ = writeln!(
        s,
        "<nmaprun scanner=\"nmap\" args=\"{}\" start=\"{}\" startstr=\"{}\" version=\"{NMAP_COMPAT_VERSION}\" xmloutputversion=\"1.05\">",
        x(&args),
        epoch(run.start),
        x(&start)
    );
    for info in &run.scan_info {
        let flags = match (info.scan_flags, info.protocol) {
            (Some(f), nmaps_model::Protocol::Tcp) => {
                format!(" scanflags=\"{}\"", nmaps_model::scan_flags_names(f))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "<scaninfo type=\"{}\"{flags} protocol=\"{}\" numservices=\"{}\" services=\"{}\"/>",
            info.scan_type.xml_name(),
            info.protocol.as_str(),
            info.ports.len(),
            range_list(&info.ports)
        );
    }
    let _ = writeln!(s, "<verbose level=\"{}\"/>", run.verbose);
    let _ = writeln!(s, "<debugging level=\"{}\"/>", run.debugging);
    s
}

/// One `<host>` element, or nothing for a host XML does not show.
pub(crate) fn host_element(run: &RunInfo, host: &Host) -> String {
    let shown = classify(run, host);
    let mut s = String::new();
    match shown {
        Shown::Hidden => return s,
        Shown::Scanned | Shown::TimedOut => {
            s.push_str("<host");
            if let Some(t) = host.start {
                let _ = write!(s, " starttime=\"{}\"", epoch(t));
            }
            if let Some(t) = host.end {
                let _ = write!(s, " endtime=\"{}\"", epoch(t));
            }
            if shown == Shown::TimedOut {
                s.push_str(" timedout=\"true\"");
            }
            s.push('>');
        }
        _ => s.push_str("<host>"),
    }
    let state = if shown == Shown::Listed {
        "unknown"
    } else if host.is_up() {
        "up"
    } else {
        "down"
    };
    let _ = writeln!(
        s,
        "<status state=\"{state}\" reason=\"{}\" reason_ttl=\"{}\"/>",
        host.status.reason.as_str(),
        host.status.reason_ttl
    );
    let _ = writeln!(
        s,
        "<address addr=\"{}\" addrtype=\"{}\"/>",
        host.addr,
        addrtype(&host.addr)
    );
    if let Some(mac) = &host.mac {
        let _ = write!(
            s,
            "<address addr=\"{}\" addrtype=\"mac\"",
            mac.to_nmap_string()
        );
        if let Some(vendor) = &mac.vendor {
            let _ = write!(s, " vendor=\"{}\"", x(vendor));
        }
        s.push_str("/>\n");
    }
    let user = host.user_name();
    let ptrs: Vec<&str> = host
        .hostnames
        .iter()
        .filter(|h| h.kind == nmaps_model::HostnameKind::Ptr && !h.name.is_empty())
        .map(|h| h.name.as_str())
        .collect();
    if user.is_some() || !ptrs.is_empty() || state == "up" {
        s.push_str("<hostnames>\n");
        if let Some(u) = user {
            let _ = writeln!(s, "<hostname name=\"{}\" type=\"user\"/>", x(u));
        }
        for p in ptrs {
            let _ = writeln!(s, "<hostname name=\"{}\" type=\"PTR\"/>", x(p));
        }
        s.push_str("</hostnames>\n");
    }
    if shown == Shown::Scanned {
        ports(&mut s, run, host);
        if let Some(os) = &host.os {
            crate::os::xml(&mut s, run, os);
        }
        // Nmap writes no newline after </hostscript>: <times> follows.
        script::xml_wrapped(&mut s, "hostscript", &host.scripts);
    }
    if matches!(shown, Shown::Scanned | Shown::TimedOut | Shown::Pinged)
        && let Some(t) = host.times
    {
        let _ = writeln!(
            s,
            "<times srtt=\"{}\" rttvar=\"{}\" to=\"{}\"/>",
            t.srtt, t.rttvar, t.timeout
        );
    }
    s.push_str("</host>\n");
    s
}

fn ports(s: &mut String, run: &RunInfo, host: &Host) {
    if host.ports.is_empty() {
        return;
    }
    let folded = fold(run, &host.ports);
    // Nmap's protocol scan writes no port scripts.
    let ipproto = run
        .scan_info
        .iter()
        .any(|i| i.scan_type == nmaps_model::ScanType::IpProto);
    s.push_str("<ports>");
    for ig in &folded.ignored {
        let _ = writeln!(
            s,
            "<extraports state=\"{}\" count=\"{}\">",
            ig.state.as_str(),
            ig.count
        );
        for g in &ig.reasons {
            let _ = writeln!(
                s,
                "<extrareasons reason=\"{}\" count=\"{}\" proto=\"{}\" ports=\"{}\"/>",
                g.reason.as_str(),
                g.ports.len(),
                g.proto.as_str(),
                range_list(&g.ports)
            );
        }
        s.push_str("</extraports>\n");
    }
    for p in &folded.shown {
        let _ = write!(
            s,
            "<port protocol=\"{}\" portid=\"{}\"><state state=\"{}\" reason=\"{}\" reason_ttl=\"{}\"{}/>",
            p.protocol.as_str(),
            p.number,
            p.state.as_str(),
            p.reason.as_str(),
            p.reason_ttl,
            p.reason_ip
                .map(|ip| format!(" reason_ip=\"{ip}\""))
                .unwrap_or_default()
        );
        if let Some(svc) = p.service.as_ref().filter(|s| has_service(s)) {
            service_element(s, svc, p.protocol == nmaps_model::Protocol::Ip);
        }
        if !ipproto {
            for sr in &p.scripts {
                script::xml_script(s, sr);
            }
        }
        s.push_str("</port>\n");
    }
    s.push_str("</ports>\n");
}

/// `<service …>` with its attributes in Nmap's order, then one `<cpe>`
/// per CPE.
/// `-sO` (`ipproto`): Nmap writes `conf` before `method` there.
fn service_element(s: &mut String, svc: &Service, ipproto: bool) {
    let name = if svc.name.is_empty() {
        "unknown"
    } else {
        svc.name.as_str()
    };
    let _ = write!(s, "<service name=\"{}\"", x(name));
    let v = &svc.version.nmap_stored();
    for (attr, value) in [
        ("product", &v.product),
        ("version", &v.version),
        ("extrainfo", &v.extrainfo),
        ("hostname", &v.hostname),
        ("ostype", &v.ostype),
        ("devicetype", &v.devicetype),
    ] {
        if let Some(value) = field(value) {
            let _ = write!(s, " {attr}=\"{}\"", x(value));
        }
    }
    if let Some(fp) = field(&svc.servicefp) {
        let _ = write!(s, " servicefp=\"{}\"", x(&xml_servicefp(fp)));
    }
    if svc.tunnel_ssl {
        s.push_str(" tunnel=\"ssl\"");
    }
    let method = match svc.method {
        ServiceMethod::Table => "table",
        ServiceMethod::Probed => "probed",
    };
    if ipproto {
        let _ = write!(s, " conf=\"{}\" method=\"{method}\"", svc.conf);
    } else {
        let _ = write!(s, " method=\"{method}\" conf=\"{}\"", svc.conf);
    }
    let cpes: Vec<&String> = v.cpes.iter().filter(|c| !c.is_empty()).collect();
    if cpes.is_empty() {
        s.push_str("/>");
        return;
    }
    s.push('>');
    for cpe in cpes {
        let _ = write!(s, "<cpe>{}</cpe>", x(cpe));
    }
    s.push_str("</service>");
}

/// `<runstats>` and the closing `</nmaprun>`.
pub(crate) fn epilogue(stats: &RunStats) -> String {
    let end = format_ctime(stats.end);
    let mut s = format!(
        "<runstats><finished time=\"{}\" timestr=\"{}\" summary=\"{}\" elapsed=\"{}\"",
        epoch(stats.end),
        x(&end),
        x(&format!("Nmap done at {end}; {}", done_counts(stats))),
        secs2(stats.elapsed)
    );
    match &stats.exit {
        Exit::Success => s.push_str(" exit=\"success\""),
        Exit::Error(msg) => {
            let _ = write!(s, " exit=\"error\" errormsg=\"{}\"", x(msg));
        }
    }
    let _ = writeln!(
        s,
        "/><hosts up=\"{}\" down=\"{}\" total=\"{}\"/>",
        stats.hosts_up,
        stats.hosts_total.saturating_sub(stats.hosts_up),
        stats.hosts_total
    );
    s.push_str("</runstats>\n</nmaprun>\n");
    s
}

impl crate::Writer for XmlWriter {
    fn begin(&mut self, run: &RunInfo) -> io::Result<()> {
        self.run = Some(run.clone());
        emit(&mut self.out, &prologue(run))
    }

    fn host(&mut self, host: &Host) -> io::Result<()> {
        let Some(run) = self.run.as_ref() else {
            return Ok(());
        };
        let s = host_element(run, host);
        if s.is_empty() {
            return Ok(());
        }
        emit(&mut self.out, &s)
    }

    fn prescan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        let mut s = String::new();
        script::xml_wrapped(&mut s, "prescript", results);
        emit(&mut self.out, &s)
    }

    fn postscan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        let mut s = String::new();
        script::xml_wrapped(&mut s, "postscript", results);
        emit(&mut self.out, &s)
    }

    fn task(&mut self, task: &crate::Task) -> io::Result<()> {
        let Some(run) = self.run.as_ref() else {
            return Ok(());
        };
        // Phase boundaries need -v; a progress line comes with every
        // printed timing estimate.
        if run.verbose == 0 && !matches!(task, crate::Task::Progress { .. }) {
            return Ok(());
        }
        emit(&mut self.out, &crate::task::xml_line(task))
    }

    fn end(&mut self, run: &RunInfo, stats: &RunStats) -> io::Result<()> {
        let mut s = String::new();
        if self.run.is_none() {
            // begin() never ran: still produce a complete document.
            s.push_str(&prologue(run));
        }
        s.push_str(&epilogue(stats));
        emit(&mut self.out, &s)
    }
}
