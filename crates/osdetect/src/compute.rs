//! The tests of one try: every reply judged as it arrives, the test lines
//! computed at the end, exactly as Nmap 7.93's `osscan2.cc` does (its
//! rounding, its float and wrap-around arithmetic, its conditions for
//! leaving an attribute out, its hex formatting).
//!
//! A [`Collector`] is fed every packet the host sends during a try
//! ([`Collector::process`]); it keeps the first valid reply to each probe
//! and says which probe a packet answered, so the sender stops
//! retransmitting it. [`Collector::finish`] then builds the
//! [`Fingerprint`] (SEQ, OPS, WIN, ECN, T1–T7, U1, IE) and what the report
//! needs besides: the sequence classes, the uptime guess and the hop count.
//!
//! A reply is recognised by what the try's random numbers put in it: the
//! TCP destination port (one per probe), the ICMP identifier, the ports of
//! the UDP datagram an ICMP error quotes. Anything else is ignored.

use crate::fingerprint::{Fingerprint, Test};
use crate::probes::{Kind, SEQ_PROBES, Targets, TryIds, U1_DATA_LEN, U1_FILL, U1_IP_ID};
use nmaps_wire::{IpProtocol, Ipv4Packet, TcpFlags, TcpPacket};
use std::time::SystemTime;

/// How a host numbers its IP IDs (Nmap's `IPID_SEQ_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpIdClass {
    Unknown,
    Incremental,
    BrokenIncremental,
    RandomPositive,
    Random,
    Constant,
    Zero,
    IncrementBy2,
}

impl IpIdClass {
    /// The name Nmap prints ("IP ID Sequence Generation: …").
    pub fn nmap_name(self) -> &'static str {
        match self {
            Self::Constant => "Duplicated ipid (!)",
            Self::Incremental => "Incremental",
            Self::IncrementBy2 => "Incrementing by 2",
            Self::BrokenIncremental => "Broken little-endian incremental",
            Self::Random => "Randomized",
            Self::RandomPositive => "Random positive increments",
            Self::Zero => "All zeros",
            Self::Unknown => "Busy server or unknown class",
        }
    }
}

/// How a host's TCP timestamps advance (Nmap's `TS_SEQ_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsClass {
    Unknown,
    Zero,
    Hz2,
    Hz100,
    Hz1000,
    Other,
    Unsupported,
}

impl TsClass {
    pub fn nmap_name(self) -> &'static str {
        match self {
            Self::Zero => "zero timestamp",
            Self::Hz2 => "2HZ",
            Self::Hz100 => "100HZ",
            Self::Hz1000 => "1000HZ",
            Self::Other => "other",
            Self::Unsupported => "none returned (unsupported)",
            Self::Unknown => "unknown class",
        }
    }
}

/// Nmap's words for a sequence-predictability index.
pub fn difficulty(index: u32) -> &'static str {
    match index {
        0..=2 => "Trivial joke",
        3..=5 => "Easy",
        6..=10 => "Medium",
        11 => "Formidable",
        12..=15 => "Worthy challenge",
        _ => "Good luck!",
    }
}

/// What the SEQ replies showed, for the report (Nmap's `seq_info`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeqInfo {
    /// SEQ replies (SYN/ACKs) received.
    pub responses: usize,
    /// Their initial sequence numbers, IP IDs and TCP timestamps.
    pub seqs: Vec<u32>,
    pub ipids: Vec<u16>,
    pub timestamps: Vec<u32>,
    /// The SP index.
    pub index: u32,
    pub ipid_class: Option<IpIdClass>,
    pub ts_class: Option<TsClass>,
    /// Boot time guessed from the timestamps (Unix seconds), when the
    /// timestamp rate could be measured.
    pub lastboot: Option<i64>,
}

/// What one try produced.
#[derive(Debug, Clone, PartialEq)]
pub struct TryResult {
    pub fingerprint: Fingerprint,
    pub seq: SeqInfo,
    /// Hops to the host, from the TTL U1's ICMP error quotes.
    pub hops: Option<i32>,
    /// Hops guessed from the first reply's TTL (Nmap's `distance_guess`).
    pub hops_guess: Option<i32>,
    /// Time the SEQ probes took over the 500 ms they should (Nmap's
    /// `timingRatio`; 0 without an open port).
    pub timing_ratio: f64,
    /// The UDP probe got its port unreachable: the port is closed.
    pub u1_answered: bool,
}

/// How the try ran, for [`Collector::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FinishContext {
    /// Probes went to an open TCP port (SEQ, ECN, T1–T4).
    pub open_port: bool,
    /// The port scan found a closed TCP port (T5–T7 missing means R=N).
    pub closed_port_known: bool,
    /// `--scan-delay` in milliseconds (over 1000 drops SP/GCD/ISR).
    pub scan_delay_ms: u64,
    /// The target is this machine.
    pub localhost: bool,
}

/// Index of each test line in [`TEST_ORDER`](crate::fingerprint::TEST_ORDER).
const ECN: usize = 3;
const T1: usize = 4;
const U1: usize = 11;
const IE: usize = 12;
const TESTS: usize = 13;

/// What is kept of an echo reply (IE needs both before it is computed).
#[derive(Debug, Clone, Copy)]
struct EchoReply {
    dont_frag: bool,
    code: u8,
    ttl: u8,
}

/// The replies of one try; see the module documentation.
#[derive(Debug, Clone)]
pub struct Collector {
    ids: TryIds,
    targets: Targets,
    /// Checksums U1 went out with (IP header, UDP).
    u1_sums: (u16, u16),
    u1_dport: Option<u16>,
    seqs: [u32; SEQ_PROBES],
    seq_ipids: [u16; SEQ_PROBES],
    timestamps: [u32; SEQ_PROBES],
    sent: [Option<SystemTime>; SEQ_PROBES],
    responses: usize,
    ts_class: TsClass,
    last_ipid: u16,
    tcp_ipids: [Option<u16>; SEQ_PROBES],
    closed_ipids: [Option<u16>; 3],
    icmp_ipids: [Option<u16>; 2],
    ops: [Option<String>; SEQ_PROBES],
    wins: [Option<String>; SEQ_PROBES],
    /// ECN, T1–T7, U1, IE by their index in the test order (SEQ, OPS and
    /// WIN slots stay empty until `finish`).
    tests: [Option<Test>; TESTS],
    echo: [Option<EchoReply>; 2],
    echo_retransmitted: [bool; 2],
    hops: Option<i32>,
}

impl Collector {
    /// A try with these random numbers; `u1` is the U1 packet as sent (its
    /// checksums are compared with the quoted ones), when one is sent.
    pub fn new(ids: TryIds, targets: Targets, u1: Option<&[u8]>) -> Self {
        let (u1_sums, u1_dport) = u1
            .and_then(|p| {
                let sums = crate::probes::u1_checksums(p)?;
                let ip = Ipv4Packet::new_checked(p).ok()?;
                let udp = nmaps_wire::UdpPacket::new_checked(ip.payload()).ok()?;
                Some((sums, Some(udp.dst_port())))
            })
            .unwrap_or(((0, 0), None));
        Self {
            ids,
            targets,
            u1_sums,
            u1_dport,
            seqs: [0; SEQ_PROBES],
            seq_ipids: [0; SEQ_PROBES],
            timestamps: [0; SEQ_PROBES],
            sent: [None; SEQ_PROBES],
            responses: 0,
            ts_class: TsClass::Unknown,
            last_ipid: 0,
            tcp_ipids: [None; SEQ_PROBES],
            closed_ipids: [None; 3],
            icmp_ipids: [None; 2],
            ops: Default::default(),
            wins: Default::default(),
            tests: Default::default(),
            echo: [None; 2],
            echo_retransmitted: [false; 2],
            hops: None,
        }
    }

    /// SEQ probe `i` left at `at` (the rates are measured between sends).
    pub fn seq_sent(&mut self, i: usize, at: SystemTime) {
        if let Some(s) = self.sent.get_mut(i) {
            *s = Some(at);
        }
    }

    /// `kind` was sent again: an echo reply to it no longer says which
    /// copy it answers, so its IP ID is not used (Nmap's rule).
    pub fn retransmitted(&mut self, kind: Kind) {
        if let Kind::Ie(i @ 0..=1) = kind {
            self.echo_retransmitted[usize::from(i)] = true;
        }
    }

