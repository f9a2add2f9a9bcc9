//! The 16 probes of Nmap's second-generation OS detection, byte for byte
//! as Nmap 7.93 sends them (reference notes §6.1, `osscan2.cc`).
//!
//! - six SEQ probes: SYNs to the open port, 100 ms apart, each with its
//!   own window and option list (the same six, sent again on other source
//!   ports, are the OPS/WIN retransmissions);
//! - IE1, IE2: ICMP echo requests (code 9, DF, TOS 0, 120 zero bytes; code
//!   0, TOS 0x04, 150 zero bytes);
//! - ECN: a SYN with CWR+ECE, a reserved header bit and an urgent pointer
//!   without URG;
//! - T2–T7: odd flag combinations to the open (T2–T4) and closed (T5–T7)
//!   TCP ports; T1 is the reply to the first SEQ probe;
//! - U1: 300 'C' bytes to a closed UDP port, IP ID 0x1042.
//!
//! Every try of a host draws new [`TryIds`] (source ports, sequence and
//! acknowledgement numbers, ICMP identifier): replies are told apart by
//! them alone, as in Nmap.

use nmaps_wire::{
    IpPair, IpProtocol, Ipv4Packet, Ipv4Repr, TcpFlags, TcpOption, TcpOptions, TcpPacket, TcpRepr,
    UdpPacket, UdpRepr,
};
use std::net::Ipv4Addr;

/// Number of SEQ probes.
pub const SEQ_PROBES: usize = 6;
/// Spacing of the SEQ probes (`OS_SEQ_PROBE_DELAY`).
pub const SEQ_SPACING_MS: u64 = 100;
/// Minimum spacing of the other probes to one host (`OS_PROBE_DELAY`).
pub const PROBE_SPACING_MS: u64 = 25;
/// IP ID of the U1 probe.
pub const U1_IP_ID: u16 = 0x1042;
/// U1's payload: this byte ('C') 300 times.
pub const U1_FILL: u8 = 0x43;
pub const U1_DATA_LEN: usize = 300;
/// ICMP sequence number of IE1 (IE2 has the next one).
pub const IE_SEQ: u16 = 295;
/// The ECN probe's urgent pointer (without URG).
pub const ECN_URGENT: u16 = 0xF7F5;
/// TCP timestamp value in every probe that carries one.
const TS_VAL: u32 = 0xFFFF_FFFF;

/// One of Nmap's OS probes. `Ops(i)` re-sends SEQ probe `i` on another
/// source port when its reply did not give OPS/WIN; `T(1)` re-sends the
/// first SEQ probe when no SEQ probe was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Seq(u8),
    Ops(u8),
    Ecn,
    /// T1..=T7.
    T(u8),
    /// IE1 (0) and IE2 (1).
    Ie(u8),
    U1,
}

impl Kind {
    /// Offset of this probe's source port from the try's TCP base port
    /// (Nmap's layout: SEQ 0–5, OPS 6–11, ECN 12, T1–T7 13–19).
    pub fn tcp_port_offset(self) -> Option<u16> {
        match self {
            Self::Seq(i) => Some(u16::from(i)),
            Self::Ops(i) => Some(6 + u16::from(i)),
            Self::Ecn => Some(12),
            Self::T(n) => Some(12 + u16::from(n)),
            Self::Ie(_) | Self::U1 => None,
        }
    }

    /// Whether the probe goes to the closed TCP port (T5–T7).
    pub fn to_closed_port(self) -> bool {
        matches!(self, Self::T(5..=7))
    }

    /// The probe's name in Nmap's debugging output.
    pub fn name(self) -> String {
        match self {
            Self::Seq(i) => format!("SEQ{}", i + 1),
            Self::Ops(i) => format!("OPS{}", i + 1),
            Self::Ecn => "ECN".into(),
            Self::T(n) => format!("T{n}"),
            Self::Ie(i) => format!("IE{}", i + 1),
            Self::U1 => "U1".into(),
        }
    }
}

