//! The results of a scan, as every writer and the Python package see them.
//!
//! The engine fills these values; the output crate turns them into Nmap's
//! normal, XML and grepable formats and into JSON. Nothing here does I/O.

mod reason;
mod state;

pub use reason::Reason;
pub use state::{HostState, PortState};

use serde::Serialize;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// Version of Nmap whose formats and semantics nmaps reproduces.
pub const NMAP_COMPAT_VERSION: &str = "7.93";
/// nmaps's own version.
pub const NMAPS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A transport (or `ip` for protocol scans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
    Ip,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Sctp => "sctp",
            Self::Ip => "ip",
        }
    }
}

/// The scan technique, named as in `<scaninfo type=…>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanType {
    Syn,
    Ack,
    Bounce,
    Connect,
    Null,
    Xmas,
    Window,
    Maimon,
    Fin,
    Udp,
    SctpInit,
    SctpCookieEcho,
    IpProto,
}

/// `--scanflags` as Nmap writes it in `<scaninfo scanflags=…>`: flag
/// names in its fixed order (FIN SYN RST PSH ACK URG ECE CWR).
pub fn scan_flags_names(flags: u16) -> String {
    const NAMES: [(u16, &str); 8] = [
        (0x01, "FIN"),
        (0x02, "SYN"),
        (0x04, "RST"),
        (0x08, "PSH"),
        (0x10, "ACK"),
        (0x20, "URG"),
        (0x40, "ECE"),
        (0x80, "CWR"),
    ];
    NAMES
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, n)| *n)
        .collect()
}

impl ScanType {
    /// Name used in `<scaninfo type>`.
    pub fn xml_name(self) -> &'static str {
        match self {
            Self::Syn => "syn",
            Self::Ack => "ack",
            Self::Bounce => "bounce",
            Self::Connect => "connect",
            Self::Null => "null",
            Self::Xmas => "xmas",
            Self::Window => "window",
            Self::Maimon => "maimon",
            Self::Fin => "fin",
            Self::Udp => "udp",
            Self::SctpInit => "sctpinit",
            Self::SctpCookieEcho => "sctpcookieecho",
            Self::IpProto => "ipproto",
        }
    }
    /// Protocol whose ports this technique scans.
    pub fn protocol(self) -> Protocol {
        match self {
            Self::Udp => Protocol::Udp,
            Self::SctpInit | Self::SctpCookieEcho => Protocol::Sctp,
            Self::IpProto => Protocol::Ip,
            _ => Protocol::Tcp,
        }
    }
    /// Task name shown in "Initiating … Scan" lines and `<taskbegin>`.
    pub fn task_name(self) -> &'static str {
        match self {
            Self::Syn => "SYN Stealth Scan",
            Self::Ack => "ACK Scan",
            Self::Bounce => "Bounce Scan",
            Self::Connect => "Connect Scan",
            Self::Null => "NULL Scan",
            Self::Xmas => "XMAS Scan",
            Self::Window => "Window Scan",
            Self::Maimon => "Maimon Scan",
            Self::Fin => "FIN Scan",
            Self::Udp => "UDP Scan",
            Self::SctpInit => "SCTP INIT Scan",
            Self::SctpCookieEcho => "SCTP COOKIE-ECHO Scan",
            Self::IpProto => "IPProto Scan",
        }
    }
}

/// One `<scaninfo>`: a technique and the ports it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanInfo {
    pub scan_type: ScanType,
    pub protocol: Protocol,
    /// `--scanflags`, when given (TCP scans only).
    pub scan_flags: Option<u16>,
    /// Ports in ascending order.
    pub ports: Vec<u16>,
}

