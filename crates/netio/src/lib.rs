//! Network I/O for the raw-packet scan engines (Linux).
//!
//! - [`capture`]: incoming packets of every interface (`AF_PACKET` + BPF),
//!   and Ethernet frames out (ARP, neighbor discovery).
//! - [`iface`]: interfaces (addresses, MAC, MTU, flags) and routes.
//! - [`raw`]: raw IPv4 sending (batched with `sendmmsg`) and TCP receiving.
//! - [`route`]: the source address the kernel would use for a destination.
//!
//! Library code never prints; every failure is returned as an
//! [`std::io::Error`].

pub mod capture;
pub mod iface;
pub mod raw;
pub mod route;
