#!/usr/bin/env python3
"""Regenerate nmaps's MAC vendor table from the IEEE registry.

Usage: tools/gen-mac-prefixes.py [IEEE_DATA_DIR]   (default: /usr/share/ieee-data)

The source is the IEEE Registration Authority's public listings as packaged
by Debian (`apt install ieee-data`): oui.csv (MA-L, 24-bit prefixes),
mam.csv (MA-M, 28-bit), oui36.csv (MA-S, 36-bit) and iab.csv (the older
36-bit Individual Address Blocks, the predecessor of MA-S). Nothing else is
read.

Writes data/mac-prefixes.txt next to this script's parent directory, one
`HEXPREFIX Vendor` line per assignment (6, 7 or 9 upper-case hex digits, the
layout of Nmap's nmap-mac-prefixes), sorted by prefix, after a short header.
The output depends only on the input files, so rerunning on the same
ieee-data version gives the same bytes.

Organisation names are tidied by fixed rules (see `tidy`):
  * Unicode compatibility forms are folded (full-width comma, no-break
    space, ...), accents dropped and a few letters and quotes transliterated,
    so the table is plain ASCII; characters with no ASCII form are dropped;
  * control and zero-width characters removed, white space collapsed;
  * trailing legal-form words (Inc, Corp, Co, Ltd, LLC, GmbH, AG, S.A., ...)
    and trailing punctuation removed, keeping at least one word.
Where the registry lists a prefix twice, the first entry in file order wins.
"""

import csv
import datetime
import os
import re
import sys
import unicodedata

# (file, registry label, prefix length in hex digits)
SOURCES = (
    ("oui.csv", "MA-L", 6),
    ("mam.csv", "MA-M", 7),
    ("oui36.csv", "MA-S", 9),
    ("iab.csv", "IAB", 9),
)

# Letters and signs that NFKD does not reduce to ASCII.
TRANSLIT = {
    "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
    "ı": "i", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D",
    "µ": "u", "μ": "u",
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"',
    "«": '"', "»": '"', "–": "-", "—": "-", "‐": "-", "‑": "-",
    "®": "", "™": "", "©": "",
}
# Russian/Ukrainian Cyrillic, simple letter-by-letter romanisation.
CYRILLIC = dict(zip(
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯІЇЄабвгдеёжзийклмнопрстуфхцчшщъыьэюяіїє",
    ["A", "B", "V", "G", "D", "E", "E", "Zh", "Z", "I", "Y", "K", "L", "M",
     "N", "O", "P", "R", "S", "T", "U", "F", "Kh", "Ts", "Ch", "Sh", "Shch",
     "", "Y", "", "E", "Yu", "Ya", "I", "Yi", "Ye",
     "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m",
     "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch",
     "", "y", "", "e", "yu", "ya", "i", "yi", "ye"],
))

# Legal-form words removed from the end of a name, compared case-insensitively
# with dots and slashes removed ("S.A." -> "sa", "A/S" -> "as").
LEGAL_FORMS = {
    "inc", "incorporated", "corp", "corporation", "co", "company", "cos",
    "ltd", "coltd", "ltda", "limited", "llc", "llp", "lp", "plc", "pllc",
    "gmbh", "mbh", "ag", "kg", "ohg", "ug", "se", "ev",
    "sa", "sas", "sasu", "sarl", "sl", "slu", "sau", "srl", "spa", "sro",
    "bv", "nv", "ab", "oy", "oyj", "as", "asa", "aps",
    "pty", "pte", "pvt", "bhd", "sdn", "kk", "jsc", "ooo",
}
TRAILING_PUNCT = " .,;:&-/"


def to_ascii(text):
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            continue
        if ch in TRANSLIT:
            out.append(TRANSLIT[ch])
        elif ch in CYRILLIC:
            out.append(CYRILLIC[ch])
        elif ch.isspace() or unicodedata.category(ch) == "Cc":
            out.append(" ")
        elif ord(ch) < 0x7F:
            out.append(ch)
        # Anything else (format characters, ideographs, ...) is dropped.
    return "".join(out)


def strip_legal_forms(name):
    while True:
        name = name.rstrip(TRAILING_PUNCT)
        m = re.match(r"^(.*?[\s,)])([^\s,)]+)$", name)
        if not m:
            return name
        head, last = m.groups()
        key = re.sub(r"[./]", "", last).lower()
        if key not in LEGAL_FORMS or not re.search(r"[A-Za-z0-9]", head):
            return name
        name = head.rstrip(" ,")


def tidy(raw):
    """The vendor name written for one IEEE organisation name."""
    name = to_ascii(raw)
    name = re.sub(r"\(\s*\)", " ", name)  # left empty by dropped characters
    name = " ".join(name.split())
    if name.startswith("(") and name.endswith(")") and name.count("(") == 1:
        name = name[1:-1].strip()
    tidied = strip_legal_forms(name)
    tidied = " ".join(tidied.split())
    return tidied if re.search(r"[A-Za-z0-9]", tidied) else None


def read_registry(path, label, digits):
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header or header[:3] != ["Registry", "Assignment", "Organization Name"]:
            sys.exit(f"{path}: unexpected header {header!r}")
        for row in reader:
            lineno = reader.line_num  # physical line; quoted fields may span lines
            if len(row) < 3:
                continue
            registry, prefix, org = row[0].strip(), row[1].strip().upper(), row[2]
            if registry != label:
                sys.exit(f"{path}:{lineno}: registry {registry!r}, expected {label}")
            if len(prefix) != digits or not re.fullmatch(r"[0-9A-F]+", prefix):
                sys.exit(f"{path}:{lineno}: bad assignment {prefix!r}")
            yield lineno, prefix, org


def data_date(src):
    """Date of the ieee-data snapshot (its .lastupdate stamp), else of oui.csv."""
    try:
        with open(os.path.join(src, ".lastupdate"), encoding="ascii") as fh:
            stamp = int(fh.read().strip())
    except (OSError, ValueError):
        stamp = int(os.stat(os.path.join(src, "oui.csv")).st_mtime)
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime("%Y-%m-%d")


HEADER = """\
# nmaps MAC address vendor table.
#
# Generated by tools/gen-mac-prefixes.py from the IEEE Registration Authority's
# public registry (MA-L, MA-M, MA-S and IAB assignments) as packaged in
# Debian's ieee-data, snapshot of {date}. Do not edit by hand.
#
# Each line: a prefix of 6, 7 or 9 upper-case hex digits (24-, 28- or 36-bit
# assignment), one space, the organisation's name (tidied: ASCII only,
# legal-form suffixes such as "Inc." or "Co., Ltd." removed). Sorted by
# prefix; the longest matching prefix names the vendor. Nmap's
# nmap-mac-prefixes uses the same layout.
"""


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/ieee-data"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    table = {}
    for filename, label, digits in SOURCES:
        path = os.path.join(src, filename)
        for lineno, prefix, org in read_registry(path, label, digits):
            if prefix in table:
                continue  # listed twice: the first entry wins
            vendor = tidy(org)
            if vendor is None:
                print(f"{path}:{lineno}: no usable name in {org!r}, skipped", file=sys.stderr)
                continue
            table[prefix] = vendor
    out_path = os.path.join(root, "data", "mac-prefixes.txt")
    with open(out_path, "w", encoding="ascii", newline="\n") as out:
        out.write(HEADER.format(date=data_date(src)))
        for prefix in sorted(table):
            out.write(f"{prefix} {table[prefix]}\n")
    print(f"{out_path}: {len(table)} prefixes", file=sys.stderr)


if __name__ == "__main__":
    main()
