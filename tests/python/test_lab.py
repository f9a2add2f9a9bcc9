"""Every nmap3 method, run through nmaps in-process and through python3-nmap
1.9.1 driving Debian's nmap, in the lab's scanner namespace: the same dict
shape and the same values apart from times.

Run inside a lab (see tests/python/run): NMAPS_PY_LAB=1 in the scanner
namespace; otherwise these tests are skipped."""

import asyncio
import copy
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import in_lab

pytestmark = pytest.mark.skipif(not in_lab(), reason="needs the lab's scanner namespace (tests/python/run)")

nmap3 = pytest.importorskip("nmap3")
import nmaps  # noqa: E402

RESERVED = ("runtime", "stats", "task_results")

# Keys whose values are times or name the program/run, not the scan result.
TIME_KEYS = {
    "runtime": ("time", "timestr", "summary", "elapsed"),
    "stats": ("args", "start", "startstr"),
}


def tasks(task_results, version_scan):
    """Nmap's -v <taskend> lines without their times. Under -sV Nmap runs the
    NSE "version" scripts as extra "NSE" rounds; nmaps's version detection
    has no such rounds (docs/python.md), so those are left out there."""
    out = [(t.get("task"), t.get("extrainfo")) for t in task_results]
    if version_scan:
        out = [t for t in out if t[0] != "NSE"]
    return out


def normalize(res, version_scan=False):
    """A copy without times; task_results as (task, extrainfo) pairs."""
    if not isinstance(res, dict):
        return res
    res = copy.deepcopy(res)
    for key, fields in TIME_KEYS.items():
        if isinstance(res.get(key), dict):
            for f in fields:
                res[key].pop(f, None)
    if isinstance(res.get("task_results"), list):
        res["task_results"] = tasks(res["task_results"], version_scan)
    for addr, host in res.items():
        if addr in RESERVED or not isinstance(host, dict):
            continue
        for port in host.get("ports", []):
            for script in port.get("scripts", []):
                # nmaps writes its own script output text; the structured data must agree
                script.pop("raw", None)
    return res


def element_result(el):
    """nmap_detect_firewall returns an Element: compare its parsed form."""
    return nmaps.NmapCommandParser().filter_top_ports(el)


# (class, method, positional args, keyword args)
CASES = [
    ("Nmap", "scan_top_ports", ("198.18.0.10",), {}),
    ("Nmap", "scan_top_ports", ("198.18.0.12 198.18.0.53",), {"default": 20}),
    ("Nmap", "nmap_dns_brute_script", ("web.lab.test",), {"args": "-sn"}),
    # with Nmap's probe database, as the engine's conformance tests (docs/service-db.md)
    ("Nmap", "nmap_version_detection", ("198.18.0.12",), {"args": "-p 21,22,25,110 --datadir /usr/share/nmap"}),
    ("Nmap", "nmap_version_detection", ("198.18.0.10",), {"args": "-p 22,80,443 --datadir /usr/share/nmap"}),
    ("Nmap", "nmap_stealth_scan", ("198.18.0.10",), {"args": "-p 22,80"}),
    ("Nmap", "nmap_detect_firewall", ("198.18.0.20",), {"args": "-p 22,81,82,83,85"}),
    ("Nmap", "nmap_subnet_scan", ("198.18.0.10",), {"args": "-T4"}),
    ("Nmap", "nmap_list_scan", ("198.18.0.8/30",), {}),
    ("Nmap", "scan_command", ("198.18.0.10", "-sT"), {"args": "-p 22,80,8080"}),
    ("NmapScanTechniques", "nmap_fin_scan", ("198.18.0.10",), {"args": "-p 22,80,8080"}),
    ("NmapScanTechniques", "nmap_syn_scan", ("198.18.0.10",), {"args": "-p 22,80,8080"}),
    ("NmapScanTechniques", "nmap_tcp_scan", ("198.18.0.20",), {"args": "-p 22,80,81,83"}),
    ("NmapScanTechniques", "nmap_udp_scan", ("198.18.0.53",), {"args": "-p 53,69,123,161"}),
    ("NmapScanTechniques", "nmap_ping_scan", ("198.18.0.8/29",), {}),
    ("NmapScanTechniques", "nmap_idle_scan", ("198.18.0.10",), {}),
    ("NmapScanTechniques", "nmap_ip_scan", ("198.18.0.10",), {"args": "-p 6,17,132"}),
    ("NmapHostDiscovery", "nmap_portscan_only", ("198.18.0.21",), {"args": "-p 22,23,80"}),
    ("NmapHostDiscovery", "nmap_no_portscan", ("198.18.0.8/29",), {}),
    ("NmapHostDiscovery", "nmap_arp_discovery", ("198.18.0.10",), {"args": "-p 22,80"}),
    ("NmapHostDiscovery", "nmap_disable_dns", ("198.18.0.10",), {"args": "-p 22,80"}),
]