/// The random numbers of one try (Nmap's `reInitScanSystem`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryIds {
    pub tcp_base: u16,
    pub udp_base: u16,
    /// Sequence number of SEQ probe 0 (probe `i` carries `seq_base + i`).
    pub seq_base: u32,
    /// The acknowledgement number every probe but ECN carries.
    pub ack: u32,
    pub icmp_id: u16,
    /// U1's TTL: Nmap's `(time % 14) + 51`, whatever `--ttl` says.
    pub udp_ttl: u8,
}

impl TryIds {
    /// Fresh values from `random` (any 64-bit source) and the wall clock's
    /// seconds, as Nmap draws them. Base ports stay in 33000–65292 so the
    /// 20 TCP ports of a try never wrap.
    pub fn draw(mut random: impl FnMut() -> u64, unix_secs: u64) -> Self {
        const PRIME_32K: u64 = 32261;
        Self {
            tcp_base: 33000 + (random() % PRIME_32K) as u16,
            udp_base: 33000 + (random() % PRIME_32K) as u16,
            seq_base: random() as u32,
            ack: random() as u32,
            icmp_id: random() as u16,
            udp_ttl: (unix_secs % 14) as u8 + 51,
        }
    }
}

/// The ports the probes go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Targets {
    pub open_tcp: Option<u16>,
    pub closed_tcp: Option<u16>,
    pub closed_udp: Option<u16>,
}

/// Per-packet IP header values Nmap draws at random: TTL (unless `--ttl`)
/// and identification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpFields {
    pub ttl: u8,
    pub ident: u16,
}

/// One TCP probe's shape.
struct TcpShape {
    flags: TcpFlags,
    window: u16,
    dont_frag: bool,
    urgent: u16,
    options: &'static [TcpOption<'static>],
}

const TS: TcpOption<'static> = TcpOption::Timestamp {
    tsval: TS_VAL,
    tsecr: 0,
};
const NOP: TcpOption<'static> = TcpOption::NoOperation;
const EOL: TcpOption<'static> = TcpOption::EndOfList;
const SACK: TcpOption<'static> = TcpOption::SackPermitted;
const fn ws(shift: u8) -> TcpOption<'static> {
    TcpOption::WindowScale(shift)
}
const fn mss(n: u16) -> TcpOption<'static> {
    TcpOption::MaxSegmentSize(n)
}

