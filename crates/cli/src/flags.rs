//! Nmap's command line: one table of flag definitions drives the parser, the
//! `-h` help text and the tests (ripgrep's pattern).
//!
//! The tokenizer follows glibc's `getopt_long_only`, which Nmap uses: a word
//! with one dash is first tried as a long option (exact name, then unique
//! prefix) and only then as a cluster of short options, so `-oX f`,
//! `-script x`, `-sT`, `-PS22,80`, `-p-` and `-nPn` all mean what they mean
//! to Nmap. Options and targets may come in any order; `--` ends options.

use std::fmt;

/// Whether an option takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    /// Attached (`-p22`, `--top-ports=10`) or the next word (`-p 22`).
    Required,
    /// Only attached (`-v3`, `-d2`, `--debug=2`).
    Optional,
}

/// How a flag is spelled on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spell {
    /// `--name` or `-name`.
    Long(&'static str),
    /// `-c`.
    Short(char),
    /// A letter after a short option: `-sT` is `s` then `T`, `-PS22` is `P`, `S`, "22".
    Sub(char, char),
}

/// Help sections, in the order `-h` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Target,
    Discovery,
    Technique,
    Ports,
    Version,
    Script,
    Os,
    Timing,
    Evasion,
    Output,
    Misc,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Self::Target => "TARGET SPECIFICATION",
            Self::Discovery => "HOST DISCOVERY",
            Self::Technique => "SCAN TECHNIQUES",
            Self::Ports => "PORT SPECIFICATION AND SCAN ORDER",
            Self::Version => "SERVICE/VERSION DETECTION",
            Self::Script => "SCRIPT SCAN",
            Self::Os => "OS DETECTION",
            Self::Timing => "TIMING AND PERFORMANCE",
            Self::Evasion => "FIREWALL/IDS EVASION AND SPOOFING",
            Self::Output => "OUTPUT",
            Self::Misc => "MISC",
        }
    }
}

macro_rules! flags {
    ($($id:ident: [$($spell:expr),+], $arg:ident, $section:ident, $supported:expr, $usage:literal, $help:literal;)*) => {
        /// Every option nmaps knows, implemented or not.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Id { $($id,)* }

        /// The definition table.
        pub static FLAGS: &[Flag] = &[
            $(Flag { id: Id::$id, spells: &[$($spell),+], arg: Arg::$arg, section: Section::$section,
                     supported: $supported, usage: $usage, help: $help },)*
        ];
    };
}

/// One option: its spellings, value, help line and whether nmaps implements it.
#[derive(Debug)]
pub struct Flag {
    pub id: Id,
    pub spells: &'static [Spell],
    pub arg: Arg,
    pub section: Section,
    /// `false`: the option is recognised and refused with "is not supported yet".
    pub supported: bool,
    /// Left column of the help line; empty hides the flag from `-h`.
    pub usage: &'static str,
    pub help: &'static str,
}

use Spell::{Long, Short, Sub};

