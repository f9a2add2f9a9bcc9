//! Nmap's port-specification syntax (`-p`, `--exclude-ports`) and the final
//! port selection (default, `-F`, `--top-ports`, `--port-ratio`).
//!
//! Parsing is split in two steps, as the meaning of a spec depends on which
//! protocols are scanned:
//!
//! 1. [`parse_port_spec`] checks the syntax and records the elements in
//!    order (ranges, service-name masks, `[...]` groups, each tagged with the
//!    `T:`/`U:`/`S:`/`P:` prefix in force, or "any" when none was given).
//! 2. [`PortSpec::resolve`] replays them against the scanned protocols,
//!    reproducing Nmap exactly, including its quirk that a port already
//!    selected for *some* of the element's protocols is skipped as a
//!    duplicate for all of them (`-sTU -p T:80,80` scans no UDP port).
//!
//! Accepted syntax (as Nmap 7.93): `22`, `1-1024`, `-1024` (1-1024), `60000-`
//! (to 65535), `-` (1-65535; port 0 only when written), service names and
//! masks (`http`, `http*`, `?com-*`; must start with a lowercase letter, `*`
//! or `?`), `[lo-hi]` (only ports listed in the service table), prefixes
//! sticky until the next one, one trailing comma, and blanks around commas
//! and before `-` (Nmap skips them; `1- 5` is an error).

use crate::services::{Protocols, Services};
use nmaps_model::Protocol;
use std::fmt;

/// Nmap's duplicate-port warning text.
pub const DUPLICATE_WARNING: &str = "WARNING: Duplicate port number(s) specified.  Are you alert enough to be using Nmap?  Have some coffee or Jolt(tm).";

const SYNTAX_EXAMPLE: &str = "-100,200-1024,T:3000-4000,U:60000-";
const SYNTAX_EXAMPLE_SIMPLE: &str = "-100,200-1024,3000-4000,60000-";

/// Final, sorted and deduplicated port lists per protocol.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortList {
    pub tcp: Vec<u16>,
    pub udp: Vec<u16>,
    pub sctp: Vec<u16>,
    /// IP protocol numbers (`-sO`).
    pub proto: Vec<u8>,
}

impl PortList {
    /// Ports of one protocol (IP protocol numbers widened to `u16`).
    pub fn ports(&self, proto: Protocol) -> Vec<u16> {
        match proto {
            Protocol::Tcp => self.tcp.clone(),
            Protocol::Udp => self.udp.clone(),
            Protocol::Sctp => self.sctp.clone(),
            Protocol::Ip => self.proto.iter().map(|&p| u16::from(p)).collect(),
        }
    }

    /// Total number of entries over all protocols.
    pub fn total(&self) -> usize {
        self.tcp.len() + self.udp.len() + self.sctp.len() + self.proto.len()
    }

    /// Whether no protocol has any port.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// Remove every port of `other` from the same protocol's list (Nmap's
    /// `--exclude-ports`).
    pub fn exclude(&mut self, other: &PortList) {
        self.tcp.retain(|p| other.tcp.binary_search(p).is_err());
        self.udp.retain(|p| other.udp.binary_search(p).is_err());
        self.sctp.retain(|p| other.sctp.binary_search(p).is_err());
        self.proto.retain(|p| other.proto.binary_search(p).is_err());
    }
}

/// A set of protocols: the ones being scanned, or the prefixes used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ProtoSet {
    pub tcp: bool,
    pub udp: bool,
    pub sctp: bool,
    /// IP protocol scan (`-sO`).
    pub ip: bool,
}

