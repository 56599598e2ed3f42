// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "cli/opts.h"

void cli_opts_init(struct cli_getopt *g, const char *flags)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->shorts, sizeof(g->shorts), "%s", flags);
}

int cli_opts_add(struct cli_getopt *g, const struct cli_opt *tbl)
{
	size_t len = strlen(g->shorts);
	const struct cli_opt *o;

	for (o = tbl; o->name; o++) {
		if (g->n == CLI_MAX_OPTS)
			return -E2BIG;
		g->longs[g->n++] = (struct option){
			.name = o->name,
			.has_arg = o->metavar ? required_argument : no_argument,
			.val = o->val,
		};
		if (!o->short_opt)
			continue;
		g->shorts[len++] = (char)o->val;
		if (o->metavar)
			g->shorts[len++] = ':';
		g->shorts[len] = '\0';
	}
	return 0;
}

void cli_opt_flag(const struct cli_opt *o, char *buf, size_t len)
{
	const char *arg = o->metavar ? o->metavar : "";
	const char *sep = o->metavar ? " " : "";

	if (o->short_opt)
		snprintf(buf, len, "-%c, --%s%s%s", o->val, o->name, sep, arg);
	else
		snprintf(buf, len, "--%s%s%s", o->name, sep, arg);
}

void cli_opts_help(FILE *f, const struct cli_opt *tbl, const char *prefix)
{
	const struct cli_opt *o;
	char flag[128];

	for (o = tbl; o->name; o++) {
		cli_opt_flag(o, flag, sizeof(flag));
		fprintf(f, "%s    %-28s %s\n", prefix, flag, o->help);
	}
}

int cli_match(const char *word, const char *const *names, size_t n)
{
	size_t i, len = strlen(word);
	int found = CLI_NO_MATCH;

	if (!len)
		return CLI_NO_MATCH;
	for (i = 0; i < n; i++) {
		if (!strcmp(names[i], word))
			return i;
		if (strncmp(names[i], word, len))
			continue;
		found = found == CLI_NO_MATCH ? (int)i : CLI_AMBIGUOUS;
	}
	return found;
}

void cli_match_list(const char *word, const char *const *names, size_t n,
		    char *out, size_t len)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		if (strncmp(names[i], word, strlen(word)))
			continue;
		used += snprintf(out + used, len - used, "%s%s",
				 used ? ", " : "", names[i]);
	}
}
