#!/usr/bin/env python3
"""Check data/service-probes and the captured service responses.

usage: svc-verify.py [--db FILE] [--fixtures DIR] [--stats] [-v]

1. Parses every line of the probe database (nmap-service-probes grammar) and
   checks it: known directives, probes with payloads, patterns that compile
   (with Python's `re`, in bytes mode: the database keeps to the subset of
   PCRE whose meaning is the same there), patterns that cannot match the
   empty string, anchored with ^, no nested quantifiers, well-formed
   version templates. Matching is a search (as the scanner's pcre2 does,
   with no anchoring option); the ^ makes it a prefix match.
2. For each fixture in DIR/expected.json, runs the scanner's matching rule on
   the stored response: the probe's own match lines, then those of its
   `fallback` probes, then (TCP) the NULL probe's; the first line that
   matches decides, soft or hard (Nmap's rule). Compares service, product, version and
   whichever of extrainfo/hostname/ostype/devicetype/cpe the entry lists,
   ("service": null means the response must match nothing), and checks
   that the probe is sent to that port at the default intensity
   (7): NULL, or the port in `ports` (`sslports` inside TLS), or rarity <= 7.
Prints a table; exits 1 on any failure.
"""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))

DIRECTIVES = {"Exclude", "Probe", "rarity", "ports", "sslports", "totalwaitms",
              "tcpwrappedms", "fallback", "match", "softmatch"}
ESC = {"0": b"\0", "a": b"\a", "b": b"\b", "f": b"\f", "n": b"\n",
       "r": b"\r", "t": b"\t", "v": b"\v", "\\": b"\\"}


class DbError(Exception):
    pass


def unescape(body):
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("latin-1")
            i += 1
        elif body[i + 1] == "x":
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif body[i + 1] in ESC:
            out += ESC[body[i + 1]]
            i += 2
        else:
            out += body[i + 1].encode("latin-1")
            i += 2
    return bytes(out)


def parse_ports(spec):
    """'21,80-85,T:443' -> set of ints (protocol prefixes ignored)."""
    out = set()
    for part in spec.split(","):
        part = part.strip()
        if ":" in part:
            part = part.split(":", 1)[1]
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out.update(range(int(a), int(b) + 1))
        else:
            out.add(int(part))
    return out


NESTED = re.compile(r"\((?:[^()\\]|\\.)*(?<!\\)[*+](?:[^()\\]|\\.)*\)[*+{]")


class Match:
    def __init__(self, soft, service, regex, flags, templates, lineno, text):
        self.soft = soft
        self.service = service
        self.regex = regex
        self.flags = flags
        self.templates = templates  # list of (kind, text)
        self.lineno = lineno
        self.text = text
        rf = 0
        if "i" in flags:
            rf |= re.I
        if "s" in flags:
            rf |= re.S
        try:
            self.rx = re.compile(regex.encode("latin-1"), rf)
        except re.error as e:
            raise DbError("line %d: pattern does not compile: %s" % (lineno, e))
        if self.rx.search(b"") is not None:
            raise DbError("line %d: pattern matches the empty string" % lineno)
        if re.search(r"(?<!\\)(?:\\\\)*\\(?:0|[zZ]|x\{)", regex) or "(?>" in regex or re.search(r"[*+?}][+]", regex):
            raise DbError("line %d: construct outside the PCRE/re common subset" % lineno)
        if not regex.startswith("^"):
            raise DbError("line %d: pattern not anchored with ^" % lineno)
        if NESTED.search(regex):
            raise DbError("line %d: nested quantifier" % lineno)


class Probe:
    def __init__(self, proto, name, payload, lineno):
        self.proto = proto
        self.name = name
        self.payload = payload
        self.lineno = lineno
        self.rarity = 5
        self.ports = set()
        self.sslports = set()
        self.fallback = []
        self.matches = []
        self.totalwaitms = None


def parse_templates(rest, lineno):
    out = []
    i = 0
    while i < len(rest):
        if rest[i] in " \t":
            i += 1
            continue
        if rest.startswith("cpe:", i):
            d = rest[i + 4]
            j = rest.find(d, i + 5)
            if j < 0:
                raise DbError("line %d: unterminated cpe template" % lineno)
            out.append(("cpe", rest[i + 5:j]))
            i = j + 1
            if i < len(rest) and rest[i] == "a":
                i += 1
            continue
        k = rest[i]
        if k not in "pvihod" or i + 1 >= len(rest):
            raise DbError("line %d: bad template at %r" % (lineno, rest[i:i + 20]))
        d = rest[i + 1]
        j = rest.find(d, i + 2)
        if j < 0:
            raise DbError("line %d: unterminated %s template" % (lineno, k))
        if any(kind == k for kind, _ in out):
            raise DbError("line %d: template %s given twice" % (lineno, k))
        out.append((k, rest[i + 2:j]))
        i = j + 1
    return out


