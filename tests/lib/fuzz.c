// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "fuzz.h"

#define ICMP_ERR_TYPES 2 /* destination unreachable, time exceeded */

__u64 fuzz_next(struct fuzz_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

__u32 fuzz_below(struct fuzz_rng *r, __u32 n)
{
	return (__u32)((fuzz_next(r) >> 32) % n);
}

void fuzz_flows_add(struct fuzz_flows *fl, const struct fuzz_flow *f)
{
	fl->f[fl->n++ % FUZZ_FLOWS] = *f;
}

void fuzz_flows_add6(struct fuzz_flows *fl, const struct fuzz_flow6 *f)
{
	fl->f6[fl->n6++ % FUZZ_FLOWS] = *f;
}

__be16 fuzz_rd16(const __u8 *p)
{
	__be16 v;

	memcpy(&v, p, 2);
	return v;
}

void fuzz_wr16(__u8 *p, __u16 host)
{
	__be16 v = htons(host);

	memcpy(p, &v, 2);
}

/* --- Valid frames of each kind ------------------------------------- */

/* A random client packet to @daddr:@dport (host order) over @proto. */
static size_t client_packet(struct fuzz_rng *r, __be32 daddr, __u16 dport,
			    __u8 proto, __u8 *buf)
{
	struct pkt_spec s = {
		.proto = proto,
		/* A few hundred clients: flows repeat, so flow hits too. */
		.saddr = htonl(0x0a000000 | fuzz_below(r, 512)),
		.daddr = daddr,
		.sport = 1024 + fuzz_below(r, 2048),
		.dport = dport,
		.vlan = fuzz_below(r, 4) == 0,
		.ip_opts = fuzz_below(r, 4) ? 0 : 4 * fuzz_below(r, 11),
		.tcp_opts = fuzz_below(r, 4) ? 0 : 4 * fuzz_below(r, 11),
		.tcp_flags = fuzz_below(r, 2) ? 0x02 : fuzz_below(r, 256),
		.udp_no_csum = fuzz_below(r, 8) == 0,
		.frag_off = fuzz_below(r, 16) ? 0 : fuzz_below(r, 0x10000),
		.payload = fuzz_below(r, 4) ? fuzz_below(r, 64) : fuzz_below(r, 1400),
	};

	return pkt_build(&s, buf);
}

static size_t vip_packet(struct fuzz_rng *r, __u8 *buf)
{
	switch (fuzz_below(r, 5)) {
	case 0:
	case 1:
		return client_packet(r, ip4("10.96.0.10"), 5000, IPPROTO_TCP, buf);
	case 2:
	case 3:
		return client_packet(r, ip4("10.96.0.10"), 5000, IPPROTO_UDP, buf);
	default: /* the service without endpoints */
		return client_packet(r, ip4("10.96.0.11"), 6000, IPPROTO_TCP, buf);
	}
}

static size_t other_packet(struct fuzz_rng *r, __u8 *buf)
{
	switch (fuzz_below(r, 4)) {
	case 0: /* the VIP, another port */
		return client_packet(r, ip4("10.96.0.10"), 1 + fuzz_below(r, 65535),
				     IPPROTO_TCP, buf);
	case 1: /* the empty service's VIP:port, the other protocol */
		return client_packet(r, ip4("10.96.0.11"), 6000, IPPROTO_UDP, buf);
	case 2: /* an endpoint, directly */
		return client_packet(r, ip4("10.244.1.11"), 5050, IPPROTO_TCP, buf);
	default:
		return client_packet(r, (__be32)fuzz_next(r), fuzz_below(r, 65536),
				     fuzz_below(r, 2) ? IPPROTO_TCP : IPPROTO_UDP,
				     buf);
	}
}

static const struct fuzz_flow *some_flow(struct fuzz_rng *r,
					 const struct fuzz_flows *fl)
{
	unsigned int n = fl->n < FUZZ_FLOWS ? fl->n : FUZZ_FLOWS;

	return n ? &fl->f[fuzz_below(r, n)] : NULL;
}

/* The flow's packet in one direction, as the spec of a frame. */
static struct pkt_spec flow_spec(struct fuzz_rng *r, const struct fuzz_flow *f,
				 bool reply, bool translated)
{
	struct pkt_spec s = {
		.proto = f->proto,
		.saddr = reply ? f->ep : f->client,
		.daddr = reply ? f->client : f->ep,
		.sport = ntohs(reply ? f->eport : f->cport),
		.dport = ntohs(reply ? f->cport : f->eport),
		.tcp_flags = 0x10,
		.udp_no_csum = fuzz_below(r, 8) == 0,
		.payload = fuzz_below(r, 200),
	};

	if (reply && !translated) {
		s.saddr = f->vip;
		s.sport = ntohs(f->vport);
	}
	return s;
}

static size_t reply_packet(struct fuzz_rng *r, const struct fuzz_flows *fl,
			   __u8 *buf)
{
	const struct fuzz_flow *f = some_flow(r, fl);
	struct pkt_spec s;

	if (!f)
		return vip_packet(r, buf);
	s = flow_spec(r, f, true, false);
	s.saddr = f->ep;
	s.sport = ntohs(f->eport);
	s.vlan = fuzz_below(r, 4) == 0;
	return pkt_build(&s, buf);
}

/* An ICMP error quoting 28 bytes, the whole header, or more. */
static size_t icmp_quoting(struct fuzz_rng *r, __be32 src, __be32 dst,
			   const struct pkt_spec *quoted, __u8 *buf)
{
	static const __u8 types[ICMP_ERR_TYPES] = { 3, 11 };
	__u8 q[PKT_MAX];
	size_t qlen = pkt_build(quoted, q) - sizeof(struct ethhdr);
	size_t want = fuzz_below(r, 2) ? 28 : 20 + 8 + fuzz_below(r, 64);

	return pkt_build_icmp(src, dst, types[fuzz_below(r, ICMP_ERR_TYPES)],
			      fuzz_below(r, 16), q, want < qlen ? want : qlen,
			      buf);
}

/* To the VIP from a router, about a reply (VIP:port -> client). */
static size_t icmp_in_packet(struct fuzz_rng *r, const struct fuzz_flows *fl,
			     __u8 *buf)
{
	const struct fuzz_flow *f = some_flow(r, fl);
	struct pkt_spec q;

	if (!f)
		return vip_packet(r, buf);
	q = flow_spec(r, f, true, false);
	return icmp_quoting(r, ip4("10.0.9.1"), f->vip, &q, buf);
}

/* To a client, from the endpoint or a router, about client -> endpoint. */
static size_t icmp_out_packet(struct fuzz_rng *r, const struct fuzz_flows *fl,
			      __u8 *buf)
{
	const struct fuzz_flow *f = some_flow(r, fl);
	struct pkt_spec q;

	if (!f)
		return vip_packet(r, buf);
	q = flow_spec(r, f, false, true);
	return icmp_quoting(r, fuzz_below(r, 2) ? f->ep : ip4("10.244.1.1"),
			    f->client, &q, buf);
}

static size_t random_bytes(struct fuzz_rng *r, __u8 *buf)
{
	size_t i, len = fuzz_below(r, 200);

	for (i = 0; i < len; i++)
		buf[i] = (__u8)fuzz_next(r);
	if (len >= 15 && fuzz_below(r, 2)) { /* make it look like IPv4 */
		fuzz_wr16(buf + 12, ETH_P_IP);
		buf[14] = 0x45;
	} else if (len >= 15 && fuzz_below(r, 2)) { /* or IPv6 */
		fuzz_wr16(buf + 12, ETH_P_IPV6);
		buf[14] = 0x60;
	}
	return len;
}

/* --- Mutations ------------------------------------------------------ */

size_t fuzz_l3_of(const __u8 *buf, size_t len)
{
	__u16 type = len >= 14 ? ntohs(fuzz_rd16(buf + 12)) : 0;

	return type == ETH_P_8021Q || type == FUZZ_ETH_P_8021AD ? 18 : 14;
}

static size_t mut_extend(struct fuzz_rng *r, __u8 *buf, size_t len)
{
	size_t n = 1 + fuzz_below(r, 64), i;

	if (len + n > PKT_MAX)
		n = PKT_MAX - len;
	for (i = 0; i < n; i++)
		buf[len + i] = (__u8)fuzz_next(r);
	return len + n;
}

static size_t mut_flip(struct fuzz_rng *r, __u8 *buf, size_t len)
{
	if (len)
		buf[fuzz_below(r, len < 100 ? len : 100)] ^= 1 << fuzz_below(r, 8);
	return len;
}

/* Inserts a VLAN tag (802.1Q or 802.1ad) after the MAC addresses. */
static size_t mut_vlan(struct fuzz_rng *r, __u8 *buf, size_t len)
{
	if (len < 12 || len + 4 > PKT_MAX)
		return len;
	memmove(buf + 16, buf + 12, len - 12);
	fuzz_wr16(buf + 12, fuzz_below(r, 2) ? ETH_P_8021Q : FUZZ_ETH_P_8021AD);
	fuzz_wr16(buf + 14, fuzz_below(r, 4096));
	return len + 4;
}

/* Inserts 4 to 40 bytes of random IPv4 options (ihl and tot_len follow). */
static size_t mut_ip_opts(struct fuzz_rng *r, __u8 *buf, size_t len)
{
	size_t l3 = fuzz_l3_of(buf, len), at, n, i;
	__u8 ihl;

	if (len < l3 + 20)
		return len;
	ihl = buf[l3] & 0xf;
	n = 4 * (1 + fuzz_below(r, 10));
	if (ihl < 5 || ihl * 4 + n > 60 || len + n > PKT_MAX ||
	    l3 + ihl * 4 > len)
		return len;
	at = l3 + ihl * 4;
	memmove(buf + at + n, buf + at, len - at);
	for (i = 0; i < n; i++)
		buf[at + i] = fuzz_below(r, 2) ? 1 : (__u8)fuzz_next(r);
	buf[l3] = (buf[l3] & 0xf0) | (ihl + n / 4);
	fuzz_wr16(buf + l3 + 2, ntohs(fuzz_rd16(buf + l3 + 2)) + n);
	return len + n;
}

static __be32 some_addr(struct fuzz_rng *r)
{
	static const char *const addrs[] = { "10.96.0.10", "10.96.0.11",
					     "10.244.1.11", "10.244.1.21" };

	if (fuzz_below(r, 5) == 0)
		return (__be32)fuzz_next(r);
	return ip4(addrs[fuzz_below(r, 4)]);
}

static void set_ip_field(struct fuzz_rng *r, __u8 *ip, int which)
{
	static const __u8 protos[] = { 1, 6, 17, 47, 132 };
	static const __u16 frags[] = { 0x2000, 0x4000, 0x0001, 0x1fff };
	__be32 a;

	switch (which) {
	case 0: ip[0] = (ip[0] & 0xf0) | fuzz_below(r, 16); break;
	case 1: ip[0] = (ip[0] & 0x0f) | fuzz_below(r, 16) << 4; break;
	case 2: fuzz_wr16(ip + 2, fuzz_below(r, 0x10000)); break;
	case 3: fuzz_wr16(ip + 6, frags[fuzz_below(r, 4)]); break;
	case 4: ip[9] = protos[fuzz_below(r, 5)]; break;
	case 5: ip[8] = fuzz_below(r, 3); break;
	case 6: a = some_addr(r); memcpy(ip + 16, &a, 4); break;
	default: a = some_addr(r); memcpy(ip + 12, &a, 4); break;
	}
}

static void set_l4_field(struct fuzz_rng *r, __u8 *l4, int which)
{
	static const __u16 ports[] = { 5000, 6000, 5050, 0 };

	switch (which) {
	case 0: fuzz_wr16(l4 + 2, ports[fuzz_below(r, 4)]); break;
	case 1: fuzz_wr16(l4, fuzz_below(r, 0x10000)); break;
	case 2: l4[13] = fuzz_below(r, 256); break;       /* TCP flags */
	case 3: l4[12] = fuzz_below(r, 256); break;       /* TCP doff */
	default: fuzz_wr16(l4 + 4, fuzz_below(r, 0x10000)); break; /* UDP len */
	}
}

/* Sets one Ethernet, IPv4 or L4 header field to an odd value. */
static size_t mut_field(struct fuzz_rng *r, __u8 *buf, size_t len)
{
	static const __u16 types[] = { ETH_P_IP, ETH_P_8021Q, FUZZ_ETH_P_8021AD,
				       ETH_P_IPV6, ETH_P_ARP };
	size_t l3 = fuzz_l3_of(buf, len), l4;
	int which = fuzz_below(r, 14);

	if (which == 13 && len >= 14) {
		fuzz_wr16(buf + 12, fuzz_below(r, 8) ? types[fuzz_below(r, 5)] :
						       fuzz_below(r, 0x10000));
		return len;
	}
	if (len < l3 + 20)
		return mut_flip(r, buf, len);
	if (which < 8) {
		set_ip_field(r, buf + l3, which);
		return len;
	}
	l4 = l3 + (buf[l3] & 0xf) * 4;
	if (l4 + 20 <= len)
		set_l4_field(r, buf + l4, which - 8);
	return len;
}

/* --- Checksum fix-up and the frame ---------------------------------- */

static void put_csum(__u8 *field, __u16 host)
{
	fuzz_wr16(field, host);
}

/* Recomputes the IPv4, and the L4 or ICMP, checksums where they fit
 * (IPv6: fuzz_fix_csums6()). */
static void fix_csums(__u8 *buf, size_t len)
{
	size_t l3 = fuzz_l3_of(buf, len), ihl, tot, l4;
	__u8 *ip = buf + l3;

	if (len >= l3 && fuzz_rd16(buf + l3 - 2) == htons(ETH_P_IPV6))
		return fuzz_fix_csums6(buf, len, l3);
	if (len < l3 + 20 || (ip[0] >> 4) != 4 || (ihl = (ip[0] & 0xf) * 4) < 20 ||
	    l3 + ihl > len)
		return;
	put_csum(ip + 10, 0);
	put_csum(ip + 10, pkt_csum(ip, ihl));
	tot = ntohs(fuzz_rd16(ip + 2));
	l4 = l3 + ihl;
	if (tot < ihl + 8 || l3 + tot > len)
		return;
	if (ip[9] == IPPROTO_TCP && tot >= ihl + 20) {
		put_csum(buf + l4 + 16, 0);
		put_csum(buf + l4 + 16, pkt_l4_csum((void *)ip, buf + l4, tot - ihl));
	} else if (ip[9] == IPPROTO_UDP && fuzz_rd16(buf + l4 + 6)) {
		__u16 c;

		put_csum(buf + l4 + 6, 0);
		c = pkt_l4_csum((void *)ip, buf + l4, tot - ihl);
		put_csum(buf + l4 + 6, c ? c : 0xffff);
	} else if (ip[9] == IPPROTO_ICMP) {
		put_csum(buf + l4 + 2, 0);
		put_csum(buf + l4 + 2, pkt_csum(buf + l4, tot - ihl));
	}
}

static size_t base_frame(struct fuzz_rng *r, const struct fuzz_flows *fl,
			 __u8 *buf, enum fuzz_kind kind)
{
	switch (kind) {
	case FK_VIP: return vip_packet(r, buf);
	case FK_OTHER: return other_packet(r, buf);
	case FK_REPLY: return reply_packet(r, fl, buf);
	case FK_ICMP_IN: return icmp_in_packet(r, fl, buf);
	case FK_ICMP_OUT: return icmp_out_packet(r, fl, buf);
	case FK_RANDOM: return random_bytes(r, buf);
	default: return fuzz_frame6(r, fl, buf, kind);
	}
}

static size_t mutate(struct fuzz_rng *r, __u8 *buf, size_t len)
{
	size_t l3 = fuzz_l3_of(buf, len);

	/* IPv6 frames get their own mutations half the time. */
	if (len >= l3 && fuzz_rd16(buf + l3 - 2) == htons(ETH_P_IPV6) &&
	    fuzz_below(r, 2))
		return fuzz_mutate6(r, buf, len);
	switch (fuzz_below(r, 8)) {
	case 0: return fuzz_below(r, len + 1);  /* truncate */
	case 1: return mut_extend(r, buf, len);
	case 2: return mut_flip(r, buf, len);
	case 3: return mut_vlan(r, buf, len);
	case 4: return mut_ip_opts(r, buf, len);
	default: return mut_field(r, buf, len);
	}
}

size_t fuzz_frame(struct fuzz_rng *r, const struct fuzz_flows *fl, __u8 *buf,
		  enum fuzz_kind *kind)
{
	/* Weighted: most frames are service traffic, the interesting kind;
	 * IPv4 and IPv6 alike. */
	static const enum fuzz_kind kinds[] = {
		FK_VIP, FK_VIP, FK_VIP, FK_VIP, FK_OTHER, FK_REPLY, FK_REPLY,
		FK_ICMP_IN, FK_ICMP_OUT, FK_RANDOM,
		FK_VIP6, FK_VIP6, FK_VIP6, FK_VIP6, FK_OTHER6, FK_REPLY6,
		FK_REPLY6, FK_ICMP_IN6, FK_ICMP_OUT6, FK_ICMP6,
	};
	int n_mut = fuzz_below(r, 3) ? fuzz_below(r, 4) : 0, i;
	size_t len;

	*kind = kinds[fuzz_below(r, sizeof(kinds) / sizeof(kinds[0]))];
	len = base_frame(r, fl, buf, *kind);
	for (i = 0; i < n_mut; i++)
		len = mutate(r, buf, len);
	if (n_mut && fuzz_below(r, 2))
		fix_csums(buf, len);
	return len;
}

/* --- The data plane's view ------------------------------------------ */

/* bpf/icmp.h parse_icmp_err() after the outer IPv4 header at @l3. */
static void parse_icmp(const __u8 *buf, size_t len, size_t l3,
		       struct fuzz_view *v)
{
	const __u8 *ip = buf + l3, *in;
	size_t ic = l3 + (ip[0] & 0xf) * 4, tot = ntohs(fuzz_rd16(ip + 2));
	size_t qend, hdr;
	__be16 c;

	if (ic + 8 > len || (buf[ic] != 3 && buf[ic] != 11) || ic + 8 + 20 > len)
		return;
	in = buf + ic + 8;
	if ((in[0] >> 4) != 4 || (in[0] & 0xf) < 5 ||
	    (in[9] != IPPROTO_TCP && in[9] != IPPROTO_UDP) ||
	    ic + 8 + (in[0] & 0xf) * 4 + 4 > len ||
	    ic + 8 + (in[0] & 0xf) * 4 + 4 > l3 + tot)
		return;
	v->icmp_err = true;
	v->icmp_off = ic;
	v->q_l3 = ic + 8;
	v->q_l4 = ic + 8 + (in[0] & 0xf) * 4;
	v->proto = in[9];
	memcpy(&v->saddr, ip + 12, 4);
	memcpy(&v->daddr, ip + 16, 4);
	memcpy(&v->q_saddr, in + 12, 4);
	memcpy(&v->q_daddr, in + 16, 4);
	v->q_sport = fuzz_rd16(buf + v->q_l4);
	v->q_dport = fuzz_rd16(buf + v->q_l4 + 2);
	v->icmp_csum_ok = tot >= ic - l3 && l3 + tot <= len &&
			  pkt_csum(buf + ic, tot - (ic - l3)) == 0;
	qend = v->q_l3 + ntohs(fuzz_rd16(in + 2));
	hdr = v->proto == IPPROTO_TCP ? 20 : 8;
	if (qend > l3 + tot || qend > len || qend < v->q_l4 + hdr)
		return;
	c = fuzz_rd16(buf + v->q_l4 + (v->proto == IPPROTO_TCP ? 16 : 6));
	v->q_l4_csum_ok = (v->proto == IPPROTO_UDP && !c) ||
			  pkt_l4_csum((const void *)in, buf + v->q_l4,
				      qend - v->q_l4) == 0;
}

/* bpf/parse.h parse_l4() and the checksums, for IPv4 at @l3. */
static void parse_l4(const __u8 *buf, size_t len, size_t l3,
		     struct fuzz_view *v)
{
	const __u8 *ip = buf + l3;
	size_t ihl = (ip[0] & 0xf) * 4, tot = ntohs(fuzz_rd16(ip + 2));
	size_t hdr = ip[9] == IPPROTO_TCP ? 20 : 8;
	__u16 l4csum;

	v->l4_off = l3 + ihl;
	if (v->l4_off + hdr > len)
		return;
	v->l4 = true;
	v->proto = ip[9];
	memcpy(&v->saddr, ip + 12, 4);
	memcpy(&v->daddr, ip + 16, 4);
	v->sport = fuzz_rd16(buf + v->l4_off);
	v->dport = fuzz_rd16(buf + v->l4_off + 2);
	v->ip_csum_ok = pkt_csum(ip, ihl) == 0;
	l4csum = fuzz_rd16(buf + v->l4_off + (v->proto == IPPROTO_TCP ? 16 : 6));
	if (tot < ihl + hdr || l3 + tot > len)
		return;
	v->l4_csum_ok = (v->proto == IPPROTO_UDP && !l4csum) ||
			pkt_l4_csum((const void *)ip, buf + v->l4_off, tot - ihl) == 0;
}

struct fuzz_view fuzz_parse(const __u8 *buf, size_t len)
{
	struct fuzz_view v = {};
	const __u8 *ip;
	__u16 type;

	if (len < 14)
		return v;
	type = ntohs(fuzz_rd16(buf + 12));
	v.l3 = 14;
	if (type == ETH_P_8021Q || type == FUZZ_ETH_P_8021AD) {
		if (len < 18)
			return v;
		type = ntohs(fuzz_rd16(buf + 16));
		v.l3 = 18;
	}
	ip = buf + v.l3;
	if (type == ETH_P_IPV6 && len >= v.l3 + 40 && (ip[0] >> 4) == 6) {
		fuzz_parse6(buf, len, &v);
		return v;
	}
	if (type != ETH_P_IP || len < v.l3 + 20 || (ip[0] >> 4) != 4 ||
	    (ip[0] & 0xf) < 5)
		return v;
	v.ip_csum_ok = v.l3 + (ip[0] & 0xf) * 4 <= len &&
		       pkt_csum(ip, (ip[0] & 0xf) * 4) == 0;
	if (ip[9] == IPPROTO_ICMP && !(fuzz_rd16(ip + 6) & htons(0x1fff)))
		parse_icmp(buf, len, v.l3, &v);
	if ((ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP) &&
	    !(fuzz_rd16(ip + 6) & htons(0x1fff)))
		parse_l4(buf, len, v.l3, &v);
	return v;
}
