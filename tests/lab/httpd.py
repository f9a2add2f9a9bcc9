#!/usr/bin/env python3
"""Minimal dual-stack static HTTP server for lab hosts (port 80).

Like `python3 -m http.server`, but binds without the reverse DNS lookup that
http.server does at start-up (socket.getfqdn), so it is ready at once.
usage: httpd.py PORT DIRECTORY SERVER-NAME
"""
import functools
import http.server
import socket
import socketserver
import sys


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    request_queue_size = 128

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        socketserver.TCPServer.server_bind(self)
        self.server_name = sys.argv[3]
        self.server_port = self.server_address[1]


class Handler(http.server.SimpleHTTPRequestHandler):
    timeout = 30

    def log_message(self, fmt, *args):
        pass


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    Server(("::", port), functools.partial(Handler, directory=directory)).serve_forever()


if __name__ == "__main__":
    main()
