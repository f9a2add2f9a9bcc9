//! Resolve validated options into a scan plan: data files, ports, target
//! specifications, exclusions, DNS and timing. Every user error is found here,
//! before a single packet is sent.

use crate::Out;
use crate::args::{Options, TcpScan, parse_plain_ports, parse_protocol_list};
use crate::flags::Id;
use nmaps_engine::discovery::{PingProbe, RawPing};
use nmaps_engine::dns::{Dns, DnsConfig};
use nmaps_engine::probe::{TcpRead, Technique};
use nmaps_engine::{Discovery, Mode, PortScan, ReverseDns, ScanTechnique, Target};
use nmaps_model::{Protocol, ScanInfo, ScanType};
use nmaps_targets::MacVendors;
use nmaps_targets::ports::parse_port_spec_scanned;
use nmaps_targets::{
    ExcludeList, PortSelection, ProtoSet, Protocols, Services, TargetSpec, apply_prefix,
    parse_target, scan_order_for, select_ports, split_target_file,
};
use nmaps_wire::TcpFlags;
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a command line cannot run.
#[derive(Debug)]
pub enum PlanError {
    /// The user's input is wrong: exit status 2.
    Usage(String),
    /// A file could not be read.
    Io(String),
}

/// Everything needed to run, derived from the options.
pub struct Plan {
    pub engine: nmaps_engine::Plan,
    /// The script engine, when scripts run (`--script`, `-sC`, `-A`).
    pub scripts: Option<Arc<nmaps_script::ScriptEngine>>,
    /// OS detection (`-O`), which needs the raw engine handed to it.
    pub os: Option<Arc<nmaps_osdetect::stage::OsScan>>,
    pub scan_info: Vec<ScanInfo>,
    pub services: &'static Services,
    pub mac_vendors: &'static MacVendors,
    pub stylesheet: Option<String>,
    pub dns: DnsConfig,
    specs: Vec<TargetSpec>,
    exclude: ExcludeList,
}

fn usage(msg: impl Into<String>) -> PlanError {
    PlanError::Usage(msg.into())
}

/// Nmap's data directory search: `--datadir`, then `$NMAPDIR`.
fn data_dir(opts: &Options) -> Option<PathBuf> {
    opts.datadir
        .clone()
        .or_else(|| std::env::var("NMAPDIR").ok().filter(|s| !s.is_empty()))
        .map(PathBuf::from)
}

/// MAC vendors: `nmap-mac-prefixes` from the data directory if there is
/// one, else the project's table built from the IEEE registry.
fn load_mac_vendors(opts: &Options) -> Result<&'static MacVendors, PlanError> {
    if let Some(dir) = data_dir(opts) {
        match MacVendors::load_datadir(&dir) {
            Ok(Some(v)) => return Ok(Box::leak(Box::new(v))),
            Ok(None) => {}
            Err(e) => return Err(PlanError::Io(e.to_string())),
        }
    }
    Ok(MacVendors::embedded())
}

/// The probe database of `-sV`: `--versiondb`, else `nmap-service-probes`
/// in the data directory, else the project's own.
fn load_probe_db(opts: &Options) -> Result<Arc<nmaps_service::ProbeDb>, PlanError> {
    let file = opts.versiondb.as_ref().map(PathBuf::from).or_else(|| {
        data_dir(opts)
            .map(|d| d.join("nmap-service-probes"))
            .filter(|f| f.exists())
    });
    match file {
        Some(f) => nmaps_service::ProbeDb::load(&f)
            .map(Arc::new)
            .map_err(PlanError::Io),
        None => Ok(nmaps_service::ProbeDb::embedded()),
    }
}

/// The `-sV` stage, when asked for.
fn version_stage(
    opts: &Options,
    services: &'static Services,
    out: &Out,
) -> Result<Option<Arc<dyn nmaps_engine::HostStage>>, PlanError> {
    if !opts.version_scan || opts.list_scan || opts.ping_scan {
        return Ok(None);
    }
    let db = load_probe_db(opts)?;
    let mut v = nmaps_service::scan::Options::new(Arc::new(move |port, proto| {
        services.name(port, proto).map(str::to_string)
    }));
    v.intensity = opts.version_intensity.unwrap_or(7);
    v.all_ports = opts.all_ports;
    v.source = opts.source;
    if opts.version_trace {
        let out = out.clone();
        v.trace = Some(Arc::new(move |line: String| {
            use std::io::Write;
            let _ = writeln!(out.clone(), "{line}");
        }));
    }
    Ok(Some(Arc::new(nmaps_service::scan::VersionScan::new(db, v))))
}

