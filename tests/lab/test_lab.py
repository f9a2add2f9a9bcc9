"""Tests of the nmaps network lab and connect-scan conformance against nmap.

Run as root:  python3 -m pytest -q tests/lab/test_lab.py
A uniquely named lab is brought up for the session and taken down after it
(set LAB_REUSE=NAME to use a lab that is already up and leave it up).
NMAPS=PATH selects the nmaps binary (default target/release/nmaps).
"""
from __future__ import annotations

import ipaddress
import json
import re
import os
import secrets
import subprocess
import sys
import time

import pytest

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, LAB_DIR)
import conform  # noqa: E402

LAB = os.path.join(LAB_DIR, "lab")
SCENARIO = json.load(open(os.path.join(LAB_DIR, "scenario.json")))
HOSTS = {h["name"]: h for h in SCENARIO["hosts"]}
ROUTER = dict(SCENARIO["router"])
NMAPS = os.environ.get("NMAPS", conform.DEFAULT_NMAPS)


def run(cmd, timeout=120, check=False):
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture(scope="session")
def lab():
    if os.geteuid() != 0:
        pytest.fail("the lab needs root (network namespaces)")
    reuse = os.environ.get("LAB_REUSE")
    name = reuse or "lt" + secrets.token_hex(3)
    if not reuse:
        t0 = time.monotonic()
        p = run([LAB, "--name", name, "up"], timeout=120)
        if p.returncode != 0:
            run([LAB, "--name", name, "down"], timeout=60)
            pytest.fail(f"lab up failed (a daemon did not start?):\n{p.stderr}")
        print(f"\nlab {name} up in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    yield name
    if not reuse:
        t0 = time.monotonic()
        p = run([LAB, "--name", name, "down"], timeout=120)
        left = [n for n in run(["ip", "netns", "list"]).stdout.split() if n.startswith(name + "-")]
        assert p.returncode == 0, p.stderr
        assert not left, f"namespaces left behind: {left}"
        assert not os.path.exists(f"/tmp/{name}"), "lab temp dir left behind"
        assert not os.path.exists(f"/etc/netns/{name}-scan"), "resolv.conf override left behind"
        print(f"lab {name} down in {time.monotonic() - t0:.1f}s", file=sys.stderr)


def lab_exec(lab, *cmd, timeout=180):
    return run([LAB, "--name", lab, "exec", *cmd], timeout=timeout)


def nmap_xml(lab, *flags, timeout=180):
    p = lab_exec(lab, "nmap", *flags, "-oX", "-", timeout=timeout)
    assert p.returncode == 0, f"nmap {' '.join(flags)} failed: {p.stderr}"
    return conform.parse(p.stdout, "nmap")


def ports_of(h, proto="tcp"):
    return ",".join(sorted(h[proto], key=int))


def host_ids():
    return [h["name"] for h in SCENARIO["hosts"]] + ["router"]


def host_by_id(name):
    return ROUTER if name == "router" else HOSTS[name]


# ------------------------------------------------------------------ isolation

def test_scanner_has_no_default_route(lab):
    for fam in ("-4", "-6"):
        out = run(["ip", "-n", f"{lab}-scan", fam, "route", "show", "default"], check=True).stdout
        assert out.strip() == "", f"scanner has a default route ({fam}): {out}"
    links = run(["ip", "-n", f"{lab}-scan", "-o", "link", "show"], check=True).stdout
    names = sorted(line.split(": ")[1].split("@")[0] for line in links.splitlines())
    assert names == ["eth0", "lo"], names
    assert run([LAB, "--name", lab, "check"]).returncode == 0


def test_no_lab_namespace_links_to_root(lab):
    # every veth of every lab namespace has its peer in another lab namespace
    for ns in run(["ip", "netns", "list"]).stdout.split():
        if not ns.startswith(lab + "-"):
            continue
        for line in run(["ip", "-n", ns, "-d", "-o", "link", "show", "type", "veth"]).stdout.splitlines():
            assert f"link-netns {lab}-" in line, f"{ns}: veth not linked to a lab namespace: {line}"


@pytest.mark.parametrize("how", ["v4-default", "v6-default", "extra-link"])
def test_isolation_check_refuses(lab, how):
    ns = f"{lab}-scan"
    if how == "v4-default":
        add = ["ip", "-n", ns, "route", "add", "default", "via", "198.18.0.254"]
        rm = ["ip", "-n", ns, "route", "del", "default", "via", "198.18.0.254"]
    elif how == "v6-default":
        add = ["ip", "-n", ns, "-6", "route", "add", "default", "via", "fd00:18::254"]
        rm = ["ip", "-n", ns, "-6", "route", "del", "default", "via", "fd00:18::254"]
    else:
        add = ["ip", "-n", ns, "link", "add", "labx0", "type", "veth", "peer", "name", "labx1"]
        rm = ["ip", "-n", ns, "link", "del", "labx0"]
    run(add, check=True)
    try:
        p = run([LAB, "--name", lab, "exec", "sh", "-c", "echo RAN"])
        assert p.returncode != 0, "lab exec ran despite the broken isolation"
        assert "RAN" not in p.stdout
        assert "REFUSED" in p.stderr, p.stderr
    finally:
        run(rm, check=True)
    assert lab_exec(lab, "true").returncode == 0


# ------------------------------------------------------------------ lab health

def test_all_services_listening(lab):
    p = run([LAB, "--name", lab, "status"])
    assert p.returncode == 0, f"some daemons are not listening:\n{p.stdout}\n{p.stderr}"


def test_up_is_idempotent(lab):
    t0 = time.monotonic()
    p = run([LAB, "--name", lab, "up"], check=True)
    assert "already up" in p.stderr
    assert time.monotonic() - t0 < 10


def test_faults_configured(lab):
    ruleset = run(["ip", "netns", "exec", f"{lab}-lossy", "nft", "list", "ruleset"], check=True).stdout
    assert "numgen random mod 100" in ruleset
    fw = run(["ip", "netns", "exec", f"{lab}-fw", "nft", "list", "ruleset"], check=True).stdout
    for needle in ("dport { 81, 443 } drop", "dport 82 reject with icmpx admin-prohibited", "reset", "udp dport 162 reject"):
        assert needle in fw
    assert "tbf" in run(["ip", "netns", "exec", f"{lab}-slow", "tc", "qdisc", "show", "dev", "eth0"], check=True).stdout
    rl = run(["ip", "netns", "exec", f"{lab}-fw", "sysctl", "-n", "net.ipv4.icmp_ratelimit"], check=True).stdout
    assert rl.strip() == "1000"


def test_rate_limited_link_is_slow(lab):
    code = ("import time,urllib.request,sys\n"
            "t=time.monotonic(); n=len(urllib.request.urlopen(sys.argv[1],timeout=30).read()); print(n, time.monotonic()-t)")
    fast = lab_exec(lab, sys.executable, "-c", code, "http://198.18.0.20/big.bin")
    slow = lab_exec(lab, sys.executable, "-c", code, "http://198.18.0.23/big.bin")
    assert fast.returncode == 0 and slow.returncode == 0, fast.stderr + slow.stderr
    nf, tf = fast.stdout.split()
    ns_, ts = slow.stdout.split()
    assert int(nf) == int(ns_) == 262144
    # 256 KiB at 1 Mbit/s takes ~2 s
    assert float(ts) > 1.0 and float(ts) > 4 * float(tf), (tf, ts)


def test_hostile_services_misbehave(lab):
    code = r'''
import socket, ssl, time, sys
def conn(port):
    s = socket.create_connection(("198.18.0.66", port), timeout=5); return s
def read_for(s, secs, cap=1 << 20):
    s.settimeout(0.2); buf = b""; end = time.monotonic() + secs
    while time.monotonic() < end and len(buf) < cap:
        try:
            d = s.recv(65536)
            if not d: break
            buf += d
        except socket.timeout: pass
    return buf
r = {}
s = conn(21); r["endless"] = len(read_for(s, 1.5)); s.close()
s = conn(23); g = read_for(s, 1.0); s.close()
r["garbage"] = all(x in g for x in (b"\x1b[", b"\x00", b"]]>", b"--", b"<", b"&", b"\xc3\x28"))
s = conn(79); r["drip"] = len(read_for(s, 2.5)); s.close()
s = conn(8080); s.sendall(b"GET / HTTP/1.0\r\n\r\n"); r["silent"] = len(read_for(s, 1.5)); s.close()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
try:
    t = ctx.wrap_socket(conn(443), server_hostname="hostile.lab.test"); r["tls"] = "handshake ok"
except (ssl.SSLError, ConnectionError, OSError) as e:
    r["tls"] = "broken"
print(r)
'''
    p = lab_exec(lab, sys.executable, "-c", code, timeout=60)
    assert p.returncode == 0, p.stderr
    r = eval(p.stdout)  # dict literal printed by the probe
    assert r["endless"] > 100_000, r
    assert r["garbage"] is True, r
    assert 1 <= r["drip"] <= 4, r
    assert r["silent"] == 0, r
    assert r["tls"] == "broken", r


# ------------------------------------------------------------------ ground truth vs nmap

@pytest.mark.parametrize("name", host_ids())
def test_ground_truth_connect(lab, name):
    h = host_by_id(name)
    attempts = 3 if h.get("flaky") else 1
    for attempt in range(attempts):
        scan = nmap_xml(lab, "-sT", "--unprivileged", "--reason", "-n", "-p", ports_of(h), h["ipv4"])
        problems = []
        if not h["up"]:
            if scan["hosts"] or scan["runstats"].get("down") != "1":
                problems.append(f"expected down, nmap says {scan['runstats']} {list(scan['hosts'])}")
        else:
            got = scan["hosts"].get(h["ipv4"])
            if not got or got["state"] != "up":
                problems.append("expected up")
            else:
                for port, e in h["tcp"].items():
                    g = got["ports"].get(f"{port}/tcp")
                    want = e["connect"]
                    if g is None or (g["state"], g["reason"]) != (want["state"], want["reason"]):
                        problems.append(f"{port}/tcp: scenario {want} nmap {g and (g['state'], g['reason'])}")
                    elif e.get("service") and g["service"].get("name") != e["service"]:
                        problems.append(f"{port}/tcp service: scenario {e['service']} nmap {g['service'].get('name')}")
        if not problems:
            return
    pytest.fail(f"{name}: scenario.json disagrees with nmap:\n  " + "\n  ".join(problems))


def test_ground_truth_ipv6_connect(lab):
    targets = [h for h in SCENARIO["hosts"] if h["up"] and not h.get("flaky")]
    ports = sorted({int(p) for h in targets for p in h["tcp"]})
    scan = nmap_xml(lab, "-6", "-sT", "--unprivileged", "--reason", "-n", "-p", ",".join(map(str, ports)),
                    *[h["ipv6"] for h in targets], HOSTS["down"]["ipv6"])
    problems = []
    for h in targets:
        got = scan["hosts"].get(h["ipv6"])
        if not got:
            problems.append(f"{h['name']} {h['ipv6']} not up")
            continue
        for port, e in h["tcp"].items():
            want = e.get("connect6") or e["connect"]
            g = got["ports"].get(f"{port}/tcp")
            if g is None or (g["state"], g["reason"]) != (want["state"], want["reason"]):
                problems.append(f"{h['name']} {port}/tcp: scenario {want} nmap {g and (g['state'], g['reason'])}")
    assert HOSTS["down"]["ipv6"] not in scan["hosts"]
    assert not problems, "\n".join(problems)


def test_ground_truth_syn(lab):
    targets = [h for h in SCENARIO["hosts"] if h["up"] and not h.get("flaky")] + [ROUTER]
    ports = sorted({int(p) for h in targets for p in h["tcp"]})
    scan = nmap_xml(lab, "-sS", "--reason", "-n", "-p", ",".join(map(str, ports)), *[h["ipv4"] for h in targets])
    problems = []
    for h in targets:
        got = scan["hosts"].get(h["ipv4"])
        if not got:
            problems.append(f"{h['name']} not up")
            continue
        for port, e in h["tcp"].items():
            want = e["syn"]
            g = got["ports"].get(f"{port}/tcp")
            if g is None or (g["state"], g["reason"]) != (want["state"], want["reason"]):
                problems.append(f"{h['name']} {port}/tcp: scenario {want} nmap {g and (g['state'], g['reason'])}")
    assert not problems, "\n".join(problems)


def test_ground_truth_udp(lab):
    targets = [h for h in SCENARIO["hosts"] if h["up"] and h["udp"]]
    ports = sorted({int(p) for h in targets for p in h["udp"]})
    scan = nmap_xml(lab, "-sU", "--reason", "-n", "-p", ",".join(map(str, ports)), *[h["ipv4"] for h in targets])
    problems = []
    for h in targets:
        got = scan["hosts"][h["ipv4"]]
        for port, e in h["udp"].items():
            want = e["udp_scan"]
            g = got["ports"].get(f"{port}/udp")
            if g is None or (g["state"], g["reason"]) != (want["state"], want["reason"]):
                problems.append(f"{h['name']} {port}/udp: scenario {want} nmap {g and (g['state'], g['reason'])}")
    assert not problems, "\n".join(problems)


def test_ground_truth_macs_and_arp(lab):
    scan = nmap_xml(lab, "-sn", "-n", SCENARIO["ipv4_lan"])
    want = {h["ipv4"]: h["mac"].upper() for h in SCENARIO["hosts"] if h["up"] and h["segment"] == "lan"}
    want[ROUTER["ipv4"]] = ROUTER["mac"].upper()
    got = {a: h["mac"] for a, h in scan["hosts"].items() if a != SCENARIO["scanner"]["ipv4"]}
    assert got == want
    assert HOSTS["down"]["ipv4"] not in scan["hosts"]


def test_dns_forward_and_reverse(lab):
    lan = [h for h in SCENARIO["hosts"] if h["up"]]
    scan = nmap_xml(lab, "-sL", "--dns-servers", SCENARIO["dns_server"], *[h["ipv4"] for h in lan], HOSTS["down"]["ipv4"])
    for h in lan:
        names = [n for n, t in scan["hosts"][h["ipv4"]]["hostnames"] if t == "PTR"]
        assert names == [h["names"][0]], (h["name"], names)
    assert scan["hosts"][HOSTS["down"]["ipv4"]]["hostnames"] == []
    fwd = nmap_xml(lab, "-sL", *(n for h in lan for n in h["names"]))
    by_name = {n: a.split("#")[0] for a, h in fwd["hosts"].items() for n, t in h["hostnames"] if t == "user"}
    for h in lan:
        for n in h["names"]:
            assert by_name.get(n) == h["ipv4"], (n, by_name.get(n))
    p = lab_exec(lab, "getent", "ahostsv6", "www.lab.test")
    assert HOSTS["web"]["ipv6"] in p.stdout
    assert lab_exec(lab, "getent", "hosts", "nosuchname.lab.test").returncode != 0


def test_anyip_host_answers_whole_16(lab):
    sample = HOSTS["any"]["anyip"]["sample"]
    scan = nmap_xml(lab, "-sT", "--unprivileged", "-n", "-p", "22,80,23", *sample)
    for a in sample:
        ports = scan["hosts"][a]["ports"]
        assert ports["80/tcp"]["state"] == "open" and ports["22/tcp"]["state"] == "open", a
        assert ports["23/tcp"]["state"] == "closed", a


def test_router_subnet_reached(lab):
    far = HOSTS["far"]
    scan = nmap_xml(lab, "-sn", "-n", "--traceroute", far["ipv4"])
    h = scan["hosts"][far["ipv4"]]
    assert h["state"] == "up" and h["mac"] is None  # not on the scanner's link: no ARP, no MAC
    p = lab_exec(lab, "nmap", "-sn", "-n", "--traceroute", far["ipv4"], "-oX", "-")
    assert 'ttl="1" ipaddr="198.18.0.254"' in p.stdout and 'ttl="2" ipaddr="198.18.1.10"' in p.stdout, p.stdout


# ------------------------------------------------------------------ conformance of nmaps

def require_nmaps():
    if not os.path.exists(NMAPS):
        pytest.fail(f"nmaps binary not found at {NMAPS}: build it with `cargo build --release -p nmaps`")


@pytest.mark.parametrize("name", host_ids())
def test_conform_connect_scan(lab, name):
    require_nmaps()
    h = host_by_id(name)
    attempts = "3" if h.get("flaky") else "1"
    p = run([sys.executable, os.path.join(LAB_DIR, "conform.py"), "--lab", lab, "--nmaps", NMAPS, "--attempts", attempts,
             "--timeout", "90", "-sT", "--unprivileged", "--reason", "-n", "-p", ports_of(h), h["ipv4"]], timeout=300)
    assert p.returncode == 0, f"nmaps differs from nmap on {name}:\n{p.stdout}\n{p.stderr}"


def test_conform_anyip_and_far(lab):
    require_nmaps()
    targets = HOSTS["any"]["anyip"]["sample"][:3] + [HOSTS["far"]["ipv4"], HOSTS["down"]["ipv4"]]
    p = run([sys.executable, os.path.join(LAB_DIR, "conform.py"), "--lab", lab, "--nmaps", NMAPS, "--timeout", "90",
             "-sT", "--unprivileged", "--reason", "-n", "-p", "22,23,80", *targets], timeout=300)
    assert p.returncode == 0, f"{p.stdout}\n{p.stderr}"


# Raw-packet scans and privileged discovery (issue 4): every technique and
# discovery method against nmap with the same flags, on hosts that show the
# differences (firewall rejects and drops, routed host, silent address).
LAN4 = ["198.18.0.10", "198.18.0.20", "198.18.1.10", "198.18.0.99"]
LAN6 = ["fd00:18::10", "fd00:18::20", "fd00:18:1::10", "fd00:18::99"]
FWPORTS = "22,80,81,82,83,84,443"
PING4 = ["198.18.0.10", "198.18.0.20", "198.18.0.21", "198.18.1.10", "198.18.0.99", "198.18.0.53"]
PING6 = ["fd00:18::10", "fd00:18::21", "fd00:18:1::10", "fd00:18::99"]
RAW_CASES = {
    **{f"tcp{t}": [t, "-p", FWPORTS, *LAN4] for t in ("-sS", "-sA", "-sW", "-sN", "-sF", "-sX", "-sM")},
    "scanflags": ["--scanflags", "SYNURG", "-p", FWPORTS, *LAN4],
    "default-privileged": ["-p", "22,25,80,5432", "198.18.0.10", "198.18.0.11", "198.18.0.12"],
    "syn-all-hosts": ["-sS", "-p", "21,22,25,53,80,443,873,5432,6379,8080,11211",
                      *[h["ipv4"] for h in SCENARIO["hosts"] if h.get("ipv4") and h["name"] not in ("lossy",)]],
    "udp": ["-sU", "-p", "53,123,161,162,11211,9", "198.18.0.53", "198.18.0.20", "198.18.0.11"],
    "syn+udp": ["-sS", "-sU", "-p", "T:22,80,U:53,161", "198.18.0.53"],
    "ipproto": ["-sO", "-p", "2,6,17,47,132,200", "198.18.0.10", "198.18.1.10", "198.18.0.20"],
    "ipproto-icmp": ["-sO", "-p", "1", "198.18.0.10", "198.18.1.10"],
    "sctp-init": ["-sY", "-p", "80,2905", "198.18.0.10", "198.18.1.10"],
    "sctp-cookie": ["-sZ", "-p", "80,2905", "198.18.0.10"],
    "pn-arp": ["-Pn", "-p", "22,80", "198.18.0.10", "198.18.1.10", "198.18.0.99"],
    "pn-no-arp": ["-Pn", "--disable-arp-ping", "-p", "22,80", "198.18.0.10", "198.18.1.10"],
    **{f"ping{p or '-default'}": ["-sn", *([p] if p else []), *PING4]
       for p in ("", "-PR", "-PE")},
    **{f"ping{p}-noarp": ["-sn", "--disable-arp-ping", *p.split(), *PING4]
       for p in ("", "-PE", "-PP", "-PM", "-PS22", "-PA80", "-PU", "-PY", "-PO", "-PS22,80 -PA80")},
    "v6-syn": ["-6", "-sS", "-p", FWPORTS, *LAN6],
    "v6-ack": ["-6", "-sA", "-p", FWPORTS, *LAN6[:3]],
    "v6-udp": ["-6", "-sU", "-p", "53,123,161,162", "fd00:18::53", "fd00:18::20"],
    "v6-ipproto": ["-6", "-sO", "-p", "6,17,47,58", *LAN6[:3]],
    "v6-sctp": ["-6", "-sY", "-p", "80", *LAN6[:3]],
    "v6-ping-nd": ["-6", "-sn", *PING6],
    **{f"v6-ping{p}": ["-6", "-sn", "--disable-arp-ping", p, *PING6]
       for p in ("-PE", "-PS22", "-PA80", "-PU", "-PY", "-PO")},
}


@pytest.mark.parametrize("case", sorted(RAW_CASES))
def test_conform_raw(lab, case):
    require_nmaps()
    args = RAW_CASES[case]
    # UDP, IP-protocol and SCTP answers are ICMP errors, limited per target
    # (about one a second), which the other
    # scanner's run may have drained a moment before: allow a second try.
    attempts = "2" if any(a in ("-sU", "-sO", "-sY", "-sZ") for a in args) else "1"
    p = run([sys.executable, os.path.join(LAB_DIR, "conform.py"), "--lab", lab, "--nmaps", NMAPS,
             "--attempts", attempts, "--timeout", "120", "--reason", "-n", *args], timeout=600)
    assert p.returncode == 0, f"nmaps differs from nmap for {case}:\n{p.stdout}\n{p.stderr}"


# ------------------------------------------------------------------ the comparer itself

XML = """<?xml version="1.0"?><nmaprun><scaninfo type="connect" protocol="tcp" numservices="1" services="22"/>
<host><status state="up" reason="syn-ack"/><address addr="198.18.0.10" addrtype="ipv4"/><hostnames/>
<ports><port protocol="tcp" portid="22"><state state="{state}" reason="{reason}"/><service name="ssh" method="table"/></port></ports></host>
<runstats><finished time="1"/><hosts up="1" down="0" total="1"/></runstats></nmaprun>"""


def test_compare_reports_differences():
    a = conform.parse(XML.format(state="open", reason="syn-ack"), "a")
    assert conform.compare(a, a) == []
    b = conform.parse(XML.format(state="closed", reason="conn-refused"), "b")
    diffs = conform.compare(a, b)
    assert any("22/tcp: state" in d for d in diffs) and any("reason" in d for d in diffs), diffs
    with pytest.raises(conform.ScanError):
        conform.parse("<nmaprun><host>", "broken")


# ------------------------------------------------------------------ UDP payloads

def test_udp_payloads_get_answers(lab):
    # Each payload nmaps has for these ports, sent from the scanner to the lab
    # daemon behind it, must draw a reply (the payloads speak the protocol).
    targets = {"53": HOSTS["ns"]["ipv4"], "123": HOSTS["ns"]["ipv4"],
               "161": HOSTS["ns"]["ipv4"], "11211": HOSTS["db"]["ipv4"]}
    for port, addr in targets.items():
        assert ipaddress.ip_address(addr) in ipaddress.ip_network(SCENARIO["ipv4_lan"])
        assert port in host_by_id("ns" if addr == HOSTS["ns"]["ipv4"] else "db")["udp"]
    payload_file = os.path.join(LAB_DIR, "..", "..", "data", "udp-payloads.txt")
    code = r'''
import json, socket, sys
targets = json.loads(sys.argv[2])
records, cur = [], None
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    if line.startswith("udp "):
        _, ports, name = line.split()
        cur = (name, ports, [])
    elif line == "end":
        records.append((cur[0], cur[1], bytes.fromhex("".join(cur[2])))); cur = None
    else:
        cur[2].append(line.replace(" ", "").replace("\t", ""))
r = {}
for name, ports, data in records:
    for port in ports.split(","):
        if port not in targets:
            continue
        got = None
        for _ in range(2):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
            try:
                s.sendto(data, (targets[port], int(port)))
                got, _peer = s.recvfrom(65535)
                break
            except (socket.timeout, OSError):
                pass
            finally:
                s.close()
        r[f"{name}/{port}"] = len(got) if got else 0
print(json.dumps(r))
'''
    p = lab_exec(lab, sys.executable, "-c", code, os.path.abspath(payload_file),
                 json.dumps(targets), timeout=60)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert {k.split("/")[1] for k in r} == set(targets), r
    silent = [k for k, n in r.items() if n == 0]
    assert not silent, f"no reply to {silent}: {r}"


# ------------------------------------------------------------------ version detection (-sV)

VERSION_TCP = {  # host -> open TCP ports with a daemon behind them
    name: sorted((p for p, v in HOSTS[name]["tcp"].items() if v.get("daemon") and v["syn"]["state"] == "open"), key=int)
    for name in ("web", "db", "mail", "ns", "fw", "slow")
}
NMAP_DB = "/usr/share/nmap"


def version_scan(lab, exe, flags, timeout=400):
    p = lab_exec(lab, exe, *flags, "-oX", "-", timeout=timeout)
    assert p.returncode == 0, f"{exe} {' '.join(flags)} failed: {p.stderr}"
    return conform.parse(p.stdout, exe), p


def services(scan):
    out = {}
    for addr, h in scan["hosts"].items():
        for port, v in h["ports"].items():
            if v["state"] == "open":
                out[f"{addr} {port}"] = v["service"]
    return out


def version_diffs(ours, theirs, fields, skip=()):
    diffs = []
    for key in sorted(set(ours) | set(theirs)):
        if key in skip:
            continue
        a, b = theirs.get(key), ours.get(key)
        if a is None or b is None:
            diffs.append(f"{key}: only in {'nmaps' if a is None else 'nmap'}")
            continue
        for f in fields:
            if (a.get(f) or None) != (b.get(f) or None):
                diffs.append(f"{key} {f}: nmap {a.get(f)!r} nmaps {b.get(f)!r}")
    return diffs


@pytest.fixture(scope="module")
def nmap_version_tcp(lab):
    targets = [HOSTS[n]["ipv4"] for n in VERSION_TCP]
    ports = ",".join(sorted({p for ps in VERSION_TCP.values() for p in ps}, key=int))
    flags = ["-sS", "-sV", "-Pn", "-n", "-p", ports, *targets]
    scan, _ = version_scan(lab, "nmap", flags)
    return flags, services(scan)


@pytest.mark.parametrize("db", ["nmap-db", "embedded"])
def test_conform_version_tcp(lab, nmap_version_tcp, db):
    """Every lab TCP service: with nmap's database nmaps names the same
    service, product and version (and TLS tunnel) as nmap -sV; with the
    project's own database, the same service and product."""
    require_nmaps()
    flags, theirs = nmap_version_tcp
    extra = ["--datadir", NMAP_DB] if db == "nmap-db" else []
    scan, _ = version_scan(lab, NMAPS, [*extra, *flags])
    ours = services(scan)
    assert len(theirs) >= 15, theirs
    fields = ("name", "product", "version", "tunnel") if db == "nmap-db" else ("name", "product", "tunnel")
    diffs = version_diffs(ours, theirs, fields)
    assert not diffs, "\n".join(diffs)


def test_conform_version_udp(lab):
    """UDP services (DNS, NTP, SNMP): same service, product and version as
    nmap -sU -sV with nmap's database. nmap's snmp-info script (a 'version'
    NSE script, run by -sV) rewrites the SNMP product; nmaps has no NSE yet,
    so that field is compared with the probe's own match."""
    require_nmaps()
    flags = ["-sU", "-sV", "-Pn", "-n", "-p", "53,123,161", HOSTS["ns"]["ipv4"]]
    theirs = services(version_scan(lab, "nmap", flags)[0])
    ours = services(version_scan(lab, NMAPS, ["--datadir", NMAP_DB, *flags])[0])
    snmp = f"{HOSTS['ns']['ipv4']} 161/udp"
    assert theirs[snmp]["product"].startswith(ours[snmp]["product"] + "; "), (theirs[snmp], ours[snmp])
    diffs = version_diffs(ours, theirs, ("name", "product", "version"), skip=(snmp,))
    assert not diffs and len(theirs) == 3, "\n".join(diffs) or theirs
    # The embedded database knows them too, and memcached over UDP.
    emb = services(version_scan(lab, NMAPS, [*flags[:-2], "53,123,161", HOSTS["ns"]["ipv4"]])[0])
    assert sorted(v["name"] for v in emb.values()) == ["domain", "ntp", "snmp"], emb
    mc = services(version_scan(lab, NMAPS, ["-sU", "-sV", "-Pn", "-n", "-p", "11211", HOSTS["db"]["ipv4"]])[0])
    assert [(v["name"], v["product"]) for v in mc.values()] == [("memcached", "Memcached")], mc


def test_version_hostile_services(lab, tmp_path):
    """The hostile host's endless banner, garbage and escapes, one-byte drip,
    broken TLS and silent accept: the scan ends in bounded time, the XML
    validates against nmap.dtd and no output shows a control character."""
    require_nmaps()
    h = HOSTS["hostile"]
    t0 = time.monotonic()
    p = lab_exec(lab, NMAPS, "-sV", "-Pn", "-n", "-p", "21,23,79,443,8080", "-oX", "/tmp/nmaps-hostile.xml",
                 "-oN", "/tmp/nmaps-hostile.nmap", "-oG", "/tmp/nmaps-hostile.gnmap", h["ipv4"], timeout=300)
    took = time.monotonic() - t0
    assert p.returncode == 0, p.stderr
    assert took < 120, f"-sV on the hostile host took {took:.0f}s"
    v = run(["xmllint", "--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", "/tmp/nmaps-hostile.xml"])
    assert v.returncode == 0, v.stderr
    for f in ("/tmp/nmaps-hostile.nmap", "/tmp/nmaps-hostile.gnmap"):
        data = open(f, "rb").read()
        # Newlines end lines; grepable output separates its fields with tabs.
        bad = sorted({b for b in data if b < 0x20 and b not in (0x09, 0x0a) or b == 0x7f})
        assert not bad, f"{f} has raw control bytes {bad}"
    for out in (p.stdout,):
        assert "\x1b" not in out and "\x00" not in out
    scan = conform.parse(open("/tmp/nmaps-hostile.xml").read(), "nmaps")
    ports = scan["hosts"][h["ipv4"]]["ports"]
    assert sorted(ports, key=lambda s: int(s.split("/")[0])) == ["21/tcp", "23/tcp", "79/tcp", "443/tcp", "8080/tcp"]
    assert all(v["state"] == "open" for v in ports.values()), ports


def test_script_trace_shows_socket_io(lab):
    """--script-trace logs each connect, send, receive and close of the scripts' sockets."""
    require_nmaps()
    web = HOSTS["web"]["ipv4"]
    p = lab_exec(lab, NMAPS, "--script", "banner", "--script-trace", "-Pn", "-n", "-p", "22", web)
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stdout.splitlines() if l.startswith("NSE: TCP ")]
    assert any(l.endswith(f"> {web}:22 | CONNECT") for l in lines), p.stdout
    assert any(f"< {web}:22 | SSH-2.0-OpenSSH" in l for l in lines), p.stdout
    assert any(l.endswith(f"> {web}:22 | CLOSE") for l in lines), p.stdout


