//! Nmap's normal output (`-oN`) and the interactive report on stdout.

use crate::escape::{screen_escape as esc, screen_escape_bytes};
use crate::fold::{Folded, fold};
use crate::script;
use crate::service::{
    fingerprint_block, fingerprints, full_version, service_info_line, service_name,
};
use crate::show::{Shown, classify};
use crate::text::{done_counts, format_ctime, join_args, latency, name_ip};
use crate::{WriterOptions, emit, epoch, tz};
use chrono::{DateTime, Local};
use nmaps_model::{
    Exit, Host, NMAP_COMPAT_VERSION, NMAPS_VERSION, PortState, Protocol, RunInfo, RunStats,
    ScanType, ScriptResult,
};
use std::fmt::Write as _;
use std::io::{self, Write};

pub(crate) struct NormalWriter {
    out: Box<dyn Write + Send>,
    opts: WriterOptions,
    run: Option<RunInfo>,
}

impl NormalWriter {
    pub(crate) fn new(out: Box<dyn Write + Send>, opts: WriterOptions) -> Self {
        Self {
            out,
            opts,
            run: None,
        }
    }
}

/// Whether the REASON column and "received …" are shown.
pub(crate) fn show_reason(run: &RunInfo) -> bool {
    run.reason || run.verbose > 1 || run.debugging > 0
}

impl crate::Writer for NormalWriter {
    fn begin(&mut self, run: &RunInfo) -> io::Result<()> {
        self.run = Some(run.clone());
        let s = if self.opts.interactive {
            let local = DateTime::<Local>::from(run.start);
            format!(
                "Starting nmaps {NMAPS_VERSION} ( compatible with Nmap {NMAP_COMPAT_VERSION} ) at {} {}\n",
                local.format("%Y-%m-%d %H:%M"),
                tz::abbreviation(&local)
            )
        } else {
            format!(
                "# Nmap {NMAP_COMPAT_VERSION} scan initiated {} as: {}\n",
                format_ctime(run.start),
                esc(&join_args(&run.args))
            )
        };
        emit(&mut self.out, &s)
    }

    fn host(&mut self, host: &Host) -> io::Result<()> {
        let Some(run) = self.run.as_ref() else {
            return Ok(());
        };
        let s = host_report(run, &self.opts, host);
        if s.is_empty() {
            return Ok(());
        }
        emit(&mut self.out, &s)
    }

    fn prescan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        scripts_block(&mut self.out, "Pre-scan", results, !self.opts.interactive)
    }

    fn postscan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        scripts_block(&mut self.out, "Post-scan", results, !self.opts.interactive)
    }

    fn end(&mut self, run: &RunInfo, stats: &RunStats) -> io::Result<()> {
        let mut s = String::new();
        if stats.exit == Exit::Success && stats.hosts_up > 0 {
            let what = match (run.os_scan, run.version_scan) {
                (true, true) => Some("OS and Service detection"),
                (true, false) => Some("OS detection"),
                (false, true) => Some("Service detection"),
                (false, false) => None,
            };
            if let Some(what) = what {
                let _ = writeln!(
                    s,
                    "{what} performed. Please report any incorrect results at https://nmap.org/submit/ ."
                );
            }
        }
        match (&stats.exit, self.opts.interactive) {
            (Exit::Error(_), true) => {}
            (Exit::Error(msg), false) => {
                let _ = writeln!(s, "{}\nQUITTING!", esc(msg));
            }
            (Exit::Success, true) => {
                if stats.hosts_total == 1
                    && stats.hosts_up == 0
                    && !run.list_scan
                    && !self.opts.no_ping
                {
                    s.push_str("Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn\n");
                }
                let _ = writeln!(s, "Nmap done: {}", done_counts(stats));
                if let (true, Some(p)) = (run.verbose > 0, &stats.packets) {
                    let _ = writeln!(s, "           {}", p.nmap_line());
                }
            }
            (Exit::Success, false) => {
                let _ = writeln!(
                    s,
                    "# Nmap done at {} -- {}",
                    format_ctime(stats.end),
                    done_counts(stats)
                );
            }
        }
        emit(&mut self.out, &s)
    }
}

/// "Pre-scan script results:" or "Post-scan script results:" and the
/// blocks of the scripts (no blank line before or after, as in Nmap).
fn scripts_block(
    out: &mut dyn Write,
    phase: &str,
    results: &[ScriptResult],
    file: bool,
) -> io::Result<()> {
    if results.is_empty() {
        return Ok(());
    }
    let s = format!(
        "{phase} script results:\n{}",
        script::normal_blocks(results, file)
    );
    emit(out, &s)
}

