// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "canary.skel.h"
#include "asserts.h"
#include "env.h"
#include "dataplane/loader.h"
#include "core/hrw_table.h"
#include "pkt.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

static char bpffs[64];
static int env_seq;

static int mount_bpffs(void)
{
	if (bpffs[0])
		return 0;
	snprintf(bpffs, sizeof(bpffs), "/tmp/canary-bpftest-%d", getpid());
	if (mkdir(bpffs, 0700) && errno != EEXIST)
		return -errno;
	if (mount("bpf", bpffs, "bpf", 0, "mode=0700")) {
		rmdir(bpffs);
		bpffs[0] = '\0';
		return -errno;
	}
	return 0;
}

void env_global_cleanup(void)
{
	if (!bpffs[0])
		return;
	/* Lazily if busy: a failed setup may still hold a pinned object. */
	if (umount(bpffs))
		umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
}

int env_setup(struct test_env *env)
{
	memset(env, 0, sizeof(*env));
	if (!ASSERT_OK(mount_bpffs(), "mount bpffs"))
		return -1;
	snprintf(env->pin_dir, sizeof(env->pin_dir), "%s/env%d", bpffs,
		 env_seq++);
	if (!ASSERT_OK(state_open(&env->st, env->pin_dir, &env->err),
		       "state_open") ||
	    !ASSERT_OK(loader_load(env->pin_dir, &env->skel, &env->err),
		       "load programs")) {
		fprintf(stderr, "  %s\n", env->err.msg);
		return -1;
	}
	/* the counter maps came with the programs */
	if (!ASSERT_OK(state_open_counters(&env->st), "open counter maps"))
		return -1;
	env->xdp_fd = bpf_program__fd(env->skel->progs.canary_xdp);
	env->tc_in_fd = bpf_program__fd(env->skel->progs.canary_tc_in);
	env->tc_out_fd = bpf_program__fd(env->skel->progs.canary_tc_out);
	return 0;
}

void env_teardown(struct test_env *env)
{
	char path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;

	if (env->skel)
		loader_close(env->skel);
	env->skel = NULL;
	state_close(&env->st);
	d = opendir(env->pin_dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", env->pin_dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(env->pin_dir);
}

static int replace_config(struct canary_config *cfg, void *arg,
			  struct canary_err *err)
{
	struct canary_config *want = arg;
	int i;

	(void)err;
	cfg->n_services = 0;
	cfg->grace_s = want->grace_s;
	cfg->node = want->node;
	cfg->timeouts = want->timeouts;
	for (i = 0; i < want->n_services; i++) {
		struct canary_service_cfg *s = config_add_service(cfg, err);

		if (!s)
			return -ENOMEM;
		*s = want->svc[i];
	}
	return 0;
}

int env_apply(struct test_env *env, struct canary_config *cfg)
{
	int ret = state_transaction(&env->st, replace_config, cfg, &env->err);

	if (ret)
		fprintf(stderr, "  apply: %s\n", env->err.msg);
	return ret;
}

int env_svc_id(struct test_env *env, const char *name)
{
	__u32 ids[CANARY_MAX_SERVICES];
	struct canary_config cfg;
	int i, id = -1;

	config_init(&cfg);
	if (!state_read_config(&env->st, &cfg, ids)) {
		i = config_find_index(&cfg, name);
		id = i < 0 ? -1 : (int)ids[i];
	}
	config_free(&cfg);
	return id;
}

/* Empties a hash map: keys first, then deletes (restarting a walk after
 * each delete would be quadratic). */
static int clear_map(int fd, size_t key_size)
{
	size_t cap = 1 << 16, n = 0, i;
	unsigned char *keys = malloc(cap * key_size), *prev = NULL;
	int err = 0;

	while (keys) {
		if (n == cap) {
			unsigned char *more = realloc(keys, 2 * cap * key_size);

			if (!more)
				break;
			keys = more;
			cap *= 2;
			prev = n ? keys + (n - 1) * key_size : NULL;
		}
		if (bpf_map_get_next_key(fd, prev, keys + n * key_size))
			break;
		prev = keys + n++ * key_size;
	}
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		if (bpf_map_delete_elem(fd, keys + i * key_size) && errno != ENOENT)
			err = -errno;
	free(keys);
	return err;
}

int env_clear_flows(struct test_env *env)
{
	int err = clear_map(env->st.flow_fd, sizeof(struct canary_flow_key));

	return err ? err : clear_map(env->st.flow6_fd,
				     sizeof(struct canary_flow6_key));
}

int env_clear_snat(struct test_env *env)
{
	int err = clear_map(bpf_map__fd(env->skel->maps.canary_snat),
			    sizeof(struct canary_snat_key));

	return err ? err : clear_map(bpf_map__fd(env->skel->maps.canary_snat6),
				     sizeof(struct canary_snat6_key));
}

/* Entries in map @fd, whose keys are at most 64 bytes. */
static int count_keys(int fd)
{
	unsigned char key[64], prev[64];
	int n = 0;

	while (bpf_map_get_next_key(fd, n ? prev : NULL, key) == 0) {
		memcpy(prev, key, sizeof(prev));
		n++;
	}
	return n;
}

int env_count_flows(struct test_env *env)
{
	return count_keys(env->st.flow_fd) + count_keys(env->st.flow6_fd);
}

static void set_version(struct canary_service_cfg *svc, int v, const char *name,
			__u16 bps, const char *const *eps, int n)
{
	int i;

	snprintf(svc->v[v].name, sizeof(svc->v[v].name), "%s", name);
	svc->v[v].weight_bps = bps;
	svc->v[v].n_endpoints = n;
	for (i = 0; i < n; i++) {
		svc->v[v].ep[i].addr = addr_v4(ip4(eps[i]));
		svc->v[v].ep[i].port = htons(5050);
	}
}

void env_seed_config(struct canary_config *cfg, __u16 v2_bps, __u8 proto)
{
	static const char *const v1[] = { "10.244.1.11", "10.244.1.12",
					  "10.244.1.13" };
	static const char *const v2[] = { "10.244.1.21" };
	struct canary_service_cfg *svc = config_add_service(cfg, NULL);

	snprintf(svc->name, sizeof(svc->name), "prod-service");
	svc->vip = addr_v4(ip4("10.96.0.10"));
	svc->port = htons(5000);
	svc->proto = proto;
	svc->n_versions = 2;
	set_version(svc, 0, "v1", CANARY_BPS_TOTAL - v2_bps, v1, 3);
	set_version(svc, 1, "v2", v2_bps, v2, 1);
}

void env_seed_v2(struct canary_config *cfg, int pct)
{
	cfg->svc[0].v[0].weight_bps = (100 - pct) * 100;
	cfg->svc[0].v[1].weight_bps = pct * 100;
}

int env_run(int prog_fd, const void *in, __u32 len, void *out, __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = PKT_MAX, .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return ENV_RUN_FAILED;
	*out_len = opts.data_size_out;
	return opts.retval;
}

static int sum_percpu(int fd, __u32 key, void *out, size_t size)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	size_t i, n = size / sizeof(__u64);
	__u64 *vals = calloc(ncpu, size), *sum = out;

	memset(out, 0, size);
	if (!vals || bpf_map_lookup_elem(fd, &key, vals)) {
		free(vals);
		return -1;
	}
	for (c = 0; c < ncpu; c++)
		for (i = 0; i < n; i++)
			sum[i] += vals[c * n + i];
	free(vals);
	return 0;
}

