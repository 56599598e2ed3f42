// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Kernel feature probes; see probe.h. */
#include <stdio.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "probe.h"

bool test__require_helper(enum bpf_prog_type type, enum bpf_func_id id,
			  const char *name)
{
	char reason[128];
	int ret = libbpf_probe_bpf_helper(type, id, NULL);

	if (ret == 1)
		return true;
	if (ret < 0) {
		ASSERT_OK(ret, name); /* the probe itself failed: no skip */
		return false;
	}
	snprintf(reason, sizeof(reason), "kernel lacks BPF helper %s for %s",
		 name, libbpf_bpf_prog_type_str(type));
	test__skip(reason);
	return false;
}
