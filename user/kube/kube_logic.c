// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Quantities, weight normalisation and derived names (see kube_logic.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "kube/kube_logic.h"
#include "core/parse.h"

typedef __int128 i128;

/* Suffix -> power of ten and power of 1024; -EINVAL if unknown. */
static int quantity_suffix(const char *s, int *p10, int *p1024)
{
	static const char dec[] = "num kMGTPE";
	static const char bin[] = "KMGTPE";
	const char *c;
	char *end;
	long e;

	*p10 = 0;
	*p1024 = 0;
	if (!*s)
		return 0;
	if ((s[0] == 'e' || s[0] == 'E') && s[1]) {
		e = strtol(s + 1, &end, 10);
		if (*end || e < -30 || e > 30)
			return -EINVAL;
		*p10 = (int)e;
		return 0;
	}
	if (s[1] == 'i' && !s[2] && (c = strchr(bin, s[0])) && *c) {
		*p1024 = (int)(c - bin) + 1;
		return 0;
	}
	if (s[1] || s[0] == ' ' || !(c = strchr(dec, s[0])) || !*c)
		return -EINVAL;
	*p10 = ((int)(c - dec) - 3) * 3;
	return 0;
}

/* Mantissa "123.45" -> 12345 and 2 fraction digits; returns the end. */
static const char *quantity_mantissa(const char *s, i128 *m, int *frac)
{
	int digits = 0, seen_dot = 0;

	*m = 0;
	*frac = 0;
	for (; isdigit((unsigned char)*s) || (*s == '.' && !seen_dot); s++) {
		if (*s == '.') {
			seen_dot = 1;
			continue;
		}
		if (digits++ >= 30)
			return NULL;
		*m = *m * 10 + (*s - '0');
		*frac += seen_dot;
	}
	return digits ? s : NULL;
}

int kube_quantity_milli(const char *s, int64_t *milli)
{
	int neg = 0, frac, p10, p1024, exp10;
	const char *rest;
	i128 m, div = 1;

	if (!s)
		return -EINVAL;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	rest = quantity_mantissa(s, &m, &frac);
	if (!rest || quantity_suffix(rest, &p10, &p1024))
		return -EINVAL;
	exp10 = p10 + 3 - frac;
	for (; p1024 > 0; p1024--)
		if ((m *= 1024) > INT64_MAX)
			return -ERANGE;
	for (; exp10 > 0; exp10--)
		if ((m *= 10) > INT64_MAX)
			return -ERANGE;
	for (; exp10 < 0 && div < INT64_MAX; exp10++)
		div *= 10;
	if (exp10 < 0)
		div = (i128)1 << 100; /* anything this small rounds to 1m */
	m = m ? (m + div - 1) / div : 0; /* round up, as Kubernetes does */
	if (m > INT64_MAX)
		return -ERANGE;
	*milli = neg ? -(int64_t)m : (int64_t)m;
	return 0;
}

int kube_weights_bps(const int64_t *w, int n, __u16 *bps,
		     struct canary_err *err)
{
	i128 sum = 0, rem[CANARY_MAX_VERSIONS];
	int i, best, left = CANARY_BPS_TOTAL;

	if (n < 1 || n > CANARY_MAX_VERSIONS)
		return cerr_set(err, "%d backends (1 to %d supported)", n,
				CANARY_MAX_VERSIONS);
	for (i = 0; i < n; i++) {
		if (w[i] < 0)
			return cerr_set(err, "backend %d has a negative weight", i + 1);
		sum += w[i];
	}
	if (!sum)
		return cerr_set(err, "all weights are zero");
	for (i = 0; i < n; i++) {
		bps[i] = (__u16)((i128)w[i] * CANARY_BPS_TOTAL / sum);
		rem[i] = (i128)w[i] * CANARY_BPS_TOTAL % sum;
		left -= bps[i];
	}
	for (; left > 0; left--) {
		for (best = 0, i = 1; i < n; i++)
			if (rem[i] > rem[best])
				best = i;
		bps[best]++;
		rem[best] = -1;
	}
	return 0;
}

/* FNV-1a, 32 bits: short, stable, good enough to tell names apart. */
static __u32 fnv1a(const char *s)
{
	__u32 h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void kube_name_fit(const char *in, char *out, size_t len)
{
	size_t n = strlen(in), i;

	for (i = 0; i < n && i < len - 1; i++)
		out[i] = isalnum((unsigned char)in[i]) || in[i] == '.' ||
				 in[i] == '_' || in[i] == '-' ? in[i] : '-';
	out[i] = '\0';
	if (n < len)
		return;
	snprintf(out + len - 10, 10, "-%08x", fnv1a(in));
}

/* The name tag of @vip (see kube_service_name()), "" for none. */
static void vip_tag(const struct canary_addr *vip, bool primary, char *out,
		    size_t len)
{
	char ip[CANARY_ADDR_STRLEN], *c;

	out[0] = '\0';
	if (primary) {
		if (addr_is_v6(vip))
			snprintf(out, len, ".v6");
		return;
	}
	addr_str(vip, ip, sizeof(ip));
	for (c = ip; *c; c++)
		if (*c == '.' || *c == ':')
			*c = '-';
	snprintf(out, len, ".%s", ip);
}

void kube_service_name(const char *ns, const char *split,
		       const char *port_name, __u16 port,
		       const struct canary_addr *vip, bool primary,
		       char *out, size_t len)
{
	char full[512], pnum[8], tag[CANARY_ADDR_STRLEN + 2];

	snprintf(pnum, sizeof(pnum), "%u", port);
	vip_tag(vip, primary, tag, sizeof(tag));
	snprintf(full, sizeof(full), KUBE_SVC_PREFIX "%s.%s.%s%s", ns, split,
		 port_name && *port_name ? port_name : pnum, tag);
	kube_name_fit(full, out, len);
}

bool kube_dns_subdomain(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    s[i] != '-' && s[i] != '.')
			return false;
	return n > 0 && n <= 253 && isalnum((unsigned char)s[0]) &&
	       isalnum((unsigned char)s[n - 1]);
}
