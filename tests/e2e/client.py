#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Traffic generator for the e2e tests (stdlib only). Subcommands:

  burst  N fresh TCP connections, one HTTP/1.0 request each; prints JSON
         {"total","errors","versions","pods","pod_version","error_samples"}.
  hold   COUNT keep-alive connections; prints burst's JSON for their first
         answers, with "first_pods": {source port: pod}, then reads
         "check"/"quit" lines on stdin; "check" sends one request on each
         and prints {"total","same","moved","failed",
         "reset"}: how many still answer from their first pod.
  udp    N datagrams, each from a fresh socket; same JSON as burst, and a
         reply whose source is not VIP:PORT counts as an error.
  stream numbered datagrams at --rate per second for --seconds (or until
         the file --until names exists) over
         --flows sockets (flow i from port S+i); waits --timeout for the
         last echoes and prints {"sent","received","lost","bad_source",
         "flows_moved","pods"}: flows_moved counts flows answered by more
         than one pod.

--sport S binds connection i to source port S+i, so every connection of a
run has its own 5-tuple (the data plane pins known 5-tuples to their pod,
so a reused tuple would skew a share measured after a weight change).
Every socket operation has a timeout, and burst/udp stop at --deadline.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import select
import socket
import sys
import time

REQ_CLOSE = b"GET / HTTP/1.0\r\nHost: canary\r\nConnection: close\r\n\r\n"
REQ_KEEP = b"GET / HTTP/1.1\r\nHost: canary\r\n\r\n"


class Tally:
    def __init__(self):
        self.total = self.errors = 0
        self.versions = collections.Counter()
        self.pods = collections.Counter()
        self.pod_version = {}
        self.samples = collections.Counter()

    def ok(self, body):
        version, pod = parse_body(body)
        self.total += 1
        self.versions[version] += 1
        self.pods[pod] += 1
        self.pod_version[pod] = version

    def err(self, why):
        self.total += 1
        self.errors += 1
        self.samples[why] += 1

    def dump(self):
        return json.dumps({"total": self.total, "errors": self.errors,
                           "versions": dict(sorted(self.versions.items())),
                           "pods": dict(sorted(self.pods.items())),
                           "pod_version": self.pod_version,
                           "error_samples": dict(self.samples.most_common(5))})


def parse_body(body):
    words = body.decode(errors="replace").split()
    if len(words) != 2:
        raise ValueError("unexpected body %r" % body[:60])
    return words[0], words[1]


def family(vip):
    """The address family of @vip (an IPv6 address has a colon)."""
    return socket.AF_INET6 if ":" in vip else socket.AF_INET


def any_addr(vip):
    """The wildcard address of @vip's family, to bind a source port."""
    return "::" if ":" in vip else "0.0.0.0"