/// SEQ probes' windows and options.
const SEQ_SHAPES: [(u16, &[TcpOption<'static>]); SEQ_PROBES] = [
    (1, &[ws(10), NOP, mss(1460), TS, SACK]),
    (63, &[mss(1400), ws(0), SACK, TS, EOL]),
    (4, &[TS, NOP, NOP, ws(5), NOP, mss(640)]),
    (4, &[SACK, TS, ws(10), EOL]),
    (16, &[mss(536), SACK, TS, ws(10), EOL]),
    (512, &[mss(265), SACK, TS]),
];
const ECN_OPTIONS: &[TcpOption<'static>] = &[ws(10), NOP, mss(1460), SACK, NOP, NOP];
const T_OPTIONS: &[TcpOption<'static>] = &[ws(10), NOP, mss(265), TS, SACK];
const T7_OPTIONS: &[TcpOption<'static>] = &[ws(15), NOP, mss(265), TS, SACK];
/// The ECN probe's reserved bit: the top bit of the four after the data
/// offset (Nmap's `th_x2 = 8`).
const RESERVED_BIT: u16 = 0x800;

fn tcp_shape(kind: Kind) -> Option<TcpShape> {
    let syn = TcpFlags::SYN;
    let plain = |flags, window, dont_frag, options| TcpShape {
        flags,
        window,
        dont_frag,
        urgent: 0,
        options,
    };
    Some(match kind {
        Kind::Seq(i) | Kind::Ops(i) => {
            let (window, options) = *SEQ_SHAPES.get(usize::from(i))?;
            plain(syn, window, false, options)
        }
        Kind::T(1) => plain(syn, SEQ_SHAPES[0].0, false, SEQ_SHAPES[0].1),
        Kind::Ecn => TcpShape {
            flags: TcpFlags(RESERVED_BIT) | TcpFlags::CWR | TcpFlags::ECE | syn,
            window: 3,
            dont_frag: false,
            urgent: ECN_URGENT,
            options: ECN_OPTIONS,
        },
        Kind::T(2) => plain(TcpFlags(0), 128, true, T_OPTIONS),
        Kind::T(3) => plain(
            syn | TcpFlags::FIN | TcpFlags::URG | TcpFlags::PSH,
            256,
            false,
            T_OPTIONS,
        ),
        Kind::T(4) => plain(TcpFlags::ACK, 1024, true, T_OPTIONS),
        Kind::T(5) => plain(syn, 31337, false, T_OPTIONS),
        Kind::T(6) => plain(TcpFlags::ACK, 32768, true, T_OPTIONS),
        Kind::T(7) => plain(
            TcpFlags::FIN | TcpFlags::PSH | TcpFlags::URG,
            65535,
            false,
            T7_OPTIONS,
        ),
        _ => return None,
    })
}

/// Builds the whole IPv4 packet of probe `kind` from `src` to `dst`.
/// `None` when the probe needs a port that is not known, or for a kind
/// that does not exist (`Seq(6)`, `T(8)`).
pub fn build(
    kind: Kind,
    ids: &TryIds,
    targets: &Targets,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ip: IpFields,
) -> Option<Vec<u8>> {
    let ips = IpPair::V4 { src, dst };
    match kind {
        Kind::Ie(i) if i < 2 => {
            let first = i == 0;
            let icmp = echo_request(
                if first { 9 } else { 0 },
                ids.icmp_id.wrapping_add(u16::from(i)),
                IE_SEQ + u16::from(i),
                if first { 120 } else { 150 },
            );
            Some(ipv4(
                src,
                dst,
                IpProtocol::Icmp,
                ip,
                if first { 0 } else { 0x04 },
                first,
                &icmp,
            ))
        }
        Kind::Ie(_) => None,
        Kind::U1 => {
            let payload = [U1_FILL; U1_DATA_LEN];
            let udp = UdpRepr {
                src_port: ids.udp_base,
                dst_port: targets.closed_udp?,
                payload: &payload,
            };
            let mut buf = vec![0u8; udp.buffer_len()];
            udp.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), &ips);
            let fields = IpFields {
                ttl: ids.udp_ttl,
                ident: U1_IP_ID,
            };
            Some(ipv4(src, dst, IpProtocol::Udp, fields, 0, false, &buf))
        }
        _ => {
            let shape = tcp_shape(kind)?;
            let port = if kind.to_closed_port() {
                targets.closed_tcp?
            } else {
                targets.open_tcp?
            };
            let seq = match kind {
                Kind::Seq(i) => ids.seq_base.wrapping_add(u32::from(i)),
                _ => ids.seq_base,
            };
            let tcp = TcpRepr {
                src_port: ids.tcp_base.wrapping_add(kind.tcp_port_offset()?),
                dst_port: port,
                seq_number: seq,
                ack_number: if kind == Kind::Ecn { 0 } else { ids.ack },
                flags: shape.flags,
                window_len: shape.window,
                urgent_pointer: shape.urgent,
                options: TcpOptions::from_options(shape.options).ok()?,
                payload: &[],
            };
            let mut buf = vec![0u8; tcp.buffer_len()];
            tcp.emit(&mut TcpPacket::new_unchecked(&mut buf[..]), &ips);
            Some(ipv4(
                src,
                dst,
                IpProtocol::Tcp,
                ip,
                0,
                shape.dont_frag,
                &buf,
            ))
        }
    }
}

/// An ICMP echo request with `code` and `len` zero bytes of data.
fn echo_request(code: u8, ident: u16, seq: u16, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; nmaps_wire::icmpv4::HEADER_LEN + len];
    let mut p = nmaps_wire::Icmpv4Packet::new_unchecked(&mut buf[..]);
    p.set_msg_type(nmaps_wire::Icmpv4Message::EchoRequest);
    p.set_msg_code(code);
    p.set_echo_ident(ident);
    p.set_echo_seq_no(seq);
    p.fill_checksum();
    buf
}

fn ipv4(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: IpProtocol,
    ip: IpFields,
    tos: u8,
    dont_frag: bool,
    payload: &[u8],
) -> Vec<u8> {
    let repr = Ipv4Repr {
        protocol,
        payload_len: payload.len(),
        ttl: ip.ttl,
        tos,
        ident: ip.ident,
        dont_frag,
        ..Ipv4Repr::new(src, dst)
    };
    let mut buf = vec![0u8; repr.buffer_len() + payload.len()];
    repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]));
    buf[repr.buffer_len()..].copy_from_slice(payload);
    buf
}

