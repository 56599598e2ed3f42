/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The running state: the pinned maps under the pin directory, a lock that
 * serializes every canary-bpf process changing them, and config
 * transactions (read the live config, edit, write each changed service
 * into a config slot no packet reads, flip that service).
 */
#ifndef CANARY_USER_STATE_H
#define CANARY_USER_STATE_H

#include <limits.h>
#include "core/config.h"

#define CANARY_DEFAULT_PIN_DIR "/sys/fs/bpf/canary-bpf"
#define CANARY_PIN_DIR_ENV "CANARY_BPF_PIN_DIR"

struct canary_state {
	char pin_dir[PATH_MAX];
	int dir_fd;   /* the pin dir, flock()ed while we hold the state */
	int gen_fd;
	int svc_fd;
	int ver_fd;
	int meta_fd;
	int flow_fd;
	int backend_fd;
	int stats_fd;           /* -1 until the programs are loaded */
	int global_fd;
	int tx_fd;
	int ring_fd;
	int node_fd;
	int ustat_fd;
	int pins_fd;
	int pinstat_fd;         /* -1 until the programs are loaded */
	/* IPv6 twins of svc, ver, flow, backend and pins */
	int svc6_fd;
	int ver6_fd;
	int flow6_fd;
	int backend6_fd;
	int pins6_fd;
	/* canary_port; -1 in a pin dir made before it existed, until an
	 * attach loads this build (state_open_port) */
	int port_fd;
	/* canary_txn; -1 likewise (see include/canary.h) */
	int txn_fd;
	/* canary_vips; -1 until programs of a build that has it are loaded
	 * (commits open it when they find it) */
	int vips_fd;
	/* canary_flowcfg and canary_clock; -1 likewise */
	int flowcfg_fd;
	int clock_fd;
	/* canary_health and canary_svcguard; -1 likewise until an attach
	 * loads a build that has them */
	int health_fd;
	int svcguard_fd;
	/* canary_names; -1 likewise */
	int names_fd;
};

/* Opens canary_vips if pinned and not open yet; 0 or -errno. */
int state_open_vips(struct canary_state *st);

/* The pin dir in effect: --pin-dir, else $CANARY_BPF_PIN_DIR, else the
 * default. */
const char *state_pin_dir(const char *opt);

/*
 * Makes sure @dir is a directory on bpffs (mounting bpffs on /sys/fs/bpf
 * for the default dir when nothing is mounted there), takes the lock and
 * opens the pinned maps, creating them by loading the BPF object if they
 * do not exist yet. Returns an exit code (EXIT_OK, EXIT_FAIL, EXIT_USAGE),
 * with the reason in @err when it is not EXIT_OK. The caller reports it;
 * st is then safe to state_close().
 */
int state_open(struct canary_state *st, const char *dir,
	       struct canary_err *err);
/* Like state_open() but never creates anything: EXIT_FAIL with a message
 * when nothing is pinned. For read-only commands. */
int state_open_existing(struct canary_state *st, const char *dir,
			struct canary_err *err);
/* Like state_open_existing() without taking the lock, for readers:
 * status and /metrics read the live generation with
 * state_read_snapshot(), which writers never touch (see state_read.c);
 * flows list may see a change half made. Never for writers. */
int state_open_unlocked(struct canary_state *st, const char *dir,
			struct canary_err *err);
void state_close(struct canary_state *st);
/* Opens canary_port if it is pinned and not open yet; 0 or -errno. */
int state_open_port(struct canary_state *st);
/* Opens canary_stats and canary_pinstat if they were not pinned when
 * @st was opened (the programs' first load creates them); 0 when both
 * are open. */
int state_open_counters(struct canary_state *st);

/* This node as the maps hold it (node->set: anything was ever written). */
void state_read_node(struct canary_state *st, struct canary_node_cfg *node);

/* The flow idle timeouts in effect (defaults for zero fields, and for
 * all when canary_flowcfg is not pinned: then -ENOENT); 0 or -errno. */
int state_read_timeouts(struct canary_state *st, struct canary_timeouts_cfg *t);
/* Whether @t asks for other timeouts (when set) or another flood guard
 * rate (when not 0) than canary_flowcfg holds. */
bool state_timeouts_differ(struct canary_state *st,
			   const struct canary_timeouts_cfg *t);
/* SYNs the flood guard left unrecorded, all CPUs, into @n; 0 or -errno
 * (-ENOENT: canary_guard not pinned). */
int state_syn_skipped(struct canary_state *st, __u64 *n);
/* The flow clock's now (see canary_clock in include/canary.h) into
 * @ns; -ENOENT while no program has published it (or it is not pinned). */
