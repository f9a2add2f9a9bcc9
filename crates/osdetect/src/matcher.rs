//! Scoring a subject fingerprint against every reference, Nmap's way
//! (`match_fingerprint` and `compare_fingerprints` in `osscan.cc`), and
//! turning the result into the matches and verdict Nmap reports
//! (`printosscanoutput` in `output.cc`).
//!
//! Scoring: for every attribute that both the reference and the subject
//! have, the attribute's `MatchPoints` weight is *possible*, and *matched*
//! when the subject's value satisfies the reference's expression.
//! Accuracy = matched / possible (0 when nothing was comparable).
//!
//! The list: references are visited in file order. One enters when its
//! accuracy reaches the entrance requirement (0.85 at first) or is
//! perfect (1.0). A reference whose name is already listed replaces the
//! listed one only when strictly better. The list is sorted by accuracy,
//! later entries going after earlier ones of equal accuracy, and holds at
//! most 36; once full, the requirement becomes the 36th accuracy plus
//! 0.00001. A 37th perfect match ends the search: too many matches.
//!
//! A reference is abandoned as soon as its mismatched weight shows it can
//! no longer reach the requirement (Nmap 7.95 does that; 7.93 scores
//! everything, and since the abandon test here keeps a margin, the lists
//! agree).

use crate::db::{OsDb, Reference};
use crate::expr::{Rules, Value};
use crate::fingerprint::{
    Fingerprint, SLOT_BASE, SLOTS, TEST_ATTRS, attr_index, slot_names, test_index,
};
use nmaps_model::{OsClass, OsMatch, OsVerdict};

/// Nmap's `OSSCAN_GUESS_THRESHOLD`: lower accuracies are not considered.
pub const GUESS_THRESHOLD: f64 = 0.85;
/// Most references the list holds (Nmap's `MAX_FP_RESULTS`).
pub const MAX_MATCHES: usize = 36;
/// Most perfect matches Nmap lists as "OS details"; more are "too many".
pub const MAX_LISTED_PERFECT: usize = 8;
/// Guesses must be above the best accuracy minus this.
pub const GUESS_SPREAD: f64 = 0.10;

/// A reference that made the list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Index into [`OsDb::references`].
    pub index: usize,
    /// matched / possible, in 0..=1.
    pub accuracy: f64,
}

/// The references retained for one subject fingerprint, best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchList {
    entries: Vec<Candidate>,
    perfect: usize,
    too_many: bool,
}

impl MatchList {
    /// The retained references in Nmap's order.
    pub fn candidates(&self) -> &[Candidate] {
        &self.entries
    }

    /// The best accuracy, if anything reached the threshold.
    pub fn best_accuracy(&self) -> Option<f64> {
        self.entries.first().map(|c| c.accuracy)
    }

    /// Number of perfect (1.0) matches in the list.
    pub fn perfect_count(&self) -> usize {
        self.perfect
    }

    /// More than [`MAX_MATCHES`] perfect matches: the search stopped.
    pub fn too_many(&self) -> bool {
        self.too_many
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// A try "succeeded" for Nmap when it found a perfect match without
    /// overflowing; the scan then stops retrying.
    pub fn is_perfect(&self) -> bool {
        !self.too_many && self.perfect > 0
    }
}

/// The subject's values by slot, as the rules read them.
struct Subject<'a> {
    values: [Option<Value<'a>>; SLOTS],
    /// Each slot's value as an index into the distinct values, for the
    /// memo.
    ids: [u8; SLOTS],
    distinct: usize,
}

impl<'a> Subject<'a> {
    fn new(fp: &'a Fingerprint, rules: Rules) -> Self {
        let mut values = [None; SLOTS];
        let mut seen = 0u16;
        for test in &fp.tests {
            let Some(t) = test_index(&test.name) else {
                continue;
            };
            // A repeated test (merged tries): the first one counts.
            if seen & (1 << t) != 0 {
                continue;
            }
            seen |= 1 << t;
            for (attr, value) in &test.attrs {
                if let Some(a) = attr_index(t, attr) {
                    values[SLOT_BASE[t] + a].get_or_insert(Value::new(value));
                }
            }
            // Nmap 7.95 reads a test without R as R=Y (R=N when empty).
            if rules == Rules::Nmap795 && TEST_ATTRS[t][0] == "R" {
                let r = &mut values[SLOT_BASE[t]];
                if r.is_none() {
                    let others = test.attrs.iter().any(|(a, _)| a != "R");
                    *r = Some(Value::new(if others { "Y" } else { "N" }));
                }
            }
        }
        let mut ids = [0u8; SLOTS];
        let mut seen_texts: Vec<&str> = Vec::new();
        for (slot, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let id = seen_texts
                    .iter()
                    .position(|t| *t == v.text)
                    .unwrap_or_else(|| {
                        seen_texts.push(v.text);
                        seen_texts.len() - 1
                    });
                ids[slot] = id as u8;
            }
        }
        Subject {
            values,
            ids,
            distinct: seen_texts.len(),
        }
    }
}

