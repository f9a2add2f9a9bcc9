//! Version detection (`-sV`) results as Nmap 7.93 writes them: the service
//! name with its `ssl/` prefix and `?` suffix, the VERSION text, the
//! `Service Info:` line and the service fingerprints (Nmap's
//! `Port::getNmapServiceName`, `serviceDeductions::populateFullVersionString`,
//! `printserviceinfooutput` and `servicefp_sf_remove`).
//!
//! Version fields are printed as Nmap stores them
//! ([`VersionInfo::nmap_stored`](nmaps_model::VersionInfo::nmap_stored):
//! printable ASCII, cut to Nmap's limits). Everything here returns raw
//! text; callers escape it for their format (service names and
//! fingerprints are not sanitised that way).

use crate::escape::screen_escape_bytes;
use nmaps_model::{Host, Port, PortState, Protocol, RunInfo, Service};

/// Nmap keeps the service name in a 64-byte buffer and prints nothing when
/// the name does not fit.
const NAME_BUF: usize = 64;
/// Nmap's buffer for the VERSION text (`fullversion[160]`).
const VERSION_BUF: usize = 160;
/// At most this many values per `Service Info:` field.
const MAX_SERVICE_INFO_FIELDS: usize = 5;
/// Fingerprints of more ports than this are not printed.
const MAX_FINGERPRINTS: usize = 9;