impl ProtoSet {
    /// TCP, UDP and SCTP (what Nmap uses for `--exclude-ports` with `-sn`).
    pub const ALL_PORTS: ProtoSet = ProtoSet {
        tcp: true,
        udp: true,
        sctp: true,
        ip: false,
    };
    /// Just one protocol.
    pub fn only(p: Protocol) -> ProtoSet {
        let mut s = ProtoSet::default();
        s.insert(p);
        s
    }
    /// Add a protocol.
    pub fn insert(&mut self, p: Protocol) {
        match p {
            Protocol::Tcp => self.tcp = true,
            Protocol::Udp => self.udp = true,
            Protocol::Sctp => self.sctp = true,
            Protocol::Ip => self.ip = true,
        }
    }
    /// Whether `p` is in the set.
    pub fn contains(self, p: Protocol) -> bool {
        match p {
            Protocol::Tcp => self.tcp,
            Protocol::Udp => self.udp,
            Protocol::Sctp => self.sctp,
            Protocol::Ip => self.ip,
        }
    }
    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        !(self.tcp || self.udp || self.sctp || self.ip)
    }
    fn bits(self) -> u8 {
        let mut b = 0;
        for (on, bit) in [
            (self.tcp, TCP),
            (self.udp, UDP),
            (self.sctp, SCTP),
            (self.ip, PROT),
        ] {
            if on {
                b |= bit;
            }
        }
        b
    }
}

const TCP: u8 = 1;
const UDP: u8 = 2;
const SCTP: u8 = 4;
const PROT: u8 = 8;

/// Which protocols an element applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtoSel {
    /// No prefix in force: every scanned protocol.
    Any,
    /// After `T:`, `U:`, `S:` or `P:`.
    Only(Protocol),
}

impl ProtoSel {
    fn bits(self, scanned: ProtoSet) -> u8 {
        match self {
            ProtoSel::Any => scanned.bits(),
            ProtoSel::Only(p) => ProtoSet::only(p).bits(),
        }
    }
}

/// One element of a port specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortItem {
    /// A range; `None` bounds are open (`-1024`, `60000-`, `-`): the start
    /// is 1 for ports and 0 for IP protocols, the end 65535 or 255.
    Range {
        start: Option<u16>,
        end: Option<u16>,
    },
    /// A service (or IP protocol) name, possibly with `*`/`?` wildcards.
    Name(String),
}

/// An element with its protocol selector and bracket flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortElem {
    pub sel: ProtoSel,
    /// Inside `[...]`: only ports listed in the service table count.
    pub listed_only: bool,
    pub item: PortItem,
}

/// A parsed port specification; see [`PortSpec::resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortSpec {
    pub elems: Vec<PortElem>,
    explicit: ProtoSet,
    source: String,
}

/// The outcome of [`PortSpec::resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolution {
    pub ports: PortList,
    /// Nmap would print [`DUPLICATE_WARNING`].
    pub duplicates: bool,
}

/// What was wrong with a port specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpecErrorKind {
    /// Nmap's "Error #485..#488: Your port specifications are illegal".
    Illegal(u16),
    /// A number above 65535.
    OutOfRange,
    /// An IP protocol number above 255.
    ProtoOutOfRange,
    /// `hi-lo`.
    Backwards {
        start: u32,
        end: u32,
        protocol: bool,
    },
    /// `X:` with X not one of T, U, S, P.
    UnknownSpecifier(char),
    /// A name that matches nothing for the selected protocols.
    NoMatch,
    /// `[` inside `[...]`.
    NestedBrackets,
    /// `]` without `[`.
    UnexpectedBracket,
    /// A service mask of 127 characters or more.
    MaskTooLong,
    /// The spec selects no port at all.
    NoPorts,
    /// `--top-ports`/`--port-ratio` with a services file without frequencies.
    NoFrequencies,
    /// `--top-ports 0`, a negative or too large level.
    BadLevel,
}

/// A port-specification error naming the offending token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpecError {
    pub kind: PortSpecErrorKind,
    /// The offending token (element), or the whole spec.
    pub token: String,
    simple: bool,
}

impl PortSpecError {
    fn new(kind: PortSpecErrorKind, token: impl Into<String>, simple: bool) -> Self {
        Self {
            kind,
            token: token.into(),
            simple,
        }
    }