/// What the writers need to know before the first host.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// The command line as given (argv, program name first).
    pub args: Vec<String>,
    pub start: SystemTime,
    pub scan_info: Vec<ScanInfo>,
    pub verbose: u8,
    pub debugging: u8,
    /// Add the REASON column and "received X" (`--reason`).
    pub reason: bool,
    /// Only show open-ish ports (`--open`).
    pub open_only: bool,
    /// `-sL`: hosts are listed, not scanned.
    pub list_scan: bool,
    /// `-sn`: no port scan.
    pub ping_only: bool,
    /// `-sV` ran: adds the VERSION column, the `?` on open ports whose
    /// service is only a guess (confidence 5 or less) and the final
    /// "Service detection performed" line.
    pub version_scan: bool,
    /// Scripts ran (`--script`, `-sC`): with `-sn`, hosts that are up get
    /// the full report (a blank line after "Host is up", then "Host
    /// script results:"), as in Nmap.
    pub script_scan: bool,
    /// `<?xml-stylesheet?>` href, `None` for `--no-stylesheet`.
    pub stylesheet: Option<String>,
    /// `-O` was given: the final "OS detection performed" line (hosts
    /// without a result still get no OS lines).
    pub os_scan: bool,
}

/// How a host name became known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HostnameKind {
    /// The name the user typed.
    User,
    /// From a reverse (PTR) lookup.
    #[serde(rename = "PTR")]
    Ptr,
}

impl HostnameKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Ptr => "PTR",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hostname {
    pub name: String,
    pub kind: HostnameKind,
}

/// `<status>` of a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HostStatus {
    pub state: HostState,
    pub reason: Reason,
    pub reason_ttl: u8,
}

/// How a service name was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceMethod {
    /// Looked up in the services table by port number.
    Table,
    /// Found by probing (`-sV`).
    Probed,
}

/// `<service>` of a port.
///
/// Every text field may come from a remote banner. Writers show the
/// version fields as Nmap stores them ([`VersionInfo::nmap_stored`]) and
/// escape the name and the fingerprint. An empty string counts as absent,
/// as a NULL field does in Nmap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    pub name: String,
    pub method: ServiceMethod,
    /// 0–10; 3 for a table guess.
    pub conf: u8,
    /// `-sV` findings (all empty for a table guess).
    #[serde(flatten)]
    pub version: VersionInfo,
    /// The service was reached through TLS (`tunnel="ssl"`, `ssl/` prefix).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tunnel_ssl: bool,
    /// The service fingerprint of a port that returned data no signature
    /// matched, exactly as Nmap prints it for submission: the `SF-Port…`
    /// text wrapped into lines joined with `\n`, every line after the first
    /// starting with `SF:`, ending in `;` (no final newline). Normal output
    /// prints it as is, XML removes every `\nSF:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub servicefp: Option<String>,
}

impl Service {
    /// A name looked up in the services table (`method="table"`, conf 3).
    pub fn from_table(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            method: ServiceMethod::Table,
            conf: 3,
            version: VersionInfo::default(),
            tunnel_ssl: false,
            servicefp: None,
        }
    }

    /// A service identified by a probe response (`method="probed"`,
    /// conf 10: a hard or soft match).
    pub fn probed(name: impl Into<String>, version: VersionInfo) -> Self {
        Self {
            name: name.into(),
            method: ServiceMethod::Probed,
            conf: 10,
            version,
            tunnel_ssl: false,
            servicefp: None,
        }
    }

    /// A port that accepted the connection and closed it without sending
    /// anything (`tcpwrapped`, probed, conf 8).
    pub fn tcpwrapped() -> Self {
        Self {
            conf: 8,
            ..Self::probed("tcpwrapped", VersionInfo::default())
        }
    }
}

/// What version detection learnt about a service, as Nmap's `p/ v/ i/ h/
/// o/ d/` and `cpe:/…/` templates give it. Normal output joins `product
/// version (extrainfo)` into the VERSION column; `hostname`, `ostype`,
/// `devicetype` and the `cpe:/o…` and `cpe:/h…` CPEs of open ports go to
/// the host's `Service Info:` line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VersionInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extrainfo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ostype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devicetype: Option<String>,
    /// CPE 2.2 URIs (`cpe:/a:openbsd:openssh:9.2p1`), in template order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cpes: Vec<String>,
}

impl VersionInfo {
    /// Longest `product` Nmap keeps, in bytes.
    pub const PRODUCT_MAX: usize = 80;
    /// Longest `version`.
    pub const VERSION_MAX: usize = 80;
    /// Longest `extrainfo`.
    pub const EXTRAINFO_MAX: usize = 256;
    /// Longest `hostname`.
    pub const HOSTNAME_MAX: usize = 80;
    /// Longest `ostype`.
    pub const OSTYPE_MAX: usize = 32;
    /// Longest `devicetype`.
    pub const DEVICETYPE_MAX: usize = 32;
    /// Longest CPE.
    pub const CPE_MAX: usize = 80;

