//! Everything about *what* to scan, without any I/O beyond reading a data
//! directory on request: the service table ([`services`]), Nmap's port
//! specification syntax ([`ports`]), target syntax and exclude lists
//! ([`target`]), the reproducible port order ([`permute`]) and the MAC
//! vendor table ([`macs`]).
//!
//! All parsers take arbitrary user text and never panic.

pub mod macs;
pub mod permute;
pub mod ports;
pub mod services;
pub mod target;

pub use macs::MacVendors;
pub use permute::{scan_order, scan_order_for};
pub use ports::{
    PortList, PortSelection, PortSpec, PortSpecError, ProtoSet, Resolution, parse_port_spec,
    parse_port_spec_for, select_ports,
};
pub use services::{Protocols, Services};
pub use target::{
    AddrRange, ExcludeList, TargetError, TargetSpec, apply_prefix, parse_target, split_target_file,
};
