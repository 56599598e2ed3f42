// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What the programs attached from a pin dir understand. An in-place
 * upgrade swaps the programs (attach) and changes the config (apply,
 * set-weight, the agent) in separate steps, and a CLI may be run against
 * programs an older build attached: config must then stay in the form
 * those programs read.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/btf.h>

#include "dataplane/progs_abi.h"

/* A function only builds that pick small versions' endpoints by
 * rendezvous have (bpf/lb.h). Every program of one object shares its
 * BTF, so any attached program of this build names it. */
#define RENDEZVOUS_FUNC "lb_hrw_pick4"

/* Whether the BTF of program @prog_id has @func: false for a program
 * without BTF (every build of ours has it, so it cannot be told and the
 * config stays in the older form), true for one that is gone. */
static bool prog_has_func(__u32 prog_id, const char *func)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct btf *btf;
	bool has = false;
	int fd = bpf_prog_get_fd_by_id(prog_id);

	if (fd < 0)
		return true;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.btf_id) {
		btf = btf__load_from_kernel_by_id(info.btf_id);
		if (btf) {
			has = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) > 0;
			btf__free(btf);
		}
	}
	close(fd);
	return has;
}

/* The program id of the link pinned at @path, or 0 if it is no link. */
static __u32 pinned_link_prog(const char *path)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	__u32 id = 0;

	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		id = info.prog_id;
	close(fd);
	return id;
}

bool progs_pick_by_rendezvous(const char *pin_dir)
{
	char path[4096];
	struct dirent *de;
	bool ok = true;
	__u32 id;
	DIR *d = opendir(pin_dir);

	if (!d)
		return true;
	while (ok && (de = readdir(d))) {
		if (strncmp(de->d_name, "link_", 5) &&
		    strncmp(de->d_name, "cglink_", 7))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
		id = pinned_link_prog(path);
		ok = !id || prog_has_func(id, RENDEZVOUS_FUNC);
	}
	closedir(d);
	return ok;
}
