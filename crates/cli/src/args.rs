//! Validated options (nothing resolved, nothing opened): the flags' values
//! checked one by one, each error naming its flag and value.

use crate::flags::{self, Id, Token, UsageError, flag};
use nmaps_engine::timing::{Timing, parse_time};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// An output the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutKind {
    Normal,
    Xml,
    Grepable,
    Json,
}

/// Everything the command line said, validated.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub targets: Vec<String>,
    /// `-sV` and its options.
    pub version_scan: bool,
    pub version_intensity: Option<u8>,
    pub version_trace: bool,
    pub versiondb: Option<String>,
    pub all_ports: bool,
    /// `-O` and its options.
    pub os_scan: bool,
    pub osscan_limit: bool,
    pub osscan_guess: bool,
    pub max_os_tries: Option<u32>,
    /// `--script` rules (split on commas), `-sC`, and the other script options.
    pub scripts: Vec<String>,
    pub default_scripts: bool,
    pub script_args: Option<String>,
    pub script_args_file: Option<String>,
    pub script_timeout: Option<Duration>,
    pub script_help: Option<String>,
    pub script_unsafe: bool,
    pub script_trace: bool,
    pub input_list: Option<String>,
    pub exclude: Vec<String>,
    pub exclude_file: Option<String>,
    pub resolve_all: bool,
    pub unique: bool,
    pub list_scan: bool,
    pub ping_scan: bool,
    pub no_ping: bool,
    pub ping_ports: Option<Option<String>>,
    pub no_dns: bool,
    pub always_dns: bool,
    pub dns_servers: Option<Vec<SocketAddr>>,
    pub system_dns: bool,
    pub connect_scan: bool,
    /// The TCP technique flag given (`-sS`, `-sT`, `-sA`…), if any.
    pub tcp_scan: Option<TcpScan>,
    /// `--scanflags`, as a flag byte (plus NS/ECE/CWR bits).
    pub scan_flags: Option<u16>,
    pub udp_scan: bool,
    /// `-sY` (false) / `-sZ` (true).
    pub sctp_scan: Option<bool>,
    pub proto_scan: bool,
    pub ping_ack: Option<Option<String>>,
    pub ping_udp: Option<Option<String>>,
    pub ping_sctp: Option<Option<String>>,
    pub ping_proto: Option<Option<String>>,
    pub ping_echo: bool,
    pub ping_timestamp: bool,
    pub ping_mask: bool,
    pub ping_arp: bool,
    pub disable_arp: bool,
    pub source_port: Option<u16>,
    pub ttl: Option<u8>,
    pub data_length: Option<usize>,
    pub badsum: bool,
    pub interface: Option<String>,
    pub send_ip: bool,
    pub ports: Option<String>,
    pub exclude_ports: Option<String>,
    pub fast: bool,
    pub sequential: bool,
    pub top_ports: Option<u32>,
    pub port_ratio: Option<f64>,
    pub timing_level: Option<u8>,
    pub min_hostgroup: Option<u32>,
    pub max_hostgroup: Option<u32>,
    pub min_parallelism: Option<u32>,
    pub max_parallelism: Option<u32>,
    pub min_rtt: Option<Duration>,
    pub max_rtt: Option<Duration>,
    pub initial_rtt: Option<Duration>,
    pub max_retries: Option<u32>,
    pub host_timeout: Option<Duration>,
    pub scan_delay: Option<Duration>,
    pub max_scan_delay: Option<Duration>,
    pub min_rate: Option<f64>,
    pub max_rate: Option<f64>,
    pub source: Option<IpAddr>,
    pub outputs: Vec<(OutKind, String)>,
    pub verbose: u8,
    pub debug: u8,
    pub reason: bool,
    pub open: bool,
    pub append: bool,
    pub noninteractive: bool,
    pub stats_every: Option<Duration>,
    pub stylesheet: Option<String>,
    pub webxml: bool,
    pub no_stylesheet: bool,
    pub ipv6: bool,
    pub datadir: Option<String>,
    pub servicedb: Option<String>,
    pub privileged: Option<bool>,
    pub seed: Option<u64>,
    pub help: bool,
    pub version: bool,
    /// `--iflist`: print the interface and route tables, then exit.
    pub iflist: bool,
}

/// The TCP scan techniques; Nmap allows one per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpScan {
    Syn,
    Connect,
    Ack,
    Window,
    Maimon,
    Null,
    Fin,
    Xmas,
}