def parse_match(line, lineno):
    kw, rest = line.split(" ", 1)
    service, rest = rest.split(" ", 1)
    if not re.fullmatch(r"[\w.+/-]+", service):
        raise DbError("line %d: bad service name %r" % (lineno, service))
    if not rest.startswith("m") or len(rest) < 3:
        raise DbError("line %d: expected m<delim>pattern<delim>" % lineno)
    d = rest[1]
    j = rest.find(d, 2)  # like Nmap: the next delimiter ends the pattern
    if j < 0:
        raise DbError("line %d: unterminated pattern" % lineno)
    regex = rest[2:j]
    i = j + 1
    flags = ""
    while i < len(rest) and rest[i] in "is":
        flags += rest[i]
        i += 1
    if i < len(rest) and rest[i] not in " \t":
        raise DbError("line %d: junk after pattern flags" % lineno)
    templates = parse_templates(rest[i:], lineno)
    if kw == "softmatch" and templates:
        raise DbError("line %d: softmatch with version templates" % lineno)
    return Match(kw == "softmatch", service, regex, flags, templates, lineno, line)


def parse_db(path):
    probes = []
    cur = None
    seen_probe = False
    with open(path, encoding="latin-1") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            kw = line.split(" ", 1)[0]
            if kw not in DIRECTIVES:
                raise DbError("line %d: unknown directive %r" % (lineno, kw))
            arg = line[len(kw):].strip()
            if kw == "Exclude":
                if seen_probe:
                    raise DbError("line %d: Exclude after a Probe" % lineno)
                parse_ports(arg)
            elif kw == "Probe":
                m = re.match(r"(TCP|UDP) (\S+) q(.)(.*)\3( no-payload)?$", arg)
                if not m:
                    raise DbError("line %d: bad Probe line" % lineno)
                if any(p.proto == m.group(1) and p.name == m.group(2) for p in probes):
                    raise DbError("line %d: duplicate probe %s" % (lineno, m.group(2)))
                cur = Probe(m.group(1), m.group(2), unescape(m.group(4)), lineno)
                probes.append(cur)
                seen_probe = True
            elif cur is None:
                raise DbError("line %d: %s before any Probe" % (lineno, kw))
            elif kw == "rarity":
                cur.rarity = int(arg)
                if not 1 <= cur.rarity <= 9:
                    raise DbError("line %d: rarity out of range" % lineno)
            elif kw == "ports":
                cur.ports = parse_ports(arg)
            elif kw == "sslports":
                cur.sslports = parse_ports(arg)
            elif kw in ("totalwaitms", "tcpwrappedms"):
                int(arg)
                if kw == "totalwaitms":
                    cur.totalwaitms = int(arg)
            elif kw == "fallback":
                cur.fallback = [x.strip() for x in arg.split(",") if x.strip()]
            else:
                cur.matches.append(parse_match(line, lineno))
    names = {(p.proto, p.name) for p in probes}
    for p in probes:
        for fb in p.fallback:
            if (p.proto, fb) not in names:
                raise DbError("line %d: fallback %s is not a %s probe" % (p.lineno, fb, p.proto))
    if ("TCP", "NULL") not in names:
        raise DbError("no TCP NULL probe")
    return probes


# ---- template substitution ------------------------------------------------

SUB = re.compile(r'\$(?:(\d)|P\((\d)\)|SUBST\((\d),"([^"]*)","([^"]*)"\)|I\((\d),"([<>])"\))')


def substitute(tmpl, m, cpe=False):
    def grp(n):
        v = m.group(int(n)) if int(n) <= (m.re.groups or 0) else None
        return v or b""

    def rep(x):
        if x.group(1):
            v = grp(x.group(1)).decode("latin-1")
        elif x.group(2):
            v = "".join(chr(c) for c in grp(x.group(2)) if 0x20 <= c < 0x7f)
        elif x.group(3):
            v = grp(x.group(3)).decode("latin-1").replace(x.group(4), x.group(5))
        else:
            b = grp(x.group(6))
            v = str(int.from_bytes(b, "big" if x.group(7) == ">" else "little")) if b else ""
        if cpe:
            v = v.lower().replace(" ", "_")
        return v
    return SUB.sub(rep, tmpl).strip(" ,")


def version_info(match, m):
    out = {"service": match.service, "soft": match.soft}
    names = {"p": "product", "v": "version", "i": "extrainfo", "h": "hostname",
             "o": "ostype", "d": "devicetype"}
    cpes = []
    for k, t in match.templates:
        if k == "cpe":
            cpes.append("cpe:/" + substitute(t, m, cpe=True).rstrip(":"))
        else:
            v = substitute(t, m)
            if v:
                out[names[k]] = v
    if cpes:
        out["cpe"] = cpes
    return out