/// The reference database of `-O`: `nmap-os-db` in the data directory,
/// else the project's own.
fn load_os_matcher(opts: &Options) -> Result<Arc<dyn nmaps_osdetect::stage::Matcher>, PlanError> {
    let file = data_dir(opts)
        .map(|d| d.join("nmap-os-db"))
        .filter(|f| f.exists());
    nmaps_osdetect::dbmatch::load(file.as_deref()).map_err(PlanError::Io)
}

/// The `-O` stage, when asked for.
fn os_stage(
    opts: &Options,
    privileged: bool,
    out: &Out,
) -> Result<Option<Arc<nmaps_osdetect::stage::OsScan>>, PlanError> {
    if !opts.os_scan || opts.list_scan {
        return Ok(None);
    }
    if !privileged {
        return Err(PlanError::Io(
            "TCP/IP fingerprinting (for OS scan) requires root privileges.\nQUITTING!".into(),
        ));
    }
    if opts.ping_scan {
        return Err(PlanError::Io(
            "WARNING: OS Scan is unreliable without a port scan.  You need to use a scan type along with it, such as -sS, -sT, -sF, etc instead of -sn\nQUITTING!".into(),
        ));
    }
    let timing = opts.timing();
    let out = out.clone();
    let o = nmaps_osdetect::stage::Options {
        max_tries: opts.max_os_tries.unwrap_or(5),
        limit: opts.osscan_limit,
        guess: opts.osscan_guess,
        scan_delay: opts.scan_delay.unwrap_or_default(),
        timing_level: opts.timing_level.unwrap_or(3),
        udp_scan: opts.udp_scan,
        version_scan: opts.version_scan,
        ttl: opts.ttl,
        source_port: opts.source_port,
        min_rtt: timing.min_rtt,
        max_rtt: timing.max_rtt,
        verbose: opts.verbose,
        log: Some(Arc::new(move |line: String| {
            use std::io::Write;
            let _ = writeln!(out.clone(), "{line}");
        })),
    };
    Ok(Some(Arc::new(nmaps_osdetect::stage::OsScan::new(
        o,
        load_os_matcher(opts)?,
    ))))
}

/// Whether the run loads scripts (`--script`, `-sC`, `-A`).
pub fn wants_scripts(opts: &Options) -> bool {
    !opts.scripts.is_empty() || opts.default_scripts
}

/// Starts the script engine with the scripts the options select
/// (`rules` overrides `--script`, for `--script-help`).
pub fn script_engine(
    opts: &Options,
    rules: Option<Vec<String>>,
    privileged: bool,
    out: &Out,
) -> Result<Arc<nmaps_script::ScriptEngine>, PlanError> {
    let args_file_text = match &opts.script_args_file {
        Some(f) => Some(
            std::fs::read_to_string(f)
                .map_err(|e| PlanError::Io(format!("--script-args-file {f}: {e}")))?,
        ),
        None => None,
    };
    let out = out.clone();
    let log: Arc<dyn Fn(String) + Send + Sync> = Arc::new(move |line: String| {
        use std::io::Write;
        let _ = writeln!(out.clone(), "{line}");
    });
    let o = nmaps_script::Options {
        scripts: rules.unwrap_or_else(|| opts.scripts.clone()),
        default_scripts: opts.default_scripts,
        args: opts.script_args.clone(),
        args_file_text,
        datadir: data_dir(opts),
        unsafe_scripts: opts.script_unsafe,
        timeout: opts.script_timeout,
        max_parallelism: opts.max_parallelism.map(|n| n as usize),
        verbosity: opts.verbose,
        debugging: opts.debug,
        version_intensity: opts.version_intensity.unwrap_or(7),
        timing_level: opts.timing_level.unwrap_or(3),
        privileged,
        ipv6: opts.ipv6,
        source: opts.source,
        interface: opts.interface.clone(),
        dns_servers: opts.dns_servers.iter().flatten().map(|s| s.ip()).collect(),
        log: Some(log),
        trace: opts.script_trace,
        ..nmaps_script::Options::default()
    };
    nmaps_script::ScriptEngine::start(o).map_err(PlanError::Usage)
}