    /// Whether `kind` has what it was sent for (no need to send it again).
    pub fn answered(&self, kind: Kind) -> bool {
        match kind {
            Kind::Seq(i) => self.seqs.get(usize::from(i)).is_some_and(|&s| s != 0),
            Kind::Ops(i) => {
                let i = usize::from(i);
                i < SEQ_PROBES && self.ops[i].is_some() && self.wins[i].is_some()
            }
            Kind::Ecn => self.tests[ECN].is_some(),
            Kind::T(n @ 1..=7) => self.tests[T1 + usize::from(n) - 1].is_some(),
            Kind::U1 => self.tests[U1].is_some(),
            Kind::Ie(i @ 0..=1) => self.tests[IE].is_some() || self.echo[usize::from(i)].is_some(),
            _ => false,
        }
    }

    /// Judges one packet from the host; returns the probe it answered
    /// (Nmap's "useful" replies), if any. Never panics on malformed input.
    pub fn process(&mut self, packet: &[u8]) -> Option<Kind> {
        let ip = Ipv4Packet::new_checked(packet).ok()?;
        match ip.protocol() {
            IpProtocol::Tcp => self.process_tcp(&ip),
            IpProtocol::Icmp => self.process_icmp(&ip),
            _ => None,
        }
    }

    fn process_tcp(&mut self, ip: &Ipv4Packet<&[u8]>) -> Option<Kind> {
        let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
        let testno = tcp.dst_port().wrapping_sub(self.ids.tcp_base);
        // T5-T7 went to the closed port, every other TCP probe to the open one.
        let from = if (17..=19).contains(&testno) {
            self.targets.closed_tcp
        } else {
            self.targets.open_tcp
        };
        if from != Some(tcp.src_port()) {
            return None;
        }
        match testno {
            0..=5 => {
                let i = usize::from(testno);
                let useful = self.seq_reply(ip, &tcp, i);
                if useful {
                    self.tcp_ipids[i] = Some(ip.ident());
                }
                if i == 0 {
                    self.t_reply(ip, &tcp, 0);
                }
                self.ops_reply(&tcp, i);
                self.win_reply(&tcp, i);
                useful.then_some(Kind::Seq(testno as u8))
            }
            6..=11 => {
                let i = usize::from(testno - 6);
                let ops = self.ops_reply(&tcp, i);
                let win = self.win_reply(&tcp, i);
                (ops || win).then_some(Kind::Ops(i as u8))
            }
            12 => self.ecn_reply(ip, &tcp).then_some(Kind::Ecn),
            13..=19 => {
                let n = usize::from(testno - 13);
                let useful = self.t_reply(ip, &tcp, n);
                if useful && n >= 4 {
                    self.closed_ipids[n - 4] = Some(ip.ident());
                }
                useful.then_some(Kind::T(n as u8 + 1))
            }
            _ => None,
        }
    }

    /// A reply to SEQ probe `i` (Nmap's `processTSeqResp`).
    fn seq_reply(&mut self, ip: &Ipv4Packet<&[u8]>, tcp: &TcpPacket<&[u8]>, i: usize) -> bool {
        let ident = ip.ident();
        if self.last_ipid != 0 && ident == self.last_ipid {
            // A duplicate (seen on loopback).
            return false;
        }
        self.last_ipid = ident;
        let flags = tcp.flags();
        if flags.contains(TcpFlags::RST) {
            return false;
        }
        if !flags.contains(TcpFlags::SYN | TcpFlags::ACK) {
            return false;
        }
        // Nmap matches by the acknowledgement number and falls back on the
        // port when it does not fit: the port decides either way.
        if self.seqs[i] != 0 {
            return false;
        }
        self.responses += 1;
        self.seqs[i] = tcp.seq_number();
        self.seq_ipids[i] = ident;
        match timestamp_option(tcp.options()) {
            None => self.ts_class = TsClass::Unsupported,
            Some(0) => self.ts_class = TsClass::Zero,
            Some(_) => {}
        }
        self.timestamps[i] = timestamp_option(tcp.options()).unwrap_or(0);
        true
    }

    fn ops_reply(&mut self, tcp: &TcpPacket<&[u8]>, i: usize) -> bool {
        if self.ops[i].is_some() {
            return false;
        }
        self.ops[i] = Some(option_string(tcp.options()).unwrap_or_default());
        true
    }

    fn win_reply(&mut self, tcp: &TcpPacket<&[u8]>, i: usize) -> bool {
        if self.wins[i].is_some() {
            return false;
        }
        self.wins[i] = Some(format!("{:X}", tcp.window_len()));
        true
    }

    fn ecn_reply(&mut self, ip: &Ipv4Packet<&[u8]>, tcp: &TcpPacket<&[u8]>) -> bool {
        if self.tests[ECN].is_some() {
            return false;
        }
        let mut t = Test::new("ECN");
        t.push("R", "Y");
        t.push("DF", yes_no(ip.dont_frag()));
        t.push("T", format!("{:X}", ip.ttl()));
        t.push("W", format!("{:X}", tcp.window_len()));
        t.push("O", option_string(tcp.options()).unwrap_or_default());
        let f = tcp.flags();
        let (ece, cwr) = (f.contains(TcpFlags::ECE), f.contains(TcpFlags::CWR));
        t.push(
            "CC",
            match (ece, cwr) {
                (true, true) => "S",
                (true, false) => "Y",
                (false, false) => "N",
                (false, true) => "O",
            },
        );
        t.push("Q", quirks(tcp));
        self.tests[ECN] = Some(t);
        true
    }

    /// T1 (`n` = 0, from the first SEQ reply) to T7 (Nmap's
    /// `processT1_7Resp`).
    fn t_reply(&mut self, ip: &Ipv4Packet<&[u8]>, tcp: &TcpPacket<&[u8]>, n: usize) -> bool {
        if self.tests[T1 + n].is_some() {
            return false;
        }
        let mut t = Test::new(&format!("T{}", n + 1));
        t.push("R", "Y");
        t.push("DF", yes_no(ip.dont_frag()));
        t.push("T", format!("{:X}", ip.ttl()));
        if n != 0 {
            t.push("W", format!("{:X}", tcp.window_len()));
        }
        let (seq, ack) = (tcp.seq_number(), tcp.ack_number());
        t.push(
            "S",
            if seq == 0 {
                "Z"
            } else if seq == self.ids.ack {
                "A"
            } else if seq == self.ids.ack.wrapping_add(1) {
                "A+"
            } else {
                "O"
            },
        );
        t.push(
            "A",
            if ack == 0 {
                "Z"
            } else if ack == self.ids.seq_base {
                "S"
            } else if ack == self.ids.seq_base.wrapping_add(1) {
                "S+"
            } else {
                "O"
            },
        );
        let f = tcp.flags();
        const LETTERS: [(TcpFlags, char); 7] = [
            (TcpFlags::ECE, 'E'),
            (TcpFlags::URG, 'U'),
            (TcpFlags::ACK, 'A'),
            (TcpFlags::PSH, 'P'),
            (TcpFlags::RST, 'R'),
            (TcpFlags::SYN, 'S'),
            (TcpFlags::FIN, 'F'),
        ];
        let letters: String = LETTERS
            .iter()
            .filter(|(flag, _)| f.contains(*flag))
            .map(|(_, c)| *c)
            .collect();
        t.push("F", letters);
        if n != 0 {
            t.push("O", option_string(tcp.options()).unwrap_or_default());
        }
        // Data in a RST: its CRC-32 (Nmap 7.93 prints it with 8 digits).
        let data = tcp_data(ip, tcp);
        if f.contains(TcpFlags::RST) && !data.is_empty() {
            t.push("RD", format!("{:08X}", crc32(data)));
        } else {
            t.push("RD", "0");
        }
        t.push("Q", quirks(tcp));
        self.tests[T1 + n] = Some(t);
        true
    }

    fn process_icmp(&mut self, ip: &Ipv4Packet<&[u8]>) -> Option<Kind> {
        let icmp = ip.payload();
        let header = icmp.get(..nmaps_wire::icmpv4::HEADER_LEN)?;
        let p = nmaps_wire::Icmpv4Packet::new_unchecked(header);
        match (u8::from(p.msg_type()), p.msg_code()) {
            (0, code) => {
                let i = p.echo_ident().wrapping_sub(self.ids.icmp_id);
                if i > 1 {
                    return None;
                }
                let useful = self.echo_reply(ip, code, usize::from(i));
                if useful && !self.echo_retransmitted[usize::from(i)] {
                    self.icmp_ipids[usize::from(i)] = Some(ip.ident());
                }
                useful.then_some(Kind::Ie(i as u8))
            }
            (3, 3) => self.u1_reply(ip, icmp).then_some(Kind::U1),
            _ => None,
        }
    }

