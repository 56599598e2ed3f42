// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "canary.h"
#include "canary.skel.h"
#include "dataplane/migrate.h"
#include "util/log.h"

/* canary_meta's entries before the IPv6 fields: the same layout as
 * struct canary_meta up to and including ports[] and a zero word where
 * family now is. */
#define OLD_META_SIZE 352
_Static_assert(OLD_META_SIZE <= sizeof(struct canary_meta), "old meta size");

struct old_map {
	const char *name;     /* pinned name in the older release */
	__u32 key_size, value_size;
	int (*copy)(int from, int to);
};

static int copy_meta(int from, int to)
{
	unsigned char old[OLD_META_SIZE];
	struct canary_meta m;
	__u32 id;

	for (id = 0; id < CANARY_MAX_SERVICES * CANARY_GENERATIONS; id++) {
		if (bpf_map_lookup_elem(from, &id, old))
			return -errno;
		if (!old[0]) /* in_use */
			continue;
		memset(&m, 0, sizeof(m));
		memcpy(&m, old, sizeof(old));
		m.family = CANARY_FAMILY_IPV4;
		if (bpf_map_update_elem(to, &id, &m, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* canary_meta_v2 (an array of every id in every generation) into
 * canary_meta_v3 (a hash): the entries in use, as they are. */
static int copy_meta_v2(int from, int to)
{
	static struct canary_meta m;
	__u32 id;

	for (id = 0; id < CANARY_MAX_SERVICES * CANARY_GENERATIONS; id++) {
		if (bpf_map_lookup_elem(from, &id, &m))
			return -errno;
		if (m.in_use && bpf_map_update_elem(to, &id, &m, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int copy_ring(int from, int to)
{
	struct canary_ring_key k, prev;
	static struct canary_ring chunk;
	bool first = true;

	while (!bpf_map_get_next_key(from, first ? NULL : &prev, &k)) {
		first = false;
		prev = k;
		if (bpf_map_lookup_elem(from, &k, &chunk)) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (bpf_map_update_elem(to, &k, &chunk, BPF_ANY))
			return -errno;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* canary_node (16 bytes, IPv4 only) into canary_node_v2: the same first
 * 16 bytes, no IPv6 address or pod CIDR. */
static int copy_node(int from, int to)
{
	struct canary_node n = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(from, &zero, &n))
		return -errno;
	return bpf_map_update_elem(to, &zero, &n, BPF_ANY) ? -errno : 0;
}

/* A flow table of an older layout (keys of @key_size bytes) into its
 * successor: each value's bytes are the successor's first ones, the rest
 * zero (IPv6 flows before v2 were never source-NATed: snat_port 0; no
 * handshake followed: CANARY_FLOW_HS_* 0). Keys first: the LRU may evict
 * under the walk. */
static int copy_flows(int from, int to, size_t key_size)
{
	unsigned char k[sizeof(struct canary_flow6_key)], prev[sizeof(k)];
	union {
		struct canary_flow v4;
		struct canary_flow6 v6;
	} f;
	bool first = true;

	while (!bpf_map_get_next_key(from, first ? NULL : prev, k)) {
		first = false;
		memcpy(prev, k, key_size);
		memset(&f, 0, sizeof(f));
		if (bpf_map_lookup_elem(from, k, &f)) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (bpf_map_update_elem(to, k, &f, BPF_ANY))
			return -errno;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int copy_flow(int from, int to)
{
	_Static_assert(CANARY_FLOW_V1_SIZE <= sizeof(struct canary_flow),
		       "old flow size");
	return copy_flows(from, to, sizeof(struct canary_flow_key));
}

static int copy_flow6(int from, int to)
{
	_Static_assert(CANARY_FLOW6_V2_SIZE <= sizeof(struct canary_flow6),
		       "old flow6 size");
	return copy_flows(from, to, sizeof(struct canary_flow6_key));
}

/* canary_hs and canary_hs6 (handshakes in flight, now in the flow
 * entries): not carried; the connections in handshake during the
 * upgrade (a few milliseconds' worth) are counted new, not timed. */
static int drop_hs(int from, int to)
{
	(void)from;
	(void)to;
	return 0;
}

/* canary_gen as the older release left it, read before its canary_svc
 * is carried over (the map itself is reused). */
static struct canary_genstate old_gen;

/* Old canary_svc (@k6: canary_svc6) key @k with its generation byte at
 * @gen_off set to @gen: the entry's value into @v; 0 or -ENOENT. */
static int old_svc_at(int from, void *k, size_t gen_off, __u32 gen,
		      struct canary_svc *v)
{
	((__u8 *)k)[gen_off] = gen;
	return bpf_map_lookup_elem(from, k, v) ? -ENOENT : 0;
}

/*
 * One family's canary_svc (keys of @ks bytes, generation at @gen_off)
 * into its successor: each service of the live generation becomes an
 * entry whose live slot is that generation and whose previous slot is
 * the previous generation while its grace lasts. Every slot keeps the
 * entries it had (canary_ver, canary_ring_v2, canary_pins, canary_meta_v2
 * key them by the same byte), so nothing else is copied.
 */
static int copy_svc_family(int from, int to, size_t ks, size_t gen_off)
{
	unsigned char k[20], prev_k[20], nk[20];
	__u32 active = old_gen.active, prev = old_gen.prev;
	struct canary_svc_slots e;
	bool first = true;

	while (!bpf_map_get_next_key(from, first ? NULL : prev_k, k)) {
		first = false;
		memcpy(prev_k, k, ks);
		if (k[gen_off] != active)
			continue;
		memset(&e, 0, sizeof(e));
		memcpy(nk, k, ks);
		if (old_svc_at(from, nk, gen_off, active, &e.live))
			continue;
		e.slot = e.prev_slot = active;
		if (prev != active && prev < CANARY_GENERATIONS &&
		    !old_svc_at(from, nk, gen_off, prev, &e.prev) &&
		    e.prev.id == e.live.id) {
			e.prev_slot = prev;
			e.prev_until_ns = old_gen.prev_until_ns;
		}
		e.flip_ns = old_gen.prev_until_ns - old_gen.grace_ns;
		nk[gen_off] = 0; /* the reserved byte now */
		if (bpf_map_update_elem(to, nk, &e, BPF_ANY))
			return -errno;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int copy_svc(int from, int to)
{
	return copy_svc_family(from, to, sizeof(struct canary_svc_key),
			       offsetof(struct canary_svc_key, reserved));
}

static int copy_svc6(int from, int to)
{
	return copy_svc_family(from, to, sizeof(struct canary_svc6_key),
			       offsetof(struct canary_svc6_key, reserved));
}

static const struct old_map old_maps[] = {
	{ "canary_meta", sizeof(__u32), OLD_META_SIZE, copy_meta },
	{ "canary_meta_v2", sizeof(__u32), sizeof(struct canary_meta),
	  copy_meta_v2 },
	{ "canary_ring", sizeof(struct canary_ring_key),
	  sizeof(struct canary_ring), copy_ring },
	{ "canary_node", sizeof(__u32), CANARY_NODE_V1_SIZE, copy_node },
	{ "canary_flow", sizeof(struct canary_flow_key), CANARY_FLOW_V1_SIZE,
	  copy_flow },
	{ "canary_flow6", sizeof(struct canary_flow6_key), CANARY_FLOW6_V1_SIZE,
	  copy_flow6 },
	{ "canary_flow6_v2", sizeof(struct canary_flow6_key),
	  CANARY_FLOW6_V2_SIZE, copy_flow6 },
	{ "canary_hs", sizeof(struct canary_flow_key), sizeof(struct canary_hs),
	  drop_hs },
	{ "canary_hs6", sizeof(struct canary_flow6_key),
	  sizeof(struct canary_hs), drop_hs },
	{ "canary_svc", sizeof(struct canary_svc_key), sizeof(struct canary_svc),
	  copy_svc },
	{ "canary_svc6", sizeof(struct canary_svc6_key),
	  sizeof(struct canary_svc), copy_svc6 },
};

/* Copies old map @o pinned at @path into @to, then unpins it. */
static int migrate_one(const struct old_map *o, const char *path, int to,
		       struct canary_err *cerr)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path), err;

	if (fd < 0 && errno == ENOENT)
		return 0;
	err = fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (err)
		cerr_set(cerr, "Couldn't read the old map pinned at '%s': %s",
			 path, strerror(-err));
	if (!err && (info.key_size != o->key_size ||
		     info.value_size != o->value_size)) {
		cerr_set(cerr, "map '%s' pinned at '%s' has %u-byte keys and "
			 "%u-byte values, not an older canary-bpf's %u and %u: "
			 "detach every interface and remove the pin dir first",
			 o->name, path, info.key_size, info.value_size,
			 o->key_size, o->value_size);
		err = -EINVAL;
	}
	if (!err) {
		err = o->copy(fd, to);
		if (err)
			cerr_set(cerr, "Couldn't carry map '%s' over from '%s': %s",
				 o->name, path, strerror(-err));
	}
	if (fd >= 0)
		close(fd);
	if (!err && unlink(path)) {
		err = -errno;
		cerr_set(cerr, "Couldn't unpin the old map '%s': %s", path,
			 strerror(-err));
	}
	if (!err)
		pr_info("carried the old map '%s' over into its successor", o->name);
	return err;
}

int migrate_old_maps(const char *pin_dir, struct canary_bpf *skel,
		     struct canary_err *cerr)
{
	int to[] = { bpf_map__fd(skel->maps.canary_meta_v3),
		     bpf_map__fd(skel->maps.canary_meta_v3),
		     bpf_map__fd(skel->maps.canary_ring_v2),
		     bpf_map__fd(skel->maps.canary_node_v2),
		     bpf_map__fd(skel->maps.canary_flow_v3),
		     bpf_map__fd(skel->maps.canary_flow6_v3),
		     bpf_map__fd(skel->maps.canary_flow6_v3),
		     bpf_map__fd(skel->maps.canary_flow_v3), /* none: dropped */
		     bpf_map__fd(skel->maps.canary_flow6_v3),
		     bpf_map__fd(skel->maps.canary_svc_v2),
		     bpf_map__fd(skel->maps.canary_svc6_v2) };
	char path[PATH_MAX + 32];
	__u32 zero = 0;
	size_t i;
	int err;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.canary_gen), &zero,
				&old_gen))
		memset(&old_gen, 0, sizeof(old_gen));
	if (old_gen.active >= CANARY_GENERATIONS)
		old_gen.active = 0;

	_Static_assert(sizeof(to) / sizeof(to[0]) ==
			       sizeof(old_maps) / sizeof(old_maps[0]),
		       "one successor per old map");
	for (i = 0; i < sizeof(old_maps) / sizeof(old_maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, old_maps[i].name);
		err = migrate_one(&old_maps[i], path, to[i], cerr);
		if (err)
			return err;
	}
	return 0;
}
