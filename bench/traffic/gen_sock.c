// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Socket generators for gen, see gen_sock.h. The AF_XDP one is the raw
 * kernel API (linux/if_xdp.h): libbpf 1.1 has no xsk API any more, and
 * libxdp would load a dispatcher program a TX-only socket does not need.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gen_sock.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif

#define XSK_TX_BUDGET 256  /* frames per sendto(), where settable */
#define XSK_RING 2048      /* TX and completion ring entries */
/* UMEM chunks, each holding one prebuilt frame: one per flow, so that
 * the frames the kernel copies stay in the caches and the TLB (4,096
 * chunks of 2 KiB cost the generator ~200 ns per frame here in misses). */
#define XSK_FRAMES_MAX 4096
#define XSK_CHUNK 2048     /* the smallest chunk size the kernel takes */
#define XSK_BIND_TRIES 40   /* binds retried on EBUSY, 25 ms apart */
#define MMSG_BATCH 64      /* frames per sendmmsg() */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Adds @len bytes at @p as 16-bit words; memcpy() because the bytes were
 * written through other types (strict aliasing). */
static __u32 csum_add(const void *p, size_t len, __u32 sum)
{
	const __u8 *b = p;
	__u16 w;

	for (; len > 1; len -= 2, b += 2) {
		memcpy(&w, b, sizeof(w));
		sum += w;
	}
	return sum;
}

void gen_frame_build(const struct gen_cfg *c, __u16 flow, __u8 *buf)
{
	struct ethhdr *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u16 ulen = GEN_FRAME_LEN - sizeof(*eth) - sizeof(*ip);
	__u32 sum;

	memset(buf, 0, GEN_FRAME_LEN);
	memcpy(eth->h_dest, c->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, c->src_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->ihl = 5;
	ip->version = 4;
	ip->tot_len = htons(sizeof(*ip) + ulen);
	ip->frag_off = htons(0x4000); /* DF */
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = c->saddr;
	ip->daddr = c->daddr;
	ip->check = csum_fold(csum_add(ip, sizeof(*ip), 0));
	udp->source = htons(c->sport_base + flow % (c->n_flows ? c->n_flows : 1));
	udp->dest = c->dport;
	udp->len = htons(ulen);
	/* pseudo header, then header and (zero) payload */
	sum = csum_add(&ip->saddr, 8, 0) + htons(IPPROTO_UDP) + udp->len;
	sum = csum_add(udp, ulen, sum);
	udp->check = csum_fold(sum) ?: 0xffff;
}

/* One mmap()ed ring of an AF_XDP socket. */
struct xsk_ring {
	__u32 *producer;
	__u32 *consumer;
	void *desc;
	void *map;
	size_t map_len;
};

static int xsk_ring_map(int fd, const struct xdp_ring_offset *o, size_t esize,
			off_t pgoff, struct xsk_ring *r)
{
	r->map_len = o->desc + XSK_RING * esize;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, fd, pgoff);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return -errno;
	}
	r->producer = (__u32 *)((char *)r->map + o->producer);
	r->consumer = (__u32 *)((char *)r->map + o->consumer);
	r->desc = (char *)r->map + o->desc;
	return 0;
}

/* The AF_XDP socket of gen_afxdp(): its UMEM and the rings it uses. */
struct xsk {
	int fd;
	__u32 frames;   /* UMEM chunks in use, one per flow */
	__u8 *umem;
	struct xsk_ring tx;
	struct xsk_ring cq;
};

static void xsk_close(struct xsk *x)
{
	if (x->tx.map)
		munmap(x->tx.map, x->tx.map_len);
	if (x->cq.map)
		munmap(x->cq.map, x->cq.map_len);
	if (x->fd >= 0)
		close(x->fd);
	if (x->umem)
		munmap(x->umem, (size_t)x->frames * XSK_CHUNK);
}

/* UMEM with every chunk holding a prebuilt frame, registered on x->fd. */
static int xsk_umem(struct xsk *x, const struct gen_cfg *c)
{
	struct xdp_umem_reg mr = {};
	__u32 i;

	x->frames = c->n_flows ? c->n_flows : 1;
	if (x->frames > XSK_FRAMES_MAX)
		x->frames = XSK_FRAMES_MAX;
	x->frames = (x->frames + 1) & ~1u; /* whole pages */
	x->umem = mmap(NULL, (size_t)x->frames * XSK_CHUNK,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->umem == MAP_FAILED) {
		x->umem = NULL;
		return -errno;
	}
	for (i = 0; i < x->frames; i++)
		gen_frame_build(c, i, x->umem + (size_t)i * XSK_CHUNK);
	mr.addr = (__u64)(unsigned long)x->umem;
	mr.len = (__u64)x->frames * XSK_CHUNK;
	mr.chunk_size = XSK_CHUNK;
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)))
		return -errno;
	return 0;
}

/* The socket: UMEM, fill (the kernel wants one, even to only send),
 * completion and TX rings, bound in copy mode to queue 0 of the device. */
