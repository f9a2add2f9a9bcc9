"""The project's NSE scripts (scripts/*.nse, nselib/) against the lab.

Each case of scripts_expected.json runs one script against its lab target and
checks the <script> element of the XML output (see the file's _doc).

    python3 -m pytest -q tests/lab/test_scripts.py            # with nmaps (NMAPS=PATH)
    SCRIPTS_ENGINE=nmap python3 -m pytest -q tests/lab/test_scripts.py

With the default engine the tests are skipped while `nmaps -h` marks
--script as "not supported yet". SCRIPTS_ENGINE=nmap runs the same scripts
with Debian's nmap instead: a temporary --datadir holds our scripts/ and
nselib/ and, from Nmap, only nse_main.lua, the data files and the core
modules the nmaps engine provides itself (stdnse, shortport, comm,
stringaux, tableaux, datetime and their helpers strict, oops, unittest,
lpeg-utility), so every other `require` loads the project's own library.

Run as root. A lab named like test_lab.py's is brought up and taken down
(LAB_REUSE=NAME uses one already up). NMAPS_SCRIPT_FLAGS adds flags to every
nmaps run (e.g. "--datadir /path").
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(LAB_DIR))
LAB = os.path.join(LAB_DIR, "lab")
SCENARIO = json.load(open(os.path.join(LAB_DIR, "scenario.json")))
EXPECTED = json.load(open(os.path.join(LAB_DIR, "scripts_expected.json")))["scripts"]
NMAPS = os.environ.get("NMAPS", os.path.join(REPO, "target", "release", "nmaps"))
ENGINE = os.environ.get("SCRIPTS_ENGINE", "nmaps")
NMAP_SHARE = "/usr/share/nmap"
CORE_MODULES = ["stdnse", "shortport", "comm", "stringaux", "tableaux", "datetime",
                "strict", "oops", "unittest", "lpeg-utility"]


def run(cmd, timeout=120):
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)


def script_support():
    """None when the engine can run scripts, else the reason to skip."""
    if ENGINE == "nmap":
        return None if shutil.which("nmap") else "nmap not installed"
    if not os.path.exists(NMAPS):
        return f"{NMAPS} not built"
    help_text = run([NMAPS, "-h"]).stdout
    for line in help_text.splitlines():
        if line.strip().startswith("--script=") or line.strip().startswith("--script "):
            if "not supported yet" in line:
                return "nmaps: --script is not supported yet"
            return None
    return "nmaps -h does not list --script"


SKIP = script_support()
needs_engine = pytest.mark.skipif(SKIP is not None, reason=SKIP or "")

WORDLIST_HEADER = """---
-- The project's wordlists (nselib/data/*.lst) embedded as Lua tables, for
-- engines that give scripts no file access (nmaps without --script-unsafe).
-- GENERATED from nselib/data/*.lst: do not edit by hand; regenerate with
-- python3 tests/lab/test_scripts.py --regen-wordlists
--
-- Written for the nmaps project.
-- @copyright MIT OR Apache-2.0

return {"""


def render_wordlists():
    """nselib/wordlists.lua as it must be for the .lst files of nselib/data."""
    d = os.path.join(REPO, "nselib", "data")
    out = [WORDLIST_HEADER]
    for f in sorted(os.listdir(d)):
        if not f.endswith(".lst"):
            continue
        words = [w.rstrip("\r\n") for w in open(os.path.join(d, f))]
        words = [w for w in words if w and not w.startswith("#!comment:")]
        out.append(f'  ["{f}"] = {{')
        for w in words:
            out.append('    "' + w.replace("\\", "\\\\").replace('"', '\\"') + '",')
        out.append("  },")
    out.append("}")
    return "\n".join(out) + "\n"


def test_embedded_wordlists_match_files():
    assert open(os.path.join(REPO, "nselib", "wordlists.lua")).read() == render_wordlists(), \
        "nselib/wordlists.lua is stale: python3 tests/lab/test_scripts.py --regen-wordlists"


def test_subdomain_list_has_the_lab_names():
    words = {w.strip() for w in open(os.path.join(REPO, "nselib", "data", "subdomains.lst"))}
    missing = [s for s in SCENARIO["brute_subdomains"] if s not in words]
    assert not missing, missing
    assert len(words) >= 300


@pytest.fixture(scope="module")
def lab():
    if os.geteuid() != 0:
        pytest.fail("the lab needs root (network namespaces)")
    reuse = os.environ.get("LAB_REUSE")
    name = reuse or "ls" + secrets.token_hex(3)
    if not reuse:
        p = run([LAB, "--name", name, "up"], timeout=180)
        if p.returncode != 0:
            run([LAB, "--name", name, "down"], timeout=60)
            pytest.fail(f"lab up failed:\n{p.stderr}")
        time.sleep(2)  # let slow daemons (snmpd, chrony) settle
    yield name
    if not reuse:
        run([LAB, "--name", name, "down"], timeout=120)


@pytest.fixture(scope="module")
def datadir():
    """For SCRIPTS_ENGINE=nmap: a datadir with our scripts and libraries."""
    if ENGINE != "nmap":
        yield None
        return
    d = tempfile.mkdtemp(prefix="nse-dd-")
    os.chmod(d, 0o755)
    os.makedirs(os.path.join(d, "nselib"))
    os.makedirs(os.path.join(d, "scripts"))
    for f in os.listdir(NMAP_SHARE):
        if f.startswith("nmap") or f == "nse_main.lua":
            os.symlink(os.path.join(NMAP_SHARE, f), os.path.join(d, f))
    for m in CORE_MODULES:
        os.symlink(os.path.join(NMAP_SHARE, "nselib", m + ".lua"), os.path.join(d, "nselib", m + ".lua"))
    lib = os.path.join(REPO, "nselib")
    for f in os.listdir(lib):
        os.symlink(os.path.join(lib, f), os.path.join(d, "nselib", f))
    for f in os.listdir(os.path.join(REPO, "scripts")):
        if f.endswith(".nse"):
            os.symlink(os.path.join(REPO, "scripts", f), os.path.join(d, "scripts", f))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def cases():
    for name, lst in sorted(EXPECTED.items()):
        for i, c in enumerate(lst):
            yield pytest.param(name, c, id=f"{name}-{i}")


def command(name, case, datadir):
    flags = ["-Pn"] if "-sn" not in case["scan"] else []
    flags += list(case["scan"])
    if "ports" in case:
        flags += ["-p", case["ports"]]
    if case.get("script_args"):
        flags += ["--script-args", case["script_args"]]
    if ENGINE == "nmap":
        return ["nmap", "--datadir", datadir, "--script", os.path.join(datadir, "scripts", name + ".nse"),
                *flags, "-oX", "-", case["target"]]
    extra = shlex.split(os.environ.get("NMAPS_SCRIPT_FLAGS", ""))
    return [NMAPS, *extra, "--script", os.path.join(REPO, "scripts", name + ".nse"), *flags, "-oX", "-", case["target"]]


def find_script(root, name, case):
    if case["where"] == "prescript":
        scope = root.findall("prescript")
    elif case["where"] == "host":
        scope = root.findall("host/hostscript")
    else:
        num, proto = case["port"].split("/")
        scope = [p for p in root.findall("host/ports/port")
                 if p.get("portid") == num and p.get("protocol") == proto]
    for s in scope:
        for el in s.findall("script"):
            if el.get("id") == name:
                return el
    return None


def elem_paths(node, prefix=()):
    """(path, text) of every <elem> below node; unkeyed tables/elems are '*'."""
    for child in node:
        key = child.get("key") or "*"
        if child.tag == "elem":
            yield "/".join(prefix + (key,)), child.text or ""
        elif child.tag == "table":
            yield from elem_paths(child, prefix + (key,))


def brute_expected():
    names = set()
    resolvable = set()
    for h in SCENARIO["hosts"] + [SCENARIO["router"]]:
        if h.get("up"):
            resolvable.update(n.split(".")[0] for n in h["names"])
    for sub in SCENARIO["brute_subdomains"]:
        if sub in resolvable:
            names.add(f"{sub}.{SCENARIO['domain']}")
    return names


def pub_md5(path):
    blob = base64.b64decode(open(path).read().split()[1])
    return hashlib.md5(blob).hexdigest()


def cert_digests(path):
    pem = open(path).read()
    b64 = "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))
    der = base64.b64decode(b64)
    return hashlib.md5(der).hexdigest(), hashlib.sha1(der).hexdigest()


LUA = shutil.which("lua5.4") or shutil.which("lua5.3")

LUA_STUBS = r"""
package.path = NSELIB .. "/?.lua;" .. package.path
package.preload.nmap = function() return { verbosity = function() return 1 end } end
package.preload.stdnse = function()
  return { get_script_args = function() return nil end, debug1 = function() end,
           output_table = function() return {} end }
end
package.preload.shortport = function() return { http = function() return true end } end
"""

LUA_TESTS = r"""
local hashes, base64, dns = require "hashes", require "base64", require "dns"
local asn1der, sslcert, ssh2, tls = require "asn1der", require "sslcert", require "ssh2", require "tls"
local out = {}
local function emit(k, v) out[#out + 1] = k .. "=" .. tostring(v) end
for i, s in ipairs({ "", "abc", string.rep("a", 55), string.rep("b", 56), string.rep("xyz", 1000) }) do
  emit("md5_" .. i, hashes.tohex(hashes.md5(s)))
  emit("sha1_" .. i, hashes.tohex(hashes.sha1(s)))
  emit("sha256_" .. i, hashes.tohex(hashes.sha256(s)))
  emit("b64_" .. i, base64.enc(s:sub(1, 20)))
  assert(base64.dec(base64.enc(s)) == s)
end
emit("hmac", hashes.tohex(hashes.hmac_sha256("key", "The quick brown fox jumps over the lazy dog")))
emit("rev4", dns.reverse("198.18.0.10"))
emit("rev6", dns.reverse("fd00:18::10"))
-- a query round trip, and an answer with a compressed name
local p = dns.newPacket(); p.id = 0x1234
dns.addQuestion(p, "www.lab.test", dns.types.A)
local q = dns.decode(dns.encode(p))
emit("q", q.questions[1].dname .. "/" .. q.questions[1].dtype .. "/" .. tostring(q.flags.RD))
local ans = string.pack(">I2I2I2I2I2I2", 0x1234, 0x8180, 1, 2, 0, 0) .. dns.encode_name("www.lab.test")
  .. string.pack(">I2I2", 1, 1)
  .. "\xC0\x0C" .. string.pack(">I2I2I4s2", 5, 1, 60, "\3web\xC0\x10")
  .. "\xC0\x2A" .. string.pack(">I2I2I4s2", 1, 1, 60, "\198\18\0\10")
local r = dns.decode(ans)
emit("cname", r.answers[1].domain)
emit("a", r.answers[2].dname .. "=" .. r.answers[2].ip)
emit("ra", r.flags.RA)
emit("oid", asn1der.oid(asn1der.decode(asn1der.enc_oid("1.3.6.1.2.1.1.1.0")).value))
emit("int", asn1der.integer(asn1der.decode(asn1der.enc_integer(-129)).value))
emit("int2", asn1der.integer(asn1der.decode(asn1der.enc_integer(65537)).value))
local f = io.open(CERT, "rb"); local pem = f:read("a"); f:close()
local der = base64.dec((pem:gsub("%-%-%-%-%-[^\n]*%-%-%-%-%-", "")))
local c = assert(sslcert.parse(der))
emit("cn", c.subject.commonName); emit("o", c.issuer.organizationName)
emit("san", c.san); emit("bits", c.pubkey.bits); emit("ktype", c.pubkey.type)
emit("sig", c.sig_algorithm); emit("nb", c.validity.notBefore); emit("sha1c", hashes.tohex(c.sha1))
for _, kf in ipairs(KEYS) do
  local fh = io.open(kf); local line = fh:read("l"); fh:close()
  local blob = base64.dec(line:match("^%S+%s+(%S+)"))
  local t, bits = ssh2.parse_key(blob)
  emit("key_" .. t, bits)
end
local rec = tls.client_hello({ protocol = "TLSv1.2", ciphers = { "TLS_RSA_WITH_AES_128_CBC_SHA" }, sni = "x.test", alpn = { "h2" } })
local ctype, ver, body = string.unpack(">BI2s2", rec)
emit("hello", ctype .. "/" .. ver .. "/" .. (#body == #rec - 5 and "ok" or "bad") .. "/" .. body:byte(1))
print(table.concat(out, "\n"))
"""


@pytest.mark.skipif(LUA is None, reason="no lua5.4/lua5.3 binary")
def test_pure_lua_libraries(tmp_path):
    """hashes, base64, dns, asn1der, sslcert, ssh2, tls checked without a network."""
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    p = run(["openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-days", "30", "-keyout", str(key),
             "-out", str(cert), "-subj", "/CN=unit.test/O=nmaps unit/C=ZZ",
             "-addext", "subjectAltName=DNS:unit.test,IP:192.0.2.7,IP:2001:db8::7"])
    if p.returncode != 0:
        pytest.skip("openssl cannot make a test certificate")
    keys = []
    for t, extra in (("rsa", ["-b", "2048"]), ("ecdsa", ["-b", "384"]), ("ed25519", [])):
        kf = tmp_path / f"id_{t}"
        assert run(["ssh-keygen", "-q", "-t", t, *extra, "-N", "", "-f", str(kf)]).returncode == 0
        keys.append(str(kf) + ".pub")
    prog = (f"NSELIB = {json.dumps(os.path.join(REPO, 'nselib'))}\nCERT = {json.dumps(str(cert))}\n"
            f"KEYS = {{{', '.join(json.dumps(k) for k in keys)}}}\n" + LUA_STUBS + LUA_TESTS)
    r = subprocess.run([LUA, "-"], input=prog, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    got = dict(line.split("=", 1) for line in r.stdout.splitlines())
    for i, s in enumerate([b"", b"abc", b"a" * 55, b"b" * 56, b"xyz" * 1000], 1):
        assert got[f"md5_{i}"] == hashlib.md5(s).hexdigest()
        assert got[f"sha1_{i}"] == hashlib.sha1(s).hexdigest()
        assert got[f"sha256_{i}"] == hashlib.sha256(s).hexdigest()
        assert got[f"b64_{i}"] == base64.b64encode(s[:20]).decode()
    import hmac
    assert got["hmac"] == hmac.new(b"key", b"The quick brown fox jumps over the lazy dog", hashlib.sha256).hexdigest()
    assert got["rev4"] == "10.0.18.198.in-addr.arpa"
    assert got["rev6"] == "0.1.0.0." + "0." * 20 + "8.1.0.0.0.0.d.f.ip6.arpa"
    assert got["q"] == "www.lab.test/1/true"
    assert got["cname"] == "web.lab.test" and got["a"] == "web.lab.test=198.18.0.10" and got["ra"] == "true"
    assert got["oid"] == "1.3.6.1.2.1.1.1.0" and got["int"] == "-129" and got["int2"] == "65537"
    assert got["cn"] == "unit.test" and got["o"] == "nmaps unit"
    assert got["san"] == "DNS:unit.test, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:7"
    assert got["bits"] == "3072" and got["ktype"] == "rsa" and got["sig"] == "sha256WithRSAEncryption"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", got["nb"])
    b64 = "".join(l for l in cert.read_text().splitlines() if not l.startswith("-----"))
    assert got["sha1c"] == hashlib.sha1(base64.b64decode(b64)).hexdigest()
    assert got["key_ssh-rsa"] == "2048" and got["key_ecdsa-sha2-nistp384"] == "384" and got["key_ssh-ed25519"] == "256"
    assert got["hello"] == "22/769/ok/1"


@needs_engine
@pytest.mark.parametrize("name,case", list(cases()))
def test_script(lab, datadir, name, case):
    argv = command(name, case, datadir)
    p = run([LAB, "--name", lab, "exec", *argv], timeout=case.get("timeout", 180))
    assert p.returncode == 0, f"{' '.join(argv)} exited {p.returncode}:\n{p.stderr}"
    root = ET.fromstring(p.stdout)
    el = find_script(root, name, case)
    where = case.get("port", case["where"])
    if case.get("absent"):
        assert el is None, f"{name} should give no output on {case['target']} {where}, gave {el.get('output')!r}"
        return
    assert el is not None, f"no {name} output for {case['target']} {where}:\n{p.stdout[-3000:]}"
    out = el.get("output") or ""
    if "output" in case:
        assert out == case["output"], out
    for s in case.get("contains", []):
        assert s in out, f"{s!r} not in {name} output:\n{out}"
    for r in case.get("regex", []):
        assert re.search(r, out), f"/{r}/ does not match {name} output:\n{out}"
    paths = list(elem_paths(el))
    for path, rx in case.get("elems", {}).items():
        values = [t for pth, t in paths if pth == path]
        assert any(re.fullmatch(rx, v) for v in values), \
            f"{name}: no elem {path} matching /{rx}/; {path} = {values!r}; paths: {sorted(set(p for p, _ in paths))}"
    if case.get("hostnames_equal_scenario"):
        got = {t for pth, t in paths if pth.endswith("/hostname")}
        assert got == brute_expected(), f"dns-brute names differ: extra {got - brute_expected()}, missing {brute_expected() - got}"
    for f in case.get("ssh_fingerprints_of", []):
        fp = pub_md5(os.path.join("/tmp", lab, f))
        assert fp in out, f"fingerprint {fp} of {f} not in ssh-hostkey output:\n{out}"
    if case.get("cert_fingerprints_of"):
        md5, sha1 = cert_digests(os.path.join("/tmp", lab, case["cert_fingerprints_of"]))
        assert f"MD5:   {md5}" in out and f"SHA-1: {sha1}" in out, out


if __name__ == "__main__" and sys.argv[1:] == ["--regen-wordlists"]:
    with open(os.path.join(REPO, "nselib", "wordlists.lua"), "w") as fh:
        fh.write(render_wordlists())
