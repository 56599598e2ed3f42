#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A fake Kubernetes API server for the agent tests (stdlib only).

  fakekube.py serve --port P [--cert C --key K] [--token T] [--state FILE]
                    [--split-version v1alpha4] [--gateway-api]
                    [--ready-file F]
  fakekube.py ctl URL VERB ARGS...     (see ctl() below)

serve speaks the real protocol for what the agent uses: paged lists
(limit/continue, fieldSelector=metadata.name=X) and watches (?watch=1: a
chunked stream of JSON events, one per line, BOOKMARK events when
allowWatchBookmarks is set, 410 Gone as an ERROR event for a compacted
resourceVersion) of core/v1 services and nodes, discovery.k8s.io/v1
endpointslices, split.smi-spec.io trafficsplits (only --split-version is
served; the others answer 404) and, with --gateway-api, the Gateway API's
gateways (v1), tcproutes and udproutes (v1alpha2; 404 without it, as
when the CRDs are not installed); GET and PATCH (merge patch, recorded)
of one trafficsplit; POST of core/v1 events (validated as the API server
does for involvedObject, recorded). Objects are shaped as in the
Kubernetes API reference, the SMI spec and the Gateway API reference.

Test control lives under /_ctl/ (no auth): apply or delete an object,
drop every watch connection, compact the event history (so watches from
an older resourceVersion get 410), switch the accepted bearer token
(the old one is refused from then on and open watches end, as when a
projected token expires), make event POSTs fail, read recorded PATCHes,
Events and counters. With --state the objects and resourceVersion
survive a restart; history does not, so watches resuming from before it
get 410 and relist.
"""
import argparse
import json
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GW = "gateway.networking.k8s.io"
KINDS = {
    "services": ("v1", "Service", "/api/v1/services"),
    "endpointslices": ("discovery.k8s.io/v1", "EndpointSlice",
                       "/apis/discovery.k8s.io/v1/endpointslices"),
    "trafficsplits": (None, "TrafficSplit", None),
    "gateways": (GW + "/v1", "Gateway", "/apis/" + GW + "/v1/gateways"),
    "tcproutes": (GW + "/v1alpha2", "TCPRoute",
                  "/apis/" + GW + "/v1alpha2/tcproutes"),
    "udproutes": (GW + "/v1alpha2", "UDPRoute",
                  "/apis/" + GW + "/v1alpha2/udproutes"),
    "nodes": ("v1", "Node", "/api/v1/nodes"),
}
KIND_OF = {v[1]: k for k, v in KINDS.items()}
GATEWAY_KINDS = ("gateways", "tcproutes", "udproutes")
CLUSTER_SCOPED = ("nodes",)
BOOKMARK_EVERY = 1.0


class Store:
    def __init__(self, state_file, split_version):
        self.lock = threading.Condition()
        self.objs = {k: {} for k in KINDS}
        self.events = []          # (rv, kind, type, obj)
        self.rv = 100
        self.compacted = 0
        self.drop_gen = 0
        self.patches = []
        self.events_posted = []
        self.events_fail = False
        self.counts = {"lists": 0, "watches": 0, "gone": 0,
                       "unauthorized": 0}
        self.state_file = state_file
        self.split_version = split_version
        self.load()

    def load(self):
        if not self.state_file:
            return
        try:
            with open(self.state_file) as f:
                st = json.load(f)
        except (OSError, ValueError):
            return
        self.rv = st["rv"]
        self.compacted = self.rv   # history is lost across a restart
        for kind, items in st["objs"].items():
            for o in items:
                m = o["metadata"]
                if kind == "trafficsplits":   # served as the new version
                    o["apiVersion"] = "split.smi-spec.io/" + self.split_version
                self.objs[kind][(m.get("namespace", ""), m["name"])] = o

    def save(self):
        if not self.state_file:
            return
        st = {"rv": self.rv,
              "objs": {k: list(v.values()) for k, v in self.objs.items()}}
        with open(self.state_file + ".tmp", "w") as f:
            json.dump(st, f)
        import os
        os.replace(self.state_file + ".tmp", self.state_file)

    def put(self, obj):
        kind = KIND_OF[obj["kind"]]
        m = obj.setdefault("metadata", {})
        if kind not in CLUSTER_SCOPED:
            m.setdefault("namespace", "default")
        key = (m.get("namespace", ""), m["name"])
        with self.lock:
            self.rv += 1
            old = self.objs[kind].get(key)
            m["resourceVersion"] = str(self.rv)
            m.setdefault("uid", "uid-%s-%s-%s" % (kind, key[0], key[1]))
            m.setdefault("creationTimestamp", "2025-01-01T00:00:00Z")
            if kind == "trafficsplits":
                obj["apiVersion"] = "split.smi-spec.io/" + self.split_version
            self.objs[kind][key] = obj
            self.events.append((self.rv, kind,
                                "MODIFIED" if old else "ADDED", obj))
            self.save()
            self.lock.notify_all()
        return obj

    def delete(self, kind, ns, name):
        with self.lock:
            obj = self.objs[kind].pop((ns, name), None)
            if obj is None:
                return None
            self.rv += 1
            obj = json.loads(json.dumps(obj))
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self.events.append((self.rv, kind, "DELETED", obj))
            self.save()
            self.lock.notify_all()
        return obj


def status(code, reason, msg):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": msg, "reason": reason,
            "code": code}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakekube/1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fakekube: " + fmt % args + "\n")

    @property
    def store(self):
        return self.server.store

    def send_json(self, code, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def authorized(self):
        tok = self.server.token
        if not tok or self.path.startswith("/_ctl/"):
            return True
        if self.headers.get("Authorization") == "Bearer " + tok:
            return True
        with self.store.lock:
            self.store.counts["unauthorized"] += 1
        self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
        return False

    def route(self):
        """(kind, namespace, name) for an API path, or None."""
        u = urllib.parse.urlparse(self.path)
        parts = [p for p in u.path.split("/") if p]
        ver = self.store.split_version
        for kind, (_, _, base) in KINDS.items():
            if kind == "trafficsplits":
                base = "/apis/split.smi-spec.io/" + ver + "/trafficsplits"
            if kind in GATEWAY_KINDS and not self.server.gateway_api:
                continue
            bparts = [p for p in base.split("/") if p]
            if parts == bparts:
                return kind, None, None
            if kind in CLUSTER_SCOPED:
                if parts[:-1] == bparts and len(parts) == len(bparts) + 1:
                    return kind, "", parts[-1]
                continue
            pre, res = bparts[:-1], bparts[-1]
            if (parts[:len(pre)] == pre and len(parts) in (len(pre) + 3,
                                                            len(pre) + 4) and
                    parts[len(pre)] == "namespaces" and
                    parts[len(pre) + 2] == res):
                name = parts[len(pre) + 3] if len(parts) == len(pre) + 4 else None
                return kind, parts[len(pre) + 1], name
        return None

    def do_GET(self):
        if self.path.startswith("/_ctl/"):
            return self.ctl_get()
        if not self.authorized():
            return
        r = self.route()
        if not r:
            return self.send_json(404, status(404, "NotFound", "not found"))
        kind, ns, name = r
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if name:
            obj = self.store.objs[kind].get((ns, name))
            if obj is None:
                return self.send_json(404, status(404, "NotFound",
                                                  "%s %s not found" % (kind, name)))
            return self.send_json(200, obj)
        if q.get("watch", ["0"])[0] in ("1", "true"):
            return self.watch(kind, q)
        return self.list(kind, q, ns)

    def list(self, kind, q, ns=None):
        limit = int(q.get("limit", ["0"])[0] or 0)
        start = int(q.get("continue", ["0"])[0] or 0)
        sel = field_selector(q)
        with self.store.lock:
            items = sorted((o for o in self.store.objs[kind].values()
                            if (ns is None or
                                o["metadata"].get("namespace", "") == ns) and
                            sel(o)),
                           key=lambda o: (o["metadata"].get("namespace", ""),
                                          o["metadata"]["name"]))
            rv = self.store.rv
            self.store.counts["lists"] += 1
        page = items[start:start + limit] if limit else items[start:]
        meta = {"resourceVersion": str(rv)}
        if limit and start + limit < len(items):
            meta["continue"] = str(start + limit)
        api, k, _ = KINDS[kind]
        if kind == "trafficsplits":
            api = "split.smi-spec.io/" + self.store.split_version
        self.send_json(200, {"kind": k + "List", "apiVersion": api,
                             "metadata": meta,
                             "items": page})

    def chunk(self, obj):
        data = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, kind, q):
        st = self.store
        sel = field_selector(q)
        rv = int(q.get("resourceVersion", ["0"])[0] or 0)
        timeout = float(q.get("timeoutSeconds", ["300"])[0])
        bookmarks = q.get("allowWatchBookmarks", ["false"])[0] == "true"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with st.lock:
            st.counts["watches"] += 1
            gen = st.drop_gen
        if rv and rv < st.compacted:
            with st.lock:
                st.counts["gone"] += 1
            self.chunk({"type": "ERROR", "object": status(
                410, "Expired", "too old resource version: %d (%d)" %
                (rv, st.compacted))})
            self.wfile.write(b"0\r\n\r\n")
            return
        end = time.monotonic() + timeout
        last_bm = time.monotonic()
        try:
            while time.monotonic() < end:
                with st.lock:
                    evs = [e for e in st.events if e[0] > rv and e[1] == kind]
                    if not evs and st.drop_gen == gen:
                        st.lock.wait(0.2)
                        evs = [e for e in st.events
                               if e[0] > rv and e[1] == kind]
                    dropped = st.drop_gen != gen
                    cur = st.rv
                if dropped:
                    # An abrupt end: no terminating chunk, socket closed.
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                for ev in evs:
                    if sel(ev[3]):
                        self.chunk({"type": ev[2], "object": ev[3]})
                    rv = ev[0]
                if bookmarks and time.monotonic() - last_bm > BOOKMARK_EVERY:
                    api, k, _ = KINDS[kind]
                    self.chunk({"type": "BOOKMARK", "object": {
                        "kind": k, "apiVersion": api or "split.smi-spec.io/"
                        + st.split_version,
                        "metadata": {"resourceVersion": str(max(rv, cur))}}})
                    rv = max(rv, cur)
                    last_bm = time.monotonic()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def read_body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n) if n else b""

    def do_PATCH(self):
        if not self.authorized():
            return
        r = self.route()
        body = self.read_body()
        if not r or not r[2]:
            return self.send_json(404, status(404, "NotFound", "not found"))
        kind, ns, name = r
        ctype = self.headers.get("Content-Type", "")
        self.store.patches.append({"path": urllib.parse.urlparse(self.path).path,
                                   "content_type": ctype,
                                   "body": json.loads(body or b"null")})
        if ctype != "application/merge-patch+json":
            return self.send_json(415, status(415, "UnsupportedMediaType",
                                              "only merge patch here"))
        obj = self.store.objs[kind].get((ns, name))
        if obj is None:
            return self.send_json(404, status(404, "NotFound", "not found"))
        new = merge_patch(json.loads(json.dumps(obj)), json.loads(body))
        self.send_json(200, self.store.put(new))

    def do_POST(self):
        if not self.path.startswith("/_ctl/"):
            return self.post_api()
        body = json.loads(self.read_body() or b"null")
        st, verb = self.store, self.path[len("/_ctl/"):]
        if verb == "apply":
            return self.send_json(200, st.put(body))
        if verb == "token":
            # The old token stops working: new requests need the new one
            # and open watches end, as when a bound token expires.
            with st.lock:
                self.server.token = body["token"]
                st.drop_gen += 1
                st.lock.notify_all()
            return self.send_json(200, {"ok": True})
        if verb == "events-fail":
            st.events_fail = bool(body["fail"])
            return self.send_json(200, {"ok": True})
        if verb == "delete":
            return self.send_json(200, st.delete(body["kind"], body["namespace"],
                                                 body["name"]))
        if verb in ("drop", "compact"):
            with st.lock:
                if verb == "compact":
                    st.compacted = st.rv + 1
                    st.events = []
                st.drop_gen += 1
                st.lock.notify_all()
            return self.send_json(200, {"ok": True})
        self.send_json(404, {"error": "unknown control " + verb})

    def post_api(self):
        """POST /api/v1/namespaces/NS/events: create an Event."""
        body = self.read_body()
        if not self.authorized():
            return
        parts = [p for p in urllib.parse.urlparse(self.path).path.split("/")
                 if p]
        if (len(parts) != 5 or parts[:3] != ["api", "v1", "namespaces"] or
                parts[4] != "events"):
            return self.send_json(405, status(405, "MethodNotAllowed", "no"))
        if self.headers.get("Content-Type", "") != "application/json":
            return self.send_json(415, status(415, "UnsupportedMediaType",
                                              "application/json only"))
        ev = json.loads(body or b"null")
        why = check_event(ev, parts[3])
        if why:
            return self.send_json(422, status(422, "Invalid", why))
        if self.store.events_fail:
            return self.send_json(503, status(503, "ServiceUnavailable",
                                              "events are failing (test)"))
        with self.store.lock:
            self.store.rv += 1
            ev["metadata"]["resourceVersion"] = str(self.store.rv)
            ev["metadata"]["uid"] = "uid-event-%d" % self.store.rv
            self.store.events_posted.append(ev)
        self.send_json(201, ev)

    def ctl_get(self):
        st = self.store
        if self.path == "/_ctl/events":
            return self.send_json(200, st.events_posted)
        if self.path == "/_ctl/patches":
            return self.send_json(200, st.patches)
        if self.path == "/_ctl/stats":
            return self.send_json(200, dict(st.counts, rv=st.rv))
        self.send_json(404, {"error": "unknown"})


def field_selector(q):
    """A predicate for ?fieldSelector=metadata.name=X (the only field
    selector the agent uses; others are refused as the API server does
    for unsupported fields)."""
    sel = q.get("fieldSelector", [""])[0]
    if not sel:
        return lambda o: True
    key, _, val = sel.partition("=")
    if key != "metadata.name":
        raise ValueError("field selector " + sel)
    return lambda o: o["metadata"]["name"] == val


def check_event(ev, ns):
    """Why the API server would refuse this core/v1 Event, or None."""
    if not isinstance(ev, dict) or ev.get("kind") != "Event" or \
            ev.get("apiVersion") != "v1":
        return "not a v1 Event"
    m, io = ev.get("metadata") or {}, ev.get("involvedObject") or {}
    if not m.get("name") or len(m["name"]) > 253:
        return "metadata.name: required, at most 253 characters"
    if m.get("namespace", ns) != ns or io.get("namespace") != ns:
        return "involvedObject.namespace: does not match event.namespace"
    for k in ("kind", "name", "apiVersion"):
        if not io.get(k):
            return "involvedObject.%s: required" % k
    if ev.get("type") not in ("Normal", "Warning"):
        return "type: Normal or Warning"
    if not ev.get("reason") or not ev.get("message"):
        return "reason and message: required"
    return None


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


def serve(args):
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.store = Store(args.state, args.split_version)
    srv.token = args.token
    srv.gateway_api = args.gateway_api
    srv.verbose = args.verbose
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if args.ready_file:
        open(args.ready_file, "w").close()
    srv.serve_forever()


# ---- objects, shaped as in the API reference and the SMI spec ----

def obj_service(ns, name, vips, ports, external=(), local=False):
    """vips: "IP[,IP]", the cluster IPs, primary family first (two of
    different families make a dual-stack Service); ports:
    "name:port[:targetPort[:nodePort]][/UDP]" (name may be empty); a
    nodePort makes it a NodePort Service; local: externalTrafficPolicy
    Local (a NodePort Service only, as the API requires)."""
    sp, stype = [], "ClusterIP"
    for p in ports:
        proto = "TCP"
        if "/" in p:
            p, proto = p.split("/")
        f = p.split(":")
        sp.append({"name": f[0], "port": int(f[1]), "protocol": proto,
                   "targetPort": int(f[2]) if len(f) > 2 else int(f[1])})
        if len(f) > 3:
            sp[-1]["nodePort"] = int(f[3])
            stype = "NodePort"
        if not f[0]:
            del sp[-1]["name"]
    if local and stype == "ClusterIP":
        # The API refuses externalTrafficPolicy on a ClusterIP Service.
        sys.exit("--local needs a nodePort")
    spec_extra = {}
    if stype != "ClusterIP":
        spec_extra["externalTrafficPolicy"] = "Local" if local else "Cluster"
    cips = vips.split(",")
    fams = ["IPv6" if ":" in ip else "IPv4" for ip in cips]
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns},
            "spec": dict(spec_extra, **{"type": stype, "clusterIP": cips[0],
                     "clusterIPs": cips,
                     "externalIPs": list(external), "ipFamilies": fams,
                     "ipFamilyPolicy": "RequireDualStack" if len(cips) > 1
                                       else "SingleStack", "ports": sp,
                     "selector": {"app": name}, "sessionAffinity": "None"}),
            "status": {"loadBalancer": {}}}


def obj_slice(ns, name, svc, ports, eps, addr_type="IPv4"):
    """ports: "name:port[/UDP]"; eps: "IP[:ready|terminating|notready]"
    (IP of addr_type: IPv4, IPv6 or FQDN)."""
    endpoints = []
    for i, e in enumerate(eps):
        ip, _, state = e.rpartition(":")
        if state not in ("ready", "terminating", "notready"):
            ip, state = e, ""
        cond = {"ready": True, "serving": True, "terminating": False}
        if state == "terminating":
            cond = {"ready": False, "serving": True, "terminating": True}
        elif state == "notready":
            cond = {"ready": False, "serving": False, "terminating": False}
        endpoints.append({"addresses": [ip], "conditions": cond,
                          "nodeName": "node-1",
                          "targetRef": {"kind": "Pod", "namespace": ns,
                                        "name": "%s-%d" % (svc, i)}})
    sp = []
    for p in ports:
        p, _, proto = p.partition("/")
        n, _, port = p.partition(":")
        sp.append({"name": n, "port": int(port), "protocol": proto or "TCP"})
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": ns, "labels": {
                "kubernetes.io/service-name": svc,
                "endpointslice.kubernetes.io/managed-by":
                    "endpointslice-controller.k8s.io"}},
            "addressType": addr_type, "endpoints": endpoints, "ports": sp}


def obj_split(ns, name, root, backends, quantity=False, matches=False):
    """backends: "service=weight"; weight kept as a string if quantity."""
    b = []
    for x in backends:
        s, _, w = x.partition("=")
        b.append({"service": s, "weight": w if quantity else int(w)})
    spec = {"service": root, "backends": b}
    if matches:
        spec["matches"] = [{"kind": "HTTPRouteGroup", "name": "ab-test"}]
    return {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def obj_gateway(ns, name, addrs, listeners):
    """addrs: "IP,IP" (in status, as a controller assigns them);
    listeners: "name:port/PROTO"."""
    ls, st = [], []
    for x in listeners:
        x, _, proto = x.partition("/")
        n, _, port = x.partition(":")
        ls.append({"name": n, "port": int(port), "protocol": proto,
                   "allowedRoutes": {"namespaces": {"from": "Same"}}})
        st.append({"name": n, "attachedRoutes": 0, "supportedKinds": [
            {"group": GW, "kind": proto + "Route"}], "conditions": []})
    cond = [{"type": t, "status": "True", "reason": t, "message": "",
             "observedGeneration": 1,
             "lastTransitionTime": "2025-01-01T00:00:00Z"}
            for t in ("Accepted", "Programmed")]
    return {"apiVersion": GW + "/v1", "kind": "Gateway",
            "metadata": {"name": name, "namespace": ns, "generation": 1},
            "spec": {"gatewayClassName": "canary-bpf", "listeners": ls},
            "status": {"addresses": [{"type": "IPAddress", "value": a}
                                     for a in addrs.split(",") if a],
                       "conditions": cond, "listeners": st}}


def obj_route(kind, ns, name, parents, backends):
    """parents: "[ns/]gateway[#section][@port]"; backends:
    "service:port[=weight]" (no weight: the API's default of 1)."""
    prefs = []
    for p in parents:
        p, _, port = p.partition("@")
        p, _, section = p.partition("#")
        pns, _, gw = p.rpartition("/")
        ref = {"group": GW, "kind": "Gateway", "name": gw}
        if pns:
            ref["namespace"] = pns
        if section:
            ref["sectionName"] = section
        if port:
            ref["port"] = int(port)
        prefs.append(ref)
    brefs = []
    for b in backends:
        b, _, w = b.partition("=")
        svc, _, port = b.partition(":")
        ref = {"group": "", "kind": "Service", "name": svc, "port": int(port)}
        if w:
            ref["weight"] = int(w)
        brefs.append(ref)
    return {"apiVersion": GW + "/v1alpha2", "kind": kind,
            "metadata": {"name": name, "namespace": ns, "generation": 1},
            "spec": {"parentRefs": prefs, "rules": [{"backendRefs": brefs}]},
            "status": {"parents": []}}


def obj_node(name, internal_ips, pod_cidrs, external=()):
    """internal_ips, pod_cidrs: "A[,B]", one per family, primary first."""
    addrs = [{"type": "InternalIP", "address": a}
             for a in internal_ips.split(",")]
    addrs += [{"type": "ExternalIP", "address": a} for a in external]
    addrs.append({"type": "Hostname", "address": name})
    cidrs = pod_cidrs.split(",")
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
            "spec": {"podCIDR": cidrs[0], "podCIDRs": cidrs,
                     "providerID": "fake://" + name},
            "status": {"addresses": addrs, "conditions": [
                {"type": "Ready", "status": "True", "reason": "KubeletReady",
                 "message": "kubelet is posting ready status",
                 "lastHeartbeatTime": "2025-01-01T00:00:00Z",
                 "lastTransitionTime": "2025-01-01T00:00:00Z"}]}}


