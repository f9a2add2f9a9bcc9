"""nmaps's own typed API: ``scan``, ``scan_async``, ``scan_iter`` and
``scan_async_iter``.

Keyword arguments are checked and turned into an nmaps command line (an
argv list: no shell, and a target can never be read as an option). The scan
runs in a background thread of this process; its XML (``-v -oX -``) is
read while it is written, so each host is parsed and handed over as soon as
the engine finishes it, and the ``<taskbegin>``/``<taskprogress>``/
``<taskend>`` lines drive the ``progress`` callback (see docs/python.md).
"""

from __future__ import annotations

import asyncio
import inspect
import math
import numbers
import re
import time
import xml.etree.ElementTree as ET
from typing import (
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Union,
)

from . import _nmaps
from .exceptions import NmapExecutionError, NmapTimeoutError, NmapXMLParserError
from .results import Host, Progress, ScanResult, host_from_xml, parse_xml

__all__ = [
    "SCAN_TYPES",
    "TIMING_TEMPLATES",
    "HostIterator",
    "AsyncHostIterator",
    "build_argv",
    "scan",
    "scan_async",
    "scan_iter",
    "scan_async_iter",
]

# scan_type → nmaps option.
SCAN_TYPES: Dict[str, str] = {
    "connect": "-sT",
    "syn": "-sS",
    "udp": "-sU",
    "ack": "-sA",
    "window": "-sW",
    "maimon": "-sM",
    "null": "-sN",
    "fin": "-sF",
    "xmas": "-sX",
    "sctp-init": "-sY",
    "sctp-cookie": "-sZ",
    "ip": "-sO",
    # No port scan:
    "ping": "-sn",
    "list": "-sL",
}
_NO_PORT_SCAN = ("ping", "list")

TIMING_TEMPLATES = ("paranoid", "sneaky", "polite", "normal", "aggressive", "insane")

# Options the API sets itself or that would break reading the XML stream.
_RESERVED_PREFIXES = ("-o", "--stats-every", "--resume", "--iflist", "--help", "--version")
_RESERVED_EXACT = ("-h", "-V")

_PORT_ITEM = re.compile(r"^(?:[TUSP]:)?(\d*)(?:(-)(\d*))?$")
_SCRIPT_EXPR = re.compile(r"^[A-Za-z0-9_.*/\- ()]+$")
_SCRIPT_ARG_KEY = re.compile(r"^[A-Za-z0-9_.\-\[\]]+$")
_BAD_SCRIPT_ARG_VALUE = re.compile(r"[,={}\"\x00-\x1f\x7f]")

ProgressCallback = Callable[[Progress], Any]
Targets = Union[str, Iterable[str]]
Ports = Union[int, str, Iterable[Union[int, str, Sequence[int]]]]


def _fail(name: str, value: Any, why: str) -> ValueError:
    return ValueError("invalid %s %r: %s" % (name, value, why))


def _number(name: str, value: Any, lo: float, hi: float = math.inf, integer: bool = False) -> Union[int, float]:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail(name, value, "not a number")
    if integer and not isinstance(value, numbers.Integral):
        raise _fail(name, value, "not an integer")
    if not (math.isfinite(value) and lo <= value <= hi):
        raise _fail(name, value, "must be between %s and %s" % (lo, hi))
    return value


def _targets(targets: Targets) -> List[str]:
    if isinstance(targets, str):
        items = targets.split()
    elif isinstance(targets, Iterable) and not isinstance(targets, (bytes, bytearray, Mapping)):
        items = list(targets)
    else:
        raise _fail("targets", targets, "a str or a list of str expected")
    if not items:
        raise _fail("targets", targets, "no target given")
    for t in items:
        if not isinstance(t, str):
            raise _fail("target", t, "targets are str")
        if not t or t.startswith("-"):
            raise _fail("target", t, "a target may not be empty or start with '-'")
        if any(c.isspace() or not c.isprintable() for c in t) or len(t) > 1024:
            raise _fail("target", t, "blanks and control characters are not allowed in a target")
    return items


def _port_number(name: str, value: Any) -> int:
    return int(_number(name, value, 0, 65535, integer=True))


