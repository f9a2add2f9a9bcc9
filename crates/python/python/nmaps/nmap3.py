"""python3-nmap's ``nmap3`` classes on the nmaps engine, in-process.

Each method builds the same command line as python3-nmap (as a list: a
target is never split by a shell or read as an option), runs it in this
process with the GIL released, and parses the XML into the same dicts.
"""

import asyncio
import contextvars
import functools
import os
import re
import shlex
import sys
import xml.etree.ElementTree as ET
from xml.etree.ElementTree import ParseError

from . import _nmaps
from .exceptions import (
    NmapExecutionError,
    NmapNotInstalledError,
    NmapTimeoutError,
    NmapXMLParserError,
)
from .nmapparser import NmapCommandParser

__all__ = [
    "Nmap",
    "NmapScanTechniques",
    "NmapHostDiscovery",
    "NmapAsync",
    "NmapScanTechniquesAsync",
    "NmapHostDiscoveryAsync",
    "NmapCommandParser",
    "NmapNotInstalledError",
    "NmapXMLParserError",
    "NmapExecutionError",
    "NmapTimeoutError",
    "get_nmap_path",
    "user_is_root",
    "OS_TYPE",
]

OS_TYPE = sys.platform
PROGRAM = "nmaps"
ROOT_ERROR = {"error": True, "msg": "You must be root/administrator to continue!"}

# The cancel token of the scan the current async call runs (copied into the
# worker thread by asyncio.to_thread).
_CANCEL = contextvars.ContextVar("nmaps_cancel", default=None)

# python3-nmap's "-oX <file>" test (PR #95): a bare file name with an extension.
_OUTPUT_FILE = re.compile(r"(\-oX|-oN-|oG)\s+[a-zA-Z-_0-9]{1,100}\.[a-zA-Z]+")


def get_nmap_path(path=""):
    """The scanner is built in: there is no binary to look for."""
    return PROGRAM


