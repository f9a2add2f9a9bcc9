//! Feeds arbitrary bytes to the reply parser and pretty-printer, and walks
//! every option and chunk list it exposes. Nothing may panic.
#![no_main]

use core::fmt::Write;

use libfuzzer_sys::fuzz_target;
use nmaps_wire::{Body, parse_reply};

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = parse_reply(data) {
        let mut out = String::new();
        let _ = write!(out, "{reply}");
        match reply.body {
            Body::Tcp(seg) => seg.options().for_each(drop),
            Body::Sctp(sctp) => sctp.chunks().for_each(drop),
            _ => {}
        }
    }
    // Also through the per-protocol views directly.
    if let Ok(p) = nmaps_wire::Ipv4Packet::new_lax(data) {
        let _ = p.payload();
        nmaps_wire::ipv4::OptionIter::new(p.options()).for_each(drop);
    }
    if let Ok(p) = nmaps_wire::Ipv6Packet::new_lax(data) {
        let _ = p.upper_layer();
    }
});