def _ports(ports: Ports) -> str:
    """A ``-p`` list: 22, "22,80,1000-2000", "U:53,T:80", [22, (1000, 2000), "443"]."""
    if isinstance(ports, bool):
        raise _fail("ports", ports, "a port, a list of ports or a port string expected")
    if isinstance(ports, numbers.Integral):
        return str(_port_number("port", ports))
    if isinstance(ports, str):
        items = ports.split(",")
    elif isinstance(ports, Iterable):
        items = []
        for p in ports:
            if isinstance(p, tuple) and len(p) == 2:
                lo, hi = (_port_number("port", v) for v in p)
                if lo > hi:
                    raise _fail("port range", p, "start after end")
                items.append("%d-%d" % (lo, hi))
            elif isinstance(p, numbers.Integral) and not isinstance(p, bool):
                items.append(str(_port_number("port", p)))
            elif isinstance(p, str):
                items.extend(p.split(","))
            else:
                raise _fail("port", p, "an int, an (int, int) range or a str expected")
    else:
        raise _fail("ports", ports, "a port, a list of ports or a port string expected")
    if not items:
        raise _fail("ports", ports, "no port given")
    out = []
    for item in items:
        item = item.strip()
        m = _PORT_ITEM.match(item)
        if not m or not (m.group(1) or m.group(3)) or (m.group(3) and not m.group(2)):
            raise _fail("port", item, "expected N, N-M, -M, N- (optionally T:/U:/S:/P:)")
        lo, hi = m.group(1), m.group(3)
        for v in (lo, hi):
            if v and int(v) > 65535:
                raise _fail("port", item, "port numbers go up to 65535")
        if lo and hi and int(lo) > int(hi):
            raise _fail("port range", item, "start after end")
        out.append(item)
    return ",".join(out)


def _scan_types(scan_type: Union[None, str, Sequence[str]]) -> List[str]:
    if scan_type is None:
        return []
    kinds = [scan_type] if isinstance(scan_type, str) else list(scan_type)
    for k in kinds:
        if k not in SCAN_TYPES:
            raise _fail("scan_type", k, "one of %s" % ", ".join(sorted(SCAN_TYPES)))
    if len(kinds) > 1 and any(k in _NO_PORT_SCAN for k in kinds):
        raise _fail("scan_type", scan_type, "'ping' and 'list' combine with no other scan type")
    return kinds


def _timing(timing: Union[None, int, str]) -> List[str]:
    if timing is None:
        return []
    if isinstance(timing, str):
        if timing not in TIMING_TEMPLATES:
            raise _fail("timing", timing, "0-5 or one of %s" % ", ".join(TIMING_TEMPLATES))
        return ["-T%d" % TIMING_TEMPLATES.index(timing)]
    return ["-T%d" % _number("timing", timing, 0, 5, integer=True)]


def _scripts(scripts: Union[None, str, Sequence[str]]) -> List[str]:
    if scripts is None:
        return []
    items = scripts.split(",") if isinstance(scripts, str) else list(scripts)
    if not items:
        raise _fail("scripts", scripts, "no script given")
    for s in items:
        if not isinstance(s, str) or not s.strip() or s.strip().startswith("-") or not _SCRIPT_EXPR.match(s):
            raise _fail("script", s, "a script name, category or expression expected")
    return ["--script", ",".join(s.strip() for s in items)]


def _script_args(args: Optional[Mapping[str, Any]]) -> List[str]:
    if args is None:
        return []
    if not isinstance(args, Mapping):
        raise _fail("script_args", args, "a dict expected")
    parts = []
    for k, v in args.items():
        if not isinstance(k, str) or not _SCRIPT_ARG_KEY.match(k):
            raise _fail("script_args key", k, "letters, digits, '_', '.', '-' only")
        if isinstance(v, bool):
            v = "true" if v else "false"
        if not isinstance(v, (str, numbers.Real)):
            raise _fail("script_args value", v, "a str or a number expected")
        v = str(v)
        if _BAD_SCRIPT_ARG_VALUE.search(v):
            raise _fail("script_args value", v, "may not hold , = { } \" or control characters")
        parts.append("%s=%s" % (k, v))
    return ["--script-args", ",".join(parts)] if parts else []


