"""The typed API without packets: argument checking, the command lines it
builds, and the result objects built from XML."""

import json
import pathlib

import pytest

import nmaps
from nmaps.results import parse_xml
from nmaps.typed import build_argv

from conftest import XML_DIR


def argv(**kw):
    return build_argv("192.0.2.1", **kw)


@pytest.mark.parametrize("kw, want", [
    ({}, ["-v", "-oX", "-", "192.0.2.1"]),
    ({"ports": 22}, ["-p", "22"]),
    ({"ports": "22,80,1000-2000"}, ["-p", "22,80,1000-2000"]),
    ({"ports": [22, (1000, 1010), "U:53,T:80"]}, ["-p", "22,1000-1010,U:53,T:80"]),
    ({"ports": "-1024"}, ["-p", "-1024"]),
    ({"top_ports": 100}, ["--top-ports", "100"]),
    ({"scan_type": "syn"}, ["-sS"]),
    ({"scan_type": ["syn", "udp"]}, ["-sS", "-sU"]),
    ({"scan_type": "ping"}, ["-sn"]),
    ({"service_version": True, "version_intensity": 2}, ["-sV", "--version-intensity", "2"]),
    ({"scripts": ["banner", "http-title"]}, ["--script", "banner,http-title"]),
    ({"scripts": "default or safe"}, ["--script", "default or safe"]),
    ({"script_args": {"http.useragent": "x y", "n": 3, "b": True}},
     ["--script-args", "http.useragent=x y,n=3,b=true"]),
    ({"os_detection": True}, ["-O"]),
    ({"timing": 4}, ["-T4"]),
    ({"timing": "polite"}, ["-T2"]),
    ({"ping": False}, ["-Pn"]),
    ({"resolve": False}, ["-n"]),
    ({"resolve": True}, ["-R"]),
    ({"host_timeout": 1.5}, ["--host-timeout", "1500ms"]),
    ({"min_rate": 10, "max_rate": 100.5}, ["--min-rate", "10", "--max-rate", "100.5"]),
    ({"progress_interval": 0.25}, ["--stats-every", "250ms"]),
    ({"extra_args": ["--reason", "--max-retries", "1"]}, ["--reason", "--max-retries", "1"]),
])
def test_argv(kw, want):
    got = argv(**kw)
    assert got[:3] == ["-v", "-oX", "-"] and got[-1] == "192.0.2.1"
    # the options appear in order, as a contiguous run
    n = len(want)
    assert any(got[i:i + n] == want for i in range(len(got))), got


def test_targets_forms():
    assert build_argv("192.0.2.1 192.0.2.2")[-2:] == ["192.0.2.1", "192.0.2.2"]
    assert build_argv(["198.51.100.0/30", "web.lab.test"])[-2:] == ["198.51.100.0/30", "web.lab.test"]
    assert build_argv(("192.0.2.1-3",))[-1] == "192.0.2.1-3"


@pytest.mark.parametrize("kw, bad", [
    ({"targets": ""}, "''"),
    ({"targets": []}, "[]"),
    ({"targets": "-oX /tmp/x"}, "'-oX'"),
    ({"targets": ["192.0.2.1", "--script=x"]}, "'--script=x'"),
    ({"targets": ["192.0.2.1\n-sS"]}, "'192.0.2.1\\n-sS'"),
    ({"targets": ["a b"]}, "'a b'"),
    ({"targets": [5]}, "5"),
    ({"targets": b"192.0.2.1"}, "b'192.0.2.1'"),
    ({"ports": 70000}, "70000"),
    ({"ports": -1}, "-1"),
    ({"ports": "22;rm"}, "'22;rm'"),
    ({"ports": "80-22"}, "'80-22'"),
    ({"ports": "1-99999"}, "'1-99999'"),
    ({"ports": [(5, 1)]}, "(5, 1)"),
    ({"ports": True}, "True"),
    ({"ports": []}, "[]"),
    ({"ports": 22, "top_ports": 10}, "10"),
    ({"top_ports": 0}, "0"),
    ({"scan_type": "stealthy"}, "'stealthy'"),
    ({"scan_type": ["ping", "syn"]}, "['ping', 'syn']"),
    ({"scan_type": "list", "ports": 22}, "'list'"),
    ({"service_version": "yes"}, "'yes'"),
    ({"version_intensity": 10}, "10"),
    ({"scripts": ["--help"]}, "'--help'"),
    ({"scripts": ["a;b"]}, "'a;b'"),
    ({"script_args": {"k": "a,b"}}, "'a,b'"),
    ({"script_args": {"bad key": 1}}, "'bad key'"),
    ({"script_args": ["k=v"]}, "['k=v']"),
    ({"timing": 6}, "6"),
    ({"timing": "fast"}, "'fast'"),
    ({"timing": 2.5}, "2.5"),
    ({"resolve": "no"}, "'no'"),
    ({"host_timeout": 0}, "0"),
    ({"max_rate": float("nan")}, "nan"),
    ({"extra_args": "-sS -p 22"}, "'-sS -p 22'"),
    ({"extra_args": ["-oN", "x"]}, "'-oN'"),
    ({"extra_args": ["-oX-"]}, "'-oX-'"),
    ({"extra_args": ["--stats-every", "1s"]}, "'--stats-every'"),
    ({"progress_interval": 0}, "0"),
])
def test_bad_arguments_raise_value_error_naming_the_value(kw, bad):
    targets = kw.pop("targets", "192.0.2.1")
    with pytest.raises(ValueError) as info:
        build_argv(targets, **kw)
    assert bad in str(info.value)