def find_match(probes, proto, probe_name, data):
    by = {(p.proto, p.name): p for p in probes}
    first = by.get((proto, probe_name))
    if first is None:
        raise KeyError("no %s probe %s" % (proto, probe_name))
    order = [first] + [by[(proto, f)] for f in first.fallback]
    if proto == "TCP" and probe_name != "NULL":
        order.append(by[("TCP", "NULL")])
    for p in order:
        for mt in p.matches:
            m = mt.rx.search(data)
            if m:
                return version_info(mt, m), p.name, mt.lineno
    return None, None, None


def is_sent(probe, port, tunnel):
    if probe.name == "NULL":
        return True
    listed = probe.sslports if tunnel else probe.ports
    return port in listed or probe.rarity <= 7


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=os.path.join(ROOT, "data", "service-probes"))
    ap.add_argument("--fixtures", default=os.path.join(ROOT, "crates", "service", "tests", "responses"))
    ap.add_argument("--stats", action="store_true")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()

    try:
        probes = parse_db(a.db)
    except DbError as e:
        print("service-probes: " + str(e))
        return 1
    nmatch = sum(1 for p in probes for m in p.matches if not m.soft)
    nsoft = sum(1 for p in probes for m in p.matches if m.soft)
    services = sorted({m.service for p in probes for m in p.matches})
    products = sorted({t for p in probes for m in p.matches for k, t in m.templates
                       if k == "p" and "$" not in t})
    print("service-probes: %d probes (%d TCP, %d UDP), %d match + %d softmatch lines, "
          "%d service names, %d fixed product names" % (
              len(probes), sum(p.proto == "TCP" for p in probes),
              sum(p.proto == "UDP" for p in probes), nmatch, nsoft, len(services), len(products)))
    if a.stats:
        print("probes: " + ", ".join("%s/%s" % (p.proto, p.name) for p in probes))
        print("services: " + ", ".join(services))
        print("products: " + "; ".join(products))

    exp_path = os.path.join(a.fixtures, "expected.json")
    with open(exp_path) as f:
        fixtures = json.load(f)
    fails = 0
    rows = []
    by = {(p.proto, p.name): p for p in probes}
    for fx in fixtures:
        proto = fx["proto"].upper()
        with open(os.path.join(a.fixtures, fx["file"]), "rb") as f:
            data = f.read()
        problems = []
        try:
            got, via, line = find_match(probes, proto, fx["probe"], data)
        except KeyError as e:
            got, via, line = None, None, None
            problems.append(str(e))
        tunnel = fx.get("tunnel") == "ssl"
        pr = by.get((proto, fx["probe"]))
        if pr is not None and not is_sent(pr, fx["port"], tunnel):
            problems.append("probe not sent to port %d at intensity 7" % fx["port"])
        if fx.get("service") is None:
            if got is not None:
                problems.append("want no match, got %s (line %s)" % (got["service"], line))
        elif got is None:
            problems.append("no match")
        else:
            checks = ["service", "product", "version", "soft"]
            checks += [k for k in ("extrainfo", "hostname", "ostype", "devicetype", "cpe") if k in fx]
            for k in checks:
                want = fx.get(k)
                have = got.get(k)
                if k == "soft":
                    want = bool(want)
                    have = bool(have)
                if (want or None) != (have or None) and not (k == "soft" and want == have):
                    problems.append("%s: want %r, got %r" % (k, want, have))
        ok = not problems
        fails += not ok
        label = "%s%s" % ("ssl/" if tunnel else "", got["service"] if got else "-")
        prod = (" ".join(x for x in (got.get("product"), got.get("version")) if x) if got else "")
        rows.append((("PASS" if ok else "FAIL"), fx["file"], "%s/%s" % (fx["proto"], fx["probe"]),
                     label + (" (soft)" if got and got["soft"] else ""), prod,
                     "line %s" % line if line else "", "; ".join(problems), fx.get("source", "")))
    w = [max(len(r[i]) for r in rows) for i in range(6)] if rows else [0] * 6
    for r in rows:
        print("  ".join(r[i].ljust(w[i]) for i in range(6)) + ("  " + r[6] if r[6] else ""))
        if a.v and r[7]:
            print("      source: " + r[7])
    real = sum(1 for fx in fixtures if not fx.get("source", "").startswith("synthetic"))
    print("fixtures: %d (%d captured from real daemons, %d synthetic); %d passed, %d failed" % (
        len(fixtures), real, len(fixtures) - real, len(fixtures) - fails, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
