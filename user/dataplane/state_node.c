// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The node section (canary_node): this node's SNAT addresses, pod CIDRs
 * and SNAT ports, between the config model and the map.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "dataplane/state_int.h"

/* This node as the maps have it (zero when never set). */
void state_node_get(struct canary_state *st, struct canary_node *n)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(st->node_fd, &zero, n))
		memset(n, 0, sizeof(*n));
}

/* The netmask of an IPv6 prefix of @len bits into @mask. */
static void mask6(__u8 len, __be32 *mask)
{
	int i, bits;

	for (i = 0; i < 4; i++) {
		bits = len > 32 * i ? len - 32 * i : 0;
		mask[i] = htonl(bits >= 32 ? ~0u : bits ? ~0u << (32 - bits) : 0);
	}
}

void state_node_of(const struct canary_node_cfg *c, struct canary_node *n)
{
	memset(n, 0, sizeof(*n));
	n->address = c->address;
	n->pod_net = c->pod_net;
	n->pod_mask = htonl(c->pod_len ? ~0u << (32 - c->pod_len) : 0);
	n->port_min = c->port_min;
	n->port_max = c->port_max;
	memcpy(n->address6, c->address6, sizeof(n->address6));
	memcpy(n->pod_net6, c->pod_net6, sizeof(n->pod_net6));
	n->pod_len6 = c->pod_len6;
	mask6(c->pod_len6, n->pod_mask6);
}

void state_read_node(struct canary_state *st, struct canary_node_cfg *c)
{
	static const struct canary_node zero;
	struct canary_node n;

	state_node_get(st, &n);
	memset(c, 0, sizeof(*c));
	c->set = memcmp(&n, &zero, sizeof(n)) != 0;
	c->address = n.address;
	c->pod_net = n.pod_net;
	c->pod_len = __builtin_popcount(n.pod_mask);
	c->port_min = n.port_min;
	c->port_max = n.port_max;
	memcpy(c->address6, n.address6, sizeof(c->address6));
	memcpy(c->pod_net6, n.pod_net6, sizeof(c->pod_net6));
	c->pod_len6 = n.pod_len6;
}

/* This node's SNAT address, pod CIDR and ports (not versioned: read by
 * new flows only, and changed rarely). */
int state_node_write(struct canary_state *st, const struct canary_node_cfg *c)
{
	struct canary_node n;
	__u32 zero = 0;

	state_node_of(c, &n);
	return bpf_map_update_elem(st->node_fd, &zero, &n, BPF_ANY) ? -errno : 0;
}