flags! {
    InputList: [Long("iL"), Short('i')], Required, Target, true, "-iL <inputfilename>", "Read targets from a file (- for standard input)";
    RandomTargets: [Long("iR")], Required, Target, true, "-iR <num hosts>", "Refused: nmaps never picks random internet targets";
    Exclude: [Long("exclude")], Required, Target, true, "--exclude <host1[,host2],...>", "Leave out these hosts/networks";
    ExcludeFile: [Long("excludefile")], Required, Target, true, "--excludefile <file>", "Leave out the hosts/networks listed in a file";
    ResolveAll: [Long("resolve-all")], None, Target, true, "--resolve-all", "Scan every address a host name resolves to";
    Unique: [Long("unique")], None, Target, true, "--unique", "Scan each address only once";
    RandomizeHosts: [Long("randomize-hosts"), Long("rH")], None, Target, false, "--randomize-hosts", "Scan targets in random order";

    ListScan: [Sub('s', 'L')], None, Discovery, true, "-sL", "List targets (with reverse DNS), send nothing to them";
    PingScan: [Sub('s', 'n'), Sub('s', 'P')], None, Discovery, true, "-sn", "Host discovery only, no port scan";
    NoPing: [Sub('P', 'n'), Sub('P', '0'), Sub('P', 'N'), Sub('P', 'D')], None, Discovery, true, "-Pn", "Treat every target as up: skip host discovery";
    PingSyn: [Sub('P', 'S')], Optional, Discovery, true, "-PS[portlist]", "TCP SYN discovery (a TCP connect without privileges) to these ports";
    PingAck: [Sub('P', 'A'), Sub('P', 'T')], Optional, Discovery, true, "-PA[portlist]", "TCP ACK discovery to these ports";
    PingUdp: [Sub('P', 'U')], Optional, Discovery, true, "-PU[portlist]", "UDP discovery to these ports";
    PingSctp: [Sub('P', 'Y')], Optional, Discovery, true, "-PY[portlist]", "SCTP INIT discovery to these ports";
    PingEcho: [Sub('P', 'E'), Sub('P', 'I')], None, Discovery, true, "-PE", "ICMP echo discovery";
    PingTimestamp: [Sub('P', 'P')], None, Discovery, true, "-PP", "ICMP timestamp discovery";
    PingMask: [Sub('P', 'M')], None, Discovery, true, "-PM", "ICMP address-mask discovery";
    PingProto: [Sub('P', 'O')], Optional, Discovery, true, "-PO[protocol list]", "IP protocol discovery";
    PingArp: [Sub('P', 'R')], None, Discovery, true, "-PR", "ARP discovery";
    PingBoth: [Sub('P', 'B')], None, Discovery, false, "", "";
    NoDns: [Short('n')], None, Discovery, true, "-n", "Never do reverse DNS resolution";
    AlwaysDns: [Short('R')], None, Discovery, true, "-R", "Reverse-resolve every target, even down ones";
    DnsServers: [Long("dns-servers")], Required, Discovery, true, "--dns-servers <serv1[,serv2],...>", "Use these DNS servers (addr or addr:port)";
    SystemDns: [Long("system-dns")], None, Discovery, true, "--system-dns", "Use the system's resolver configuration";
    Traceroute: [Long("traceroute")], None, Discovery, false, "--traceroute", "Trace the hop path to each host";
    DisableArpPing: [Long("disable-arp-ping")], None, Discovery, true, "--disable-arp-ping", "No implicit ARP/ND discovery";
    DiscoveryIgnoreRst: [Long("discovery-ignore-rst")], None, Discovery, false, "--discovery-ignore-rst", "Do not count RSTs as signs of life";

    SynScan: [Sub('s', 'S')], None, Technique, true, "-sS", "TCP SYN scan (the default with privileges)";
    ConnectScan: [Sub('s', 'T')], None, Technique, true, "-sT", "TCP connect() scan (the default without privileges)";
    AckScan: [Sub('s', 'A')], None, Technique, true, "-sA", "TCP ACK scan";
    WindowScan: [Sub('s', 'W')], None, Technique, true, "-sW", "TCP Window scan";
    MaimonScan: [Sub('s', 'M')], None, Technique, true, "-sM", "TCP Maimon scan";
    UdpScan: [Sub('s', 'U')], None, Technique, true, "-sU", "UDP scan";
    NullScan: [Sub('s', 'N')], None, Technique, true, "-sN", "TCP Null scan";
    FinScan: [Sub('s', 'F')], None, Technique, true, "-sF", "TCP FIN scan";
    XmasScan: [Sub('s', 'X')], None, Technique, true, "-sX", "TCP Xmas scan";
    ScanFlags: [Long("scanflags")], Required, Technique, true, "--scanflags <flags>", "Custom TCP scan flags";
    IdleScan: [Long("sI")], Required, Technique, false, "-sI <zombie host[:probeport]>", "Idle scan";
    SctpInitScan: [Sub('s', 'Y')], None, Technique, true, "-sY", "SCTP INIT scan";
    SctpCookieScan: [Sub('s', 'Z')], None, Technique, true, "-sZ", "SCTP COOKIE-ECHO scan";
    ProtoScan: [Sub('s', 'O')], None, Technique, true, "-sO", "IP protocol scan";
    FtpBounce: [Short('b')], Required, Technique, false, "-b <FTP relay host>", "FTP bounce scan";
    RpcScan: [Sub('s', 'R')], None, Version, false, "", "";
    DefeatRst: [Long("defeat-rst-ratelimit")], None, Technique, false, "--defeat-rst-ratelimit", "Trade closed/filtered accuracy for speed (TCP)";
    DefeatIcmp: [Long("defeat-icmp-ratelimit")], None, Technique, false, "--defeat-icmp-ratelimit", "Trade closed/filtered accuracy for speed (UDP)";

    Ports: [Short('p')], Required, Ports, true, "-p <port ranges>", "Scan only these ports (e.g. -p22; -p1-65535; -p U:53,T:21-25,80)";
    ExcludePorts: [Long("exclude-ports")], Required, Ports, true, "--exclude-ports <port ranges>", "Leave these ports out";
    Fast: [Short('F')], None, Ports, true, "-F", "Fast mode: the 100 most common ports";
    Sequential: [Short('r')], None, Ports, true, "-r", "Scan ports in order, not randomized";
    TopPorts: [Long("top-ports")], Required, Ports, true, "--top-ports <number>", "Scan the <number> most common ports";
    PortRatio: [Long("port-ratio")], Required, Ports, true, "--port-ratio <ratio>", "Scan ports more common than <ratio> (0-1)";
    AllPorts: [Long("allports")], None, Ports, true, "", "";

    VersionScan: [Sub('s', 'V')], None, Version, true, "-sV", "Probe open ports for service and version";
    VersionIntensity: [Long("version-intensity")], Required, Version, true, "--version-intensity <level>", "0 (light) to 9 (all probes)";
    VersionLight: [Long("version-light")], None, Version, true, "--version-light", "Intensity 2";
    VersionAll: [Long("version-all")], None, Version, true, "--version-all", "Intensity 9";
    VersionTrace: [Long("version-trace")], None, Version, true, "--version-trace", "Trace version detection";
    VersionDb: [Long("versiondb")], Required, Version, true, "", "";

    DefaultScripts: [Sub('s', 'C')], None, Script, true, "-sC", "Same as --script=default";
    Script: [Long("script")], Required, Script, true, "--script=<Lua scripts>", "Comma-separated scripts, directories or categories";
    ScriptArgs: [Long("script-args")], Required, Script, true, "--script-args=<n1=v1,...>", "Arguments for scripts";
    ScriptArgsFile: [Long("script-args-file")], Required, Script, true, "--script-args-file=<file>", "Script arguments from a file";
    ScriptTrace: [Long("script-trace")], None, Script, true, "--script-trace", "Show all script I/O";
    ScriptUpdateDb: [Long("script-updatedb")], None, Script, false, "--script-updatedb", "Rebuild the script database";
    ScriptHelp: [Long("script-help")], Required, Script, true, "--script-help=<Lua scripts>", "Describe scripts";
    ScriptTimeout: [Long("script-timeout")], Required, Script, true, "--script-timeout <time>", "Stop scripts after this long";
    ScriptUnsafe: [Long("script-unsafe")], None, Script, true, "--script-unsafe", "Let scripts use os.execute, io.popen and files (trusted scripts only)";

    OsScan: [Short('O')], Optional, Os, true, "-O", "Enable OS detection (IPv4)";
    OsScanLimit: [Long("osscan-limit")], None, Os, true, "--osscan-limit", "Limit OS detection to promising targets";
    OsScanGuess: [Long("osscan-guess"), Long("fuzzy")], None, Os, true, "--osscan-guess", "Guess OS more aggressively";
    MaxOsTries: [Long("max-os-tries")], Required, Os, true, "--max-os-tries <n>", "OS detection attempts per host (1-50, default 5)";

    Timing: [Short('T'), Long("timing")], Required, Timing, true, "-T<0-5>", "Timing template (higher is faster)";
    MinHostgroup: [Long("min-hostgroup")], Required, Timing, true, "--min-hostgroup <size>", "At least this many hosts scanned side by side";
    MaxHostgroup: [Long("max-hostgroup")], Required, Timing, true, "--max-hostgroup <size>", "At most this many hosts scanned side by side";
    MinParallelism: [Long("min-parallelism")], Required, Timing, true, "--min-parallelism <numprobes>", "At least this many probes in flight";
    MaxParallelism: [Long("max-parallelism"), Short('M')], Required, Timing, true, "--max-parallelism <numprobes>", "At most this many probes in flight";
    MinRtt: [Long("min-rtt-timeout")], Required, Timing, true, "--min-rtt-timeout <time>", "Lower bound of a probe's timeout";
    MaxRtt: [Long("max-rtt-timeout")], Required, Timing, true, "--max-rtt-timeout <time>", "Upper bound of a probe's timeout";
    InitialRtt: [Long("initial-rtt-timeout")], Required, Timing, true, "--initial-rtt-timeout <time>", "Timeout before the first round trip is measured";
    MaxRetries: [Long("max-retries")], Required, Timing, true, "--max-retries <tries>", "Cap on probe retransmissions";
    HostTimeout: [Long("host-timeout")], Required, Timing, true, "--host-timeout <time>", "Give up on a target after this long";
    ScanDelay: [Long("scan-delay")], Required, Timing, true, "--scan-delay <time>", "Wait at least this long between probes to a host";
    MaxScanDelay: [Long("max-scan-delay")], Required, Timing, true, "--max-scan-delay <time>", "Never back off more than this";
    MinRate: [Long("min-rate")], Required, Timing, true, "--min-rate <number>", "Send probes no slower than <number> per second";
    MaxRate: [Long("max-rate")], Required, Timing, true, "--max-rate <number>", "Send probes no faster than <number> per second";
    NsockEngine: [Long("nsock-engine")], Required, Timing, true, "", "";

    Fragment: [Short('f'), Long("ff")], None, Evasion, false, "-f; --mtu <val>", "Fragment packets (optionally with this MTU)";
    Mtu: [Long("mtu")], Required, Evasion, false, "", "";
    Decoys: [Short('D')], Required, Evasion, false, "-D <decoy1,decoy2[,ME],...>", "Hide the scan among decoys";
    Spoof: [Short('S')], Required, Evasion, true, "-S <IP_Address>", "Source address (the connect scan binds to it)";
    Interface: [Short('e')], Required, Evasion, true, "-e <iface>", "Use this interface";
    SourcePort: [Short('g'), Long("source-port")], Required, Evasion, true, "-g/--source-port <portnum>", "Use this source port";
    Proxies: [Long("proxies"), Long("proxy")], Required, Evasion, false, "--proxies <url1,[url2],...>", "Relay connections through HTTP/SOCKS4 proxies";
    Data: [Long("data")], Required, Evasion, false, "--data <hex string>", "Append a payload to sent packets";
    DataString: [Long("data-string")], Required, Evasion, false, "--data-string <string>", "Append an ASCII string to sent packets";
    DataLength: [Long("data-length")], Required, Evasion, true, "--data-length <num>", "Append random data to sent packets";
    IpOptions: [Long("ip-options")], Required, Evasion, false, "--ip-options <options>", "Send packets with these IP options";
    Ttl: [Long("ttl")], Required, Evasion, true, "--ttl <val>", "IP time-to-live";
    SpoofMac: [Long("spoof-mac")], Required, Evasion, false, "--spoof-mac <mac/prefix/vendor>", "Spoof the MAC address";
    BadSum: [Long("badsum")], None, Evasion, true, "--badsum", "Send bogus checksums";
    Adler32: [Long("adler32")], None, Evasion, false, "", "";

    OutNormal: [Long("oN"), Short('o')], Required, Output, true, "-oN <file>", "Normal output to a file (- for standard output)";
    OutXml: [Long("oX")], Required, Output, true, "-oX <file>", "XML output";
    OutKiddie: [Long("oS")], Required, Output, false, "-oS <file>", "s|<rIpt kIddi3 output";
    OutGrep: [Long("oG"), Long("oM"), Short('m')], Required, Output, true, "-oG <file>", "Grepable output";
    OutJson: [Long("oJ")], Required, Output, true, "-oJ <file>", "JSON output (nmaps; same content as the XML)";
    OutAll: [Long("oA")], Required, Output, true, "-oA <basename>", "Normal, XML and grepable output at once";
    OutHuman: [Long("oH")], Required, Output, false, "", "";
    Verbose: [Short('v'), Long("verbose")], Optional, Output, true, "-v", "More verbose (-vv or -v3 for more)";
    VerboseTwice: [Long("vv")], None, Output, true, "", "";
    Debug: [Short('d'), Long("debug")], Optional, Output, true, "-d", "More debugging (-dd or -d3 for more)";
    Reason: [Long("reason")], None, Output, true, "--reason", "Show why a port is in its state";
    Open: [Long("open")], None, Output, true, "--open", "Show only open (or possibly open) ports";
    PacketTrace: [Long("packet-trace")], None, Output, false, "--packet-trace", "Show every packet sent and received";
    IfList: [Long("iflist")], None, Output, true, "--iflist", "Print interfaces and routes";
    AppendOutput: [Long("append-output")], None, Output, true, "--append-output", "Append to output files instead of replacing them";
    Resume: [Long("resume")], Required, Output, false, "--resume <filename>", "Resume an aborted scan";
    NonInteractive: [Long("noninteractive")], None, Output, true, "--noninteractive", "No keyboard interaction";
    StatsEvery: [Long("stats-every")], Required, Output, true, "--stats-every <time>", "Print a status line this often";
    Stylesheet: [Long("stylesheet")], Required, Output, true, "--stylesheet <path/URL>", "XSL stylesheet for the XML output";
    WebXml: [Long("webxml")], None, Output, true, "--webxml", "Reference Nmap.Org's stylesheet";
    NoStylesheet: [Long("no-stylesheet")], None, Output, true, "--no-stylesheet", "No stylesheet in the XML output";
    LogErrors: [Long("log-errors")], None, Output, true, "", "";
    DeprecatedXmlOsclass: [Long("deprecated-xml-osclass")], None, Output, true, "", "";

    Ipv6: [Short('6')], None, Misc, true, "-6", "IPv6 scanning";
    Ipv4: [Short('4')], None, Misc, true, "-4", "IPv4 scanning (the default)";
    Aggressive: [Short('A')], None, Misc, true, "-A", "OS detection, version detection and default scripts (traceroute when it exists)";
    DataDir: [Long("datadir")], Required, Misc, true, "--datadir <dirname>", "Read data files (nmap-services) from here";
    ServiceDb: [Long("servicedb")], Required, Misc, true, "--servicedb <file>", "Read the services table from this file";
    SendEth: [Long("send-eth")], None, Misc, true, "--send-eth/--send-ip", "Send raw Ethernet frames / IP packets";
    SendIp: [Long("send-ip")], None, Misc, true, "", "";
    Privileged: [Long("privileged")], None, Misc, true, "--privileged", "Assume full privileges";
    Unprivileged: [Long("unprivileged")], None, Misc, true, "--unprivileged", "Assume no raw-socket privileges";
    Seed: [Long("seed")], Required, Misc, true, "--seed <number>", "Seed for the random port order (nmaps)";
    ReleaseMemory: [Long("release-memory")], None, Misc, true, "", "";
    NoGcc: [Long("nogcc")], None, Misc, true, "", "";
    RouteDst: [Long("route-dst")], Required, Misc, false, "", "";
    Thc: [Long("thc")], None, Misc, true, "", "";
    IdentScan: [Short('I')], None, Misc, true, "", "";
    Quash: [Short('q')], None, Misc, true, "", "";
    Version: [Short('V'), Long("version")], None, Misc, true, "-V", "Print the version";
    Help: [Short('h'), Long("help")], None, Misc, true, "-h", "Print this help summary";
}

