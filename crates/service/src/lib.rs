//! Version detection (`-sV`) data and logic without networking: the
//! `nmap-service-probes` database ([`db`]), version templates
//! ([`template`]) and the fingerprint of unrecognised services
//! ([`fingerprint`]). The scan engine drives these: [`ProbeCursor`] (or
//! [`ProbeDb::plan`]) says which probe to send next, [`ProbeDb::match_response`]
//! judges what came back.

pub mod db;
pub mod fingerprint;
pub mod scan;
pub mod template;

pub use db::{
    DEFAULT_TCPWRAPPED, DEFAULT_TOTAL_WAIT, DbError, Found, Match, MatchOutcome, PortSet, Probe,
    ProbeCursor, ProbeDb, Proto,
};
pub use fingerprint::{FpParams, service_fingerprint};