def default_script_outputs(lab, exe):
    flags = ["-sS", "-sC", "-Pn", "-n", "-p", "21,22,25,53,80,443",
             HOSTS["web"]["ipv4"], HOSTS["mail"]["ipv4"], HOSTS["ns"]["ipv4"], "-oX", "-"]
    p = lab_exec(lab, exe, *flags, timeout=300)
    assert p.returncode == 0, p.stderr
    import xml.etree.ElementTree as ET
    root = ET.fromstring(p.stdout[p.stdout.find("<?xml"):])
    out = {}
    for h in root.findall("host"):
        addr = h.find("address").get("addr")
        for port in h.findall("ports/port"):
            for s in port.findall("script"):
                out[(addr, port.get("portid"), s.get("id"))] = s.get("output")
    return out


def test_default_scripts_like_nmap(lab):
    """-sC: for the default scripts nmaps ships, the same results as nmap -sC
    on the lab's web, mail and ns hosts. Known differences: ssh-hostkey also
    lists the RSA key (Nmap 7.93 cannot fetch it from OpenSSH 9), ftp-syst
    quotes vsftpd's live client counter, and nmaps has no ssl-date and no
    STARTTLS for ssl-cert yet."""
    require_nmaps()
    theirs = default_script_outputs(lab, "nmap")
    ours = default_script_outputs(lab, NMAPS)
    shipped = {os.path.basename(f)[:-4] for f in os.listdir(os.path.join(LAB_DIR, "..", "..", "scripts"))
               if f.endswith(".nse")}
    same, diffs = 0, []
    for key, text in sorted(theirs.items()):
        addr, port, sid = key
        if sid not in shipped or (sid == "ssl-cert" and port == "25"):
            continue
        mine = ours.get(key)
        if sid == "ssh-hostkey":
            ok = mine is not None and set(text.splitlines()) <= set(mine.splitlines())
        elif sid == "ftp-syst":
            live = re.compile(r"client count was \d+")
            ok = mine is not None and live.sub("", mine) == live.sub("", text)
        else:
            ok = mine == text
        same += ok
        if not ok:
            diffs.append(f"{key}: nmap {text!r}\n  nmaps {mine!r}")
    assert not diffs, "\n".join(diffs)
    assert same >= 10, (same, sorted(theirs))
    # Nothing extra: every nmaps result is one nmap gives too.
    assert set(ours) <= set(theirs), sorted(set(ours) - set(theirs))


