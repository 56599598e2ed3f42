#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""API discovery only, for `kubectl --dry-run=client` without a cluster.

kubectl maps every manifest's apiVersion and kind to a resource through the
server's discovery documents (/api, /apis, /api/v1, /apis/GROUP/VERSION)
before it builds the object, even with --dry-run=client. This serves those
documents, shaped as in the Kubernetes API reference (APIVersions,
APIGroupList, APIResourceList), for exactly the kinds deploy/ uses, and
404 for everything else, so a kind or apiVersion kubectl would not know
in a real cluster with these CRDs fails here too. Listens on 127.0.0.1 at
a free port, written to --port-file once it accepts connections.
"""
import argparse
import http.server
import json
import os

# (group, version) -> [(resource, kind, namespaced)]
RESOURCES = {
    ("", "v1"): [("namespaces", "Namespace", False),
                 ("serviceaccounts", "ServiceAccount", True),
                 ("services", "Service", True),
                 ("events", "Event", True),
                 ("nodes", "Node", False)],
    ("apps", "v1"): [("daemonsets", "DaemonSet", True),
                     ("deployments", "Deployment", True)],
    ("batch", "v1"): [("jobs", "Job", True)],
    ("rbac.authorization.k8s.io", "v1"): [
        ("clusterroles", "ClusterRole", False),
        ("clusterrolebindings", "ClusterRoleBinding", False),
        ("roles", "Role", True),
        ("rolebindings", "RoleBinding", True)],
    ("discovery.k8s.io", "v1"): [("endpointslices", "EndpointSlice", True)],
    ("split.smi-spec.io", "v1alpha1"): [("trafficsplits", "TrafficSplit", True)],
    ("split.smi-spec.io", "v1alpha2"): [("trafficsplits", "TrafficSplit", True)],
    ("split.smi-spec.io", "v1alpha3"): [("trafficsplits", "TrafficSplit", True)],
    ("split.smi-spec.io", "v1alpha4"): [("trafficsplits", "TrafficSplit", True)],
    ("gateway.networking.k8s.io", "v1"): [
        ("gatewayclasses", "GatewayClass", False),
        ("gateways", "Gateway", True)],
    ("gateway.networking.k8s.io", "v1alpha2"): [
        ("tcproutes", "TCPRoute", True),
        ("udproutes", "UDPRoute", True)],
    ("argoproj.io", "v1alpha1"): [("rollouts", "Rollout", True),
                                  ("analysistemplates", "AnalysisTemplate", True)],
    ("flagger.app", "v1beta1"): [("canaries", "Canary", True),
                                 ("metrictemplates", "MetricTemplate", True)],
}


def groups():
    out = {}
    for group, version in RESOURCES:
        if group:
            out.setdefault(group, []).append(version)
    return out


def resource_list(group, version):
    gv = "%s/%s" % (group, version) if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": [{"name": r, "singularName": k.lower(), "kind": k,
                           "namespaced": ns,
                           "verbs": ["create", "delete", "get", "list",
                                     "patch", "update", "watch"]}
                          for r, k, ns in RESOURCES[(group, version)]]}


def document(path):
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
    if path == "/apis":
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": "%s/%s" % (g, v),
                                      "version": v} for v in vs],
             "preferredVersion": {"groupVersion": "%s/%s" % (g, vs[-1]),
                                  "version": vs[-1]}}
            for g, vs in sorted(groups().items())]}
    parts = path.strip("/").split("/")
    if parts[:1] == ["api"] and len(parts) == 2 and ("", parts[1]) in RESOURCES:
        return resource_list("", parts[1])
    if parts[:1] == ["apis"] and len(parts) == 3 and tuple(parts[1:]) in RESOURCES:
        return resource_list(parts[1], parts[2])
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        doc = document(self.path.split("?")[0])
        body = json.dumps(doc if doc else {
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "reason": "NotFound", "code": 404}).encode()
        self.send_response(200 if doc else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
