/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Synthetic flows for split and ramp tests. */
#ifndef CANARY_TEST_FLOWS_H
#define CANARY_TEST_FLOWS_H

#include <arpa/inet.h>
#include "pkt.h"

/* Flow @i of family @fam: distinct client address and port per flow. */
static inline struct pkt_spec synth_flow(__u32 fam, __u32 i, __u8 proto)
{
	struct pkt_spec s = {
		.proto = proto,
		.saddr = htonl(0x0a000000 | ((fam & 0xff) << 16) | (i / 50000) << 8 |
			       (i % 7)),
		.daddr = htonl(0x0a60000a), /* 10.96.0.10 */
		.sport = 1024 + (i % 50000),
		.dport = 5000,
	};
	return s;
}

#endif /* CANARY_TEST_FLOWS_H */