def _extra_args(extra: Optional[Sequence[str]]) -> List[str]:
    if extra is None:
        return []
    if isinstance(extra, (str, bytes)) or not isinstance(extra, Sequence):
        raise _fail("extra_args", extra, "a list of str (one item per argument, no shell splitting)")
    out = []
    for a in extra:
        if not isinstance(a, str) or any(c in a for c in "\0\n\r"):
            raise _fail("extra_args item", a, "a str without NUL or newlines expected")
        if a in _RESERVED_EXACT or a.startswith(_RESERVED_PREFIXES):
            raise _fail("extra_args item", a, "output and status options are set by the API")
        out.append(a)
    return out


def build_argv(
    targets: Targets,
    *,
    ports: Optional[Ports] = None,
    top_ports: Optional[int] = None,
    scan_type: Union[None, str, Sequence[str]] = None,
    service_version: bool = False,
    version_intensity: Optional[int] = None,
    scripts: Union[None, str, Sequence[str]] = None,
    script_args: Optional[Mapping[str, Any]] = None,
    os_detection: bool = False,
    timing: Union[None, int, str] = None,
    ping: bool = True,
    resolve: Optional[bool] = None,
    host_timeout: Optional[float] = None,
    min_rate: Optional[float] = None,
    max_rate: Optional[float] = None,
    extra_args: Optional[Sequence[str]] = None,
    progress_interval: Optional[float] = None,
) -> List[str]:
    """The nmaps command line (without the program name) for these
    arguments; raises ValueError naming the first bad value."""
    argv = ["-v", "-oX", "-"]
    kinds = _scan_types(scan_type)
    argv += [SCAN_TYPES[k] for k in kinds]
    no_ports = any(k in _NO_PORT_SCAN for k in kinds)
    if ports is not None and top_ports is not None:
        raise _fail("top_ports", top_ports, "give either ports or top_ports")
    if no_ports and (ports is not None or top_ports is not None):
        raise _fail("scan_type", scan_type, "scans no ports: ports/top_ports not allowed")
    if ports is not None:
        argv += ["-p", _ports(ports)]
    if top_ports is not None:
        argv += ["--top-ports", str(_number("top_ports", top_ports, 1, 65535, integer=True))]
    for name, flag in (("service_version", service_version), ("os_detection", os_detection), ("ping", ping)):
        if not isinstance(flag, bool):
            raise _fail(name, flag, "True or False expected")
    if service_version:
        argv.append("-sV")
    if version_intensity is not None:
        argv += ["--version-intensity", str(_number("version_intensity", version_intensity, 0, 9, integer=True))]
    argv += _scripts(scripts)
    argv += _script_args(script_args)
    if os_detection:
        argv.append("-O")
    argv += _timing(timing)
    if not ping:
        argv.append("-Pn")
    if resolve is not None:
        if not isinstance(resolve, bool):
            raise _fail("resolve", resolve, "True, False or None expected")
        argv.append("-R" if resolve else "-n")
    if host_timeout is not None:
        ms = _number("host_timeout", host_timeout, 0.001) * 1000
        argv += ["--host-timeout", "%dms" % max(1, round(ms))]
    if min_rate is not None:
        argv += ["--min-rate", "%g" % _number("min_rate", min_rate, 0.001)]
    if max_rate is not None:
        argv += ["--max-rate", "%g" % _number("max_rate", max_rate, 0.001)]
    if progress_interval is not None:
        ms = _number("progress_interval", progress_interval, 0.05, 3600) * 1000
        argv += ["--stats-every", "%dms" % round(ms)]
    argv += _extra_args(extra_args)
    # Targets last, after "--"? Nmap has no such marker; they cannot start
    # with "-", so they are never read as options.
    argv += _targets(targets)
    return argv


def _timeout(timeout: Optional[float]) -> Optional[float]:
    return None if timeout is None else float(_number("timeout", timeout, 0))


def _callback(progress: Optional[ProgressCallback]) -> Optional[ProgressCallback]:
    if progress is not None and not callable(progress):
        raise _fail("progress", progress, "a callable expected")
    return progress


