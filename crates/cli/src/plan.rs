//! Resolve validated options into a scan plan: data files, ports, target
//! specifications, exclusions, DNS and timing. Every user error is found here,
//! before a single packet is sent.

use crate::args::{Options, parse_plain_ports};
use crate::flags::Id;
use nmaps_engine::dns::{Dns, DnsConfig};
use nmaps_engine::{Discovery, Mode, ReverseDns, Target};
use nmaps_model::{Protocol, ScanInfo, ScanType};
use nmaps_targets::{
    ExcludeList, PortSelection, ProtoSet, Protocols, Services, TargetSpec, apply_prefix,
    parse_port_spec, parse_target, scan_order_for, select_ports, split_target_file,
};
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

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
    pub scan_info: Vec<ScanInfo>,
    pub services: &'static Services,
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

pub fn resolve(opts: &Options) -> Result<Plan, PlanError> {
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

    let mode = if opts.list_scan {
        Mode::List
    } else if opts.ping_scan {
        Mode::PingOnly
    } else {
        Mode::Connect
    };

    // Ports.
    let mut ports = Vec::new();
    let mut scan_info = Vec::new();
    if mode == Mode::Connect {
        let spec = opts
            .ports
            .as_deref()
            .map(|s| parse_port_spec(s, services).map_err(|e| usage(format!("-p {s:?}: {e}"))))
            .transpose()?;
        let exclude = opts
            .exclude_ports
            .as_deref()
            .map(|s| {
                parse_port_spec(s, services)
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
            ProtoSet::only(Protocol::Tcp),
            services,
            protocols,
        )
        .map_err(|e| usage(format!("port selection: {e}")))?;
        let tcp = resolution.ports.tcp;
        if tcp.is_empty() {
            return Err(usage(
                "no TCP ports left to scan (check -p and --exclude-ports)",
            ));
        }
        let seed = opts.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
                ^ u64::from(std::process::id())
        });
        ports = scan_order_for(Protocol::Tcp, &tcp, seed, !opts.sequential);
        scan_info.push(ScanInfo {
            scan_type: ScanType::Connect,
            protocol: Protocol::Tcp,
            ports: tcp,
        });
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
            eprintln!("WARNING: {w}");
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

    let discovery = if opts.no_ping {
        Discovery::Skip
    } else {
        match &opts.ping_ports {
            Some(Some(list)) => Discovery::ConnectPing(
                parse_plain_ports(Id::PingSyn, list).map_err(|e| usage(e.0))?,
            ),
            Some(None) => Discovery::ConnectPing(vec![80]),
            None => Discovery::ConnectPing(vec![80, 443]),
        }
    };
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

    Ok(Plan {
        engine: nmaps_engine::Plan {
            mode,
            discovery,
            ports,
            timing: opts.timing(),
            reverse_dns,
            privileged: privileged(opts),
        },
        scan_info,
        services,
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
) -> Box<dyn Iterator<Item = Target> + Send> {
    let mut exclude = plan.exclude.clone();
    for (name, prefix) in exclude.hostnames().to_vec() {
        match dns.forward(&name, opts.ipv6).await {
            Ok(addrs) => addrs
                .into_iter()
                .for_each(|a| exclude.add_resolved(a, prefix)),
            Err(e) => eprintln!("{e}"),
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
                Err(e) => eprintln!("{e}"),
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
