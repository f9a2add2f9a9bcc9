"""Result objects of the typed API (``nmaps.scan`` and friends), built from
Nmap's XML format (the document nmaps writes with ``-oX``).

Every class is a dataclass with type hints; ``to_dict()`` gives plain
Python data (lists, dicts, str, int, float, bool, None) and ``to_json()``
its JSON text. Attribute values are typed (port numbers and confidences are
``int``, times are Unix epoch seconds as ``int``), unlike python3-nmap's
all-string dicts.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

__all__ = [
    "Address",
    "ExtraPorts",
    "Hostname",
    "Host",
    "OsClass",
    "OsMatch",
    "Port",
    "Progress",
    "ScanResult",
    "Script",
    "Service",
    "Task",
    "host_from_xml",
    "parse_xml",
]

# Structured script output: a value, a list or a dict of those.
ScriptData = Union[str, None, List["ScriptData"], Dict[Union[str, int], "ScriptData"]]


class _Dict:
    """``to_dict()``/``to_json()`` for the dataclasses below."""

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, **kwargs: Any) -> str:
        """JSON text of ``to_dict()``; keyword arguments go to ``json.dumps``."""
        return json.dumps(self.to_dict(), **kwargs)


def _int(value: Optional[str], default: Optional[int] = None) -> Optional[int]:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _float(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class Address(_Dict):
    addr: str
    addrtype: str  # "ipv4", "ipv6" or "mac"
    vendor: Optional[str] = None


@dataclass
class Hostname(_Dict):
    name: str
    type: str  # "user" (as given) or "PTR" (reverse DNS)


@dataclass
class Script(_Dict):
    """One NSE script's result: its text and its structured data."""

    id: str
    output: str
    data: ScriptData = None


@dataclass
class Service(_Dict):
    name: str
    product: Optional[str] = None
    version: Optional[str] = None
    extrainfo: Optional[str] = None
    hostname: Optional[str] = None
    ostype: Optional[str] = None
    devicetype: Optional[str] = None
    tunnel: Optional[str] = None
    method: str = "table"  # "table" (from the port number) or "probed"
    conf: int = 3
    cpes: List[str] = field(default_factory=list)
    servicefp: Optional[str] = None


@dataclass
class Port(_Dict):
    protocol: str  # "tcp", "udp", "sctp" or "ip"
    number: int
    state: str  # "open", "closed", "filtered", "open|filtered", …
    reason: str
    reason_ttl: int = 0
    service: Optional[Service] = None
    scripts: List[Script] = field(default_factory=list)


@dataclass
class ExtraPorts(_Dict):
    """Ports not listed one by one ("Not shown: 997 closed tcp ports")."""

    state: str
    count: int


@dataclass
class OsClass(_Dict):
    type: Optional[str]
    vendor: Optional[str]
    family: Optional[str]
    generation: Optional[str]
    accuracy: int
    cpes: List[str] = field(default_factory=list)


@dataclass
class OsMatch(_Dict):
    name: str
    accuracy: int
    line: Optional[int] = None
    classes: List[OsClass] = field(default_factory=list)


@dataclass
class Host(_Dict):
    address: str  # the IP address
    state: str  # "up", "down" or "unknown" (list scan)
    reason: str
    reason_ttl: int = 0
    addresses: List[Address] = field(default_factory=list)
    hostnames: List[Hostname] = field(default_factory=list)
    ports: List[Port] = field(default_factory=list)
    extraports: List[ExtraPorts] = field(default_factory=list)
    scripts: List[Script] = field(default_factory=list)
    os_matches: List[OsMatch] = field(default_factory=list)
    starttime: Optional[int] = None
    endtime: Optional[int] = None
    timed_out: bool = False

    @property
    def mac(self) -> Optional[str]:
        """The MAC address (hosts on the scanner's link), else None."""
        return next((a.addr for a in self.addresses if a.addrtype == "mac"), None)

    @property
    def vendor(self) -> Optional[str]:
        """The MAC address's vendor, if known."""
        return next((a.vendor for a in self.addresses if a.addrtype == "mac"), None)

    @property
    def hostname(self) -> Optional[str]:
        """The first host name (the one given, else the PTR name)."""
        return self.hostnames[0].name if self.hostnames else None

    @property
    def is_up(self) -> bool:
        return self.state == "up"

    def open_ports(self) -> List[Port]:
        """The ports in state "open"."""
        return [p for p in self.ports if p.state == "open"]

    def port(self, number: int, protocol: str = "tcp") -> Optional[Port]:
        """The listed port ``number``/``protocol``, or None."""
        return next((p for p in self.ports if p.number == number and p.protocol == protocol), None)

    def to_dict(self) -> Dict[str, Any]:
        d = dataclasses.asdict(self)
        d["mac"] = self.mac
        d["hostname"] = self.hostname
        return d