def tcp_socket(vip, port, sport, timeout):
    s = socket.socket(family(vip), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if sport:
            # a port of ours may still be in TIME_WAIT from an earlier run
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((any_addr(vip), sport))
        s.connect((vip, port))
        if s.getpeername()[:2] != (vip, port):
            raise ValueError("peer is %s:%d" % s.getpeername()[:2])
    except BaseException:
        s.close()
        raise
    return s


def read_response(f):
    """Reads one HTTP response from file @f; returns its body."""
    status = f.readline()
    if not status:
        raise ConnectionError("connection closed")
    if not status.startswith(b"HTTP/1.") or b" 200 " not in status:
        raise ValueError("bad status %r" % status[:60])
    length = None
    while True:
        line = f.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return f.read(length) if length is not None else f.read()


def one_burst_conn(args, i):
    sport = args.sport + i if args.sport else 0
    try:
        with tcp_socket(args.vip, args.port, sport, args.timeout) as s:
            s.sendall(REQ_CLOSE)
            with s.makefile("rb") as f:
                return read_response(f), None
    except Exception as e:  # every failure is tallied, none is fatal
        return None, type(e).__name__ + ": " + str(e)[:80]


def cmd_burst(args):
    t = Tally()
    end = time.monotonic() + args.deadline
    with concurrent.futures.ThreadPoolExecutor(args.parallel) as ex:
        futs = [ex.submit(one_burst_conn, args, i) for i in range(args.n)]
        for fut in futs:
            left = end - time.monotonic()
            try:
                body, why = fut.result(timeout=max(left, 0.01))
            except concurrent.futures.TimeoutError:
                fut.cancel()
                body, why = None, "overall deadline"
            record(t, body, why)
    print(t.dump())


def record(t, body, why):
    if why is None:
        try:
            t.ok(body)
            return
        except ValueError as e:
            why = str(e)
    t.err(why)


def cmd_udp(args):
    t = Tally()
    end = time.monotonic() + args.deadline
    for i in range(args.n):
        if time.monotonic() > end:
            t.err("overall deadline")
            continue
        record(t, *one_datagram(args, i))
    print(t.dump())


def one_datagram(args, i):
    with socket.socket(family(args.vip), socket.SOCK_DGRAM) as s:
        s.settimeout(args.timeout)
        try:
            s.bind((any_addr(args.vip), args.sport + i if args.sport else 0))
            s.sendto(b"hello\n", (args.vip, args.port))
            data, addr = s.recvfrom(2048)
        except OSError as e:
            return None, type(e).__name__ + ": " + str(e)[:80]
        if addr[:2] != (args.vip, args.port):
            return None, "reply from %s:%d" % addr[:2]
        return data, None


class Stream:
    """The sockets of cmd_stream and what came back on them."""

    def __init__(self, args):
        self.socks, self.pods = [], []
        for i in range(args.flows):
            s = socket.socket(family(args.vip), socket.SOCK_DGRAM)
            s.bind((any_addr(args.vip), args.sport + i if args.sport else 0))
            s.setblocking(False)
            self.socks.append(s)
            self.pods.append(set())
        self.dst = (args.vip, args.port)
        self.res = {"sent": 0, "received": 0, "bad_source": 0,
                    "send_errors": 0}

    def drain(self, wait):
        """Reads every echo that arrives within @wait seconds."""
        ready, _, _ = select.select(self.socks, [], [], max(wait, 0))
        for i, s in enumerate(self.socks):
            if s not in ready:
                continue
            while True:
                try:
                    data, addr = s.recvfrom(2048)
                except BlockingIOError:
                    break
                self.res["received"] += 1
                if addr[:2] != self.dst:
                    self.res["bad_source"] += 1
                self.pods[i].add(parse_body(data)[1])

    def send(self, seq):
        try:
            self.socks[seq % len(self.socks)].sendto(b"seq %d\n" % seq,
                                                     self.dst)
            self.res["sent"] += 1
        except OSError:
            self.res["send_errors"] += 1


def cmd_stream(args):
    st = Stream(args)
    start = time.monotonic()
    for seq in range(int(args.rate * args.seconds)):
        if args.until and seq % 100 == 0 and os.path.exists(args.until):
            break
        due = start + seq / args.rate
        while time.monotonic() < due:
            st.drain(due - time.monotonic())
        st.send(seq)
    end = time.monotonic() + args.timeout
    while st.res["received"] < st.res["sent"] and time.monotonic() < end:
        st.drain(end - time.monotonic())
    res = st.res
    res["lost"] = res["sent"] - res["received"]
    res["flows_moved"] = sum(len(p) > 1 for p in st.pods)
    res["pods"] = dict(collections.Counter(p for ps in st.pods for p in ps))
    for s in st.socks:
        s.close()
    print(json.dumps(res))


def hold_request(conn):
    """One keep-alive request on @conn = (socket, file); returns the body."""
    sock, f = conn
    sock.sendall(REQ_KEEP)
    return read_response(f)


def cmd_hold(args):
    """Prints the opening tally (burst's JSON), then serves stdin."""
    conns, first, ports, t = [], [], [], Tally()
    for i in range(args.count):
        sport = args.sport + i if args.sport else 0
        try:
            s = tcp_socket(args.vip, args.port, sport, args.timeout)
        except Exception as e:
            t.err(type(e).__name__ + ": " + str(e)[:60])
            continue
        conn = (s, s.makefile("rb"))
        try:
            body = hold_request(conn)
            t.ok(body)
        except Exception as e:
            t.err(type(e).__name__ + ": " + str(e)[:60])
            conn[1].close()
            s.close()
            continue
        conns.append(conn)
        first.append(parse_body(body)[1])
        ports.append(s.getsockname()[1])
    opening = json.loads(t.dump())
    opening["first_pods"] = {str(p): pod for p, pod in zip(ports, first)}
    print(json.dumps(opening), flush=True)
    for line in sys.stdin:
        if line.strip() == "check":
            emit(hold_check(conns, first))
        elif line.strip() == "quit":
            break
    for s, f in conns:
        f.close()
        s.close()


def hold_check(conns, first):
    res = {"total": len(conns), "same": 0, "moved": 0, "failed": 0,
           "reset": 0, "error_samples": {}}
    for conn, pod in zip(conns, first):
        try:
            now = parse_body(hold_request(conn))[1]
            res["same" if now == pod else "moved"] += 1
        except ConnectionResetError:
            res["reset"] += 1
        except Exception as e:
            res["failed"] += 1
            res["error_samples"][type(e).__name__] = str(e)[:80]
    return res


def emit(obj):
    print(json.dumps(obj), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, fn in (("burst", cmd_burst), ("hold", cmd_hold),
                     ("udp", cmd_udp), ("stream", cmd_stream)):
        p = sub.add_parser(name)
        p.set_defaults(fn=fn)
        p.add_argument("--vip", default="10.96.0.10")
        p.add_argument("--port", type=int, default=5000)
        p.add_argument("--sport", type=int, default=0,
                       help="first source port (default: kernel picks)")
        p.add_argument("--timeout", type=float, default=2.0,
                       help="per-operation timeout, seconds")
        if name == "hold":
            p.add_argument("--count", type=int, default=100)
        elif name == "stream":
            p.add_argument("--rate", type=float, default=2000,
                           help="datagrams per second")
            p.add_argument("--seconds", type=float, default=5)
            p.add_argument("--until", default="",
                           help="stop sending once this file exists "
                                "(--seconds still bounds it)")
            p.add_argument("--flows", type=int, default=8)
        else:
            p.add_argument("-n", type=int, default=1000)
            p.add_argument("--deadline", type=float, default=120.0,
                           help="overall time limit, seconds")
        if name == "burst":
            p.add_argument("--parallel", type=int, default=16)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