impl Flag {
    /// How to name this flag in a message: `--top-ports`, `-sS`, `-p`.
    pub fn display(&self) -> String {
        match self.spells[0] {
            Long(name) if name.len() == 2 && !name.contains('-') => format!("-{name}"),
            Long(name) => format!("--{name}"),
            Short(c) => format!("-{c}"),
            Sub(a, b) => format!("-{a}{b}"),
        }
    }
}

/// Find a flag's definition.
pub fn flag(id: Id) -> &'static Flag {
    FLAGS
        .iter()
        .find(|f| f.id == id)
        .expect("every Id is in FLAGS")
}

/// A command-line problem: one line, naming the bad token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, UsageError> {
    Err(UsageError(msg.into()))
}

/// One parsed command-line item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Flag { id: Id, value: Option<String> },
    Target(String),
}

/// Short options and whether they take a value, as in Nmap's getopt string.
fn short_arg(c: char) -> Option<Arg> {
    match c {
        '4' | '6' | 'A' | 'F' | 'f' | 'h' | 'I' | 'n' | 'q' | 'R' | 'r' | 'V' => Some(Arg::None),
        'b' | 'D' | 'e' | 'g' | 'i' | 'M' | 'm' | 'o' | 'P' | 'p' | 'S' | 's' | 'T' => {
            Some(Arg::Required)
        }
        'd' | 'O' | 'v' => Some(Arg::Optional),
        _ => None,
    }
}

