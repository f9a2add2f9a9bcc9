"""The nmap3 API without a network: the argv each method builds, the
root gate, errors and the async wrappers, with the engine call replaced by
a stub that returns canned XML."""

import asyncio
import inspect
import os

import pytest

from conftest import XML_DIR
import nmaps
import nmaps.nmap3 as impl


class Engine:
    def __init__(self, xml="top_ports.xml", code=0, stderr="", timed_out=False):
        self.calls = []
        self.xml = (XML_DIR / xml).read_bytes() if xml else b""
        self.code, self.stderr, self.timed_out = code, stderr, timed_out

    def __call__(self, argv, timeout=None, cancel=None):
        self.calls.append((argv, timeout))
        return self.code, self.xml, self.stderr, self.timed_out


@pytest.fixture
def engine(monkeypatch):
    e = Engine()
    monkeypatch.setattr(impl._nmaps, "run", e)
    monkeypatch.setattr(impl, "_is_root", lambda: True)
    return e


PRE = ["nmaps", "-v", "-oX", "-"]
T = "192.0.2.10"

ARGV = [
    ("Nmap", "scan_top_ports", (T,), {}, ["--top-ports", "10"]),
    ("Nmap", "scan_top_ports", (T,), {"default": 100, "args": "-sT -Pn"}, ["--top-ports", "100", "-sT", "-Pn"]),
    ("Nmap", "nmap_dns_brute_script", (T,), {}, ["--script", "dns-brute.nse"]),
    ("Nmap", "nmap_version_detection", (T,), {"args": "-p 22"}, ["-sV", "-p", "22"]),
    ("Nmap", "nmap_stealth_scan", (T,), {}, ["-Pn", "-sZ"]),
    ("Nmap", "nmap_detect_firewall", (T,), {}, ["-sA"]),
    ("Nmap", "nmap_os_detection", (T,), {}, ["-O"]),
    ("Nmap", "nmap_subnet_scan", (T,), {}, ["-p-"]),
    ("Nmap", "nmap_list_scan", (T,), {}, ["-sL"]),
    ("Nmap", "scan_command", (T, "-sT"), {"args": "-p 80"}, ["-sT", "-p", "80"]),
    ("NmapScanTechniques", "nmap_fin_scan", (T,), {}, ["-sF"]),
    ("NmapScanTechniques", "nmap_syn_scan", (T,), {}, ["-sS"]),
    ("NmapScanTechniques", "nmap_tcp_scan", (T,), {}, ["-sT"]),
    ("NmapScanTechniques", "nmap_udp_scan", (T,), {}, ["-sU"]),
    ("NmapScanTechniques", "nmap_ping_scan", (T,), {}, ["-sP"]),
    ("NmapScanTechniques", "nmap_idle_scan", (T,), {}, ["-sL"]),
    ("NmapScanTechniques", "nmap_ip_scan", (T,), {}, ["-sO"]),
    ("NmapHostDiscovery", "nmap_portscan_only", (T,), {}, ["-Pn"]),
    ("NmapHostDiscovery", "nmap_no_portscan", (T,), {}, ["-sn"]),
    ("NmapHostDiscovery", "nmap_arp_discovery", (T,), {}, ["-PR"]),
    ("NmapHostDiscovery", "nmap_disable_dns", (T,), {}, ["-n"]),
]
ASYNC = {"Nmap": "NmapAsync", "NmapScanTechniques": "NmapScanTechniquesAsync", "NmapHostDiscovery": "NmapHostDiscoveryAsync"}


@pytest.mark.parametrize("case", ARGV, ids=lambda c: "%s.%s" % (c[0], c[1]))
def test_argv(engine, case):
    cls, method, args, kwargs, flags = case
    getattr(getattr(nmaps, cls)(), method)(*args, **kwargs)
    assert engine.calls[-1][0] == PRE + [T] + flags


@pytest.mark.parametrize("case", ARGV, ids=lambda c: "%s.%s" % (c[0], c[1]))
def test_async_argv_and_result(engine, case):
    cls, method, args, kwargs, flags = case
    coro = getattr(getattr(nmaps, ASYNC[cls])(), method)(*args, **kwargs, timeout=5)
    assert inspect.iscoroutine(coro)
    res = asyncio.run(coro)
    assert engine.calls[-1] == (PRE + [T] + flags, 5)
    sync = getattr(getattr(nmaps, cls)(), method)(*args, **kwargs)
    if isinstance(res, dict):
        assert res == sync


def test_signatures_match_python3_nmap():
    nmap3 = pytest.importorskip("nmap3")
    for cls in ("Nmap", "NmapScanTechniques", "NmapHostDiscovery"):
        theirs, ours = getattr(nmap3, cls), getattr(nmaps, cls)
        for name, fn in inspect.getmembers(theirs, inspect.isfunction):
            if name.startswith("_"):
                continue
            assert hasattr(ours, name), name
            tp = inspect.signature(fn).parameters
            op = inspect.signature(getattr(ours, name)).parameters
            if list(tp) == ["args", "kwargs"]:  # upstream's root gate hides the signature
                continue
            for p in tp.values():
                assert p.name in op, (cls, name, p.name)
                assert op[p.name].default == p.default, (cls, name, p.name)


def test_several_targets_and_lists(engine):
    nmaps.Nmap().scan_top_ports("192.0.2.1  192.0.2.2")
    assert engine.calls[-1][0] == PRE + ["192.0.2.1", "192.0.2.2", "--top-ports", "10"]
    nmaps.Nmap().scan_top_ports(["192.0.2.1", "host name;x"][:1])
    assert engine.calls[-1][0] == PRE + ["192.0.2.1", "--top-ports", "10"]