def ctl(args):
    url, verb = args.url, args.verb
    rest = [x for x in args.rest if not x.startswith("--")]
    args.quantity = "--quantity" in args.rest
    args.matches = "--matches" in args.rest
    args.local = "--local" in args.rest
    annotations = {}
    for x in args.rest:
        if x.startswith("--address-type="):
            args.address_type = x.split("=", 1)[1]
        if x.startswith("--annotation="):
            k, _, v = x[len("--annotation="):].partition("=")
            annotations[k] = v
    method, path, body = "POST", "/_ctl/apply", None
    if verb == "service":
        ext = [x[len("ext="):] for x in rest[3:] if x.startswith("ext=")]
        body = obj_service(rest[0], rest[1], rest[2],
                           [x for x in rest[3:] if not x.startswith("ext=")], ext,
                           args.local)
    elif verb == "slice":
        ports = rest[3].split(",") if rest[3] else []
        body = obj_slice(rest[0], rest[1], rest[2], ports, rest[4:],
                         args.address_type)
    elif verb == "split":
        body = obj_split(rest[0], rest[1], rest[2], rest[3:], args.quantity,
                         args.matches)
        if annotations:
            body["metadata"]["annotations"] = annotations
    elif verb == "gateway":
        body = obj_gateway(rest[0], rest[1], rest[2], rest[3:])
    elif verb in ("tcproute", "udproute"):
        kind = "TCPRoute" if verb == "tcproute" else "UDPRoute"
        body = obj_route(kind, rest[0], rest[1], rest[2].split(","), rest[3:])
    elif verb == "node":
        body = obj_node(rest[0], rest[1], rest[2],
                        [x[len("ext="):] for x in rest[3:]])
    elif verb == "delete":
        path = "/_ctl/delete"
        body = {"kind": rest[0], "namespace": rest[1], "name": rest[2]}
    elif verb == "token":
        path, body = "/_ctl/token", {"token": rest[0]}
    elif verb == "events-fail":
        path, body = "/_ctl/events-fail", {"fail": rest[0] == "on"}
    elif verb in ("drop", "compact"):
        path, body = "/_ctl/" + verb, {}
    elif verb in ("patches", "stats", "events"):
        method, path = "GET", "/_ctl/" + verb
    else:
        sys.exit("unknown verb " + verb)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
        print(r.read().decode())


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--token")
    s.add_argument("--state")
    s.add_argument("--split-version", default="v1alpha4")
    s.add_argument("--gateway-api", action="store_true",
                   help="serve gateways, tcproutes, udproutes")
    s.add_argument("--ready-file")
    s.add_argument("-v", "--verbose", action="store_true")
    c = sub.add_parser("ctl")
    c.add_argument("url")
    c.add_argument("verb")
    c.add_argument("rest", nargs=argparse.REMAINDER,
                   help="ARGS; flags among them: --quantity --matches "
                   "--address-type=T --local")
    c.set_defaults(address_type="IPv4")
    a = ap.parse_args()
    serve(a) if a.cmd == "serve" else ctl(a)


if __name__ == "__main__":
    main()