/// A field that is present and not empty (Nmap's non-NULL fields).
pub(crate) fn field(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// Whether Nmap writes a `<service>` element (and the grepable service
/// field) for this service: it needs a name, a fingerprint or a tunnel.
pub(crate) fn has_service(svc: &Service) -> bool {
    !svc.name.is_empty() || field(&svc.servicefp).is_some() || svc.tunnel_ssl
}

/// The SERVICE column (and grepable service field) of a port: `ssl/` when
/// tunnelled, `unknown` without a name, and `?` after the name of an open
/// port whose service is a guess (confidence 5 or less) when `-sV` ran.
/// Empty when the text exceeds Nmap's buffer.
pub(crate) fn service_name(run: &RunInfo, port: &Port) -> String {
    let svc = port.service.as_ref();
    let tunnel = if svc.is_some_and(|s| s.tunnel_ssl) {
        "ssl/"
    } else {
        ""
    };
    let name = svc
        .map(|s| s.name.as_str())
        .filter(|n| !n.is_empty() && *n != "unknown");
    let text = match name {
        Some(n) => {
            let guess = run.version_scan
                && port.state == PortState::Open
                && svc.is_none_or(|s| s.conf <= 5);
            format!("{tunnel}{n}{}", if guess { "?" } else { "" })
        }
        None => format!("{tunnel}unknown"),
    };
    if text.len() >= NAME_BUF {
        String::new()
    } else {
        text
    }
}

/// Appends at most `n` bytes of `src`, as `strncat`.
fn cat(dst: &mut Vec<u8>, src: &[u8], n: usize) {
    dst.extend_from_slice(&src[..src.len().min(n)]);
}

/// The VERSION column: `product version (extrainfo)` with whatever parts
/// exist, each cut with `...` the way Nmap fits them into its 160-byte
/// buffer. Bytes, since a cut can fall inside a UTF-8 character.
pub(crate) fn full_version(svc: &Service) -> Vec<u8> {
    let v = &svc.version.nmap_stored();
    let mut dst = Vec::new();
    let mut spaceleft = VERSION_BUF - 1;
    let mut needpad = false;
    for part in [field(&v.product), field(&v.version)] {
        let Some(p) = part.map(str::as_bytes) else {
            continue;
        };
        if spaceleft < 8 {
            continue;
        }
        if needpad {
            dst.push(b' ');
            spaceleft -= 1;
        }
        if spaceleft < p.len() {
            cat(&mut dst, p, spaceleft - 3);
            dst.extend_from_slice(b"...");
            spaceleft = 0;
        } else {
            dst.extend_from_slice(p);
            spaceleft -= p.len();
        }
        needpad = true;
    }
    if let Some(e) = field(&v.extrainfo).map(str::as_bytes)
        && spaceleft >= 8
    {
        if needpad {
            dst.push(b' ');
            spaceleft -= 1;
        }
        dst.push(b'(');
        if spaceleft - 2 < e.len() {
            cat(&mut dst, e, spaceleft - 5);
            dst.extend_from_slice(b"...");
            spaceleft = 1;
        } else {
            dst.extend_from_slice(e);
            spaceleft -= e.len() + 2;
        }
        // Nmap's strncat of ")" with no space left appends nothing.
        if spaceleft > 0 {
            dst.push(b')');
        }
    }
    dst
}

/// One `Service Info:` field being collected: distinct values in the
/// order first seen, each cut to Nmap's table cell size.
struct Collected {
    cell: usize,
    values: Vec<Vec<u8>>,
}

impl Collected {
    fn new(cell: usize) -> Self {
        Self {
            cell,
            values: Vec::new(),
        }
    }

    /// Adds `v` unless `same` finds it already there or the table is full.
    fn add(&mut self, v: &str, same: impl Fn(&[u8], &[u8]) -> bool) {
        let v = v.as_bytes();
        if self.values.iter().any(|old| same(old, v))
            || self.values.len() >= MAX_SERVICE_INFO_FIELDS
        {
            return;
        }
        self.values.push(v[..v.len().min(self.cell)].to_vec());
    }

    fn write(&self, out: &mut String, delim: &mut &'static str, label: &str, plural: &str) {
        if self.values.is_empty() {
            return;
        }
        let s = if self.values.len() == 1 { "" } else { plural };
        out.push_str(delim);
        out.push_str(label);
        out.push_str(s);
        out.push_str(": ");
        let joined: Vec<String> = self.values.iter().map(|v| screen_escape_bytes(v)).collect();
        out.push_str(&joined.join(", "));
        *delim = "; ";
    }
}

/// Nmap's `cpe_get_part`: `a`, `h` or `o` after `cpe:/`.
fn cpe_part(cpe: &str) -> Option<char> {
    cpe.strip_prefix("cpe:/")
        .and_then(|rest| rest.chars().next())
        .filter(|c| matches!(c, 'a' | 'h' | 'o'))
}

/// `Service Info: Host: …; OS: …; Device: …; CPE: …` (escaped, with its
/// newline) from the open ports' findings, or `None` when there is nothing
/// to say. Host names equal to the host's PTR name (ignoring case) are left
/// out, as are application (`cpe:/a…`) CPEs.
pub(crate) fn service_info_line(host: &Host) -> Option<String> {
    let ptr = host.ptr_name().unwrap_or("");
    // Nmap's cells: FQDN_LEN + 1, 64, 64 and 80 bytes.
    let mut hostnames = Collected::new(255);
    let mut ostypes = Collected::new(64);
    let mut devicetypes = Collected::new(64);
    let mut cpes = Collected::new(80);
    let exact = |a: &[u8], b: &[u8]| a == b;
    for p in &host.ports {
        if p.state != PortState::Open || p.protocol == Protocol::Ip {
            continue;
        }
        let Some(svc) = &p.service else {
            continue;
        };
        let v = &svc.version.nmap_stored();
        if let Some(h) = field(&v.hostname)
            && !ptr.eq_ignore_ascii_case(h)
        {
            hostnames.add(h, |a, b| a.eq_ignore_ascii_case(b));
        }
        if let Some(o) = field(&v.ostype) {
            ostypes.add(o, exact);
        }
        if let Some(d) = field(&v.devicetype) {
            devicetypes.add(d, exact);
        }
        for c in v.cpes.iter().filter(|c| !c.is_empty()) {
            if cpe_part(c) != Some('a') {
                cpes.add(c, exact);
            }
        }
    }
    let mut out = String::from("Service Info:");
    let mut delim = " ";
    hostnames.write(&mut out, &mut delim, "Host", "s");
    ostypes.write(&mut out, &mut delim, "OS", "s");
    devicetypes.write(&mut out, &mut delim, "Device", "s");
    cpes.write(&mut out, &mut delim, "CPE", "");
    if delim == " " {
        return None;
    }
    out.push('\n');
    Some(out)
}

/// The fingerprints of the listed ports, for the "unrecognized despite
/// returning data" block (at most nine, as Nmap).
pub(crate) fn fingerprints<'a>(ports: &[&'a Port]) -> Vec<&'a str> {
    ports
        .iter()
        .filter(|p| p.protocol != Protocol::Ip)
        .filter_map(|p| p.service.as_ref().and_then(|s| field(&s.servicefp)))
        .take(MAX_FINGERPRINTS)
        .collect()
}

