#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A stand-in for one pod of the seed's hello app (stdlib only).

Serves HTTP/1.1 (keep-alive, Content-Length) on [::]:HTTP_PORT and
echoes on UDP [::]:UDP_PORT, IPv4 and IPv6 alike (dual-stack sockets); both answer "VERSION POD\\n". Once both
sockets are bound it writes READY_FILE, so the harness need not race the
bind. Exits cleanly on SIGTERM or SIGINT.
"""
import argparse
import http.server
import os
import signal
import socket
import sys
import threading


def make_handler(body):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive unless asked to close

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            pass

    return Handler


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 overflows under a parallel burst: dropped
    # SYNs come back as client timeouts that look like data-plane loss.
    request_queue_size = 256
    # One socket for both families: an IPv6 listener on [::] also takes
    # IPv4 (as ::ffff:a.b.c.d) unless IPV6_V6ONLY is set.
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def udp_echo(sock, body):
    while True:
        try:
            _, addr = sock.recvfrom(2048)
            sock.sendto(body, addr)
        except OSError:
            return


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("version", help="version label, e.g. v1")
    ap.add_argument("pod", help="pod name, e.g. hello-v1-0")
    ap.add_argument("--http-port", type=int, default=5050)
    ap.add_argument("--udp-port", type=int, default=5053)
    ap.add_argument("--ready-file", help="written once both sockets listen")
    args = ap.parse_args()
    body = ("%s %s\n" % (args.version, args.pod)).encode()

    srv = Server(("::", args.http_port), make_handler(body))
    udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    udp.bind(("::", args.udp_port))
    threading.Thread(target=udp_echo, args=(udp, body), daemon=True).start()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, args.ready_file)
    try:
        srv.serve_forever()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        srv.server_close()
        udp.close()


if __name__ == "__main__":
    main()
