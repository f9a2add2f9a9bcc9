//! A DNS server for tests, on the loopback of a test's private namespace.
//! It answers A and PTR questions from a fixed table and nothing else (no
//! recursion, no forwarding), built on hickory-proto's message types.
#![allow(unsafe_code)]

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, PTR};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::AsRawFd;

pub struct Zone {
    /// (name, address): answers A for the name and PTR for the address.
    pub hosts: Vec<(Name, Ipv4Addr)>,
    /// Extra A records only (a name with several addresses).
    pub extra_a: Vec<(Name, Ipv4Addr)>,
}

/// Bind UDP 127.0.0.1:53 inside the namespace `ns` and serve `zone` from a
/// background thread for the rest of the test process.
pub fn serve(ns: &str, zone: Zone) {
    let path = format!("/var/run/netns/{ns}");
    let socket = std::thread::spawn(move || {
        let f = std::fs::File::open(&path).expect("open netns");
        // SAFETY: setns with a valid namespace fd only changes this thread's
        // network namespace; the thread ends right after binding.
        let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns failed");
        UdpSocket::bind("127.0.0.1:53").expect("bind 127.0.0.1:53 in the test namespace")
    })
    .join()
    .expect("bind thread");
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            if let Some(reply) = answer(&zone, &buf[..n]) {
                let _ = socket.send_to(&reply, peer);
            }
        }
    });
}

fn answer(zone: &Zone, query: &[u8]) -> Option<Vec<u8>> {
    let q = Message::from_vec(query).ok()?;
    let mut r = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
    r.metadata.authoritative = true;
    r.metadata.recursion_desired = q.metadata.recursion_desired;
    let question = q.queries.first()?.clone();
    r.add_query(question.clone());
    let qname = question.name().to_lowercase();
    let mut found = false;
    match question.query_type() {
        RecordType::A => {
            for (name, addr) in zone.hosts.iter().chain(&zone.extra_a) {
                if name.to_lowercase() == qname {
                    r.add_answer(Record::from_rdata(name.clone(), 60, RData::A(A(*addr))));
                    found = true;
                }
            }
        }
        RecordType::PTR => {
            for (name, addr) in &zone.hosts {
                let o = addr.octets();
                let rev = format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0]);
                if Name::from_ascii(&rev).ok()?.to_lowercase() == qname {
                    r.add_answer(Record::from_rdata(
                        question.name().clone(),
                        60,
                        RData::PTR(PTR(name.clone())),
                    ));
                    found = true;
                }
            }
        }
        _ => {}
    }
    let known = zone
        .hosts
        .iter()
        .chain(&zone.extra_a)
        .any(|(n, _)| n.to_lowercase() == qname);
    if !found && !known {
        r.metadata.response_code = ResponseCode::NXDomain;
    }
    r.to_vec().ok()
}