fn bad(flag_id: Id, value: &str, why: &str) -> UsageError {
    UsageError(format!("{} {value:?}: {why}", flag(flag_id).display()))
}

fn number<T: std::str::FromStr>(id: Id, v: &str) -> Result<T, UsageError> {
    v.trim()
        .parse()
        .map_err(|_| bad(id, v, "not a valid number"))
}

fn time(id: Id, v: &str) -> Result<Duration, UsageError> {
    parse_time(v).ok_or_else(|| bad(id, v, "not a valid time (e.g. 500ms, 2s, 5m, 1h)"))
}

fn rate(id: Id, v: &str) -> Result<f64, UsageError> {
    let r: f64 = number(id, v)?;
    if r.is_finite() && r >= 0.001 {
        Ok(r)
    } else {
        Err(bad(
            id,
            v,
            "must be a number of probes per second, at least 0.001",
        ))
    }
}

/// The level given to `-v`/`-d`, as Nmap reads it: `-v` and `-vvv` (value
/// "vv") add 1 and 3 to it, `-v3` sets it to 3.
fn apply_level(current: u8, id: Id, v: Option<&str>, letter: char) -> Result<u8, UsageError> {
    match v {
        None => Ok(current.saturating_add(1).min(10)),
        Some(s) if !s.is_empty() && s.chars().all(|c| c == letter) => {
            Ok(current.saturating_add((s.len() + 1).min(10) as u8).min(10))
        }
        Some(s) => s
            .parse::<u8>()
            .map(|n| n.min(10))
            .map_err(|_| bad(id, s, "not a level")),
    }
}