    /// The message Nmap 7.93 prints (after which it quits).
    pub fn nmap_message(&self) -> String {
        use PortSpecErrorKind as K;
        let example = if self.simple {
            SYNTAX_EXAMPLE_SIMPLE
        } else {
            SYNTAX_EXAMPLE
        };
        match &self.kind {
            K::Illegal(code) => format!(
                "Error #{code}: Your port specifications are illegal.  Example of proper form: \"{example}\""
            ),
            K::OutOfRange => "Ports specified must be between 0 and 65535 inclusive".into(),
            K::ProtoOutOfRange => "Protocols specified must be between 0 and 255 inclusive".into(),
            K::Backwards {
                start,
                end,
                protocol,
            } => format!(
                "Your {} range {start}-{end} is backwards. Did you mean {end}-{start}?",
                if *protocol { "protocol" } else { "port" }
            ),
            K::UnknownSpecifier(c) => {
                format!("Error parsing port list: Unknown protocol specifier '{c}'.")
            }
            K::NoMatch => format!(
                "Found no matches for the service mask '{}' and your specified protocols",
                self.token
            ),
            K::NestedBrackets => "Can't nest [] brackets in port/protocol specification".into(),
            K::UnexpectedBracket => "Unexpected ] character in port/protocol specification".into(),
            K::MaskTooLong => "A service mask in the port/protocol specification is either malformed or too long".into(),
            K::NoPorts => "No ports specified -- If you really don't want to scan any ports use ping scan...".into(),
            K::NoFrequencies => "Unable to use --top-ports or --port-ratio with an old style (no-ratio) services file".into(),
            K::BadLevel => "--top-ports and --port-ratio need a positive ratio below 1 or an integer of 1 or higher".into(),
        }
    }
}

impl fmt::Display for PortSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PortSpecErrorKind as K;
        let why = match &self.kind {
            K::Illegal(_) => "illegal syntax".to_string(),
            K::OutOfRange => "ports must be between 0 and 65535".into(),
            K::ProtoOutOfRange => "protocols must be between 0 and 255".into(),
            K::Backwards { start, end, .. } => {
                format!("range is backwards (did you mean {end}-{start}?)")
            }
            K::UnknownSpecifier(c) => format!("unknown protocol specifier '{c}'"),
            K::NoMatch => "no service of the specified protocols matches".into(),
            K::NestedBrackets => "[] brackets cannot be nested".into(),
            K::UnexpectedBracket => "unexpected ']'".into(),
            K::MaskTooLong => "service mask too long".into(),
            K::NoPorts => "no ports specified".into(),
            K::NoFrequencies => "the services file has no frequencies".into(),
            K::BadLevel => "level must be a ratio in (0,1) or a count of 1 to 65536".into(),
        };
        write!(f, "invalid port specification {:?}: {why}", self.token)
    }
}

impl std::error::Error for PortSpecError {}

/// Parse a `-p` / `--exclude-ports` specification.
///
/// Service names are checked against `services` (and the embedded IP
/// protocol names, for `P:` or unprefixed names); an unknown name is an
/// error. Never panics.
pub fn parse_port_spec(spec: &str, services: &Services) -> Result<PortSpec, PortSpecError> {
    parse_with(spec, services, Protocols::embedded(), true, false)
}

/// Parse a `-p` value; with `ip` (`-sO`) bare numbers are protocol numbers.
pub fn parse_port_spec_scanned(
    spec: &str,
    services: &Services,
    protocols: &Protocols,
    ip: bool,
) -> Result<PortSpec, PortSpecError> {
    parse_with(spec, services, protocols, true, ip)
}

/// Parse and resolve in one go for known scanned protocols, reporting
/// errors in the same order and wording as Nmap (e.g. with `-sO` a number
/// above 255 is a protocol-range error even without `P:`).
pub fn parse_port_spec_for(
    spec: &str,
    scanned: ProtoSet,
    services: &Services,
    protocols: &Protocols,
) -> Result<Resolution, PortSpecError> {
    parse_with(spec, services, protocols, true, scanned.ip)?.resolve(scanned, services, protocols)
}

