//! `--script-args` and `--script-args-file`: Nmap's Lua-table-like syntax.
//!
//! The text (file contents first, trailing commas removed, then the command
//! line's, joined with `,`) is read as the inside of one table: fields
//! separated by `,` or a newline, each `key=value` or a bare value; a value
//! is a nested `{…}` table or a string, quoted (`"…"` or `'…'`, a backslash
//! escaping the quote or itself) or unquoted (everything up to `,`, a
//! newline, `{`, `}` or `=`, surrounding blanks dropped). As in Nmap,
//! anything after the table's closing brace is ignored.

/// A script argument value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    Str(String),
    /// Fields in order: `(Some(key), value)` for `key=value`, `(None, value)`
    /// for array items.
    Table(Vec<(Option<String>, ArgValue)>),
}

impl ArgValue {
    /// The value of `key` in a table (the last one given wins, as in Lua).
    pub fn get(&self, key: &str) -> Option<&ArgValue> {
        match self {
            Self::Table(fields) => fields
                .iter()
                .rev()
                .find(|(k, _)| k.as_deref() == Some(key))
                .map(|(_, v)| v),
            Self::Str(_) => None,
        }
    }
    /// The array items of a table.
    pub fn items(&self) -> Vec<&ArgValue> {
        match self {
            Self::Table(fields) => fields
                .iter()
                .filter(|(k, _)| k.is_none())
                .map(|(_, v)| v)
                .collect(),
            Self::Str(_) => Vec::new(),
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            Self::Table(_) => None,
        }
    }
}

/// Joins the file's arguments and the command line's as Nmap does.
pub fn combine(file: Option<&str>, cli: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(f) = file {
        parts.push(f.trim_end_matches(',').to_string());
    }
    if let Some(c) = cli {
        parts.push(c.to_string());
    }
    parts.join(",")
}