/// Parse argv (program name excluded) into validated options.
pub fn parse(args: &[String]) -> Result<Options, UsageError> {
    let tokens = flags::tokenize(args)?;
    let mut o = Options::default();
    // -h wins over everything else on the line, as in Nmap.
    if tokens
        .iter()
        .any(|t| matches!(t, Token::Flag { id: Id::Help, .. }))
    {
        o.help = true;
        return Ok(o);
    }
    for token in tokens {
        let (id, value) = match token {
            Token::Target(t) => {
                o.targets.push(t);
                continue;
            }
            Token::Flag { id, value } => (id, value),
        };
        let def = flag(id);
        if !def.supported {
            return Err(UsageError(format!(
                "{} is not supported yet",
                def.display()
            )));
        }
        let v = value.clone().unwrap_or_default();
        match id {
            Id::InputList => {
                if o.input_list.is_some() {
                    return Err(bad(id, &v, "only one input file is allowed"));
                }
                o.input_list = Some(v);
            }
            Id::RandomTargets => {
                return Err(UsageError(format!(
                    "-iR {v}: nmaps does not scan random internet targets; name your targets"
                )));
            }
            Id::Exclude => o.exclude.push(v),
            Id::ExcludeFile => o.exclude_file = Some(v),
            Id::ResolveAll => o.resolve_all = true,
            Id::Unique => o.unique = true,
            Id::ListScan => o.list_scan = true,
            Id::PingScan => o.ping_scan = true,
            Id::NoPing => o.no_ping = true,
            Id::PingSyn => {
                if let Some(p) = &value {
                    parse_plain_ports(id, p)?;
                }
                o.ping_ports = Some(value);
            }
            Id::NoDns => o.no_dns = true,
            Id::AlwaysDns => o.always_dns = true,
            Id::DnsServers => o.dns_servers = Some(parse_dns_servers(&v)?),
            Id::SystemDns => o.system_dns = true,
            Id::ConnectScan
            | Id::SynScan
            | Id::AckScan
            | Id::WindowScan
            | Id::MaimonScan
            | Id::NullScan
            | Id::FinScan
            | Id::XmasScan => {
                let t = match id {
                    Id::ConnectScan => TcpScan::Connect,
                    Id::SynScan => TcpScan::Syn,
                    Id::AckScan => TcpScan::Ack,
                    Id::WindowScan => TcpScan::Window,
                    Id::MaimonScan => TcpScan::Maimon,
                    Id::NullScan => TcpScan::Null,
                    Id::FinScan => TcpScan::Fin,
                    _ => TcpScan::Xmas,
                };
                if o.tcp_scan.is_some_and(|old| old != t) {
                    return Err(UsageError(
                        "You specified more than one type of TCP scan. Please choose only one of -sA, -b, -sT, -sF, -sI, -sM, -sN, -sS, -sW, and -sX".into(),
                    ));
                }
                o.tcp_scan = Some(t);
                o.connect_scan = t == TcpScan::Connect;
            }
            Id::ScanFlags => o.scan_flags = Some(parse_scan_flags(&v)?),
            Id::UdpScan => o.udp_scan = true,
            Id::SctpInitScan | Id::SctpCookieScan => {
                let cookie = id == Id::SctpCookieScan;
                if o.sctp_scan.is_some_and(|c| c != cookie) {
                    return Err(UsageError(
                        "You specified more than one type of SCTP scan. Please choose only one of -sY and -sZ".into(),
                    ));
                }
                o.sctp_scan = Some(cookie);
            }
            Id::ProtoScan => o.proto_scan = true,
            Id::PingAck | Id::PingUdp | Id::PingSctp => {
                if let Some(p) = &value {
                    parse_plain_ports(id, p)?;
                }
                match id {
                    Id::PingAck => o.ping_ack = Some(value),
                    Id::PingUdp => o.ping_udp = Some(value),
                    _ => o.ping_sctp = Some(value),
                }
            }
            Id::PingProto => {
                if let Some(p) = &value {
                    parse_protocol_list(id, p)?;
                }
                o.ping_proto = Some(value);
            }
            Id::PingEcho => o.ping_echo = true,
            Id::PingTimestamp => o.ping_timestamp = true,
            Id::PingMask => o.ping_mask = true,
            Id::PingArp => o.ping_arp = true,
            Id::DisableArpPing => o.disable_arp = true,
            Id::SourcePort => o.source_port = Some(number(id, &v)?),
            Id::Ttl => o.ttl = Some(number(id, &v).map_err(|_| bad(id, &v, "must be 0-255"))?),
            Id::DataLength => {
                let n: usize = number(id, &v)?;
                if n > 1400 {
                    return Err(bad(id, &v, "must be 0-1400 bytes"));
                }
                o.data_length = Some(n);
            }
            Id::BadSum => o.badsum = true,
            Id::Interface => {
                if v.is_empty() || v.len() > 15 {
                    return Err(bad(id, &v, "not an interface name"));
                }
                o.interface = Some(v);
            }
            Id::SendIp => o.send_ip = true,
            Id::SendEth => {}
            Id::Ports => {
                if o.ports.is_some() {
                    return Err(bad(
                        id,
                        &v,
                        "only one -p option is allowed (join the lists with commas)",
                    ));
                }
                o.ports = Some(v);
            }
            Id::ExcludePorts => o.exclude_ports = Some(v),
            Id::Fast => o.fast = true,
            Id::Sequential => o.sequential = true,
            Id::TopPorts => {
                let n: u32 = number(id, &v)?;
                if n == 0 {
                    return Err(bad(id, &v, "must be at least 1"));
                }
                o.top_ports = Some(n);
            }
            Id::PortRatio => {
                let r: f64 = number(id, &v)?;
                if !(0.0..=1.0).contains(&r) {
                    return Err(bad(id, &v, "must be between 0 and 1"));
                }
                o.port_ratio = Some(r);
            }
            Id::Timing => {
                let level = match v.to_ascii_lowercase().as_str() {
                    "0" | "paranoid" => 0,
                    "1" | "sneaky" => 1,
                    "2" | "polite" => 2,
                    "3" | "normal" => 3,
                    "4" | "aggressive" => 4,
                    "5" | "insane" => 5,
                    _ => {
                        return Err(bad(
                            id,
                            &v,
                            "use 0-5 or paranoid|sneaky|polite|normal|aggressive|insane",
                        ));
                    }
                };
                o.timing_level = Some(level);
            }
            Id::MinHostgroup => o.min_hostgroup = Some(positive(id, &v)?),
            Id::MaxHostgroup => o.max_hostgroup = Some(positive(id, &v)?),
            Id::MinParallelism => o.min_parallelism = Some(positive(id, &v)?),
            Id::MaxParallelism => o.max_parallelism = Some(positive(id, &v)?),
            Id::MinRtt => o.min_rtt = Some(time(id, &v)?),
            Id::MaxRtt => {
                let t = time(id, &v)?;
                if t < Duration::from_millis(5) {
                    return Err(bad(id, &v, "must be at least 5ms"));
                }
                o.max_rtt = Some(t);
            }
            Id::InitialRtt => o.initial_rtt = Some(time(id, &v)?),
            Id::MaxRetries => o.max_retries = Some(number(id, &v)?),
            Id::HostTimeout => o.host_timeout = Some(time(id, &v)?).filter(|t| !t.is_zero()),
            Id::ScanDelay => o.scan_delay = Some(time(id, &v)?),
            Id::MaxScanDelay => o.max_scan_delay = Some(time(id, &v)?),
            Id::MinRate => o.min_rate = Some(rate(id, &v)?),
            Id::MaxRate => o.max_rate = Some(rate(id, &v)?),
            Id::Spoof => o.source = Some(v.parse().map_err(|_| bad(id, &v, "not an IP address"))?),
            Id::OutNormal => o.outputs.push((OutKind::Normal, output_name(id, &v)?)),
            Id::OutXml => o.outputs.push((OutKind::Xml, output_name(id, &v)?)),
            Id::OutGrep => o.outputs.push((OutKind::Grepable, output_name(id, &v)?)),
            Id::OutJson => o.outputs.push((OutKind::Json, output_name(id, &v)?)),
            Id::OutAll => {
                if v == "-" {
                    return Err(bad(id, &v, "cannot write three formats to standard output"));
                }
                let base = output_name(id, &v)?;
                o.outputs.push((OutKind::Normal, format!("{base}.nmap")));
                o.outputs.push((OutKind::Xml, format!("{base}.xml")));
                o.outputs.push((OutKind::Grepable, format!("{base}.gnmap")));
            }
            Id::Verbose => o.verbose = apply_level(o.verbose, id, value.as_deref(), 'v')?,
            Id::VerboseTwice => o.verbose = o.verbose.saturating_add(2),
            Id::Debug => o.debug = apply_level(o.debug, id, value.as_deref(), 'd')?,
            Id::Reason => o.reason = true,
            Id::Open => o.open = true,
            Id::AppendOutput => o.append = true,
            Id::NonInteractive => o.noninteractive = true,
            Id::StatsEvery => o.stats_every = Some(time(id, &v)?).filter(|t| !t.is_zero()),
            Id::Stylesheet => o.stylesheet = Some(v),
            Id::WebXml => o.webxml = true,
            Id::NoStylesheet => o.no_stylesheet = true,
            Id::Ipv6 => o.ipv6 = true,
            Id::Ipv4 => o.ipv6 = false,
            Id::DataDir => o.datadir = Some(v),
            Id::VersionScan => o.version_scan = true,
            Id::VersionIntensity => {
                let n: u8 = number(id, &v)?;
                if n > 9 {
                    return Err(bad(id, &v, "must be between 0 and 9"));
                }
                o.version_intensity = Some(n);
            }
            Id::VersionLight => o.version_intensity = Some(2),
            Id::VersionAll => o.version_intensity = Some(9),
            Id::VersionTrace => o.version_trace = true,
            Id::VersionDb => o.versiondb = Some(v),
            Id::AllPorts => o.all_ports = true,
            Id::Script => o.scripts.extend(nmaps_script::split_rules(&v)),
            Id::DefaultScripts => o.default_scripts = true,
            Id::Aggressive => {
                o.version_scan = true;
                o.default_scripts = true;
                o.os_scan = true;
            }
            Id::OsScan => o.os_scan = true,
            Id::OsScanLimit => o.osscan_limit = true,
            Id::OsScanGuess => o.osscan_guess = true,
            Id::MaxOsTries => {
                let n: u32 = number(id, &v)?;
                if !(1..=50).contains(&n) {
                    return Err(UsageError(
                        "Bogus --max-os-tries argument specified, must be between 1 and 50 (inclusive)".into(),
                    ));
                }
                o.max_os_tries = Some(n);
            }
            Id::ScriptArgs => {
                nmaps_script::parse_script_args(&v).map_err(|e| bad(id, &v, &e))?;
                o.script_args = Some(v);
            }
            Id::ScriptArgsFile => o.script_args_file = Some(v),
            Id::ScriptTimeout => o.script_timeout = Some(time(id, &v)?).filter(|t| !t.is_zero()),
            Id::ScriptHelp => o.script_help = Some(v),
            Id::ScriptUnsafe => o.script_unsafe = true,
            Id::ScriptTrace => o.script_trace = true,
            Id::ServiceDb => o.servicedb = Some(v),
            Id::Privileged => o.privileged = Some(true),
            Id::Unprivileged => o.privileged = Some(false),
            Id::Seed => o.seed = Some(number(id, &v)?),
            Id::Version => o.version = true,
            Id::IfList => o.iflist = true,
            Id::Help => o.help = true,
            // Accepted for compatibility; nothing to do.
            Id::LogErrors
            | Id::DeprecatedXmlOsclass
            | Id::ReleaseMemory
            | Id::NoGcc
            | Id::Thc
            | Id::IdentScan
            | Id::Quash
            | Id::NsockEngine => {}
            other => {
                return Err(UsageError(format!(
                    "{} is not supported yet",
                    flag(other).display()
                )));
            }
        }
    }
    check_combinations(&o)?;
    Ok(o)
}