/// Like [`parse_port_spec`], with an explicit IP protocol table.
pub fn parse_port_spec_with(
    spec: &str,
    services: &Services,
    protocols: &Protocols,
) -> Result<PortSpec, PortSpecError> {
    parse_with(spec, services, protocols, true, false)
}

/// Nmap's "simple" port list (used for `-PS`, `-PA`, `-PU`, `-PY`, `-PO`
/// arguments): no `T:`-style prefixes, one protocol. Returns the sorted
/// ports (for `Protocol::Ip`, protocol numbers).
pub fn parse_port_list_simple(
    spec: &str,
    proto: Protocol,
    services: &Services,
    protocols: &Protocols,
) -> Result<Vec<u16>, PortSpecError> {
    let parsed = parse_with(spec, services, protocols, false, proto == Protocol::Ip)?;
    let res = parsed.resolve_inner(ProtoSet::only(proto), services, protocols, false)?;
    Ok(res.ports.ports(proto))
}

fn parse_with(
    spec: &str,
    services: &Services,
    protocols: &Protocols,
    allow_prefix: bool,
    any_prot: bool,
) -> Result<PortSpec, PortSpecError> {
    let mut p = Parser {
        any_prot,
        b: spec.as_bytes(),
        pos: 0,
        simple: !allow_prefix,
        allow_prefix,
        elems: Vec::new(),
        explicit: ProtoSet::default(),
        services,
        protocols,
    };
    p.run(ProtoSel::Any, false)?;
    Ok(PortSpec {
        elems: p.elems,
        explicit: p.explicit,
        source: spec.to_string(),
    })
}