/// Results of (expression, subject value) pairs already evaluated: the
/// database shares expressions between references and slots (Debian's
/// 540,000 attributes use 7,000 distinct expressions), and the subject has
/// at most 119 distinct values. Not used (empty) when a huge database
/// would make it larger than [`Memo::MAX_CELLS`].
struct Memo {
    cells: Vec<u8>,
    width: usize,
}

impl Memo {
    const UNKNOWN: u8 = 0;
    const NO: u8 = 1;
    const YES: u8 = 2;
    const MAX_CELLS: usize = 16 << 20;

    fn new(db: &OsDb, subject: &Subject<'_>) -> Self {
        let width = subject.distinct.max(1);
        let cells = db.expr_count().saturating_mul(width);
        Memo {
            cells: if cells <= Self::MAX_CELLS {
                vec![Self::UNKNOWN; cells]
            } else {
                Vec::new()
            },
            width,
        }
    }

    fn matches(
        &mut self,
        db: &OsDb,
        expr: u32,
        slot: usize,
        subject: &Subject<'_>,
        v: &Value<'_>,
    ) -> bool {
        let at = expr as usize * self.width + usize::from(subject.ids[slot]);
        let Some(cell) = self.cells.get_mut(at) else {
            return db.expr(expr).matches(v);
        };
        if *cell == Self::UNKNOWN {
            *cell = if db.expr(expr).matches(v) {
                Self::YES
            } else {
                Self::NO
            };
        }
        *cell == Self::YES
    }
}

/// Scores one reference; `None` when abandoned because it cannot reach
/// `requirement`.
fn score(
    db: &OsDb,
    r: &Reference,
    subject: &Subject<'_>,
    memo: &mut Memo,
    requirement: f64,
) -> Option<f64> {
    let points = db.points();
    let n = r.max_points as f64;
    // Nmap 7.95's bound, floor((1 - requirement) * max); for 7.93, which
    // never abandons, a bound with a margin so that an abandoned reference
    // is certain to be below the requirement.
    let max_mismatch = match db.rules() {
        Rules::Nmap795 => ((1.0 - requirement.min(1.0)) * n) as u64 as f64,
        Rules::Nmap793 => (1.0 - requirement) * n + 1e-6,
    };
    let (mut possible, mut matched) = (0u64, 0u64);
    for e in db.entries_of(r) {
        let slot = usize::from(e.slot);
        let Some(v) = &subject.values[slot] else {
            continue;
        };
        let w = u64::from(points[slot]);
        possible += w;
        if memo.matches(db, e.expr, slot, subject, v) {
            matched += w;
        } else if (possible - matched) as f64 > max_mismatch {
            return None;
        }
    }
    Some(if possible == 0 {
        0.0
    } else {
        matched as f64 / possible as f64
    })
}

/// Scores `fp` against every reference of `db` and keeps Nmap's list.
pub fn match_fingerprint(db: &OsDb, fp: &Fingerprint) -> MatchList {
    let subject = Subject::new(fp, db.rules());
    let mut memo = Memo::new(db, &subject);
    let refs = db.references();
    let mut list = MatchList::default();
    let mut requirement = GUESS_THRESHOLD;
    for (index, r) in refs.iter().enumerate() {
        let Some(accuracy) = score(db, r, &subject, &mut memo, requirement) else {
            continue;
        };
        if !(accuracy >= requirement || accuracy == 1.0) {
            continue;
        }
        if let Some(pos) = list
            .entries
            .iter()
            .position(|c| refs[c.index].name == r.name)
        {
            if list.entries[pos].accuracy >= accuracy {
                continue;
            }
            list.entries.remove(pos);
        }
        if accuracy == 1.0 && list.perfect == MAX_MATCHES {
            list.too_many = true;
            return list;
        }
        let at = list
            .entries
            .iter()
            .position(|c| c.accuracy < accuracy)
            .unwrap_or(list.entries.len());
        // Unreachable given the entrance requirement (Nmap would stop
        // with "Bogus list insertion state").
        if at == MAX_MATCHES {
            continue;
        }
        if accuracy == 1.0 {
            list.perfect += 1;
        }
        list.entries.insert(at, Candidate { index, accuracy });
        list.entries.truncate(MAX_MATCHES);
        if list.entries.len() == MAX_MATCHES {
            requirement = list.entries[MAX_MATCHES - 1].accuracy + 0.00001;
            if db.rules() == Rules::Nmap795 {
                requirement = requirement.min(1.0);
            }
        }
    }
    list
}