def user_is_root(func):
    """python3-nmap's root gate: without root privileges the method returns
    ``{"error": True, "msg": …}`` instead of scanning."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not _is_root():
            return dict(ROOT_ERROR)
        return func(*args, **kwargs)

    return wrapper


def _is_root():
    try:
        return os.geteuid() == 0
    except AttributeError:  # pragma: no cover - not POSIX
        return False


def _targets(target):
    """Target argument → argv items. A string may hold several targets
    separated by blanks (as python3-nmap's shlex split); a list or tuple is
    a list of targets. Nothing that looks like an option is accepted."""
    if isinstance(target, (list, tuple)):
        items = [str(t) for t in target]
    elif isinstance(target, str):
        items = target.split()
    else:
        raise TypeError("target must be a str or a list of str, not %s" % type(target).__name__)
    if not items:
        raise ValueError("no target given")
    for t in items:
        if t.startswith("-") or any(c in t for c in "\0\n\r"):
            raise ValueError("invalid target %r: targets may not start with '-'" % t)
    return items


def _user_args(args):
    if args is None or args == "":
        return []
    if isinstance(args, (list, tuple)):
        return [str(a) for a in args]
    if not isinstance(args, str):
        raise AssertionError("Expected string got {0} instead".format(type(args)))
    return shlex.split(args)


def _split_flags(arg):
    return shlex.split(arg) if isinstance(arg, str) else list(arg or [])


class Nmap:
    """python3-nmap's ``Nmap``: the common scans, run by the nmaps engine."""

    def __init__(self, path=""):
        # The engine is in-process: `path` is accepted and ignored.
        self.nmaptool = PROGRAM
        self.default_args = "{nmap}  {outarg}  -  "
        self.maxport = 65535
        self.target = ""
        self.top_ports = dict()
        self.parser = NmapCommandParser(None)
        self.raw_output = None
        self.as_root = False

    # ---------------------------------------------------------- plumbing
    def require_root(self, required=True):
        """As python3-nmap: only drops ``-v`` from the command (no sudo)."""
        self.as_root = required

    def default_command(self):
        if self.as_root:
            return self.default_command_privileged()
        return self.default_args.format(nmap=self.nmaptool, outarg="-v -oX")

    def default_command_privileged(self):
        return self.default_args.format(nmap=self.nmaptool, outarg="-oX")

    def _prefix(self):
        return [PROGRAM] + ([] if self.as_root else ["-v"]) + ["-oX", "-"]

    def _argv(self, target, flags, args):
        return self._prefix() + _targets(target) + _split_flags(flags) + _user_args(args)

    def run_command(self, cmd, timeout=None):
        return self._run(cmd, timeout)

    def _run(self, cmd, timeout=None):
        """Runs ``cmd`` (an argv list, or a string split with shlex; its
        first item names the program and is ignored) and returns standard
        output as text. Raises NmapExecutionError on a non-zero exit status
        and NmapTimeoutError after ``timeout`` seconds."""
        if isinstance(cmd, str):
            cmd = shlex.split(cmd)
        argv = [PROGRAM] + list(cmd[1:])
        code, out, err, timed_out = _nmaps.run(argv, timeout=timeout, cancel=_CANCEL.get())
        text = out.decode("utf-8", "replace")
        if timed_out:
            raise NmapTimeoutError(argv, timeout, output=text, stderr=err)
        if code != 0:
            raise NmapExecutionError('"%s"\n\n%s' % (" ".join(argv), err))
        return text

    def get_xml_et(self, command_output):
        self.raw_output = command_output
        self.raw_ouput = command_output  # python3-nmap 1.9.1's spelling
        try:
            return ET.fromstring(command_output.strip())
        except ParseError:
            raise NmapXMLParserError()

    def get_success_xml_et(self, file_name):
        root = ET.Element("root")
        ET.SubElement(root, "success").text = "Nmap scan completed successfully."
        ET.SubElement(root, "file_path").text = "{}".format(file_name)
        return root

    def _run_xml(self, argv, timeout=None):
        return self.get_xml_et(self._run(argv, timeout=timeout))

    # ------------------------------------------------------------- scans
    def nmap_version(self):
        """``{"nmap": (7, 93), …}``: the Nmap version nmaps is compatible
        with (nmaps's own is under ``"nmaps"``)."""
        return {
            "nmap": tuple(int(x) for x in _nmaps.NMAP_COMPAT_VERSION.split(".")),
            "nmaps": tuple(int(x) for x in _nmaps.__version__.split(".")),
            "compiled_with": (),
            "compiled_without": (),
            "nsock_engines": (),
        }

    def scan_top_ports(self, target, default=10, args=None, timeout=None):
        """The ``default`` most common ports (``--top-ports``)."""
        if int(default) > self.maxport:
            raise ValueError("Port can not be greater than default 65535")
        if args:
            assert isinstance(args, str), "Expected string got {0} instead".format(type(args))
        argv = self._argv(target, ["--top-ports", str(default)], args)
        self.target = target
        output = self._run(argv, timeout=timeout)
        if not output:
            raise ValueError("Unable to perform requested command")
        self.top_ports = self.parser.filter_top_ports(self.get_xml_et(output))
        return self.top_ports

    def nmap_dns_brute_script(self, target, dns_brute="--script dns-brute.nse", args=None, timeout=None):
        """dns-brute: the names found, ``[{"address": …, "hostname": …}]``."""
        self.target = target
        xml_root = self._run_xml(self._argv(target, dns_brute, args), timeout)
        return self.parser.filter_subdomains(xml_root)

    def nmap_version_detection(self, target, arg="-sV", args=None, timeout=None):
        xml_root = self._scan_xml(target, arg, args, timeout)
        return self.parser.filter_top_ports(xml_root)

    @user_is_root
    def nmap_stealth_scan(self, target, arg="-Pn -sZ", args=None, timeout=None):
        xml_root = self._scan_xml(target, arg, args, timeout)
        self.top_ports = self.parser.filter_top_ports(xml_root)
        return self.top_ports

    def nmap_detect_firewall(self, target, arg="-sA", args=None, timeout=None):
        """An ACK scan; returns the XML root element, as python3-nmap."""
        return self._scan_xml(target, arg, args, timeout)

    @user_is_root
    def nmap_os_detection(self, target, arg="-O", args=None, timeout=None):
        xml_root = self._scan_xml(target, arg, args, timeout)
        return self.parser.os_identifier_parser(xml_root)

    def nmap_subnet_scan(self, target, arg="-p-", args=None, timeout=None):
        xml_root = self._scan_xml(target, arg, args, timeout)
        return self.parser.filter_top_ports(xml_root)

    def nmap_list_scan(self, target, arg="-sL", args=None, timeout=None):
        self.target = target
        xml_root = self._scan_xml(target, arg, args, timeout)
        return self.parser.filter_top_ports(xml_root)

    def scan_command(self, target, arg, args=None, timeout=None):
        """Runs ``<target> <arg> [args]`` and returns the XML root element.
        With ``-oX file.ext`` in the options, returns python3-nmap's
        ``<root><success/><file_path/></root>`` stub instead."""
        return self._scan_xml(target, arg, args, timeout)

    def _scan_xml(self, target, arg, args=None, timeout=None):
        self.target = target
        argv = self._argv(target, arg, args)
        output = self._run(argv, timeout=timeout)
        found = _OUTPUT_FILE.search(" ".join(argv))
        if found:
            return self.get_success_xml_et(found.group(0).split()[-1])
        return self.get_xml_et(output)


class NmapScanTechniques(Nmap):
    """python3-nmap's scan techniques (``-sF -sS -sT -sU -sP -sL -sO``)."""

    def __init__(self, path=""):
        super().__init__(path=path)
        self.sync_scan = "-sS"
        self.tcp_connt = "-sT"
        self.fin_scan = "-sF"
        self.ping_scan = "-sP"
        self.idle_scan = "-sL"
        self.udp_scan = "-sU"
        self.ip_scan = "-sO"
        self.parser = NmapCommandParser(None)

    def scan_command(self, scan_type, target, args, timeout=None):
        return self._technique_xml(scan_type, target, args, timeout)

    def _technique_xml(self, scan_type, target, args, timeout=None):
        if scan_type not in (
            self.sync_scan, self.tcp_connt, self.fin_scan, self.ping_scan,
            self.idle_scan, self.udp_scan, self.ip_scan,
        ):
            raise Exception("Something went wrong")
        self.target = target
        return self._run_xml(self._argv(target, [scan_type], args), timeout)

    def _technique(self, scan_type, target, args, timeout):
        return self.parser.filter_top_ports(self._technique_xml(scan_type, target, args, timeout))

    @user_is_root
    def nmap_fin_scan(self, target, args=None, timeout=None):
        return self._technique(self.fin_scan, target, args, timeout)

    @user_is_root
    def nmap_syn_scan(self, target, args=None, timeout=None):
        return self._technique(self.sync_scan, target, args, timeout)

    def nmap_tcp_scan(self, target, args=None, timeout=None):
        return self._technique(self.tcp_connt, target, args, timeout)

    @user_is_root
    def nmap_udp_scan(self, target, args=None, timeout=None):
        return self._technique(self.udp_scan, target, args, timeout)

    def nmap_ping_scan(self, target, args=None, timeout=None):
        return self._technique(self.ping_scan, target, args, timeout)

    def nmap_idle_scan(self, target, args=None, timeout=None):
        """``-sL``, as python3-nmap (a list scan, not Nmap's idle scan)."""
        return self._technique(self.idle_scan, target, args, timeout)

    def nmap_ip_scan(self, target, args=None, timeout=None):
        return self._technique(self.ip_scan, target, args, timeout)


class NmapHostDiscovery(Nmap):
    """python3-nmap's host discovery methods (``-Pn -sn -PR -n``)."""

    def __init__(self, path=""):
        super().__init__(path=path)
        self.port_scan_only = "-Pn"
        self.no_port_scan = "-sn"
        self.arp_discovery = "-PR"
        self.disable_dns = "-n"
        self.parser = NmapCommandParser(None)

    def scan_command(self, scan_type, target, args, timeout=None):
        return self._discovery_xml(scan_type, target, args, timeout)

    def _discovery_xml(self, scan_type, target, args, timeout=None):
        if scan_type not in (self.port_scan_only, self.no_port_scan, self.arp_discovery, self.disable_dns):
            raise Exception("Something went wrong")
        self.target = target
        return self._run_xml(self._argv(target, [scan_type], args), timeout)

    def _discovery(self, scan_type, target, args, timeout):
        return self.parser.filter_top_ports(self._discovery_xml(scan_type, target, args, timeout))

    def nmap_portscan_only(self, target, args=None, timeout=None):
        return self._discovery(self.port_scan_only, target, args, timeout)

    def nmap_no_portscan(self, target, args=None, timeout=None):
        return self._discovery(self.no_port_scan, target, args, timeout)

    def nmap_arp_discovery(self, target, args=None, timeout=None):
        return self._discovery(self.arp_discovery, target, args, timeout)

    def nmap_disable_dns(self, target, args=None, timeout=None):
        return self._discovery(self.disable_dns, target, args, timeout)


# ------------------------------------------------------------------ async
async def _in_thread(func, *args, **kwargs):
    """Runs a blocking method in a worker thread; cancelling the awaiting
    task cancels the scan."""
    token = _nmaps.Cancel()
    ctx_token = _CANCEL.set(token)
    try:
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        fut = loop.run_in_executor(None, functools.partial(ctx.run, func, *args, **kwargs))
        try:
            return await asyncio.shield(fut)
        except asyncio.CancelledError:
            token.cancel()
            try:
                await fut
            except Exception:
                pass
            raise
    finally:
        _CANCEL.reset(ctx_token)


def _coroutine(sync_cls, name):
    sync = getattr(sync_cls, name)

    @functools.wraps(sync)
    async def method(self, *args, **kwargs):
        return await _in_thread(sync, self, *args, **kwargs)

    return method


_NMAP_METHODS = (
    "nmap_version", "scan_top_ports", "nmap_dns_brute_script", "nmap_version_detection",
    "nmap_stealth_scan", "nmap_detect_firewall", "nmap_os_detection", "nmap_subnet_scan",
    "nmap_list_scan", "scan_command",
)
_TECHNIQUE_METHODS = (
    "nmap_fin_scan", "nmap_syn_scan", "nmap_tcp_scan", "nmap_udp_scan",
    "nmap_ping_scan", "nmap_idle_scan", "nmap_ip_scan", "scan_command",
)
_DISCOVERY_METHODS = (
    "nmap_portscan_only", "nmap_no_portscan", "nmap_arp_discovery", "nmap_disable_dns",
    "scan_command",
)


class NmapAsync(Nmap):
    """``Nmap``'s methods as asyncio coroutines: each scan runs in a worker
    thread (the engine releases the GIL), honours ``timeout``, and is
    cancelled when the awaiting task is."""

    async def run_command(self, cmd, timeout=None):
        return await _in_thread(Nmap.run_command, self, cmd, timeout=timeout)


for _name in _NMAP_METHODS:
    setattr(NmapAsync, _name, _coroutine(Nmap, _name))


class NmapScanTechniquesAsync(NmapAsync, NmapScanTechniques):
    """``NmapScanTechniques`` with every method a coroutine."""


for _name in _TECHNIQUE_METHODS:
    setattr(NmapScanTechniquesAsync, _name, _coroutine(NmapScanTechniques, _name))


class NmapHostDiscoveryAsync(NmapAsync, NmapHostDiscovery):
    """``NmapHostDiscovery`` with every method a coroutine (python3-nmap has
    no such class; it completes the set)."""


for _name in _DISCOVERY_METHODS:
    setattr(NmapHostDiscoveryAsync, _name, _coroutine(NmapHostDiscovery, _name))

del _name