    /// The findings as Nmap keeps them (`PortList::setServiceProbeResults`):
    /// every field passed through [`nmap_printable`] with its length limit,
    /// empty fields and CPEs dropped. Writers print this, so a value that
    /// came straight off the network is shown exactly as Nmap would show
    /// it; applying it twice changes nothing.
    pub fn nmap_stored(&self) -> VersionInfo {
        let f =
            |v: &Option<String>, max| v.as_deref().and_then(|s| nmap_printable(s.as_bytes(), max));
        VersionInfo {
            product: f(&self.product, Self::PRODUCT_MAX),
            version: f(&self.version, Self::VERSION_MAX),
            extrainfo: f(&self.extrainfo, Self::EXTRAINFO_MAX),
            hostname: f(&self.hostname, Self::HOSTNAME_MAX),
            ostype: f(&self.ostype, Self::OSTYPE_MAX),
            devicetype: f(&self.devicetype, Self::DEVICETYPE_MAX),
            cpes: self
                .cpes
                .iter()
                .filter_map(|c| nmap_printable(c.as_bytes(), Self::CPE_MAX))
                .collect(),
        }
    }
}

/// Characters of fingerprint text on each `OS:` line (75 columns with the
/// prefix).
pub const OS_WRAP_WIDTH: usize = 72;

/// Nmap's wrapped OS fingerprint: line breaks dropped, the text cut every
/// [`OS_WRAP_WIDTH`] characters, each piece prefixed with `OS:` and ended
/// by a newline (the last line too). This exact string is the
/// `<osfingerprint fingerprint=…>` value whenever Nmap wraps. Shared by OS
/// detection and the output writers.
pub fn wrap_os_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / OS_WRAP_WIDTH * 4 + 4);
    let mut width = 0;
    for c in text.chars().filter(|&c| c != '\n' && c != '\r') {
        if width == 0 {
            out.push_str("OS:");
        }
        out.push(c);
        width += c.len_utf8();
        if width >= OS_WRAP_WIDTH {
            out.push('\n');
            width = 0;
        }
    }
    if width > 0 {
        out.push('\n');
    }
    out
}

/// How Nmap stores a version-detection text (`cstringSanityCheck`): the
/// bytes up to the first NUL, cut to `max` bytes, every byte outside
/// printable ASCII (0x20–0x7E) replaced by `.`; `None` when nothing is
/// left. The engine should build [`VersionInfo`] fields from the raw
/// banner bytes with this (`nmap_printable(raw, VersionInfo::PRODUCT_MAX)`),
/// so that a non-UTF-8 byte becomes one `.` as in Nmap.
pub fn nmap_printable(raw: &[u8], max: usize) -> Option<String> {
    let end = raw
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(raw.len())
        .min(max);
    if end == 0 {
        return None;
    }
    Some(
        raw[..end]
            .iter()
            .map(|&b| {
                if (0x20..=0x7e).contains(&b) {
                    char::from(b)
                } else {
                    '.'
                }
            })
            .collect(),
    )
}

/// Text a script returned (Lua strings are bytes) as the model keeps it:
/// valid UTF-8 as is, every byte of an invalid sequence as the four
/// characters `\xNN` (upper-case hex). The engine should build
/// [`ScriptResult`] outputs, elem values and keys with this: the writers
/// then show those bytes exactly as Nmap does (`\xFF` in normal and XML
/// output), where `String::from_utf8_lossy` would show U+FFFD's bytes.
pub fn script_text(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// One scanned port and what was learnt about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Port {
    pub protocol: Protocol,
    pub number: u16,
    pub state: PortState,
    pub reason: Reason,
    pub reason_ttl: u8,
    /// The host that answered, when not the target (an ICMP error from a
    /// router): Nmap's `reason_ip`, "… from ADDR" in the REASON column.
    pub reason_ip: Option<IpAddr>,
    pub service: Option<Service>,
    /// Results of port scripts (`--script`), in the order Nmap prints them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<ScriptResult>,
}

