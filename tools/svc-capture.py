#!/usr/bin/env python3
"""Capture a service's raw response to one probe (for service-probe fixtures).

usage:
  svc-capture.py [--probe NAME | --payload 'q|...|'] [--udp] [--tls]
                 [--wait MS] [--max BYTES] [--db FILE]
                 HOST PORT OUT.bin
  svc-capture.py --recapture PREFIX OUTDIR
                 recapture every fixture of expected.json whose file name
                 starts with PREFIX (lab-, priv-) from its "host" into OUTDIR
                 and write OUTDIR/expected.json (then run svc-verify.py
                 --fixtures OUTDIR to check the signatures on fresh data)

--probe NAME      payload (and protocol, totalwaitms) from data/service-probes
--payload 'q|..|' payload in nmap-service-probes escape syntax
--tls             wrap the TCP connection in TLS first (no verification), as
                  the scanner does after an `ssl` match
--wait MS         total time to wait for the response (default: the probe's
                  totalwaitms, else 5000 for NULL, 3000 otherwise)
--max BYTES       stop after this many bytes (default 16384)

Connects, sends the payload (nothing for the NULL probe), reads until the
peer closes, --max bytes arrive or --wait ms pass, and writes the raw bytes.
Only ever point this at the lab (inside `tests/lab/lab exec`) or at the
loopback of a private network namespace you created.
"""
import argparse
import os
import socket
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DB = os.path.join(HERE, "..", "data", "service-probes")

ESC = {"0": b"\0", "a": b"\a", "b": b"\b", "f": b"\f", "n": b"\n",
       "r": b"\r", "t": b"\t", "v": b"\v", "\\": b"\\"}


def unescape(body):
    """nmap-service-probes payload escapes: \\xHH and C escapes."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("latin-1")
            i += 1
            continue
        n = body[i + 1]
        if n == "x":
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif n in ESC:
            out += ESC[n]
            i += 2
        else:  # \| and other escaped delimiters stand for themselves
            out += n.encode("latin-1")
            i += 2
    return bytes(out)


def parse_q(spec):
    spec = spec.strip()
    if not spec.startswith("q") or len(spec) < 3:
        raise ValueError("payload must look like q|...|")
    d = spec[1]
    end = spec.index(d, 2)
    # allow an escaped delimiter inside
    while spec[end - 1] == "\\" and spec[end - 2] != "\\":
        end = spec.index(d, end + 1)
    return unescape(spec[2:end])


def probe_from_db(db, name, proto):
    cur = None
    info = {}
    with open(db, encoding="latin-1") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("Probe "):
                parts = line.split(" ", 3)
                cur = (parts[1].lower(), parts[2])
                if cur == (proto, name) or (proto is None and parts[2] == name):
                    info = {"proto": parts[1].lower(), "payload": parse_q(parts[3])}
                    continue
                if info:
                    break
            elif info and line.startswith("totalwaitms "):
                info["wait"] = int(line.split()[1])
    if not info:
        sys.exit("probe %s not found in %s" % (name, db))
    return info


def recapture(prefix, outdir, db):
    import json
    import subprocess
    here = os.path.join(HERE, "..", "crates", "service", "tests", "responses")
    with open(os.path.join(here, "expected.json")) as f:
        fixtures = [x for x in json.load(f) if x["file"].startswith(prefix) and x.get("host")]
    os.makedirs(outdir, exist_ok=True)
    done = []
    for fx in fixtures:
        if fx.get("service") is None or fx.get("reproducible") is False:
            continue  # garbage from the hostile host, or a one-off state
        cmd = [sys.executable, os.path.abspath(__file__), "--db", db, "--probe", fx["probe"]]
        if fx["proto"] == "udp":
            cmd.append("--udp")
        if fx.get("tunnel") == "ssl":
            cmd.append("--tls")
        if fx["probe"] == "NULL":
            cmd += ["--wait", "3000"]
        cmd += [fx["host"], str(fx["port"]), os.path.join(outdir, fx["file"])]
        if subprocess.call(cmd) == 0:
            done.append(fx)
    with open(os.path.join(outdir, "expected.json"), "w") as f:
        json.dump(done, f, indent=0)
    print("%d of %d recaptured into %s" % (len(done), len(fixtures), outdir))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--recapture":
        return recapture(sys.argv[2], sys.argv[3], DEFAULT_DB)
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe")
    ap.add_argument("--payload")
    ap.add_argument("--udp", action="store_true")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--wait", type=int)
    ap.add_argument("--max", type=int, default=16384)
    ap.add_argument("--db", default=DEFAULT_DB)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("out")
    a = ap.parse_args()

    proto = "udp" if a.udp else None
    if a.probe:
        info = probe_from_db(a.db, a.probe, proto)
    else:
        info = {"proto": proto or "tcp", "payload": parse_q(a.payload or "q||")}
    udp = info["proto"] == "udp"
    wait = a.wait or info.get("wait") or (5000 if not info["payload"] else 3000)
    if a.probe == "NULL" and not a.wait:
        wait = min(wait, 6000)

    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    deadline = time.monotonic() + wait / 1000.0
    data = b""
    if udp:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.connect((a.host, a.port))
        s.send(info["payload"])
        # first datagram only, as the scanner matches per datagram
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = s.recv(65535)
        except (socket.timeout, ConnectionRefusedError):
            pass
    else:
        s = socket.create_connection((a.host, a.port), timeout=wait / 1000.0)
        if a.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        if info["payload"]:
            s.sendall(info["payload"])
        while len(data) < a.max:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                chunk = s.recv(a.max - len(data))
            except (socket.timeout, ConnectionResetError, ssl.SSLError):
                break
            if not chunk:
                break
            data += chunk
    s.close()
    with open(a.out, "wb") as f:
        f.write(data)
    print("%s %s:%d %s -> %d bytes" % (a.probe or "payload", a.host, a.port,
                                       info["proto"], len(data)))
    if not data:
        sys.exit(1)


if __name__ == "__main__":
    main()