class _Run:
    """One streamed scan: reads the XML as it comes, parses hosts and task
    lines, and builds the result at the end."""

    def __init__(
        self,
        argv: List[str],
        timeout: Optional[float],
        progress: Optional[ProgressCallback],
        down_hosts: bool,
        cancel: Optional[_nmaps.Cancel],
    ) -> None:
        self.argv = ["nmaps"] + argv
        self.progress = progress
        self.down_hosts = down_hosts
        self.timeout = timeout
        self.started = time.monotonic()
        self.deadline = None if timeout is None else self.started + timeout
        self.timed_out = False
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.root: Optional[ET.Element] = None
        self.raw = bytearray()
        self.hosts: List[Host] = []
        self.done = False
        self.result: Optional[ScanResult] = None
        self.stream = _nmaps.Stream(self.argv, cancel)

    def read(self, wait: float) -> Optional[bytes]:
        """Blocks up to ``wait`` seconds (GIL released) for output."""
        if self.deadline is not None:
            wait = max(0.0, min(wait, self.deadline - time.monotonic()))
        return self.stream.read(wait)

    def feed(self, chunk: Optional[bytes]) -> List[Any]:
        """Parses ``chunk``; returns the new hosts and progress reports in
        document order (``None``: the scan ended)."""
        if not self.timed_out and self.deadline is not None and time.monotonic() >= self.deadline:
            self.timed_out = True
            self.stream.cancel()
        if chunk is None:
            self.done = True
            return []
        if not chunk:
            return []
        self.raw += chunk
        try:
            self.parser.feed(chunk)
            events = list(self.parser.read_events())
        except ET.ParseError as e:
            self.stream.cancel()
            raise NmapXMLParserError("Unable to parse xml output: %s" % e) from e
        out: List[Any] = []
        for event, el in events:
            if event == "start":
                if self.root is None:
                    self.root = el
                elif el.tag in ("taskbegin", "taskend", "taskprogress") and self.progress is not None:
                    out.append(self._progress(el))
            elif el.tag == "host":
                host = host_from_xml(el)
                if self.root is not None:
                    # Parsed: only the Host object is kept.
                    try:
                        self.root.remove(el)
                    except ValueError:
                        pass
                if self.down_hosts or host.state != "down":
                    self.hosts.append(host)
                    out.append(host)
        return out

    def _progress(self, el: ET.Element) -> Progress:
        kind = {"taskbegin": "begin", "taskend": "end", "taskprogress": "progress"}[el.tag]
        percent = {"begin": 0.0, "end": 100.0}.get(kind)
        if percent is None:
            try:
                percent = float(el.get("percent", "0"))
            except ValueError:
                percent = 0.0
        remaining = el.get("remaining")
        etc = el.get("etc")
        return Progress(
            kind=kind,
            task=el.get("task", ""),
            percent=percent,
            elapsed=time.monotonic() - self.started,
            remaining=float(remaining) if remaining and remaining.isdigit() else None,
            etc=int(etc) if etc and etc.isdigit() else None,
            extrainfo=el.get("extrainfo"),
        )

    def finish(self) -> ScanResult:
        """After the stream ended: the result, or the error."""
        code = self.stream.exit_status
        text = bytes(self.raw).decode("utf-8", "replace")
        if self.timed_out:
            err = NmapTimeoutError(self.argv, self.timeout, output=text, stderr=self.stream.stderr)
            err.result = self._result_or_none()
            raise err
        if code not in (0, 130) or self.root is None:
            raise NmapExecutionError('Error during command: "%s"\n\n%s' % (" ".join(self.argv), self.stream.stderr))
        result = self._result_or_none()
        if result is None:
            raise NmapXMLParserError("Unable to parse xml output")
        self.result = result
        return result

    def _result_or_none(self) -> Optional[ScanResult]:
        try:
            self.parser.close()
        except ET.ParseError:
            return None
        return parse_xml(self.root, hosts=self.hosts) if self.root is not None else None

    def cancel(self) -> None:
        self.stream.cancel()


