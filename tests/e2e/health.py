#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Helpers of tests/e2e/test_health.sh (stdlib only). Subcommands:

  conns  N fresh TCP connections, one HTTP/1.0 request each, spread
         round-robin over --target VIP:PORT or [VIP6]:PORT (repeatable), --parallel at a
         time (1: strictly in order); connection i binds port --sport + i.
         Prints JSON {"total","ok","refused","reset","timeout","other",
         "by_target": {target: {...}}, "order": [(i, target, result)]}.
  stuck  listens on --port with a backlog of 1 and accepts one connection
         every --every seconds (closing it at once): once the accept queue
         is full the kernel drops SYNs, and clients wait for their
         retransmission: slow handshakes without netem.
  top    runs --cmd in a pseudo-terminal, reads its frames until --frames
         headers went by (and --want, if given, appeared), sends --key
         ("q", or "C" for Ctrl-C), and waits --timeout seconds for the
         end. Prints JSON {"rc","frames","saw_want","restored",
         "left_screen","output_tail"}: restored is whether the terminal
         is back in canonical mode with echo.
"""
import argparse
import concurrent.futures
import errno
import json
import os
import pty
import select
import signal
import socket
import sys
import termios
import time

REQ = b"GET / HTTP/1.0\r\nHost: canary\r\n\r\n"


def one_conn(target, sport, timeout):
    host, port = target.rsplit(":", 1)
    six = host.startswith("[")
    host = host.strip("[]")
    s = socket.socket(socket.AF_INET6 if six else socket.AF_INET,
                      socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(timeout)
    try:
        s.bind(("::" if six else "0.0.0.0", sport))
        s.connect((host, int(port)))
        s.sendall(REQ)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return "ok" if b" 200 " in data.split(b"\r\n", 1)[0] else "other"
    except ConnectionRefusedError:
        return "refused"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "refused" if e.errno == errno.ECONNREFUSED else "other"
    finally:
        s.close()


def cmd_conns(a):
    keys = ("ok", "refused", "reset", "timeout", "other")
    total = {k: 0 for k in keys}
    by = {t: {k: 0 for k in keys} for t in a.target}
    order = []
    deadline = time.monotonic() + a.deadline
    jobs = [(i, a.target[i % len(a.target)]) for i in range(a.n)]
    with concurrent.futures.ThreadPoolExecutor(a.parallel) as ex:
        futs = []
        for i, t in jobs:
            if time.monotonic() > deadline:
                break
            futs.append((i, t, ex.submit(one_conn, t, a.sport + i, a.timeout)))
            if a.parallel == 1:
                futs[-1][2].result()
        for i, t, f in futs:
            r = f.result()
            total[r] += 1
            by[t][r] += 1
            order.append((i, t, r))
    out = dict(total)
    out["total"] = len(order)
    out["by_target"] = by
    out["order"] = order
    print(json.dumps(out))


def cmd_stuck(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", a.port))
    s.listen(1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    open(a.ready_file, "w").close()
    while True:
        time.sleep(a.every)
        c, _ = s.accept()
        c.close()


def cmd_top(a):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm"
        os.execvp(a.cmd[0], a.cmd)
    out = b""
    end = time.monotonic() + a.timeout
    sent = False
    rc = None
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            out += chunk
        text = out.decode(errors="replace")
        if (not sent and text.count("CONN/S") >= a.frames and
                (not a.want or a.want in text)):
            os.write(fd, b"\x03" if a.key == "C" else a.key.encode())
            sent = True
            end = time.monotonic() + a.timeout
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            rc = os.waitstatus_to_exitcode(status)
            break
    while rc is None and time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            rc = os.waitstatus_to_exitcode(status)
        else:
            time.sleep(0.05)
    # What the child wrote last (leaving the screen) may still be queued.
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    attrs = termios.tcgetattr(fd)
    restored = bool(attrs[3] & termios.ICANON) and bool(attrs[3] & termios.ECHO)
    if rc is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    text = out.decode(errors="replace")
    print(json.dumps({"rc": rc, "sent": sent, "frames": text.count("CONN/S"),
                      "saw_want": bool(a.want) and a.want in text,
                      "restored": restored,
                      "left_screen": "\x1b[?1049l" in text,
                      "output_tail": text[-3000:]}))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd_name", required=True)
    c = sub.add_parser("conns")
    c.add_argument("--target", action="append", required=True)
    c.add_argument("-n", type=int, required=True)
    c.add_argument("--sport", type=int, required=True)
    c.add_argument("--parallel", type=int, default=1)
    c.add_argument("--timeout", type=float, default=3)
    c.add_argument("--deadline", type=float, default=120)
    s = sub.add_parser("stuck")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--every", type=float, default=0.5)
    s.add_argument("--ready-file", required=True)
    t = sub.add_parser("top")
    t.add_argument("--frames", type=int, default=3)
    t.add_argument("--want", default="")
    t.add_argument("--key", default="q")
    t.add_argument("--timeout", type=float, default=20)
    t.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.cmd_name == "top" and a.cmd and a.cmd[0] == "--":
        a.cmd = a.cmd[1:]
    {"conns": cmd_conns, "stuck": cmd_stuck, "top": cmd_top}[a.cmd_name](a)


if __name__ == "__main__":
    main()