    /// An echo reply; IE is computed once both have come (Nmap's
    /// `processTIcmpResp`, 7.93: T is the first reply's TTL).
    fn echo_reply(&mut self, ip: &Ipv4Packet<&[u8]>, code: u8, i: usize) -> bool {
        if self.tests[IE].is_some() || self.echo[i].is_some() {
            return false;
        }
        self.echo[i] = Some(EchoReply {
            dont_frag: ip.dont_frag(),
            code,
            ttl: ip.ttl(),
        });
        let [Some(a), Some(b)] = self.echo else {
            return true;
        };
        let mut t = Test::new("IE");
        t.push("R", "Y");
        t.push(
            "DFI",
            match (a.dont_frag, b.dont_frag) {
                (true, true) => "Y",
                (true, false) => "S",
                (false, false) => "N",
                (false, true) => "O",
            },
        );
        t.push("T", format!("{:X}", a.ttl));
        let cd = if a.code == b.code {
            if a.code == 0 {
                "Z".to_string()
            } else {
                format!("{:X}", a.code)
            }
        } else if a.code == 9 && b.code == 0 {
            "S".to_string()
        } else {
            "O".to_string()
        };
        t.push("CD", cd);
        self.tests[IE] = Some(t);
        true
    }

    /// The port unreachable for U1 (Nmap's `processTUdpResp`).
    fn u1_reply(&mut self, ip: &Ipv4Packet<&[u8]>, icmp: &[u8]) -> bool {
        const ICMP_HEADER: usize = nmaps_wire::icmpv4::HEADER_LEN;
        const UDP_HEADER: usize = nmaps_wire::UDP_HEADER_LEN;
        if self.tests[U1].is_some() {
            return false;
        }
        let Some(quoted) = icmp.get(ICMP_HEADER..) else {
            return false;
        };
        if quoted.len() < nmaps_wire::IPV4_HEADER_LEN + UDP_HEADER {
            return false;
        }
        let Ok(ip2) = Ipv4Packet::new_lax(quoted) else {
            return false;
        };
        let Some(udp) = quoted.get(ip2.header_len()..) else {
            return false;
        };
        if udp.len() < UDP_HEADER {
            return false;
        }
        let udp_view = nmaps_wire::UdpPacket::new_unchecked(udp);
        if udp_view.src_port() != self.ids.udp_base || Some(udp_view.dst_port()) != self.u1_dport {
            return false;
        }
        let unreach = nmaps_wire::Icmpv4Packet::new_unchecked(&icmp[..ICMP_HEADER]);
        let mut t = Test::new("U1");
        t.push("R", "Y");
        t.push("DF", yes_no(ip.dont_frag()));
        t.push("T", format!("{:X}", ip.ttl()));
        t.push("IPL", format!("{:X}", ip.total_len()));
        // 7.93 prints the unused word with %hX: its low 16 bits.
        t.push("UN", format!("{:X}", unreach.rest_of_header() as u16));
        let sent_len = (nmaps_wire::IPV4_HEADER_LEN + UDP_HEADER + U1_DATA_LEN) as u16;
        t.push(
            "RIPL",
            if ip2.total_len() == sent_len {
                "G".to_string()
            } else {
                format!("{:X}", ip2.total_len())
            },
        );
        t.push(
            "RID",
            if ip2.ident() == U1_IP_ID {
                "G".to_string()
            } else {
                format!("{:X}", ip2.ident())
            },
        );
        let quoted_sum = ip2.checksum();
        t.push(
            "RIPCK",
            if quoted_sum == 0 {
                "Z"
            } else if header_checksum_ok(&quoted[..nmaps_wire::IPV4_HEADER_LEN], quoted_sum) {
                "G"
            } else {
                "I"
            },
        );
        let udp_sum = udp_view.checksum();
        t.push(
            "RUCK",
            if udp_sum == self.u1_sums.1 {
                "G".to_string()
            } else {
                format!("{udp_sum:X}")
            },
        );
        // The quoted payload up to the end of the ICMP message (the outer
        // IP length bounds it).
        let data = &udp[UDP_HEADER..];
        t.push(
            "RUD",
            if data.iter().all(|&b| b == U1_FILL) {
                "G"
            } else {
                "I"
            },
        );
        self.tests[U1] = Some(t);
        if self.hops.is_none() {
            self.hops = Some(i32::from(self.ids.udp_ttl) - i32::from(ip2.ttl()) + 1);
        }
        true
    }

    /// Builds the fingerprint (Nmap's `makeFP`).
    pub fn finish(mut self, ctx: &FinishContext) -> TryResult {
        let timing_ratio = if ctx.open_port {
            match (self.sent[0], self.sent[SEQ_PROBES - 1]) {
                (Some(a), Some(b)) => {
                    let ms = msec_between(a, b) as f64;
                    ms / (crate::probes::SEQ_SPACING_MS * (SEQ_PROBES as u64 - 1)) as f64
                }
                _ => 0.0,
            }
        } else {
            0.0
        };
        let u1_answered = self.tests[U1].is_some();
        let (seq_test, seq) = self.seq_test(ctx);
        let mut lines: Vec<Test> = Vec::new();
        if !seq_test.attrs.is_empty() {
            lines.push(seq_test);
        }
        if self.ops.iter().all(Option::is_some) {
            let mut t = Test::new("OPS");
            for (i, o) in self.ops.iter().enumerate() {
                t.push(&format!("O{}", i + 1), o.clone().unwrap_or_default());
            }
            lines.push(t);
        }
        if self.wins.iter().all(Option::is_some) {
            let mut t = Test::new("WIN");
            for (i, w) in self.wins.iter().enumerate() {
                t.push(&format!("W{}", i + 1), w.clone().unwrap_or_default());
            }
            lines.push(t);
        }
        let mut hops_guess = None;
        for i in ECN..TESTS {
            let name = crate::fingerprint::TEST_ORDER[i];
            match &mut self.tests[i] {
                slot @ None => {
                    let expected = match i {
                        ECN..=7 => ctx.open_port,
                        8..=10 => ctx.closed_port_known,
                        _ => true,
                    };
                    if expected {
                        let mut t = Test::new(name);
                        t.push("R", "N");
                        *slot = Some(t);
                    }
                }
                Some(t) => {
                    let Some(at) = t.attrs.iter().position(|(a, _)| a == "T") else {
                        continue;
                    };
                    let ttl = i32::from_str_radix(&t.attrs[at].1, 16).unwrap_or(0);
                    if hops_guess.is_none() {
                        hops_guess = Some(initial_ttl_guess(ttl) - ttl);
                    }
                    t.attrs[at] = match self.hops {
                        // 7.93 prints with %hX: 16 bits.
                        Some(h) => ("T".into(), format!("{:X}", (ttl + h - 1) as u16)),
                        None => ("TG".into(), format!("{:X}", initial_ttl_guess(ttl))),
                    };
                }
            }
        }
        lines.extend(self.tests.into_iter().skip(ECN).flatten());
        TryResult {
            fingerprint: Fingerprint { tests: lines },
            seq,
            hops: self.hops,
            hops_guess,
            timing_ratio,
            u1_answered,
        }
    }

