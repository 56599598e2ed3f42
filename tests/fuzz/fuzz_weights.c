// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `set-weight` (user/core/weights.c): the first byte shapes a service (1 to 4
 * versions, which have endpoints, starting weights), the rest is
 * VERSION=PCT arguments, one per line. Success must leave weights
 * totalling 100 %; failure must leave the service untouched and say why.
 */
#include "fuzz.h"
#include "core/weights.h"

#define MAX_ARGS 8

static void make_svc(struct canary_service_cfg *s, uint8_t shape)
{
	int i;

	memset(s, 0, sizeof(*s));
	strcpy(s->name, "prod-service");
	s->n_versions = 1 + (shape & 3);
	for (i = 0; i < s->n_versions; i++) {
		snprintf(s->v[i].name, sizeof(s->v[i].name), "v%d", i + 1);
		s->v[i].n_endpoints = (shape >> (2 + i)) & 1 ? 0 : 1;
	}
	s->v[0].weight_bps = CANARY_BPS_TOTAL;
}

/* Splits @s at newlines into at most MAX_ARGS arguments. */
static int split(char *s, char **argv)
{
	int n = 0;

	while (n < MAX_ARGS) {
		argv[n++] = s;
		s = strchr(s, '\n');
		if (!s)
			break;
		*s++ = '\0';
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct canary_service_cfg svc, before;
	struct canary_err err = { .msg = "" };
	char *s, *argv[MAX_ARGS];
	unsigned int total = 0;
	int n, i;

	if (!size)
		return 0;
	make_svc(&svc, data[0]);
	before = svc;
	s = fuzz_str(data + 1, size - 1);
	n = split(s, argv);
	if (weights_apply(&svc, n, argv, &err)) {
		FUZZ_CHECK(!memcmp(&svc, &before, sizeof(svc)));
		FUZZ_CHECK(err.msg[0] != '\0');
	} else {
		for (i = 0; i < svc.n_versions; i++)
			total += svc.v[i].weight_bps;
		FUZZ_CHECK(total == CANARY_BPS_TOTAL);
	}
	free(s);
	return 0;
}
