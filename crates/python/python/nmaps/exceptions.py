"""Exceptions of the nmap3-compatible API (the names python3-nmap uses)."""

import subprocess

__all__ = [
    "NmapNotInstalledError",
    "NmapXMLParserError",
    "NmapExecutionError",
    "NmapTimeoutError",
]


class NmapNotInstalledError(Exception):
    """Kept for compatibility: nmaps runs in-process, so nothing is ever
    missing and this is never raised."""

    def __init__(self, path=None, message=None):
        self.path = path
        if message is None:
            message = (
                "Nmap is either not installed or we couldn't locate its path. "
                "Path given: %s" % (path if path else "Not provided")
            )
        self.message = message
        super().__init__(message)


class NmapXMLParserError(Exception):
    """The XML of a scan could not be parsed."""

    def __init__(self, message="Unable to parse xml output"):
        self.message = message
        super().__init__(message)


class NmapExecutionError(Exception):
    """The scan ended with a non-zero exit status (bad options, an option
    nmaps does not support yet, an unresolvable target, …). The message is
    the command line in double quotes, a blank line, then standard error."""


class NmapTimeoutError(subprocess.TimeoutExpired):
    """The scan ran longer than its ``timeout`` and was stopped.

    A subclass of :class:`subprocess.TimeoutExpired`, which is what
    python3-nmap lets through, so existing ``except`` clauses still match.
    ``output`` holds the XML of the hosts completed before the timeout."""

    def __init__(self, cmd, timeout, output=None, stderr=None):
        super().__init__(cmd, timeout, output=output, stderr=stderr)
