// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What one generation of a config hash map holds, in memory, sorted by
 * key: a transaction rewriting a clean generation compares each entry it
 * would write with what is there, writes only those that differ, and
 * deletes the ones nobody wrote (see state_int.h).
 */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "dataplane/state_int.h"

static int rec_cmp(const void *a, const void *b, void *key_size)
{
	return memcmp(a, b, *(size_t *)key_size);
}

int kv_set_load(struct kv_set *s, int fd, size_t key_size, size_t gen_off,
		__u32 gen)
{
	unsigned char *keys, *vals;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	size_t i, rs;
	int err;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->ks = key_size;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	s->vs = info.value_size;
	err = state_gen_entries(fd, key_size, gen_off, gen, (void **)&keys,
				(void **)&vals, &s->n);
	if (err)
		return err;
	rs = s->ks + s->vs;
	s->rec = malloc(s->n * rs + 1);
	s->needed = calloc(s->n + 1, sizeof(*s->needed));
	if (!s->rec || !s->needed)
		err = -ENOMEM;
	for (i = 0; !err && i < s->n; i++) {
		memcpy(s->rec + i * rs, keys + i * s->ks, s->ks);
		memcpy(s->rec + i * rs + s->ks, vals + i * s->vs, s->vs);
	}
	if (!err)
		qsort_r(s->rec, s->n, rs, rec_cmp, &s->ks);
	free(keys);
	free(vals);
	return err;
}

long state_find_rec(const void *recs, size_t n, size_t stride, size_t ks,
		    const void *key)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = memcmp((const unsigned char *)recs + mid * stride, key, ks);
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The index of @key's record in @s, or -1. */
static long find(const struct kv_set *s, const void *key)
{
	return state_find_rec(s->rec, s->n, s->ks + s->vs, s->ks, key);
}

const void *kv_set_get(const struct kv_set *s, const void *key)
{
	long i = find(s, key);

	return i < 0 ? NULL : s->rec + i * (s->ks + s->vs) + s->ks;
}

bool kv_set_same(struct kv_set *s, const void *key, const void *val)
{
	long i = find(s, key);

	if (i < 0)
		return false;
	s->needed[i] = true;
	return !memcmp(s->rec + i * (s->ks + s->vs) + s->ks, val, s->vs);
}

int kv_set_prune(struct kv_set *s)
{
	size_t i, rs = s->ks + s->vs;

	for (i = 0; i < s->n; i++)
		if (!s->needed[i] && bpf_map_delete_elem(s->fd, s->rec + i * rs) &&
		    errno != ENOENT)
			return -errno;
	return 0;
}

void kv_set_free(struct kv_set *s)
{
	free(s->rec);
	free(s->needed);
	memset(s, 0, sizeof(*s));
}