struct Parser<'a> {
    /// Unprefixed elements include IP protocols (`-sO`).
    any_prot: bool,
    b: &'a [u8],
    pos: usize,
    simple: bool,
    allow_prefix: bool,
    elems: Vec<PortElem>,
    explicit: ProtoSet,
    services: &'a Services,
    protocols: &'a Protocols,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }
    fn cur(&self) -> u8 {
        self.at(self.pos)
    }
    fn skip_space(&mut self) {
        while is_space(self.cur()) {
            self.pos += 1;
        }
    }
    /// The element starting at `from`: up to the next ',' (or end).
    fn token_from(&self, from: usize) -> String {
        let from = from.min(self.b.len());
        let end = self.b[from..]
            .iter()
            .position(|&c| c == b',')
            .map_or(self.b.len(), |i| from + i);
        String::from_utf8_lossy(&self.b[from..end]).into_owned()
    }
    /// Error naming the element at `from` (or the whole spec when that
    /// element is empty, as in `1,,2`).
    fn err(&self, kind: PortSpecErrorKind, from: usize) -> PortSpecError {
        let mut tok = self.token_from(from);
        if tok.trim().is_empty() {
            tok = String::from_utf8_lossy(self.b).into_owned();
        }
        PortSpecError::new(kind, tok, self.simple)
    }
    /// Digits as C's strtol would read them, saturating.
    fn number(&mut self) -> u32 {
        let mut v: u32 = 0;
        while self.cur().is_ascii_digit() {
            v = v
                .saturating_mul(10)
                .saturating_add(u32::from(self.cur() - b'0'));
            self.pos += 1;
        }
        v
    }
    fn is_prot(&self, sel: ProtoSel) -> bool {
        sel == ProtoSel::Only(Protocol::Ip) || (sel == ProtoSel::Any && self.any_prot)
    }
    fn check_num(&self, v: u32, sel: ProtoSel, from: usize) -> Result<u16, PortSpecError> {
        if self.is_prot(sel) && v > 255 {
            return Err(self.err(PortSpecErrorKind::ProtoOutOfRange, from));
        }
        u16::try_from(v).map_err(|_| self.err(PortSpecErrorKind::OutOfRange, from))
    }

    fn run(&mut self, mut sel: ProtoSel, nested: bool) -> Result<(), PortSpecError> {
        use PortSpecErrorKind as K;
        loop {
            self.skip_space();
            let start_pos = self.pos;
            if self.allow_prefix && self.pos < self.b.len() && self.at(self.pos + 1) == b':' {
                let proto = match self.cur() {
                    b'T' => Protocol::Tcp,
                    b'U' => Protocol::Udp,
                    b'S' => Protocol::Sctp,
                    b'P' => Protocol::Ip,
                    _ => {
                        let c = String::from_utf8_lossy(&self.b[self.pos..])
                            .chars()
                            .next()
                            .unwrap_or('?');
                        return Err(self.err(K::UnknownSpecifier(c), start_pos));
                    }
                };
                self.explicit.insert(proto);
                sel = ProtoSel::Only(proto);
                self.pos += 2;
                if self.pos >= self.b.len() {
                    return Ok(());
                }
                continue;
            }
            let c = self.cur();
            let start: Option<u16>;
            if c == b'[' {
                if nested {
                    return Err(self.err(K::NestedBrackets, start_pos));
                }
                self.pos += 1;
                self.run(sel, true)?;
                while self.pos < self.b.len() && self.cur() != b']' {
                    self.pos += 1;
                }
                if self.cur() == b']' {
                    self.pos += 1;
                }
                if self.cur() == b',' {
                    self.pos += 1;
                }
                if self.pos >= self.b.len() {
                    return Ok(());
                }
                continue;
            } else if c == b']' {
                if !nested {
                    return Err(self.err(K::UnexpectedBracket, start_pos));
                }
                return Ok(());
            } else if c == b'-' {
                start = None;
            } else if c.is_ascii_digit() {
                let v = self.number();
                start = Some(self.check_num(v, sel, start_pos)?);
                self.skip_space();
            } else if c.is_ascii_lowercase() || c == b'*' || c == b'?' {
                let from = self.pos;
                while self.pos < self.b.len() {
                    let c = self.cur();
                    if is_space(c) || c == b',' || c == b']' {
                        break;
                    }
                    self.pos += 1;
                    if self.pos - from >= 127 {
                        return Err(self.err(K::MaskTooLong, from));
                    }
                }
                let mask = String::from_utf8_lossy(&self.b[from..self.pos]).into_owned();
                if self.pos < self.b.len() && self.cur() != b']' {
                    self.pos += 1;
                }
                if !self.name_matches(&mask, sel) {
                    return Err(PortSpecError::new(K::NoMatch, mask, self.simple));
                }
                self.elems.push(PortElem {
                    sel,
                    listed_only: nested,
                    item: PortItem::Name(mask),
                });
                if self.pos >= self.b.len() {
                    return Ok(());
                }
                continue;
            } else {
                return Err(self.err(K::Illegal(485), start_pos));
            }

            let c = self.cur();
            let end: Option<u16>;
            if self.pos >= self.b.len() || c == b',' || c == b']' {
                end = start;
            } else if c == b'-' {
                self.pos += 1;
                let c = self.cur();
                if self.pos >= self.b.len() || c == b',' || c == b']' {
                    end = None;
                } else if c.is_ascii_digit() {
                    let v = self.number();
                    end = Some(self.check_num(v, sel, start_pos)?);
                } else {
                    return Err(self.err(K::Illegal(486), start_pos));
                }
                let lo = start.map_or(if self.is_prot(sel) { 0 } else { 1 }, u32::from);
                if let Some(hi) = end
                    && u32::from(hi) < lo
                {
                    return Err(self.err(
                        K::Backwards {
                            start: lo,
                            end: u32::from(hi),
                            protocol: self.is_prot(sel),
                        },
                        start_pos,
                    ));
                }
            } else {
                return Err(self.err(K::Illegal(487), start_pos));
            }
            self.elems.push(PortElem {
                sel,
                listed_only: nested,
                item: PortItem::Range { start, end },
            });

            self.skip_space();
            if self.cur() == b']' && self.pos < self.b.len() {
                if !nested {
                    return Err(self.err(K::UnexpectedBracket, start_pos));
                }
                return Ok(());
            }
            if self.pos < self.b.len() && self.cur() != b',' {
                return Err(self.err(K::Illegal(488), start_pos));
            }
            if self.cur() == b',' {
                self.pos += 1;
            }
            if self.pos >= self.b.len() {
                return Ok(());
            }
        }
    }

    fn name_matches(&self, mask: &str, sel: ProtoSel) -> bool {
        let svc = self.services.lookup_name(mask);
        match sel {
            ProtoSel::Any => !svc.is_empty() || !self.protocols.lookup_name(mask).is_empty(),
            ProtoSel::Only(Protocol::Ip) => !self.protocols.lookup_name(mask).is_empty(),
            ProtoSel::Only(p) => svc.iter().any(|&(q, _)| q == p),
        }
    }
}

