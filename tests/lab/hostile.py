#!/usr/bin/env python3
"""Hostile services for robustness tests (runs in the lab's 'hostile' namespace).

Ports (TCP, IPv4 and IPv6):
  21    endless banner: "220-" lines forever (bounded per connection)
  23    binary garbage + terminal escape sequences + XML-breaking characters
        (< > & " ' ]]> -- NUL, invalid UTF-8), repeated on every input
  79    drips a banner one byte per second
  443   broken TLS: reads the ClientHello, answers with garbage records
  8080  accepts and never answers

Bounded: only peers from the lab ranges are served, at most MAX_CONN
connections per port, each connection ends after a time / byte budget.
"""
import asyncio
import ipaddress
import os
import sys

LAB_NETS = [ipaddress.ip_network(n) for n in ("198.18.0.0/15", "fd00:18::/32", "fd00:19::/32")]
MAX_CONN = 32
LIFETIME = 120.0          # seconds per connection
ENDLESS_BYTES = 8 << 20   # per connection

GARBAGE = (
    b"\x00\x01\x02\xff\xfe\xfd garbage \x1b[2J\x1b[H\x1b[31;1mRED\x1b[0m \x1b]0;pwned title\x07"
    b" <xml attr=\"x\"> & &amp; ' \" ]]> <!-- -- --> <![CDATA[ x ]]> \x00NUL\x00"
    b" \xc3\x28 \xa0\xa1 \xe2\x28\xa1 \xf0\x28\x8c\xbc \xed\xa0\x80 \xc0\xaf \x7f\x08\x08\x08"
    b"\r\n\x1bP+q\x1b\\\x9b6n\x1b[6n\x05\x07\x0b\x0c\r\n"
)


def allowed(writer):
    peer = writer.get_extra_info("peername")
    if not peer:
        return False
    try:
        a = ipaddress.ip_address(peer[0].split("%")[0])
    except ValueError:
        return False
    if a.version == 6 and a.ipv4_mapped:
        a = a.ipv4_mapped
    return any(a in n for n in LAB_NETS)


class Limited:
    def __init__(self, fn):
        self.fn = fn
        self.active = 0

    async def __call__(self, reader, writer):
        if self.active >= MAX_CONN or not allowed(writer):
            writer.close()
            return
        self.active += 1
        try:
            await asyncio.wait_for(self.fn(reader, writer), LIFETIME)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass
        finally:
            self.active -= 1
            try:
                writer.close()
            except Exception:
                pass


async def endless(reader, writer):
    sent = 0
    n = 0
    while sent < ENDLESS_BYTES:
        line = b"220-Welcome to the endless banner line %d %s\r\n" % (n, b"x" * 60)
        writer.write(line * 64)
        sent += len(line) * 64
        n += 1
        await writer.drain()
        await asyncio.sleep(0.01)


async def garbage(reader, writer):
    writer.write(GARBAGE)
    await writer.drain()
    while True:
        data = await reader.read(4096)
        if not data:
            return
        writer.write(GARBAGE + os.urandom(64))
        await writer.drain()


async def drip(reader, writer):
    banner = b"SSH-2.0-OpenSSH_8.9 drip drip drip\r\n" * 8
    for i in range(len(banner)):
        writer.write(banner[i:i + 1])
        await writer.drain()
        await asyncio.sleep(1.0)


async def broken_tls(reader, writer):
    hello = await reader.read(16384)
    if not hello:
        return
    # a handshake record header announcing a ServerHello, then garbage
    writer.write(b"\x16\x03\x03\x00\x40\x02\x00\x00\x3c\x03\x03" + os.urandom(40) + GARBAGE)
    await writer.drain()
    writer.write(b"\x15\x03\x03\xff\xff" + os.urandom(200))
    await writer.drain()
    await asyncio.sleep(2)


async def silent(reader, writer):
    while True:
        data = await reader.read(4096)
        if not data:
            return


SERVICES = {21: endless, 23: garbage, 79: drip, 443: broken_tls, 8080: silent}


async def main():
    servers = []
    for port, fn in SERVICES.items():
        servers.append(await asyncio.start_server(Limited(fn), host=None, port=port, reuse_address=True))
    print("hostile: listening on", sorted(SERVICES), flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
