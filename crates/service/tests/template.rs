//! Version templates and substitutions, as Nmap 7.93 expands them.

use nmaps_service::template::{EXTRA_LEN, FIELD_LEN, TYPE_LEN, substitute, transform_cpe};
use nmaps_service::{Found, MatchOutcome, ProbeDb};

/// One NULL probe with one match line; returns what `response` gives.
fn run(line: &str, response: &[u8]) -> Found {
    let db = ProbeDb::parse(&format!("Probe TCP NULL q||\n{line}\n")).unwrap();
    match db.match_response(0, response, None) {
        MatchOutcome::Hard(f) | MatchOutcome::Soft(f) => f,
        MatchOutcome::None => panic!("no match: {line}"),
    }
}

fn product(line: &str, response: &[u8]) -> Option<String> {
    run(line, response).info.product
}

fn sub(t: &str, subject: &[u8], caps: &[Option<(usize, usize)>]) -> Option<String> {
    substitute(t.as_bytes(), subject, caps, FIELD_LEN, false).map(|v| String::from_utf8(v).unwrap())
}

#[test]
fn numbered_groups() {
    let f = run(
        r"match x m|^(\w+) (\w+) (\w+) (\w+) (\w+) (\w+) (\w+) (\w+) (\w+)| p/$9$8$7/ v/$1.$2/ i/[$3]/ h/$4/ o/$5/ d/$6/",
        b"a b c d e f g h i",
    );
    assert_eq!(f.service, "x");
    assert_eq!(f.line, 2);
    let i = f.info;
    assert_eq!(i.product.as_deref(), Some("ihg"));
    assert_eq!(i.version.as_deref(), Some("a.b"));
    assert_eq!(i.extrainfo.as_deref(), Some("[c]"));
    assert_eq!(i.hostname.as_deref(), Some("d"));
    assert_eq!(i.ostype.as_deref(), Some("e"));
    assert_eq!(i.devicetype.as_deref(), Some("f"));
    // `$10` is group 1 followed by a literal 0.
    assert_eq!(
        sub("$10", b"ab", &[Some((0, 2)), Some((0, 1))]).as_deref(),
        Some("a0")
    );
}

#[test]
fn failing_substitutions_leave_the_field_empty() {
    let caps = [Some((0, 3)), Some((0, 1)), None];
    for t in [
        "$0",
        "$3",
        "$2",
        "x$",
        "$x",
        "$Q(1)",
        "$P(0)",
        "$P()",
        "$P(1,2)",
        "$P(\"1\")",
        "$SUBST(1,\"a\")",
        "$I(1,\"x\")",
        "$I(1,\">>\")",
        "$SUBST(1,\"a\",\"b\",\"c\",\"d\",\"e\")",
        "$TOOLONGCOMMANDNAME(1)",
        "$P(1",
        "$P(1,",
        "$SUBST(1,\"a,\"b\")",
    ] {
        let got = sub(t, b"abc", &caps);
        if t == "$P(1," {
            // Nmap accepts a list cut after a comma (no closing parenthesis).
            assert_eq!(got.as_deref(), Some("a"), "{t}");
        } else {
            assert_eq!(got, None, "{t}");
        }
    }
    // In a match: the field is absent, the others are filled.
    let f = run(r"match x m|^(a)(b)?| p/$2/ v/$1/", b"a");
    assert_eq!(f.info.product, None);
    assert_eq!(f.info.version.as_deref(), Some("a"));
}

#[test]
fn printable_filter() {
    assert_eq!(
        product(
            r"match x m|^(.*)$|s p/$P(1)/",
            b"W\0O\0R\0K\0\x01G\xffR\x7fP\r\n"
        )
        .as_deref(),
        Some("WORKGRP")
    );
    // Without $P: cut at the first NUL, other control bytes become dots.
    assert_eq!(
        product(r"match x m|^(.*)$|s p/$1/", b"ab\x01c\x7f\xe9d\0ef").as_deref(),
        Some("ab.c..d")
    );
    assert_eq!(
        product(r"match x m|^x(.*)$|s p/>$1</", b"x\0").as_deref(),
        Some("><")
    );
}

