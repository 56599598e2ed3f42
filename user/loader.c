// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "canary.h"
#include "canary.skel.h"
#include "loader.h"
#include "output.h"

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

int loader_load(const char *pin_dir, struct canary_bpf **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	char tx_path[PATH_MAX + 32];
	struct canary_bpf *skel;
	int err;

	snprintf(tx_path, sizeof(tx_path), "%s/%s", pin_dir, CANARY_MAP_TX);
	skel = canary_bpf__open_opts(&opts);
	if (!skel) {
		err = -errno;
		p_err("Couldn't open the BPF object: %s", strerror(-err));
		return err;
	}
	err = reuse_tx_map(skel, tx_path);
	if (!err)
		err = canary_bpf__load(skel);
	if (!err)
		err = pin_tx_map(skel, tx_path);
	if (err) {
		p_err("Couldn't load the BPF programs and maps under '%s': %s "
		      "(an incompatible map pinned there is refused; -vv shows "
		      "libbpf's reason)",
		      pin_dir, strerror(-err));
		canary_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

void loader_close(struct canary_bpf *skel)
{
	canary_bpf__destroy(skel);
}
