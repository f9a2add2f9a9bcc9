#!/usr/bin/env python3
"""Conformance runner: run Debian's nmap and nmaps with the same flags inside the
lab's scanner namespace and compare their XML output semantically.

usage: conform.py [--nmaps PATH] [--lab PREFIX] [--nmap PATH] [--attempts N]
                  [--json] [--] NMAP-FLAGS... TARGETS...

Both scanners run one after the other (never concurrently) through
`tests/lab/lab --name PREFIX exec`, which refuses to run if the scanner
namespace is not isolated. `-oX -` is appended to the flags.

Compared: scan type/protocol/number of services, hosts (up/down and the
reason), host names, ports (state, reason, service name and, when either side
has them, product/version/extrainfo/ostype/method/tunnel), script ids (port and
host scripts), "extraports" summaries, runstats host counts.
Not compared: times, latencies, TTLs, command line, version strings.

Exit status: 0 same, 1 differences, 2 a scanner failed or its XML is unreadable.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(LAB_DIR))
DEFAULT_NMAPS = os.path.join(REPO, "target", "release", "nmaps")
SERVICE_FIELDS = ("name", "product", "version", "extrainfo", "ostype", "devicetype", "tunnel", "method")


class ScanError(Exception):
    pass


def run_scanner(lab: str, exe: str, flags: list[str], timeout: float) -> tuple[str, str, int]:
    cmd = [os.path.join(LAB_DIR, "lab"), "--name", lab, "exec", exe, *flags, "-oX", "-"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise ScanError(f"{exe}: timed out after {timeout}s") from e
    return p.stdout, p.stderr, p.returncode


def parse(xml_text: str, who: str) -> dict:
    start = xml_text.find("<?xml")
    if start < 0:
        start = xml_text.find("<nmaprun")
    if start < 0:
        raise ScanError(f"{who}: no XML in output")
    try:
        root = ET.fromstring(xml_text[start:])
    except ET.ParseError as e:
        raise ScanError(f"{who}: XML does not parse: {e}") from e
    if root.tag != "nmaprun":
        raise ScanError(f"{who}: root element is <{root.tag}>, not <nmaprun>")
    out: dict = {"scaninfo": [], "hosts": {}, "runstats": {}}
    for si in root.findall("scaninfo"):
        out["scaninfo"].append({k: si.get(k) for k in ("type", "protocol", "numservices")})
    for h in root.findall("host"):
        addrs = {a.get("addrtype"): a.get("addr") for a in h.findall("address")}
        key = addrs.get("ipv4") or addrs.get("ipv6") or "?"
        n = 2
        while key in out["hosts"]:  # the same target given twice: keep both, in order
            key = f"{addrs.get('ipv4') or addrs.get('ipv6')}#{n}"
            n += 1
        st = h.find("status")
        host = {
            "state": st.get("state") if st is not None else None,
            "reason": st.get("reason") if st is not None else None,
            "mac": (addrs.get("mac") or "").upper() or None,
            "hostnames": sorted((n.get("name"), n.get("type")) for n in h.findall("hostnames/hostname")),
            "ports": {},
            "extraports": [],
            "hostscripts": sorted(s.get("id") for s in h.findall("hostscript/script")),
        }
        for ep in h.findall("ports/extraports"):
            reasons = sorted((r.get("reason"), r.get("count"), r.get("proto") or "") for r in ep.findall("extrareasons"))
            host["extraports"].append((ep.get("state"), ep.get("count"), tuple(reasons)))
        host["extraports"].sort()
        for p in h.findall("ports/port"):
            pst = p.find("state")
            svc = p.find("service")
            host["ports"][f"{p.get('portid')}/{p.get('protocol')}"] = {
                "state": pst.get("state") if pst is not None else None,
                "reason": pst.get("reason") if pst is not None else None,
                "service": {f: svc.get(f) for f in SERVICE_FIELDS} if svc is not None else {},
                "scripts": sorted(s.get("id") for s in p.findall("script")),
            }
        out["hosts"][key] = host
    hs = root.find("runstats/hosts")
    if hs is not None:
        out["runstats"] = {k: hs.get(k) for k in ("up", "down", "total")}
    if root.find("runstats/finished") is None:
        raise ScanError(f"{who}: XML has no runstats/finished (scan did not complete?)")
    return out


def compare(a: dict, b: dict, an: str = "nmap", bn: str = "nmaps") -> list[str]:
    """Differences between the reference a and the candidate b, as readable lines."""
    diffs: list[str] = []

    def d(where: str, what: str, va, vb):
        diffs.append(f"{where}: {what}: {an}={va!r} {bn}={vb!r}")

    if a["scaninfo"] != b["scaninfo"]:
        d("scan", "scaninfo", a["scaninfo"], b["scaninfo"])
    if a["runstats"] != b["runstats"]:
        d("scan", "runstats hosts", a["runstats"], b["runstats"])
    for key in sorted(set(a["hosts"]) | set(b["hosts"]), key=addr_sort_key):
        ha, hb = a["hosts"].get(key), b["hosts"].get(key)
        if ha is None or hb is None:
            d(key, "host reported", ha and ha["state"], hb and hb["state"])
            continue
        for f in ("state", "reason", "mac", "hostnames", "hostscripts", "extraports"):
            if ha[f] != hb[f]:
                d(key, f, ha[f], hb[f])
        for port in sorted(set(ha["ports"]) | set(hb["ports"]), key=port_sort_key):
            pa, pb = ha["ports"].get(port), hb["ports"].get(port)
            where = f"{key} {port}"
            if pa is None or pb is None:
                d(where, "port reported", pa and pa["state"], pb and pb["state"])
                continue
            for f in ("state", "reason"):
                if pa[f] != pb[f]:
                    d(where, f, pa[f], pb[f])
            for f in SERVICE_FIELDS:
                va, vb = pa["service"].get(f), pb["service"].get(f)
                if va != vb:
                    d(where, f"service {f}", va, vb)
            if pa["scripts"] != pb["scripts"]:
                d(where, "script ids", pa["scripts"], pb["scripts"])
    return diffs


def addr_sort_key(a: str):
    import ipaddress
    base, _, n = a.partition("#")
    try:
        ip = ipaddress.ip_address(base)
        return (ip.version, int(ip), int(n or 1))
    except ValueError:
        return (9, 0, 0)


def port_sort_key(p: str):
    n, proto = p.split("/")
    return (proto, int(n))


def summary(scan: dict) -> str:
    lines = []
    for key in sorted(scan["hosts"], key=addr_sort_key):
        h = scan["hosts"][key]
        ports = ", ".join(f"{p} {v['state']}/{v['reason']}" for p, v in sorted(h["ports"].items(), key=lambda kv: port_sort_key(kv[0])))
        lines.append(f"  {key} {h['state']} ({h['reason']}) {ports}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], usage=__doc__.split("\n\n")[1].replace("usage: ", "", 1))
    ap.add_argument("--nmaps", default=os.environ.get("NMAPS", DEFAULT_NMAPS))
    ap.add_argument("--nmap", default="nmap")
    ap.add_argument("--lab", default=os.environ.get("LAB_NAME", "nlab"))
    ap.add_argument("--attempts", type=int, default=1, help="rerun both scanners up to N times while they differ (lossy links)")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--json", action="store_true", help="print both parsed results and the differences as JSON")
    ap.add_argument("-q", "--quiet", action="store_true")
    argv = list(sys.argv[1:] if argv is None else argv)
    # our options come first; the first unknown argument starts the scanner flags
    ours, i = [], 0
    takes_value = {"--nmaps", "--nmap", "--lab", "--attempts", "--timeout"}
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a in takes_value and i + 1 < len(argv):
            ours += argv[i:i + 2]
            i += 2
        elif a.split("=", 1)[0] in takes_value or a in ("--json", "-q", "--quiet", "-h", "--help"):
            ours.append(a)
            i += 1
        else:
            break
    args = ap.parse_args(ours)
    flags = argv[i:]
    if not flags:
        ap.error("give nmap flags and targets")
    if any(f in ("-oX", "-oA", "-oN", "-oG", "-oS", "-oJ") or f.startswith(("-oX", "-oA")) for f in flags):
        ap.error("do not pass output options; conform adds -oX -")
    if not os.path.exists(args.nmaps):
        print(f"conform: nmaps binary not found: {args.nmaps} (cargo build --release -p nmaps)", file=sys.stderr)
        return 2

    diffs: list[str] = []
    for attempt in range(1, args.attempts + 1):
        results = {}
        try:
            for name, exe in (("nmap", args.nmap), ("nmaps", args.nmaps)):
                out, err, rc = run_scanner(args.lab, exe, flags, args.timeout)
                if rc != 0:
                    print(f"conform: {name} exited {rc}\n--- stderr ---\n{err.strip()}\n--- stdout (head) ---\n{out[:2000]}", file=sys.stderr)
                    return 2
                results[name] = parse(out, name)
        except ScanError as e:
            print(f"conform: {e}", file=sys.stderr)
            return 2
        diffs = compare(results["nmap"], results["nmaps"])
        if not diffs:
            break
        if attempt < args.attempts and not args.quiet:
            print(f"conform: attempt {attempt}: {len(diffs)} differences, retrying", file=sys.stderr)

    if args.json:
        print(json.dumps({"flags": flags, "same": not diffs, "differences": diffs, "nmap": results["nmap"], "nmaps": results["nmaps"]}, indent=1, default=list))
    elif not args.quiet or diffs:
        print(f"conform: {' '.join(flags)}")
        if diffs:
            print(f"conform: {len(diffs)} difference(s) between nmap (reference) and nmaps:")
            for line in diffs:
                print("  - " + line)
            print("nmap saw:\n" + summary(results["nmap"]))
            print("nmaps saw:\n" + summary(results["nmaps"]))
        else:
            n = results["nmap"]
            print(f"conform: SAME ({len(n['hosts'])} host(s), {sum(len(h['ports']) for h in n['hosts'].values())} port line(s))")
    return 1 if diffs else 0


# ------------------------------------------------------------ OS detection

# Attributes that depend on timing, and how far apart nmap and nmaps may
# be: Nmap's own references for a system give these as ranges (e.g.
# SP=FC-10A, ISR=102-10C, GCD=1-6) because one host measured twice does not
# give the same values. SP and ISR: within 0x10 (their ranges are about
# 0x10 wide). GCD: both small (1-6) or equal. TS: Linux draws a random
# timestamp offset per connection, so its rate is noise: both at least
# 0x10 (random), or equal.
OS_TIMED = {
    "SP": lambda a, b: abs(int(a, 16) - int(b, 16)) <= 0x10,
    "ISR": lambda a, b: abs(int(a, 16) - int(b, 16)) <= 0x10,
    "GCD": lambda a, b: a == b or (int(a, 16) <= 6 and int(b, 16) <= 6),
    "TS": lambda a, b: a == b or (a not in "0U" and b not in "0U" and int(a, 16) >= 0x10 and int(b, 16) >= 0x10),
}


def os_results(xml_text, who):
    """Per host: the fingerprint's tests (name -> answered variant, else
    the R=N one), the best accuracy and the names at it, distance, TCP
    ports used."""
    start = xml_text.find("<?xml")
    root = ET.fromstring(xml_text[start:])
    out = {}
    for h in root.findall("host"):
        addr = next(a.get("addr") for a in h.findall("address") if a.get("addrtype") == "ipv4")
        os_el = h.find("os")
        if os_el is None:
            raise ScanError(f"{who}: no <os> for {addr}")
        # No <osfingerprint> when Nmap has nothing to show: e.g. "Too many
        # fingerprints match" on a host without an open port. Then the
        # verdict (no fingerprint, no match) is what is compared.
        fp = os_el.find("osfingerprint")
        text = fp.get("fingerprint") if fp is not None else ""
        tests = {}
        for name, body in re.findall(r"([A-Z0-9]+)\(([^)]*)\)", text.replace("OS:", "").replace("\n", "")):
            if name == "SCAN":
                continue
            attrs = dict(kv.split("=", 1) for kv in body.split("%") if "=" in kv)
            # Keep the most complete variant: an answered one over R=N.
            if name not in tests or (tests[name].get("R") == "N" and attrs.get("R") != "N"):
                tests[name] = attrs
        matches = [(m.get("name"), int(m.get("accuracy"))) for m in os_el.findall("osmatch")]
        best = max((a for _, a in matches), default=None)
        dist = h.find("distance")
        out[addr] = {
            "fingerprint_shown": fp is not None,
            "tests": tests,
            "best": best,
            "top": {n for n, a in matches if a == best},
            "distance": dist.get("value") if dist is not None else None,
            "portused": sorted((p.get("state"), p.get("portid")) for p in os_el.findall("portused") if p.get("proto") == "tcp"),
            "udp_used": [p.get("state") for p in os_el.findall("portused") if p.get("proto") == "udp"],
        }
    return out


def os_diffs(ours, theirs):
    diffs = []
    for addr in sorted(set(ours) | set(theirs)):
        a, b = theirs.get(addr), ours.get(addr)
        if a is None or b is None:
            diffs.append(f"{addr}: only in {'nmaps' if a is None else 'nmap'}")
            continue
        for k in ("fingerprint_shown", "best", "distance", "portused", "udp_used"):
            if a[k] != b[k]:
                diffs.append(f"{addr} {k}: nmap {a[k]} nmaps {b[k]}")
        if a["best"] is not None and not (a["top"] & b["top"]):
            diffs.append(f"{addr} top match: nmap {sorted(a['top'])} nmaps {sorted(b['top'])}")
        for t in sorted(set(a["tests"]) | set(b["tests"])):
            ta, tb = a["tests"].get(t, {}), b["tests"].get(t, {})
            for attr in sorted(set(ta) | set(tb)):
                va, vb = ta.get(attr), tb.get(attr)
                same = va == vb or (va is not None and vb is not None and attr in OS_TIMED and OS_TIMED[attr](va, vb))
                if not same:
                    diffs.append(f"{addr} {t}.{attr}: nmap {va} nmaps {vb}")
    return diffs


if __name__ == "__main__":
    sys.exit(main())
