"""XML → dict: nmaps's NmapCommandParser on XML written by Debian's nmap in
the lab (tests/python/xml/*.xml) and on hand-written XML, checked against
python3-nmap's documented shapes and, when python3-nmap is installed, against
its own parser."""

import pytest

from conftest import XML_DIR, load_xml, upstream_parser
from nmaps.nmapparser import NmapCommandParser

RESERVED = {"runtime", "stats", "task_results"}
FILES = sorted(p.name for p in XML_DIR.glob("*.xml"))


def all_strings(value):
    if isinstance(value, dict):
        return all(isinstance(k, (str, int)) and all_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return all(all_strings(v) for v in value)
    return value is None or isinstance(value, str)


@pytest.mark.parametrize("name", FILES)
def test_shape(name):
    res = NmapCommandParser().filter_top_ports(load_xml(name))
    assert RESERVED <= set(res)
    assert isinstance(res["stats"], dict) and res["stats"]["scanner"] == "nmap"
    assert isinstance(res["task_results"], list)
    hosts = {k: v for k, v in res.items() if k not in RESERVED}
    for addr, host in hosts.items():
        assert list(host) == ["osmatch", "ports", "hostname", "macaddress", "state"]
        assert isinstance(host["ports"], list)
        for port in host["ports"]:
            assert {"protocol", "portid", "state", "reason", "reason_ttl", "scripts"} <= set(port)
            assert ("service" in port) == ("cpe" in port)
        assert all_strings(host), addr


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("method", ["filter_top_ports", "os_identifier_parser", "filter_subdomains"])
def test_same_as_python3_nmap(name, method):
    theirs = upstream_parser()
    if theirs is None:
        pytest.skip("python3-nmap is not installed")
    ours = getattr(NmapCommandParser(), method)(load_xml(name))
    assert ours == getattr(theirs, method)(load_xml(name))


def test_top_ports_values():
    res = NmapCommandParser().filter_top_ports(load_xml("top_ports.xml"))
    host = res["198.18.0.10"]
    assert host["osmatch"] == {}
    assert host["state"]["state"] == "up"
    ports = {p["portid"]: p for p in host["ports"]}
    assert ports["22"]["state"] == "open"
    assert ports["22"]["service"]["name"] == "ssh"
    assert ports["22"]["cpe"] == []
    assert res["runtime"]["exit"] == "success"
    assert [t["task"] for t in res["task_results"]][-1] == "SYN Stealth Scan"


def test_os_and_scripts_rules():
    root = load_xml("os_handmade.xml")
    res = NmapCommandParser().filter_top_ports(root)
    host = res["192.0.2.20"]
    assert host["macaddress"] == {"addr": "00:11:22:33:44:55", "addrtype": "mac", "vendor": "Example Vendor"}
    assert host["hostname"] == []
    first = host["osmatch"][0]
    # only the last osclass and the last cpe survive
    assert first["osclass"]["osgen"] == "5.X"
    assert first["cpe"] == "cpe:/o:linux:linux_kernel:5"
    assert len(host["osmatch"]) == 2
    ssh = host["ports"][0]
    assert ssh["service"] == {"name": "ssh", "method": "table", "conf": "3"}
    assert "service" not in host["ports"][1] and "cpe" not in host["ports"][1]
    script = ssh["scripts"][0]
    assert script["name"] == "ssh-hostkey" and script["raw"] == "keys"
    assert script["data"] == {
        0: "free0",
        "named": "n",
        2: "free2",
        "children": [{"type": "ssh-rsa", "bits": "3072"}],
        "empty": {},
        "mixed": {"children": [{0: "u0", "k": "v"}, {"a": "1"}]},
    }
    os_res = NmapCommandParser().os_identifier_parser(root)
    assert list(os_res["192.0.2.20"]) == ["osmatch", "ports", "hostname", "macaddress"]
    assert os_res["task_results"] == []


def test_dns_brute_list():
    found = NmapCommandParser().filter_subdomains(load_xml("dns_brute.xml"))
    assert {"hostname": "www.lab.test", "address": "198.18.0.10"} in found
    assert {"hostname": "www.lab.test", "address": "fd00:18::10"} in found
    assert all(set(r) == {"hostname", "address"} for r in found)


def test_dns_brute_empty_cases(xml):
    assert NmapCommandParser().filter_subdomains(xml("top_ports.xml")) == []


def test_list_scan_hosts_unknown():
    res = NmapCommandParser().filter_top_ports(load_xml("list.xml"))
    hosts = [k for k in res if k not in RESERVED]
    assert len(hosts) == 4
    assert all(res[h]["state"]["state"] == "unknown" for h in hosts)