def _deliver(run: _Run, items: List[Any]) -> Iterator[Host]:
    for item in items:
        if isinstance(item, Host):
            yield item
        else:
            run.progress(item)


class HostIterator(Iterator[Host]):
    """Yields each :class:`Host` as the scan finishes it (see
    :func:`scan_iter`). ``result`` is the :class:`ScanResult` once the
    iteration ended; ``cancel()`` stops the scan (the iteration then ends
    with the hosts finished so far); leaving a ``with`` block or dropping
    the iterator cancels it too."""

    _POLL = 0.1

    def __init__(self, run: _Run) -> None:
        self._run = run
        self._pending: List[Host] = []
        self.result: Optional[ScanResult] = None

    def __iter__(self) -> "HostIterator":
        return self

    def __next__(self) -> Host:
        run = self._run
        while not self._pending:
            if run.done:
                if self.result is None:
                    self.result = run.finish()
                raise StopIteration
            items = run.feed(run.read(self._POLL))
            try:
                self._pending.extend(_deliver(run, items))
            except BaseException:
                run.cancel()
                raise
        return self._pending.pop(0)

    def cancel(self) -> None:
        self._run.cancel()

    def close(self) -> None:
        self._run.cancel()

    def __enter__(self) -> "HostIterator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncHostIterator(AsyncIterator[Host]):
    """The asyncio form of :class:`HostIterator` (see :func:`scan_async_iter`).
    Waiting happens in a worker thread; the progress callback runs on the
    event loop (awaited if it returns an awaitable). Cancelling the awaiting
    task, ``cancel()`` or ``aclose()`` stops the scan."""

    _POLL = 0.25

    def __init__(self, run: _Run) -> None:
        self._run = run
        self._pending: List[Host] = []
        self.result: Optional[ScanResult] = None

    def __aiter__(self) -> "AsyncHostIterator":
        return self

    async def __anext__(self) -> Host:
        run = self._run
        try:
            while not self._pending:
                if run.done:
                    if self.result is None:
                        self.result = run.finish()
                    raise StopAsyncIteration
                chunk = await asyncio.get_running_loop().run_in_executor(None, run.read, self._POLL)
                for item in run.feed(chunk):
                    if isinstance(item, Host):
                        self._pending.append(item)
                    else:
                        r = run.progress(item)
                        if inspect.isawaitable(r):
                            await r
        except (StopAsyncIteration, NmapTimeoutError, NmapExecutionError):
            raise
        except BaseException:
            run.cancel()
            raise
        return self._pending.pop(0)

    def cancel(self) -> None:
        self._run.cancel()

    async def aclose(self) -> None:
        self._run.cancel()

    async def __aenter__(self) -> "AsyncHostIterator":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


def _start(
    targets: Targets,
    timeout: Optional[float],
    progress: Optional[ProgressCallback],
    progress_interval: float,
    down_hosts: bool,
    cancel: Optional[_nmaps.Cancel],
    options: Dict[str, Any],
) -> _Run:
    progress = _callback(progress)
    interval = _number("progress_interval", progress_interval, 0.05, 3600)
    if not isinstance(down_hosts, bool):
        raise _fail("down_hosts", down_hosts, "True or False expected")
    if cancel is not None and not isinstance(cancel, _nmaps.Cancel):
        raise _fail("cancel", cancel, "an nmaps.Cancel expected")
    argv = build_argv(targets, progress_interval=interval if progress else None, **options)
    return _Run(argv, _timeout(timeout), progress, down_hosts, cancel)