impl PortSpec {
    /// The protocols named by a `T:`/`U:`/`S:`/`P:` prefix (Nmap warns when
    /// such a protocol is not being scanned).
    pub fn explicit_protocols(&self) -> ProtoSet {
        self.explicit
    }

    /// Compute the port lists for the scanned protocols, exactly as Nmap's
    /// `getpts()` would (elements without a prefix apply to every scanned
    /// protocol). Fails like Nmap when a name matches nothing for the
    /// protocols in question or when no port at all results while
    /// something is scanned.
    pub fn resolve(
        &self,
        scanned: ProtoSet,
        services: &Services,
        protocols: &Protocols,
    ) -> Result<Resolution, PortSpecError> {
        self.resolve_inner(scanned, services, protocols, true)
    }

    fn resolve_inner(
        &self,
        scanned: ProtoSet,
        services: &Services,
        protocols: &Protocols,
        prefixes: bool,
    ) -> Result<Resolution, PortSpecError> {
        use PortSpecErrorKind as K;
        let simple = !prefixes;
        let mut tbl = vec![0u8; 65536];
        let mut dup = false;
        for e in &self.elems {
            let rt = e.sel.bits(scanned);
            match &e.item {
                PortItem::Name(mask) => {
                    let mut n = 0usize;
                    for (p, port) in services.lookup_name(mask) {
                        let bit = ProtoSet::only(p).bits();
                        if rt & bit != 0 {
                            tbl[usize::from(port)] |= bit;
                            n += 1;
                        }
                    }
                    if rt & PROT != 0 {
                        // Nmap 7.93 counts IP protocol names as matches but
                        // selects no protocol for them (`-sO -p tcp` ends in
                        // "No ports specified"); reproduced here.
                        n += protocols.lookup_name(mask).len();
                    }
                    if n == 0 {
                        return Err(PortSpecError::new(K::NoMatch, mask.clone(), simple));
                    }
                }
                PortItem::Range { start, end } => {
                    let is_prot = rt & PROT != 0;
                    let tok = || match (start, end) {
                        (Some(a), Some(b)) if a == b => a.to_string(),
                        (a, b) => format!(
                            "{}-{}",
                            a.map_or(String::new(), |v| v.to_string()),
                            b.map_or(String::new(), |v| v.to_string())
                        ),
                    };
                    let lo = start.map_or(if is_prot { 0 } else { 1 }, u32::from);
                    let hi = end.map_or(if is_prot { 255 } else { 65535 }, u32::from);
                    if is_prot && (lo > 255 || hi > 255) {
                        return Err(PortSpecError::new(K::ProtoOutOfRange, tok(), simple));
                    }
                    if hi < lo {
                        return Err(PortSpecError::new(
                            K::Backwards {
                                start: lo,
                                end: hi,
                                protocol: is_prot,
                            },
                            tok(),
                            simple,
                        ));
                    }
                    for port in lo..=hi {
                        let Ok(p16) = u16::try_from(port) else { break };
                        let slot = &mut tbl[usize::from(p16)];
                        if *slot & rt != 0 {
                            dup = true;
                        } else if e.listed_only {
                            for (bit, proto) in [
                                (TCP, Protocol::Tcp),
                                (UDP, Protocol::Udp),
                                (SCTP, Protocol::Sctp),
                            ] {
                                if rt & bit != 0 && services.contains(p16, proto) {
                                    *slot |= bit;
                                }
                            }
                            if rt & PROT != 0
                                && u8::try_from(p16).is_ok_and(|n| protocols.name(n).is_some())
                            {
                                *slot |= PROT;
                            }
                        } else {
                            *slot |= rt;
                        }
                    }
                }
            }
        }
        let mut out = PortList::default();
        for (i, &v) in tbl.iter().enumerate() {
            let Ok(port) = u16::try_from(i) else { break };
            if v & TCP != 0 {
                out.tcp.push(port);
            }
            if v & UDP != 0 {
                out.udp.push(port);
            }
            if v & SCTP != 0 {
                out.sctp.push(port);
            }
            if v & PROT != 0
                && let Ok(n) = u8::try_from(port)
            {
                out.proto.push(n);
            }
        }
        if !scanned.is_empty() && out.is_empty() {
            return Err(PortSpecError::new(K::NoPorts, self.source.clone(), simple));
        }
        Ok(Resolution {
            ports: out,
            duplicates: dup,
        })
    }
}