/// `--scanflags`: a number (decimal or 0x hex) or flag names run
/// together (`SYNFIN`, `URGACKPSHRSTSYNFIN`), as Nmap accepts them.
pub fn parse_scan_flags(v: &str) -> Result<u16, UsageError> {
    let t = v.trim();
    let num = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u16::from_str_radix(h, 16).ok()
    } else {
        t.parse::<u16>().ok()
    };
    if let Some(n) = num {
        return if n <= 0xff {
            Ok(n)
        } else {
            Err(bad(Id::ScanFlags, v, "must be 0-255"))
        };
    }
    const NAMES: [(&str, u16); 8] = [
        ("FIN", 0x01),
        ("SYN", 0x02),
        ("RST", 0x04),
        ("PSH", 0x08),
        ("ACK", 0x10),
        ("URG", 0x20),
        ("ECE", 0x40),
        ("CWR", 0x80),
    ];
    let upper = t.to_ascii_uppercase();
    let mut rest = upper.as_str();
    let mut flags = 0;
    if rest.is_empty() {
        return Err(bad(Id::ScanFlags, v, "no flags"));
    }
    while !rest.is_empty() {
        let Some((name, bit)) = NAMES.iter().find(|(n, _)| rest.starts_with(n)) else {
            return Err(bad(
                Id::ScanFlags,
                v,
                "use a number or names from URG ACK PSH RST SYN FIN ECE CWR",
            ));
        };
        flags |= bit;
        rest = &rest[name.len()..];
    }
    Ok(flags)
}