fn long_names() -> impl Iterator<Item = (&'static str, &'static Flag)> {
    FLAGS.iter().flat_map(|f| {
        f.spells.iter().filter_map(move |s| match s {
            Long(n) => Some((*n, f)),
            _ => None,
        })
    })
}

enum LongMatch {
    Found(&'static Flag),
    Ambiguous,
    NotFound,
}

/// Exact name, else unique prefix (glibc's rule; prefixes naming the same flag are not ambiguous).
fn match_long(name: &str) -> LongMatch {
    let name_norm = name.replace('_', "-");
    if let Some((_, f)) = long_names().find(|(n, _)| *n == name_norm || *n == name) {
        return LongMatch::Found(f);
    }
    let mut found: Option<(&'static str, &'static Flag)> = None;
    for (n, f) in long_names().filter(|(n, _)| n.starts_with(&name_norm)) {
        match found {
            Some((_, g)) if g.id != f.id => return LongMatch::Ambiguous,
            Some(_) => {}
            None => found = Some((n, f)),
        }
    }
    match found {
        Some((_, f)) => LongMatch::Found(f),
        None => LongMatch::NotFound,
    }
}

/// Split argv (without the program name) into flags and targets.
pub fn tokenize(args: &[String]) -> Result<Vec<Token>, UsageError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let word = &args[i];
        i += 1;
        if word == "--" {
            out.extend(args[i..].iter().cloned().map(Token::Target));
            break;
        }
        let Some(body) = word.strip_prefix('-').filter(|b| !b.is_empty()) else {
            out.push(Token::Target(word.clone()));
            continue;
        };
        let double = body.starts_with('-');
        let body = if double { &body[1..] } else { body };
        let first = body.chars().next();
        // Long first: always for "--x"; for "-x" when it is longer than one
        // letter or its letter is not a short option (glibc getopt_long_only).
        let try_long = double || body.chars().count() > 1 || first.and_then(short_arg).is_none();
        if try_long {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            match match_long(name) {
                LongMatch::Found(f) => {
                    let value = match (f.arg, inline) {
                        (Arg::None, Some(_)) => {
                            return err(format!("option '{word}' doesn't allow an argument"));
                        }
                        (Arg::None, None) => None,
                        (Arg::Optional, v) => v,
                        (Arg::Required, Some(v)) => Some(v),
                        (Arg::Required, None) => match args.get(i) {
                            Some(v) => {
                                i += 1;
                                Some(v.clone())
                            }
                            None => return err(format!("option '{word}' requires an argument")),
                        },
                    };
                    out.push(Token::Flag { id: f.id, value });
                    continue;
                }
                LongMatch::Ambiguous => return err(format!("option '{word}' is ambiguous")),
                LongMatch::NotFound if double || first.and_then(short_arg).is_none() => {
                    return err(format!("unrecognized option '{word}'"));
                }
                LongMatch::NotFound => {}
            }
        }
        // A cluster of short options: "-nPn" is -n -Pn, "-p22" is -p 22.
        let chars: Vec<char> = body.chars().collect();
        let mut j = 0;
        while j < chars.len() {
            let c = chars[j];
            j += 1;
            let Some(kind) = short_arg(c) else {
                return err(format!("invalid option -- '{c}' in '{word}'"));
            };
            let rest: String = chars[j..].iter().collect();
            let value = match kind {
                Arg::None => None,
                Arg::Optional => {
                    j = chars.len();
                    (!rest.is_empty()).then_some(rest)
                }
                Arg::Required => {
                    j = chars.len();
                    if !rest.is_empty() {
                        Some(rest)
                    } else if let Some(v) = args.get(i) {
                        i += 1;
                        Some(v.clone())
                    } else {
                        return err(format!("option requires an argument -- '{c}'"));
                    }
                }
            };
            short_tokens(c, value, word, &mut out)?;
        }
    }
    Ok(out)
}