@dataclass
class Task(_Dict):
    """A phase of the scan as Nmap reports it (``<taskend>``)."""

    task: str
    time: int
    extrainfo: Optional[str] = None


@dataclass
class Progress(_Dict):
    """What a ``progress`` callback receives.

    ``kind`` is ``"begin"`` or ``"end"`` at a phase's boundaries and
    ``"progress"`` for an estimate during a port scan (every
    ``progress_interval`` seconds). ``percent`` is 0.0 at a begin, 100.0 at
    an end; ``remaining`` (seconds) and ``etc`` (the estimated completion,
    Unix time) are None until there is an estimate. ``elapsed`` is the
    seconds since the scan started."""

    kind: str
    task: str
    percent: float
    elapsed: float
    remaining: Optional[float] = None
    etc: Optional[int] = None
    extrainfo: Optional[str] = None


@dataclass
class ScanResult(_Dict):
    """A finished (or stopped) scan."""

    hosts: List[Host]
    args: str  # the command line nmaps ran
    start: Optional[int] = None
    end: Optional[int] = None
    elapsed: Optional[float] = None
    exit: str = "success"  # or "error" (stopped, see `errormsg`)
    errormsg: Optional[str] = None
    hosts_up: int = 0
    hosts_down: int = 0
    hosts_total: int = 0
    tasks: List[Task] = field(default_factory=list)
    prescripts: List[Script] = field(default_factory=list)
    postscripts: List[Script] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hosts"] = [h.to_dict() for h in self.hosts]
        return d

    def host(self, address: str) -> Optional[Host]:
        """The host with this IP address (or MAC, or host name), or None."""
        for h in self.hosts:
            if h.address == address or any(a.addr == address for a in h.addresses) or any(
                n.name == address for n in h.hostnames
            ):
                return h
        return None


# ---------------------------------------------------------------- parsing


def _script_data(el: ET.Element) -> ScriptData:
    """A ``<script>`` or ``<table>``'s children (Nmap's structured script
    output, a Lua table): a list when no child has a key, else a dict, where
    unkeyed children get their Lua position (1, 2, …) as key."""
    items = [c for c in el if c.tag in ("elem", "table")]
    if not items:
        return None

    def value(c: ET.Element) -> ScriptData:
        if c.tag == "elem":
            return c.text or ""
        inner = _script_data(c)
        return {} if inner is None else inner

    if all(c.get("key") is None for c in items):
        return [value(c) for c in items]
    out: Dict[Any, ScriptData] = {}
    position = 0
    for c in items:
        key = c.get("key")
        if key is None:
            position += 1
            out[position] = value(c)
        else:
            out[key] = value(c)
    return out


def _script(el: ET.Element) -> Script:
    return Script(id=el.get("id", ""), output=el.get("output", ""), data=_script_data(el))


def _service(el: ET.Element) -> Service:
    return Service(
        name=el.get("name", ""),
        product=el.get("product"),
        version=el.get("version"),
        extrainfo=el.get("extrainfo"),
        hostname=el.get("hostname"),
        ostype=el.get("ostype"),
        devicetype=el.get("devicetype"),
        tunnel=el.get("tunnel"),
        method=el.get("method", "table"),
        conf=_int(el.get("conf"), 0),
        cpes=[c.text or "" for c in el.findall("cpe")],
        servicefp=el.get("servicefp"),
    )


