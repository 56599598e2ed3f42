/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the BPF tests of ICMP errors about source-NATed flows share, IPv4
 * (test_snat_icmp.c) and IPv6 (test_snat6.c): the frames of a SNATed
 * flow, the part of them an error quotes, and the run of one crafted
 * error through the programs that translate it.
 */
#ifndef CANARY_TEST_SNAT_H
#define CANARY_TEST_SNAT_H

#include <linux/types.h>

#include "pkt.h"

struct test_env;

/* A SNATed flow: the client's packet, what left this node for the
 * endpoint, the endpoint's reply and what the client got (frames with
 * their Ethernet header). */
struct snat_flow {
	__u8 client_pkt[PKT_MAX], fwd[PKT_MAX], ep_reply[PKT_MAX], reply[PKT_MAX];
	__u32 client_len, fwd_len, ep_reply_len, reply_len;
};

/* An error about a SNATed flow, by the side it comes from: @dir 'f' the
 * far side (it quotes what left this node, and its translation must quote
 * the client's own packet), 'r' the client's side (it quotes the reply as
 * the client got it, and its translation the endpoint's own packet). */
struct snat_quote {
	const __u8 *quoted;  /* frame the error quotes */
	const __u8 *want;    /* frame its translation must quote */
	__u32 len;           /* bytes quoted, from the IP header on */
};

/* @qlen bytes quoted, or 0 for the whole packet. */
struct snat_quote snat_quote(const struct snat_flow *fl, char dir, __u32 qlen);

/* Judges one translated error @out (@olen bytes) made from @in (@len). */
typedef void (*snat_check_fn)(const void *arg, const __u8 *in, __u32 len,
			      const __u8 *out, __u32 olen);

/*
 * Runs the crafted error @in (@len bytes) through XDP and tc ingress,
 * which must each pass it on translated as @check(@arg, ...) judges; each
 * program counts it once (icmp) and neither as an error. tc egress then
 * leaves the translated frame alone: going on out of this node, it is
 * nothing tc egress translates.
 */
void snat_icmp_run(struct test_env *env, const __u8 *in, __u32 len,
		   snat_check_fn check, const void *arg);

#endif /* CANARY_TEST_SNAT_H */
