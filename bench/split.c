// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Split accuracy: the share of 1,000,000 synthetic flows that the data
 * plane's version pick sends to the canary, at 1, 5, 25 and 50 %. It runs
 * the very code the BPF program runs for a new flow
 * (canary_pick_version(canary_flow_hash(..., CANARY_SEED_VERSION), ...) from
 * include/canary_hash.h) over random client 5-tuples towards one VIP:port.
 * tests/bpf/test_split checks the BPF program agrees with this header.
 *
 * Prints split_<pct>_measured_pct= and split_<pct>_error_pt= per weight,
 * and split_max_error_pt=. Always exits 0.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <linux/types.h>

#define CANARY_INLINE static inline
#include "canary.h"
#include "canary_hash.h"

#define FLOWS 1000000

/* splitmix64: a fixed seed, so every run measures the same flows. */
static __u64 next_rand(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int main(void)
{
	static const double pcts[] = { 1, 5, 25, 50 };
	__be32 vip = htonl(0x0a60000a); /* 10.96.0.10 */
	__be16 vport = htons(5000);
	double worst = 0;
	unsigned int p;

	for (p = 0; p < sizeof(pcts) / sizeof(pcts[0]); p++) {
		__u16 cum[CANARY_MAX_VERSIONS] = {
			CANARY_BPS_TOTAL - (__u16)(pcts[p] * 100), CANARY_BPS_TOTAL };
		__u64 seed = 42, r;
		long canary = 0, i;
		double share, err;

		for (i = 0; i < FLOWS; i++) {
			r = next_rand(&seed);
			/* clients anywhere in 10.0.0.0/8, ephemeral ports */
			__be32 saddr = htonl(0x0a000000 | (__u32)(r & 0xffffff));
			__be16 sport = htons(1024 + (__u16)((r >> 24) % 64512));
			__u32 h = canary_flow_hash(saddr, vip, sport, vport,
						   CANARY_PROTO_TCP,
						   CANARY_SEED_VERSION);

			canary += canary_pick_version(h, cum, 2) == 1;
		}
		share = 100.0 * canary / FLOWS;
		err = fabs(share - pcts[p]);
		if (err > worst)
			worst = err;
		printf("split_%g_measured_pct=%.3f\nsplit_%g_error_pt=%.3f\n",
		       pcts[p], share, pcts[p], err);
	}
	printf("split_flows=%d\nsplit_max_error_pt=%.3f\n", FLOWS, worst);
	printf("target_split_accuracy=%s\n", worst < 0.1 ? "met" : "MISSED");
	return 0;
}