    /// The SEQ line and the sequence report (Nmap's `makeTSeqFP`).
    fn seq_test(&self, ctx: &FinishContext) -> (Test, SeqInfo) {
        let mut t = Test::new("SEQ");
        // Close the gaps left by unanswered probes.
        let mut seqs = Vec::new();
        let mut ipids = Vec::new();
        let mut stamps = Vec::new();
        let mut sent = Vec::new();
        for i in 0..SEQ_PROBES {
            if self.seqs[i] != 0 {
                seqs.push(self.seqs[i]);
                ipids.push(self.seq_ipids[i]);
                stamps.push(self.timestamps[i]);
                sent.push(self.sent[i].unwrap_or(SystemTime::UNIX_EPOCH));
            }
        }
        let responses = seqs.len();
        let mut seq_diffs = Vec::new();
        let mut ts_diffs = Vec::new();
        let mut usec_diffs: Vec<u64> = Vec::new();
        let mut rates: Vec<f32> = Vec::new();
        let mut avg_rate = 0.0f64;
        for j in 1..responses {
            seq_diffs.push(mod_diff(seqs[j], seqs[j - 1]));
            ts_diffs.push(mod_diff(stamps[j], stamps[j - 1]));
            let us = usec_between(sent[j - 1], sent[j]).max(1);
            usec_diffs.push(us);
            let rate = (f64::from(seq_diffs[j - 1]) * 1_000_000.0 / us as f64) as f32;
            rates.push(rate);
            avg_rate += f64::from(rate);
        }
        let mut info = SeqInfo {
            responses,
            seqs: seqs.clone(),
            ipids: ipids.clone(),
            timestamps: stamps.clone(),
            ..SeqInfo::default()
        };
        if responses >= 4 && ctx.scan_delay_ms <= 1000 {
            avg_rate /= (responses - 1) as f64;
            let gcd = gcd_all(&seq_diffs);
            let (rate_value, index) = if gcd == 0 {
                (0u32, 0u32)
            } else {
                let rate = (avg_rate.ln() / 2f64.ln() * 8.0 + 0.5) as i64 as u32;
                let div = if gcd > 9 { gcd } else { 1 };
                let mut var = 0.0f64;
                for r in &rates {
                    let d = f64::from(r / div as f32) - avg_rate / f64::from(div);
                    var += d * d;
                }
                var /= (responses - 2) as f64;
                let sd = var.sqrt();
                let index = if sd <= 1.0 {
                    0
                } else {
                    (sd.ln() / 2f64.ln() * 8.0 + 0.5) as i64 as u32
                };
                (rate, index)
            };
            info.index = index;
            t.push("SP", format!("{index:X}"));
            t.push("GCD", format!("{gcd:X}"));
            t.push("ISR", format!("{rate_value:X}"));
        }

        let tcp: Vec<u16> = self.tcp_ipids.iter().flatten().copied().collect();
        let closed: Vec<u16> = self.closed_ipids.iter().flatten().copied().collect();
        let icmp: Vec<u16> = self.icmp_ipids.iter().flatten().copied().collect();
        let class = |ids: &[u16], min: usize| {
            if ids.len() >= min {
                ipid_class(ids, ctx.localhost)
            } else {
                IpIdClass::Unknown
            }
        };
        let (ti, ci, ii) = (class(&tcp, 3), class(&closed, 2), class(&icmp, 2));
        info.ipid_class = Some(ti);
        for (name, c, ids) in [("TI", ti, &tcp), ("CI", ci, &closed), ("II", ii, &icmp)] {
            if let Some(v) = ipid_value(c, ids) {
                t.push(name, v);
            }
        }
        let incremental = |c| {
            matches!(
                c,
                IpIdClass::Incremental | IpIdClass::BrokenIncremental | IpIdClass::RandomPositive
            )
        };
        if incremental(ti) && incremental(ii) {
            // Wrapping u32 arithmetic on 16-bit values, as Nmap's.
            let n = tcp.len() as u32;
            let first = u32::from(tcp[0]);
            let last = u32::from(tcp[tcp.len() - 1]);
            let avg = last.wrapping_sub(first) / (n - 1);
            let same = u32::from(icmp[0]) < last.wrapping_add(avg.wrapping_mul(3));
            t.push("SS", if same { "S" } else { "O" });
        }

        let mut ts_class = self.ts_class;
        let mut avg_hz = 0.0f64;
        if ts_class == TsClass::Unknown && responses >= 2 {
            for (d, us) in ts_diffs.iter().zip(&usec_diffs) {
                let hz = f64::from(*d) / (*us as f64 / 1_000_000.0);
                avg_hz += hz / (responses - 1) as f64;
            }
            let first = u64::from(stamps[0]);
            let per = |hz: u64| first.checked_div(hz).unwrap_or(0);
            let mut uptime = 0u64;
            if avg_hz > 0.0 && avg_hz < 5.66 {
                ts_class = TsClass::Hz2;
                uptime = per(2);
            } else if avg_hz > 70.0 && avg_hz < 150.0 {
                ts_class = TsClass::Hz100;
                uptime = per(100);
            } else if avg_hz > 724.0 && avg_hz < 1448.0 {
                ts_class = TsClass::Hz1000;
                uptime = per(1000);
            } else if avg_hz > 0.0 {
                ts_class = TsClass::Other;
                // (unsigned int) of a double: through 64 bits, then cut.
                uptime = per(u64::from((0.5 + avg_hz) as i64 as u32));
            }
            if uptime > 63_072_000 {
                // Up two years? Probably lying.
                uptime = 0;
            }
            let boot = sent[0]
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            info.lastboot = Some(boot - uptime as i64);
        }
        match ts_class {
            TsClass::Zero => t.push("TS", "0"),
            TsClass::Hz2 | TsClass::Hz100 | TsClass::Hz1000 | TsClass::Other => {
                let v: u32 = if avg_hz <= 5.66 {
                    1
                } else if avg_hz > 70.0 && avg_hz <= 150.0 {
                    7
                } else if avg_hz > 150.0 && avg_hz <= 350.0 {
                    8
                } else {
                    (0.5 + avg_hz.ln() / 2f64.ln()) as i64 as u32
                };
                t.push("TS", format!("{v:X}"));
            }
            TsClass::Unsupported => t.push("TS", "U"),
            TsClass::Unknown => {}
        }
        info.ts_class = (ts_class != TsClass::Unknown).then_some(ts_class);
        (t, info)
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "Y" } else { "N" }
}

/// `R` for non-zero reserved bits, `U` for an urgent pointer without URG.
fn quirks(tcp: &TcpPacket<&[u8]>) -> String {
    /// The four bits between the data offset and CWR (NS included).
    const RESERVED: u16 = 0x0f00;
    let f = tcp.flags();
    let mut q = String::new();
    if f.0 & RESERVED != 0 {
        q.push('R');
    }
    if !f.contains(TcpFlags::URG) && tcp.urgent_pointer() != 0 {
        q.push('U');
    }
    q
}

/// The segment's data, bounded by the IP total length.
fn tcp_data<'a>(ip: &'a Ipv4Packet<&[u8]>, tcp: &TcpPacket<&[u8]>) -> &'a [u8] {
    ip.payload().get(tcp.header_len()..).unwrap_or(&[])
}

/// Nmap's `MOD_DIFF`: the smaller of the two wrap-around distances.
fn mod_diff(a: u32, b: u32) -> u32 {
    a.wrapping_sub(b).min(b.wrapping_sub(a))
}

fn gcd_all(values: &[u32]) -> u32 {
    let Some((&first, rest)) = values.split_first() else {
        return 1;
    };
    rest.iter().fold(first, |a, &b| {
        let (mut a, mut b) = if a < b { (b, a) } else { (a, b) };
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    })
}

fn usec_between(a: SystemTime, b: SystemTime) -> u64 {
    b.duration_since(a).map_or(0, |d| d.as_micros() as u64)
}

fn msec_between(a: SystemTime, b: SystemTime) -> u64 {
    b.duration_since(a).map_or(0, |d| d.as_millis() as u64)
}

/// Nmap's `get_initial_ttl_guess`.
pub fn initial_ttl_guess(ttl: i32) -> i32 {
    match ttl {
        ..=32 => 32,
        33..=64 => 64,
        65..=128 => 128,
        _ => 255,
    }
}

/// The IP ID class of `ids` (Nmap's `get_ipid_sequence_16`).
pub fn ipid_class(ids: &[u16], localhost: bool) -> IpIdClass {
    if ids.len() < 2 {
        return IpIdClass::Unknown;
    }
    let mut diffs: Vec<u32> = Vec::with_capacity(ids.len() - 1);
    let mut all_zero = true;
    for w in ids.windows(2) {
        if w[0] != 0 || w[1] != 0 {
            all_zero = false;
        }
        let d = u32::from(w[1]).wrapping_sub(u32::from(w[0]));
        // Checked on the 32-bit difference, before it is cut to 16 bits.
        if ids.len() > 2 && d > 20000 {
            return IpIdClass::Random;
        }
        diffs.push(d & 0xffff);
    }
    if all_zero {
        return IpIdClass::Zero;
    }
    if localhost && diffs.iter().all(|&d| d >= 2) {
        // On loopback every reply's RST uses an ID too.
        for d in &mut diffs {
            *d = if *d % 256 == 0 { *d - 256 } else { *d - 1 };
        }
    }
    if diffs.iter().all(|&d| d == 0) {
        return IpIdClass::Constant;
    }
    if diffs
        .iter()
        .any(|&d| d > 1000 && (d % 256 != 0 || d >= 25600))
    {
        return IpIdClass::RandomPositive;
    }
    if diffs.iter().all(|&d| d <= 5120 && d % 256 == 0) {
        return IpIdClass::BrokenIncremental;
    }
    if diffs.iter().all(|&d| d % 2 == 0) {
        return IpIdClass::IncrementBy2;
    }
    if diffs.iter().all(|&d| d <= 9) {
        return IpIdClass::Incremental;
    }
    IpIdClass::Unknown
}

