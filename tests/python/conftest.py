"""Shared helpers for the nmaps Python tests."""

import os
import pathlib
import xml.etree.ElementTree as ET

import pytest

XML_DIR = pathlib.Path(__file__).parent / "xml"


def load_xml(name):
    return ET.fromstring((XML_DIR / name).read_text().strip())


@pytest.fixture
def xml():
    return load_xml


def upstream_parser():
    """python3-nmap's parser when it is installed (test-only dependency)."""
    try:
        from nmap3.nmapparser import NmapCommandParser
    except ImportError:
        return None
    return NmapCommandParser(None)


def in_lab():
    """True inside a lab's scanner namespace (`tests/lab/lab exec …`)."""
    return os.environ.get("NMAPS_PY_LAB") == "1"
