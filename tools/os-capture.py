#!/usr/bin/env python3
"""Measure the project's own OS reference fingerprints in a lab of its own.

Brings up (or reuses) the lab named LAB_NAME (default "osc"; never the
shared "nlab", whose settings other suites rely on), and for each variant
below sets the web host's TCP/IP sysctls, runs `nmaps -O` against it a few
times with nmap-os-db kept out of the way (one try each), and turns the
measured fingerprints into a reference entry:

  Fingerprint Linux (lab, ttl 128, no timestamps)
  Class Linux | Linux | 6.X | general purpose
  CPE cpe:/o:linux:linux_kernel:6 auto
  SEQ(SP=F0-118%GCD=1-6%ISR=F8-118%TI=Z%CI=Z%II=I%TS=U)
  ...

Every value is what nmaps measured; the timing-dependent ones become ranges
around the values seen (SP and ISR widened by 0x10, GCD 1-6, TS a range
around what was seen), TTLs become a range around the initial TTL (T) and
the exact initial guess (TG), so the entry matches whether or not U1's hop
count is known. The entries replace the block after the marker line in
data/os-db (the MatchPoints block before it is kept).

usage: tools/os-capture.py [--nmaps PATH] [--runs N] [--keep-lab] [--dry-run]
"""
import argparse
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(ROOT, "tests", "lab", "lab")
DB = os.path.join(ROOT, "data", "os-db")
MARKER = "# ---- References measured by tools/os-capture.py (regenerated: edits below are lost) ----"
HOST = "web"
ADDR = "198.18.0.10"
# -vv: the fingerprint is in the XML even when it matches perfectly.
FLAGS = ["-O", "-vv", "-n", "--max-os-tries", "1", "-p", "22,80,81", ADDR]

# The stock settings of the lab's kernel, set explicitly before each variant.
DEFAULTS = {
    "net.ipv4.ip_default_ttl": "64",
    "net.ipv4.tcp_timestamps": "1",
    "net.ipv4.tcp_window_scaling": "1",
    "net.ipv4.tcp_sack": "1",
    "net.ipv4.tcp_ecn": "2",
}

VARIANTS = [
    ("defaults", {}),
    ("ttl 128", {"net.ipv4.ip_default_ttl": "128"}),
    ("ttl 255", {"net.ipv4.ip_default_ttl": "255"}),
    ("no timestamps", {"net.ipv4.tcp_timestamps": "0"}),
    ("ttl 128, no timestamps", {"net.ipv4.ip_default_ttl": "128", "net.ipv4.tcp_timestamps": "0"}),
    ("no window scaling", {"net.ipv4.tcp_window_scaling": "0"}),
    ("no SACK", {"net.ipv4.tcp_sack": "0"}),
    ("no timestamps, no window scaling", {"net.ipv4.tcp_timestamps": "0", "net.ipv4.tcp_window_scaling": "0"}),
    ("ECN off", {"net.ipv4.tcp_ecn": "0"}),
    ("no SACK, no timestamps", {"net.ipv4.tcp_sack": "0", "net.ipv4.tcp_timestamps": "0"}),
]
# Not variants: tcp_ecn=1 and ip_no_pmtu_disc=1 answer these probes exactly
# as the defaults do (ECN=1 differs only on outgoing connections; TCP keeps
# DF), so their entries would only duplicate "defaults".


def lab(name, *args, check=True):
    p = subprocess.run([LAB, "--name", name, *args], capture_output=True, text=True, errors="replace")
    if check and p.returncode != 0:
        sys.exit(f"lab {' '.join(args)} failed: {p.stderr[-2000:]}")
    return p


def measure(name, nmaps, datadir):
    p = lab(name, "exec", nmaps, "--datadir", datadir, *FLAGS, "-oX", "-")
    root = ET.fromstring(p.stdout[p.stdout.find("<?xml"):])
    fp = root.find("host/os/osfingerprint")
    if fp is None:
        return None
    text = "".join(line[3:] if line.startswith("OS:") else line for line in fp.get("fingerprint").splitlines())
    tests = []
    for test, body in re.findall(r"([A-Z0-9]+)\(([^)]*)\)", text):
        if test != "SCAN":
            tests.append((test, [tuple(kv.split("=", 1)) for kv in body.split("%") if "=" in kv]))
    return tests


