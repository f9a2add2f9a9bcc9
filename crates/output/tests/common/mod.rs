//! Model builders and capture helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use nmaps_model::{
    Exit, Host, HostState, HostStatus, Hostname, HostnameKind, Mac, Port, PortState, Protocol,
    Reason, RunInfo, RunStats, ScanInfo, ScanType, ScriptResult, Service, Times,
};
use nmaps_output::{Format, Writer, WriterOptions, writer};
use std::io::{self, Write};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// A `Write` whose bytes can be read back after the writer is gone.
#[derive(Clone, Default)]
pub struct Capture(pub Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Capture {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes()).expect("output is UTF-8")
    }
}

pub fn at(epoch: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(epoch)
}

pub fn args(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

pub fn run(cmd: &str, start: u64, ports: &[u16]) -> RunInfo {
    RunInfo {
        args: args(cmd),
        start: at(start),
        scan_info: if ports.is_empty() {
            Vec::new()
        } else {
            vec![ScanInfo {
                scan_type: ScanType::Connect,
                scan_flags: None,
                protocol: Protocol::Tcp,
                ports: ports.to_vec(),
            }]
        },
        verbose: 0,
        debugging: 0,
        reason: false,
        open_only: false,
        list_scan: false,
        ping_only: false,
        version_scan: false,
        script_scan: false,
        stylesheet: Some("file:///usr/bin/../share/nmap/nmap.xsl".to_string()),
        os_scan: false,
    }
}

pub fn host(addr: &str, state: HostState, reason: Reason) -> Host {
    let mut h = Host::new(addr.parse::<IpAddr>().unwrap());
    h.status = HostStatus {
        state,
        reason,
        reason_ttl: 0,
    };
    h
}

pub fn ptr(h: &mut Host, name: &str) {
    h.hostnames.push(Hostname {
        name: name.to_string(),
        kind: HostnameKind::Ptr,
    });
}

/// Sets the host's MAC address (`02:00:C6:12:00:0A`) and vendor.
pub fn mac(h: &mut Host, addr: &str, vendor: Option<&str>) {
    let mut a = [0u8; 6];
    for (i, part) in addr.split(':').enumerate() {
        a[i] = u8::from_str_radix(part, 16).unwrap();
    }
    h.mac = Some(Mac {
        addr: a,
        vendor: vendor.map(str::to_string),
    });
}

pub fn timing(h: &mut Host, srtt: u64, rttvar: u64, to: u64) {
    h.times = Some(Times {
        srtt,
        rttvar,
        timeout: to,
    });
    h.latency = Some(Duration::from_micros(srtt));
}

pub fn port(number: u16, state: PortState, reason: Reason, service: Option<&str>) -> Port {
    Port {
        protocol: Protocol::Tcp,
        number,
        state,
        reason,
        reason_ttl: 0,
        reason_ip: None,
        service: service.map(Service::from_table),
        scripts: Vec::new(),
    }
}

pub fn stats(end: u64, elapsed_ms: u64, up: usize, total: usize) -> RunStats {
    RunStats {
        end: at(end),
        elapsed: Duration::from_millis(elapsed_ms),
        hosts_up: up,
        hosts_down: total - up,
        hosts_total: total,
        exit: Exit::Success,
        packets: None,
    }
}

/// Runs one writer over a whole scan and returns what it wrote.
pub fn render(
    format: Format,
    opts: &WriterOptions,
    run: &RunInfo,
    hosts: &[Host],
    stats: &RunStats,
) -> String {
    render_scripts(format, opts, run, &[], hosts, &[], stats)
}

/// [`render`] with pre-scan and post-scan script results.
pub fn render_scripts(
    format: Format,
    opts: &WriterOptions,
    run: &RunInfo,
    pre: &[ScriptResult],
    hosts: &[Host],
    post: &[ScriptResult],
    stats: &RunStats,
) -> String {
    let cap = Capture::default();
    let mut w: Box<dyn Writer> = writer(format, Box::new(cap.clone()), opts);
    w.begin(run).unwrap();
    w.prescan_scripts(pre).unwrap();
    for h in hosts {
        w.host(h).unwrap();
    }
    w.postscan_scripts(post).unwrap();
    w.end(run, stats).unwrap();
    drop(w);
    cap.text()
}

pub fn interactive() -> WriterOptions {
    WriterOptions {
        interactive: true,
        ..WriterOptions::default()
    }
}

/// Validates an XML document against Nmap's DTD with xmllint. Returns
/// `None` when xmllint or the DTD is not installed.
pub fn xmllint(doc: &str, name: &str) -> Option<Result<(), String>> {
    let dtd = "/usr/share/nmap/nmap.dtd";
    if !std::path::Path::new(dtd).exists() {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("nmaps-output-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(format!("{name}.xml"));
    std::fs::write(&path, doc).ok()?;
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--dtdvalid", dtd])
        .arg(&path)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&path);
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}
