//! The embedded probe database (`data/service-probes`) against responses
//! captured from real daemons (the lab and a private network namespace) or
//! written from protocol documents: every fixture in
//! `tests/responses/expected.json` must give the expected service, product
//! and version with the pcre2 matcher the scan uses.

use nmaps_service::{MatchOutcome, ProbeDb, Proto};
use serde_json::Value;

fn field(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[test]
fn embedded_database_parses_and_is_the_projects_own() {
    let db = ProbeDb::embedded();
    assert!(db.probes.len() >= 50, "{} probes", db.probes.len());
    assert!(db.pattern_count() >= 300, "{} patterns", db.pattern_count());
    let services: std::collections::HashSet<&str> = db
        .probes
        .iter()
        .flat_map(|p| p.matches.iter().map(|m| m.service.as_str()))
        .collect();
    assert!(services.len() >= 60, "{} services", services.len());
    // Parsing the file itself (not the cached copy) gives no error.
    let text = include_str!("../../../data/service-probes");
    ProbeDb::parse(text).expect("data/service-probes parses");
}

#[test]
fn every_fixture_matches_as_expected() {
    let db = ProbeDb::embedded();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/responses");
    let list: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/expected.json")).unwrap())
            .unwrap();
    assert!(list.len() >= 100, "{} fixtures", list.len());
    let mut failures = Vec::new();
    for f in &list {
        let file = f["file"].as_str().unwrap();
        let data = std::fs::read(format!("{dir}/{file}")).unwrap();
        let proto = match f["proto"].as_str() {
            Some("udp") => Proto::Udp,
            _ => Proto::Tcp,
        };
        let probe = db
            .probe(proto, f["probe"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{file}: no probe {}", f["probe"]));
        // Judged as the scan judges a whole response (no soft match yet).
        let got = match db.match_response(probe, &data, None) {
            MatchOutcome::Hard(m) => Some((m, false)),
            MatchOutcome::Soft(m) => Some((m, true)),
            MatchOutcome::None => None,
        };
        let want = field(f, "service");
        match (&want, &got) {
            (None, None) => {}
            (None, Some((m, _))) => {
                failures.push(format!("{file}: matched {} (line {})", m.service, m.line))
            }
            (Some(w), None) => failures.push(format!("{file}: expected {w}, nothing matched")),
            (Some(w), Some((m, soft))) => {
                let checks = [
                    ("service", Some(m.service.clone()), Some(w.clone())),
                    ("product", m.info.product.clone(), field(f, "product")),
                    ("version", m.info.version.clone(), field(f, "version")),
                    ("extrainfo", m.info.extrainfo.clone(), field(f, "extrainfo")),
                    ("ostype", m.info.ostype.clone(), field(f, "ostype")),
                    ("hostname", m.info.hostname.clone(), field(f, "hostname")),
                ];
                for (name, have, want) in checks {
                    // Fields the fixture leaves out are not checked.
                    if name != "service" && f.get(name).is_none() {
                        continue;
                    }
                    if have != want {
                        failures.push(format!("{file}: {name} {have:?}, expected {want:?}"));
                    }
                }
                if f["soft"].as_bool() == Some(!soft) {
                    failures.push(format!("{file}: soft={soft}, expected {}", !soft));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures fail:\n{}",
        failures.len(),
        list.len(),
        failures.join("\n")
    );
}