/// One script's result: `<script id="…" output="…">` with the structured
/// form Nmap builds from a returned Lua table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptResult {
    pub id: String,
    /// The text shown in normal output (and the XML `output` attribute),
    /// built from the script's bytes with [`script_text`]. Writers escape
    /// it as Nmap does; it may contain anything.
    pub output: String,
    /// `<elem>`/`<table>` children; empty for a plain string result.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<ScriptElem>,
}

/// An `<elem>` or a `<table>` of a structured script result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ScriptElem {
    Elem {
        #[serde(skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        value: String,
    },
    Table {
        #[serde(skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        items: Vec<ScriptElem>,
    },
}

/// Round-trip timing of a host, in microseconds, as in `<times>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Times {
    pub srtt: u64,
    pub rttvar: u64,
    pub timeout: u64,
}

/// Everything known about one target.
#[derive(Debug, Clone, Serialize)]
pub struct Host {
    pub addr: IpAddr,
    pub status: HostStatus,
    /// User-given name first (if any), then PTR names.
    pub hostnames: Vec<Hostname>,
    /// Other addresses the user's name resolved to, which were not scanned.
    pub other_addrs: Vec<IpAddr>,
    /// Every scanned port, sorted by protocol then number.
    pub ports: Vec<Port>,
    pub start: Option<SystemTime>,
    pub end: Option<SystemTime>,
    pub times: Option<Times>,
    /// Latency shown in "Host is up (…s latency)".
    pub latency: Option<Duration>,
    /// `--host-timeout` expired: no port results are reported.
    pub timed_out: bool,
    /// Link-layer address, for hosts on a directly attached Ethernet link.
    pub mac: Option<Mac>,
    /// Results of host scripts ("Host script results:", `<hostscript>`).
    pub scripts: Vec<ScriptResult>,
    /// OS detection (`-O`) results, when it ran on this host.
    pub os: Option<OsResult>,
}

/// A host's Ethernet address and the vendor its prefix is registered to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mac {
    #[serde(serialize_with = "mac_string")]
    pub addr: [u8; 6],
    /// Organisation owning the prefix; `None` when unknown.
    pub vendor: Option<String>,
}

fn mac_string<S: serde::Serializer>(addr: &[u8; 6], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(
        &Mac {
            addr: *addr,
            vendor: None,
        }
        .to_nmap_string(),
    )
}

impl Mac {
    /// `02:00:C6:12:00:0A`, upper case as Nmap writes it.
    pub fn to_nmap_string(&self) -> String {
        let a = self.addr;
        format!(
            "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}",
            a[0], a[1], a[2], a[3], a[4], a[5]
        )
    }
}

impl Host {
    /// A host about which nothing is known yet.
    pub fn new(addr: IpAddr) -> Self {
        Self {
            addr,
            status: HostStatus {
                state: HostState::Unknown,
                reason: Reason::UnknownResponse,
                reason_ttl: 0,
            },
            hostnames: Vec::new(),
            other_addrs: Vec::new(),
            ports: Vec::new(),
            start: None,
            end: None,
            times: None,
            latency: None,
            timed_out: false,
            mac: None,
            scripts: Vec::new(),
            os: None,
        }
    }

    /// The user-given name, if the target was a name.
    pub fn user_name(&self) -> Option<&str> {
        self.hostnames
            .iter()
            .find(|h| h.kind == HostnameKind::User)
            .map(|h| h.name.as_str())
    }

    /// The first PTR name.
    pub fn ptr_name(&self) -> Option<&str> {
        self.hostnames
            .iter()
            .find(|h| h.kind == HostnameKind::Ptr)
            .map(|h| h.name.as_str())
    }

    /// The name shown in "Nmap scan report for NAME (IP)": the user's name, else the PTR.
    pub fn display_name(&self) -> Option<&str> {
        self.user_name().or_else(|| self.ptr_name())
    }

    pub fn is_up(&self) -> bool {
        self.status.state == HostState::Up
    }
}

/// Whether the run ended normally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Exit {
    Success,
    Error(String),
}

