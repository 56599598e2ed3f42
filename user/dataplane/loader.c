// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
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
#include "dataplane/loader.h"
#include "dataplane/migrate.h"
#include "dataplane/privs.h"

/* canary_tx is pinned here rather than by libbpf (see bpf/maps.h). */
static int reuse_tx_map(struct canary_bpf *skel, const char *path)
{
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return 0;
	err = bpf_map__reuse_fd(skel->maps.canary_tx, fd);
	close(fd);
	return err;
}

static int pin_tx_map(struct canary_bpf *skel, const char *path)
{
	if (access(path, F_OK) == 0)
		return 0;
	return bpf_map__pin(skel->maps.canary_tx, path);
}

static __u32 flow_entries; /* 0: the pinned table's size, or the default */

void loader_set_flow_entries(__u32 n)
{
	flow_entries = n;
}

/* The flow tables of both families and the SNAT ways back (one per
 * SNATed flow) share a size. */
static int set_flow_size(struct canary_bpf *skel, __u32 n)
{
	int err = bpf_map__set_max_entries(skel->maps.canary_flow_v3, n);

	if (!err)
		err = bpf_map__set_max_entries(skel->maps.canary_flow6_v3, n);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.canary_snat6, n);
	return err ? err : bpf_map__set_max_entries(skel->maps.canary_snat, n);
}

/* The flow table's size: a pinned table keeps its own (resizing means a
 * new, empty table), or the one an older release pinned under its old
 * name (migrate.c carries its flows over); otherwise the size asked for,
 * or the default. */
static int size_flow_table(struct canary_bpf *skel, const char *pin_dir,
			   struct canary_err *cerr)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX + 32];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, CANARY_MAP_FLOW);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/canary_flow", pin_dir);
		fd = bpf_obj_get(path);
	}
	if (fd < 0)
		return flow_entries ? set_flow_size(skel, flow_entries) : 0;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (flow_entries && info.max_entries != flow_entries) {
		cerr_set(cerr, "the flow table pinned at '%s' holds %u flows, "
			 "not %u: resizing it would lose every flow; to resize, "
			 "detach every interface, remove the pin dir '%s', then "
			 "attach with --flow-entries %u", path,
			 info.max_entries, flow_entries, pin_dir, flow_entries);
		return -EEXIST;
	}
	return set_flow_size(skel, info.max_entries);
}

/* Refuses a pinned map whose layout differs from this build's, naming it
 * (libbpf would only say "incompatible" at load time, without a name). */
static int check_pinned_map(const struct bpf_map *map, struct canary_err *cerr)
{
	const char *path = bpf_map__pin_path(map);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd, err;

	fd = path ? bpf_obj_get(path) : -1;
	if (fd < 0)
		return 0; /* not pinned yet: it will be created */
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (info.type == bpf_map__type(map) &&
	    info.key_size == bpf_map__key_size(map) &&
	    info.value_size == bpf_map__value_size(map) &&
	    info.max_entries == bpf_map__max_entries(map) &&
	    info.map_flags == bpf_map__map_flags(map))
		return 0;
	cerr_set(cerr, "map '%s' pinned at '%s' does not match this build "
		 "(type %u, key %u B, value %u B, %u entries, flags %#x; this "
		 "build needs type %u, key %u B, value %u B, %u entries, flags "
		 "%#x): it was made by an incompatible version; detach every "
		 "interface and remove the pin dir first", bpf_map__name(map),
		 path, info.type, info.key_size, info.value_size,
		 info.max_entries, info.map_flags, bpf_map__type(map),
		 bpf_map__key_size(map), bpf_map__value_size(map),
		 bpf_map__max_entries(map), bpf_map__map_flags(map));
	return -EINVAL;
}

static int check_pinned_maps(struct canary_bpf *skel, struct canary_err *cerr)
{
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, skel->obj) {
		err = check_pinned_map(map, cerr);
		if (err)
			return err;
	}
	return 0;
}

/* loader_load(), with the programs too when @progs, else the maps only. */
static int load(const char *pin_dir, struct canary_bpf **out, bool progs,
		struct canary_err *cerr)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	char tx_path[PATH_MAX + 32];
	struct bpf_program *prog;
	struct canary_bpf *skel;
	int err;

	cerr_clear(cerr);
	if (privs_check_load(cerr))
		return -EPERM;
	snprintf(tx_path, sizeof(tx_path), "%s/%s", pin_dir, CANARY_MAP_TX);
	skel = canary_bpf__open_opts(&opts);
	if (!skel) {
		err = -errno;
		cerr_set(cerr, "Couldn't open the BPF object: %s",
			 strerror(-err));
		return err;
	}
	if (!progs)
		bpf_object__for_each_program(prog, skel->obj)
			bpf_program__set_autoload(prog, false);
	/* Only the programs count into canary_stats and canary_pinstat,
	 * the costliest maps to create (a per-CPU allocation per entry:
	 * most of a first apply's map creation): they come with them. */
	if (!progs) {
		bpf_map__set_autocreate(skel->maps.canary_stats, false);
		bpf_map__set_autocreate(skel->maps.canary_pinstat, false);
	}
	err = size_flow_table(skel, pin_dir, cerr);
	if (!err)
		err = check_pinned_maps(skel, cerr);
	if (!err)
		err = reuse_tx_map(skel, tx_path);
	if (!err)
		err = canary_bpf__load(skel);
	if (!err)
		err = pin_tx_map(skel, tx_path);
	if (!err && migrate_old_maps(pin_dir, skel, cerr))
		err = -EINVAL;
	if (err) {
		if (cerr_unset(cerr)) /* no step above named the reason */
			cerr_set(cerr, "Couldn't load the BPF programs and maps "
				 "under '%s': %s (an incompatible map pinned "
				 "there is refused; -vv shows libbpf's reason)",
				 pin_dir, strerror(-err));
		canary_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

int loader_load(const char *pin_dir, struct canary_bpf **out,
		struct canary_err *err)
{
	return load(pin_dir, out, true, err);
}

int loader_load_maps(const char *pin_dir, struct canary_bpf **out,
		     struct canary_err *err)
{
	return load(pin_dir, out, false, err);
}

void loader_close(struct canary_bpf *skel)
{
	canary_bpf__destroy(skel);
}