def case_id(c):
    return "%s.%s(%s)" % (c[0], c[1], ",".join(map(str, c[2])))


def run_theirs(cls, method, args, kwargs):
    if method == "nmap_detect_firewall":
        # python3-nmap 1.9.1 returns None here (fixed upstream): same argv through scan_command
        return element_result(nmap3.Nmap().scan_command(args[0], arg="-sA", **kwargs))
    res = getattr(getattr(nmap3, cls)(), method)(*args, **kwargs)
    return element_result(res) if isinstance(res, ET.Element) else res


def run_ours(cls, method, args, kwargs):
    res = getattr(getattr(nmaps, cls)(), method)(*args, **kwargs)
    return element_result(res) if isinstance(res, ET.Element) else res


def assert_same(ours, theirs, version_scan=False):
    if isinstance(theirs, list):
        # dns-brute: nmaps's word list is a superset of Nmap's (docs/scripts.md),
        # so nmaps finds every name nmap finds, and more of the lab's.
        mine = {tuple(sorted(r.items())) for r in ours}
        other = {tuple(sorted(r.items())) for r in theirs}
        assert other <= mine, other - mine
        assert all(dict(r)["hostname"].endswith(".lab.test") for r in mine - other)
        assert all(set(r) == {"address", "hostname"} for r in ours)
        return
    o, t = normalize(ours, version_scan), normalize(theirs, version_scan)
    assert set(o) == set(t), "hosts differ"
    for k in t:
        assert o[k] == t[k], k


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_same_as_python3_nmap(case):
    cls, method, args, kwargs = case
    theirs = run_theirs(cls, method, args, kwargs)
    ours = run_ours(cls, method, args, kwargs)
    assert_same(ours, theirs, method == "nmap_version_detection")


ASYNC = {"Nmap": "NmapAsync", "NmapScanTechniques": "NmapScanTechniquesAsync", "NmapHostDiscovery": "NmapHostDiscoveryAsync"}


@pytest.mark.parametrize("case", [c for c in CASES if c[1] in (
    "scan_top_ports", "nmap_version_detection", "nmap_tcp_scan", "nmap_syn_scan", "nmap_no_portscan", "nmap_list_scan",
    "nmap_dns_brute_script",
)], ids=case_id)
def test_async_same_as_python3_nmap(case):
    cls, method, args, kwargs = case
    theirs = run_theirs(cls, method, args, kwargs)
    ours = asyncio.run(getattr(getattr(nmaps, ASYNC[cls])(), method)(*args, **kwargs))
    assert_same(ours, theirs, method == "nmap_version_detection")


def test_async_runs_concurrently():
    async def main():
        n = nmaps.NmapScanTechniquesAsync()
        return await asyncio.gather(*[n.nmap_tcp_scan(h, args="-p 22,80") for h in ("198.18.0.10", "198.18.0.11", "198.18.0.12")])

    results = asyncio.run(main())
    for host, res in zip(("198.18.0.10", "198.18.0.11", "198.18.0.12"), results):
        assert res[host]["ports"][0]["portid"] == "22" and res[host]["ports"][0]["state"] == "open"


def test_nmap_version():
    assert nmaps.Nmap().nmap_version()["nmap"] == nmap3.Nmap().nmap_version()["nmap"]


def test_require_root_drops_v():
    n = nmaps.Nmap()
    n.require_root()
    res = n.scan_top_ports("198.18.0.10")
    assert "-v" not in res["stats"]["args"].split()
    assert res["task_results"] == []


