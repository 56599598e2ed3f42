// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The flow idle timeouts in canary_tmo (see include/canary.h). */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "dataplane/state.h"

int state_read_timeouts(struct canary_state *st, struct canary_timeouts_cfg *t)
{
	struct canary_timeouts raw = {};
	__u32 zero = 0;
	int err = 0;

	if (st->tmo_fd < 0 || bpf_map_lookup_elem(st->tmo_fd, &zero, &raw))
		err = st->tmo_fd < 0 ? -ENOENT : -errno;
	config_timeouts_default(t);
	if (raw.tcp_s)
		t->tcp_s = raw.tcp_s;
	if (raw.tcp_closing_s)
		t->tcp_closing_s = raw.tcp_closing_s;
	if (raw.udp_s)
		t->udp_s = raw.udp_s;
	return err;
}

/* Whether @t (set) differs from what canary_tmo holds. */
bool state_timeouts_differ(struct canary_state *st,
			   const struct canary_timeouts_cfg *t)
{
	struct canary_timeouts_cfg have;

	if (!t->set)
		return false;
	state_read_timeouts(st, &have);
	return have.tcp_s != t->tcp_s || have.tcp_closing_s != t->tcp_closing_s ||
	       have.udp_s != t->udp_s;
}

int state_write_timeouts(struct canary_state *st,
			 const struct canary_timeouts_cfg *t)
{
	struct canary_timeouts raw = {
		.tcp_s = t->tcp_s,
		.tcp_closing_s = t->tcp_closing_s,
		.udp_s = t->udp_s,
	};
	__u32 zero = 0;

	if (!t->set)
		return 0;
	if (st->tmo_fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(st->tmo_fd, &zero, &raw, BPF_ANY) ? -errno : 0;
}

int state_flow_clock(struct canary_state *st, __u64 *ns)
{
	struct canary_clock c = {};
	struct timespec ts;
	__u32 zero = 0;

	if (st->clock_fd < 0 || bpf_map_lookup_elem(st->clock_fd, &zero, &c) ||
	    !c.mono_ns)
		return -ENOENT;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts); /* the programs' mono_ns */
	*ns = c.flow_ns + ((__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec -
			   c.mono_ns);
	return 0;
}