/// How ports are chosen when no explicit list decides alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PortSelection {
    /// No `-F`/`--top-ports`/`--port-ratio`: `-p` if given, else top 1000.
    Default,
    /// `-F`: top 100.
    Fast,
    /// `--top-ports N`.
    Top(u32),
    /// `--port-ratio R` (0 < R < 1).
    Ratio(f64),
}

/// Nmap's complete port selection (`gettoppts()` followed by the final
/// `--exclude-ports` removal): combines `-p`, `--exclude-ports`, `-F`,
/// `--top-ports` and `--port-ratio` for the scanned protocols.
///
/// With `scanned.ip` (`-sO`) the protocol list comes from `-p` or all of
/// `0-255` (`-F`: the listed protocols), as in Nmap.
pub fn select_ports(
    selection: PortSelection,
    port_spec: Option<&PortSpec>,
    exclude: Option<&PortSpec>,
    scanned: ProtoSet,
    services: &Services,
    protocols: &Protocols,
) -> Result<Resolution, PortSpecError> {
    use PortSpecErrorKind as K;
    let parse = |s: &str| parse_with(s, services, protocols, true, scanned.ip);
    let mut duplicates = false;
    let mut ports = if scanned.ip {
        let fallback;
        let spec = match port_spec {
            Some(s) => s,
            None => {
                fallback = parse(if selection == PortSelection::Fast {
                    "[P:0-]"
                } else {
                    "0-"
                })?;
                &fallback
            }
        };
        let r = spec.resolve(scanned, services, protocols)?;
        duplicates |= r.duplicates;
        r.ports
    } else if !services.has_frequencies() {
        match selection {
            PortSelection::Top(_) | PortSelection::Ratio(_) => {
                return Err(PortSpecError::new(K::NoFrequencies, "", false));
            }
            _ => {}
        }
        let fallback;
        let spec = match port_spec {
            Some(s) => s,
            None => {
                fallback = parse(if selection == PortSelection::Fast {
                    "[-]"
                } else {
                    "1-1024,[1025-]"
                })?;
                &fallback
            }
        };
        let r = spec.resolve(scanned, services, protocols)?;
        duplicates |= r.duplicates;
        r.ports
    } else {
        let (count, ratio) = match selection {
            PortSelection::Default => match port_spec {
                Some(spec) => {
                    let r = spec.resolve(scanned, services, protocols)?;
                    duplicates |= r.duplicates;
                    return finish(r.ports, duplicates, exclude, scanned, services, protocols);
                }
                None => (1000usize, 0.0),
            },
            PortSelection::Fast => (100, 0.0),
            PortSelection::Top(n) => {
                if n == 0 || n > 65536 {
                    return Err(PortSpecError::new(K::BadLevel, n.to_string(), false));
                }
                (n as usize, 0.0)
            }
            PortSelection::Ratio(r) => {
                if r.is_nan() || r <= 0.0 || r >= 1.0 {
                    return Err(PortSpecError::new(K::BadLevel, r.to_string(), false));
                }
                (usize::MAX, r)
            }
        };
        let mut allowed: Option<PortList> = match port_spec {
            Some(spec) => {
                let r = spec.resolve(scanned, services, protocols)?;
                duplicates |= r.duplicates;
                Some(r.ports)
            }
            None if exclude.is_some() => {
                Some(parse("-")?.resolve(scanned, services, protocols)?.ports)
            }
            None => None,
        };
        if let (Some(a), Some(ex)) = (allowed.as_mut(), exclude) {
            a.exclude(&ex.resolve(scanned, services, protocols)?.ports);
        }
        let mut out = PortList::default();
        for (proto, on) in [
            (Protocol::Tcp, scanned.tcp),
            (Protocol::Udp, scanned.udp),
            (Protocol::Sctp, scanned.sctp),
        ] {
            if !on {
                continue;
            }
            let allow = allowed.as_ref().map(|a| a.ports(proto));
            let list = services.select(proto, count, ratio, allow.as_deref(), None);
            match proto {
                Protocol::Tcp => out.tcp = list,
                Protocol::Udp => out.udp = list,
                _ => out.sctp = list,
            }
        }
        out
    };
    if let Some(ex) = exclude {
        ports.exclude(&ex.resolve(scanned, services, protocols)?.ports);
    }
    Ok(Resolution { ports, duplicates })
}