/// Parses script arguments; the error names the text that did not parse.
pub fn parse(text: &str) -> Result<ArgValue, String> {
    if text.is_empty() {
        return Ok(ArgValue::Table(Vec::new()));
    }
    let src = format!("{{{text}}}");
    let mut p = Parser {
        s: src.as_bytes(),
        i: 0,
    };
    p.space();
    match p.table() {
        Some(t) => Ok(t),
        None => Err(format!("arguments did not parse: {text}")),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_hspace(b: u8) -> bool {
    is_space(b) && b != b'\n'
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.i += 1;
        }
    }
    fn hspace(&mut self) {
        while self.peek().is_some_and(is_hspace) {
            self.i += 1;
        }
    }

    fn table(&mut self) -> Option<ArgValue> {
        let start = self.i;
        if self.peek() != Some(b'{') {
            return None;
        }
        self.i += 1;
        self.space();
        let mut fields = Vec::new();
        // An optional field list.
        let save = self.i;
        if let Some(f) = self.field() {
            fields.push(f);
            loop {
                let save = self.i;
                self.hspace();
                if matches!(self.peek(), Some(b'\n' | b',')) {
                    self.i += 1;
                    self.space();
                    if let Some(f) = self.field() {
                        fields.push(f);
                        continue;
                    }
                }
                self.i = save;
                break;
            }
        } else {
            self.i = save;
        }
        self.space();
        if self.peek() != Some(b'}') {
            self.i = start;
            return None;
        }
        self.i += 1;
        Some(ArgValue::Table(fields))
    }

    fn field(&mut self) -> Option<(Option<String>, ArgValue)> {
        let save = self.i;
        if let Some(k) = self.string() {
            self.hspace();
            if self.peek() == Some(b'=') {
                self.i += 1;
                self.hspace();
                if let Some(v) = self.value() {
                    return Some((Some(k), v));
                }
            }
        }
        self.i = save;
        self.value().map(|v| (None, v))
    }

    fn value(&mut self) -> Option<ArgValue> {
        if let Some(t) = self.table() {
            return Some(t);
        }
        self.string().map(ArgValue::Str)
    }

    fn string(&mut self) -> Option<String> {
        if let Some(q) = self.quoted() {
            return Some(q);
        }
        Some(self.unquoted())
    }

    fn quoted(&mut self) -> Option<String> {
        let q = self.peek()?;
        if q != b'"' && q != b'\'' {
            return None;
        }
        let start = self.i;
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => {
                    self.i = start;
                    return None;
                }
                Some(c) if c == q => {
                    self.i += 1;
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => match self.s.get(self.i + 1).copied() {
                    Some(c) if c == b'\\' || c == q => {
                        out.push(c);
                        self.i += 2;
                    }
                    Some(c) => {
                        out.push(b'\\');
                        out.push(c);
                        self.i += 2;
                    }
                    None => {
                        self.i = start;
                        return None;
                    }
                },
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// Everything up to a blank-run followed by `\n , { } =` (or one of
    /// those directly); leading blanks skipped, trailing blanks not kept.
    fn unquoted(&mut self) -> String {
        self.hspace();
        let start = self.i;
        let mut end = self.i;
        loop {
            // Would "hws* [\n,{}=]" match here?
            let mut j = self.i;
            while self.s.get(j).copied().is_some_and(is_hspace) {
                j += 1;
            }
            match self.s.get(j).copied() {
                None | Some(b'\n' | b',' | b'{' | b'}' | b'=') => break,
                Some(_) => {
                    self.i += 1;
                    end = self.i;
                }
            }
        }
        let v = String::from_utf8_lossy(&self.s[start..end]).into_owned();
        self.hspace();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> ArgValue {
        ArgValue::Str(v.into())
    }

    #[test]
    fn keys_flags_and_tables() {
        let a =
            parse("dns-brute.domain=example.com, unsafe ,user = admin x,list={a,b , c},t={k=v}")
                .unwrap();
        assert_eq!(a.get("dns-brute.domain"), Some(&s("example.com")));
        assert_eq!(a.get("user"), Some(&s("admin x")));
        assert_eq!(a.items(), vec![&s("unsafe")]);
        assert_eq!(
            a.get("list"),
            Some(&ArgValue::Table(vec![
                (None, s("a")),
                (None, s("b")),
                (None, s("c"))
            ]))
        );
        assert_eq!(a.get("t").and_then(|t| t.get("k")), Some(&s("v")));
    }

    #[test]
    fn quotes_and_newlines() {
        let a = parse("a=\"x,y=z\",b='it\\'s',c=\"back\\\\slash\\n\"\nd=1").unwrap();
        assert_eq!(a.get("a"), Some(&s("x,y=z")));
        assert_eq!(a.get("b"), Some(&s("it's")));
        assert_eq!(a.get("c"), Some(&s("back\\slash\\n")));
        assert_eq!(a.get("d"), Some(&s("1")));
    }

    #[test]
    fn empty_values_and_errors() {
        let a = parse("a=,b").unwrap();
        assert_eq!(a.get("a"), Some(&s("")));
        assert_eq!(parse("").unwrap(), ArgValue::Table(vec![]));
        assert!(parse("a={b").is_err());
        // An unterminated quote is read as unquoted text.
        assert_eq!(parse("a=\"open").unwrap().get("a"), Some(&s("\"open")));
        // Text after the closing brace is ignored, as in Nmap.
        assert_eq!(parse("a=b}junk").unwrap().get("a"), Some(&s("b")));
    }

    #[test]
    fn file_then_command_line() {
        assert_eq!(combine(Some("a=1,\nb=2,,"), Some("c=3")), "a=1,\nb=2,c=3");
        assert_eq!(combine(None, Some("c=3")), "c=3");
        let a = parse(&combine(Some("x=1\ny=2\n"), None)).unwrap();
        assert_eq!(a.get("y"), Some(&s("2")));
    }
}