@pytest.mark.parametrize("call", [
    lambda: nmaps.Nmap().nmap_version_detection("198.18.0.66", args="-p 79,8080", timeout=2),
    lambda: nmaps.Nmap().nmap_stealth_scan("198.18.0.23", args="-p 1-65535 --max-rate 50", timeout=2),
    lambda: nmaps.NmapScanTechniques().nmap_tcp_scan("198.18.0.23", args="-p- --max-rate 50", timeout=2),
])
def test_timeout(call):
    start = time.monotonic()
    with pytest.raises(nmaps.NmapTimeoutError) as info:
        call()
    assert time.monotonic() - start < 8
    # python3-nmap's callers catch subprocess.TimeoutExpired
    import subprocess
    assert isinstance(info.value, subprocess.TimeoutExpired)


def test_async_timeout_and_cancel():
    async def main():
        n = nmaps.NmapAsync()
        with pytest.raises(nmaps.NmapTimeoutError):
            await n.scan_top_ports("198.18.0.23", default=65535, args="--max-rate 50", timeout=1)
        task = asyncio.ensure_future(n.scan_top_ports("198.18.0.23", default=65535, args="--max-rate 50"))
        await asyncio.sleep(0.5)
        task.cancel()
        start = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - start

    assert asyncio.run(main()) < 5


def os_view(res):
    """Per host: ports, MAC, and the osmatch entries within 2 points of the
    best (names, accuracies, lines, classes, CPEs, in order). Entries
    further down sit a point or two apart and trade places with the
    timing-dependent values (SP, ISR), which move between runs of nmap
    itself: two nmap runs in a row differ there too."""
    out = {}
    for addr, host in res.items():
        if addr in RESERVED:
            continue
        matches = host["osmatch"]
        assert isinstance(matches, list) and matches, (addr, matches)
        best = int(matches[0]["accuracy"])
        top = [m for m in matches if int(m["accuracy"]) >= best - 2]
        out[addr] = {"ports": host["ports"], "macaddress": host["macaddress"], "osmatch": top}
    return out


def test_os_detection_same_as_python3_nmap():
    """nmap_os_detection with Nmap's database (--datadir) gives the same
    dict as python3-nmap driving nmap -O: hosts, ports, MACs and the
    osmatch list near the top (see os_view). Even the best guess can move
    by a point between two nmap runs, so the pair is run up to three times
    and must agree once."""
    target, args = "198.18.0.10 198.18.1.10", "-p 22,80,443 --datadir /usr/share/nmap"
    for _ in range(3):
        theirs = os_view(nmap3.Nmap().nmap_os_detection(target, args=args))
        ours = os_view(nmaps.Nmap().nmap_os_detection(target, args=args))
        if ours == theirs:
            return
    for addr in theirs:
        assert ours.get(addr) == theirs[addr], addr
    assert ours == theirs


def test_os_detection_embedded_database():
    """Without --datadir nmaps matches against its own measured references:
    the lab's Linux is a perfect match, in the dict and in the typed API."""
    res = nmaps.Nmap().nmap_os_detection("198.18.0.10", args="-p 22,80")
    top = res["198.18.0.10"]["osmatch"][0]
    assert top["accuracy"] == "100" and top["name"].startswith("Linux (lab")
    assert top["osclass"]["osfamily"] == "Linux" and top["cpe"].startswith("cpe:/o:linux:linux_kernel")
    scan = nmaps.scan("198.18.0.10", ports="22,80", os_detection=True)
    (host,) = scan.hosts
    assert host.os_matches and host.os_matches[0].accuracy == 100
    assert host.os_matches[0].name == top["name"]


def test_bad_targets_are_refused():
    with pytest.raises(ValueError):
        nmaps.Nmap().scan_top_ports("-oX /tmp/owned 198.18.0.10")
    with pytest.raises(ValueError):
        asyncio.run(nmaps.NmapAsync().scan_command("--script=x", "-sT"))
    with pytest.raises(AssertionError):
        nmaps.Nmap().scan_top_ports("198.18.0.10", args=["-sT"])
