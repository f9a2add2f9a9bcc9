"""The typed API in the lab's scanner namespace: results compared with
Debian's nmap on the same command line, hosts streamed as they finish
(iterator and async iterator), progress callbacks, timeouts, cancelling.

Run inside a lab (see tests/python/run); otherwise skipped."""

import asyncio
import subprocess
import threading
import time

import pytest

from conftest import in_lab

pytestmark = pytest.mark.skipif(not in_lab(), reason="needs the lab's scanner namespace (tests/python/run)")

import nmaps  # noqa: E402
from nmaps.results import parse_xml  # noqa: E402
from nmaps.typed import build_argv  # noqa: E402

WEB, DB, MAIL, SLOW, HOSTILE = "198.18.0.10", "198.18.0.11", "198.18.0.12", "198.18.0.23", "198.18.0.66"


def nmap_result(targets, **kw):
    """Debian's nmap on the command line the typed API builds."""
    argv = ["nmap"] + build_argv(targets, **kw)
    out = subprocess.run(argv, capture_output=True, check=True, timeout=120).stdout
    r = parse_xml(out)
    # as the typed API's default (down_hosts=False)
    r.hosts = [h for h in r.hosts if h.state != "down"]
    return r


def summary(result):
    """What must agree: hosts, states, names, MACs, ports, services."""
    return [
        (
            h.address, h.state, h.reason, [(n.name, n.type) for n in h.hostnames], h.mac,
            [(p.protocol, p.number, p.state, p.reason, p.service.name if p.service else None) for p in h.ports],
            [(e.state, e.count) for e in h.extraports],
        )
        for h in result.hosts
    ]


@pytest.mark.parametrize("targets, kw", [
    (f"{WEB} {MAIL}", {"ports": "21,22,25,80,443,8080", "scan_type": "connect"}),
    (WEB, {"top_ports": 100, "scan_type": "syn"}),
    ("198.18.0.53", {"ports": "U:53,123,161,T:22,53", "scan_type": ["syn", "udp"]}),
    ("198.18.0.8/29", {"scan_type": "ping"}),
    ("198.18.0.8/30", {"scan_type": "list"}),
    (MAIL, {"ports": [21, 22, 25], "service_version": True, "extra_args": ["--datadir", "/usr/share/nmap"]}),
    (WEB, {"ports": 80, "scripts": ["http-title"], "resolve": False}),
])
def test_same_as_nmap(targets, kw):
    ours = nmaps.scan(targets, **kw)
    theirs = nmap_result(targets, **kw)
    assert summary(ours) == summary(theirs)
    # the phases, as nmap reports them
    assert [(t.task, t.extrainfo) for t in ours.tasks if not (kw.get("service_version") and t.task == "NSE")] == [
        (t.task, t.extrainfo) for t in theirs.tasks if not (kw.get("service_version") and t.task == "NSE")
    ]
    assert ours.exit == "success" and ours.hosts_total == theirs.hosts_total
    if kw.get("scripts"):
        assert ours.hosts[0].port(80).scripts[0].id == "http-title"


def test_down_hosts():
    r = nmaps.scan("198.18.0.98-99", ports=22)
    assert r.hosts == [] and r.hosts_total == 2 and r.hosts_up == 0
    r = nmaps.scan("198.18.0.98-99", ports=22, down_hosts=True)
    assert [h.state for h in r.hosts] == ["down", "down"]


def test_iterator_yields_each_host_as_it_finishes():
    """web is done in milliseconds; the hostile host stalls version
    detection for seconds: web must arrive long before the scan ends."""
    seen = []
    start = time.monotonic()
    it = nmaps.scan_iter([WEB, HOSTILE], ports="22,79,8080", service_version=True, ping=False)
    for h in it:
        seen.append((h.address, time.monotonic() - start))
    end = time.monotonic() - start
    assert [a for a, _ in seen] == [WEB, HOSTILE]
    assert seen[0][1] < 1.0 and end - seen[0][1] > 2.0, (seen, end)
    assert it.result.hosts_up == 2 and [h.address for h in it.result.hosts] == [WEB, HOSTILE]


def test_async_iterator_yields_each_host_as_it_finishes():
    async def main():
        seen = []
        start = time.monotonic()
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.1)
                ticks += 1

        t = asyncio.ensure_future(ticker())
        it = nmaps.scan_async_iter([WEB, HOSTILE], ports="22,79,8080", service_version=True, ping=False)
        async for h in it:
            seen.append((h.address, time.monotonic() - start))
        end = time.monotonic() - start
        t.cancel()
        return seen, end, ticks, it.result

    seen, end, ticks, result = asyncio.run(main())
    assert [a for a, _ in seen] == [WEB, HOSTILE]
    assert seen[0][1] < 1.0 and end - seen[0][1] > 2.0, (seen, end)
    # the event loop kept running while the scan did
    assert ticks >= int(end / 0.1) - 5
    assert result.hosts_up == 2


