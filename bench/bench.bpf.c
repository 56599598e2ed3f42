// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark-only programs (never attached): baselines, and wrappers that
 * restore the test frame before tail-calling the program under test.
 *
 * BPF_PROG_TEST_RUN with repeat > 1 hands every iteration the previous
 * iteration's output, so a rewriting program would measure its second path
 * from the second iteration on. The wrappers copy the original frame back
 * (and, for the new-flow case, give it a fresh source per iteration) first;
 * bench.c subtracts the wrapper's own cost, measured around a program that
 * only returns. IPv6 frames have wrappers of their own, so that the IPv4
 * ones run the very code they ran before IPv6 was measured.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Frame lengths, in bytes. IPv4 frames stay 64 bytes, as in every earlier
 * run; an IPv6 TCP header alone needs 14 + 40 + 20. */
#define BENCH_FRAME 64
#define BENCH_FRAME6 74
#define TC_ACT_UNSPEC (-1)

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct frame {
	__u8 bytes[BENCH_FRAME6]; /* the longer of the two; IPv4 uses 64 */
};

/* The frame each wrapper restores, set by bench.c. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frame);
} bench_frame SEC(".maps");

/*
 * Iteration counter for fresh flows: one for all CPUs. A test run may move
 * to the other CPU when it yields between iterations, and per-CPU counters
 * then repeated sources the other CPU had just used, so some "new" flows
 * hit the flow table and the path check failed. bench.c runs one test at a
 * time, so a plain increment does.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_seq SEC(".maps");

/* Slot 0: the program under test. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdp_target SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tc_target SEC(".maps");

/* The parse+lookup baseline's map: one lookup per packet. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} bench_lookup SEC(".maps");

/* Non-zero: rewrite the source port and address every iteration. */
const volatile __u32 fresh_flows = 0;

static __always_inline void freshen(__u8 *bytes)
{
	__u32 zero = 0, *seq = bpf_map_lookup_elem(&bench_seq, &zero);
	__u32 n;

	if (!fresh_flows || !seq)
		return;
	n = ++*seq;
	/* IPv4 source at 26..29, L4 source port at 34..35 (no VLAN, IHL 5). */
	bytes[28] = n >> 16;
	bytes[29] = n >> 8;
	bytes[34] = n >> 24 | 0x80;
	bytes[35] = n;
}

/* freshen() for IPv6: source at 22..37, L4 source port at 54..55 (no VLAN,
 * no extension headers); as for IPv4, the address's last two bytes and the
 * port change. */
static __always_inline void freshen6(__u8 *bytes)
{
	__u32 zero = 0, *seq = bpf_map_lookup_elem(&bench_seq, &zero);
	__u32 n;

	if (!fresh_flows || !seq)
		return;
	n = ++*seq;
	bytes[36] = n >> 16;
	bytes[37] = n >> 8;
	bytes[54] = n >> 24 | 0x80;
	bytes[55] = n;
}

SEC("xdp")
int bench_xdp_wrap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct frame *f = bpf_map_lookup_elem(&bench_frame, &zero);

	if (!f || data + BENCH_FRAME > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, f->bytes, BENCH_FRAME);
	freshen(data);
	bpf_tail_call(ctx, &xdp_target, 0);
	return XDP_ABORTED;
}

SEC("tc")
int bench_tc_wrap(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct frame *f = bpf_map_lookup_elem(&bench_frame, &zero);

	if (!f || bpf_skb_store_bytes(skb, 0, f->bytes, BENCH_FRAME, 0))
		return 2;
	bpf_tail_call(skb, &tc_target, 0);
	return 2;
}

/* bench_xdp_wrap() for IPv6 frames (BENCH_FRAME6 bytes). */
SEC("xdp")
int bench_xdp_wrap6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct frame *f = bpf_map_lookup_elem(&bench_frame, &zero);

	if (!f || data + BENCH_FRAME6 > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, f->bytes, BENCH_FRAME6);
	freshen6(data);
	bpf_tail_call(ctx, &xdp_target, 0);
	return XDP_ABORTED;
}

/* bench_tc_wrap() for IPv6 frames. */
SEC("tc")
int bench_tc_wrap6(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct frame *f = bpf_map_lookup_elem(&bench_frame, &zero);

	if (!f || bpf_skb_store_bytes(skb, 0, f->bytes, BENCH_FRAME6, 0))
		return 2;
	bpf_tail_call(skb, &tc_target, 0);
	return 2;
}

/*
 * A bare flow-table insert, measured alone: an LRU hash of canary_flow_v3's
 * size and key and value sizes (16 and 24 bytes), one common LRU list, a
 * fresh key per packet, so that once full every insert evicts.
 */
#define BENCH_LRU_ENTRIES 65536

struct lru_kv {
	__u32 w[4];
};