# ------------------------------------------------------------ OS detection

OS_HOSTS = ["web", "db", "mail", "ns", "fw", "noping", "lossy", "slow", "any", "hostile", "far"]
# 81 is closed everywhere but on fw, where 83 answers with a reset.
OS_FLAGS = ["-O", "-n", "-p", "22,80,81,83"]
def test_conform_os_detection(lab):
    """nmap -O and nmaps -O --datadir /usr/share/nmap on every answering lab
    host (one command each): the same fingerprint values (timing-dependent
    ones within conform.OS_TIMED), the same best accuracy with a shared top match,
    the same distance and ports used. Reruns both while they differ (a
    busy lab loses a reply now and then), as conform.py --attempts."""
    require_nmaps()
    targets = [HOSTS[n]["ipv4"] for n in OS_HOSTS]
    for attempt in range(3):
        p = lab_exec(lab, "nmap", *OS_FLAGS, "-oX", "-", *targets, timeout=300)
        assert p.returncode == 0, p.stderr
        theirs = conform.os_results(p.stdout, "nmap")
        q = lab_exec(lab, NMAPS, "--datadir", NMAP_DB, *OS_FLAGS, "-oX", "-", *targets, timeout=300)
        assert q.returncode == 0, q.stderr
        ours = conform.os_results(q.stdout, "nmaps")
        diffs = conform.os_diffs(ours, theirs)
        if not diffs:
            break
    assert len(theirs) == len(OS_HOSTS), theirs.keys()
    assert not diffs, "\n".join(diffs)


