//! Protocol payloads for UDP scanning.
//!
//! A UDP port that gets an empty datagram often stays silent; a request in
//! the service's own protocol draws an answer that proves the port open. The
//! payloads live in `data/udp-payloads.txt` (format described in its header)
//! and are compiled in; [`Payloads::embedded`] parses them once.
//!
//! Parsing never panics: a record that does not parse is skipped and listed
//! in [`Payloads::errors`].

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// The payload file shipped with nmaps.
pub const EMBEDDED: &str = include_str!("../../../data/udp-payloads.txt");

/// Largest payload accepted (the largest UDP payload over IPv4).
pub const MAX_LEN: usize = 65_507;

/// One request to send to a UDP port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Name of the record (the service and request it makes).
    pub name: String,
    /// Ports the record is for, in file order.
    pub ports: Vec<u16>,
    /// The datagram.
    pub data: Vec<u8>,
}

/// A record that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A parsed payload collection.
#[derive(Debug, Clone, Default)]
pub struct Payloads {
    all: Vec<Payload>,
    by_port: HashMap<u16, Vec<Payload>>,
    errors: Vec<ParseError>,
}

/// A record being read.
struct Open {
    line: usize,
    name: String,
    ports: Vec<u16>,
    data: Vec<u8>,
    error: Option<String>,
}

impl Payloads {
    /// The payloads compiled into nmaps, parsed on first use.
    pub fn embedded() -> &'static Payloads {
        static CELL: OnceLock<Payloads> = OnceLock::new();
        CELL.get_or_init(|| Payloads::parse(EMBEDDED))
    }

    /// Parse a payload file. Bad records are skipped and reported in
    /// [`errors`](Self::errors).
    pub fn parse(text: &str) -> Payloads {
        let mut out = Payloads::default();
        let mut open: Option<Open> = None;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let first = words.next().unwrap_or("");
            if first == "udp" {
                if let Some(rec) = open.take() {
                    out.error(rec.line, "record not closed by `end`".into());
                }
                let fields: Vec<&str> = words.collect();
                open = Some(match start_record(&fields) {
                    Ok((ports, name)) => Open {
                        line: line_no,
                        name,
                        ports,
                        data: Vec::new(),
                        error: None,
                    },
                    Err(e) => Open {
                        line: line_no,
                        name: String::new(),
                        ports: Vec::new(),
                        data: Vec::new(),
                        error: Some(e),
                    },
                });
                continue;
            }
            let Some(rec) = open.as_mut() else {
                out.error(line_no, format!("`{}` outside a record", clip(line)));
                continue;
            };
            if line == "end" {
                if let Some(rec) = open.take() {
                    out.finish(rec);
                }
                continue;
            }
            if rec.error.is_some() {
                continue;
            }
            if let Err(e) = push_hex(&mut rec.data, line) {
                rec.error = Some(format!("line {line_no}: {e}"));
            }
        }
        if let Some(rec) = open.take() {
            out.error(rec.line, "record not closed by `end`".into());
        }
        out
    }

    fn error(&mut self, line: usize, message: String) {
        self.errors.push(ParseError { line, message });
    }

    fn finish(&mut self, rec: Open) {
        let message = if let Some(e) = rec.error {
            Some(e)
        } else if rec.data.is_empty() {
            Some("record has no bytes".to_string())
        } else if self.all.iter().any(|p| p.name == rec.name) {
            Some(format!("duplicate name `{}`", rec.name))
        } else {
            None
        };
        if let Some(message) = message {
            self.error(rec.line, message);
            return;
        }
        let payload = Payload {
            name: rec.name,
            ports: rec.ports,
            data: rec.data,
        };
        let mut seen = Vec::new();
        for &port in &payload.ports {
            if !seen.contains(&port) {
                seen.push(port);
                self.by_port.entry(port).or_default().push(payload.clone());
            }
        }
        self.all.push(payload);
    }

    /// Payloads to send to `port`, in file order (empty if none).
    pub fn for_port(&self, port: u16) -> &[Payload] {
        self.by_port.get(&port).map_or(&[], Vec::as_slice)
    }

    /// Every payload, in file order.
    pub fn all(&self) -> &[Payload] {
        &self.all
    }

    /// Records that were skipped.
    pub fn errors(&self) -> &[ParseError] {
        &self.errors
    }

    /// Ports that have at least one payload, ascending.
    pub fn ports(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self.by_port.keys().copied().collect();
        v.sort_unstable();
        v
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// `<ports> <name>` of a `udp` line.
fn start_record(fields: &[&str]) -> Result<(Vec<u16>, String), String> {
    let [ports, name] = fields else {
        return Err("expected `udp <ports> <name>`".into());
    };
    let ports = parse_ports(ports)?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(format!("bad name `{}`", clip(name)));
    }
    Ok((ports, name.to_string()))
}