/// The attribute value of an IP ID class (`None`: left out).
fn ipid_value(class: IpIdClass, ids: &[u16]) -> Option<String> {
    Some(match class {
        IpIdClass::Constant => format!("{:X}", ids.first()?),
        IpIdClass::Incremental | IpIdClass::IncrementBy2 => "I".into(),
        IpIdClass::BrokenIncremental => "BI".into(),
        IpIdClass::RandomPositive => "RI".into(),
        IpIdClass::Random => "RD".into(),
        IpIdClass::Zero => "Z".into(),
        IpIdClass::Unknown => return None,
    })
}

/// TSval of a timestamp option, walked as Nmap's `gettcpopt_ts` does
/// (stops at end-of-list or a bad length); `None` without one.
fn timestamp_option(options: &[u8]) -> Option<u32> {
    const EOL: u8 = 0;
    const NOP: u8 = 1;
    const TIMESTAMP: u8 = 8;
    const TIMESTAMP_LEN: usize = 10;
    let mut rest = options;
    while let Some((&kind, after)) = rest.split_first() {
        match kind {
            EOL => return None,
            NOP => rest = after,
            _ => {
                let len = usize::from(*after.first()?);
                if len < 2 || len > rest.len() {
                    return None;
                }
                if kind == TIMESTAMP && len == TIMESTAMP_LEN {
                    let v = rest.get(2..6)?;
                    return Some(u32::from_be_bytes([v[0], v[1], v[2], v[3]]));
                }
                rest = &rest[len..];
            }
        }
    }
    None
}

/// The option string of a reply (`M5B4NW7SLL`), as Nmap 7.93's
/// `get_tcpopt_string` writes it: it trusts the known kinds' usual
/// lengths, skips one byte of an unknown kind, and gives `None` (an empty
/// value) when an option runs past the end.
pub fn option_string(options: &[u8]) -> Option<String> {
    let mut s = String::new();
    let mut at = 0usize;
    while at < options.len() {
        let left = options.len() - at;
        match options[at] {
            0 => {
                s.push('L');
                at += 1;
            }
            1 => {
                s.push('N');
                at += 1;
            }
            2 => {
                if left < 4 {
                    return None;
                }
                let mss = u16::from_be_bytes([options[at + 2], options[at + 3]]);
                s.push_str(&format!("M{mss:X}"));
                at += 4;
            }
            3 => {
                if left < 3 {
                    return None;
                }
                s.push_str(&format!("W{:X}", options[at + 2]));
                at += 3;
            }
            4 => {
                if left < 2 {
                    return None;
                }
                s.push('S');
                at += 2;
            }
            8 => {
                if left < 10 {
                    return None;
                }
                let nonzero = |r: std::ops::Range<usize>| options[r].iter().any(|&b| b != 0);
                s.push('T');
                s.push(if nonzero(at + 2..at + 6) { '1' } else { '0' });
                s.push(if nonzero(at + 6..at + 10) { '1' } else { '0' });
                at += 10;
            }
            _ => at += 1,
        }
    }
    Some(s)
}

/// Whether a 20-byte IP header's checksum, recomputed with the field
/// zeroed, equals `sum`.
fn header_checksum_ok(header: &[u8], sum: u16) -> bool {
    /// The checksum field of an IPv4 header.
    const CHECKSUM: std::ops::Range<usize> = 10..12;
    let mut h = header.to_vec();
    if let Some(field) = h.get_mut(CHECKSUM) {
        field.fill(0);
    }
    !nmaps_wire::checksum::data(&h) == sum
}

