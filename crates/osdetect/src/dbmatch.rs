//! The stage's [`Matcher`] over a reference database: Nmap's
//! `nmap-os-db` from the data directory, or the project's own embedded one.

use crate::db::OsDb;
use crate::fingerprint::Fingerprint;
use crate::matcher::{match_fingerprint, os_result};
use crate::stage::{Classified, Matcher};
use std::path::Path;
use std::sync::Arc;

/// Scores fingerprints against one database.
#[derive(Debug)]
pub struct DbMatcher {
    db: Arc<OsDb>,
}

impl DbMatcher {
    pub fn new(db: Arc<OsDb>) -> Self {
        Self { db }
    }
}

impl Matcher for DbMatcher {
    fn classify(&self, fp: &Fingerprint, guess: bool) -> Classified {
        let list = match_fingerprint(&self.db, fp);
        let (matches, verdict, _) = os_result(&self.db, &list, guess);
        Classified {
            matches,
            verdict,
            best: list.best_accuracy().unwrap_or(0.0),
            perfect: list.is_perfect(),
        }
    }
}

/// A matcher over `file` (an `nmap-os-db`), or over the embedded database
/// when there is none.
pub fn load(file: Option<&Path>) -> Result<Arc<dyn Matcher>, String> {
    let db = match file {
        Some(f) => OsDb::load(f).map_err(|e| format!("{}: {e}", f.display()))?,
        None => OsDb::embedded().clone(),
    };
    Ok(Arc::new(DbMatcher::new(Arc::new(db))))
}
