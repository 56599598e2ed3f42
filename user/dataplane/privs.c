// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "util/log.h"
#include "dataplane/privs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define PRIVS_HINT "run as root, or grant CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON"

/* Reads the effective set into @data; false when the kernel cannot say. */
static bool read_caps(struct __user_cap_data_struct *data)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	memset(data, 0, sizeof(*data) * _LINUX_CAPABILITY_U32S_3);
	return syscall(SYS_capget, &hdr, data) == 0;
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int privs_check(struct canary_err *err)
{
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	bool bpf, net;

	if (!read_caps(data))
		return EXIT_OK; /* cannot tell: let the kernel decide */
	bpf = has_cap(data, CAP_BPF) || has_cap(data, CAP_SYS_ADMIN);
	net = has_cap(data, CAP_NET_ADMIN);
	if (bpf && net)
		return EXIT_OK;
	cerr_set(err, "insufficient privileges: missing %s%s%s (" PRIVS_HINT ")",
		 bpf ? "" : "CAP_BPF", !bpf && !net ? " and " : "",
		 net ? "" : "CAP_NET_ADMIN");
	return EXIT_FAIL;
}

int privs_check_load(struct canary_err *err)
{
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (!read_caps(data) || has_cap(data, CAP_PERFMON) ||
	    has_cap(data, CAP_SYS_ADMIN))
		return EXIT_OK;
	cerr_set(err, "insufficient privileges to load the programs: missing "
		 "CAP_PERFMON, which the verifier needs for them (" PRIVS_HINT ")");
	return EXIT_FAIL;
}