int state_flow_clock(struct canary_state *st, __u64 *ns);
/* Writes @t's timeouts (when set) and flood guard rate (when not 0) into
 * canary_flowcfg; 0, -ENOENT (not pinned: programs
 * older than flow timeouts) or -errno. */
int state_write_timeouts(struct canary_state *st,
			 const struct canary_timeouts_cfg *t);

/* Service @id's live config slot (canary_svc_v2), or -ENOENT. */
int state_service_slot(struct canary_state *st, __u32 id);
/* Service @id's canary_meta in its live slot; 0 or -errno. */
int state_read_meta(struct canary_state *st, __u32 id, struct canary_meta *m);
/* The live config into @cfg (initialized; emptied first), and in @ids
 * (CANARY_MAX_SERVICES entries) each service's id, in order. Consistent
 * with or without the lock: read again when a flip came meanwhile.
 * 0 or a negative errno. */
int state_read_config(struct canary_state *st, struct canary_config *cfg,
		      __u32 *ids);
/* The same into @packed (initialized; emptied first): for a caller that
 * compares what runs with a config and needs it whole only when they
 * differ (config_packed_to_config()). */
int state_read_packed(struct canary_state *st, struct config_packed *packed,
		      __u32 *ids);
/* The same, and with @base each service's new-flow counters when its
 * weights last changed (canary_meta's flows_base), with @only just the
 * service of that name (-ENOENT if none), with @gen the generation read. */
int state_read_snapshot(struct canary_state *st, struct canary_config *cfg,
			__u32 *ids, __u64 (*base)[CANARY_MAX_VERSIONS],
			const char *only, int *gen);
/*
 * A config edit: changes @cfg in place. Returns 0, or -EINVAL for a usage
 * error (message in @err: nothing is written), or another negative errno.
 */
typedef int (*config_edit_fn)(struct canary_config *cfg, void *arg,
			      struct canary_err *err);

/* Reads the live config, applies @edit, validates, writes each service
 * that changed into its spare config slot and flips it (one service at a
 * time: each service's change is atomic, the file's as a whole is not). Returns an exit code
 * (EXIT_USAGE when @edit or validation refused the change, which is then
 * not written), with the reason in @err when it is not EXIT_OK. */
int state_transaction(struct canary_state *st, config_edit_fn edit, void *arg,
		      struct canary_err *err);
/* The same on @old, the running config with its service ids as
 * state_read_config() read it under this lock (the agent reads it first to
 * plan its edit). */
int state_transaction_on(struct canary_state *st,
			 const struct canary_config *old, const __u32 *old_ids,
			 config_edit_fn edit, void *arg, struct canary_err *err);

/*
 * state_transaction() for an edit of service @name alone that keeps its
 * VIP, protocol and ports (weights, endpoints, pins): that service is read
 * and written, entry by entry, and no other (CANARY_SVC_F_SHARED aside),
 * so the cost does not grow with the number of services. An edit that
 * reaches further (or a service that is not there) runs as
 * state_transaction() instead.
 */
int state_transaction_service(struct canary_state *st, const char *name,
			      config_edit_fn edit, void *arg,
			      struct canary_err *err);

/* Active generation, or -1. */
int state_active_gen(struct canary_state *st);
/*
 * How many steps a walk over the flow table may take: the data plane
 * inserts and evicts meanwhile, and a walk whose last key was evicted
 * starts again from the first, so an unbounded walk may not end.
 */
__u32 state_flow_walk_limit(struct canary_state *st);
/* Adds @n to the flow entries canary-bpf removed (for the eviction count). */
void state_count_deleted_flows(struct canary_state *st, __u64 n);
/* The live generations (canary_gen); 0 or a negative errno. */
int state_genstate(struct canary_state *st, struct canary_genstate *gs);

/*
 * For the config transactions (state_*.c). The keys (and, with @vals,
 * the values) of generation @gen in config hash map @fd, whose keys carry
 * the generation at byte @gen_off: packed arrays of *@n entries, to free.
 * Small values are read in batches, one syscall per 4,096 entries.
 */
int state_gen_entries(int fd, size_t key_size, size_t gen_off, __u32 gen,
		      void **keys, void **vals, size_t *n);
/* Makes generation @gen's canary_backend and canary_backend6 entries
 * those of @cfg, writing only what differs, and sets @shared[i] (one per
 * service of @cfg) when an endpoint of service i (address, target port,
 * protocol) also serves another service port: only such a service's new
 * flows can clash (CANARY_SVC_F_SHARED). */
int state_write_backends(struct canary_state *st,
			 const struct canary_config *cfg, __u32 gen,
			 bool *shared);

#endif /* CANARY_USER_STATE_H */
