"""The nmaps binary behind the Python libraries that drive nmap, unchanged:
python3-nmap (``nmap3.Nmap(path=…)``), python-nmap
(``nmap.PortScanner(nmap_search_path=…)``) and libnmap (``NmapProcess(fqp=…)``
+ ``NmapParser``). Each library runs once with Debian's nmap and once with
nmaps, in the lab's scanner namespace; the results must agree apart from
times and the command line.

NMAPS_BIN names the binary (tests/python/run builds it). Skipped outside a
lab or without the libraries (test-only dependencies of tests/python/run)."""

import copy
import os

import pytest

from conftest import in_lab

pytestmark = pytest.mark.skipif(not in_lab(), reason="needs the lab's scanner namespace (tests/python/run)")

NMAPS = os.environ.get("NMAPS_BIN", "")
NMAP = "/usr/bin/nmap"

if in_lab() and not os.access(NMAPS, os.X_OK):
    pytest.skip("NMAPS_BIN is not an executable nmaps binary", allow_module_level=True)

WEB, MAIL, NS, SLOW = "198.18.0.10", "198.18.0.12", "198.18.0.53", "198.18.0.23"


# ------------------------------------------------------------ python3-nmap

nmap3 = pytest.importorskip("nmap3")
from test_lab import CASES, assert_same, case_id, element_result  # noqa: E402


def run_nmap3(path, cls, method, args, kwargs):
    obj = getattr(nmap3, cls)(path=path)
    if method == "nmap_detect_firewall":
        # 1.9.1 returns None there: the same argv through scan_command
        return element_result(obj.scan_command(args[0], arg="-sA", **kwargs))
    res = getattr(obj, method)(*args, **kwargs)
    return element_result(res) if hasattr(res, "tag") else res


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_python3_nmap_with_the_nmaps_binary(case):
    cls, method, args, kwargs = case
    theirs = run_nmap3(NMAP, cls, method, args, kwargs)
    ours = run_nmap3(NMAPS, cls, method, args, kwargs)
    assert_same(ours, theirs, method == "nmap_version_detection")
    if isinstance(ours, dict) and "stats" in ours:
        assert ours["stats"]["args"].startswith(NMAPS)


def test_python3_nmap_version():
    theirs = nmap3.Nmap(path=NMAP).nmap_version()
    ours = nmap3.Nmap(path=NMAPS).nmap_version()
    assert ours["nmap"] == theirs["nmap"] == (7, 93)
    assert set(ours) == set(theirs)


# ------------------------------------------------------------- python-nmap

nmap = pytest.importorskip("nmap")


def python_nmap(path, hosts, ports, arguments):
    ps = nmap.PortScanner(nmap_search_path=(path,))
    assert ps.nmap_version() == (7, 93)
    r = ps.scan(hosts, ports, arguments=arguments)
    return ps, r


@pytest.mark.parametrize("hosts, ports, arguments", [
    (f"{WEB} {MAIL}", "21,22,25,80,443", "-sV --datadir /usr/share/nmap"),
    (WEB, "22,80,8080", "-sT --reason"),
    (NS, "53,69,123,161", "-sU"),
    ("198.18.0.8/29", None, "-sn"),
    (WEB, "80", "--script http-title -n"),
])
def test_python_nmap_with_the_nmaps_binary(hosts, ports, arguments):
    ps_t, theirs = python_nmap(NMAP, hosts, ports, arguments)
    ps_o, ours = python_nmap(NMAPS, hosts, ports, arguments)
    assert ours["scan"] == theirs["scan"]
    assert ours["nmap"]["scaninfo"] == theirs["nmap"]["scaninfo"]
    stats = lambda r: {k: v for k, v in r["nmap"]["scanstats"].items() if k not in ("timestr", "elapsed")}
    assert stats(ours) == stats(theirs)
    assert ps_o.all_hosts() == ps_t.all_hosts()
    assert ps_o.csv() == ps_t.csv()
    assert ps_o.command_line().split()[0] == NMAPS


def test_python_nmap_listscan():
    mine = nmap.PortScanner(nmap_search_path=(NMAPS,)).listscan("198.18.0.8/30")
    theirs = nmap.PortScanner(nmap_search_path=(NMAP,)).listscan("198.18.0.8/30")
    assert mine == theirs


# ----------------------------------------------------------------- libnmap

libnmap_process = pytest.importorskip("libnmap.process")
libnmap_parser = pytest.importorskip("libnmap.parser")


def libnmap_run(path, targets, options):
    progress = []

    def cb(proc):
        task = proc.current_task
        if task is not None:
            progress.append((task.name, task.status, str(proc.progress)))

    # --datadir (Nmap's probe database, as the other tests) is one of the
    # options libnmap's safe mode refuses.
    p = libnmap_process.NmapProcess(targets, options=options, fqp=path, event_callback=cb, safe_mode=False)
    rc = p.run()
    assert rc == 0 and p.is_successful(), p.stderr
    report = libnmap_parser.NmapParser.parse(p.stdout)
    return p, report, progress


def report_summary(report):
    return [
        (
            h.address, h.status, h.hostnames, h.mac, h.vendor,
            [(s.port, s.protocol, s.state, s.reason, s.service, s.banner, [x["id"] for x in s.scripts_results])
             for s in h.services],
        )
        for h in report.hosts
    ]


@pytest.mark.parametrize("targets, options", [
    ([WEB, MAIL], "-sT -p 21,22,25,80"),
    (WEB, "-sS -sV -p 22,80,443 --datadir /usr/share/nmap"),
    ("198.18.0.8/29", "-sn"),
])
def test_libnmap_with_the_nmaps_binary(targets, options):
    p_t, theirs, _ = libnmap_run(NMAP, targets, options)
    p_o, ours, _ = libnmap_run(NMAPS, targets, options)
    assert report_summary(ours) == report_summary(theirs)
    assert (ours.hosts_up, ours.hosts_down, ours.hosts_total) == (theirs.hosts_up, theirs.hosts_down, theirs.hosts_total)
    assert ours.version == theirs.version == "7.93"
    assert ours.scan_type == theirs.scan_type
    # the tasks NmapProcess followed through <taskbegin>/<taskend>
    tasks = lambda p: sorted((t.name, t.status, t.extrainfo) for t in p.tasks.values())
    drop_nse = "-sV" in options
    assert [t for t in tasks(p_o) if not (drop_nse and t[0] == "NSE")] == [
        t for t in tasks(p_t) if not (drop_nse and t[0] == "NSE")
    ]
    assert ours.summary.startswith("Nmap done at ")


def test_libnmap_follows_progress():
    """-vvv --stats-every 1s: <taskprogress> lines reach NmapProcess while the
    scan runs (a 3 s connect scan at 100 packets per second)."""
    p, report, progress = libnmap_run(NMAPS, SLOW, "-sT -p 1-300 --max-rate 100")
    during = [float(pc) for name, status, pc in progress if name == "Connect Scan" and pc not in ("0", "100")]
    assert during and all(0 < x < 100 for x in during), progress
    assert p.tasks["Connect Scan"].status == "ended" and p.tasks["Connect Scan"].etc
    assert report.hosts[0].get_open_ports() == [(22, "tcp"), (80, "tcp")]