fn finish(
    mut ports: PortList,
    duplicates: bool,
    exclude: Option<&PortSpec>,
    scanned: ProtoSet,
    services: &Services,
    protocols: &Protocols,
) -> Result<Resolution, PortSpecError> {
    if let Some(ex) = exclude {
        ports.exclude(&ex.resolve(scanned, services, protocols)?.ports);
    }
    Ok(Resolution { ports, duplicates })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(spec: &str) -> PortSpecError {
        let sc = ProtoSet {
            tcp: true,
            udp: true,
            ..ProtoSet::default()
        };
        parse_port_spec_for(spec, sc, Services::embedded(), Protocols::embedded()).unwrap_err()
    }

    #[test]
    fn errors_name_the_token() {
        let cases = [
            ("99999", "99999"),
            ("80-70", "80-70"),
            ("22,80-70,90", "80-70"),
            ("abc", "abc"),
            ("T:", "T:"),
            ("", ""),
            ("1,,2", "1,,2"),
            ("1-2-3", "1-2-3"),
            ("t:22", "t:22"),
        ];
        for (spec, token) in cases {
            let e = err(spec);
            assert_eq!(e.token, token, "{spec}");
            let shown = e.to_string();
            assert!(shown.contains(&format!("{token:?}")), "{shown}");
            assert!(!shown.contains('\n'));
        }
        assert_eq!(
            err("80-70").nmap_message(),
            "Your port range 80-70 is backwards. Did you mean 70-80?"
        );
    }

    #[test]
    fn explicit_and_simple() {
        let s = parse_port_spec("T:80,U:53,1", Services::embedded()).unwrap();
        let e = s.explicit_protocols();
        assert!(e.tcp && e.udp && !e.sctp && !e.ip);
        let svc = Services::embedded();
        let p = Protocols::embedded();
        assert_eq!(
            parse_port_list_simple("22,80-81,https", Protocol::Tcp, svc, p).unwrap(),
            vec![22, 80, 81, 443]
        );
        let e = parse_port_list_simple("T:22", Protocol::Tcp, svc, p).unwrap_err();
        assert_eq!(
            e.nmap_message(),
            "Error #485: Your port specifications are illegal.  Example of proper form: \"-100,200-1024,3000-4000,60000-\""
        );
    }

    #[test]
    fn exclusion_helper() {
        let mut a = PortList {
            tcp: vec![1, 2, 3],
            udp: vec![1],
            ..PortList::default()
        };
        a.exclude(&PortList {
            tcp: vec![2],
            udp: vec![5],
            ..PortList::default()
        });
        assert_eq!(a.tcp, vec![1, 3]);
        assert_eq!(a.udp, vec![1]);
    }
}