/// Turn one short option into flags: `-s` and `-P` carry sub-letters.
fn short_tokens(
    c: char,
    value: Option<String>,
    word: &str,
    out: &mut Vec<Token>,
) -> Result<(), UsageError> {
    let find_sub = |letter: char| FLAGS.iter().find(|f| f.spells.contains(&Sub(c, letter)));
    match c {
        's' => {
            let letters = value.unwrap_or_default();
            for letter in letters.chars() {
                match find_sub(letter) {
                    Some(f) => out.push(Token::Flag {
                        id: f.id,
                        value: None,
                    }),
                    None => {
                        return err(format!(
                            "Scan type '-s{letter}' in '{word}' is not recognized"
                        ));
                    }
                }
            }
            Ok(())
        }
        'P' => {
            let v = value.unwrap_or_default();
            let mut chars = v.chars();
            let letter = chars.next().unwrap_or(' ');
            let rest: String = chars.collect();
            match find_sub(letter) {
                Some(f) if f.arg == Arg::Optional => {
                    out.push(Token::Flag {
                        id: f.id,
                        value: (!rest.is_empty()).then_some(rest),
                    });
                    Ok(())
                }
                Some(f) if rest.is_empty() => {
                    out.push(Token::Flag {
                        id: f.id,
                        value: None,
                    });
                    Ok(())
                }
                _ => err(format!("Illegal ping type '-P{v}'")),
            }
        }
        _ => {
            let f = FLAGS
                .iter()
                .find(|f| f.spells.contains(&Short(c)))
                .ok_or_else(|| UsageError(format!("invalid option -- '{c}'")))?;
            out.push(Token::Flag { id: f.id, value });
            Ok(())
        }
    }
}