_DOC_ARGS = """
    targets: addresses, names, CIDR blocks or ranges (``"198.51.100.0/24"``,
        ``"192.0.2.1-9"``): a str (blank-separated) or a list of str. None
        may start with ``-``.
    ports: ``22``, ``"22,80,1000-2000"``, ``"U:53,T:80"``, or a list of
        ints, ``(first, last)`` tuples and such strings. ``top_ports``: the
        N most common ports instead.
    scan_type: a name of :data:`SCAN_TYPES` (``"connect"``, ``"syn"``,
        ``"udp"``, …, ``"ping"`` for discovery only, ``"list"``), or a list
        of them (``["syn", "udp"]``); None lets nmaps choose (SYN with
        privileges, else connect).
    service_version, version_intensity: ``-sV``, ``--version-intensity``.
    scripts, script_args: ``--script`` names/categories/expressions (a
        list, or a comma-separated str) and ``--script-args`` (a dict).
    os_detection: ``-O`` (OS matches land in ``Host.os_matches``).
    timing: 0–5 or a template name (``"aggressive"``).
    ping: False skips host discovery (``-Pn``). resolve: False never
        resolves names (``-n``), True always (``-R``).
    host_timeout, min_rate, max_rate: seconds, packets per second.
    extra_args: further nmaps options, one list item per argument (no
        shell splitting); output options are refused.
    timeout: seconds for the whole scan; on expiry the scan is stopped and
        :class:`NmapTimeoutError` raised (its ``result`` holds the hosts
        finished before).
    progress: called with a :class:`Progress` at every phase's begin and
        end and every ``progress_interval`` seconds during port scans.
    down_hosts: also report hosts found down (default: only hosts up, and
        every host of a list scan).
    cancel: an :class:`nmaps.Cancel` token to stop the scan from elsewhere.
"""


def scan_iter(
    targets: Targets,
    *,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    progress_interval: float = 1.0,
    down_hosts: bool = False,
    cancel: Optional[_nmaps.Cancel] = None,
    **options: Any,
) -> HostIterator:
    """Starts a scan and returns an iterator over its hosts, each yielded as
    soon as it is finished (in target order). Arguments: see :func:`scan`."""
    return HostIterator(_start(targets, timeout, progress, progress_interval, down_hosts, cancel, options))


def scan_async_iter(
    targets: Targets,
    *,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    progress_interval: float = 1.0,
    down_hosts: bool = False,
    cancel: Optional[_nmaps.Cancel] = None,
    **options: Any,
) -> AsyncHostIterator:
    """Like :func:`scan_iter`, as an async iterator (``async for host in
    nmaps.scan_async_iter(...)``)."""
    return AsyncHostIterator(_start(targets, timeout, progress, progress_interval, down_hosts, cancel, options))


def scan(
    targets: Targets,
    *,
    ports: Optional[Ports] = None,
    top_ports: Optional[int] = None,
    scan_type: Union[None, str, Sequence[str]] = None,
    service_version: bool = False,
    version_intensity: Optional[int] = None,
    scripts: Union[None, str, Sequence[str]] = None,
    script_args: Optional[Mapping[str, Any]] = None,
    os_detection: bool = False,
    timing: Union[None, int, str] = None,
    ping: bool = True,
    resolve: Optional[bool] = None,
    host_timeout: Optional[float] = None,
    min_rate: Optional[float] = None,
    max_rate: Optional[float] = None,
    extra_args: Optional[Sequence[str]] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    progress_interval: float = 1.0,
    down_hosts: bool = False,
    cancel: Optional[_nmaps.Cancel] = None,
) -> ScanResult:
    """Scans and returns a :class:`ScanResult`. The GIL is released while
    the scan runs; Ctrl-C stops it and raises KeyboardInterrupt.
    """
    it = scan_iter(
        targets,
        timeout=timeout,
        progress=progress,
        progress_interval=progress_interval,
        down_hosts=down_hosts,
        cancel=cancel,
        ports=ports,
        top_ports=top_ports,
        scan_type=scan_type,
        service_version=service_version,
        version_intensity=version_intensity,
        scripts=scripts,
        script_args=script_args,
        os_detection=os_detection,
        timing=timing,
        ping=ping,
        resolve=resolve,
        host_timeout=host_timeout,
        min_rate=min_rate,
        max_rate=max_rate,
        extra_args=extra_args,
    )
    with it:
        for _ in it:
            pass
    assert it.result is not None
    return it.result


async def scan_async(targets: Targets, **kwargs: Any) -> ScanResult:
    """The coroutine form of :func:`scan` (same arguments)."""
    it = scan_async_iter(targets, **kwargs)
    async with it:
        async for _ in it:
            pass
    assert it.result is not None
    return it.result


scan.__doc__ = (scan.__doc__ or "") + "\n    Arguments:\n" + _DOC_ARGS
