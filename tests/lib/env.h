/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A test environment: a private bpffs mounted under /tmp, a pin dir in it
 * holding the real maps, the real programs loaded against them, and the
 * config written by the same code the CLI uses (state_transaction).
 */
#ifndef CANARY_TEST_ENV_H
#define CANARY_TEST_ENV_H

#include <limits.h>
#include <linux/types.h>

#include "core/config.h"
#include "dataplane/state.h"

struct canary_bpf;

struct test_env {
	char pin_dir[PATH_MAX];
	struct canary_state st;
	struct canary_bpf *skel;
	int xdp_fd;
	int tc_in_fd;
	int tc_out_fd;
	/* why the last env_setup() or env_apply() failed (also on stderr) */
	struct canary_err err;
};

/* Returns 0 or -1 (and the test has failed). */
int env_setup(struct test_env *env);
void env_teardown(struct test_env *env);
/* Unmounts the bpffs; called once by the runner. */
void env_global_cleanup(void);

/* Makes the running config exactly @cfg. Returns the CLI's exit code. */
int env_apply(struct test_env *env, struct canary_config *cfg);
/* The id of service @name in the running config, or -1. */
int env_svc_id(struct test_env *env, const char *name);
/* Empties the flow tables (IPv4 and IPv6). */
int env_clear_flows(struct test_env *env);
/* Empties the SNAT ways back (IPv4 and IPv6), as their LRU evicting
 * them would. */
int env_clear_snat(struct test_env *env);
/* Number of entries in the flow tables (IPv4 and IPv6). */
int env_count_flows(struct test_env *env);

/* The seed service: prod-service 10.96.0.10:5000/tcp, v1 on
 * 10.244.1.11-13:5050, v2 on 10.244.1.21:5050, v2 at @v2_bps. */
void env_seed_config(struct canary_config *cfg, __u16 v2_bps, __u8 proto);
/* Puts v2 of the seed service (cfg->svc[0]) at @pct percent, v1 at the
 * rest; env_apply() makes it live. */
void env_seed_v2(struct canary_config *cfg, int pct);

/* Runs @prog_fd on @in (of @len bytes) once; @out gets the result frame
 * (PKT_MAX bytes of room). Returns the program's return value (tc's
 * TC_ACT_UNSPEC is -1), or ENV_RUN_FAILED. */
#define ENV_RUN_FAILED (-1000)
int env_run(int prog_fd, const void *in, __u32 len, void *out, __u32 *out_len);

struct canary_global env_global(struct test_env *env);
struct canary_vstats env_vstats(struct test_env *env, __u32 id, __u32 version);
/* Connection outcomes of service @id's version @version, all CPUs. */
struct canary_health env_health(struct test_env *env, __u32 id, __u32 version);

/*
 * What the data plane must choose for a new flow under @svc, computed in
 * user space from the shared hash and the Maglev table: returns the
 * version index (or -1 when none) and the endpoint in @ep.
 */
int env_predict(const struct canary_service_cfg *svc, __be32 saddr,
		__be32 daddr, __u16 sport, __u16 dport, __u8 proto,
		struct canary_endpoint *ep);
/* env_predict() for either family: an IPv6 flow hashes its addresses
 * folded (addr_hash_word()), like the data plane. */
int env_predict_addr(const struct canary_service_cfg *svc,
		     const struct canary_addr *saddr,
		     const struct canary_addr *daddr, __u16 sport, __u16 dport,
		     __u8 proto, struct canary_ep_cfg *ep);


struct pkt_spec;
struct pkt_view;
/* Builds @s, runs @prog_fd on it, parses the result into @v. Returns the
 * program's return value, or ENV_RUN_FAILED. */
int env_run_spec(int prog_fd, const struct pkt_spec *s, struct pkt_view *v);

#endif /* CANARY_TEST_ENV_H */