/// The `-h` text, generated from the table.
pub fn help() -> String {
    let mut s = format!(
        "nmaps {} (Nmap {} command line and output formats)\n\
         Usage: nmaps [Scan Type(s)] [Options] {{target specification}}\n",
        nmaps_model::NMAPS_VERSION,
        nmaps_model::NMAP_COMPAT_VERSION
    );
    let mut section = None;
    for f in FLAGS.iter().filter(|f| !f.usage.is_empty()) {
        if section != Some(f.section) {
            section = Some(f.section);
            s.push_str(f.section.title());
            s.push_str(":\n");
            if f.section == Section::Target {
                s.push_str("  Host names, IP addresses, networks: host.example, 198.51.100.0/24, 10.0.0-255.1-254, fd00::1\n");
            }
            if f.section == Section::Timing {
                s.push_str("  <time> is in seconds, or add 'ms', 's', 'm' or 'h' (e.g. 30m).\n");
            }
        }
        let mark = if f.supported {
            ""
        } else {
            " [not supported yet]"
        };
        s.push_str(&format!("  {}: {}{}\n", f.usage, f.help, mark));
    }
    s.push_str(
        "EXAMPLES:\n  nmaps -v -sT -p- 198.51.100.7\n  nmaps -sn 198.51.100.0/24\n  nmaps -F -oA out fd00::/120 -6\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(line: &str) -> Result<Vec<Token>, UsageError> {
        let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        tokenize(&args)
    }

    fn f(id: Id, v: Option<&str>) -> Token {
        Token::Flag {
            id,
            value: v.map(str::to_string),
        }
    }

    fn t(s: &str) -> Token {
        Token::Target(s.to_string())
    }

    #[test]
    fn nmap_spellings() {
        let cases: &[(&str, Vec<Token>)] = &[
            (
                "-sT 10.0.0.1",
                vec![f(Id::ConnectScan, None), t("10.0.0.1")],
            ),
            (
                "-sTV",
                vec![f(Id::ConnectScan, None), f(Id::VersionScan, None)],
            ),
            ("-oX out.xml", vec![f(Id::OutXml, Some("out.xml"))]),
            ("-oX -", vec![f(Id::OutXml, Some("-"))]),
            ("--oX=a", vec![f(Id::OutXml, Some("a"))]),
            ("-iL -", vec![f(Id::InputList, Some("-"))]),
            ("-PS22,80", vec![f(Id::PingSyn, Some("22,80"))]),
            ("-PS", vec![f(Id::PingSyn, None)]),
            ("-Pn", vec![f(Id::NoPing, None)]),
            ("-nPn", vec![f(Id::NoDns, None), f(Id::NoPing, None)]),
            ("-T4", vec![f(Id::Timing, Some("4"))]),
            ("-T 4", vec![f(Id::Timing, Some("4"))]),
            ("-p-", vec![f(Id::Ports, Some("-"))]),
            ("-p 1-100", vec![f(Id::Ports, Some("1-100"))]),
            ("-p22", vec![f(Id::Ports, Some("22"))]),
            ("-script x", vec![f(Id::Script, Some("x"))]),
            ("--script=x", vec![f(Id::Script, Some("x"))]),
            ("--top-ports 10", vec![f(Id::TopPorts, Some("10"))]),
            ("-top-ports=10", vec![f(Id::TopPorts, Some("10"))]),
            ("--top 10", vec![f(Id::TopPorts, Some("10"))]),
            ("--max_retries 2", vec![f(Id::MaxRetries, Some("2"))]),
            ("-v", vec![f(Id::Verbose, None)]),
            ("-vv", vec![f(Id::VerboseTwice, None)]),
            ("-vvv", vec![f(Id::Verbose, Some("vv"))]),
            ("-v3", vec![f(Id::Verbose, Some("3"))]),
            ("-d", vec![f(Id::Debug, None)]),
            (
                "-6 -F -r",
                vec![
                    f(Id::Ipv6, None),
                    f(Id::Fast, None),
                    f(Id::Sequential, None),
                ],
            ),
            ("a -sL b", vec![t("a"), f(Id::ListScan, None), t("b")]),
            ("-- -sL", vec![t("-sL")]),
            ("-sI zombie", vec![f(Id::IdleScan, Some("zombie"))]),
            ("-reason", vec![f(Id::Reason, None)]),
            ("-oA base", vec![f(Id::OutAll, Some("base"))]),
            ("-oJ -", vec![f(Id::OutJson, Some("-"))]),
            ("-h", vec![f(Id::Help, None)]),
            ("-V", vec![f(Id::Version, None)]),
            ("-Fn", vec![f(Id::Fast, None), f(Id::NoDns, None)]),
        ];
        for (line, want) in cases {
            assert_eq!(&toks(line).unwrap(), want, "{line}");
        }
    }

    #[test]
    fn bad_command_lines_name_the_token() {
        for (line, needle) in [
            ("--foo", "'--foo'"),
            ("-sQ", "-sQ"),
            ("-PQ", "-PQ"),
            ("--top-ports", "'--top-ports'"),
            ("-p", "'p'"),
            ("--reason=1", "'--reason=1'"),
            ("-no", "'-no'"),
            ("-xyz", "'-xyz'"),
        ] {
            let e = toks(line).unwrap_err();
            assert!(e.0.contains(needle), "{line}: {e}");
            assert!(!e.0.contains('\n'));
        }
    }

    #[test]
    fn every_nmap_help_option_is_known() {
        // Each option `nmap --help` lists, as a user would type it.
        let listed = "-iL f -iR 1 --exclude a --excludefile f -sL -sn -Pn -PS -PA -PU -PY -PE -PP -PM -PO -n -R \
            --dns-servers a --system-dns --traceroute -sS -sT -sA -sW -sM -sU -sN -sF -sX --scanflags x \
            -sI z -sY -sZ -sO -b h -p 1 --exclude-ports 1 -F -r --top-ports 1 --port-ratio 0.1 -sV \
            --version-intensity 1 --version-light --version-all --version-trace -sC --script x \
            --script-args x --script-args-file f --script-trace --script-updatedb --script-help x -O \
            --osscan-limit --osscan-guess -T4 --min-hostgroup 1 --max-hostgroup 1 --min-parallelism 1 \
            --max-parallelism 1 --min-rtt-timeout 1 --max-rtt-timeout 1 --initial-rtt-timeout 1 \
            --max-retries 1 --host-timeout 1 --scan-delay 1 --max-scan-delay 1 --min-rate 1 --max-rate 1 \
            -f --mtu 8 -D a -S a -e i -g 1 --source-port 1 --proxies p --data 00 --data-string s \
            --data-length 1 --ip-options x --ttl 1 --spoof-mac 0 --badsum -oN f -oX f -oS f -oG f -oA f \
            -v -d --reason --open --packet-trace --iflist --append-output --resume f --noninteractive \
            --stylesheet s --webxml --no-stylesheet -6 -A --datadir d --send-eth --send-ip --privileged \
            --unprivileged -V -h";
        let tokens = toks(listed).unwrap();
        assert!(
            tokens.iter().all(|t| matches!(t, Token::Flag { .. })),
            "{tokens:?}"
        );
    }

    #[test]
    fn help_comes_from_the_table() {
        let h = help();
        for f in FLAGS.iter().filter(|f| !f.usage.is_empty()) {
            assert!(h.contains(f.usage), "{}", f.usage);
        }
        assert!(h.contains("-O: Enable OS detection (IPv4)"), "{h}");
        assert!(
            h.contains(
                "-D <decoy1,decoy2[,ME],...>: Hide the scan among decoys [not supported yet]"
            ),
            "{h}"
        );
    }

    #[test]
    fn tokenizer_never_panics() {
        use proptest::prelude::*;
        proptest!(|(args in proptest::collection::vec(".{0,12}", 0..6))| {
            let _ = tokenize(&args);
        });
    }
}
