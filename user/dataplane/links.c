// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "dataplane/links.h"

static const char *const kind_names[LINK_KIND_MAX] = {
	[LINK_XDP] = "xdp",
	[LINK_XDP_GENERIC] = "xdpgeneric",
	[LINK_TC_IN] = "tc_in",
	[LINK_TC_OUT] = "tc_out",
	[LINK_TC_FWD] = "tc_fwd",
};

static const char *const kind_modes[LINK_KIND_MAX] = {
	[LINK_XDP] = "native",
	[LINK_XDP_GENERIC] = "generic",
	[LINK_TC_IN] = "tc",
	[LINK_TC_OUT] = "tc",
	[LINK_TC_FWD] = "tc",
};

const char *link_kind_name(enum link_kind kind)
{
	return kind < LINK_KIND_MAX ? kind_names[kind] : "?";
}

const char *link_kind_mode(enum link_kind kind)
{
	return kind < LINK_KIND_MAX ? kind_modes[kind] : "?";
}

void link_pin_path(char *buf, size_t len, const char *dir, int ifindex,
		   enum link_kind kind)
{
	snprintf(buf, len, "%s/link_%d_%s", dir, ifindex, link_kind_name(kind));
}

/* Parses "link_<ifindex>_<kind>"; returns 0 on a match. */
static int parse_pin_name(const char *name, int *ifindex, enum link_kind *kind)
{
	char *end;
	long idx;
	int k;

	if (strncmp(name, "link_", 5))
		return -1;
	idx = strtol(name + 5, &end, 10);
	if (end == name + 5 || *end != '_' || idx <= 0)
		return -1;
	for (k = 0; k < LINK_KIND_MAX; k++) {
		if (!strcmp(end + 1, kind_names[k])) {
			*ifindex = idx;
			*kind = k;
			return 0;
		}
	}
	return -1;
}

int links_for_each(const char *dir, int ifindex,
		   void (*fn)(const char *path, int ifindex, enum link_kind kind,
			      void *arg),
		   void *arg)
{
	char path[4096];
	struct dirent *de;
	enum link_kind kind;
	int idx, n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (parse_pin_name(de->d_name, &idx, &kind))
			continue;
		if (ifindex && idx != ifindex)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (fn)
			fn(path, idx, kind, arg);
		n++;
	}
	closedir(d);
	return n;
}

int link_is_live(const char *path)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path), live;

	if (fd < 0)
		return 0;
	live = bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
	if (live && info.type == BPF_LINK_TYPE_XDP)
		live = info.xdp.ifindex != 0;
	close(fd);
	return live;
}

int link_update_pinned(const char *path, int prog_fd)
{
	int fd = bpf_obj_get(path), err = 0;

	if (fd < 0 || bpf_link_update(fd, prog_fd, NULL))
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

int link_pin_new(int fd, const char *path, struct canary_err *cerr)
{
	int err = 0;

	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		cerr_set(cerr, "Couldn't pin link at '%s': %s", path,
			 strerror(-err));
	}
	close(fd);
	return err;
}