def test_async_scans_run_side_by_side():
    async def main():
        return await asyncio.gather(*(nmaps.scan_async(h, ports="22,80", scan_type="connect") for h in (WEB, DB, MAIL)))

    results = asyncio.run(main())
    assert [r.hosts[0].address for r in results] == [WEB, DB, MAIL]
    assert all(r.hosts[0].port(22).state == "open" for r in results)


def test_progress_callbacks():
    events = []
    r = nmaps.scan(SLOW, ports="1-400", scan_type="syn", max_rate=150, ping=False,
                   progress=events.append, progress_interval=0.2)
    kinds = [(e.kind, e.task) for e in events]
    # every phase begins and ends, in the order of the result's tasks
    assert [t for k, t in kinds if k == "end"] == [t.task for t in r.tasks]
    assert [t for k, t in kinds if k == "begin"] == [t.task for t in r.tasks]
    ends = [e for e in events if e.kind == "end"]
    assert ends[-1].task == "SYN Stealth Scan" and ends[-1].extrainfo == "400 total ports" and ends[-1].percent == 100.0
    during = [e for e in events if e.kind == "progress"]
    assert len(during) >= 4, kinds
    assert all(e.task == "SYN Stealth Scan" and 0 <= e.percent < 100 for e in during)
    assert [e.percent for e in during] == sorted(e.percent for e in during)
    assert any(e.remaining is not None and e.etc is not None for e in during)
    assert all(b.elapsed <= a.elapsed for b, a in zip(events, events[1:]))


def test_async_progress_callback_may_be_a_coroutine():
    got = []

    async def cb(p):
        await asyncio.sleep(0)
        got.append(p.kind)

    async def main():
        return await nmaps.scan_async(WEB, ports=22, progress=cb)

    r = asyncio.run(main())
    assert got.count("begin") == got.count("end") == len(r.tasks) > 0


def test_progress_callback_error_stops_the_scan():
    def cb(p):
        if p.kind == "progress":
            raise RuntimeError("stop here")

    start = time.monotonic()
    with pytest.raises(RuntimeError, match="stop here"):
        nmaps.scan(SLOW, ports="1-65535", max_rate=50, progress=cb, progress_interval=0.1)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("mode", ["scan", "iter", "async"])
def test_timeout(mode):
    kw = dict(ports="22,1-65535", max_rate=50, ping=False, timeout=1.5)
    start = time.monotonic()
    with pytest.raises(nmaps.NmapTimeoutError) as info:
        if mode == "scan":
            nmaps.scan([WEB, SLOW], **kw)
        elif mode == "iter":
            for _ in nmaps.scan_iter([WEB, SLOW], **kw):
                pass
        else:
            async def main():
                async for _ in nmaps.scan_async_iter([WEB, SLOW], **kw):
                    pass
            asyncio.run(main())
    assert time.monotonic() - start < 6
    assert isinstance(info.value, subprocess.TimeoutExpired)
    assert info.value.result is not None and info.value.result.exit == "error"
    assert "<nmaprun" in info.value.output


def test_breaking_out_and_cancel_stop_the_scan():
    start = time.monotonic()
    with nmaps.scan_iter([WEB, HOSTILE], ports="22,79,8080", service_version=True, ping=False) as it:
        for h in it:
            break
    assert h.address == WEB and time.monotonic() - start < 2

    # cancel() while iterating: the iteration ends with the hosts done so far
    it = nmaps.scan_iter([WEB, HOSTILE], ports="22,79,8080", service_version=True, ping=False)
    threading.Timer(1.0, it.cancel).start()
    start = time.monotonic()
    assert [h.address for h in it] == [WEB]
    assert time.monotonic() - start < 6 and it.result.exit == "error"

    token = nmaps.Cancel()
    threading.Timer(1.0, token.cancel).start()
    start = time.monotonic()
    r = nmaps.scan(SLOW, ports="1-65535", max_rate=50, ping=False, cancel=token)
    assert 0.9 < time.monotonic() - start < 6
    assert r.exit == "error" and r.hosts == []


def test_async_task_cancel_stops_the_scan():
    async def main():
        task = asyncio.ensure_future(nmaps.scan_async(SLOW, ports="1-65535", max_rate=50, ping=False))
        await asyncio.sleep(0.5)
        task.cancel()
        start = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - start

    assert asyncio.run(main()) < 2