struct lru_val {
	__u32 w[6]; /* struct canary_flow's size */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BENCH_LRU_ENTRIES);
	__type(key, struct lru_kv);
	__type(value, struct lru_val);
} bench_lru SEC(".maps");

/* Inserts a fresh key into @map; XDP_PASS. */
static __always_inline int lru_insert(void *map)
{
	__u32 zero = 0, *seq = bpf_map_lookup_elem(&bench_seq, &zero);
	struct lru_kv k = {};
	struct lru_val v = {};

	if (!seq)
		return XDP_ABORTED;
	k.w[0] = ++*seq;
	bpf_map_update_elem(map, &k, &v, BPF_ANY);
	return XDP_PASS;
}

SEC("xdp")
int bench_lru_insert(struct xdp_md *ctx)
{
	return lru_insert(&bench_lru);
}

/*
 * The flow-table options of issue 14, each a bare insert of a fresh key
 * into a full table (16-byte keys, 24-byte values, as canary_flow_v3):
 *   bench_lru_pcpu     per-CPU LRU lists (BPF_F_NO_COMMON_LRU): one
 *                      shared hash, each CPU evicting only the entries
 *                      it inserted, from size / CPUs of them
 *   bench_lru_katran   Katran's layout: one LRU map per CPU (of size /
 *                      CPUs, per-CPU lists as Katran's), found through an
 *                      array of maps by the CPU's id
 *   bench_hash_aged    a preallocated hash with ageing of our own: the
 *                      insert, and the delete that ageing would do
 *                      (kept at 60,000 of 65,536 entries; when full it
 *                      refuses, it never evicts)
 *   bench_lru_16k, bench_lru_256k: the common LRU at 1/4 and 4x the size
 */
struct lru_pcpu_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BENCH_LRU_ENTRIES);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct lru_kv);
	__type(value, struct lru_val);
} bench_lru_pcpu SEC(".maps");

struct lru_cpu_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BENCH_LRU_ENTRIES / 2);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct lru_kv);
	__type(value, struct lru_val);
};

struct lru_cpu_map bench_lru_cpu0 SEC(".maps"), bench_lru_cpu1 SEC(".maps");

/* Two slots: this machine's two CPUs (a CPU past them uses slot 0). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct lru_cpu_map);
} bench_lru_cpus SEC(".maps") = {
	.values = { &bench_lru_cpu0, &bench_lru_cpu1 },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BENCH_LRU_ENTRIES);
	__type(key, struct lru_kv);
	__type(value, struct lru_val);
} bench_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BENCH_LRU_ENTRIES / 4);
	__type(key, struct lru_kv);
	__type(value, struct lru_val);
} bench_lru_16k SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BENCH_LRU_ENTRIES * 4);
	__type(key, struct lru_kv);
	__type(value, struct lru_val);
} bench_lru_256k SEC(".maps");

SEC("xdp")
int bench_lru_pcpu_insert(struct xdp_md *ctx)
{
	return lru_insert(&bench_lru_pcpu);
}

SEC("xdp")
int bench_lru_katran_insert(struct xdp_md *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *map;

	map = bpf_map_lookup_elem(&bench_lru_cpus, &cpu);
	if (!map) {
		cpu = 0;
		map = bpf_map_lookup_elem(&bench_lru_cpus, &cpu);
	}
	return map ? lru_insert(map) : XDP_ABORTED;
}

SEC("xdp")
int bench_hash_aged_insert(struct xdp_md *ctx)
{
	__u32 zero = 0, *seq = bpf_map_lookup_elem(&bench_seq, &zero);
	struct lru_kv k = {};
	struct lru_val v = {};

	if (!seq)
		return XDP_ABORTED;
	k.w[0] = ++*seq;
	bpf_map_update_elem(&bench_hash, &k, &v, BPF_ANY);
	k.w[0] -= 60000;
	bpf_map_delete_elem(&bench_hash, &k);
	return XDP_PASS;
}

SEC("xdp")
int bench_lru_16k_insert(struct xdp_md *ctx)
{
	return lru_insert(&bench_lru_16k);
}

SEC("xdp")
int bench_lru_256k_insert(struct xdp_md *ctx)
{
	return lru_insert(&bench_lru_256k);
}

/* Baseline 1: does nothing. Also the wrapper-cost probe. */
SEC("xdp")
int bench_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int bench_tc_pass(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

/* Baseline 2: parses Ethernet/IPv4/TCP, one hash lookup, passes. */
SEC("xdp")
int bench_xdp_parse_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th;
	__u64 key;

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(0x0800))
		return XDP_PASS;
	th = (void *)iph + iph->ihl * 4;
	if ((void *)(th + 1) > data_end || iph->protocol != 6)
		return XDP_PASS;
	key = (__u64)iph->daddr << 32 | th->dest;
	if (bpf_map_lookup_elem(&bench_lookup, &key))
		return XDP_PASS;
	return XDP_PASS;
}
