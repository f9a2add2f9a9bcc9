//! Just enough XML reading to compare nmaps's and nmap's documents.

use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Elem {
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    pub children: Vec<Elem>,
}

impl Elem {
    pub fn attr(&self, k: &str) -> &str {
        self.attrs.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Elem> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    pub fn first(&self, name: &str) -> Option<&Elem> {
        self.children.iter().find(|c| c.name == name)
    }
    /// Element names in document order, depth-first (the document's structure).
    pub fn shape(&self, out: &mut Vec<String>) {
        out.push(self.name.clone());
        for c in &self.children {
            c.shape(out);
        }
    }
}

/// Parse a whole document; panics (fails the test) on malformed XML.
pub fn parse(text: &str) -> Elem {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Elem> = vec![Elem {
        name: "#document".into(),
        ..Default::default()
    }];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(elem(&e)),
            Event::Empty(e) => {
                let el = elem(&e);
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::End(_) => {
                let el = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    stack
        .pop()
        .expect("root")
        .children
        .into_iter()
        .next()
        .expect("a root element")
}

fn elem(e: &quick_xml::events::BytesStart<'_>) -> Elem {
    let mut attrs = BTreeMap::new();
    for a in e.attributes() {
        let a = a.expect("attribute");
        let v = a.unescape_value().expect("attribute value").into_owned();
        attrs.insert(String::from_utf8_lossy(a.key.as_ref()).into_owned(), v);
    }
    Elem {
        name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
        attrs,
        children: Vec::new(),
    }
}

/// A folded state: (state, count, [(reason, count)]).
pub type Extra = (String, String, Vec<(String, String)>);
/// A port: (protocol, number, state, reason, service name).
pub type PortRow = (String, String, String, String, String);

/// What conformance compares for one host: status, names, every port's state
/// and reason, and the folded port counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostView {
    pub addr: String,
    pub state: String,
    pub reason: String,
    pub hostnames: Vec<(String, String)>,
    pub ports: Vec<PortRow>,
    pub extraports: Vec<Extra>,
}

pub fn hosts(doc: &Elem) -> Vec<HostView> {
    let mut v: Vec<HostView> = doc
        .all("host")
        .map(|h| {
            let status = h.first("status").cloned().unwrap_or_default();
            let ports = h.first("ports").cloned().unwrap_or_default();
            HostView {
                addr: h
                    .first("address")
                    .map(|a| a.attr("addr").to_string())
                    .unwrap_or_default(),
                state: status.attr("state").into(),
                reason: status.attr("reason").into(),
                hostnames: h
                    .first("hostnames")
                    .map(|hn| {
                        hn.all("hostname")
                            .map(|n| (n.attr("name").into(), n.attr("type").into()))
                            .collect()
                    })
                    .unwrap_or_default(),
                ports: ports
                    .all("port")
                    .map(|p| {
                        let st = p.first("state").cloned().unwrap_or_default();
                        let svc = p
                            .first("service")
                            .map(|s| s.attr("name").to_string())
                            .unwrap_or_default();
                        (
                            p.attr("protocol").into(),
                            p.attr("portid").into(),
                            st.attr("state").into(),
                            st.attr("reason").into(),
                            svc,
                        )
                    })
                    .collect(),
                extraports: ports
                    .all("extraports")
                    .map(|e| {
                        let reasons = e
                            .all("extrareasons")
                            .map(|r| (r.attr("reason").into(), r.attr("count").into()))
                            .collect();
                        (e.attr("state").into(), e.attr("count").into(), reasons)
                    })
                    .collect(),
            }
        })
        .collect();
    v.sort();
    v
}