static int xsk_open(struct xsk *x, const struct gen_cfg *c)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct sockaddr_xdp sa = {};
	struct xdp_mmap_offsets off;
	socklen_t len = sizeof(off);
	int n = XSK_RING, err;

	setrlimit(RLIMIT_MEMLOCK, &unlimited); /* UMEM is locked memory */
	x->fd = socket(AF_XDP, SOCK_RAW, 0);
	if (x->fd < 0)
		return -errno;
	err = xsk_umem(x, c);
	if (err)
		return err;
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_TX_RING, &n, sizeof(n)) ||
	    getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len))
		return -errno;
	err = xsk_ring_map(x->fd, &off.tx, sizeof(struct xdp_desc),
			   XDP_PGOFF_TX_RING, &x->tx);
	if (!err)
		err = xsk_ring_map(x->fd, &off.cr, sizeof(__u64),
				   XDP_UMEM_PGOFF_COMPLETION_RING, &x->cq);
	if (err)
		return err;
	sa.sxdp_family = AF_XDP;
	sa.sxdp_ifindex = c->ifindex;
	sa.sxdp_queue_id = 0;
	sa.sxdp_flags = XDP_COPY;
	/* The previous run's socket leaves the queue asynchronously: EBUSY
	 * for a moment after it closed (retried for up to a second). */
	for (n = 0; bind(x->fd, (struct sockaddr *)&sa, sizeof(sa)); n++) {
		if (errno != EBUSY || n == XSK_BIND_TRIES)
			return -errno;
		usleep(25000);
	}
	/* More frames per sendto() where the kernel lets us say so (6.17+);
	 * older ones send 32. */
	n = XSK_TX_BUDGET;
	setsockopt(x->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &n, sizeof(n));
	return 0;
}

/* Fills the TX ring's free slots with frames, chunk after chunk. */
static void xsk_fill_tx(struct xsk *x, unsigned long long *next)
{
	struct xdp_desc *d = x->tx.desc;
	__u32 prod = *x->tx.producer;
	__u32 cons = __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE);

	for (; prod - cons < XSK_RING; prod++, (*next)++) {
		d[prod & (XSK_RING - 1)].addr = (*next % x->frames) * XSK_CHUNK;
		d[prod & (XSK_RING - 1)].len = GEN_FRAME_LEN;
		d[prod & (XSK_RING - 1)].options = 0;
	}
	__atomic_store_n(x->tx.producer, prod, __ATOMIC_RELEASE);
}

/* Takes what the completion ring holds; returns how many. The frames
 * never change, so a chunk may be queued again before it completes. */
static __u32 xsk_complete(struct xsk *x)
{
	__u32 prod = __atomic_load_n(x->cq.producer, __ATOMIC_ACQUIRE);
	__u32 cons = *x->cq.consumer;

	__atomic_store_n(x->cq.consumer, prod, __ATOMIC_RELEASE);
	return prod - cons;
}

int gen_afxdp(const struct gen_cfg *c, unsigned long long *sent, double *secs)
{
	struct xsk x = { .fd = -1 };
	unsigned long long next = 0, done = 0;
	double t0, t = 0;
	int err, i;

	err = xsk_open(&x, c);
	if (err) {
		fprintf(stderr, "gen: AF_XDP socket on ifindex %u: %s\n",
			c->ifindex, strerror(-err));
		goto out;
	}
	t0 = now_s();
	while (!*c->stop && t < c->secs) {
		for (i = 0; i < 64; i++) {
			xsk_fill_tx(&x, &next);
			/* copy mode sends a batch per call; a full peer
			 * queue (EAGAIN, ENOBUFS, EBUSY) is retried */
			if (sendto(x.fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
			    errno != EAGAIN && errno != ENOBUFS &&
			    errno != EBUSY && errno != ENETDOWN) {
				err = -errno;
				fprintf(stderr, "gen: AF_XDP sendto: %s\n",
					strerror(errno));
				goto out;
			}
			done += xsk_complete(&x);
		}
		t = now_s() - t0;
	}
	*sent = done;
	*secs = t;
out:
	xsk_close(&x);
	return err;
}

int gen_sendmmsg(const struct gen_cfg *c, unsigned long long *sent,
		 double *secs)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_IP),
				   .sll_ifindex = c->ifindex };
	unsigned int nf = c->n_flows ? c->n_flows : 1;
	struct mmsghdr msg[MMSG_BATCH] = {};
	struct iovec iov[MMSG_BATCH];
	unsigned long long done = 0;
	__u8 *frames;
	double t0, t = 0;
	int fd, i, n, one = 1;

	frames = malloc((size_t)nf * GEN_FRAME_LEN);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (!frames || fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		n = frames ? -errno : -ENOMEM;
		fprintf(stderr, "gen: packet socket on ifindex %u: %s\n",
			c->ifindex, strerror(-n));
		if (fd >= 0)
			close(fd);
		free(frames);
		return n;
	}
	/* straight to the driver, as AF_XDP and XDP_TX do */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	for (i = 0; i < (int)nf; i++)
		gen_frame_build(c, i, frames + (size_t)i * GEN_FRAME_LEN);
	for (i = 0; i < MMSG_BATCH; i++) {
		iov[i].iov_len = GEN_FRAME_LEN;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	while (!*c->stop && t < c->secs) {
		for (i = 0; i < 16; i++) {
			/* the flows rotate over successive frames */
			for (n = 0; n < MMSG_BATCH; n++)
				iov[n].iov_base = frames +
					((done + n) % nf) * GEN_FRAME_LEN;
			n = sendmmsg(fd, msg, MMSG_BATCH, 0);
			if (n > 0)
				done += n;
		}
		t = now_s() - t0;
	}
	close(fd);
	free(frames);
	*sent = done;
	*secs = t;
	return 0;
}