/// Everything the normal output says about one host.
pub(crate) fn host_report(run: &RunInfo, opts: &WriterOptions, host: &Host) -> String {
    let shown = classify(run, host);
    let mut s = String::new();
    if shown == Shown::Hidden {
        return s;
    }
    header(&mut s, run, host, shown);
    match shown {
        Shown::Scanned => {
            // Part of Nmap's port table output, so only when ports were scanned.
            if (run.verbose > 1 || run.debugging > 0)
                && !host.ports.is_empty()
                && let (Some(start), Some(end)) = (host.start, host.end)
            {
                let local = DateTime::<Local>::from(start);
                let _ = writeln!(
                    s,
                    "Scanned at {} {} for {}s",
                    local.format("%Y-%m-%d %H:%M:%S"),
                    tz::abbreviation(&local),
                    epoch(end).saturating_sub(epoch(start))
                );
            }
            ports(&mut s, run, opts, host);
            mac_line(&mut s, host);
            if let Some(os) = &host.os {
                crate::os::normal(&mut s, run, os);
            }
            if let Some(info) = service_info_line(host) {
                s.push_str(&info);
            }
            if !host.scripts.is_empty() {
                s.push_str("\nHost script results:\n");
                s.push_str(&script::normal_blocks(&host.scripts, !opts.interactive));
            }
            s.push('\n');
        }
        Shown::Pinged if host.is_up() => mac_line(&mut s, host),
        Shown::TimedOut => {
            let _ = writeln!(
                s,
                "Skipping host {} due to host timeout",
                esc(&name_ip(host))
            );
        }
        _ => {}
    }
    s
}

fn header(s: &mut String, run: &RunInfo, host: &Host, shown: Shown) {
    let reason = show_reason(run);
    let up = host.is_up() || shown == Shown::Listed;
    if up {
        let _ = writeln!(s, "Nmap scan report for {}", esc(&name_ip(host)));
    } else if run.verbose > 0 {
        let _ = write!(s, "Nmap scan report for {} [host down", esc(&name_ip(host)));
        if reason {
            let _ = write!(s, ", received {}", host.status.reason.as_str());
        }
        s.push_str("]\n");
    }
    if shown != Shown::Listed && host.is_up() {
        s.push_str("Host is up");
        if reason {
            let _ = write!(s, ", received {}", host.status.reason.as_str());
            if host.status.reason_ttl != 0 {
                let _ = write!(s, " ttl {}", host.status.reason_ttl);
            }
        }
        if let Some(l) = host.latency {
            let _ = write!(s, " ({}s latency)", latency(l));
        }
        s.push_str(".\n");
    }
    if let Some(user) = host.user_name() {
        if !host.other_addrs.is_empty() {
            let _ = write!(s, "Other addresses for {} (not scanned):", esc(user));
            for a in &host.other_addrs {
                let _ = write!(s, " {a}");
            }
            s.push('\n');
        }
        if let Some(ptr) = host.ptr_name()
            && !ptr.is_empty()
            && ptr != user
        {
            let _ = writeln!(s, "rDNS record for {}: {}", host.addr, esc(ptr));
        }
    }
}

/// `MAC Address: 02:00:C6:12:00:0A (Vendor)`, `(Unknown)` without a vendor.
/// Nmap writes it after the port table, or right after "Host is up" for
/// `-sn`; never for a host that timed out.
fn mac_line(s: &mut String, host: &Host) {
    if let Some(mac) = &host.mac {
        let _ = writeln!(
            s,
            "MAC Address: {} ({})",
            mac.to_nmap_string(),
            esc(mac.vendor.as_deref().unwrap_or("Unknown"))
        );
    }
}

/// "Not shown" lines and the port table.
fn ports(s: &mut String, run: &RunInfo, opts: &WriterOptions, host: &Host) {
    if host.ports.is_empty() {
        return;
    }
    let folded = fold(run, &host.ports);
    not_shown(s, host, &folded);
    if folded.all_ignored() {
        return;
    }
    if !opts.interactive && !ipproto(run) {
        // Nmap writes each port's <script> elements (and complains about
        // empty results in the file) before it prints the table.
        for p in &folded.shown {
            s.extend(p.scripts.iter().filter_map(script::bug_line));
        }
    }
    let tcp_scan = run
        .scan_info
        .iter()
        .any(|i| i.scan_type.protocol() == Protocol::Tcp);
    if (opts.defeat_rst_ratelimit || run.open_only)
        && tcp_scan
        && host.ports.iter().any(|p| p.state == PortState::Filtered)
    {
        s.push_str("Some closed ports may be reported as filtered due to --defeat-rst-ratelimit\n");
    }
    table(s, run, &folded);
    if !ipproto(run) {
        s.push_str(&fingerprint_block(&fingerprints(&folded.shown)));
    }
}