/// The block Nmap prints after the port table for unrecognised services
/// (escaped, ending in a newline), or an empty string.
pub(crate) fn fingerprint_block(fps: &[&str]) -> String {
    if fps.is_empty() {
        return String::new();
    }
    let n = fps.len();
    let s = if n > 1 { "s" } else { "" };
    let mut out = format!(
        "{n} service{s} unrecognized despite returning data. If you know the service/version, please submit the following fingerprint{s} at https://nmap.org/cgi-bin/submit.cgi?new-service :\n"
    );
    for fp in fps {
        if n > 1 {
            out.push_str(
                "==============NEXT SERVICE FINGERPRINT (SUBMIT INDIVIDUALLY)==============\n",
            );
        }
        // The fingerprint's own line breaks (before `SF:`) stay; any other
        // control character is escaped.
        let lines: Vec<String> = fp
            .split("\nSF:")
            .map(crate::escape::screen_escape)
            .collect();
        out.push_str(&lines.join("\nSF:"));
        out.push('\n');
    }
    out
}

/// `servicefp` as Nmap writes it in XML: the fingerprint on one line
/// (every `\nSF:` removed), cut before a final `&` that no `;` follows.
pub(crate) fn xml_servicefp(fp: &str) -> String {
    let joined = fp.replace("\nSF:", "");
    let mut amp = None;
    for (i, b) in joined.bytes().enumerate() {
        match b {
            b'&' => amp = Some(i),
            b';' => amp = None,
            _ => {}
        }
    }
    match amp {
        Some(i) => joined[..i].to_string(),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nmaps_model::{Reason, VersionInfo};

    fn svc(p: Option<&str>, v: Option<&str>, e: Option<&str>) -> Service {
        Service::probed(
            "x",
            VersionInfo {
                product: p.map(str::to_string),
                version: v.map(str::to_string),
                extrainfo: e.map(str::to_string),
                ..VersionInfo::default()
            },
        )
    }

    fn fv(p: Option<&str>, v: Option<&str>, e: Option<&str>) -> String {
        String::from_utf8(full_version(&svc(p, v, e))).unwrap()
    }

    #[test]
    fn version_joins_like_nmap() {
        assert_eq!(
            fv(Some("OpenSSH"), Some("9.2p1"), Some("protocol 2.0")),
            "OpenSSH 9.2p1 (protocol 2.0)"
        );
        assert_eq!(fv(Some("nginx"), None, None), "nginx");
        assert_eq!(fv(None, Some("1.0"), None), "1.0");
        assert_eq!(fv(None, None, Some("x")), "(x)");
        assert_eq!(fv(Some("p"), None, Some("x")), "p (x)");
        assert_eq!(fv(Some(""), Some(""), Some("")), "");
    }

    #[test]
    fn version_truncates_like_nmap() {
        let p = "p".repeat(80);
        // Fields are first cut to Nmap's limits (product 80 bytes).
        assert_eq!(fv(Some(&"p".repeat(200)), None, None), p);
        // Version longer than what is left: 75 bytes and "...".
        let got = fv(Some(&p), Some(&"v".repeat(80)), Some("x"));
        assert_eq!(got, format!("{p} {}...", "v".repeat(75)));
        // 6 or 7 bytes left: extrainfo skipped; 8 left: it fits.
        let v = "v".repeat(72);
        assert_eq!(fv(Some(&p), Some(&v), Some("x")), format!("{p} {v}"));
        let v = "v".repeat(71);
        assert_eq!(fv(Some(&p), Some(&v), Some("x")), format!("{p} {v}"));
        let v = "v".repeat(70);
        assert_eq!(fv(Some(&p), Some(&v), Some("x")), format!("{p} {v} (x)"));
        // Extrainfo cut inside the parentheses: 78 left after the pad,
        // "(" + 73 + "..." + ")".
        let got = fv(Some(&p), None, Some(&"e".repeat(256)));
        assert_eq!(got, format!("{p} ({}...)", "e".repeat(73)));
        // Extrainfo that exactly fills the buffer loses its ")".
        let e = "e".repeat(76);
        assert_eq!(fv(Some(&p), None, Some(&e)), format!("{p} ({e}"));
        let e = "e".repeat(75);
        assert_eq!(fv(Some(&p), None, Some(&e)), format!("{p} ({e})"));
    }

    fn run(version_scan: bool) -> RunInfo {
        RunInfo {
            args: vec![],
            start: std::time::SystemTime::UNIX_EPOCH,
            scan_info: vec![],
            verbose: 0,
            debugging: 0,
            reason: false,
            open_only: false,
            list_scan: false,
            ping_only: false,
            version_scan,
            script_scan: false,
            stylesheet: None,
            os_scan: false,
        }
    }

    fn port(state: PortState, service: Option<Service>) -> Port {
        Port {
            protocol: Protocol::Tcp,
            number: 1,
            state,
            reason: Reason::SynAck,
            reason_ttl: 0,
            reason_ip: None,
            service,
            scripts: Vec::new(),
        }
    }

    #[test]
    fn names_like_nmap() {
        let table = Some(Service::from_table("upnp"));
        let open = port(PortState::Open, table.clone());
        assert_eq!(service_name(&run(true), &open), "upnp?");
        assert_eq!(service_name(&run(false), &open), "upnp");
        let of = port(PortState::OpenFiltered, table);
        assert_eq!(service_name(&run(true), &of), "upnp");
        let mut ssl = Service::probed("http", VersionInfo::default());
        ssl.tunnel_ssl = true;
        assert_eq!(
            service_name(&run(true), &port(PortState::Open, Some(ssl.clone()))),
            "ssl/http"
        );
        ssl.name = "unknown".into();
        ssl.conf = 3;
        assert_eq!(
            service_name(&run(true), &port(PortState::Open, Some(ssl))),
            "ssl/unknown"
        );
        assert_eq!(
            service_name(&run(true), &port(PortState::Open, None)),
            "unknown"
        );
        // 63 bytes fit Nmap's 64-byte buffer, 64 do not.
        let fits = Service::probed("n".repeat(63), VersionInfo::default());
        assert_eq!(
            service_name(&run(true), &port(PortState::Open, Some(fits))),
            "n".repeat(63)
        );
        let long = Service::probed("n".repeat(64), VersionInfo::default());
        assert_eq!(
            service_name(&run(true), &port(PortState::Open, Some(long))),
            ""
        );
    }

    #[test]
    fn service_info_collects_like_nmap() {
        let mut host = Host::new("192.0.2.1".parse().unwrap());
        host.hostnames.push(nmaps_model::Hostname {
            name: "Box.Example".into(),
            kind: nmaps_model::HostnameKind::Ptr,
        });
        let with = |state, h: &str, o: &str, cpe: &str| {
            port(
                state,
                Some(Service::probed(
                    "x",
                    VersionInfo {
                        hostname: Some(h.into()),
                        ostype: Some(o.into()),
                        cpes: vec![cpe.into(), "cpe:/a:app:1".into()],
                        ..VersionInfo::default()
                    },
                )),
            )
        };
        host.ports = vec![
            with(PortState::Open, "box.example", "Linux", "cpe:/o:linux"),
            with(PortState::Open, "a.example", "Linux", "cpe:/h:hw"),
            with(PortState::Open, "A.EXAMPLE", "linux", "cpe:/o:linux"),
            with(PortState::OpenFiltered, "udp.example", "Other", "cpe:/o:x"),
        ];
        for (i, o) in ["b", "c", "d", "e", "f"].iter().enumerate() {
            let mut p = with(PortState::Open, o, o, "x");
            p.number = 10 + i as u16;
            host.ports.push(p);
        }
        assert_eq!(
            service_info_line(&host).unwrap(),
            "Service Info: Hosts: a.example, b, c, d, e; OSs: Linux, linux, b, c, d; CPE: cpe:/o:linux, cpe:/h:hw, x\n"
        );
        host.ports.truncate(1);
        assert_eq!(
            service_info_line(&host).unwrap(),
            "Service Info: OS: Linux; CPE: cpe:/o:linux\n"
        );
        host.ports[0].state = PortState::Closed;
        assert_eq!(service_info_line(&host), None);
    }

    #[test]
    fn xml_fingerprint() {
        assert_eq!(
            xml_servicefp("SF-Port1:V=7\nSF:%r(a);"),
            "SF-Port1:V=7%r(a);"
        );
        assert_eq!(xml_servicefp("a&b;c&d"), "a&b;c");
    }
}
