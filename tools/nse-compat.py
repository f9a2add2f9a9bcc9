#!/usr/bin/env python3
"""Compatibility figure of the script engine with Nmap's own scripts.

For every script of Nmap's `default` category (Debian's
/usr/share/nmap/scripts/script.db), runs `nmaps --datadir /usr/share/nmap
--script NAME` and `nmap --script NAME` with the same flags against the
lab's service hosts, in the lab's scanner namespace, and counts:
  loaded     nmaps loaded the script (and the nselib modules it requires)
  completed  ... and it ran without a script error
  same       ... and its output (every <script> of that id, per host/port)
             equals nmap's
Scripts that produce nothing in the lab under either tool count as "same"
only when both are silent. Prints a table and the totals.

usage: tools/nse-compat.py [--nmaps PATH] [--only a,b]   (tests/lab/lab up first)
"""
import argparse, json, os, re, subprocess, sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(ROOT, "tests", "lab", "lab")
SCEN = json.load(open(os.path.join(ROOT, "tests", "lab", "scenario.json")))
HOSTS = {h["name"]: h for h in SCEN["hosts"]}
NAMES = ("web", "db", "mail", "ns")
TARGETS = [HOSTS[n]["ipv4"] for n in NAMES]
PORTS = sorted({p for n in NAMES for p, v in HOSTS[n]["tcp"].items() if v.get("daemon")}, key=int)
FLAGS = ["-sS", "-Pn", "-n", "-p", ",".join(PORTS), *TARGETS]


def scripts_of(xml_text, sid):
    start = xml_text.find("<?xml")
    if start < 0:
        return None
    try:
        root = ET.fromstring(xml_text[start:])
    except ET.ParseError:
        return None
    out = {}
    for h in root.findall("host"):
        addr = h.find("address").get("addr")
        for s in h.findall("hostscript/script"):
            if s.get("id") == sid:
                out[addr] = s.get("output")
        for p in h.findall("ports/port"):
            for s in p.findall("script"):
                if s.get("id") == sid:
                    out[f"{addr}:{p.get('portid')}"] = s.get("output")
    for tag in ("prescript", "postscript"):
        for s in root.findall(f"{tag}/script"):
            if s.get("id") == sid:
                out[tag] = s.get("output")
    return out


def run(argv):
    return subprocess.run([LAB, "exec", *argv, "-oX", "-"], capture_output=True, text=True, errors="replace",
                          timeout=300)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nmaps", default=os.path.join(ROOT, "target/release/nmaps"))
    ap.add_argument("--only")
    a = ap.parse_args()
    db = open("/usr/share/nmap/scripts/script.db").read()
    names = sorted(re.findall(r'filename = "([^"]+)\.nse", categories = \{[^}]*"default"', db))
    if a.only:
        names = [n for n in names if n in a.only.split(",")]
    totals = {"scripts": 0, "loaded": 0, "completed": 0, "same": 0}
    for sid in names:
        totals["scripts"] += 1
        ours = run([a.nmaps, "--datadir", "/usr/share/nmap", "--script", sid, *FLAGS])
        loaded = ours.returncode == 0
        mine = scripts_of(ours.stdout, sid) if loaded else None
        completed = loaded and mine is not None and not any(
            v and v.startswith("ERROR: Script execution failed") for v in mine.values())
        theirs = scripts_of(run(["nmap", "--script", sid, *FLAGS]).stdout, sid)
        same = completed and mine == theirs
        totals["loaded"] += loaded
        totals["completed"] += completed
        totals["same"] += same
        why = "" if loaded else (ours.stderr.strip().splitlines() or ["?"])[-1][:90]
        print(f"{sid:32} loaded={'y' if loaded else 'n'} completed={'y' if completed else 'n'} "
              f"same={'y' if same else 'n'}  nmap outputs {len(theirs or {})} nmaps {len(mine or {})}  {why}",
              flush=True)
    print(f"\nNmap default-category scripts: {totals['scripts']}; load in nmaps: {totals['loaded']}; "
          f"run to completion: {totals['completed']}; same output as nmap: {totals['same']}")


if __name__ == "__main__":
    main()