fn ipproto(run: &RunInfo) -> bool {
    run.scan_info
        .iter()
        .any(|i| i.scan_type == ScanType::IpProto)
}

fn not_shown(s: &mut String, host: &Host, folded: &Folded<'_>) {
    for (i, ig) in folded.ignored.iter().enumerate() {
        if i == 0 {
            if folded.all_ignored() {
                let _ = writeln!(
                    s,
                    "All {} scanned ports on {} are in ignored states.",
                    folded.total,
                    esc(&name_ip(host))
                );
            }
            s.push_str("Not shown: ");
        } else {
            s.push_str(", ");
        }
        let plural = if ig.count == 1 { "" } else { "s" };
        for (j, g) in ig.reasons.iter().enumerate() {
            if j > 0 {
                s.push_str(", ");
            }
            let _ = write!(
                s,
                "{} {} {} port{plural} ({})",
                g.ports.len(),
                ig.state.as_str(),
                g.proto.as_str(),
                g.reason.as_str()
            );
        }
    }
    s.push('\n');
}

fn table(s: &mut String, run: &RunInfo, folded: &Folded<'_>) {
    let ipproto = ipproto(run);
    let reason = show_reason(run);
    let mut rows: Vec<Row> = Vec::with_capacity(folded.shown.len() + 1);
    let mut head = vec![
        if ipproto { "PROTOCOL" } else { "PORT" }.to_string(),
        "STATE".to_string(),
        "SERVICE".to_string(),
    ];
    if reason {
        head.push("REASON".to_string());
    }
    if run.version_scan {
        head.push("VERSION".to_string());
    }
    rows.push(Row::Cells(head));
    for p in &folded.shown {
        let port = if ipproto {
            p.number.to_string()
        } else {
            format!("{}/{}", p.number, p.protocol.as_str())
        };
        let service = if ipproto {
            match &p.service {
                Some(svc) if !svc.name.is_empty() && svc.name != "unknown" => esc(&svc.name),
                _ => "unknown".to_string(),
            }
        } else {
            esc(&service_name(run, p))
        };
        let mut row = vec![port, p.state.as_str().to_string(), service];
        if reason {
            let mut r = p.reason.as_str().to_string();
            if let Some(ip) = p.reason_ip {
                let _ = write!(r, " from {ip}");
            }
            if p.reason_ttl != 0 {
                let _ = write!(r, " ttl {}", p.reason_ttl);
            }
            row.push(r);
        }
        if run.version_scan {
            let version = match (&p.service, ipproto) {
                (Some(svc), false) => screen_escape_bytes(&full_version(svc)),
                _ => String::new(),
            };
            row.push(version);
        }
        rows.push(Row::Cells(row));
        if !ipproto {
            // Nmap's protocol-scan table has no script rows.
            rows.extend(
                p.scripts
                    .iter()
                    .filter_map(script::normal_block)
                    .map(Row::Full),
            );
        }
    }
    render_table(s, &rows);
}

/// A line of the port table.
enum Row {
    /// Cells, aligned in columns.
    Cells(Vec<String>),
    /// A line spanning the whole table (a port's script output), printed
    /// as is; it does not widen any column.
    Full(String),
}

/// Nmap's `NmapOutputTable`: every cell but a row's last non-empty one is
/// padded to its column's widest cell plus one space.
fn render_table(s: &mut String, rows: &[Row]) {
    let cells = || {
        rows.iter().filter_map(|r| match r {
            Row::Cells(c) => Some(c),
            Row::Full(_) => None,
        })
    };
    let cols = cells().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            cells()
                .filter_map(|r| r.get(c))
                .map(String::len)
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let row = match row {
            Row::Cells(c) => c,
            Row::Full(line) => {
                s.push_str(line);
                s.push('\n');
                continue;
            }
        };
        let items = row.iter().filter(|c| !c.is_empty()).count();
        let mut valid = 0;
        for (c, width) in widths.iter().enumerate() {
            let cell = row.get(c).map_or("", String::as_str);
            if !cell.is_empty() {
                s.push_str(cell);
                valid += 1;
            }
            if valid < items {
                for _ in cell.len()..=*width {
                    s.push(' ');
                }
            }
        }
        s.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_like_nmap() {
        let rows: Vec<Row> = [
            ["PORT", "STATE", "SERVICE"],
            ["22/tcp", "open", "ssh"],
            ["31337/tcp", "open", "Elite"],
        ]
        .iter()
        .map(|r| Row::Cells(r.iter().map(|c| c.to_string()).collect()))
        .collect();
        let mut s = String::new();
        render_table(&mut s, &rows);
        assert_eq!(
            s,
            "PORT      STATE SERVICE\n22/tcp    open  ssh\n31337/tcp open  Elite\n"
        );
    }
}
