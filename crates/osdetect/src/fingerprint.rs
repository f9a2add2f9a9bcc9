//! A measured fingerprint: Nmap's test lines (`SEQ`, `OPS`, `WIN`, `ECN`,
//! `T1`…`T7`, `U1`, `IE`), each an ordered list of attributes.

/// Test lines in the order Nmap writes them.
pub const TEST_ORDER: [&str; 13] = [
    "SEQ", "OPS", "WIN", "ECN", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "U1", "IE",
];

/// One test line, e.g. `T5(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Test {
    /// `SEQ`, `OPS`, …
    pub name: String,
    /// Attributes in the order Nmap writes them; values are the final text
    /// (upper-case hex or symbols), possibly empty (`Q=`).
    pub attrs: Vec<(String, String)>,
}

impl Test {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            attrs: Vec::new(),
        }
    }

    /// Appends `attr=value`.
    pub fn push(&mut self, attr: &str, value: impl Into<String>) {
        self.attrs.push((attr.to_owned(), value.into()));
    }

    /// The value of `attr`, if the test has it.
    pub fn get(&self, attr: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == attr)
            .map(|(_, v)| v.as_str())
    }
}

/// A subject fingerprint: the tests measured on one host, in [`TEST_ORDER`].
/// A test that could not be computed is simply absent, as in Nmap.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fingerprint {
    pub tests: Vec<Test>,
}

impl Fingerprint {
    /// The test named `name`, if present.
    pub fn test(&self, name: &str) -> Option<&Test> {
        self.tests.iter().find(|t| t.name == name)
    }

    /// The value of `test`'s `attr`.
    pub fn get(&self, test: &str, attr: &str) -> Option<&str> {
        self.test(test)?.get(attr)
    }
}