/// Totals written after the last host.
#[derive(Debug, Clone, Serialize)]
pub struct RunStats {
    pub end: SystemTime,
    pub elapsed: Duration,
    pub hosts_up: usize,
    pub hosts_down: usize,
    pub hosts_total: usize,
    pub exit: Exit,
    /// Raw packets sent and received, when raw sockets were used.
    pub packets: Option<PacketStats>,
}

/// Nmap's "Raw packets sent: … | Rcvd: …" figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PacketStats {
    pub sent: u64,
    pub sent_bytes: u64,
    pub received: u64,
    pub received_bytes: u64,
}

impl PacketStats {
    /// `Raw packets sent: 2006 (88.240KB) | Rcvd: 2004 (80.184KB)`.
    pub fn nmap_line(&self) -> String {
        fn bytes(b: u64) -> String {
            if b < 1000 {
                format!("{b}B")
            } else if b < 1_000_000 {
                format!("{:.3}KB", b as f64 / 1000.0)
            } else {
                format!("{:.3}MB", b as f64 / 1_000_000.0)
            }
        }
        format!(
            "Raw packets sent: {} ({}) | Rcvd: {} ({})",
            self.sent,
            bytes(self.sent_bytes),
            self.received,
            bytes(self.received_bytes)
        )
    }
}

/// Compress a sorted port list into Nmap's range form: `1,3-4,6`.
pub fn range_list(ports: &[u16]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < ports.len() {
        let start = ports[i];
        let mut end = start;
        while i + 1 < ports.len() && ports[i + 1] == end.wrapping_add(1) && ports[i + 1] > end {
            i += 1;
            end = ports[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}-{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nmap_printable_like_cstring_sanity_check() {
        assert_eq!(
            nmap_printable(b"\x1b[31mred caf\xc3\xa9 \xff\x7f~", 80).as_deref(),
            Some(".[31mred caf.. ..~")
        );
        assert_eq!(nmap_printable(b"ab\0cd", 80).as_deref(), Some("ab"));
        assert_eq!(nmap_printable(b"\0cd", 80), None);
        assert_eq!(nmap_printable(b"", 80), None);
        assert_eq!(nmap_printable(b"abcdef", 4).as_deref(), Some("abcd"));
        let v = VersionInfo {
            product: Some("é\n".into()),
            version: Some(String::new()),
            ostype: Some("o".repeat(40)),
            cpes: vec![String::new(), "cpe:/o:x".into()],
            ..VersionInfo::default()
        };
        let s = v.nmap_stored();
        assert_eq!(s.product.as_deref(), Some("..."));
        assert_eq!(s.version, None);
        assert_eq!(s.ostype.as_deref(), Some("o".repeat(32).as_str()));
        assert_eq!(s.cpes, vec!["cpe:/o:x".to_string()]);
        assert_eq!(s.nmap_stored(), s);
    }

    #[test]
    fn script_text_keeps_invalid_bytes_visible() {
        assert_eq!(
            script_text(b"caf\xc3\xa9 \xff\xfe\xc3( end\xc3"),
            "caf\u{e9} \\xFF\\xFE\\xC3( end\\xC3"
        );
        assert_eq!(script_text(b"\x1b\0ok"), "\x1b\0ok");
    }

    #[test]
    fn range_list_compresses_runs() {
        let cases: &[(&[u16], &str)] = &[
            (&[], ""),
            (&[1], "1"),
            (&[1, 3, 4, 6, 7, 9], "1,3-4,6-7,9"),
            (&[65534, 65535], "65534-65535"),
            (&[0, 1, 2], "0-2"),
        ];
        for (ports, want) in cases {
            assert_eq!(range_list(ports), *want);
        }
    }
}

/// What OS detection (`-O`) found on a host: the data behind Nmap's
/// "Device type / Running / OS details" lines and XML `<os>`, `<uptime>`,
/// `<distance>`, `<tcpsequence>`, `<ipidsequence>` and `<tcptssequence>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct OsResult {
    /// The ports the probes used (`<portused>`): open TCP, closed TCP,
    /// closed UDP, in that order, as far as known.
    pub ports_used: Vec<PortUsed>,
    /// Matches in Nmap's order: the perfect ones, or else the guesses
    /// within 10 % of the best (`<osmatch>`; the writers show at most 10
    /// guesses). With [`OsVerdict::TooMany`] the perfect matches when Nmap
    /// still classifies them (more than 8 perfect matches, up to 36): the
    /// Device type / Running lines are derived from them, but no
    /// `<osmatch>` is written; empty when even those overflowed.
    pub matches: Vec<OsMatch>,
    /// How the matches are to be read.
    pub verdict: OsVerdict,
    /// Nmap prints guesses as "Aggressive OS guesses" (no perfect match and
    /// `--osscan-guess`, or the fingerprint is not fit for submission).
    pub guessing: bool,
    /// The fingerprint in Nmap's submission format: the tests one after
    /// the other without separators, `SCAN(V=7.93%…)SEQ(…)OPS(…)…` (the
    /// `OS:` lines without their prefix, joined). The writers wrap it into
    /// `OS:` lines, or put one test per line where Nmap does (too many
    /// matches, or a fingerprint unfit for submission); newlines in it are
    /// ignored. Its `G=` (good for submission) is the producer's business.
    pub fingerprint: String,
    /// Show the fingerprint block ("TCP/IP fingerprint:", `<osfingerprint>`)
    /// even where Nmap's verbosity rule would not (Nmap's suggestion to
    /// submit an IPv6 fingerprint). The writers apply the rule themselves:
    /// always when no exact match and the fingerprint is fit for submission,
    /// otherwise only with `-vv` or `-d`.
    pub show_fingerprint: bool,
    /// Why the fingerprint is not fit for submission (Nmap's reasons, e.g.
    /// "Missing a closed TCP port so results incomplete"); `None` when it
    /// is. Makes Nmap guess ("Aggressive OS guesses") and print "No exact OS
    /// matches for host (test conditions non-ideal)." instead of asking for
    /// a submission.
    pub omit_reason: Option<String>,
    /// Not enough open/closed ports for a reliable result (Nmap's warning).
    pub unreliable: bool,
    /// Hops to the host ("Network Distance"), when known.
    pub distance: Option<u8>,
    pub uptime: Option<Uptime>,
    pub tcp_sequence: Option<TcpSequence>,
    pub ipid_sequence: Option<SequenceClass>,
    pub tcpts_sequence: Option<SequenceClass>,
}

/// How Nmap reports an OS result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OsVerdict {
    /// 1–8 perfect matches ("OS details:").
    Perfect,
    /// More perfect matches than Nmap lists ("Too many fingerprints match
    /// this host to give specific OS details").
    TooMany,
    /// Only matches below 100 % ("No exact OS matches for host").
    #[default]
    NoExact,
    /// Nothing reached the threshold ("No OS matches for host").
    NoMatch,
}

/// `<portused state= proto= portid=>`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortUsed {
    pub state: PortState,
    pub protocol: Protocol,
    pub port: u16,
}