/// `-PO` protocol lists: numbers 0-255 and ranges.
pub fn parse_protocol_list(id: Id, v: &str) -> Result<Vec<u8>, UsageError> {
    parse_plain_ports(id, v)?
        .into_iter()
        .map(|p| u8::try_from(p).map_err(|_| bad(id, v, "protocols are 0-255")))
        .collect()
}

fn positive(id: Id, v: &str) -> Result<u32, UsageError> {
    let n: u32 = number(id, v)?;
    if n == 0 {
        Err(bad(id, v, "must be at least 1"))
    } else {
        Ok(n)
    }
}

fn output_name(id: Id, v: &str) -> Result<String, UsageError> {
    if v.is_empty() {
        return Err(bad(id, v, "empty file name"));
    }
    if v.starts_with('-') && v != "-" {
        return Err(bad(
            id,
            v,
            "file name begins with '-'; write ./NAME if you mean it",
        ));
    }
    Ok(v.to_string())
}

/// `-PS` port lists: plain numbers and ranges.
pub fn parse_plain_ports(id: Id, v: &str) -> Result<Vec<u16>, UsageError> {
    let mut out = Vec::new();
    for part in v.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let lo: u16 = a
            .parse()
            .map_err(|_| bad(id, v, &format!("bad port {part:?}")))?;
        let hi: u16 = b
            .parse()
            .map_err(|_| bad(id, v, &format!("bad port {part:?}")))?;
        if lo > hi {
            return Err(bad(id, v, &format!("bad range {part:?}")));
        }
        out.extend(lo..=hi);
    }
    Ok(out)
}

fn parse_dns_servers(v: &str) -> Result<Vec<SocketAddr>, UsageError> {
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<SocketAddr>()
                .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .map_err(|_| bad(Id::DnsServers, v, &format!("{s:?} is not an address")))
        })
        .collect::<Result<Vec<_>, _>>()
        .and_then(|l| {
            if l.is_empty() {
                Err(bad(Id::DnsServers, v, "no servers"))
            } else {
                Ok(l)
            }
        })
}

