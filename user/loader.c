// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "canary.skel.h"
#include "loader.h"
#include "output.h"

int loader_load(const char *pin_dir, struct canary_bpf **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	struct canary_bpf *skel;
	int err;

	skel = canary_bpf__open_opts(&opts);
	if (!skel) {
		err = -errno;
		p_err("Couldn't open the BPF object: %s", strerror(-err));
		return err;
	}
	err = canary_bpf__load(skel);
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