fn parse_port(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(p) if p > 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => Err(format!("bad port `{}`", clip(s))),
    }
}

fn parse_ports(list: &str) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for item in list.split(',') {
        match item.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (parse_port(a)?, parse_port(b)?);
                if a > b {
                    return Err(format!("bad port range `{}`", clip(item)));
                }
                out.extend(a..=b);
            }
            None => out.push(parse_port(item)?),
        }
    }
    Ok(out)
}

/// Append the hex bytes of one line.
fn push_hex(data: &mut Vec<u8>, line: &str) -> Result<(), String> {
    for token in line.split_whitespace() {
        let bytes = token.as_bytes();
        if !bytes.len().is_multiple_of(2) {
            return Err(format!("odd number of hex digits in `{}`", clip(token)));
        }
        for pair in bytes.chunks(2) {
            let hi = hex_digit(pair[0]);
            let lo = hex_digit(pair[1]);
            match (hi, lo) {
                (Some(h), Some(l)) => data.push(h << 4 | l),
                _ => return Err(format!("not hex: `{}`", clip(token))),
            }
        }
        if data.len() > MAX_LEN {
            return Err(format!("payload longer than {MAX_LEN} bytes"));
        }
    }
    Ok(())
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // ------------------------------------------------------------ the parser

    #[test]
    fn parses_records_ports_and_comments() {
        let p = Payloads::parse(
            "# header\n\nudp 7,9-10 one  # trailing\n0d 0A\n0d0a\nend\nudp 9 two\nff\nend\n",
        );
        assert!(p.errors().is_empty(), "{:?}", p.errors());
        assert_eq!(p.all().len(), 2);
        assert_eq!(p.for_port(7)[0].data, [0x0d, 0x0a, 0x0d, 0x0a]);
        assert_eq!(p.for_port(7)[0].ports, [7, 9, 10]);
        let names: Vec<&str> = p.for_port(9).iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["one", "two"]);
        assert!(p.for_port(8).is_empty());
        assert_eq!(p.ports(), [7, 9, 10]);
    }

    #[test]
    fn bad_records_are_skipped_and_listed() {
        let text = "\
udp 1 ok\n00\nend\n\
udp 0 zero-port\n00\nend\n\
udp 5-3 backwards\n00\nend\n\
udp 2 bad-hex\n0g\nend\n\
udp 2 odd\n0\nend\n\
udp 2 empty\nend\n\
udp 2 ok\n01\nend\n\
udp 2\n01\nend\n\
udp 2 bad/name\n01\nend\n\
stray\n\
udp 3 unclosed\n01\n\
udp 4 last\n02\nend\n\
udp 5 eof\n03\n";
        let p = Payloads::parse(text);
        let names: Vec<&str> = p.all().iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["ok", "last"]);
        let lines: Vec<usize> = p.errors().iter().map(|e| e.line).collect();
        assert_eq!(
            lines,
            [4, 7, 10, 13, 16, 18, 21, 24, 27, 28, 33],
            "{:?}",
            p.errors()
        );
        assert!(p.for_port(2).is_empty());
        assert_eq!(p.for_port(4)[0].data, [2]);
    }

    #[test]
    fn oversized_payload_is_rejected() {
        let text = format!("udp 1 big\n{}\nend\n", "00".repeat(MAX_LEN + 1));
        let p = Payloads::parse(&text);
        assert!(p.all().is_empty());
        assert_eq!(p.errors().len(), 1);
    }

    proptest! {
        #[test]
        fn parser_never_panics_on_any_text(text in "\\PC*") {
            let p = Payloads::parse(&text);
            for payload in p.all() {
                prop_assert!(!payload.data.is_empty());
            }
        }

        #[test]
        fn parser_never_panics_on_near_miss_lines(
            lines in prop::collection::vec(
                prop_oneof![
                    Just("end".to_string()),
                    Just("udp".to_string()),
                    "udp [0-9,\\- ]{0,12} [a-z#/]{0,6}",
                    "[0-9a-fA-Fg #]{0,20}",
                    "\\PC{0,20}",
                ],
                0..30,
            )
        ) {
            let p = Payloads::parse(&lines.join("\n"));
            for payload in p.all() {
                for &port in &payload.ports {
                    prop_assert!(p.for_port(port).iter().any(|x| x.name == payload.name));
                }
            }
        }
    }

    // ------------------------------------------------------------ the embedded file

    #[test]
    fn embedded_file_parses_cleanly_with_enough_services() {
        let p = Payloads::embedded();
        assert!(p.errors().is_empty(), "{:?}", p.errors());
        let mut names: Vec<&str> = p.all().iter().map(|x| x.name.as_str()).collect();
        names.dedup();
        assert!(names.len() >= 15, "{names:?}");
        for port in [53, 123, 161, 137, 11211, 5353, 500, 1900] {
            assert!(!p.for_port(port).is_empty(), "no payload for {port}");
        }
    }

    type Check = fn(&[u8]) -> Result<(), String>;

    /// Every embedded record, by name, with its structural check and ports.
    const CHECKS: &[(&str, Check, &[u16])] = &[
        ("dns-version-bind", check_dns_version_bind, &[53]),
        ("mdns-services", check_mdns, &[5353]),
        ("ntp-client", check_ntp, &[123]),
        ("snmpv1-get-sysdescr", check_snmp, &[161]),
        ("netbios-ns-nbstat", check_nbstat, &[137]),
        ("ssdp-msearch", check_ssdp, &[1900]),
        ("rpc-portmap-null", check_rpc, &[111]),
        ("tftp-rrq", check_tftp, &[69]),
        ("ikev1-main-mode", check_ike, &[500]),
        ("memcached-stats", check_memcached, &[11211]),
        ("sip-options", check_sip, &[5060]),
        ("radius-access-request", check_radius, &[1645, 1812]),
        ("l2tp-sccrq", check_l2tp, &[1701]),
        ("nat-pmp-external-address", check_natpmp, &[5351]),
        ("coap-well-known-core", check_coap, &[5683]),
        ("stun-binding-request", check_stun, &[3478]),
        ("crlf", check_crlf, &[7, 13, 19]),
        ("ubiquiti-discovery", check_ubiquiti, &[10001]),
    ];

    #[test]
    fn every_embedded_payload_passes_its_structural_check() {
        let p = Payloads::embedded();
        for payload in p.all() {
            let Some((_, check, ports)) = CHECKS.iter().find(|c| c.0 == payload.name) else {
                panic!("no structural check for `{}`", payload.name);
            };
            assert_eq!(payload.ports, *ports, "{}", payload.name);
            if let Err(e) = check(&payload.data) {
                panic!("{}: {e}", payload.name);
            }
        }
        for (name, _, _) in CHECKS {
            assert!(
                p.all().iter().any(|x| x.name == *name),
                "{name} missing from the file"
            );
        }
    }

    #[test]
    fn checks_catch_broken_payloads() {
        // Each check must reject its payload with one byte cut off the end
        // and with a byte appended.
        for payload in Payloads::embedded().all() {
            let (_, check, _) = CHECKS.iter().find(|c| c.0 == payload.name).unwrap();
            let short = &payload.data[..payload.data.len() - 1];
            assert!(
                check(short).is_err(),
                "{} accepts a truncation",
                payload.name
            );
            let mut long = payload.data.clone();
            long.push(0);
            assert!(
                check(&long).is_err(),
                "{} accepts a trailing byte",
                payload.name
            );
        }
    }

    // ------------------------------------------------------------ structural checks

    fn ensure(ok: bool, what: &str) -> Result<(), String> {
        if ok { Ok(()) } else { Err(what.to_string()) }
    }

    fn be16(d: &[u8], at: usize) -> Result<u16, String> {
        d.get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| format!("short at {at}"))
    }

    fn be32(d: &[u8], at: usize) -> Result<u32, String> {
        d.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| format!("short at {at}"))
    }

    /// A DNS-style message with only questions: returns (names, qtype, qclass).
    fn dns_questions(d: &[u8]) -> Result<Vec<(String, u16, u16)>, String> {
        ensure(d.len() >= 12, "short header")?;
        let qd = be16(d, 4)?;
        ensure(
            be16(d, 6)? == 0 && be16(d, 8)? == 0 && be16(d, 10)? == 0,
            "records",
        )?;
        ensure(d[2] & 0x80 == 0, "QR set: not a query")?;
        let mut at = 12;
        let mut out = Vec::new();
        for _ in 0..qd {
            let mut labels = Vec::new();
            loop {
                let len = *d.get(at).ok_or("name runs off the end")? as usize;
                at += 1;
                if len == 0 {
                    break;
                }
                ensure(len < 64, "label too long or compressed")?;
                let label = d.get(at..at + len).ok_or("label runs off the end")?;
                labels.push(String::from_utf8_lossy(label).into_owned());
                at += len;
            }
            out.push((labels.join("."), be16(d, at)?, be16(d, at + 2)?));
            at += 4;
        }
        ensure(at == d.len(), "bytes after the questions")?;
        Ok(out)
    }

    fn check_dns_version_bind(d: &[u8]) -> Result<(), String> {
        let q = dns_questions(d)?;
        ensure(
            q == [("version.bind".into(), 16, 3)],
            "not version.bind TXT CH",
        )
    }

    fn check_mdns(d: &[u8]) -> Result<(), String> {
        let q = dns_questions(d)?;
        ensure(be16(d, 0)? == 0, "mDNS query ID must be 0")?;
        ensure(
            q == [("_services._dns-sd._udp.local".into(), 12, 0x8001)],
            "not a DNS-SD enumeration",
        )
    }

    fn check_nbstat(d: &[u8]) -> Result<(), String> {
        let q = dns_questions(d)?;
        ensure(q.len() == 1, "one question")?;
        let (name, qtype, qclass) = &q[0];
        ensure(*qtype == 0x21 && *qclass == 1, "not NBSTAT IN")?;
        // Decode the first-level encoding (RFC 1001 14.1).
        let raw = name.as_bytes();
        ensure(raw.len() == 32, "encoded name is not 32 bytes")?;
        let mut decoded = Vec::new();
        for pair in raw.chunks(2) {
            ensure(
                pair.iter().all(|c| (b'A'..=b'P').contains(c)),
                "bad half-ASCII",
            )?;
            decoded.push((pair[0] - b'A') << 4 | (pair[1] - b'A'));
        }
        ensure(
            decoded[0] == b'*' && decoded[1..].iter().all(|&b| b == 0),
            "not `*`",
        )
    }

    fn check_ntp(d: &[u8]) -> Result<(), String> {
        ensure(d.len() == 48, "NTP packet is not 48 bytes")?;
        ensure(d[0] & 7 == 3, "not mode 3")?;
        ensure((d[0] >> 3) & 7 == 4, "not version 4")?;
        ensure(d[40..48].iter().any(|&b| b != 0), "no transmit timestamp")
    }

    /// One BER TLV at the start of `d`: (tag, content, rest).
    fn ber(d: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
        let tag = *d.first().ok_or("empty TLV")?;
        let first = *d.get(1).ok_or("no length")? as usize;
        let (len, head) = if first < 0x80 {
            (first, 2)
        } else {
            let n = first & 0x7f;
            ensure((1..=2).contains(&n), "unsupported length form")?;
            let mut len = 0usize;
            for i in 0..n {
                len = len << 8 | *d.get(2 + i).ok_or("short length")? as usize;
            }
            (len, 2 + n)
        };
        let content = d.get(head..head + len).ok_or("TLV runs off the end")?;
        Ok((tag, content, &d[head + len..]))
    }

    fn ber_int(d: &[u8]) -> Result<(i64, &[u8]), String> {
        let (tag, c, rest) = ber(d)?;
        ensure(
            tag == 0x02 && !c.is_empty() && c.len() <= 4,
            "not a small INTEGER",
        )?;
        let mut v = if c[0] & 0x80 != 0 { -1i64 } else { 0 };
        for &b in c {
            v = v << 8 | b as i64;
        }
        Ok((v, rest))
    }

    fn oid(c: &[u8]) -> Result<Vec<u32>, String> {
        let first = *c.first().ok_or("empty OID")? as u32;
        let mut out = vec![first / 40, first % 40];
        let mut v = 0u32;
        for (i, &b) in c[1..].iter().enumerate() {
            v = v << 7 | (b & 0x7f) as u32;
            if b & 0x80 == 0 {
                out.push(v);
                v = 0;
            } else if i == c.len() - 2 {
                return Err("OID ends mid-arc".into());
            }
        }
        Ok(out)
    }

    fn check_snmp(d: &[u8]) -> Result<(), String> {
        let (tag, msg, rest) = ber(d)?;
        ensure(
            tag == 0x30 && rest.is_empty(),
            "message is not one SEQUENCE",
        )?;
        let (version, msg) = ber_int(msg)?;
        ensure(version == 0, "not SNMPv1")?;
        let (tag, community, msg) = ber(msg)?;
        ensure(
            tag == 0x04 && community == b"public",
            "community is not public",
        )?;
        let (tag, pdu, rest) = ber(msg)?;
        ensure(tag == 0xa0 && rest.is_empty(), "not a GetRequest-PDU")?;
        let (_, pdu) = ber_int(pdu)?;
        let (status, pdu) = ber_int(pdu)?;
        let (index, pdu) = ber_int(pdu)?;
        ensure(status == 0 && index == 0, "error fields set")?;
        let (tag, list, rest) = ber(pdu)?;
        ensure(tag == 0x30 && rest.is_empty(), "no VarBindList")?;
        let (tag, bind, rest) = ber(list)?;
        ensure(tag == 0x30 && rest.is_empty(), "not one VarBind")?;
        let (tag, name, value) = ber(bind)?;
        ensure(tag == 0x06, "VarBind name is not an OID")?;
        ensure(oid(name)? == [1, 3, 6, 1, 2, 1, 1, 1, 0], "not sysDescr.0")?;
        ensure(value == [0x05, 0x00], "value is not NULL")
    }

    fn check_rpc(d: &[u8]) -> Result<(), String> {
        ensure(d.len() == 40, "NULL call with AUTH_NULL is 40 bytes")?;
        let words: Vec<u32> = (0..10).map(|i| be32(d, i * 4)).collect::<Result<_, _>>()?;
        ensure(words[1] == 0, "not a CALL")?;
        ensure(words[2] == 2, "RPC version is not 2")?;
        ensure(words[3] == 100_000 && words[4] == 2, "not portmapper v2")?;
        ensure(words[5] == 0, "not the NULL procedure")?;
        ensure(
            words[6..] == [0, 0, 0, 0],
            "credential or verifier not AUTH_NULL",
        )
    }

    fn check_tftp(d: &[u8]) -> Result<(), String> {
        ensure(be16(d, 0)? == 1, "not RRQ")?;
        let fields: Vec<&[u8]> = d[2..].split(|&b| b == 0).collect();
        ensure(
            fields.len() == 3 && fields[2].is_empty(),
            "not filename NUL mode NUL",
        )?;
        ensure(!fields[0].is_empty(), "empty file name")?;
        ensure(
            fields[1].eq_ignore_ascii_case(b"octet") || fields[1].eq_ignore_ascii_case(b"netascii"),
            "bad mode",
        )
    }

    fn check_ike(d: &[u8]) -> Result<(), String> {
        ensure(d.len() >= 28, "short ISAKMP header")?;
        ensure(d[8..16].iter().all(|&b| b == 0), "responder cookie set")?;
        ensure(d[0..8].iter().any(|&b| b != 0), "initiator cookie zero")?;
        ensure(d[17] == 0x10 && d[18] == 2, "not IKEv1 main mode")?;
        ensure(be32(d, 24)? as usize == d.len(), "length field")?;
        // Walk the payload chain.
        let (mut next, mut at) = (d[16], 28);
        let mut sa = None;
        while next != 0 {
            let len = be16(d, at + 2)? as usize;
            ensure(len >= 4 && at + len <= d.len(), "payload length")?;
            if next == 1 {
                sa = Some(&d[at..at + len]);
            }
            next = d[at];
            at += len;
        }
        ensure(at == d.len(), "bytes after the payloads")?;
        let sa = sa.ok_or("no SA payload")?;
        ensure(be32(sa, 4)? == 1, "DOI is not IPsec")?;
        // Proposal then transform, lengths nested exactly.
        let prop = &sa[12..];
        ensure(be16(prop, 2)? as usize == prop.len(), "proposal length")?;
        ensure(
            prop[5] == 1 && prop[6] == 0 && prop[7] == 1,
            "proposal fields",
        )?;
        let tr = &prop[8..];
        ensure(be16(tr, 2)? as usize == tr.len(), "transform length")?;
        ensure(tr[5] == 1, "not KEY_IKE")?;
        let attrs = &tr[8..];
        ensure(
            attrs.len().is_multiple_of(4) && !attrs.is_empty(),
            "attributes",
        )?;
        let types: Vec<u16> = attrs
            .chunks(4)
            .map(|a| u16::from_be_bytes([a[0], a[1]]))
            .collect();
        ensure(
            types.iter().all(|t| t & 0x8000 != 0),
            "not all TV attributes",
        )?;
        for want in 1..=4 {
            ensure(
                types.contains(&(0x8000 | want)),
                "missing mandatory attribute",
            )?;
        }
        Ok(())
    }

    fn check_memcached(d: &[u8]) -> Result<(), String> {
        ensure(d.len() > 8, "no command")?;
        ensure(
            be16(d, 2)? == 0 && be16(d, 4)? == 1 && be16(d, 6)? == 0,
            "frame header",
        )?;
        ensure(&d[8..] == b"stats\r\n", "not `stats`")
    }

    /// Start line and headers of an HTTP-style request ending in an empty line.
    fn http_like(d: &[u8]) -> Result<(String, Vec<(String, String)>), String> {
        let text = std::str::from_utf8(d).map_err(|_| "not UTF-8")?;
        let head = text
            .strip_suffix("\r\n\r\n")
            .ok_or("no empty line at the end")?;
        let mut lines = head.split("\r\n");
        let start = lines.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        for l in lines {
            let (k, v) = l.split_once(':').ok_or("header without a colon")?;
            headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
        }
        Ok((start, headers))
    }

    fn header<'a>(h: &'a [(String, String)], k: &str) -> Option<&'a str> {
        h.iter().find(|x| x.0 == k).map(|x| x.1.as_str())
    }

    fn check_ssdp(d: &[u8]) -> Result<(), String> {
        let (start, h) = http_like(d)?;
        ensure(start == "M-SEARCH * HTTP/1.1", "start line")?;
        ensure(header(&h, "host") == Some("239.255.255.250:1900"), "HOST")?;
        ensure(header(&h, "man") == Some("\"ssdp:discover\""), "MAN")?;
        ensure(
            header(&h, "mx").is_some() && header(&h, "st").is_some(),
            "MX/ST",
        )
    }

    fn check_sip(d: &[u8]) -> Result<(), String> {
        let (start, h) = http_like(d)?;
        ensure(
            start.starts_with("OPTIONS sip:") && start.ends_with(" SIP/2.0"),
            "start line",
        )?;
        for k in ["via", "max-forwards", "to", "from", "call-id", "cseq"] {
            ensure(header(&h, k).is_some(), k)?;
        }
        ensure(
            header(&h, "via").is_some_and(|v| v.contains("branch=z9hG4bK")),
            "Via branch",
        )?;
        ensure(
            header(&h, "cseq").is_some_and(|v| v.ends_with(" OPTIONS")),
            "CSeq",
        )?;
        ensure(header(&h, "content-length") == Some("0"), "Content-Length")
    }

    fn check_radius(d: &[u8]) -> Result<(), String> {
        ensure(d.len() >= 20 && d[0] == 1, "not Access-Request")?;
        ensure(be16(d, 2)? as usize == d.len(), "length field")?;
        let mut at = 20;
        let mut types = Vec::new();
        while at < d.len() {
            let len = *d.get(at + 1).ok_or("attribute header")? as usize;
            ensure(len >= 3 && at + len <= d.len(), "attribute length")?;
            types.push(d[at]);
            if d[at] == 2 {
                ensure(
                    (len - 2).is_multiple_of(16),
                    "User-Password not a multiple of 16",
                )?;
            }
            at += len;
        }
        ensure(types.contains(&1), "no User-Name")
    }

    fn check_l2tp(d: &[u8]) -> Result<(), String> {
        ensure(
            be16(d, 0)? == 0xc802,
            "not an L2TPv2 control message with L and S",
        )?;
        ensure(be16(d, 2)? as usize == d.len(), "length field")?;
        let mut at = 12;
        let mut types = Vec::new();
        while at < d.len() {
            let flags_len = be16(d, at)?;
            let len = (flags_len & 0x03ff) as usize;
            ensure(len >= 6 && at + len <= d.len(), "AVP length")?;
            ensure(be16(d, at + 2)? == 0, "vendor AVP")?;
            types.push((be16(d, at + 4)?, d[at + 6..at + len].to_vec()));
            at += len;
        }
        ensure(
            types.first() == Some(&(0, vec![0, 1])),
            "first AVP is not SCCRQ",
        )?;
        for want in [2, 7, 3, 9] {
            ensure(types.iter().any(|t| t.0 == want), "missing mandatory AVP")?;
        }
        Ok(())
    }

    fn check_natpmp(d: &[u8]) -> Result<(), String> {
        ensure(d == [0, 0], "not version 0 opcode 0")
    }

    fn check_coap(d: &[u8]) -> Result<(), String> {
        ensure(d.len() >= 4, "short header")?;
        ensure(d[0] >> 6 == 1, "not version 1")?;
        let tkl = (d[0] & 0x0f) as usize;
        ensure(d[1] == 0x01, "not GET")?;
        let mut at = 4 + tkl;
        let (mut number, mut path) = (0u32, Vec::new());
        while at < d.len() {
            ensure(d[at] != 0xff, "payload marker on a GET")?;
            let (delta, len) = ((d[at] >> 4) as u32, (d[at] & 0x0f) as usize);
            ensure(
                delta < 13 && len < 13,
                "extended option forms not used here",
            )?;
            number += delta;
            let value = d
                .get(at + 1..at + 1 + len)
                .ok_or("option runs off the end")?;
            if number == 11 {
                path.push(String::from_utf8_lossy(value).into_owned());
            }
            at += 1 + len;
        }
        ensure(path.join("/") == ".well-known/core", "Uri-Path")
    }

    fn check_stun(d: &[u8]) -> Result<(), String> {
        ensure(d.len() >= 20, "short header")?;
        ensure(be16(d, 0)? == 0x0001, "not a Binding request")?;
        ensure(be16(d, 2)? as usize == d.len() - 20, "message length")?;
        ensure(be32(d, 4)? == 0x2112_a442, "magic cookie")
    }

    fn check_crlf(d: &[u8]) -> Result<(), String> {
        ensure(d == b"\r\n", "not CRLF")
    }

    fn check_ubiquiti(d: &[u8]) -> Result<(), String> {
        ensure(d == [1, 0, 0, 0], "not a v1 discovery request")
    }
}