/// Nmap's choice among the tries at one host: the first try with a
/// perfect match (Nmap stops trying there), else the first try with the
/// best top accuracy, else the first try. Returns its index and list;
/// `None` when there are no tries.
pub fn best_try(db: &OsDb, tries: &[Fingerprint]) -> Option<(usize, MatchList)> {
    let lists: Vec<MatchList> = tries.iter().map(|fp| match_fingerprint(db, fp)).collect();
    if let Some(i) = lists.iter().position(MatchList::is_perfect) {
        return Some((i, lists[i].clone()));
    }
    let mut best = 0;
    let mut best_acc = 0.0;
    for (i, l) in lists.iter().enumerate() {
        if !l.too_many
            && let Some(acc) = l.best_accuracy()
            && acc > best_acc
        {
            best = i;
            best_acc = acc;
        }
    }
    lists.into_iter().nth(best).map(|l| (best, l))
}

/// One attribute that did not match ([`compare`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub test: &'static str,
    pub attr: &'static str,
    /// The subject's value.
    pub observed: String,
    /// The reference's expression.
    pub expected: String,
    pub points: u32,
}

/// A full comparison of a fingerprint with one reference, never
/// abandoned (Nmap's `compare_fingerprints` in verbose mode, used by its
/// fingerprint tools).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub accuracy: f64,
    pub possible: u64,
    pub matched: u64,
    pub mismatches: Vec<Mismatch>,
}

/// Compares `fp` with reference number `reference` of `db`.
pub fn compare(db: &OsDb, reference: usize, fp: &Fingerprint) -> Option<Comparison> {
    let r = db.references().get(reference)?;
    let subject = Subject::new(fp, db.rules());
    let points = db.points();
    let mut c = Comparison {
        accuracy: 0.0,
        possible: 0,
        matched: 0,
        mismatches: Vec::new(),
    };
    for e in db.entries_of(r) {
        let slot = usize::from(e.slot);
        let Some(v) = &subject.values[slot] else {
            continue;
        };
        c.possible += u64::from(points[slot]);
        if db.expr(e.expr).matches(v) {
            c.matched += u64::from(points[slot]);
        } else {
            let (test, attr) = slot_names(slot);
            c.mismatches.push(Mismatch {
                test,
                attr,
                observed: v.text.to_owned(),
                expected: db.expr_text(e.expr).to_owned(),
                points: points[slot],
            });
        }
    }
    if c.possible > 0 {
        c.accuracy = c.matched as f64 / c.possible as f64;
    }
    Some(c)
}

/// Whole percent as Nmap prints it: `(int)(accuracy * 100)`.
pub fn percent(accuracy: f64) -> u8 {
    (accuracy * 100.0) as u8
}

fn os_match(db: &OsDb, c: &Candidate) -> OsMatch {
    let r = &db.references()[c.index];
    let accuracy = percent(c.accuracy);
    OsMatch {
        name: r.name.clone(),
        accuracy,
        line: r.line,
        classes: r.classes.iter().map(|k| os_class(k, accuracy)).collect(),
    }
}

fn os_class(k: &crate::db::DbClass, accuracy: u8) -> OsClass {
    OsClass {
        vendor: k.vendor.clone(),
        family: k.family.clone(),
        generation: k.generation.clone().unwrap_or_default(),
        device_type: k.device_type.clone(),
        accuracy,
        cpe: k.cpe.clone(),
    }
}

