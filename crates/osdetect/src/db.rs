//! The nmap-os-db format: a `MatchPoints` block giving each attribute's
//! weight, then reference fingerprints.
//!
//! ```text
//! # comment
//! MatchPoints
//! SEQ(SP=25%GCD=75%…)
//! …
//!
//! Fingerprint Linux 5.0 - 5.4
//! Class Linux | Linux | 5.X | general purpose
//! CPE cpe:/o:linux:linux_kernel:5 auto
//! SEQ(SP=F8-10A%GCD=1-6%ISR=100-10E%TI=Z%CI=Z%II=I%TS=A)
//! T2(R=N)
//! ```
//!
//! The rules follow Nmap's `parse_fingerprint_file`:
//!
//! * Lines starting with `#` are skipped anywhere; a blank line ends a
//!   block. Outside a block only `MatchPoints`, `Fingerprint <name>` and
//!   Nmap 7.95's `This nmap-os-db …` banner may start a line. A
//!   `Fingerprint` line also ends the block before it.
//! * `MatchPoints` comes once, before the first fingerprint; its test
//!   lines give decimal weights.
//! * `Fingerprint <name>`: the name runs to the end of the line or to a
//!   `#`, trimmed. Its line number is the reference's `line` (the XML
//!   `line=` attribute).
//! * `Class vendor | family | generation | device type`: fields trimmed,
//!   the generation may be empty; the device type is the rest of the line.
//! * `CPE <uri> [flags]` belongs to the class line before it; flags such
//!   as `auto` are ignored.
//! * Test lines `NAME(attr=expr%…)`: the body ends at the first `)`,
//!   anything after it is ignored. A test appears once per fingerprint.
//!   `SEQ(R=N)`, `OPS(R=N)`, `WIN(R=N)` (which have no `R`) are empty tests.
//!
//! Stricter than Nmap, which reports some errors and goes on: here any
//! malformed line, unknown test or attribute, or attribute without a
//! weight (Nmap 7.93 stops on it when matching) fails the whole parse with
//! its line number. Blank lines may hold spaces; `\r\n` line ends are
//! accepted.
//!
//! Under [`Rules::Nmap795`] a test with `R` in its schema reads as Nmap
//! 7.95 reads it: attributes without `R` mean `R=Y` (which then counts
//! in the score), a test with only `R` must be `R=N`, a class line of
//! nothing but `|` is skipped, and weights must be positive.

use crate::expr::{Expr, Rules};
use crate::fingerprint::{SLOT_BASE, SLOTS, TEST_ATTRS, TEST_ORDER, attr_index, clip, test_index};
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

/// Largest database file accepted (Nmap 7.93's is 5 MB).
pub const MAX_DB_BYTES: usize = 64 * 1024 * 1024;
/// Longest line accepted (Nmap 7.93 reads lines into 2 KiB).
pub const MAX_LINE: usize = 4096;
/// Most `Class` lines per fingerprint, and `CPE` lines per class.
pub const MAX_CLASSES: usize = 64;
/// Largest `MatchPoints` weight.
pub const MAX_WEIGHT: u32 = 1_000_000;

/// The project's own database, compiled in.
const EMBEDDED: &str = include_str!("../../../data/os-db");

/// A parse or load error: `path: line N: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    /// The file, when the database came from one.
    pub path: Option<String>,
    /// 1-based line; 0 when the error is not about one line.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{p}: ")?;
        }
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {}

/// A `Class` line and its `CPE` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbClass {
    pub vendor: String,
    pub family: String,
    /// `None` when the class leaves the generation empty.
    pub generation: Option<String>,
    pub device_type: String,
    pub cpe: Vec<String>,
}

/// One reference fingerprint.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The `Fingerprint` line's name.
    pub name: String,
    /// Line number of the `Fingerprint` line.
    pub line: u32,
    pub classes: Vec<DbClass>,
    /// Range of this reference's attributes in [`OsDb::entries`].
    entries: (u32, u32),
    /// Sum of the weights of all its attributes (the early-abandon base).
    pub(crate) max_points: u64,
}

