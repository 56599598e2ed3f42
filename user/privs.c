// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "log.h"
#include "output.h"
#include "privs.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int privs_check(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	bool bpf, net;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return EXIT_OK; /* cannot tell: let the kernel decide */
	bpf = has_cap(data, CAP_BPF) || has_cap(data, CAP_SYS_ADMIN);
	net = has_cap(data, CAP_NET_ADMIN);
	if (bpf && net)
		return EXIT_OK;
	p_err("insufficient privileges: missing %s%s%s (run as root, or grant "
	      "CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)",
	      bpf ? "" : "CAP_BPF", !bpf && !net ? " and " : "",
	      net ? "" : "CAP_NET_ADMIN");
	return EXIT_FAIL;
}