fn load_services(opts: &Options) -> Result<&'static Services, PlanError> {
    if let Some(file) = &opts.servicedb {
        let text = std::fs::read_to_string(file)
            .map_err(|e| PlanError::Io(format!("--servicedb {file}: {e}")))?;
        return Ok(Box::leak(Box::new(Services::parse_nmap_services(&text))));
    }
    if let Some(dir) = data_dir(opts) {
        match Services::load_datadir(&dir) {
            Ok(Some(s)) => return Ok(Box::leak(Box::new(s))),
            Ok(None) => {}
            Err(e) => return Err(PlanError::Io(format!("{}: {e}", dir.display()))),
        }
    }
    Ok(Services::embedded())
}

/// Whether we may use raw sockets: `--privileged`/`--unprivileged`, the
/// NMAP_(UN)PRIVILEGED variables, else running as root.
fn privileged(opts: &Options) -> bool {
    if let Some(p) = opts.privileged {
        return p;
    }
    if std::env::var_os("NMAP_UNPRIVILEGED").is_some() {
        return false;
    }
    if std::env::var_os("NMAP_PRIVILEGED").is_some() {
        return true;
    }
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn read_list(path: &str) -> Result<String, PlanError> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| PlanError::Io(format!("-iL -: {e}")))?;
        Ok(s)
    } else {
        std::fs::read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| PlanError::Io(format!("cannot read target file {path}: {e}")))
    }
}

/// The engine technique and XML scan type of a TCP scan flag.
fn tcp_technique(t: TcpScan, flags: Option<u16>) -> (ScanTechnique, ScanType) {
    let (default_flags, read, scan_type) = match t {
        TcpScan::Connect => return (ScanTechnique::Connect, ScanType::Connect),
        TcpScan::Syn => (TcpFlags::SYN, TcpRead::Syn, ScanType::Syn),
        TcpScan::Ack => (TcpFlags::ACK, TcpRead::Ack, ScanType::Ack),
        TcpScan::Window => (TcpFlags::ACK, TcpRead::Window, ScanType::Window),
        TcpScan::Maimon => (TcpFlags(0x11), TcpRead::Fin, ScanType::Maimon),
        TcpScan::Null => (TcpFlags(0), TcpRead::Fin, ScanType::Null),
        TcpScan::Fin => (TcpFlags::FIN, TcpRead::Fin, ScanType::Fin),
        TcpScan::Xmas => (TcpFlags(0x29), TcpRead::Fin, ScanType::Xmas),
    };
    (
        ScanTechnique::Raw(Technique::Tcp {
            flags: flags.map_or(default_flags, TcpFlags),
            read,
        }),
        scan_type,
    )
}