fn check_combinations(o: &Options) -> Result<(), UsageError> {
    let any_scan = o.tcp_scan.is_some() || o.udp_scan || o.sctp_scan.is_some() || o.proto_scan;
    if (o.list_scan || o.ping_scan) && any_scan {
        return Err(UsageError(
            "-sL and -sn (skip port scan) are not valid with any other scan types".into(),
        ));
    }
    if o.list_scan && o.ping_scan {
        return Err(UsageError("-sL and -sn cannot be used together".into()));
    }
    if o.os_scan && o.ipv6 {
        return Err(UsageError(
            "-O with IPv6 (-6) is not supported yet (Nmap uses a separate IPv6 engine)".into(),
        ));
    }
    if (o.list_scan || o.ping_scan) && (o.ports.is_some() || o.fast || o.top_ports.is_some()) {
        return Err(UsageError(
            "-p/-F/--top-ports cannot be used with -sL or -sn (no port scan)".into(),
        ));
    }
    if o.fast && o.top_ports.is_some() {
        return Err(UsageError(
            "-F and --top-ports cannot be used together".into(),
        ));
    }
    if let (Some(a), Some(b)) = (o.min_hostgroup, o.max_hostgroup)
        && a > b
    {
        return Err(UsageError(format!(
            "--min-hostgroup {a} is larger than --max-hostgroup {b}"
        )));
    }
    if let (Some(a), Some(b)) = (o.min_parallelism, o.max_parallelism)
        && a > b
    {
        return Err(UsageError(format!(
            "--min-parallelism {a} is larger than --max-parallelism {b}"
        )));
    }
    if let (Some(a), Some(b)) = (o.min_rate, o.max_rate)
        && a > b
    {
        return Err(UsageError(format!(
            "--min-rate {a} is larger than --max-rate {b}"
        )));
    }
    if let (Some(a), Some(b)) = (o.min_rtt, o.max_rtt)
        && a > b
    {
        return Err(UsageError(
            "--min-rtt-timeout is larger than --max-rtt-timeout".into(),
        ));
    }
    let stdout_outputs = o.outputs.iter().filter(|(_, f)| f == "-").count();
    if stdout_outputs > 1 {
        return Err(UsageError(
            "only one output format can go to standard output (-)".into(),
        ));
    }
    Ok(())
}