/// One attribute of a reference: its (test, attribute) slot and compiled
/// expression.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) slot: u8,
    pub(crate) expr: u32,
}

/// A parsed nmap-os-db: weights, references and their compiled
/// expressions (each distinct expression text compiled once).
#[derive(Debug, Clone)]
pub struct OsDb {
    rules: Rules,
    has_points: bool,
    points: [u32; SLOTS],
    /// Which slots the `MatchPoints` block gave a weight.
    weighted: [bool; SLOTS],
    refs: Vec<Reference>,
    entries: Vec<Entry>,
    exprs: Vec<Expr>,
    texts: Vec<Box<str>>,
}

impl Default for OsDb {
    fn default() -> Self {
        OsDb {
            rules: Rules::Nmap795,
            has_points: false,
            points: [0; SLOTS],
            weighted: [false; SLOTS],
            refs: Vec::new(),
            entries: Vec::new(),
            exprs: Vec::new(),
            texts: Vec::new(),
        }
    }
}

impl OsDb {
    /// Parses a database, with the matching rules its text calls for
    /// ([`OsDb::detect_rules`]).
    pub fn parse(text: &str) -> Result<OsDb, DbError> {
        Self::parse_with(text, Self::detect_rules(text))
    }

    /// Parses a database and matches by `rules`.
    pub fn parse_with(text: &str, rules: Rules) -> Result<OsDb, DbError> {
        if text.len() > MAX_DB_BYTES {
            return Err(DbError {
                path: None,
                line: 0,
                message: format!("database larger than {MAX_DB_BYTES} bytes"),
            });
        }
        let mut p = Parser::new(rules);
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            p.line(i + 1, line).map_err(|message| DbError {
                path: None,
                line: i + 1,
                message,
            })?;
        }
        p.finish_block();
        Ok(p.db)
    }

    /// Reads and parses a file; errors name the file.
    pub fn load(path: &Path) -> Result<OsDb, DbError> {
        let shown = path.display().to_string();
        let fail = |line, message| DbError {
            path: Some(shown.clone()),
            line,
            message,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_DB_BYTES as u64 + 1).read_to_end(&mut bytes))
            .map_err(|e| fail(0, e.to_string()))?;
        if bytes.len() > MAX_DB_BYTES {
            return Err(fail(0, format!("larger than {MAX_DB_BYTES} bytes")));
        }
        let text = String::from_utf8_lossy(&bytes);
        Self::parse(&text).map_err(|e| fail(e.line, e.message))
    }

    /// The project's own database (`data/os-db`), parsed once.
    pub fn embedded() -> &'static OsDb {
        static DB: OnceLock<OsDb> = OnceLock::new();
        // The file is checked by the tests: a parse error is a build bug.
        DB.get_or_init(|| OsDb::parse(EMBEDDED).unwrap_or_default())
    }

    /// The rules a database text calls for: [`Rules::Nmap795`] when it has
    /// the `This nmap-os-db …` banner that newer files carry or a test
    /// line with brackets, else [`Rules::Nmap793`].
    pub fn detect_rules(text: &str) -> Rules {
        let newer = text.lines().any(|l| {
            l.starts_with("This nmap-os-db")
                || (l.contains('[')
                    && l.split_once('(')
                        .is_some_and(|(name, _)| test_index(name).is_some()))
        });
        if newer {
            Rules::Nmap795
        } else {
            Rules::Nmap793
        }
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// The reference fingerprints, in file order.
    pub fn references(&self) -> &[Reference] {
        &self.refs
    }

    pub fn len(&self) -> usize {
        self.refs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Whether the text had a `MatchPoints` block.
    pub fn has_match_points(&self) -> bool {
        self.has_points
    }

    /// The `MatchPoints` weight of `test.attr`, if the block gives one.
    pub fn weight(&self, test: &str, attr: &str) -> Option<u32> {
        let t = test_index(test)?;
        let slot = SLOT_BASE[t] + attr_index(t, attr)?;
        self.weighted[slot].then_some(self.points[slot])
    }

    /// The expression text of `test.attr` in reference number `reference`
    /// (after Nmap 7.95's `R` rule, under those rules).
    pub fn expression(&self, reference: usize, test: &str, attr: &str) -> Option<&str> {
        let t = test_index(test)?;
        let slot = SLOT_BASE[t] + attr_index(t, attr)?;
        let r = self.refs.get(reference)?;
        self.entries_of(r)
            .iter()
            .find(|e| usize::from(e.slot) == slot)
            .map(|e| &*self.texts[e.expr as usize])
    }

    pub(crate) fn points(&self) -> &[u32; SLOTS] {
        &self.points
    }

    pub(crate) fn entries_of(&self, r: &Reference) -> &[Entry] {
        &self.entries[r.entries.0 as usize..r.entries.1 as usize]
    }

    /// Number of distinct compiled expressions.
    pub(crate) fn expr_count(&self) -> usize {
        self.exprs.len()
    }

    pub(crate) fn expr(&self, id: u32) -> &Expr {
        &self.exprs[id as usize]
    }

    pub(crate) fn expr_text(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }
}

/// The reference being read.
struct Current {
    name: String,
    line: u32,
    classes: Vec<DbClass>,
    attrs: Vec<Entry>,
    tests: u16,
    max_points: u64,
}

enum Block {
    None,
    Points { tests: u16 },
    Print(Current),
}

struct Parser {
    db: OsDb,
    block: Block,
    interned: HashMap<(Box<str>, bool), u32>,
}

impl Parser {
    fn new(rules: Rules) -> Self {
        Parser {
            db: OsDb {
                rules,
                ..OsDb::default()
            },
            block: Block::None,
            interned: HashMap::new(),
        }
    }

    fn line(&mut self, n: usize, line: &str) -> Result<(), String> {
        if line.len() > MAX_LINE {
            return Err(format!("line longer than {MAX_LINE} bytes"));
        }
        if line.starts_with('#') {
            return Ok(());
        }
        if line.trim().is_empty() {
            self.finish_block();
            return Ok(());
        }
        if let Some(rest) = line.strip_prefix("Fingerprint")
            && rest.starts_with([' ', '\t'])
        {
            self.finish_block();
            return self.start_print(n, rest);
        }
        match &mut self.block {
            Block::None => {
                if line.trim_end() == "MatchPoints" {
                    if self.db.has_points {
                        return Err("a second MatchPoints block".into());
                    }
                    self.db.has_points = true;
                    self.block = Block::Points { tests: 0 };
                    Ok(())
                } else if line.starts_with("This nmap-os-db") {
                    Ok(())
                } else {
                    Err(format!(
                        "expected Fingerprint or MatchPoints, got {:?}",
                        clip(line)
                    ))
                }
            }
            Block::Points { tests } => {
                let (t, body) = test_line(line)?;
                if *tests & (1 << t) != 0 {
                    return Err(format!("{} given twice in MatchPoints", TEST_ORDER[t]));
                }
                *tests |= 1 << t;
                let rules = self.db.rules;
                for (attr, value) in crate::fingerprint::attrs_of(body) {
                    let attr = attr?;
                    let slot = slot(t, attr)?;
                    let w = weight(value, rules)
                        .ok_or_else(|| format!("bad weight {:?} for {attr}", clip(value)))?;
                    self.db.points[slot] = w;
                    self.db.weighted[slot] = true;
                }
                Ok(())
            }
            Block::Print(cur) => {
                if let Some(rest) = line.strip_prefix("Class ") {
                    if cur.classes.len() == MAX_CLASSES {
                        return Err(format!("more than {MAX_CLASSES} Class lines"));
                    }
                    if let Some(c) = class_line(rest, self.db.rules)? {
                        cur.classes.push(c);
                    }
                    Ok(())
                } else if let Some(rest) = line.strip_prefix("CPE ") {
                    let class = cur
                        .classes
                        .last_mut()
                        .ok_or("CPE line without a Class line before it")?;
                    let cpe = rest.split_whitespace().next().ok_or("empty CPE line")?;
                    if class.cpe.len() == MAX_CLASSES {
                        return Err(format!("more than {MAX_CLASSES} CPE lines"));
                    }
                    class.cpe.push(cpe.to_owned());
                    Ok(())
                } else {
                    let (t, body) = test_line(line)?;
                    if cur.tests & (1 << t) != 0 {
                        return Err(format!("{} given twice", TEST_ORDER[t]));
                    }
                    cur.tests |= 1 << t;
                    let rules = self.db.rules;
                    let attrs = reference_attrs(t, body, rules)?;
                    for (attr, expr) in attrs {
                        let slot = slot(t, attr)?;
                        let w = self.db.points[slot];
                        if !self.db.weighted[slot] && rules == Rules::Nmap793 {
                            return Err(format!(
                                "{}.{attr} has no MatchPoints weight",
                                TEST_ORDER[t]
                            ));
                        }
                        let nested = t == 1 || attr == "O";
                        let id = intern(
                            &mut self.db,
                            &mut self.interned,
                            expr,
                            nested && rules == Rules::Nmap795,
                        )
                        .map_err(|e| format!("{}.{attr}: {}", TEST_ORDER[t], e.0))?;
                        cur.attrs.push(Entry {
                            slot: slot as u8,
                            expr: id,
                        });
                        cur.max_points += u64::from(w);
                    }
                    Ok(())
                }
            }
        }
    }

    fn start_print(&mut self, n: usize, rest: &str) -> Result<(), String> {
        if !self.db.has_points {
            return Err("Fingerprint before the MatchPoints block".into());
        }
        let name = rest.split('#').next().unwrap_or_default().trim();
        if name.is_empty() {
            return Err("Fingerprint without a name".into());
        }
        if self.db.refs.len() >= u32::MAX as usize || self.db.entries.len() >= u32::MAX as usize {
            return Err("too many fingerprints".into());
        }
        self.block = Block::Print(Current {
            name: name.to_owned(),
            line: n as u32,
            classes: Vec::new(),
            attrs: Vec::new(),
            tests: 0,
            max_points: 0,
        });
        Ok(())
    }

    fn finish_block(&mut self) {
        if let Block::Print(mut cur) = std::mem::replace(&mut self.block, Block::None) {
            cur.attrs.sort_by_key(|e| e.slot);
            let start = self.db.entries.len() as u32;
            self.db.entries.extend_from_slice(&cur.attrs);
            self.db.refs.push(Reference {
                name: cur.name,
                line: cur.line,
                classes: cur.classes,
                entries: (start, self.db.entries.len() as u32),
                max_points: cur.max_points,
            });
        }
    }
}

/// Splits `NAME(body)…` into the test's index and its body.
fn test_line(line: &str) -> Result<(usize, &str), String> {
    let (name, rest) = line
        .split_once('(')
        .ok_or_else(|| format!("expected TEST(...), got {:?}", clip(line)))?;
    let t = test_index(name).ok_or_else(|| format!("unknown test {:?}", clip(name)))?;
    let (body, _) = rest
        .split_once(')')
        .ok_or_else(|| format!("{name}: missing ')'"))?;
    Ok((t, body))
}

fn slot(test: usize, attr: &str) -> Result<usize, String> {
    attr_index(test, attr)
        .map(|a| SLOT_BASE[test] + a)
        .ok_or_else(|| format!("{}: unknown attribute {:?}", TEST_ORDER[test], clip(attr)))
}

/// A decimal weight; Nmap 7.95 refuses 0.
fn weight(v: &str, rules: Rules) -> Option<u32> {
    if v.is_empty() || v.len() > 7 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let w: u32 = v.parse().ok()?;
    let low = if rules == Rules::Nmap795 { 1 } else { 0 };
    (low..=MAX_WEIGHT).contains(&w).then_some(w)
}

/// The attributes of a reference test line, with Nmap 7.95's reading of
/// `R` under those rules.
fn reference_attrs(test: usize, body: &str, rules: Rules) -> Result<Vec<(&str, &str)>, String> {
    let has_r = TEST_ATTRS[test][0] == "R";
    if !has_r && body == "R=N" {
        return Ok(Vec::new());
    }
    let mut attrs: Vec<(&str, &str)> = Vec::new();
    for (attr, value) in crate::fingerprint::attrs_of(body) {
        let attr = attr?;
        if attrs.iter().any(|(a, _)| *a == attr) {
            return Err(format!(
                "{}: attribute {:?} given twice",
                TEST_ORDER[test],
                clip(attr)
            ));
        }
        attrs.push((attr, value));
    }
    if has_r && rules == Rules::Nmap795 {
        let others = attrs.iter().any(|(a, _)| *a != "R");
        let r = attrs.iter().position(|(a, _)| *a == "R");
        match (others, r) {
            (true, None) => attrs.insert(0, ("R", "Y")),
            (true, Some(i)) if !attrs[i].1.contains('Y') => {
                return Err(format!(
                    "{}: R={:?} but the test has other attributes",
                    TEST_ORDER[test],
                    clip(attrs[i].1)
                ));
            }
            (false, Some(i)) if attrs[i].1 != "N" => {
                return Err(format!(
                    "{}: R={:?} without other attributes",
                    TEST_ORDER[test],
                    clip(attrs[i].1)
                ));
            }
            (false, None) => attrs.push(("R", "N")),
            _ => {}
        }
    }
    Ok(attrs)
}

/// `vendor | family | generation | device type` (after `Class `). Nmap
/// 7.95 skips a line of nothing but `|` and blanks.
fn class_line(rest: &str, rules: Rules) -> Result<Option<DbClass>, String> {
    if rules == Rules::Nmap795 && rest.chars().all(|c| c == '|' || c.is_whitespace()) {
        return Ok(None);
    }
    let mut parts = rest.splitn(4, '|');
    let mut field = || {
        parts
            .next()
            .map(str::trim)
            .ok_or_else(|| "Class line needs vendor | family | generation | type".to_owned())
    };
    let vendor = field()?.to_owned();
    let family = field()?.to_owned();
    let generation = field()?;
    let device_type = field()?.to_owned();
    Ok(Some(DbClass {
        vendor,
        family,
        generation: (!generation.is_empty()).then(|| generation.to_owned()),
        device_type,
        cpe: Vec::new(),
    }))
}

fn intern(
    db: &mut OsDb,
    interned: &mut HashMap<(Box<str>, bool), u32>,
    text: &str,
    nested: bool,
) -> Result<u32, crate::expr::ExprError> {
    if let Some(id) = interned.get(&(Box::from(text), nested)) {
        return Ok(*id);
    }
    let expr = Expr::compile(text, db.rules, nested)?;
    let id = db.exprs.len() as u32;
    db.exprs.push(expr);
    db.texts.push(text.into());
    interned.insert((text.into(), nested), id);
    Ok(id)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A MatchPoints section for test databases (shared with the matcher's
    /// tests).
    pub(crate) const POINTS: &str = "\
MatchPoints
SEQ(SP=25%GCD=75%ISR=25%TI=100%CI=50%II=100%SS=80%TS=100)
OPS(O1=20%O2=20%O3=20%O4=20%O5=20%O6=20)
WIN(W1=15%W2=15%W3=15%W4=15%W5=15%W6=15)
ECN(R=100%DF=20%T=15%TG=15%W=15%O=15%CC=100%Q=20)
T1(R=100%DF=20%T=15%TG=15%S=20%A=20%F=30%RD=20%Q=20)
T2(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
T3(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
T4(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
T5(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
T6(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
T7(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
U1(R=50%DF=20%T=15%TG=15%IPL=100%UN=100%RIPL=100%RID=100%RIPCK=100%RUCK=100%RUD=100)
IE(R=50%DFI=40%T=15%TG=15%CD=100)
";

    fn db(body: &str) -> Result<OsDb, DbError> {
        OsDb::parse(&format!("{POINTS}\n{body}"))
    }

    #[test]
    fn reads_fingerprints_classes_cpes_and_lines() {
        let d = db("# a comment\n\
                    Fingerprint Foo OS 1.0 # trailing comment\n\
                    Class Foo | FooOS | 1.X | general purpose\n\
                    CPE cpe:/o:foo:fooos:1 auto\n\
                    CPE cpe:/h:foo:box\n\
                    Class Foo | FooOS || WAP | extra\n\
                    # a comment inside\n\
                    SEQ(SP=0-5%GCD=1|2%TI=I)\n\
                    T2(R=N)\n\
                    OPS(R=N)\n\
                    Fingerprint Bar\n\
                    U1(DF=N%IPL=38)\n")
        .unwrap();
        assert_eq!(d.rules(), Rules::Nmap793);
        assert_eq!(d.len(), 2);
        let foo = &d.references()[0];
        assert_eq!(foo.name, "Foo OS 1.0");
        assert_eq!(foo.line, 17);
        assert_eq!(foo.classes.len(), 2);
        assert_eq!(foo.classes[0].generation.as_deref(), Some("1.X"));
        assert_eq!(foo.classes[0].cpe, ["cpe:/o:foo:fooos:1", "cpe:/h:foo:box"]);
        assert_eq!(foo.classes[1].generation, None);
        assert_eq!(foo.classes[1].device_type, "WAP | extra");
        assert_eq!(d.expression(0, "SEQ", "GCD"), Some("1|2"));
        assert_eq!(d.expression(0, "T2", "R"), Some("N"));
        assert_eq!(d.expression(0, "OPS", "R"), None);
        assert_eq!(foo.max_points, 25 + 75 + 100 + 80);
        let bar = &d.references()[1];
        assert_eq!((bar.name.as_str(), bar.line), ("Bar", 26));
        // 7.93 does not invent R=Y.
        assert_eq!(d.expression(1, "U1", "R"), None);
        assert_eq!(bar.max_points, 120);
        assert_eq!(d.weight("U1", "RUD"), Some(100));
    }

    #[test]
    fn nmap_795_rules_read_r_as_newer_nmap_does() {
        let d = db("This nmap-os-db is only valid for Nmap 7.95 and later\n\
                    Fingerprint A\nU1(DF=N%IPL=38)\nT2()\nIE(R=N)\nClass | | |\n\
                    OPS(O1=M[>500]ST11)\n")
        .unwrap();
        assert_eq!(d.rules(), Rules::Nmap795);
        assert_eq!(d.expression(0, "U1", "R"), Some("Y"));
        assert_eq!(d.expression(0, "T2", "R"), Some("N"));
        assert!(d.references()[0].classes.is_empty());
        assert_eq!(d.references()[0].max_points, 50 + 20 + 100 + 80 + 50 + 20);
        for bad in ["T1(R=Y)", "T1(R=N%DF=Y)", "OPS(O1=M[>500)"] {
            let text = format!("This nmap-os-db\n{POINTS}\nFingerprint A\n{bad}\n");
            assert!(OsDb::parse(&text).is_err(), "{bad}");
        }
        // Brackets alone select the newer rules.
        assert_eq!(OsDb::detect_rules("OPS(O1=M[>500]ST11)\n"), Rules::Nmap795);
        assert_eq!(OsDb::detect_rules("Fingerprint X [Y]\n"), Rules::Nmap793);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("Fingerprint A\nSEQ(SP=1\n", 17, "missing ')'"),
            ("Fingerprint A\nXYZ(A=1)\n", 17, "unknown test"),
            ("Fingerprint A\nSEQ(ZZ=1)\n", 17, "unknown attribute"),
            ("Fingerprint A\nSEQ(SP=1%SP=2)\n", 17, "twice"),
            ("Fingerprint A\nSEQ(SP=1)\nSEQ(SP=2)\n", 18, "twice"),
            ("Fingerprint A\nCPE cpe:/o:x\n", 17, "without a Class"),
            ("Fingerprint A\nClass a | b\n", 17, "Class line needs"),
            ("Fingerprint A\nCPE\n", 17, "expected TEST"),
            ("Fingerprint  # only a comment\n", 16, "without a name"),
            ("Fingerprint A\n\nSEQ(SP=1)\n", 18, "expected Fingerprint"),
            ("MatchPoints\n", 16, "second MatchPoints"),
            ("junk\n", 16, "expected Fingerprint"),
            ("Fingerprint A\nSEQ(SP=1%)\n", 17, "attr=value"),
        ];
        for (body, line, what) in cases {
            let e = db(body).unwrap_err();
            assert_eq!(e.line, line, "{body:?}: {e}");
            assert!(e.message.contains(what), "{body:?}: {e}");
        }
        let e = OsDb::parse("Fingerprint A\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: Fingerprint before the MatchPoints block"
        );
        let weights = "MatchPoints\nSEQ(SP=x)\n";
        assert!(
            OsDb::parse(weights)
                .unwrap_err()
                .message
                .contains("bad weight")
        );
        let missing = "MatchPoints\nSEQ(SP=25)\n\nFingerprint A\nSEQ(GCD=1)\n";
        assert!(
            OsDb::parse(missing)
                .unwrap_err()
                .message
                .contains("no MatchPoints weight")
        );
        assert!(OsDb::parse(&"#".repeat(MAX_LINE + 1)).is_err());
    }

    #[test]
    fn tolerates_crlf_blank_lines_with_spaces_and_empty_text() {
        let text = format!("{POINTS}\r\n  \r\nFingerprint A\r\nT2(R=N)\r\n");
        let d = OsDb::parse(&text).unwrap();
        assert_eq!(d.references()[0].name, "A");
        assert_eq!(d.expression(0, "T2", "R"), Some("N"));
        assert!(OsDb::parse("").unwrap().is_empty());
    }

    #[test]
    fn identical_expressions_are_compiled_once() {
        let d =
            db("Fingerprint A\nT2(R=N)\nT3(R=N)\n\nFingerprint B\nT2(R=N)\nT3(DF=N)\n").unwrap();
        assert_eq!(d.exprs.len(), 1);
        assert_eq!(d.entries.len(), 4);
    }

    #[test]
    fn load_reports_the_path() {
        let e = OsDb::load(Path::new("/nonexistent/nmap-os-db")).unwrap_err();
        assert!(
            e.to_string().starts_with("/nonexistent/nmap-os-db: "),
            "{e}"
        );
        let dir = std::env::temp_dir().join(format!("osdb-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("bad-os-db");
        std::fs::write(&f, format!("{POINTS}\nFingerprint A\nSEQ(SP=1\n")).unwrap();
        let e = OsDb::load(&f).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: line 17: SEQ: missing ')'", f.display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_embedded_database_parses() {
        let d = OsDb::parse(EMBEDDED).unwrap();
        assert!(d.has_match_points());
        assert_eq!(d.weight("SEQ", "TS"), Some(100));
        assert_eq!(d.weight("T7", "R"), Some(80));
        assert_eq!(OsDb::embedded().len(), d.len());
    }
}
