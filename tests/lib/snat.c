// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ICMP errors about SNATed flows, both families; see snat.h. */
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "snat.h"

#define ETH 14
#define TC_ACT_UNSPEC (-1)

struct snat_quote snat_quote(const struct snat_flow *fl, char dir, __u32 qlen)
{
	bool far = dir == 'f';
	struct snat_quote q = {
		.quoted = far ? fl->fwd : fl->reply,
		.want = far ? fl->client_pkt : fl->ep_reply,
		.len = qlen ? qlen : (far ? fl->fwd_len : fl->reply_len) - ETH,
	};

	return q;
}

void snat_icmp_run(struct test_env *env, const __u8 *in, __u32 len,
		   snat_check_fn check, const void *arg)
{
	static __u8 out[PKT_MAX], again[PKT_MAX];
	const int fds[2] = { env->xdp_fd, env->tc_in_fd };
	const int pass[2] = { XDP_PASS, TC_ACT_UNSPEC };
	struct canary_global g0 = env_global(env), g1;
	__u32 olen = 0, alen = 0;
	int i;

	for (i = 0; i < 2; i++)
		if (ASSERT_EQ(env_run(fds[i], in, len, out, &olen), pass[i],
			      i ? "tc_in verdict" : "xdp verdict"))
			check(arg, in, len, out, olen);
	g1 = env_global(env);
	ASSERT_EQ(g1.icmp - g0.icmp, 2, "icmp counter, once per program");
	ASSERT_EQ(g1.errors - g0.errors, 0, "errors counter");
	if (ASSERT_EQ(env_run(env->tc_out_fd, out, olen, again, &alen),
		      TC_ACT_UNSPEC, "tc_out verdict"))
		ASSERT_TRUE(alen == olen && !memcmp(again, out, olen),
			    "tc_out leaves it alone");
}