/// Host discovery from the `-P*` flags and privileges.
fn discovery(opts: &Options, privileged: bool) -> Result<Discovery, PlanError> {
    let arp = privileged && !opts.disable_arp && !opts.send_ip;
    if opts.no_ping {
        return Ok(Discovery::Skip { arp });
    }
    let ports = |id: Id, v: &Option<String>, default: u16| -> Result<Vec<u16>, PlanError> {
        match v {
            Some(list) => parse_plain_ports(id, list).map_err(|e| usage(e.0)),
            None => Ok(vec![default]),
        }
    };
    if !privileged {
        let raw_only = [
            (opts.ping_ack.is_some(), "-PA"),
            (opts.ping_udp.is_some(), "-PU"),
            (opts.ping_sctp.is_some(), "-PY"),
            (opts.ping_proto.is_some(), "-PO"),
            (opts.ping_echo, "-PE"),
            (opts.ping_timestamp, "-PP"),
            (opts.ping_mask, "-PM"),
            (opts.ping_arp, "-PR"),
        ];
        if let Some((_, name)) = raw_only.iter().find(|(given, _)| *given) {
            return Err(usage(format!(
                "{name} needs raw-socket privileges (run as root, or use -PS or -Pn)"
            )));
        }
        return Ok(match &opts.ping_ports {
            Some(v) => Discovery::ConnectPing(ports(Id::PingSyn, v, 80)?),
            None => Discovery::ConnectPing(vec![80, 443]),
        });
    }
    let mut probes = Vec::new();
    if let Some(v) = &opts.ping_ports {
        probes.extend(ports(Id::PingSyn, v, 80)?.into_iter().map(PingProbe::Syn));
    }
    if let Some(v) = &opts.ping_ack {
        probes.extend(ports(Id::PingAck, v, 80)?.into_iter().map(PingProbe::Ack));
    }
    if let Some(v) = &opts.ping_udp {
        probes.extend(
            ports(Id::PingUdp, v, 40125)?
                .into_iter()
                .map(PingProbe::Udp),
        );
    }
    if let Some(v) = &opts.ping_sctp {
        probes.extend(ports(Id::PingSctp, v, 80)?.into_iter().map(PingProbe::Sctp));
    }
    if opts.ping_echo {
        probes.push(PingProbe::Echo);
    }
    if opts.ping_timestamp {
        probes.push(PingProbe::Timestamp);
    }
    if opts.ping_mask {
        probes.push(PingProbe::AddressMask);
    }
    if let Some(v) = &opts.ping_proto {
        let protos = match v {
            Some(list) => parse_protocol_list(Id::PingProto, list).map_err(|e| usage(e.0))?,
            None => vec![1, 2, 4],
        };
        probes.extend(protos.into_iter().map(PingProbe::Proto));
    }
    let explicit = !probes.is_empty() || opts.ping_arp;
    if !explicit {
        return Ok(Discovery::Raw(RawPing::nmap_default()).with_arp(arp));
    }
    Ok(Discovery::Raw(RawPing {
        probes,
        arp: opts.ping_arp || arp,
    }))
}

trait WithArp {
    fn with_arp(self, arp: bool) -> Self;
}

impl WithArp for Discovery {
    fn with_arp(self, arp: bool) -> Self {
        match self {
            Discovery::Raw(mut p) => {
                p.arp = arp;
                Discovery::Raw(p)
            }
            other => other,
        }
    }
}