/// The checksums U1 went out with: its IP header's and its UDP datagram's
/// (the RIPCK and RUCK tests compare the quoted ones with them).
pub fn u1_checksums(packet: &[u8]) -> Option<(u16, u16)> {
    let ip = Ipv4Packet::new_checked(packet).ok()?;
    let udp = UdpPacket::new_checked(ip.payload()).ok()?;
    Some((ip.checksum(), udp.checksum()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probes Debian's nmap 7.93 sent to the lab's web host (198.18.0.10
    /// from 198.18.0.1, open port 22, closed 81, closed UDP 34879), captured
    /// in the scanner namespace. Its try drew TCP base port 54391, UDP base
    /// 54477, sequence base 0x09114048, ack 0x5268C0E1, ICMP id 0x313E and
    /// U1 TTL 62; TTL and IP ID are random per packet and read back here.
    const NMAP: &[(Kind, &str)] = &[
        (
            Kind::Seq(0),
            "4500003cc8a80000350630e4c6120001c612000ad4770016091140485268c0e1a002000181a40000\
             03030a01020405b4080affffffff000000000402",
        ),
        (
            Kind::Seq(1),
            "4500003c94d100002f066abbc6120001c612000ad4780016091140495268c0e1a002003f8ba10000\
             020405780303000402080affffffff0000000000",
        ),
        (
            Kind::Seq(2),
            "4500003c7f57000026068935c6120001c612000ad47900160911404a5268c0e1a00200048cd20000\
             080affffffff0000000001010303050102040280",
        ),
        (
            Kind::Seq(3),
            "4500003870fc000038068594c6120001c612000ad47a00160911404b5268c0e19002000499580000\
             0402080affffffff0000000003030a00",
        ),
        (
            Kind::Seq(4),
            "4500003c83f6000027068396c6120001c612000ad47b00160911404c5268c0e1a0020010852a0000\
             020402180402080affffffff0000000003030a00",
        ),
        (
            Kind::Seq(5),
            "45000038401900002c06c277c6120001c612000ad47c00160911404d5268c0e190020200a14e0000\
             020401090402080affffffff00000000",
        ),
        (
            Kind::Ecn,
            "450000341e3500003206de5fc6120001c612000ad4830016091140480000000088c20003bb3bf7f5\
             03030a01020405b404020101",
        ),
        (
            Kind::T(2),
            "4500003cad9c4000390607f0c6120001c612000ad4850016091140485268c0e1a000008085c40000\
             03030a0102040109080affffffff000000000402",
        ),
        (
            Kind::T(3),
            "4500003cc7f6000031063596c6120001c612000ad4860016091140485268c0e1a02b010085180000\
             03030a0102040109080affffffff000000000402",
        ),
        (
            Kind::T(4),
            "4500003c0e7d40003b06a50fc6120001c612000ad4870016091140485268c0e1a010040082320000\
             03030a0102040109080affffffff000000000402",
        ),
        (
            Kind::T(5),
            "4500003c161d00002906ef6fc6120001c612000ad4880051091140485268c0e1a0027a690b9b0000\
             03030a0102040109080affffffff000000000402",
        ),
        (
            Kind::T(6),
            "4500003cbae6400025060ea6c6120001c612000ad4890051091140485268c0e1a010800005f50000\
             03030a0102040109080affffffff000000000402",
        ),
        (
            Kind::T(7),
            "4500003cdb34000035061e58c6120001c612000ad48a0051091140485268c0e1a029ffff80db0000\
             03030f0102040109080affffffff000000000402",
        ),
    ];

    const IDS: TryIds = TryIds {
        tcp_base: 54391,
        udp_base: 54477,
        seq_base: 0x0911_4048,
        ack: 0x5268_C0E1,
        icmp_id: 0x313E,
        udp_ttl: 62,
    };
    const TARGETS: Targets = Targets {
        open_tcp: Some(22),
        closed_tcp: Some(81),
        closed_udp: Some(34879),
    };
    const US: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
    const WEB: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 10);

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn fields_of(packet: &[u8]) -> IpFields {
        let p = Ipv4Packet::new_checked(packet).unwrap();
        IpFields {
            ttl: p.ttl(),
            ident: p.ident(),
        }
    }

    #[test]
    fn tcp_probes_are_nmaps_byte_for_byte() {
        for (kind, want) in NMAP {
            let want = hex(want);
            let got = build(*kind, &IDS, &TARGETS, US, WEB, fields_of(&want)).unwrap();
            assert_eq!(
                got,
                want,
                "{}: window, flags, reserved bits, urgent, options, DF, checksums",
                kind.name()
            );
        }
    }

    #[test]
    fn icmp_probes_are_nmaps_byte_for_byte() {
        let header = [
            (
                Kind::Ie(0),
                "450000940be440002e01b455c6120001c612000a0809c591313e0127",
                120,
            ),
            (
                Kind::Ie(1),
                "450400b23df400003701b923c6120001c612000a0800c598313f0128",
                150,
            ),
        ];
        for (kind, head, zeros) in header {
            let mut want = hex(head);
            want.resize(want.len() + zeros, 0);
            let got = build(kind, &IDS, &TARGETS, US, WEB, fields_of(&want)).unwrap();
            assert_eq!(got, want, "{}: TOS, DF, code, id, seq, size", kind.name());
        }
    }

    #[test]
    fn u1_is_nmaps_byte_for_byte() {
        let mut want = hex("45000148104200003e11df33c6120001c612000ad4cd883f0134aadf");
        want.resize(want.len() + 300, b'C');
        // U1's TTL and IP ID are fixed, whatever the per-packet draw says.
        let any = IpFields { ttl: 40, ident: 7 };
        let got = build(Kind::U1, &IDS, &TARGETS, US, WEB, any).unwrap();
        assert_eq!(got, want);
        assert_eq!(u1_checksums(&got), Some((0xdf33, 0xaadf)));
    }

    #[test]
    fn ops_retransmissions_and_t1_reuse_the_seq_shapes_on_their_own_ports() {
        let ip = IpFields { ttl: 50, ident: 1 };
        for i in 0..6u8 {
            let seq = build(Kind::Seq(i), &IDS, &TARGETS, US, WEB, ip).unwrap();
            let ops = build(Kind::Ops(i), &IDS, &TARGETS, US, WEB, ip).unwrap();
            let (s, o) = (
                TcpPacket::new_checked(&seq[20..]).unwrap(),
                TcpPacket::new_checked(&ops[20..]).unwrap(),
            );
            assert_eq!(o.src_port(), 54391 + 6 + u16::from(i));
            assert_eq!(o.seq_number(), IDS.seq_base, "OPS probes carry the base");
            assert_eq!((o.window_len(), o.options()), (s.window_len(), s.options()));
        }
        let t1 = build(Kind::T(1), &IDS, &TARGETS, US, WEB, ip).unwrap();
        let t1 = TcpPacket::new_checked(&t1[20..]).unwrap();
        assert_eq!((t1.src_port(), t1.window_len()), (54391 + 13, 1));
    }

    #[test]
    fn missing_ports_and_bad_kinds_build_nothing() {
        let ip = IpFields { ttl: 50, ident: 1 };
        let none = Targets::default();
        for kind in [Kind::Seq(0), Kind::T(5), Kind::U1, Kind::Ecn] {
            assert!(build(kind, &IDS, &none, US, WEB, ip).is_none(), "{kind:?}");
        }
        assert!(build(Kind::Ie(0), &IDS, &none, US, WEB, ip).is_some());
        for kind in [Kind::Seq(6), Kind::T(0), Kind::T(8), Kind::Ie(2)] {
            assert!(
                build(kind, &IDS, &TARGETS, US, WEB, ip).is_none(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn try_ids_stay_in_nmaps_ranges() {
        let mut x = 0u64;
        for secs in 0..100 {
            let ids = TryIds::draw(
                || {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    x
                },
                secs,
            );
            assert!((33000..33000 + 32261).contains(&ids.tcp_base));
            assert!(ids.tcp_base.checked_add(19).is_some());
            assert!((51..=64).contains(&ids.udp_ttl));
        }
    }
}