/// CRC-32 (IEEE 802.3, as zlib and Nmap's `nbase_crc32`).
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::{self, IpFields};
    use nmaps_wire::{IpPair, Ipv4Repr, TcpOption, TcpOptions, TcpRepr};
    use std::net::Ipv4Addr;
    use std::time::Duration;

    const US: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
    const HOST: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 10);
    const IDS: TryIds = TryIds {
        tcp_base: 40000,
        udp_base: 41000,
        seq_base: 0x1000_0000,
        ack: 0x2000_0000,
        icmp_id: 0x1234,
        udp_ttl: 60,
    };
    const TARGETS: Targets = Targets {
        open_tcp: Some(22),
        closed_tcp: Some(81),
        closed_udp: Some(40125),
    };
    const OPEN: FinishContext = FinishContext {
        open_port: true,
        closed_port_known: true,
        scan_delay_ms: 0,
        localhost: false,
    };

    fn text(fp: &Fingerprint) -> String {
        fp.tests
            .iter()
            .map(|t| {
                let attrs: Vec<String> = t.attrs.iter().map(|(a, v)| format!("{a}={v}")).collect();
                format!("{}({})", t.name, attrs.join("%"))
            })
            .collect()
    }

    fn ip(protocol: IpProtocol, ttl: u8, ident: u16, df: bool, payload: &[u8]) -> Vec<u8> {
        let repr = Ipv4Repr {
            protocol,
            payload_len: payload.len(),
            ttl,
            ident,
            dont_frag: df,
            ..Ipv4Repr::new(HOST, US)
        };
        let mut buf = vec![0u8; repr.buffer_len() + payload.len()];
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]));
        buf[repr.buffer_len()..].copy_from_slice(payload);
        buf
    }

    struct Seg<'a> {
        sport: u16,
        offset: u16,
        flags: TcpFlags,
        seq: u32,
        ack: u32,
        window: u16,
        urgent: u16,
        options: &'a [TcpOption<'a>],
        data: &'a [u8],
        ident: u16,
    }

    impl Default for Seg<'_> {
        fn default() -> Self {
            Self {
                sport: 22,
                offset: 0,
                flags: TcpFlags::SYN | TcpFlags::ACK,
                seq: 0x5555,
                ack: IDS.seq_base + 1,
                window: 0xFE88,
                urgent: 0,
                options: &[],
                data: &[],
                ident: 0,
            }
        }
    }

    fn tcp(s: Seg<'_>) -> Vec<u8> {
        let repr = TcpRepr {
            src_port: s.sport,
            dst_port: IDS.tcp_base + s.offset,
            seq_number: s.seq,
            ack_number: s.ack,
            flags: s.flags,
            window_len: s.window,
            urgent_pointer: s.urgent,
            options: TcpOptions::from_options(s.options).unwrap(),
            payload: s.data,
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(
            &mut TcpPacket::new_unchecked(&mut buf[..]),
            &IpPair::V4 { src: HOST, dst: US },
        );
        ip(IpProtocol::Tcp, 64, s.ident, true, &buf)
    }

    fn echo_reply(i: u16, code: u8, df: bool, ttl: u8, ident: u16) -> Vec<u8> {
        let mut icmp = vec![0u8; 8 + 120];
        let mut p = nmaps_wire::Icmpv4Packet::new_unchecked(&mut icmp[..]);
        p.set_msg_type(nmaps_wire::Icmpv4Message::EchoReply);
        p.set_msg_code(code);
        p.set_echo_ident(IDS.icmp_id + i);
        p.set_echo_seq_no(295 + i);
        p.fill_checksum();
        ip(IpProtocol::Icmp, ttl, ident, df, &icmp)
    }

    fn u1_probe() -> Vec<u8> {
        probes::build(
            Kind::U1,
            &IDS,
            &TARGETS,
            US,
            HOST,
            IpFields { ttl: 1, ident: 1 },
        )
        .unwrap()
    }

    /// The port unreachable a Linux host sends for `quoted` (the probe as
    /// it arrived: TTL lowered by `hops - 1`), `keep` bytes of it.
    fn unreachable(mut quoted: Vec<u8>, hops: u8, keep: usize, unused: u32) -> Vec<u8> {
        let mut q = Ipv4Packet::new_unchecked(&mut quoted[..]);
        q.set_ttl(IDS.udp_ttl - (hops - 1));
        q.fill_checksum();
        quoted.truncate(keep);
        let mut icmp = vec![0u8; 8];
        icmp.extend_from_slice(&quoted);
        let mut p = nmaps_wire::Icmpv4Packet::new_unchecked(&mut icmp[..]);
        p.set_msg_type(nmaps_wire::Icmpv4Message::DstUnreachable);
        p.set_msg_code(3);
        p.set_rest_of_header(unused);
        p.fill_checksum();
        ip(IpProtocol::Icmp, 64 - (hops - 1), 0, false, &icmp)
    }

    /// One packet of a captured run: direction, µs since the first probe,
    /// bytes.
    fn capture(text: &str) -> (String, Vec<(bool, u64, Vec<u8>)>) {
        let mut expected = String::new();
        let mut packets = Vec::new();
        for line in text.lines() {
            if let Some(c) = line.strip_prefix("# ") {
                if c.starts_with("SEQ(") {
                    expected = c.to_string();
                }
                continue;
            }
            let mut f = line.split(' ');
            let out = f.next() == Some("out");
            let us: u64 = f.next().unwrap().parse().unwrap();
            let h = f.next().unwrap();
            let bytes = (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect();
            packets.push((out, us, bytes));
        }
        (expected, packets)
    }

    /// Replays a capture of nmap against a lab host through a collector
    /// and returns the fingerprint nmap printed and the one computed.
    fn replay(text: &str) -> (String, String, TryResult) {
        let (expected, packets) = capture(text);
        let first = &packets[0].2;
        let ip0 = Ipv4Packet::new_checked(&first[..]).unwrap();
        let t0 = TcpPacket::new_checked(ip0.payload()).unwrap();
        let mut ids = TryIds {
            tcp_base: t0.src_port(),
            udp_base: 0,
            seq_base: t0.seq_number(),
            ack: t0.ack_number(),
            icmp_id: 0,
            udp_ttl: 0,
        };
        let mut targets = Targets {
            open_tcp: Some(t0.dst_port()),
            ..Targets::default()
        };
        let mut u1 = None;
        for (out, _, p) in &packets {
            let ip = Ipv4Packet::new_checked(&p[..]).unwrap();
            if !out {
                continue;
            }
            match ip.protocol() {
                IpProtocol::Udp => {
                    let udp = nmaps_wire::UdpPacket::new_checked(ip.payload()).unwrap();
                    ids.udp_base = udp.src_port();
                    ids.udp_ttl = ip.ttl();
                    targets.closed_udp = Some(udp.dst_port());
                    u1 = Some(p.clone());
                }
                IpProtocol::Icmp if ip.payload()[1] == 9 => {
                    ids.icmp_id = u16::from_be_bytes([ip.payload()[4], ip.payload()[5]]);
                }
                IpProtocol::Tcp => {
                    let t = TcpPacket::new_checked(ip.payload()).unwrap();
                    if t.src_port() == ids.tcp_base + 17 {
                        targets.closed_tcp = Some(t.dst_port());
                    }
                }
                _ => {}
            }
        }
        let mut c = Collector::new(ids, targets, u1.as_deref());
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut seen = std::collections::HashSet::new();
        for (out, us, p) in &packets {
            if !out {
                c.process(p);
                continue;
            }
            let ip = Ipv4Packet::new_checked(&p[..]).unwrap();
            let kind = match ip.protocol() {
                IpProtocol::Tcp => {
                    let t = TcpPacket::new_checked(ip.payload()).unwrap();
                    match t.src_port() - ids.tcp_base {
                        i @ 0..=5 => Kind::Seq(i as u8),
                        i @ 6..=11 => Kind::Ops(i as u8 - 6),
                        12 => Kind::Ecn,
                        n => Kind::T(n as u8 - 12),
                    }
                }
                IpProtocol::Icmp => Kind::Ie(ip.payload()[5].wrapping_sub(ids.icmp_id as u8)),
                _ => Kind::U1,
            };
            if let Kind::Seq(i) = kind {
                c.seq_sent(usize::from(i), base + Duration::from_micros(*us));
            }
            if !seen.insert(kind) {
                c.retransmitted(kind);
            }
        }
        let r = c.finish(&OPEN);
        (expected, text_of(&r.fingerprint), r)
    }

    fn text_of(fp: &Fingerprint) -> String {
        text(fp)
    }

    /// Leaves out the attributes that depend on timing (SP, ISR).
    fn untimed(s: &str) -> String {
        let mut out = s.to_string();
        for attr in ["SP=", "ISR="] {
            if let Some(at) = out.find(attr) {
                let end = out[at..].find(['%', ')']).map_or(out.len(), |e| at + e);
                out.replace_range(at..end, &format!("{attr}*"));
            }
        }
        out
    }

    #[test]
    fn a_captured_nmap_run_gives_nmaps_fingerprint() {
        for (name, data) in [
            ("web", include_str!("../testdata/lab-web.txt")),
            ("far", include_str!("../testdata/lab-far.txt")),
        ] {
            let (want, got, r) = replay(data);
            assert_eq!(untimed(&got), untimed(&want), "{name}");
            assert_eq!(r.seq.responses, 6);
            assert_eq!(r.seq.ipid_class, Some(IpIdClass::Zero));
            assert_eq!(r.seq.ts_class, Some(TsClass::Other));
            assert!(r.seq.lastboot.is_some());
            assert!(r.u1_answered);
            assert!((0.9..1.4).contains(&r.timing_ratio), "{}", r.timing_ratio);
            // SP and ISR from our clock readings land within one step of
            // nmap's (see the lab conformance test for the tolerance).
            for attr in ["SP", "ISR"] {
                let v = |s: &str| {
                    let at = s.find(&format!("{attr}=")).unwrap() + attr.len() + 1;
                    let end = at + s[at..].find('%').unwrap();
                    i64::from_str_radix(&s[at..end], 16).unwrap()
                };
                assert!(
                    (v(&got) - v(&want)).abs() <= 2,
                    "{name} {attr}: {got} vs {want}"
                );
            }
        }
        assert_eq!(
            replay(include_str!("../testdata/lab-far.txt")).2.hops,
            Some(2)
        );
        assert_eq!(
            replay(include_str!("../testdata/lab-web.txt")).2.hops,
            Some(1)
        );
    }

    #[test]
    fn the_embedded_database_knows_the_lab_hosts() {
        use crate::stage::Matcher;
        let m =
            crate::dbmatch::DbMatcher::new(std::sync::Arc::new(crate::OsDb::embedded().clone()));
        for data in [
            include_str!("../testdata/lab-web.txt"),
            include_str!("../testdata/lab-far.txt"),
        ] {
            let (_, _, r) = replay(data);
            let c = m.classify(&r.fingerprint, false);
            assert!(c.perfect, "{c:?}");
            let names: Vec<&str> = c.matches.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, ["Linux (lab, defaults)"]);
            assert_eq!(c.matches[0].classes[0].cpe, ["cpe:/o:linux:linux_kernel:6"]);
        }
    }

    #[test]
    fn ip_id_classes() {
        use IpIdClass::*;
        let cases: &[(&[u16], bool, IpIdClass)] = &[
            (&[0, 0, 0], false, Zero),
            (&[7, 7, 7], false, Constant),
            (&[1, 2, 3, 4], false, Incremental),
            (&[1, 3, 5, 7], false, IncrementBy2),
            (&[0x100, 0x200, 0x300], false, BrokenIncremental),
            (&[100, 1200, 1300], false, RandomPositive),
            (&[100, 25700, 25701], false, Random),
            (&[40000, 100, 200], false, Random),
            // Two samples: no random check; the 16-bit cut makes it small.
            (&[65535, 2], false, Incremental),
            (&[1, 12, 40, 41], false, Unknown),
            // Loopback: each reply's RST costs one more ID.
            (&[0x100, 0x200, 0x300], true, Constant),
            (&[10, 12, 14, 16], true, Incremental),
            (&[10, 13, 16], true, IncrementBy2),
            (&[5], false, Unknown),
        ];
        for (ids, lo, want) in cases {
            assert_eq!(ipid_class(ids, *lo), *want, "{ids:?} localhost={lo}");
        }
        assert_eq!(
            ipid_value(Constant, &[0x1A2B, 0x1A2B]).as_deref(),
            Some("1A2B")
        );
        assert_eq!(ipid_value(IncrementBy2, &[]).as_deref(), Some("I"));
        assert_eq!(ipid_value(Unknown, &[1]), None);
    }

    #[test]
    fn option_strings_follow_nmap_793() {
        // Linux's SYN/ACK: MSS, SACK, timestamp (TSecr echoed), NOP, WS.
        let linux = [
            2, 4, 5, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 1, 3, 3, 7,
        ];
        assert_eq!(option_string(&linux).as_deref(), Some("M5B4ST11NW7"));
        assert_eq!(
            option_string(&[8, 10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]).as_deref(),
            Some("T01LL")
        );
        assert_eq!(option_string(&[]).as_deref(), Some(""));
        // An unknown kind costs one byte: its length byte is read as a kind.
        assert_eq!(option_string(&[30, 4, 0, 0]).as_deref(), Some("SL"));
        // Truncated options: the whole value is empty.
        assert_eq!(option_string(&[1, 2, 4, 5]), None);
        assert_eq!(option_string(&[8, 10, 0]), None);
        assert_eq!(timestamp_option(&linux), Some(0x0102_0304));
        assert_eq!(
            timestamp_option(&[1, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0]),
            None
        );
        assert_eq!(timestamp_option(&[8, 9, 0, 0]), None);
    }

    /// Six SYN/ACKs with these ISNs and TSvals, 100 ms apart.
    fn seq_run(
        isns: &[u32; 6],
        stamps: Option<[u32; 6]>,
        ident: impl Fn(usize) -> u16,
    ) -> TryResult {
        let mut c = Collector::new(IDS, TARGETS, None);
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        for i in 0..6 {
            c.seq_sent(i, base + Duration::from_millis(100 * i as u64));
            let ts = stamps.map(|s| TcpOption::Timestamp {
                tsval: s[i],
                tsecr: 0xffff_ffff,
            });
            let opts: Vec<TcpOption<'_>> = ts.into_iter().collect();
            let p = tcp(Seg {
                offset: i as u16,
                seq: isns[i],
                ack: IDS.seq_base + i as u32 + 1,
                options: &opts,
                ident: ident(i),
                ..Seg::default()
            });
            assert_eq!(c.process(&p), Some(Kind::Seq(i as u8)));
            assert_eq!(c.process(&p), None, "a duplicate is not useful");
        }
        c.finish(&OPEN)
    }

    #[test]
    fn seq_gcd_isr_sp_and_timestamps() {
        // 64000 per 100 ms: GCD FA00, 640000/s: ISR round(8·log2) = 154.
        let isns = [1, 64001, 128_001, 192_001, 256_001, 320_001];
        let stamps = [1000, 1010, 1020, 1030, 1040, 1050];
        let r = seq_run(&isns, Some(stamps), |i| 100 + i as u16);
        let seq = r.fingerprint.test("SEQ").unwrap();
        assert_eq!(seq.get("GCD"), Some("FA00"));
        assert_eq!(seq.get("ISR"), Some("9A"));
        assert_eq!(seq.get("SP"), Some("0"));
        assert_eq!(seq.get("TI"), Some("I"));
        // 100 Hz timestamps: TS=7, uptime 1000/100 s before the first probe.
        assert_eq!(seq.get("TS"), Some("7"));
        assert_eq!(r.seq.ts_class, Some(TsClass::Hz100));
        assert_eq!(r.seq.lastboot, Some(1_800_000_000 - 10));
        assert_eq!(r.seq.seqs, isns.to_vec());

        // Irregular increments: SP from the standard deviation of the rates.
        let isns = [1000, 3000, 4000, 9000, 10000, 30000];
        let r = seq_run(&isns, Some([1000, 1100, 1200, 1300, 1400, 1500]), |_| 0);
        let seq = r.fingerprint.test("SEQ").unwrap();
        // Rates 20000, 10000, 50000, 10000, 200000 /s (GCD 1000 > 9 divides).
        assert_eq!(seq.get("GCD"), Some("3E8"));
        assert_eq!(seq.get("ISR"), Some("7F")); // log2(58000)·8 = 126.6
        // Rates ÷ GCD deviate by -38, -48, -8, -48, 142 from their mean:
        // sqrt(26280 / 4) = 81.06, log2·8 = 50.7.
        assert_eq!(seq.get("SP"), Some("33"));
        assert_eq!(seq.get("TI"), Some("Z"));
        assert_eq!(seq.get("TS"), Some("A")); // 1000 Hz
        assert_eq!(r.seq.ts_class, Some(TsClass::Hz1000));

        // Constant ISNs: GCD 0, SP and ISR 0. No timestamps: TS=U.
        let r = seq_run(&[5; 6], None, |i| 7 + 2 * i as u16);
        let seq = r.fingerprint.test("SEQ").unwrap();
        assert_eq!(
            (seq.get("SP"), seq.get("GCD"), seq.get("ISR")),
            (Some("0"), Some("0"), Some("0"))
        );
        assert_eq!(seq.get("TS"), Some("U"));
        assert_eq!(r.seq.lastboot, None);
        // Zero timestamps: TS=0.
        let r = seq_run(&isns, Some([0; 6]), |_| 0);
        assert_eq!(r.fingerprint.get("SEQ", "TS"), Some("0"));
    }

    #[test]
    fn seq_needs_four_replies_for_sp_gcd_isr() {
        let mut c = Collector::new(IDS, TARGETS, None);
        for i in 0..3u16 {
            c.seq_sent(
                usize::from(i),
                SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(i)),
            );
            c.process(&tcp(Seg {
                offset: i,
                seq: 1 + u32::from(i) * 10,
                ..Seg::default()
            }));
        }
        let r = c.finish(&OPEN);
        let seq = r.fingerprint.test("SEQ").unwrap();
        assert_eq!(seq.get("SP"), None);
        assert_eq!(seq.get("TI"), Some("Z"));
        // Without all six replies there are no OPS and WIN lines.
        assert!(r.fingerprint.test("OPS").is_none());
        assert!(r.fingerprint.test("WIN").is_none());
        assert_eq!(r.seq.responses, 3);
    }

    #[test]
    fn ecn_cc_and_quirks() {
        let cases = [
            (TcpFlags::ECE | TcpFlags::CWR, "S"),
            (TcpFlags::ECE, "Y"),
            (TcpFlags(0), "N"),
            (TcpFlags::CWR, "O"),
        ];
        for (extra, want) in cases {
            let mut c = Collector::new(IDS, TARGETS, None);
            let p = tcp(Seg {
                offset: 12,
                flags: TcpFlags::SYN | TcpFlags::ACK | extra | TcpFlags(0x100),
                urgent: 5,
                options: &[TcpOption::MaxSegmentSize(1460), TcpOption::NoOperation],
                ..Seg::default()
            });
            assert_eq!(c.process(&p), Some(Kind::Ecn));
            let r = c.finish(&OPEN);
            let ecn = r.fingerprint.test("ECN").unwrap();
            assert_eq!(ecn.get("CC"), Some(want));
            assert_eq!(ecn.get("Q"), Some("RU"));
            assert_eq!(ecn.get("O"), Some("M5B4NLLL"));
            assert_eq!(ecn.get("W"), Some("FE88"));
        }
    }

    #[test]
    fn t_tests_s_a_f_rd_and_r_n() {
        let mut c = Collector::new(IDS, TARGETS, None);
        let rst_data = b"hello";
        /// Port offset, source port, flags, seq, ack, data.
        type Case<'a> = (u16, u16, TcpFlags, u32, u32, &'a [u8]);
        let cases: [Case<'_>; 5] = [
            (14, 22, TcpFlags::RST | TcpFlags::ACK, 0, IDS.seq_base, &[]),
            (15, 22, TcpFlags::RST, IDS.ack, 0, rst_data),
            (
                17,
                81,
                TcpFlags::RST | TcpFlags::ACK,
                IDS.ack + 1,
                IDS.seq_base + 1,
                &[],
            ),
            (
                18,
                81,
                TcpFlags::ECE | TcpFlags::URG | TcpFlags::PSH | TcpFlags::FIN,
                9,
                9,
                &[],
            ),
            // From the wrong port: not a reply.
            (19, 22, TcpFlags::RST, 0, 0, &[]),
        ];
        for (offset, sport, flags, seq, ack, data) in cases {
            c.process(&tcp(Seg {
                sport,
                offset,
                flags,
                seq,
                ack,
                window: 0,
                data,
                ..Seg::default()
            }));
        }
        let r = c.finish(&OPEN);
        let fp = &r.fingerprint;
        assert_eq!(fp.get("T2", "S"), Some("Z"));
        assert_eq!(fp.get("T2", "A"), Some("S"));
        assert_eq!(fp.get("T2", "F"), Some("AR"));
        assert_eq!(fp.get("T2", "RD"), Some("0"));
        assert_eq!(fp.get("T3", "S"), Some("A"));
        assert_eq!(fp.get("T3", "A"), Some("Z"));
        assert_eq!(
            fp.get("T3", "RD"),
            Some(format!("{:08X}", crc32(rst_data)).as_str())
        );
        assert_eq!(fp.get("T5", "S"), Some("A+"));
        assert_eq!(fp.get("T5", "A"), Some("S+"));
        assert_eq!(fp.get("T6", "S"), Some("O"));
        assert_eq!(fp.get("T6", "A"), Some("O"));
        assert_eq!(fp.get("T6", "F"), Some("EUPF"));
        // Missing replies are R=N, TTLs without a hop count become TG.
        assert_eq!(
            text(&Fingerprint {
                tests: vec![fp.test("T7").unwrap().clone()]
            }),
            "T7(R=N)"
        );
        assert_eq!(fp.get("T4", "R"), Some("N"));
        assert_eq!(fp.get("T2", "TG"), Some("40"));
        assert_eq!(fp.get("T2", "T"), None);
        assert_eq!(r.hops_guess, Some(0));
        // No closed port known: T5-T7 missing are left out.
        let r = Collector::new(IDS, TARGETS, None).finish(&FinishContext {
            closed_port_known: false,
            ..OPEN
        });
        assert!(r.fingerprint.test("T5").is_none());
        assert_eq!(r.fingerprint.get("T4", "R"), Some("N"));
        assert_eq!(r.fingerprint.get("U1", "R"), Some("N"));
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn u1_checks_and_hop_count() {
        let probe = u1_probe();
        // A faithful router-crossing quote: everything G, T from hops.
        let mut c = Collector::new(IDS, TARGETS, Some(&probe));
        assert_eq!(
            c.process(&unreachable(probe.clone(), 2, 328, 0)),
            Some(Kind::U1)
        );
        assert_eq!(
            c.process(&echo_reply(0, 0, false, 63, 0)),
            Some(Kind::Ie(0))
        );
        let r = c.finish(&OPEN);
        assert_eq!(r.hops, Some(2));
        let u1 = r.fingerprint.test("U1").unwrap();
        assert_eq!(
            text(&Fingerprint {
                tests: vec![u1.clone()]
            }),
            "U1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)"
        );

        // A host that mangles what it quotes.
        let mut bad = probe.clone();
        {
            let mut q = Ipv4Packet::new_unchecked(&mut bad[..]);
            q.set_ident(0x4210);
            q.set_total_len(0x0148 + 2);
        }
        let mut quoted = unreachable(bad, 1, 28 + 4, 0x0001_0203);
        // Corrupt the quoted IP checksum, UDP checksum and one data byte.
        let q_at = 20 + 8;
        quoted[q_at + 10] ^= 0xff;
        quoted[q_at + 26] ^= 0xff;
        quoted[q_at + 29] = b'D';
        let mut c = Collector::new(IDS, TARGETS, Some(&probe));
        assert_eq!(c.process(&quoted), Some(Kind::U1));
        let r = c.finish(&OPEN);
        let fp = &r.fingerprint;
        assert_eq!(fp.get("U1", "IPL"), Some("3C"));
        assert_eq!(fp.get("U1", "UN"), Some("203"), "7.93 keeps 16 bits");
        assert_eq!(fp.get("U1", "RIPL"), Some("14A"));
        assert_eq!(fp.get("U1", "RID"), Some("4210"));
        assert_eq!(fp.get("U1", "RIPCK"), Some("I"));
        assert_ne!(fp.get("U1", "RUCK"), Some("G"));
        assert_eq!(fp.get("U1", "RUD"), Some("I"));
        // The quote of another datagram is not U1's reply.
        let mut c = Collector::new(IDS, TARGETS, Some(&probe));
        let mut other = probe.clone();
        other[20] ^= 1;
        assert_eq!(c.process(&unreachable(other, 1, 328, 0)), None);
    }

    #[test]
    fn ie_dfi_and_cd() {
        let cases = [
            ((true, 9), (false, 0), "S", "S"),
            ((true, 0), (true, 0), "Y", "Z"),
            ((false, 9), (false, 9), "N", "9"),
            ((false, 0), (true, 9), "O", "O"),
        ];
        for ((df1, cd1), (df2, cd2), dfi, cd) in cases {
            let mut c = Collector::new(IDS, TARGETS, None);
            assert_eq!(
                c.process(&echo_reply(1, cd2, df2, 100, 9)),
                Some(Kind::Ie(1))
            );
            assert_eq!(
                c.process(&echo_reply(0, cd1, df1, 120, 8)),
                Some(Kind::Ie(0))
            );
            assert_eq!(c.process(&echo_reply(0, cd1, df1, 120, 8)), None);
            let r = c.finish(&OPEN);
            assert_eq!(r.fingerprint.get("IE", "DFI"), Some(dfi));
            assert_eq!(r.fingerprint.get("IE", "CD"), Some(cd));
            // 7.93: T is IE1's reply's TTL.
            assert_eq!(r.fingerprint.get("IE", "TG"), Some("80"));
        }
        // A retransmitted probe's reply does not count for II.
        let mut c = Collector::new(IDS, TARGETS, None);
        c.retransmitted(Kind::Ie(0));
        c.process(&echo_reply(0, 0, false, 64, 5));
        c.process(&echo_reply(1, 0, false, 64, 6));
        assert_eq!(c.finish(&OPEN).fingerprint.get("SEQ", "II"), None);
        // Another identifier is somebody else's echo.
        let mut c = Collector::new(IDS, TARGETS, None);
        assert_eq!(c.process(&echo_reply(2, 0, false, 64, 6)), None);
    }

    #[test]
    fn shared_ip_id_sequence() {
        for (icmp_first, want) in [(106u16, "S"), (30000, "O")] {
            let isns = [1, 2, 3, 4, 5, 6];
            let mut c = Collector::new(IDS, TARGETS, None);
            let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
            for i in 0..6u16 {
                c.seq_sent(
                    usize::from(i),
                    base + Duration::from_millis(u64::from(i) * 100),
                );
                c.process(&tcp(Seg {
                    offset: i,
                    seq: isns[usize::from(i)],
                    ident: 100 + i,
                    ..Seg::default()
                }));
            }
            c.process(&echo_reply(0, 0, false, 64, icmp_first));
            c.process(&echo_reply(1, 0, false, 64, icmp_first + 1));
            let r = c.finish(&OPEN);
            assert_eq!(r.fingerprint.get("SEQ", "TI"), Some("I"));
            assert_eq!(r.fingerprint.get("SEQ", "II"), Some("I"));
            assert_eq!(r.fingerprint.get("SEQ", "SS"), Some(want));
        }
    }

    #[test]
    fn hostile_packets_never_panic() {
        let probe = u1_probe();
        let mut c = Collector::new(IDS, TARGETS, Some(&probe));
        let good = [
            tcp(Seg::default()),
            echo_reply(0, 0, true, 64, 1),
            unreachable(probe.clone(), 1, 328, 0),
        ];
        for g in &good {
            for n in 0..g.len() {
                c.process(&g[..n]);
                let mut m = g.clone();
                m[n] ^= 0xff;
                c.process(&m);
            }
        }
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..400usize {
            let mut junk: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            if len > 20 {
                junk[0] = 0x45;
            }
            c.process(&junk);
        }
        let _ = c.finish(&OPEN);
    }

    #[test]
    fn difficulty_words() {
        assert_eq!(difficulty(0), "Trivial joke");
        assert_eq!(difficulty(5), "Easy");
        assert_eq!(difficulty(10), "Medium");
        assert_eq!(difficulty(11), "Formidable");
        assert_eq!(difficulty(15), "Worthy challenge");
        assert_eq!(difficulty(256), "Good luck!");
    }
}