pub fn resolve(opts: &Options, io: &crate::Io) -> Result<Plan, PlanError> {
    let services = load_services(opts)?;
    let protocols = Protocols::embedded();

    if let Some(src) = opts.source {
        if src.is_ipv6() != opts.ipv6 {
            return Err(usage(format!(
                "-S {src}: address family does not match the scan (use -6 for IPv6)"
            )));
        }
        if std::net::UdpSocket::bind((src, 0)).is_err() {
            return Err(usage(format!("-S {src}: not an address of this machine")));
        }
    }

    let privileged = privileged(opts);
    let mode = if opts.list_scan {
        Mode::List
    } else if opts.ping_scan {
        Mode::PingOnly
    } else {
        Mode::Scan
    };

    // Scan techniques, in Nmap's order: TCP, UDP, SCTP, IP protocol.
    let mut techniques: Vec<(ScanTechnique, ScanType)> = Vec::new();
    if mode == Mode::Scan {
        let any_other = opts.udp_scan || opts.sctp_scan.is_some() || opts.proto_scan;
        let tcp = match opts.tcp_scan {
            Some(t) => Some(t),
            None if opts.scan_flags.is_some() || !any_other => Some(if privileged {
                TcpScan::Syn
            } else {
                TcpScan::Connect
            }),
            None => None,
        };
        if let Some(t) = tcp {
            techniques.push(tcp_technique(t, opts.scan_flags));
        }
        if opts.udp_scan {
            techniques.push((ScanTechnique::Raw(Technique::Udp), ScanType::Udp));
        }
        if let Some(cookie_echo) = opts.sctp_scan {
            techniques.push((
                ScanTechnique::Raw(Technique::Sctp { cookie_echo }),
                if cookie_echo {
                    ScanType::SctpCookieEcho
                } else {
                    ScanType::SctpInit
                },
            ));
        }
        if opts.proto_scan {
            techniques.push((ScanTechnique::Raw(Technique::IpProto), ScanType::IpProto));
        }
        if !privileged
            && let Some((t, _)) = techniques
                .iter()
                .find(|(t, _)| matches!(t, ScanTechnique::Raw(_)))
        {
            return Err(usage(format!(
                "{} needs raw-socket privileges (run as root, or use -sT)",
                t.task_name()
            )));
        }
    }

    // Ports.
    let mut scans = Vec::new();
    let mut scan_info = Vec::new();
    if mode == Mode::Scan {
        let mut scanned = ProtoSet::default();
        for (t, _) in &techniques {
            scanned.insert(t.protocol());
        }
        let spec = opts
            .ports
            .as_deref()
            .map(|s| {
                parse_port_spec_scanned(s, services, protocols, scanned.ip)
                    .map_err(|e| usage(format!("-p {s:?}: {e}")))
            })
            .transpose()?;
        let exclude = opts
            .exclude_ports
            .as_deref()
            .map(|s| {
                parse_port_spec_scanned(s, services, protocols, scanned.ip)
                    .map_err(|e| usage(format!("--exclude-ports {s:?}: {e}")))
            })
            .transpose()?;
        let selection = match (opts.fast, opts.top_ports, opts.port_ratio) {
            (true, _, _) => PortSelection::Fast,
            (_, Some(n), _) => PortSelection::Top(n),
            (_, _, Some(r)) => PortSelection::Ratio(r),
            _ => PortSelection::Default,
        };
        let resolution = select_ports(
            selection,
            spec.as_ref(),
            exclude.as_ref(),
            scanned,
            services,
            protocols,
        )
        .map_err(|e| usage(format!("port selection: {e}")))?;
        let seed = opts.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
                ^ u64::from(std::process::id())
        });
        for (technique, scan_type) in techniques {
            let protocol = technique.protocol();
            let list: Vec<u16> = match protocol {
                Protocol::Tcp => resolution.ports.tcp.clone(),
                Protocol::Udp => resolution.ports.udp.clone(),
                Protocol::Sctp => resolution.ports.sctp.clone(),
                Protocol::Ip => resolution
                    .ports
                    .proto
                    .iter()
                    .map(|&p| u16::from(p))
                    .collect(),
            };
            if list.is_empty() {
                return Err(usage(format!(
                    "no {} ports left to scan (check -p and --exclude-ports)",
                    protocol.as_str().to_uppercase()
                )));
            }
            scans.push(PortScan {
                technique,
                ports: scan_order_for(protocol, &list, seed, !opts.sequential),
            });
            scan_info.push(ScanInfo {
                scan_type,
                protocol,
                scan_flags: opts.scan_flags,
                ports: list,
            });
        }
    }

    // Targets: command line and -iL, all parsed before anything is sent.
    let mut tokens = opts.targets.clone();
    if let Some(file) = &opts.input_list {
        tokens.extend(split_target_file(&read_list(file)?));
    }
    let mut specs = Vec::with_capacity(tokens.len());
    for t in &tokens {
        specs.push(parse_target(t, opts.ipv6).map_err(|e| usage(e.to_string()))?);
        if let Some(w) = nmaps_targets::target::target_warning(t, opts.ipv6) {
            io.err_line(format_args!("WARNING: {w}"));
        }
    }
    let mut exclude = ExcludeList::new();
    for e in &opts.exclude {
        for t in e.split(',').filter(|t| !t.is_empty()) {
            exclude
                .add_spec(t, opts.ipv6)
                .map_err(|err| usage(format!("--exclude: {err}")))?;
        }
    }
    if let Some(file) = &opts.exclude_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| PlanError::Io(format!("cannot read exclude file {file}: {e}")))?;
        for t in split_target_file(&text) {
            exclude
                .add_spec(&t, opts.ipv6)
                .map_err(|err| usage(format!("--excludefile {file}: {err}")))?;
        }
    }

    let discovery = discovery(opts, privileged)?;
    let reverse_dns = if opts.no_dns {
        ReverseDns::Never
    } else if opts.always_dns {
        ReverseDns::Always
    } else {
        ReverseDns::UpHosts
    };
    let stylesheet = if opts.no_stylesheet {
        None
    } else if let Some(s) = &opts.stylesheet {
        Some(s.clone())
    } else if opts.webxml {
        Some("https://nmap.org/svn/docs/nmap.xsl".to_string())
    } else {
        let local = Path::new("/usr/share/nmap/nmap.xsl");
        local
            .exists()
            .then(|| format!("file://{}", local.display()))
    };

    // -sO turns OS detection off, with Nmap's warning.
    let os = if opts.os_scan && opts.proto_scan {
        io.err_line(format_args!(
            "WARNING: Disabling OS Scan (-O) as it is incompatible with the IPProto Scan (-sO)"
        ));
        None
    } else {
        os_stage(opts, privileged, &io.out)?
    };
    let scripts = if wants_scripts(opts) && !opts.list_scan {
        Some(script_engine(opts, None, privileged, &io.out)?)
    } else {
        None
    };
    Ok(Plan {
        scripts: scripts.clone(),
        os: os.clone(),
        engine: nmaps_engine::Plan {
            mode,
            discovery,
            scans,
            timing: opts.timing(),
            reverse_dns,
            privileged,
            stages: version_stage(opts, services, &io.out)?
                .into_iter()
                .chain(os.map(|o| o as Arc<dyn nmaps_engine::HostStage>))
                .chain(scripts.clone().map(|e| {
                    Arc::new(nmaps_script::ScriptScan::new(e)) as Arc<dyn nmaps_engine::HostStage>
                }))
                .collect(),
        },
        scan_info,
        services,
        mac_vendors: load_mac_vendors(opts)?,
        stylesheet,
        dns: DnsConfig {
            servers: opts.dns_servers.clone(),
            hosts_file: Some(PathBuf::from("/etc/hosts")),
            timeout: None,
        },
        specs,
        exclude,
    })
}