struct canary_global env_global(struct test_env *env)
{
	struct canary_global g;

	sum_percpu(env->st.global_fd, 0, &g, sizeof(g));
	return g;
}

struct canary_health env_health(struct test_env *env, __u32 id, __u32 version)
{
	struct canary_health h;

	sum_percpu(env->st.health_fd, id * CANARY_MAX_VERSIONS + version, &h,
		   sizeof(h));
	return h;
}

struct canary_vstats env_vstats(struct test_env *env, __u32 id, __u32 version)
{
	struct canary_vstats s;

	sum_percpu(env->st.stats_fd, id * CANARY_MAX_VERSIONS + version, &s,
		   sizeof(s));
	return s;
}

int env_predict_addr(const struct canary_service_cfg *svc,
		     const struct canary_addr *src, const struct canary_addr *dst,
		     __u16 sport, __u16 dport, __u8 proto,
		     struct canary_ep_cfg *ep)
{
	static __u8 ring[CANARY_RING_MAX_CHUNKS * CANARY_RING_CHUNK];
	struct canary_ep_cfg active[CANARY_MAX_ENDPOINTS];
	/* both families hash through the same 32-bit words */
	__be32 saddr = addr_hash_word(src), daddr = addr_hash_word(dst);
	int i, n = 0;
	__u32 m;
	static struct canary_version_cfg ver;
	__u16 cum[CANARY_MAX_VERSIONS] = {};
	struct canary_endpoint hrw[CANARY_MAX_ENDPOINTS];
	__u32 v, h;

	config_effective_cum(svc, cum);
	v = canary_pick_version(canary_flow_hash(saddr, daddr, htons(sport),
						 htons(dport), proto,
						 CANARY_SEED_VERSION),
				cum, svc->n_versions);
	if (v >= (__u32)svc->n_versions)
		return -1;
	ver = svc->v[v];
	config_sort_endpoints(&ver);
	h = canary_flow_hash(saddr, daddr, htons(sport), htons(dport), proto,
			     CANARY_SEED_ENDPOINT);
	if (ver.n_endpoints <= CANARY_HRW_MAX && !svc->local) {
		for (i = 0; i < ver.n_endpoints; i++) {
			hrw[i].addr = addr_hash_word(&ver.ep[i].addr);
			hrw[i].port = ver.ep[i].port;
			hrw[i].flags = ver.ep[i].flags;
		}
		i = canary_hrw_pick(h, hrw, ver.n_endpoints);
		if (i >= CANARY_MAX_ENDPOINTS)
			return -1;
		*ep = ver.ep[i];
		return v;
	}
	for (i = 0; i < ver.n_endpoints; i++)
		if (!(ver.ep[i].flags & CANARY_EP_F_DRAINING))
			active[n++] = ver.ep[i];
	m = hrw_table_size(n);
	if (!n || hrw_table_build(active, n, ring, m))
		return -1;
	*ep = active[ring[h % m]];
	return v;
}

int env_predict(const struct canary_service_cfg *svc, __be32 saddr,
		__be32 daddr, __u16 sport, __u16 dport, __u8 proto,
		struct canary_endpoint *ep)
{
	struct canary_addr s = addr_v4(saddr), d = addr_v4(daddr);
	struct canary_ep_cfg e = {};
	int v = env_predict_addr(svc, &s, &d, sport, dport, proto, &e);

	*ep = (struct canary_endpoint){ .addr = e.addr.v4, .port = e.port,
					.flags = e.flags };
	return v;
}

int env_run_spec(int prog_fd, const struct pkt_spec *s, struct pkt_view *v)
{
	static __u8 in[PKT_MAX], out[PKT_MAX];
	__u32 len = pkt_build(s, in), out_len = 0;
	int ret = env_run(prog_fd, in, len, out, &out_len);

	if (ret == ENV_RUN_FAILED)
		return ret;
	*v = pkt_parse(out, out_len);
	return ret;
}
