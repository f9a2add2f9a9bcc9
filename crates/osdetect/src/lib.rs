//! OS detection (`-O`): Nmap's second-generation TCP/IP fingerprinting.
//!
//! - [`fingerprint`]: a measured fingerprint (test lines and attributes)
//!   and its text in Nmap's submission format.
//! - [`db`]: the nmap-os-db format (Nmap's file, or the project's own
//!   embedded database).
//! - [`expr`]: the value expressions of database test lines and the rules
//!   (Nmap 7.93 or 7.95) by which observed values are matched.
//! - [`matcher`]: scoring a fingerprint against the database, Nmap's list
//!   of matches, and what Nmap reports from it.
//!
//! - [`probes`]: the 16 probes, built as Nmap sends them.
//! - [`compute`]: the tests computed from the replies of one try.
//! - [`stage`]: the `-O` host stage (ports, tries, the report).
//!
//! The shared type is [`Fingerprint`]: the probe side builds it from the
//! replies, the matcher scores it against a database of references.

pub mod compute;
pub mod db;
pub mod dbmatch;
pub mod expr;
pub mod fingerprint;
pub mod matcher;
pub mod probes;
pub mod stage;

pub use db::{DbClass, DbError, OsDb, Reference};
pub use expr::Rules;
pub use fingerprint::{
    DistanceMethod, Fingerprint, FingerprintError, ScanLine, Test, merge_tries, submission_lines,
    submission_text, wrap_os_lines,
};
pub use matcher::{
    Candidate, Comparison, MatchList, Mismatch, best_try, compare, match_fingerprint, os_result,
};