/// What Nmap reports for a list, in the form `OsResult` carries it: the
/// matches (each with all of its reference's classes, CPEs included, at
/// the match's accuracy, as `<osmatch>` has them), the verdict, and whether
/// the guesses are printed ("Aggressive OS guesses").
///
/// `guess` is Nmap's `--osscan-guess`, or true when the fingerprint is not
/// fit for submission (Nmap then guesses anyway).
///
/// * 1–8 perfect matches: those, [`OsVerdict::Perfect`].
/// * 9–36 perfect matches: those, [`OsVerdict::TooMany`]; Nmap writes no
///   `<osmatch>` but still derives "Device type" / "Running" from them.
/// * The search overflowed (a 37th perfect match): nothing, `TooMany`.
/// * No perfect match: every match whose accuracy is above the best minus
///   0.10 (up to 36), [`OsVerdict::NoExact`]; Nmap shows the first 10 of
///   them as `<osmatch>` and guesses, and classifies them all; guessing
///   when `guess`.
/// * Nothing reached the threshold: [`OsVerdict::NoMatch`].
pub fn os_result(db: &OsDb, list: &MatchList, guess: bool) -> (Vec<OsMatch>, OsVerdict, bool) {
    let Some(best) = list.best_accuracy() else {
        return (Vec::new(), OsVerdict::NoMatch, false);
    };
    if list.too_many {
        return (Vec::new(), OsVerdict::TooMany, false);
    }
    if list.perfect > 0 {
        let matches = list.entries[..list.perfect]
            .iter()
            .map(|c| os_match(db, c))
            .collect();
        let verdict = if list.perfect > MAX_LISTED_PERFECT {
            OsVerdict::TooMany
        } else {
            OsVerdict::Perfect
        };
        return (matches, verdict, false);
    }
    let matches = list
        .entries
        .iter()
        .take_while(|c| c.accuracy > best - GUESS_SPREAD)
        .map(|c| os_match(db, c))
        .collect();
    (matches, OsVerdict::NoExact, guess)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::db::tests::POINTS;

    fn db(body: &str) -> OsDb {
        OsDb::parse(&format!("{POINTS}\n{body}")).unwrap()
    }

    fn fp(text: &str) -> Fingerprint {
        Fingerprint::parse(text).unwrap()
    }

    fn acc(d: &OsDb, i: usize, f: &Fingerprint) -> f64 {
        compare(d, i, f).unwrap().accuracy
    }

    /// A reference with one test line, `Class` from its name.
    fn print(name: &str, tests: &str) -> String {
        format!("Fingerprint {name}\nClass V | {name} | 1.X | general purpose\n{tests}\n\n")
    }

    #[test]
    fn weights_ranges_alternatives_comparisons_and_empty_values() {
        let d = db(&print(
            "A",
            "SEQ(SP=F8-102%GCD=1-6|40%ISR=>100%TI=Z%TS=<A)\nT5(R=Y%W=0%O=%Q=)",
        ));
        // Everything matches.
        let good = fp("SEQ(SP=FA%GCD=40%ISR=10B%TI=Z%TS=7)T5(R=Y%W=0%O=%Q=)");
        assert_eq!(acc(&d, 0, &good), 1.0);
        // SP (25) out of range, TS (100) not below A, Q (20) not empty.
        let bad = fp("SEQ(SP=103%GCD=1%ISR=101%TI=Z%TS=A)T5(R=Y%W=0%O=%Q=R)");
        let c = compare(&d, 0, &bad).unwrap();
        assert_eq!(c.possible, 25 + 75 + 25 + 100 + 100 + 100 + 25 + 10 + 20);
        assert_eq!(c.matched, c.possible - 25 - 100 - 20);
        let missed: Vec<_> = c.mismatches.iter().map(|m| (m.test, m.attr)).collect();
        assert_eq!(missed, [("SEQ", "SP"), ("SEQ", "TS"), ("T5", "Q")]);
        assert_eq!(c.mismatches[0].expected, "F8-102");
        assert_eq!(c.mismatches[0].observed, "103");
    }

    #[test]
    fn missing_tests_and_attributes_are_not_counted() {
        let d = db(&print("A", "SEQ(SP=1%GCD=1)\nT1(R=Y%DF=Y)\nIE(R=N)"));
        // No IE in the subject, no GCD: only SP and T1 count.
        let f = fp("SEQ(SP=1%TI=Z)T1(R=Y%DF=N%T=40)");
        let c = compare(&d, 0, &f).unwrap();
        assert_eq!((c.possible, c.matched), (25 + 100 + 20, 25 + 100));
        // Nothing in common: accuracy 0, never listed.
        let none = fp("U1(R=Y%IPL=164)");
        assert_eq!(acc(&d, 0, &none), 0.0);
        assert!(match_fingerprint(&d, &none).is_empty());
    }

    #[test]
    fn nmap_793_does_not_count_an_absent_r_but_795_does() {
        let body = print("A", "U1(DF=N%IPL=38)");
        let f = fp("U1(R=Y%DF=Y%IPL=38)");
        let old = db(&body);
        assert_eq!(acc(&old, 0, &f), 100.0 / 120.0);
        let new = OsDb::parse(&format!("This nmap-os-db\n{POINTS}\n{body}")).unwrap();
        assert_eq!(acc(&new, 0, &f), 150.0 / 170.0);
    }

    #[test]
    fn threshold_accuracy_and_order() {
        // Weights: SEQ TI 100, II 100, TS 100, SS 80 -> 380 in all.
        let mut body = String::new();
        body += &print("Exact", "SEQ(TI=Z%II=I%TS=A%SS=S)");
        body += &print("MissSS", "SEQ(TI=Z%II=I%TS=A%SS=O)"); // 300/380 = 0.789
        body += &print("Other", "SEQ(TI=Z%II=I%TS=A%SS=S|O)");
        let d = db(&body);
        let f = fp("SEQ(TI=Z%II=I%TS=A%SS=S)");
        let l = match_fingerprint(&d, &f);
        let got: Vec<_> = l
            .candidates()
            .iter()
            .map(|c| (c.index, c.accuracy))
            .collect();
        // Ties keep file order; 0.789 is under the threshold.
        assert_eq!(got, [(0, 1.0), (2, 1.0)]);
        assert_eq!(l.perfect_count(), 2);
        let (m, v, g) = os_result(&d, &l, true);
        assert_eq!(v, OsVerdict::Perfect);
        assert!(!g);
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].name.as_str(), m[0].accuracy, m[0].line),
            ("Exact", 100, 16)
        );
        assert_eq!(m[1].classes[0].accuracy, 100);
        let d = db(&print(
            "Edge",
            "T1(R=Y%DF=N%S=O%A=S+%F=AS%RD=0%Q=%T=40%TG=40)",
        ));
        // Possible 100+20+20+20+30+20+20+15+15 = 260; miss DF (20) and the
        // two TTLs (30): 210/260 = 0.807 (out); miss only Q+T (35): 0.865.
        let out = fp("T1(R=Y%DF=Y%S=O%A=S+%F=AS%RD=0%Q=%T=41%TG=41)");
        assert!(match_fingerprint(&d, &out).is_empty());
        let inside = fp("T1(R=Y%DF=N%S=O%A=S+%F=AS%RD=0%Q=R%T=41%TG=40)");
        let l = match_fingerprint(&d, &inside);
        assert_eq!(l.best_accuracy(), Some(225.0 / 260.0));
        let (m, v, g) = os_result(&d, &l, false);
        assert_eq!((v, g, m[0].accuracy), (OsVerdict::NoExact, false, 86));
    }

    #[test]
    fn the_threshold_is_inclusive() {
        // ECN weighs 300; missing T, TG and W (45) leaves 255/300 = 0.85.
        let d = db(&print(
            "Edge",
            "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)",
        ));
        let f = fp("ECN(R=Y%DF=Y%T=41%TG=41%W=FAF1%O=M5B4%CC=Y%Q=)");
        assert_eq!(acc(&d, 0, &f), 0.85);
        assert_eq!(match_fingerprint(&d, &f).best_accuracy(), Some(0.85));
        let worse = fp("ECN(R=Y%DF=Y%T=41%TG=41%W=FAF1%O=M5B5%CC=Y%Q=)");
        assert!(match_fingerprint(&d, &worse).is_empty());
    }

    #[test]
    fn same_name_keeps_the_better_reference() {
        let mut body = String::new();
        body += &print("Dup", "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=R)"); // 280/300
        body += &print("Mid", "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=R)");
        body += &print("Dup", "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)"); // 1.0
        body += &print("Dup", "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)"); // equal: skipped
        let d = db(&body);
        let f = fp("ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)");
        let l = match_fingerprint(&d, &f);
        let got: Vec<_> = l.candidates().iter().map(|c| c.index).collect();
        assert_eq!(got, [2, 1]);
        assert_eq!(l.perfect_count(), 1);
        let (m, v, _) = os_result(&d, &l, false);
        assert_eq!(v, OsVerdict::Perfect);
        assert_eq!((m.len(), m[0].line), (1, 15 + 2 * 4 + 1));
        // A better duplicate moves to its own place in the order.
        let mut body = String::new();
        body += &print("First", "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=R)");
        body += &print("Dup", "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=N%Q=)"); // 200/300
        body += &print("Dup", "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=R)");
        let d = db(&body);
        let got: Vec<_> = match_fingerprint(&d, &f)
            .candidates()
            .iter()
            .map(|c| c.index)
            .collect();
        assert_eq!(got, [0, 2]);
    }

    /// `n` references `P0`… that all match the ECN fingerprint perfectly,
    /// each with its own class.
    fn perfect_prints(n: usize) -> String {
        (0..n)
            .map(|i| print(&format!("P{i}"), "ECN(R=Y%DF=Y%CC=Y%Q=)"))
            .collect()
    }

    #[test]
    fn more_than_eight_perfect_matches_are_too_many() {
        let f = fp("ECN(R=Y%DF=Y%CC=Y%Q=)");
        let d = db(&perfect_prints(8));
        let (m, v, _) = os_result(&d, &match_fingerprint(&d, &f), false);
        assert_eq!((m.len(), v), (8, OsVerdict::Perfect));
        let d = db(&perfect_prints(9));
        let l = match_fingerprint(&d, &f);
        assert!(!l.too_many());
        // Nmap still prints Device type / Running for 9..36 of them.
        let (m, v, g) = os_result(&d, &l, true);
        assert_eq!((m.len(), v, g), (9, OsVerdict::TooMany, false));
        let d = db(&perfect_prints(37));
        let l = match_fingerprint(&d, &f);
        assert!(l.too_many());
        assert_eq!(l.len(), MAX_MATCHES);
        assert_eq!(
            os_result(&d, &l, true),
            (Vec::new(), OsVerdict::TooMany, false)
        );
    }

    #[test]
    fn the_list_holds_36_and_raises_its_entrance() {
        // 40 references at 0.9 then one at 0.88: the list keeps the first
        // 36 at 0.9 and the 0.88 one cannot enter.
        let mut body = String::new();
        for i in 0..40 {
            body += &print(
                &format!("R{i}"),
                "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=R)",
            );
        }
        body += &print("Late", "ECN(R=Y%DF=Y%T=41%TG=40%W=FAF0%O=M5B4%CC=Y%Q=R)");
        let d = db(&body);
        let f = fp("ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)");
        let l = match_fingerprint(&d, &f);
        assert_eq!(l.len(), MAX_MATCHES);
        assert!(l.candidates().iter().all(|c| c.accuracy == 280.0 / 300.0));
        assert_eq!(l.candidates()[35].index, 35);
    }

    #[test]
    fn guesses_are_the_matches_above_a_tenth_below_the_best() {
        // Accuracies by how many ECN attributes miss: T (15), TG (15), W (15).
        let mut body = String::new();
        body += &print("Best", "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=R)"); // 280/300
        for i in 0..12 {
            body += &print(
                &format!("G{i}"),
                "ECN(R=Y%DF=Y%T=41%TG=40%W=FAF0%O=M5B4%CC=Y%Q=R)",
            ); // 265/300
        }
        body += &print("Far", "ECN(R=Y%DF=Y%T=41%TG=41%W=FAF1%O=M5B5%CC=Y%Q=)"); // 240/300 < .85
        let d = db(&body);
        let f = fp("ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)");
        let l = match_fingerprint(&d, &f);
        assert_eq!(l.len(), 13);
        let (m, v, g) = os_result(&d, &l, true);
        assert_eq!((v, g), (OsVerdict::NoExact, true));
        // All 13 are within 0.10 of the best: the output shows ten of them
        // and classifies from all.
        assert_eq!(m.len(), 13);
        assert_eq!((m[0].name.as_str(), m[0].accuracy), ("Best", 93));
        assert_eq!((m[1].name.as_str(), m[1].accuracy), ("G0", 88));
        assert!(!os_result(&d, &l, false).2);

        // Only matches above the best minus 0.10: with ECN and T2 (575
        // points), 565/575 = 0.983 leaves out 505/575 = 0.878.
        let t2 = "T2(R=Y%DF=Y%T=40%TG=40%W=0%S=Z%A=S%F=AR%O=%RD=0%Q=)";
        let mut body = String::new();
        body += &print(
            "Best",
            &format!(
                "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)\n{}",
                t2.replace("O=%", "O=M5B4%")
            ),
        );
        body += &print(
            "Low",
            &format!(
                "ECN(R=Y%DF=Y%T=41%TG=41%W=FAF1%O=M5B4%CC=Y%Q=)\n{}",
                t2.replace("W=0%", "W=1%")
            ),
        );
        let d = db(&body);
        let l = match_fingerprint(
            &d,
            &fp(&format!(
                "{}{t2}",
                "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)"
            )),
        );
        let acc: Vec<f64> = l.candidates().iter().map(|c| c.accuracy).collect();
        assert_eq!(acc, [565.0 / 575.0, 505.0 / 575.0]);
        let (m, _, _) = os_result(&d, &l, true);
        assert_eq!(m.len(), 1);

        // With a perfect match only the perfect ones are reported.
        let mut body = String::new();
        body += &print("Best", "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)");
        body += &print("Low", "ECN(R=Y%DF=Y%T=41%TG=41%W=FAF1%O=M5B4%CC=Y%Q=)");
        let d = db(&body);
        let l = match_fingerprint(&d, &f);
        assert_eq!(l.len(), 2);
        let (m, v, _) = os_result(&d, &l, true);
        assert_eq!((m.len(), v), (1, OsVerdict::Perfect));
    }

    #[test]
    fn every_match_carries_all_classes_of_its_reference() {
        let mut body = String::new();
        body += "Fingerprint A\nClass Linux | Linux | 4.X | general purpose\nCPE cpe:/o:linux:linux_kernel:4\n\
                 Class Linux | Linux | 5.X | general purpose\nECN(R=Y%DF=Y%CC=Y%Q=R)\n\n";
        body += "Fingerprint B\nClass Linux | Linux | 4.X | general purpose\n\
                 Class Acme | Box | | WAP\nCPE cpe:/h:acme:box auto\nECN(R=Y%DF=Y%CC=Y%Q=R)\n\n";
        let d = db(&body);
        let f = fp("ECN(R=Y%DF=Y%CC=Y%Q=)");
        let l = match_fingerprint(&d, &f);
        let (m, _, _) = os_result(&d, &l, true);
        let classes: Vec<_> = m
            .iter()
            .flat_map(|m| &m.classes)
            .map(|c| {
                (
                    c.vendor.as_str(),
                    c.generation.as_str(),
                    c.cpe.clone(),
                    c.accuracy,
                )
            })
            .collect();
        assert_eq!(
            classes,
            [
                (
                    "Linux",
                    "4.X",
                    vec!["cpe:/o:linux:linux_kernel:4".to_owned()],
                    91
                ),
                ("Linux", "5.X", vec![], 91),
                ("Linux", "4.X", vec![], 91),
                ("Acme", "", vec!["cpe:/h:acme:box".to_owned()], 91),
            ]
        );
    }

    #[test]
    fn best_try_prefers_a_perfect_try_then_the_best() {
        let d = db(&print(
            "A",
            "ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)",
        ));
        let near = fp("ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=R)");
        let nearer = fp("ECN(R=Y%DF=Y%T=40%TG=40%W=FAF1%O=M5B4%CC=Y%Q=)");
        let exact = fp("ECN(R=Y%DF=Y%T=40%TG=40%W=FAF0%O=M5B4%CC=Y%Q=)");
        let none = fp("ECN(R=N)");
        assert_eq!(best_try(&d, &[]), None);
        assert_eq!(
            best_try(&d, std::slice::from_ref(&none)).map(|t| t.0),
            Some(0)
        );
        let pick = |t: &[Fingerprint]| best_try(&d, t).unwrap().0;
        assert_eq!(pick(&[near.clone(), nearer.clone(), exact.clone()]), 2);
        assert_eq!(pick(&[near.clone(), nearer.clone(), near.clone()]), 1);
        assert_eq!(pick(&[none, near.clone(), near]), 1);
    }

    #[test]
    fn an_empty_database_matches_nothing() {
        let d = OsDb::parse(POINTS).unwrap();
        let l = match_fingerprint(&d, &fp("ECN(R=Y)"));
        assert!(l.is_empty());
        assert_eq!(
            os_result(&d, &l, true),
            (Vec::new(), OsVerdict::NoMatch, false)
        );
        assert_eq!(compare(&d, 0, &fp("")), None);
    }
}
