//! Script selection as Nmap's `--script` does it.
//!
//! Each comma-separated rule is first evaluated against every known script
//! (its name and categories), with Nmap's grammar: `and`, `or`, `not`,
//! parentheses, `true`/`false`, category names (and `all`), and anything
//! else as a name glob (`*` matches any run of characters, a `.nse`
//! suffix is ignored). Keywords and categories are case-insensitive.
//! A rule that selected nothing is then looked up as a file, a directory
//! (`dir/`, every `.nse` in it) or a script name; failing that, it is an
//! error naming it. A leading `+` forces the scripts to run whatever their
//! rules say.
//!
//! The grammar is Nmap's PEG, so precedence follows it too:
//! `a and b or c` reads as `a and (b or c)`.

use std::path::{Path, PathBuf};

/// A script the engine knows by name.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    /// Script id: the file name without `.nse`.
    pub id: String,
    /// Categories, lower case.
    pub categories: Vec<String>,
}

/// Where a rule that matched no known script points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    File(PathBuf),
    /// A directory named with a trailing `/`.
    Dir(PathBuf),
    /// A directory named without a trailing `/`: refused, as Nmap does.
    BareDir(PathBuf),
    Nothing,
}

/// One chosen script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    /// Index into the catalog. `by_name`: a name or glob in the rule
    /// matched (Nmap then reports one more verbosity level to the script
    /// and version intensity 9).
    Known {
        index: usize,
        forced: bool,
        by_name: bool,
    },
    /// A script file named by path (`by_name`), or found in a directory.
    File {
        path: PathBuf,
        forced: bool,
        by_name: bool,
    },
}

/// Splits a `--script` value on commas, as Nmap does (even inside parentheses).
pub fn split_rules(arg: &str) -> Vec<String> {
    arg.split(',').map(str::to_string).collect()
}