@pytest.mark.parametrize("target", ["-iL /etc/passwd", "--script=x", "", "   "])
def test_option_like_targets_refused(engine, target):
    with pytest.raises(ValueError):
        nmaps.Nmap().scan_top_ports(target)
    assert engine.calls == []


def test_require_root(engine):
    n = nmaps.Nmap()
    n.require_root()
    n.scan_top_ports(T)
    assert engine.calls[-1][0][:3] == ["nmaps", "-oX", "-"]


def test_root_gate(monkeypatch, engine):
    monkeypatch.setattr(impl, "_is_root", lambda: False)
    err = {"error": True, "msg": "You must be root/administrator to continue!"}
    assert nmaps.Nmap().nmap_os_detection(T) == err
    assert nmaps.Nmap().nmap_stealth_scan(T) == err
    assert nmaps.NmapScanTechniques().nmap_syn_scan(T) == err
    assert asyncio.run(nmaps.NmapScanTechniquesAsync().nmap_udp_scan(T)) == err
    assert engine.calls == []


def test_execution_error(monkeypatch):
    monkeypatch.setattr(impl._nmaps, "run", Engine(xml=None, code=2, stderr="nmaps: -O is not supported yet\n"))
    with pytest.raises(nmaps.NmapExecutionError) as info:
        nmaps.Nmap().scan_command(T, "-O")
    assert str(info.value) == '"nmaps -v -oX - %s -O"\n\nnmaps: -O is not supported yet\n' % T


def test_timeout_error(monkeypatch):
    monkeypatch.setattr(impl._nmaps, "run", Engine(timed_out=True, code=130))
    with pytest.raises(nmaps.NmapTimeoutError) as info:
        nmaps.Nmap().scan_top_ports(T, timeout=1)
    import subprocess
    assert isinstance(info.value, subprocess.TimeoutExpired)
    assert info.value.timeout == 1


def test_bad_xml_and_empty(monkeypatch):
    e = Engine(xml="top_ports.xml")
    e.xml = b"<nmaprun"
    monkeypatch.setattr(impl._nmaps, "run", e)
    with pytest.raises(nmaps.NmapXMLParserError):
        nmaps.Nmap().nmap_list_scan(T)
    e.xml = b""
    with pytest.raises(ValueError, match="Unable to perform requested command"):
        nmaps.Nmap().scan_top_ports(T)
    with pytest.raises(ValueError, match="65535"):
        nmaps.Nmap().scan_top_ports(T, default=70000)


def test_output_file_stub(engine):
    res = nmaps.Nmap().nmap_version_detection(T, args="-oX out.xml")
    assert res == {"runtime": None, "stats": {}, "task_results": []}
    el = nmaps.Nmap().nmap_detect_firewall(T, args="-oX out.xml")
    assert el.find("file_path").text == "out.xml"


def test_unknown_technique():
    with pytest.raises(Exception, match="Something went wrong"):
        nmaps.NmapScanTechniques().scan_command("-sI", T, None)
    with pytest.raises(Exception, match="Something went wrong"):
        nmaps.NmapHostDiscovery().scan_command("-sS", T, None)


def test_exceptions_module():
    from nmaps.exceptions import NmapExecutionError, NmapNotInstalledError, NmapXMLParserError
    assert NmapXMLParserError().message == "Unable to parse xml output"
    assert issubclass(NmapExecutionError, Exception) and issubclass(NmapNotInstalledError, Exception)


def test_real_engine_usage_error():
    """The real engine: a bad option fails fast with exit status 2 (no packets)."""
    code, out, err, timed_out = nmaps.run(["--no-such-option"])
    assert code == 2 and "nmaps:" in err and not timed_out
    code, out, err, _ = nmaps.run(["-V"])
    assert code == 0 and out.startswith(b"Nmap version 7.93 ( https://nmap.org )\nnmaps version")


def test_real_engine_private_loopback():
    """A real scan of 127.0.0.1 inside a private network namespace created by
    the test (never the machine's own loopback)."""
    if os.geteuid() != 0 or not os.path.exists("/usr/bin/unshare"):
        pytest.skip("needs root and unshare")
    import subprocess, sys
    code = (
        "import nmaps; r = nmaps.NmapScanTechniques().nmap_tcp_scan('127.0.0.1', args='-p 1-5');"
        "print(sorted(r['127.0.0.1']['state'].items()))"
    )
    out = subprocess.run(
        ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" -c "$1"', sys.executable, code],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "('state', 'up')" in out.stdout


def _private_netns(code, **kw):
    """Runs `python -c code` in a new network namespace whose loopback is up
    (never the machine's own network)."""
    import subprocess, sys
    return subprocess.Popen(
        ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" -c "$1"', sys.executable, code],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw,
    )


def test_ctrl_c_stops_a_sync_scan():
    if os.geteuid() != 0 or not os.path.exists("/usr/bin/unshare"):
        pytest.skip("needs root and unshare")
    import signal, time
    code = (
        "import nmaps, sys\n"
        "print('ready', flush=True)\n"
        "try:\n"
        "    nmaps.NmapScanTechniques().nmap_tcp_scan('127.0.0.1', args='-p- --max-rate 100')\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True); sys.exit(7)\n"
    )
    p = _private_netns(code)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 7, err
    assert "interrupted" in out
    assert time.monotonic() - start < 10


def test_python_m_nmaps():
    import subprocess, sys
    p = subprocess.run([sys.executable, "-m", "nmaps", "-V"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("Nmap version 7.93 ") and "\nnmaps version" in p.stdout
    p = subprocess.run([sys.executable, "-m", "nmaps", "--no-such-option"], capture_output=True, text=True)
    assert p.returncode == 2 and "unrecognized option" in p.stderr