@pytest.mark.parametrize("kw, bad", [
    ({"timeout": -1}, "-1"),
    ({"timeout": "soon"}, "'soon'"),
    ({"progress": "print"}, "'print'"),
    ({"progress_interval": 0.01, "progress": print}, "0.01"),
    ({"down_hosts": 1}, "1"),
    ({"cancel": object()}, "object"),
    ({"ports": "x"}, "'x'"),
])
def test_bad_arguments_raise_before_any_scan(kw, bad):
    for start in (nmaps.scan, nmaps.scan_iter, nmaps.scan_async_iter):
        with pytest.raises(ValueError) as info:
            start("192.0.2.1", **kw)
        assert bad in str(info.value)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        nmaps.scan("192.0.2.1", port=22)


def test_results_from_xml_with_scripts_and_tasks():
    r = parse_xml((XML_DIR / "scripts.xml").read_bytes())
    assert r.args.startswith("nmap -v -oX -")
    assert r.hosts_up == 1 and r.exit == "success"
    assert [t.task for t in r.tasks][:3] == ["NSE", "ARP Ping Scan", "Parallel DNS resolution of 1 host."]
    assert r.tasks[1].extrainfo == "1 total hosts"
    h = r.hosts[0]
    assert (h.address, h.state, h.hostname, h.mac) == ("198.18.0.10", "up", "web.lab.test", "02:00:C6:12:00:0A")
    p22 = h.port(22)
    assert p22.protocol == "tcp" and p22.number == 22 and p22.state == "open" and p22.reason == "syn-ack"
    assert p22.service.name == "ssh"
    hk = next(s for s in p22.scripts if s.id == "ssh-hostkey")
    assert isinstance(hk.data, list) and all(isinstance(k, dict) for k in hk.data)
    assert r.host("web.lab.test") is h and r.host("02:00:C6:12:00:0A") is h and r.host("192.0.2.99") is None


def test_os_matches_from_xml():
    r = parse_xml((XML_DIR / "os_handmade.xml").read_text())
    h = r.hosts[0]
    assert [(m.name, m.accuracy, m.line) for m in h.os_matches] == [
        ("Linux 4.15 - 5.19", 100, 69748),
        ("OpenWrt 21.02 (Linux 5.4)", 100, 94188),
    ]
    c = h.os_matches[0].classes[1]
    assert (c.type, c.vendor, c.family, c.generation, c.accuracy, c.cpes) == (
        "general purpose", "Linux", "Linux", "5.X", 100, ["cpe:/o:linux:linux_kernel:5"])
    assert h.vendor == "Example Vendor"
    assert h.extraports[0].state == "closed" and h.extraports[0].count == 999
    # Lua tables: unkeyed items keep their position when keyed ones are present
    assert h.port(22).scripts[0].data == {
        1: {"type": "ssh-rsa", "bits": "3072", 1: {"dropped": "x"}},
        "empty": {},
        "mixed": {"a": "1", 1: {1: "u0", "k": "v"}},
        2: "free0",
        "named": "n",
        3: "free2",
    }


def test_to_dict_and_to_json_round_trip():
    r = parse_xml((XML_DIR / "os_handmade.xml").read_text())
    d = r.to_dict()
    assert json.loads(r.to_json()) == json.loads(json.dumps(d))
    h = d["hosts"][0]
    assert h["mac"] == "00:11:22:33:44:55" and h["os_matches"][0]["classes"][0]["cpes"]
    assert h["ports"][0]["number"] == 22 and isinstance(h["ports"][0]["service"]["conf"], int)
    assert json.loads(r.hosts[0].to_json())["address"] == "192.0.2.20"
    assert json.loads(r.hosts[0].ports[0].to_json())["service"]["name"] == "ssh"


def test_type_hints_are_shipped():
    pkg = pathlib.Path(nmaps.__file__).parent
    assert (pkg / "py.typed").exists()
    import typing
    hints = typing.get_type_hints(nmaps.scan)
    assert hints["return"] is nmaps.ScanResult


def test_stream_of_a_usage_error():
    """The streaming engine with a bad option: the error, no scan, no packets."""
    with pytest.raises(nmaps.NmapExecutionError) as info:
        nmaps.scan("192.0.2.1", extra_args=["--no-such-option"])
    assert "--no-such-option" in str(info.value)