/// Resolve the names among the targets and exclusions, then return the
/// targets as a lazy sequence (a /8 is never held in memory).
pub async fn expand_targets(
    plan: &Plan,
    opts: &Options,
    dns: &Dns,
    io: &crate::Io,
) -> Box<dyn Iterator<Item = Target> + Send> {
    let mut exclude = plan.exclude.clone();
    for (name, prefix) in exclude.hostnames().to_vec() {
        match dns.forward(&name, opts.ipv6).await {
            Ok(addrs) => addrs
                .into_iter()
                .for_each(|a| exclude.add_resolved(a, prefix)),
            Err(e) => io.err_line(format_args!("{e}")),
        }
    }

    enum Item {
        Literal(TargetSpec),
        Named(Vec<Target>),
        /// `name/bits`: the range around the name's address, expanded lazily.
        NamedRange {
            name: String,
            first: IpAddr,
            range: nmaps_targets::AddrRange,
        },
    }
    let mut items = Vec::with_capacity(plan.specs.len());
    for spec in &plan.specs {
        match spec {
            TargetSpec::Hostname { name, prefix } => match dns.forward(name, opts.ipv6).await {
                Ok(addrs) => {
                    let mut targets = Vec::new();
                    match prefix {
                        Some(bits) => {
                            items.push(Item::NamedRange {
                                name: name.clone(),
                                first: addrs[0],
                                range: apply_prefix(addrs[0], *bits),
                            });
                            continue;
                        }
                        None if opts.resolve_all => {
                            targets.extend(addrs.iter().map(|&a| Target {
                                addr: a,
                                user_name: Some(name.clone()),
                                other_addrs: Vec::new(),
                            }));
                        }
                        None => targets.push(Target {
                            addr: addrs[0],
                            user_name: Some(name.clone()),
                            other_addrs: addrs[1..].to_vec(),
                        }),
                    }
                    items.push(Item::Named(targets));
                }
                Err(e) => io.err_line(format_args!("{e}")),
            },
            other => items.push(Item::Literal(other.clone())),
        }
    }

    let unique = opts.unique;
    let mut seen: HashSet<IpAddr> = HashSet::new();
    Box::new(
        items
            .into_iter()
            .flat_map(|item| -> Box<dyn Iterator<Item = Target> + Send> {
                match item {
                    Item::Literal(spec) => match spec.addrs() {
                        Some(iter) => Box::new(iter.map(Target::addr)),
                        None => Box::new(std::iter::empty()),
                    },
                    Item::Named(list) => Box::new(list.into_iter()),
                    Item::NamedRange { name, first, range } => {
                        Box::new(range.iter().map(move |a| {
                            let mut t = Target::addr(a);
                            if a == first {
                                t.user_name = Some(name.clone());
                            }
                            t
                        }))
                    }
                }
            })
            .filter(move |t| !exclude.contains(t.addr))
            .filter(move |t| !unique || seen.insert(t.addr)),
    )
}
