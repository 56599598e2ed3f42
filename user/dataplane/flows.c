// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Reading the flow tables (see flows.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "dataplane/flows.h"

/* Names of one service id, read once per walk. */
struct svc_names {
	bool loaded, in_use;
	char name[CANARY_NAME_LEN];
	char vname[CANARY_MAX_VERSIONS][CANARY_VNAME_LEN];
};

struct walk {
	struct canary_state *st;
	struct canary_timeouts_cfg tmo;
	__u16 now;                /* canary_stamp() of now */
	bool now_known;           /* canary_clock was published */
	struct svc_names *names;  /* CANARY_MAX_SERVICES entries */
	flow_row_fn fn;
	void *arg;
};

const char *flow_state_name(enum flow_state s)
{
	return s == FLOW_TCP_OPEN ? "open" : s == FLOW_TCP_CLOSING ? "closing" :
								      "udp";
}

static void names_of(struct walk *w, struct flow_row *r)
{
	struct svc_names *n;
	struct canary_meta m;

	if (r->svc_id >= CANARY_MAX_SERVICES)
		return;
	n = &w->names[r->svc_id];
	if (!n->loaded) {
		n->loaded = true;
		if (!state_read_meta(w->st, r->svc_id, &m) && m.in_use) {
			n->in_use = true;
			memcpy(n->name, m.name, sizeof(n->name));
			memcpy(n->vname, m.vname, sizeof(n->vname));
			n->name[sizeof(n->name) - 1] = '\0';
		}
	}
	if (!n->in_use)
		return;
	r->service = n->name;
	if (r->version < CANARY_MAX_VERSIONS && n->vname[r->version][0]) {
		n->vname[r->version][CANARY_VNAME_LEN - 1] = '\0';
		r->vname = n->vname[r->version];
	}
}

/* State, idle time and expiry of an entry stamped @seen with @flags. */
static void age_of(struct walk *w, struct flow_row *r, __u16 seen, __u8 flags)
{
	__u32 tmo;

	if (r->proto != CANARY_PROTO_TCP)
		r->state = FLOW_UDP;
	else if (flags & CANARY_FLOW_F_CLOSING)
		r->state = FLOW_TCP_CLOSING;
	else
		r->state = FLOW_TCP_OPEN;
	tmo = r->state == FLOW_UDP	   ? w->tmo.udp_s :
	      r->state == FLOW_TCP_CLOSING ? w->tmo.tcp_closing_s :
					     w->tmo.tcp_s;
	r->idle_s = seen && w->now_known ?
		(long)((((__u64)(__u16)(w->now - seen)) << CANARY_STAMP_SHIFT) /
		       1000000000ull) : -1;
	r->expired = w->now_known && canary_stamp_expired(seen, w->now, tmo);
}

static int row4(struct walk *w, const struct canary_flow_key *k,
		const struct canary_flow *f)
{
	struct flow_row r = {
		.client = addr_v4(k->saddr), .vip = addr_v4(k->daddr),
		.ep = addr_v4(f->ep_addr), .client_port = ntohs(k->sport),
		.vport = ntohs(k->dport), .ep_port = ntohs(f->ep_port),
		.proto = k->proto, .version = f->version, .svc_id = f->svc_id,
	};

	if (f->flags & CANARY_FLOW_F_SNAT)
		r.snat_port = ntohs(f->snat_port);
	names_of(w, &r);
	age_of(w, &r, f->seen, f->flags);
	return w->fn(&r, w->arg);
}

static int row6(struct walk *w, const struct canary_flow6_key *k,
		const struct canary_flow6 *f)
{
	struct flow_row r = {
		.client = addr_v6(k->saddr), .vip = addr_v6(k->daddr),
		.ep = addr_v6(f->ep_addr), .client_port = ntohs(k->sport),
		.vport = ntohs(k->dport), .ep_port = ntohs(f->ep_port),
		.proto = k->proto, .version = f->version, .svc_id = f->svc_id,
	};

	if (f->flags & CANARY_FLOW_F_SNAT)
		r.snat_port = ntohs(f->snat_port);
	names_of(w, &r);
	age_of(w, &r, f->seen, f->flags);
	return w->fn(&r, w->arg);
}

/* Walks one table; the key is copied before the lookup because the LRU
 * may drop the entry under us (then it is skipped). */
static int walk_table(struct walk *w, bool v6)
{
	union {
		struct canary_flow_key k4;
		struct canary_flow6_key k6;
	} k, prev;
	union {
		struct canary_flow f4;
		struct canary_flow6 f6;
	} f;
	int fd = v6 ? w->st->flow6_fd : w->st->flow_fd, ret;
	__u32 limit = state_flow_walk_limit(w->st), n;

	for (n = 0; n < limit; n++) {
		if (bpf_map_get_next_key(fd, n ? &prev : NULL, &k))
			return errno == ENOENT ? 0 : -errno;
		prev = k;
		if (bpf_map_lookup_elem(fd, &k, &f))
			continue;
		ret = v6 ? row6(w, &k.k6, &f.f6) : row4(w, &k.k4, &f.f4);
		if (ret)
			return ret;
	}
	return 0;
}

int flows_walk(struct canary_state *st, flow_row_fn fn, void *arg)
{
	struct walk w = { .st = st, .fn = fn, .arg = arg };
	__u64 now = 0;
	int ret;

	w.names = calloc(CANARY_MAX_SERVICES, sizeof(*w.names));
	if (!w.names)
		return -ENOMEM;
	state_read_timeouts(st, &w.tmo);
	w.now_known = !state_flow_clock(st, &now);
	w.now = canary_stamp(now);
	ret = walk_table(&w, false);
	if (!ret)
		ret = walk_table(&w, true);
	free(w.names);
	return ret;
}
