"""nmaps from Python, in-process — no nmap binary, no shell, the GIL
released while a scan runs: a typed API of its own (``nmaps.scan``,
``scan_iter``, ``scan_async_iter``, result objects) and python3-nmap's API
(``import nmaps as nmap3``). See docs/python.md."""

from . import exceptions, nmapparser, results
from ._nmaps import Cancel, NMAP_COMPAT_VERSION, __version__
from ._nmaps import run as _run
from .exceptions import (
    NmapExecutionError,
    NmapNotInstalledError,
    NmapTimeoutError,
    NmapXMLParserError,
)
from .nmap3 import (
    OS_TYPE,
    Nmap,
    NmapAsync,
    NmapHostDiscovery,
    NmapHostDiscoveryAsync,
    NmapScanTechniques,
    NmapScanTechniquesAsync,
    get_nmap_path,
    user_is_root,
)
from .nmapparser import NmapCommandParser
from .results import (
    Address,
    ExtraPorts,
    Host,
    Hostname,
    OsClass,
    OsMatch,
    Port,
    Progress,
    ScanResult,
    Script,
    Service,
    Task,
)
from .typed import (
    SCAN_TYPES,
    TIMING_TEMPLATES,
    AsyncHostIterator,
    HostIterator,
    scan,
    scan_async,
    scan_async_iter,
    scan_iter,
)

__all__ = [
    "Address",
    "AsyncHostIterator",
    "ExtraPorts",
    "Host",
    "HostIterator",
    "Hostname",
    "OsClass",
    "OsMatch",
    "Port",
    "Progress",
    "SCAN_TYPES",
    "ScanResult",
    "Script",
    "Service",
    "TIMING_TEMPLATES",
    "Task",
    "results",
    "scan",
    "scan_async",
    "scan_async_iter",
    "scan_iter",
    "Cancel",
    "NMAP_COMPAT_VERSION",
    "Nmap",
    "NmapAsync",
    "NmapCommandParser",
    "NmapExecutionError",
    "NmapHostDiscovery",
    "NmapHostDiscoveryAsync",
    "NmapNotInstalledError",
    "NmapScanTechniques",
    "NmapScanTechniquesAsync",
    "NmapTimeoutError",
    "NmapXMLParserError",
    "OS_TYPE",
    "__version__",
    "exceptions",
    "get_nmap_path",
    "nmapparser",
    "run",
    "user_is_root",
]


def run(argv, timeout=None, cancel=None):
    """Runs an nmaps command line in-process: ``run(["-sT", "-p", "22", host])``.

    Returns ``(exit_status, stdout_bytes, stderr_text, timed_out)``."""
    return _run(["nmaps"] + list(argv), timeout=timeout, cancel=cancel)