#[test]
fn subst_command() {
    assert_eq!(
        product(r#"match x m|^v(\S+)| p/$SUBST(1,"_",".")/"#, b"v1_2_3").as_deref(),
        Some("1.2.3")
    );
    assert_eq!(
        product(r#"match x m|^v(\S+)| p/$SUBST(1, "ab" , "X")/"#, b"vabcab").as_deref(),
        Some("XcX")
    );
    // Escapes in the arguments, an escaped quote, an empty replacement.
    assert_eq!(
        product(r#"match x m|^v(\S+)| p/$SUBST(1,"\x2d","\"")/"#, b"v1-2").as_deref(),
        Some("1\"2")
    );
    assert_eq!(
        product(r#"match x m|^v(\S+)| p/$SUBST(1,"-","")/"#, b"v1-2-3").as_deref(),
        Some("123")
    );
    // Hex and octal group numbers, as strtol reads them.
    assert_eq!(
        product(r#"match x m|^v(\S+)| p/$SUBST(0x1,"-",".")/"#, b"v1-2").as_deref(),
        Some("1.2")
    );
    // `from` may run past the end of the group (Nmap compares its whole length).
    assert_eq!(
        product(r#"match x m|^(a)b| p/$SUBST(1,"ab","X")/"#, b"ab").as_deref(),
        Some("X")
    );
    // An empty `from` changes nothing (Nmap would loop forever).
    assert_eq!(
        product(r#"match x m|^(ab)| p/$SUBST(1,"","X")/"#, b"ab").as_deref(),
        Some("ab")
    );
}

#[test]
fn integer_command() {
    let f = run(
        r#"match x m|^(..)(....)| p/$I(1,">")/ v/$I(2,"<")/ i/$I(1,"<")/"#,
        b"\x01\x02\x10\x00\x00\x01",
    );
    assert_eq!(f.info.product.as_deref(), Some("258"));
    assert_eq!(f.info.version.as_deref(), Some("16777232"));
    assert_eq!(f.info.extrainfo.as_deref(), Some("513"));
    let f = run(
        r#"match x m|^(.{8})(.{9})|s p/$I(1,">")/ v/$I(2,">")/"#,
        &[0xff; 17],
    );
    assert_eq!(f.info.product.as_deref(), Some("18446744073709551615"));
    assert_eq!(f.info.version, None); // more than 8 bytes
    let f = run(r#"match x m|^()| p/$I(1,">")/"#, b"z");
    assert_eq!(f.info.product.as_deref(), Some("0"));
}

#[test]
fn trailing_blanks_and_commas_are_trimmed() {
    assert_eq!(
        product(r"match x m|^(.*)$|s p/$1/", b"Apache, \t\r\n").as_deref(),
        Some("Apache")
    );
    assert_eq!(
        product(r"match x m|^(.*)| p/ lead $1, ,/", b"x").as_deref(),
        Some(" lead x")
    );
    assert_eq!(product(r"match x m|^(.*)| p/$1/", b"   ").as_deref(), None);
    assert_eq!(product(r"match x m|^(.*)| p/,,/", b"").as_deref(), None);
}

#[test]
fn cpe_encoding() {
    assert_eq!(transform_cpe(b"Foo Bar/1.0:x"), b"foo_bar%2F1.0%3Ax");
    assert_eq!(
        transform_cpe(b":/?#[]@!$&'()*+,;=%<>\""),
        b"%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25%3C%3E%22"
    );
    assert_eq!(transform_cpe(b"A\tB\x0bC-_.~"), b"a_b_c-_.~");
    let f = run(
        r"match x m|^(\S+) (\S+) (.*)$|s p/$1/ cpe:/a:Vendor:$1:$2/ cpe:/o:$3/ cpe:/h:h:h/a cpe:/x:bad/",
        b"My:App 2.0/b Linux Kernel\xe9",
    );
    // Literal text is kept as written; substitutions are encoded; one CPE per part, a, h, o.
    assert_eq!(
        f.info.cpes,
        [
            "cpe:/a:Vendor:my%3Aapp:2.0%2Fb",
            "cpe:/h:h:h",
            "cpe:/o:linux_kernel."
        ]
    );
    // The last template of a part wins; a failing one clears the part.
    let f = run(
        r"match x m|^(a)| cpe:/a:one/ cpe:/a:two:$1/ cpe:/o:one/ cpe:/o:$2/",
        b"a",
    );
    assert_eq!(f.info.cpes, ["cpe:/a:two:a"]);
}

#[test]
fn field_lengths_follow_nmaps_buffers() {
    // Literal only: up to N-1 bytes.
    let lit = |n: usize| "x".repeat(n);
    for (n, len) in [(FIELD_LEN, 79), (EXTRA_LEN, 255), (TYPE_LEN, 31)] {
        assert_eq!(
            substitute(lit(len).as_bytes(), b"", &[], n, false).map(|v| v.len()),
            Some(len)
        );
        assert_eq!(
            substitute(lit(len + 1).as_bytes(), b"", &[], n, false),
            None
        );
    }
    // Ending with a substitution: up to N-2 bytes.
    let s = vec![b'y'; 100];
    let caps = |k: usize| vec![Some((0, k)), Some((0, k))];
    assert_eq!(
        substitute(b"$1", &s, &caps(78), FIELD_LEN, false).map(|v| v.len()),
        Some(78)
    );
    assert_eq!(substitute(b"$1", &s, &caps(79), FIELD_LEN, false), None);
    assert_eq!(
        substitute(b"ab$1", &s, &caps(76), FIELD_LEN, false).map(|v| v.len()),
        Some(78)
    );
    assert_eq!(substitute(b"ab$1", &s, &caps(77), FIELD_LEN, false), None);
    // A long capture leaves the field out; the short ones are kept.
    let mut resp = b"v".to_vec();
    resp.extend(std::iter::repeat_n(b'z', 300));
    let f = run(r"match x m|^v(z+)$| p/$1/ i/$1/ o/short/ d/$P(1)/", &resp);
    assert_eq!(f.info.product, None);
    assert_eq!(f.info.extrainfo, None);
    assert_eq!(f.info.devicetype, None);
    assert_eq!(f.info.ostype.as_deref(), Some("short"));
    let f = run(r"match x m|^v(z{200})| i/$1/", &resp);
    assert_eq!(f.info.extrainfo.map(|s| s.len()), Some(200));
    // CPE encoding counts: 30 ':' become 90 bytes.
    let f = run(r"match x m|^(:+)$| cpe:/a:$1/", &[b':'; 30]);
    assert!(f.info.cpes.is_empty());
}

#[test]
fn every_field_is_printable_and_bounded() {
    let mut resp: Vec<u8> = (0..=255u8).collect();
    resp.extend(0..=255u8);
    let f = run(
        r"match x m|^(.{0,70})(.{0,70})(.{0,30})|s p/$1/ v/$2/ i/$1$2/ h/$3/ o/$3/ d/$3/ cpe:/a:$3/",
        &resp[1..],
    );
    let i = f.info;
    for v in [
        &i.product,
        &i.version,
        &i.extrainfo,
        &i.hostname,
        &i.ostype,
        &i.devicetype,
    ]
    .into_iter()
    .flatten()
    {
        assert!(v.bytes().all(|b| (0x20..0x7f).contains(&b)), "{v:?}");
    }
    assert!(i.product.unwrap().len() <= 78);
    for c in &i.cpes {
        assert!(c.len() <= 79 && c.bytes().all(|b| (0x20..0x7f).contains(&b)));
    }
}
