//! OS detection (`-O`): Nmap's second-generation TCP/IP fingerprinting.
//!
//! - [`fingerprint`]: a measured fingerprint (test lines and attributes)
//!   and its text in Nmap's submission format.
//!
//! The shared type is [`Fingerprint`]: the probe side builds it from the
//! replies, the matcher scores it against a database of references.

pub mod compute;
pub mod fingerprint;
pub mod probes;
pub mod stage;

pub use fingerprint::{Fingerprint, Test};
