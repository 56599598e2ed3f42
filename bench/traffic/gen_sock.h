/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Socket generators for gen (bench/traffic/gen.c), used when the kernel
 * refuses BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES: an AF_XDP socket
 * in copy mode (about 2.7 Mpps per core on a veth here), else sendmmsg()
 * on an AF_PACKET socket (slower). Both send the same 64-byte
 * Ethernet/IPv4/UDP frames as gen_udp, built once in user space with full
 * checksums, source ports cycling over the flows.
 */
#ifndef CANARY_GEN_SOCK_H
#define CANARY_GEN_SOCK_H

#include <linux/types.h>

#define GEN_FRAME_LEN 64 /* Ethernet frame without FCS: the minimum */

struct gen_cfg {
	unsigned int ifindex;
	__u8 src_mac[6];
	__u8 dst_mac[6];
	__be32 saddr;
	__be32 daddr;
	__be16 dport;
	__u16 sport_base;   /* host order */
	__u16 n_flows;      /* source ports sport_base .. +n_flows-1 */
	double secs;        /* how long to send */
	volatile int *stop; /* set by a signal handler: stop early */
};

/* gen_frame_build: the frame of flow @flow (0 .. n_flows-1) into @buf,
 * GEN_FRAME_LEN bytes. */
void gen_frame_build(const struct gen_cfg *c, __u16 flow, __u8 *buf);

/*
 * gen_afxdp / gen_sendmmsg: send for c->secs seconds. On success return 0
 * and set *@sent (frames the kernel took: AF_XDP completions, or what
 * sendmmsg() accepted) and *@secs (the time taken); on failure return a
 * negative errno and print why to stderr.
 */
int gen_afxdp(const struct gen_cfg *c, unsigned long long *sent, double *secs);
int gen_sendmmsg(const struct gen_cfg *c, unsigned long long *sent,
		 double *secs);

#endif /* CANARY_GEN_SOCK_H */