def test_os_detection_needs_privileges_and_ipv4(lab):
    require_nmaps()
    p = lab_exec(lab, NMAPS, "-O", "--unprivileged", "-p", "22", HOSTS["web"]["ipv4"])
    assert p.returncode == 1 and "TCP/IP fingerprinting (for OS scan) requires root privileges." in p.stderr, p
    p = lab_exec(lab, NMAPS, "-6", "-O", "-p", "22", HOSTS["web"]["ipv6"])
    assert p.returncode == 2 and "-O with IPv6" in p.stderr, p


def test_os_detection_embedded_database(lab):
    """Without --datadir nmaps uses its own database (data/os-db, measured by
    tools/os-capture.py): the lab's hosts, on the kernel's defaults, are a
    perfect match for the "defaults" reference, near and behind the router."""
    require_nmaps()
    targets = [HOSTS["web"]["ipv4"], HOSTS["far"]["ipv4"]]
    p = lab_exec(lab, NMAPS, "-O", "-n", "-p", "22,80,81", "-oX", "-", *targets, timeout=300)
    assert p.returncode == 0, p.stderr
    import xml.etree.ElementTree as ET

    root = ET.fromstring(p.stdout[p.stdout.find("<?xml"):])
    for h in root.findall("host"):
        matches = [(m.get("name"), m.get("accuracy")) for m in h.findall("os/osmatch")]
        assert matches == [("Linux (lab, defaults)", "100")], matches
        cpes = [c.text for c in h.findall("os/osmatch/osclass/cpe")]
        assert cpes == ["cpe:/o:linux:linux_kernel:6"], cpes
    assert len(root.findall("host")) == 2
