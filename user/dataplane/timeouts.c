// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The flow table's settings in canary_flowcfg: idle timeouts and the
 * SYN flood guard (see include/canary.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "dataplane/state.h"

/* canary_flowcfg as it is (all zero when unset); 0 or -errno. */
static int read_raw(struct canary_state *st, struct canary_flowcfg *raw)
{
	__u32 zero = 0;

	memset(raw, 0, sizeof(*raw));
	if (st->flowcfg_fd < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(st->flowcfg_fd, &zero, raw) ? -errno : 0;
}

int state_read_timeouts(struct canary_state *st, struct canary_timeouts_cfg *t)
{
	struct canary_flowcfg raw;
	int err = read_raw(st, &raw);

	config_timeouts_default(t);
	if (raw.tcp_s)
		t->tcp_s = raw.tcp_s;
	if (raw.tcp_closing_s)
		t->tcp_closing_s = raw.tcp_closing_s;
	if (raw.udp_s)
		t->udp_s = raw.udp_s;
	t->syn_rate = raw.syn_rate ? raw.syn_rate : CANARY_SYN_RATE_DEFAULT;
	return err;
}

/* Whether @t asks for other timeouts (when set) or another flood guard
 * rate (when not 0) than canary_flowcfg holds. */
bool state_timeouts_differ(struct canary_state *st,
			   const struct canary_timeouts_cfg *t)
{
	struct canary_timeouts_cfg have;

	state_read_timeouts(st, &have);
	if (t->syn_rate && t->syn_rate != have.syn_rate)
		return true;
	return t->set && (have.tcp_s != t->tcp_s ||
			  have.tcp_closing_s != t->tcp_closing_s ||
			  have.udp_s != t->udp_s);
}

int state_write_timeouts(struct canary_state *st,
			 const struct canary_timeouts_cfg *t)
{
	struct canary_flowcfg raw;
	__u32 zero = 0;

	if (!t->set && !t->syn_rate)
		return 0;
	if (read_raw(st, &raw) == -ENOENT)
		return -ENOENT;
	if (t->set) {
		raw.tcp_s = t->tcp_s;
		raw.tcp_closing_s = t->tcp_closing_s;
		raw.udp_s = t->udp_s;
	}
	if (t->syn_rate)
		raw.syn_rate = t->syn_rate;
	return bpf_map_update_elem(st->flowcfg_fd, &zero, &raw, BPF_ANY) ? -errno : 0;
}

int state_syn_skipped(struct canary_state *st, __u64 *n)
{
	int ncpu = libbpf_num_possible_cpus(), c, fd, err = 0;
	struct canary_guard *v;
	char path[PATH_MAX + 32];
	__u32 zero = 0;

	*n = 0;
	snprintf(path, sizeof(path), "%s/%s", st->pin_dir, CANARY_MAP_GUARD);
	fd = bpf_obj_get(path);
	if (fd < 0 || ncpu <= 0)
		return fd < 0 ? -errno : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v || bpf_map_lookup_elem(fd, &zero, v))
		err = v ? -errno : -ENOMEM;
	for (c = 0; !err && c < ncpu; c++)
		*n += v[c].skipped;
	free(v);
	close(fd);
	return err;
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
