#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""kube-proxy's data plane, written the way kube-proxy writes it, for the
peers of bench/net.sh; also the matching canary-bpf YAML.

    kube_rules.py iptables|nftables|yaml N_FILLER POD_IP:PORT...

Prints an iptables-restore file (iptables mode: KUBE-SERVICES -> KUBE-SVC-*
-> KUBE-SEP-*, "-m statistic --mode random --probability", DNAT,
KUBE-MARK-MASQ for off-cluster sources, KUBE-POSTROUTING MASQUERADE), an
"nft -f" file (nftables mode: service-ips vmap, "numgen random mod N vmap",
mark-for-masquerade, masquerade fully-random), or a canary-bpf config.

The measured services are prod-service on 10.96.0.10:5000, TCP and UDP,
over the given pods (first three v1, last one v2; kube-proxy, without
weights, gives every endpoint 1/N: 25 % to the single v2 pod, the same split
canary-bpf gets with v1=75 v2=25). N_FILLER more TCP services (two
endpoints each, addresses that need not exist) are written, with the
measured ones in the middle: a linear chain walks half of it on average.
Chain names are hashed like kube-proxy's (sha256, base32).
"""
import base64
import hashlib
import sys

CLUSTER_CIDR = "10.244.0.0/16"
MASQ = "0x4000"


def chash(s, n):
    return base64.b32encode(hashlib.sha256(s.encode()).digest()).decode()[:n]


def services(n_filler, pods):
    """(name, vip, port, proto, [(ip, port)]) with the measured in the middle."""
    out = []
    for i in range(n_filler):
        vip = "10.97.%d.%d" % (i // 250, i % 250 + 1)
        eps = [("10.128.%d.%d" % (i // 125, (i % 125) * 2 + k + 1), 8080) for k in range(2)]
        out.append(("filler-%d" % i, vip, 80, "tcp", eps))
    eps = [(p.split(":")[0], int(p.split(":")[1])) for p in pods]
    mid = len(out) // 2
    out[mid:mid] = [("prod-service", "10.96.0.10", 5000, "tcp", eps),
                    ("prod-service-udp", "10.96.0.10", 5000, "udp", eps)]
    return out


def iptables(svcs):
    nat_chains, nat_rules = ["KUBE-SERVICES", "KUBE-POSTROUTING", "KUBE-MARK-MASQ",
                             "KUBE-NODEPORTS"], []
    r = nat_rules.append
    r('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    r('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    r('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING')
    r("-A KUBE-MARK-MASQ -j MARK --set-xmark %s/%s" % (MASQ, MASQ))
    r("-A KUBE-POSTROUTING -m mark ! --mark %s/%s -j RETURN" % (MASQ, MASQ))
    r("-A KUBE-POSTROUTING -j MARK --set-xmark %s/0x0" % MASQ)
    r('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" '
      "-j MASQUERADE --random-fully")
    body = []
    for name, vip, port, proto, eps in svcs:
        spn = "default/%s:p%d" % (name, port)
        svc = "KUBE-SVC-" + chash(spn + proto, 16)
        nat_chains.append(svc)
        r('-A KUBE-SERVICES -d %s/32 -p %s -m comment --comment "%s cluster IP" -m %s '
          "--dport %d -j %s" % (vip, proto, spn, proto, port, svc))
        body.append('-A %s ! -s %s -d %s/32 -p %s -m comment --comment "%s cluster IP" -m %s '
                    "--dport %d -j KUBE-MARK-MASQ" % (svc, CLUSTER_CIDR, vip, proto, spn, proto, port))
        for k, (ip, ep) in enumerate(eps):
            sep = "KUBE-SEP-" + chash(spn + proto + "%s:%d" % (ip, ep), 16)
            nat_chains.append(sep)
            left = len(eps) - k
            stat = ("-m statistic --mode random --probability %.11f " % (1.0 / left)
                    if left > 1 else "")
            body.append('-A %s -m comment --comment "%s -> %s:%d" %s-j %s'
                        % (svc, spn, ip, ep, stat, sep))
            body.append('-A %s -s %s/32 -m comment --comment "%s" -j KUBE-MARK-MASQ'
                        % (sep, ip, spn))
            body.append('-A %s -p %s -m comment --comment "%s" -m %s -j DNAT --to-destination %s:%d'
                        % (sep, proto, spn, proto, ip, ep))
    r('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be '
      'the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    print("*filter")
    for c in ("KUBE-FORWARD", "KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-PROXY-FIREWALL"):
        print(":%s - [0:0]" % c)
    print('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer '
          'firewall" -j KUBE-PROXY-FIREWALL')
    print('-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD')
    print('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" '
          "-j KUBE-SERVICES")
    print('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible '
          'service portals" -j KUBE-EXTERNAL-SERVICES')
    print("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP")
    print('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark %s/%s '
          "-j ACCEPT" % (MASQ, MASQ))
    print('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack '
          "--ctstate RELATED,ESTABLISHED -j ACCEPT")
    print("COMMIT")
    print("*nat")
    for c in nat_chains:
        print(":%s - [0:0]" % c)
    print("\n".join(nat_rules + body))
    print("COMMIT")


def nftables(svcs):
    o = []
    p = o.append
    p("table ip kube-proxy {")
    p("  comment \"rules for kube-proxy\"")
    p("  chain mark-for-masquerade { mark set mark or %s; }" % MASQ)
    p("  chain masquerading { meta mark & %s == 0 return; meta mark set meta mark ^ %s; "
      "masquerade fully-random; }" % (MASQ, MASQ))
    p("  chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; "
      "jump services; }")
    p("  chain nat-output { type nat hook output priority -100; policy accept; jump services; }")
    p("  chain nat-postrouting { type nat hook postrouting priority srcnat; policy accept; "
      "jump masquerading; }")
    p("  map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }")
    p("  chain endpoints-check { ip daddr . meta l4proto . th dport vmap @no-endpoint-services; }")
    p("  chain filter-forward { type filter hook forward priority -110; policy accept; "
      "ct state new jump endpoints-check; }")
    p("  chain filter-forward-ct { type filter hook forward priority 0; policy accept; "
      "ct state invalid drop; }")
    elems, chains = [], []
    for name, vip, port, proto, eps in svcs:
        spn = "default/%s/%s/p%d" % (name, proto, port)
        sc = "service-%s-%s" % (chash(spn, 8), spn)
        elems.append('%s . %s . %d : goto %s' % (vip, proto, port, sc))
        targets = []
        for k, (ip, ep) in enumerate(eps):
            ec = "endpoint-%s-%s__%s/%d" % (chash(spn + ip, 8), spn, ip, ep)
            targets.append('%d : goto %s' % (k, ec))
            chains.append('  chain %s { ip saddr %s jump mark-for-masquerade; meta l4proto %s '
                          "dnat to %s:%d; }" % (ec, ip, proto, ip, ep))
        chains.append('  chain %s { ip daddr %s %s dport %d ip saddr != %s jump '
                      "mark-for-masquerade; numgen random mod %d vmap { %s }; }"
                      % (sc, vip, proto, port, CLUSTER_CIDR, len(eps), ", ".join(targets)))
    o.extend(chains)
    p("  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; elements = { "
      + ", ".join(elems) + " }; }")
    p("  chain services { ip daddr . meta l4proto . th dport vmap @service-ips; }")
    p("}")
    print("\n".join(o))


def yaml(svcs):
    print("services:")
    for name, vip, port, proto, eps in svcs:
        print("  - name: %s\n    vip: %s\n    port: %d\n    protocol: %s\n    versions:"
              % (name, vip, port, proto))
        if name.startswith("prod-service"):
            vers = [("v1", 75, eps[:-1]), ("v2", 25, eps[-1:])]
        else:
            vers = [("v1", 90, eps[:1]), ("v2", 10, eps[1:])]
        for v, w, e in vers:
            print("      - name: %s\n        weight: %d\n        endpoints: [%s]"
                  % (v, w, ", ".join("%s:%d" % x for x in e)))


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("iptables", "nftables", "yaml"):
        sys.stderr.write(__doc__)
        return 2
    svcs = services(int(sys.argv[2]), sys.argv[3:])
    {"iptables": iptables, "nftables": nftables, "yaml": yaml}[sys.argv[1]](svcs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