/// One reference fingerprint that matched (`<osmatch>`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OsMatch {
    /// The `Fingerprint` line's name.
    pub name: String,
    /// Accuracy in whole percent, floor(score × 100).
    pub accuracy: u8,
    /// Line number of the reference in the database.
    pub line: u32,
    pub classes: Vec<OsClass>,
}

/// A `Class` line of a matched reference, with its CPEs (`<osclass>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsClass {
    pub vendor: String,
    pub family: String,
    /// OS generation; empty when the class line leaves it out.
    pub generation: String,
    pub device_type: String,
    /// Accuracy in whole percent.
    pub accuracy: u8,
    pub cpe: Vec<String>,
}

/// "Uptime guess" from TCP timestamps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uptime {
    pub seconds: u64,
    /// Nmap's `lastboot` text, e.g. "Sun Nov 29 12:46:10 2026".
    pub lastboot: String,
}

/// `<tcpsequence index= difficulty= values=>`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TcpSequence {
    pub index: u32,
    pub difficulty: String,
    /// The initial sequence numbers seen, in hex, comma-separated.
    pub values: String,
}

/// `<ipidsequence>` and `<tcptssequence>`: a class name and its samples.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SequenceClass {
    pub class: String,
    /// Samples in hex, comma-separated (may be empty for timestamps).
    pub values: String,
}