def _port(el: ET.Element) -> Port:
    st = el.find("state")
    st_attr = st.attrib if st is not None else {}
    svc = el.find("service")
    return Port(
        protocol=el.get("protocol", ""),
        number=_int(el.get("portid"), 0),
        state=st_attr.get("state", ""),
        reason=st_attr.get("reason", ""),
        reason_ttl=_int(st_attr.get("reason_ttl"), 0),
        service=_service(svc) if svc is not None else None,
        scripts=[_script(s) for s in el.findall("script")],
    )


def _os_matches(el: Optional[ET.Element]) -> List[OsMatch]:
    if el is None:
        return []
    out = []
    for m in el.findall("osmatch"):
        out.append(
            OsMatch(
                name=m.get("name", ""),
                accuracy=_int(m.get("accuracy"), 0),
                line=_int(m.get("line")),
                classes=[
                    OsClass(
                        type=c.get("type"),
                        vendor=c.get("vendor"),
                        family=c.get("osfamily"),
                        generation=c.get("osgen"),
                        accuracy=_int(c.get("accuracy"), 0),
                        cpes=[p.text or "" for p in c.findall("cpe")],
                    )
                    for c in m.findall("osclass")
                ],
            )
        )
    return out


def host_from_xml(el: ET.Element) -> Host:
    """A ``<host>`` element as a :class:`Host`."""
    status = el.find("status")
    st = status.attrib if status is not None else {}
    addresses = [
        Address(addr=a.get("addr", ""), addrtype=a.get("addrtype", ""), vendor=a.get("vendor"))
        for a in el.findall("address")
    ]
    ip = next((a.addr for a in addresses if a.addrtype in ("ipv4", "ipv6")), None)
    ports_el = el.find("ports")
    ports, extra = [], []
    if ports_el is not None:
        ports = [_port(p) for p in ports_el.findall("port")]
        extra = [
            ExtraPorts(state=e.get("state", ""), count=_int(e.get("count"), 0))
            for e in ports_el.findall("extraports")
        ]
    hostscript = el.find("hostscript")
    return Host(
        address=ip if ip is not None else (addresses[0].addr if addresses else ""),
        state=st.get("state", ""),
        reason=st.get("reason", ""),
        reason_ttl=_int(st.get("reason_ttl"), 0),
        addresses=addresses,
        hostnames=[
            Hostname(name=h.get("name", ""), type=h.get("type", ""))
            for h in el.findall("hostnames/hostname")
        ],
        ports=ports,
        extraports=extra,
        scripts=[_script(s) for s in hostscript.findall("script")] if hostscript is not None else [],
        os_matches=_os_matches(el.find("os")),
        starttime=_int(el.get("starttime")),
        endtime=_int(el.get("endtime")),
        timed_out=el.get("timedout") == "true",
    )


def parse_xml(root: Union[ET.Element, str, bytes], hosts: Optional[List[Host]] = None) -> ScanResult:
    """A whole ``<nmaprun>`` document (text or parsed root) as a
    :class:`ScanResult`. ``hosts``, when given, replaces the document's own
    (the streaming reader parsed them already)."""
    if isinstance(root, (str, bytes)):
        root = ET.fromstring(root)
    finished = root.find("runstats/finished")
    fin = finished.attrib if finished is not None else {}
    counts = root.find("runstats/hosts")
    cnt = counts.attrib if counts is not None else {}
    pre = root.find("prescript")
    post = root.find("postscript")
    return ScanResult(
        hosts=hosts if hosts is not None else [host_from_xml(h) for h in root.findall("host")],
        args=root.get("args", ""),
        start=_int(root.get("start")),
        end=_int(fin.get("time")),
        elapsed=_float(fin.get("elapsed")),
        exit=fin.get("exit", "success"),
        errormsg=fin.get("errormsg"),
        hosts_up=_int(cnt.get("up"), 0),
        hosts_down=_int(cnt.get("down"), 0),
        hosts_total=_int(cnt.get("total"), 0),
        tasks=[
            Task(task=t.get("task", ""), time=_int(t.get("time"), 0), extrainfo=t.get("extrainfo"))
            for t in root.findall("taskend")
        ],
        prescripts=[_script(s) for s in pre.findall("script")] if pre is not None else [],
        postscripts=[_script(s) for s in post.findall("script")] if post is not None else [],
    )
