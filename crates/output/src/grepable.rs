//! Nmap's grepable output (`-oG`).

use crate::emit;
use crate::escape::screen_escape as esc;
use crate::escape::screen_escape_bytes;
use crate::fold::fold;
use crate::service::{full_version, has_service, service_name};
use crate::show::{Shown, classify};
use crate::text::{done_counts, format_ctime, join_args};
use nmaps_model::{
    Exit, Host, NMAP_COMPAT_VERSION, Protocol, RunInfo, RunStats, ScanType, range_list,
};
use std::fmt::Write as _;
use std::io::{self, Write};

pub(crate) struct GrepableWriter {
    out: Box<dyn Write + Send>,
    run: Option<RunInfo>,
}

impl GrepableWriter {
    pub(crate) fn new(out: Box<dyn Write + Send>) -> Self {
        Self { out, run: None }
    }
}

/// Ports scanned per protocol (each protocol once, even when several scan
/// types cover it), for `# Ports scanned:`.
fn ports_of(run: &RunInfo, proto: Protocol) -> Vec<u16> {
    let mut ports: Vec<u16> = run
        .scan_info
        .iter()
        .filter(|i| i.protocol == proto)
        .flat_map(|i| i.ports.iter().copied())
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

impl crate::Writer for GrepableWriter {
    fn begin(&mut self, run: &RunInfo) -> io::Result<()> {
        self.run = Some(run.clone());
        let mut s = format!(
            "# Nmap {NMAP_COMPAT_VERSION} scan initiated {} as: {}\n",
            format_ctime(run.start),
            esc(&join_args(&run.args))
        );
        if run.verbose > 0 {
            s.push_str("# Ports scanned:");
            for (label, proto) in [
                ("TCP", Protocol::Tcp),
                ("UDP", Protocol::Udp),
                ("SCTP", Protocol::Sctp),
                ("PROTOCOLS", Protocol::Ip),
            ] {
                let ports = ports_of(run, proto);
                let _ = write!(s, " {label}({};{})", ports.len(), range_list(&ports));
            }
            s.push('\n');
        }
        emit(&mut self.out, &s)
    }

    fn host(&mut self, host: &Host) -> io::Result<()> {
        let Some(run) = self.run.as_ref() else {
            return Ok(());
        };
        let s = host_lines(run, host);
        if s.is_empty() {
            return Ok(());
        }
        emit(&mut self.out, &s)
    }

    fn end(&mut self, _run: &RunInfo, stats: &RunStats) -> io::Result<()> {
        match stats.exit {
            // Like Nmap after a fatal error: no trailer.
            Exit::Error(_) => self.out.flush(),
            Exit::Success => {
                let s = format!(
                    "# Nmap done at {} -- {}\n",
                    format_ctime(stats.end),
                    done_counts(stats)
                );
                emit(&mut self.out, &s)
            }
        }
    }
}

fn host_lines(run: &RunInfo, host: &Host) -> String {
    let shown = classify(run, host);
    let mut s = String::new();
    if shown == Shown::Hidden {
        return s;
    }
    let who = format!(
        "Host: {} ({})",
        host.addr,
        esc(host.ptr_name().unwrap_or(""))
    );
    let status = match shown {
        Shown::Listed => "Unknown",
        _ if host.is_up() => "Up",
        _ => "Down",
    };
    let _ = writeln!(s, "{who}\tStatus: {status}");
    match shown {
        Shown::TimedOut => {
            let _ = writeln!(s, "{who}\tStatus: Timeout");
        }
        Shown::Scanned => {
            let mut fields = String::new();
            ports_line(&mut fields, run, host, &who);
            if let Some(os) = &host.os {
                let before = fields.len();
                crate::os::grepable(&mut fields, os);
                if before == 0 && !fields.is_empty() {
                    // No port line to append to.
                    fields.insert_str(0, &who);
                }
            }
            s.push_str(&fields);
            s.push('\n');
        }
        _ => {}
    }
    s
}

/// `Host: …\tPorts: …\tIgnored State: …` without the newline.
fn ports_line(s: &mut String, run: &RunInfo, host: &Host, who: &str) {
    if host.ports.is_empty() {
        return;
    }
    let ipproto = run
        .scan_info
        .iter()
        .any(|i| i.scan_type == ScanType::IpProto);
    let label = if ipproto { "Protocols" } else { "Ports" };
    let folded = fold(run, &host.ports);
    let _ = write!(s, "{who}\t{label}: ");
    for (i, p) in folded.shown.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        if ipproto {
            let service = p
                .service
                .as_ref()
                .map(|svc| esc(&svc.name).replace('/', "|"))
                .unwrap_or_default();
            let _ = write!(s, "{}/{}/{}/", p.number, p.state.as_str(), service);
        } else {
            // Nmap writes `|` for every `/` of the service and version
            // texts, so that the fields can be split at `/`.
            let (service, version) = match p.service.as_ref().filter(|s| has_service(s)) {
                Some(svc) => (
                    esc(&service_name(run, p)).replace('/', "|"),
                    screen_escape_bytes(&full_version(svc)).replace('/', "|"),
                ),
                None => (String::new(), String::new()),
            };
            let _ = write!(
                s,
                "{}/{}/{}//{service}//{version}/",
                p.number,
                p.state.as_str(),
                p.protocol.as_str(),
            );
        }
    }
    // Grepable output can only name one ignored state.
    if let [only] = folded.ignored.as_slice() {
        let _ = write!(
            s,
            "\tIgnored State: {} ({})",
            only.state.as_str(),
            only.count
        );
    }
}