/// The scripts chosen by `rules`, catalog matches first (catalog order),
/// then files and directories. `default` is `-sC`: with no rules it
/// selects the `default` category. `lookup` resolves a rule that matched
/// nothing in the catalog.
pub fn select(
    rules: &[String],
    default: bool,
    catalog: &[CatalogEntry],
    lookup: impl Fn(&str) -> Found,
) -> Result<Vec<Chosen>, String> {
    let mut rules: Vec<(String, bool)> = rules
        .iter()
        .filter_map(|r| {
            let t = r.trim();
            let (forced, t) = match t.strip_prefix('+') {
                Some(rest) => (true, rest.trim()),
                None => (false, t),
            };
            (!t.is_empty()).then(|| (t.to_string(), forced))
        })
        .collect();
    if default && rules.is_empty() {
        rules.push(("default".to_string(), false));
    }
    let mut used = vec![false; rules.len()];
    let mut chosen = Vec::new();
    for (index, entry) in catalog.iter().enumerate() {
        let mut taken = false;
        for (ri, (rule, forced)) in rules.iter().enumerate() {
            if let Some((true, by_name)) = evaluate(rule, entry) {
                used[ri] = true;
                if !taken {
                    chosen.push(Chosen::Known {
                        index,
                        forced: *forced,
                        by_name,
                    });
                    taken = true;
                }
            }
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for (ri, (rule, forced)) in rules.iter().enumerate() {
        if used[ri] {
            continue;
        }
        let mut found = lookup(rule);
        if found == Found::Nothing {
            found = lookup(&format!("{rule}.nse"));
        }
        match found {
            Found::Nothing => {
                return Err(format!(
                    "'{rule}' did not match a category, filename, or directory"
                ));
            }
            Found::BareDir(p) => {
                return Err(format!(
                    "directory '{}' found, but will not match without '/'",
                    p.display()
                ));
            }
            Found::File(p) => {
                if !files.contains(&p) {
                    files.push(p.clone());
                    chosen.push(Chosen::File {
                        path: p,
                        forced: *forced,
                        by_name: true,
                    });
                }
            }
            Found::Dir(d) => {
                let mut names: Vec<PathBuf> = std::fs::read_dir(&d)
                    .map_err(|e| format!("cannot read directory '{}': {e}", d.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "nse"))
                    .collect();
                names.sort();
                for p in names {
                    if !files.contains(&p) {
                        files.push(p.clone());
                        chosen.push(Chosen::File {
                            path: p,
                            forced: *forced,
                            by_name: false,
                        });
                    }
                }
            }
        }
    }
    Ok(chosen)
}

/// Looks a rule up on disk: the path as given, then `DIR/scripts/NAME`.
pub fn lookup_on_disk(rule: &str, datadir: Option<&Path>) -> Found {
    let mut candidates = vec![PathBuf::from(rule)];
    if let Some(d) = datadir {
        candidates.push(d.join("scripts").join(rule));
    }
    for p in candidates {
        if p.is_file() {
            return Found::File(p);
        }
        if p.is_dir() {
            return if rule.ends_with('/') || rule.ends_with(std::path::MAIN_SEPARATOR) {
                Found::Dir(p)
            } else {
                Found::BareDir(p)
            };
        }
    }
    Found::Nothing
}

/// Whether `rule` selects `entry`: `None` when the rule does not parse.
pub fn matches(rule: &str, entry: &CatalogEntry) -> Option<bool> {
    evaluate(rule, entry).map(|(v, _)| v)
}

/// The rule's value for `entry`, and whether a name glob matched on the way.
fn evaluate(rule: &str, entry: &CatalogEntry) -> Option<(bool, bool)> {
    let p = Peg {
        s: rule.as_bytes(),
        entry,
        by_name: std::cell::Cell::new(false),
    };
    let i = p.space(0);
    let (v, i) = p.expression(i)?;
    let i = p.space(i);
    (i == rule.len()).then_some((v, p.by_name.get()))
}

struct Peg<'a> {
    s: &'a [u8],
    entry: &'a CatalogEntry,
    by_name: std::cell::Cell<bool>,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl Peg<'_> {
    fn space(&self, mut i: usize) -> usize {
        while self.s.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        i
    }

    /// A case-insensitive keyword followed by a blank, `(`, `)`, `,` or the end.
    fn keyword(&self, i: usize, word: &str) -> Option<usize> {
        let end = i + word.len();
        let got = self.s.get(i..end)?;
        if !got.eq_ignore_ascii_case(word.as_bytes()) {
            return None;
        }
        match self.s.get(end).copied() {
            None => Some(end),
            Some(b) if is_space(b) || matches!(b, b'(' | b')' | b',') => Some(end),
            Some(_) => None,
        }
    }

    fn expression(&self, i: usize) -> Option<(bool, usize)> {
        self.disjunct(i)
            .or_else(|| self.conjunct(i))
            .or_else(|| self.value(i))
    }

    fn disjunct(&self, i: usize) -> Option<(bool, usize)> {
        let (a, j) = self.conjunct(i).or_else(|| self.value(i))?;
        let j = self.space(j);
        let j = self.keyword(j, "or")?;
        let j = self.space(j);
        let (b, j) = self.expression(j)?;
        Some((a || b, j))
    }

    fn conjunct(&self, i: usize) -> Option<(bool, usize)> {
        let (a, j) = self.value(i)?;
        let j = self.space(j);
        let j = self.keyword(j, "and")?;
        let j = self.space(j);
        let (b, j) = self.expression(j)?;
        Some((a && b, j))
    }

    fn value(&self, i: usize) -> Option<(bool, usize)> {
        if let Some(j) = self.keyword(i, "not") {
            let j = self.space(j);
            if let Some((v, j)) = self.value(j) {
                return Some((!v, j));
            }
        }
        if self.s.get(i) == Some(&b'(') {
            let j = self.space(i + 1);
            if let Some((v, j)) = self.expression(j) {
                let j = self.space(j);
                if self.s.get(j) == Some(&b')') {
                    return Some((v, j + 1));
                }
            }
        }
        if let Some(j) = self.keyword(i, "true") {
            return Some((true, j));
        }
        if let Some(j) = self.keyword(i, "false") {
            return Some((false, j));
        }
        if let Some(j) = self.keyword(i, "all") {
            return Some((true, j));
        }
        for c in &self.entry.categories {
            if let Some(j) = self.keyword(i, c) {
                return Some((true, j));
            }
        }
        // A name glob: graphical characters other than parentheses.
        let mut j = i;
        while self
            .s
            .get(j)
            .is_some_and(|&b| (33..=126).contains(&b) && b != b'(' && b != b')')
        {
            j += 1;
        }
        if j == i {
            return None;
        }
        let word = std::str::from_utf8(&self.s[i..j]).ok()?;
        let found = glob_match(word, &self.entry.id);
        if found {
            self.by_name.set(true);
        }
        Some((found, j))
    }
}

/// Nmap's name glob: `.nse` suffix dropped, `*` any run, everything else literal.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let pattern = pattern.strip_suffix(".nse").unwrap_or(pattern);
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(p) => rest = &rest[p + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: &str, cats: &[&str]) -> CatalogEntry {
        CatalogEntry {
            id: id.into(),
            categories: cats.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn catalog() -> Vec<CatalogEntry> {
        vec![
            e("banner", &["discovery", "safe"]),
            e("http-brute", &["brute", "intrusive"]),
            e("http-title", &["default", "discovery", "safe"]),
            e("ssh-hostkey", &["default", "safe"]),
            e("smb-vuln-x", &["vuln", "intrusive"]),
        ]
    }

    fn ids(rules: &[&str], default: bool) -> Result<Vec<String>, String> {
        let cat = catalog();
        let rules: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
        Ok(select(&rules, default, &cat, |_| Found::Nothing)?
            .into_iter()
            .map(|c| match c {
                Chosen::Known { index, .. } => cat[index].id.clone(),
                Chosen::File { path, .. } => path.display().to_string(),
            })
            .collect())
    }

    #[test]
    fn names_globs_categories() {
        assert_eq!(ids(&["banner"], false).unwrap(), ["banner"]);
        assert_eq!(ids(&["banner.nse"], false).unwrap(), ["banner"]);
        assert_eq!(
            ids(&["http-*"], false).unwrap(),
            ["http-brute", "http-title"]
        );
        assert_eq!(
            ids(&["*-*e*"], false).unwrap(),
            ["http-brute", "http-title", "ssh-hostkey"]
        );
        assert_eq!(
            ids(&["DEFAULT"], false).unwrap(),
            ["http-title", "ssh-hostkey"]
        );
        assert_eq!(ids(&["all"], false).unwrap().len(), 5);
        assert_eq!(ids(&[], true).unwrap(), ["http-title", "ssh-hostkey"]);
        // -sC with --script: only the named scripts (Nmap's behaviour).
        assert_eq!(ids(&["banner"], true).unwrap(), ["banner"]);
        assert_eq!(
            ids(&["banner", " ssh-hostkey "], false).unwrap(),
            ["banner", "ssh-hostkey"]
        );
    }

    #[test]
    fn boolean_expressions() {
        assert_eq!(
            ids(&["default or safe"], false).unwrap(),
            ["banner", "http-title", "ssh-hostkey"]
        );
        assert_eq!(
            ids(&["http-* and not brute"], false).unwrap(),
            ["http-title"]
        );
        assert_eq!(
            ids(&["not intrusive and safe and not default"], false).unwrap(),
            ["banner"]
        );
        assert_eq!(
            ids(&["(default or vuln) and not ssh-*"], false).unwrap(),
            ["http-title", "smb-vuln-x"]
        );
        assert_eq!(
            ids(&["intrusive AND (vuln OR brute)"], false).unwrap(),
            ["http-brute", "smb-vuln-x"]
        );
        // Nmap's precedence: "a and b or c" = "a and (b or c)".
        assert_eq!(
            ids(&["safe and default or brute"], false).unwrap(),
            ["http-title", "ssh-hostkey"]
        );
        assert_eq!(ids(&["true and banner"], false).unwrap(), ["banner"]);
    }

    #[test]
    fn unknown_rules_are_errors() {
        let err = ids(&["banner", "nosuch"], false).unwrap_err();
        assert_eq!(
            err,
            "'nosuch' did not match a category, filename, or directory"
        );
        assert!(ids(&["default or"], false).is_err());
        let cat = catalog();
        let r = select(&["x".into()], false, &cat, |r| {
            if r == "x" {
                Found::BareDir("x".into())
            } else {
                Found::Nothing
            }
        });
        assert_eq!(
            r.unwrap_err(),
            "directory 'x' found, but will not match without '/'"
        );
        let r = select(&["+my.nse".into()], false, &cat, |r| {
            if r == "my.nse" {
                Found::File("/tmp/my.nse".into())
            } else {
                Found::Nothing
            }
        });
        assert_eq!(
            r.unwrap(),
            [Chosen::File {
                path: "/tmp/my.nse".into(),
                forced: true,
                by_name: true,
            }]
        );
    }

    #[test]
    fn selected_by_name() {
        let cat = catalog();
        let by_name = |rule: &str| -> Vec<(String, bool)> {
            select(&[rule.to_string()], false, &cat, |_| Found::Nothing)
                .unwrap()
                .into_iter()
                .map(|c| match c {
                    Chosen::Known { index, by_name, .. } => (cat[index].id.clone(), by_name),
                    Chosen::File { .. } => unreachable!(),
                })
                .collect()
        };
        assert_eq!(by_name("banner"), [("banner".to_string(), true)]);
        assert_eq!(
            by_name("default"),
            [
                ("http-title".to_string(), false),
                ("ssh-hostkey".to_string(), false)
            ]
        );
        assert_eq!(
            by_name("http-* and safe"),
            [("http-title".to_string(), true)]
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("http?", "https"));
        assert!(!glob_match("ab*ba", "aba"));
    }
}