impl Options {
    /// The timing template with every explicit override applied.
    pub fn timing(&self) -> Timing {
        let mut t = Timing::template(self.timing_level.unwrap_or(3));
        // As Nmap: an explicit maximum also lowers the initial (and minimum)
        // timeout; an explicit initial timeout raises the maximum.
        if let Some(v) = self.min_rtt {
            t.min_rtt = v;
        }
        if let Some(v) = self.max_rtt {
            t.max_rtt = v;
            t.initial_rtt = t.initial_rtt.min(v);
            t.min_rtt = t.min_rtt.min(v);
        }
        if let Some(v) = self.initial_rtt {
            t.initial_rtt = v;
            t.max_rtt = t.max_rtt.max(v);
        }
        if let Some(v) = self.max_retries {
            t.max_retries = v;
        }
        if self.host_timeout.is_some() {
            t.host_timeout = self.host_timeout;
        }
        if let Some(v) = self.scan_delay {
            t.scan_delay = v;
            if t.max_scan_delay < v {
                t.max_scan_delay = v;
            }
        }
        if let Some(v) = self.max_scan_delay {
            t.max_scan_delay = v;
        }
        t.min_rate = self.min_rate.or(t.min_rate);
        t.max_rate = self.max_rate.or(t.max_rate);
        if let Some(v) = self.min_parallelism {
            t.min_parallelism = v;
        }
        if self.max_parallelism.is_some() {
            t.max_parallelism = self.max_parallelism;
        }
        if let Some(v) = self.min_hostgroup {
            t.min_hostgroup = v;
        }
        if let Some(v) = self.max_hostgroup {
            t.max_hostgroup = v;
        }
        if t.max_hostgroup < t.min_hostgroup {
            t.max_hostgroup = t.min_hostgroup;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Result<Options, UsageError> {
        parse(
            &line
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn scan_flags_by_name_or_number() {
        assert_eq!(parse_scan_flags("SYNFIN").unwrap(), 0x03);
        assert_eq!(parse_scan_flags("urgackpshrstsynfin").unwrap(), 0x3f);
        assert_eq!(parse_scan_flags("0x12").unwrap(), 0x12);
        assert_eq!(parse_scan_flags("18").unwrap(), 18);
        assert_eq!(parse_scan_flags("ECECWR").unwrap(), 0xc0);
        assert!(parse_scan_flags("").is_err());
    }

    #[test]
    fn values_are_validated_with_the_flag_named() {
        for (line, needle) in [
            ("-T9", "-T \"9\""),
            ("--top-ports x", "--top-ports \"x\""),
            ("--top-ports 0", "--top-ports \"0\""),
            ("--host-timeout 5q", "--host-timeout \"5q\""),
            ("--min-rate -3", "--min-rate \"-3\""),
            ("--traceroute", "--traceroute is not supported yet"),
            ("-D 192.0.2.1", "-D is not supported yet"),
            ("-6 -O", "-O with IPv6"),
            ("--max-os-tries 51", "--max-os-tries"),
            ("--max-os-tries 0", "between 1 and 50"),
            ("-iR 5", "-iR 5"),
            ("-oA -", "-oA \"-\""),
            ("-sn -sT", "-sL and -sn"),
            ("-sn -p 80", "-p/-F"),
            ("--dns-servers 1.2.3", "--dns-servers"),
            ("-PSx", "-PS"),
            ("--min-rate 10 --max-rate 5", "--min-rate 10"),
            ("-oX -foo", "-oX \"-foo\""),
            ("-sS -sT", "more than one type of TCP scan"),
            ("-sY -sZ", "more than one type of SCTP scan"),
            ("--scanflags SYNX", "--scanflags \"SYNX\""),
            ("--scanflags 300", "--scanflags \"300\""),
            ("--ttl 256", "--ttl \"256\""),
            ("--data-length 2000", "--data-length \"2000\""),
            ("-PO300", "-PO"),
            ("-g x", "-g \"x\""),
            ("-sn -sU", "-sL and -sn"),
        ] {
            let e = p(line).unwrap_err();
            assert!(e.0.contains(needle), "{line}: {e}");
        }
    }

    #[test]
    fn nmap_rules_for_levels_timeouts_and_help() {
        let t = p("--max-rtt-timeout 200ms").unwrap().timing();
        assert_eq!(
            (t.max_rtt, t.initial_rtt),
            (Duration::from_millis(200), Duration::from_millis(200))
        );
        let t = p("--initial-rtt-timeout 20s").unwrap().timing();
        assert_eq!(t.max_rtt, Duration::from_secs(20));
        let t = p("--min-hostgroup 200000").unwrap().timing();
        assert!(t.max_hostgroup >= t.min_hostgroup);
        assert_eq!(p("-v -v0").unwrap().verbose, 0);
        assert_eq!(p("-v2 -v").unwrap().verbose, 3);
        assert!(
            p("-D x -h").unwrap().help,
            "-h wins over an unsupported flag"
        );
        let a = p("-A").unwrap();
        assert!(
            a.os_scan && a.version_scan && a.default_scripts,
            "-A is -sV -O -sC"
        );
        let o = p("-O --osscan-limit --fuzzy --max-os-tries 3").unwrap();
        assert!(o.os_scan && o.osscan_limit && o.osscan_guess);
        assert_eq!(o.max_os_tries, Some(3));
        assert!(p("--max-rate 1e-20").is_err());
    }

    #[test]
    fn options_take_effect() {
        let o = p("-sT -T4 -p- -v -vv -d2 --reason --open -oA out --max-retries 2 --host-timeout 5m 10.0.0.1 -n").unwrap();
        assert_eq!(o.targets, vec!["10.0.0.1"]);
        assert_eq!(o.verbose, 3);
        assert_eq!(o.debug, 2);
        assert_eq!(o.outputs.len(), 3);
        let t = o.timing();
        assert_eq!(t.level, 4);
        assert_eq!(t.max_retries, 2);
        assert_eq!(t.host_timeout, Some(Duration::from_secs(300)));
        assert!(o.no_dns && o.reason && o.open);
        assert_eq!(
            p("-PS22,80-82").unwrap().ping_ports,
            Some(Some("22,80-82".into()))
        );
        assert_eq!(
            p("--dns-servers 10.0.0.53,[fd00::53]:5353")
                .unwrap()
                .dns_servers
                .unwrap()
                .len(),
            2
        );
    }
}
