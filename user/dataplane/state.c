// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>

#include "dataplane/loader.h"
#include "util/log.h"
#include "dataplane/privs.h"
#include "dataplane/state.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

const char *state_pin_dir(const char *opt)
{
	const char *env = getenv(CANARY_PIN_DIR_ENV);

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return CANARY_DEFAULT_PIN_DIR;
}

static bool on_bpffs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC;
}

/* The default pin dir lives in /sys/fs/bpf, which may not be mounted yet. */
static int mount_default_bpffs(struct canary_err *err)
{
	if (on_bpffs("/sys/fs/bpf"))
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		cerr_set(err, "Couldn't mount bpffs on /sys/fs/bpf: %s",
			 strerror(errno));
		return EXIT_FAIL;
	}
	pr_info("mounted bpffs on /sys/fs/bpf\n");
	return 0;
}

static int nothing_pinned(const char *dir, struct canary_err *err)
{
	cerr_set(err, "nothing is pinned under '%s': run 'canary-bpf attach' "
		 "or 'canary-bpf apply' first", dir);
	return EXIT_FAIL;
}

/* Makes @dir exist as a directory on bpffs. */
static int prepare_dir(const char *dir, bool create, struct canary_err *err)
{
	char parent[PATH_MAX];
	char *slash;

	if (!strcmp(dir, CANARY_DEFAULT_PIN_DIR) && create &&
	    mount_default_bpffs(err))
		return EXIT_FAIL;
	if (on_bpffs(dir))
		return EXIT_OK;
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (access(dir, F_OK) == 0 || !on_bpffs(parent)) {
		cerr_set(err, "--pin-dir '%s': not on a bpf filesystem (mount "
			 "one with 'mount -t bpf bpf DIR')", dir);
		return EXIT_USAGE;
	}
	if (!create)
		return nothing_pinned(dir, err);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		cerr_set(err, "Couldn't create pin dir '%s': %s", dir,
			 strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int lock_dir(struct canary_state *st, struct canary_err *err)
{
	st->dir_fd = open(st->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dir_fd < 0) {
		cerr_set(err, "Couldn't open pin dir '%s': %s", st->pin_dir,
			 strerror(errno));
		return EXIT_FAIL;
	}
	if (flock(st->dir_fd, LOCK_EX)) {
		cerr_set(err, "Couldn't lock pin dir '%s': %s", st->pin_dir,
			 strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int get_map(struct canary_state *st, const char *name, int *fd)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", st->pin_dir, name);
	*fd = bpf_obj_get(path);
	return *fd < 0 ? -errno : 0;
}

static int open_maps(struct canary_state *st)
{
	struct {
		const char *name;
		int *fd;
	} maps[] = {
		{ CANARY_MAP_GEN, &st->gen_fd },
		{ CANARY_MAP_SVC, &st->svc_fd },
		{ CANARY_MAP_VER, &st->ver_fd },
		{ CANARY_MAP_META, &st->meta_fd },
		{ CANARY_MAP_FLOW, &st->flow_fd },
		{ CANARY_MAP_BACKEND, &st->backend_fd },
		{ CANARY_MAP_GLOBAL, &st->global_fd },
		{ CANARY_MAP_TX, &st->tx_fd },
		{ CANARY_MAP_RING, &st->ring_fd },
		{ CANARY_MAP_NODE, &st->node_fd },
		{ CANARY_MAP_USTAT, &st->ustat_fd },
		{ CANARY_MAP_PINS, &st->pins_fd },
		{ CANARY_MAP_SVC6, &st->svc6_fd },
		{ CANARY_MAP_VER6, &st->ver6_fd },
		{ CANARY_MAP_FLOW6, &st->flow6_fd },
		{ CANARY_MAP_BACKEND6, &st->backend6_fd },
		{ CANARY_MAP_PINS6, &st->pins6_fd },
	};
	size_t i;
	int err;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		err = get_map(st, maps[i].name, maps[i].fd);
		if (err)
			return err;
	}
	state_open_port(st);
	if (get_map(st, CANARY_MAP_TXN, &st->txn_fd))
		st->txn_fd = -1;
	if (get_map(st, CANARY_MAP_FLOWCFG, &st->flowcfg_fd))
		st->flowcfg_fd = st->clock_fd = -1;
	if (get_map(st, CANARY_MAP_CLOCK, &st->clock_fd))
		st->clock_fd = -1;
	if (get_map(st, CANARY_MAP_HEALTH, &st->health_fd))
		st->health_fd = -1;
	if (get_map(st, CANARY_MAP_SVCGUARD, &st->svcguard_fd))
		st->svcguard_fd = -1;
	if (get_map(st, CANARY_MAP_NAMES, &st->names_fd))
		st->names_fd = -1;
	/* Created with the programs (loader_load_maps() leaves them out):
	 * until then, every counter reads as zero. */
	state_open_counters(st);
	return 0;
}

int state_open_vips(struct canary_state *st)
{
	return st->vips_fd >= 0 ? 0 : get_map(st, CANARY_MAP_VIPS, &st->vips_fd);
}

int state_open_counters(struct canary_state *st)
{
	if (st->stats_fd < 0 && get_map(st, CANARY_MAP_STATS, &st->stats_fd))
		st->stats_fd = -1;
	if (st->pinstat_fd < 0 &&
	    get_map(st, CANARY_MAP_PINSTATS, &st->pinstat_fd))
		st->pinstat_fd = -1;
	return st->stats_fd >= 0 && st->pinstat_fd >= 0 ? 0 : -ENOENT;
}

int state_open_port(struct canary_state *st)
{
	return st->port_fd >= 0 ? 0 : get_map(st, CANARY_MAP_PORT, &st->port_fd);
}

static void state_init(struct canary_state *st, const char *dir)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->pin_dir, sizeof(st->pin_dir), "%s", dir);
	st->dir_fd = st->gen_fd = st->svc_fd = st->ver_fd = st->meta_fd = -1;
	st->flow_fd = st->backend_fd = st->stats_fd = st->global_fd = -1;
	st->tx_fd = st->pins_fd = st->pinstat_fd = st->ring_fd = -1;
	st->node_fd = st->ustat_fd = -1;
	st->svc6_fd = st->ver6_fd = st->flow6_fd = st->backend6_fd = -1;
	st->pins6_fd = st->port_fd = st->txn_fd = st->vips_fd = -1;
	st->flowcfg_fd = -1;
	st->health_fd = st->svcguard_fd = st->names_fd = -1;
}

static int do_open(struct canary_state *st, const char *dir, bool create,
		   bool lock, struct canary_err *err)
{
	struct canary_bpf *skel;
	int ret;

	state_init(st, dir);
	ret = privs_check(err);
	if (!ret)
		ret = prepare_dir(dir, create, err);
	if (ret)
		return ret;
	ret = lock ? lock_dir(st, err) : EXIT_OK;
	if (ret)
		return ret;
	if (open_maps(st) == 0)
		return EXIT_OK;
	if (!create)
		return nothing_pinned(dir, err);
	/* First use of this pin dir: loading the object creates the maps
	 * (not the programs: attach loads those). */
	if (loader_load_maps(st->pin_dir, &skel, err))
		return EXIT_FAIL;
	loader_close(skel);
	if (open_maps(st)) {
		cerr_set(err, "Couldn't open the maps pinned under '%s': %s",
			 st->pin_dir, strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int state_open(struct canary_state *st, const char *dir,
	       struct canary_err *err)
{
	return do_open(st, dir, true, true, err);
}

int state_open_existing(struct canary_state *st, const char *dir,
			struct canary_err *err)
{
	return do_open(st, dir, false, true, err);
}

int state_open_unlocked(struct canary_state *st, const char *dir,
			struct canary_err *err)
{
	return do_open(st, dir, false, false, err);
}

void state_close(struct canary_state *st)
{
	int *fds[] = { &st->gen_fd,  &st->svc_fd,   &st->ver_fd,
		       &st->meta_fd, &st->flow_fd,  &st->backend_fd,
		       &st->stats_fd, &st->global_fd, &st->tx_fd,
		       &st->pins_fd,  &st->pinstat_fd, &st->ring_fd, &st->node_fd,
		       &st->ustat_fd, &st->svc6_fd, &st->ver6_fd,
		       &st->flow6_fd, &st->backend6_fd, &st->pins6_fd,
		       &st->port_fd, &st->txn_fd, &st->vips_fd, &st->flowcfg_fd,
		       &st->clock_fd, &st->health_fd, &st->svcguard_fd,
		       &st->names_fd, &st->dir_fd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int state_genstate(struct canary_state *st, struct canary_genstate *gs)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(st->gen_fd, &zero, gs))
		return -errno;
	if (gs->active >= CANARY_GENERATIONS || gs->prev >= CANARY_GENERATIONS)
		return -EINVAL;
	return 0;
}

int state_active_gen(struct canary_state *st)
{
	struct canary_genstate gs;

	return state_genstate(st, &gs) ? -1 : (int)gs.active;
}

void state_count_deleted_flows(struct canary_state *st, __u64 n)
{
	struct canary_ustat u = {};
	__u32 zero = 0;

	if (!n || bpf_map_lookup_elem(st->ustat_fd, &zero, &u))
		return;
	u.flows_deleted += n;
	bpf_map_update_elem(st->ustat_fd, &zero, &u, BPF_ANY);
}

__u32 state_flow_walk_limit(struct canary_state *st)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(st->flow_fd, &info, &len))
		return CANARY_FLOW_ENTRIES * 2;
	return info.max_entries * 2;
}