def hexrange(values, widen, lo_cap=0, hi_cap=None):
    nums = [int(v, 16) for v in values]
    lo, hi = max(lo_cap, min(nums) - widen), max(nums) + widen
    if hi_cap is not None:
        hi = min(hi, hi_cap)
    return f"{lo:X}" if lo == hi else f"{lo:X}-{hi:X}"


def initial_ttl(ttl):
    return 32 if ttl <= 32 else 64 if ttl <= 64 else 128 if ttl <= 128 else 255


def reference(label, runs):
    """One entry from several one-try fingerprints of the same variant."""
    # The complete runs (U1 and IE answered) give the shape; values of the
    # timing-dependent attributes are gathered over every run.
    complete = [r for r in runs if dict(r).get("U1", [("R", "N")])[0] == ("R", "Y")]
    base = complete[0] if complete else runs[0]
    seen = {}
    for r in runs:
        for test, attrs in r:
            for a, v in attrs:
                seen.setdefault((test, a), []).append(v)
    lines = []
    for test, attrs in base:
        out = []
        for a, v in attrs:
            vals = seen[(test, a)]
            if test == "SEQ" and a in ("SP", "ISR"):
                v = hexrange(vals, 0x10)
            elif test == "SEQ" and a == "GCD":
                v = "1-6" if all(int(x, 16) <= 6 for x in vals) else hexrange(vals, 0)
            elif test == "SEQ" and a == "TS" and all(x not in ("U", "0") for x in vals):
                v = hexrange(vals, 4)
            elif a in ("T", "TG"):
                ttl = initial_ttl(int(v, 16))
                out.append(("T", hexrange([f"{ttl:X}"], 5, hi_cap=0xFF)))
                out.append(("TG", f"{ttl:X}"))
                continue
            out.append((a, v))
        lines.append(f"{test}({'%'.join(f'{a}={v}' for a, v in out)})")
    head = [
        f"Fingerprint Linux (lab, {label})",
        "Class Linux | Linux | 6.X | general purpose",
        "CPE cpe:/o:linux:linux_kernel:6 auto",
    ]
    return "\n".join(head + lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nmaps", default=os.path.join(ROOT, "target/release/nmaps"))
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--keep-lab", action="store_true")
    ap.add_argument("--dry-run", action="store_true", help="print the entries, leave data/os-db alone")
    a = ap.parse_args()
    name = os.environ.get("LAB_NAME", "osc")
    if name == "nlab":
        sys.exit("use a lab of your own (LAB_NAME=osc): the variants change the web host's sysctls")
    lab(name, "up")
    # An empty data directory: the embedded database is not what we measure
    # against, but nmaps needs some nmap-os-db-free directory to read.
    empty = "/tmp/os-capture-empty"
    os.makedirs(empty, exist_ok=True)
    entries = []
    try:
        for label, change in VARIANTS:
            for k, v in {**DEFAULTS, **change}.items():
                lab(name, "ns", HOST, "sysctl", "-q", "-w", f"{k}={v}")
            runs = [r for r in (measure(name, a.nmaps, empty) for _ in range(a.runs)) if r]
            if not runs:
                print(f"{label}: no fingerprint", file=sys.stderr)
                continue
            entry = reference(label, runs)
            print(entry + "\n", flush=True)
            entries.append(entry)
        for k, v in DEFAULTS.items():
            lab(name, "ns", HOST, "sysctl", "-q", "-w", f"{k}={v}")
    finally:
        if not a.keep_lab:
            lab(name, "down", check=False)
    if a.dry_run or not entries:
        return
    text = open(DB).read()
    if MARKER in text:
        text = text[: text.index(MARKER)].rstrip("\n") + "\n"
    text += f"\n{MARKER}\n# The lab's Linux ({os.uname().release.split('-')[0]}) with one TCP/IP setting changed per entry.\n\n"
    text += "\n\n".join(entries) + "\n"
    open(DB, "w").write(text)
    print(f"wrote {len(entries)} references to {DB}")


if __name__ == "__main__":
    main()
