#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Checks and renders client.py / `canary-bpf -j status` JSON (stdlib only).

  share  --expect v1=75 --expect v2=25 --tol 2 [--n N] < burst.json
         exit 0 when errors == 0, total == N and every version's share is
         within TOL points of its weight; else prints one reason line, exit 1.
  none   --n N < burst.json       all N connections failed.
  held   --n 100 < check.json     all N answer from their first pod.
  table  --expect v1=75 ...       readable per-version / per-pod table.
  norm   < status.json            the config part of a status (no counters).
  status --svc NAME --expect v1=75 ... [--iface n0 [--mode M]] [--traffic]
         keys, weights, attached interface, packets on weighted versions.
"""
import argparse
import json
import sys

COUNTERS = ("packets", "bytes", "flows")


def expected(pairs):
    out = {}
    for p in pairs or []:
        name, _, pct = p.partition("=")
        out[name] = float(pct)
    return out


def shares(res):
    total = res["total"] - res["errors"]
    return {v: 100.0 * n / total if total else 0.0
            for v, n in res["versions"].items()}


def cmd_share(args, res):
    if args.n is not None and res["total"] != args.n:
        return "total %d != %d" % (res["total"], args.n)
    if res["errors"] > args.max_errors:
        return "%d errors (%s)" % (res["errors"], res["error_samples"])
    got = shares(res)
    exp = expected(args.expect)
    bad = [v for v in set(got) | set(exp)
           if abs(got.get(v, 0.0) - exp.get(v, 0.0)) > args.tol]
    summary = ", ".join("%s %.1f%% (want %g)" % (v, got.get(v, 0.0),
                                                 exp.get(v, 0.0))
                        for v in sorted(set(got) | set(exp)))
    if bad:
        return "share off by more than %g pts: %s" % (args.tol, summary)
    hit = [p for p in args.absent_pod or [] if res["pods"].get(p)]
    if hit:
        return "pods that must get no connection got some: %s" % ", ".join(
            "%s %d" % (p, res["pods"][p]) for p in hit)
    print(summary)
    return None


def cmd_none(args, res):
    if res["total"] != args.n or res["errors"] != res["total"]:
        return "%d of %d connections succeeded" % (
            res["total"] - res["errors"], args.n)
    return None


def cmd_held(args, res):
    if res.get("same") != args.n:
        return "only %s of %d kept their pod: %s" % (res.get("same"), args.n,
                                                      json.dumps(res))
    print("%d of %d kept their pod" % (res["same"], args.n))
    return None


def cmd_table(args, res):
    got, exp = shares(res), expected(args.expect)
    ok = res["total"] - res["errors"]
    print("  %-8s %7s %9s   %-12s %7s" % ("version", "target", "measured",
                                          "pod", "share"))
    for v in sorted(set(got) | set(exp)):
        pods = sorted(p for p, pv in res["pod_version"].items() if pv == v)
        head = "  %-8s %6g%% %8.1f%%" % (v, exp.get(v, 0), got.get(v, 0.0))
        if not pods:
            print(head)
        for i, p in enumerate(pods):
            print("%s   %-12s %6.1f%%" % (head if i == 0 else " " * len(head),
                                         p, 100.0 * res["pods"][p] / ok))
    print("  %d connections, %d errors" % (res["total"], res["errors"]))
    for why, n in res.get("error_samples", {}).items():
        print("    %dx %s" % (n, why))
    return None


def config_of(status):
    svcs = []
    for s in status.get("services", []):
        s = {k: v for k, v in s.items() if k not in COUNTERS}
        s["versions"] = [{k: v for k, v in ver.items() if k not in COUNTERS}
                         for ver in s.get("versions", [])]
        svcs.append(s)
    return {"services": sorted(svcs, key=lambda s: s.get("name", "")),
            "interfaces": status.get("interfaces")}


def cmd_norm(args, status):
    print(json.dumps(config_of(status), sort_keys=True, indent=1))
    return None


def cmd_status(args, st):
    svc = [s for s in st.get("services", []) if s.get("name") == args.svc]
    if len(svc) != 1:
        return "service %s not in status" % args.svc
    svc = svc[0]
    miss = [k for k in ("name", "vip", "port", "protocol", "versions")
            if k not in svc]
    for ver in svc.get("versions", []):
        miss += ["versions[].%s" % k for k in ("name", "weight", "endpoints")
                 + COUNTERS if k not in ver]
    if miss:
        return "missing keys: %s" % ", ".join(sorted(set(miss)))
    weights = {v["name"]: float(v["weight"]) for v in svc["versions"]}
    if weights != expected(args.expect):
        return "weights %s, want %s" % (weights, expected(args.expect))
    idle = [v["name"] for v in svc["versions"]
            if args.traffic and float(v["weight"]) > 0 and not v["packets"]]
    if idle:
        return "no packets counted for %s" % ", ".join(idle)
    ifaces = {i.get("name"): i.get("mode") for i in st.get("interfaces", [])}
    if args.iface and args.iface not in ifaces:
        return "interface %s not in %s" % (args.iface, ifaces)
    if args.mode and ifaces[args.iface] != args.mode:
        return "interface %s mode %s, want %s" % (args.iface,
                                                  ifaces[args.iface], args.mode)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("cmd", choices=("share", "none", "held", "table",
                                    "norm", "status"))
    ap.add_argument("--expect", action="append", metavar="VERSION=PCT")
    ap.add_argument("--tol", type=float, default=2.0)
    ap.add_argument("--max-errors", type=int, default=0)
    ap.add_argument("--n", type=int)
    ap.add_argument("--svc")
    ap.add_argument("--iface")
    ap.add_argument("--mode", help="status: the --iface's attach mode")
    ap.add_argument("--traffic", action="store_true",
                    help="status: weighted versions must have packets")
    ap.add_argument("--json", help="read this file instead of stdin")
    ap.add_argument("--absent-pod", action="append", metavar="POD",
                    help="share: POD must have got no connection")
    args = ap.parse_args()
    try:
        with open(args.json) if args.json else sys.stdin as f:
            doc = json.load(f)
    except ValueError as e:
        print("bad JSON on stdin: %s" % e)
        return 1
    try:
        why = globals()["cmd_" + args.cmd](args, doc)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        why = "unexpected JSON (%s: %s)" % (type(e).__name__, e)
    if why:
        print(why)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
