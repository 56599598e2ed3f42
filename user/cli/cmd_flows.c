// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flows [count|clear]: the flow tables of both families. `clear` forgets every established
 * flow's endpoint (like `conntrack -F`): mid-connection TCP packets are
 * then placed by the previous config during its grace period, everything
 * else by the current weights.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "cli/cmd.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "dataplane/state.h"

/* Keys (of @key_size bytes) of a flow table into a malloc'd array;
 * returns the count or a negative errno. */
static long flow_keys(int fd, size_t key_size, __u32 limit, unsigned char **out)
{
	size_t n = 0, cap = 1024;
	unsigned char *keys = malloc(cap * key_size), *more;
	__u32 steps = limit;

	while (keys && steps--) {
		if (n == cap) {
			more = realloc(keys, 2 * cap * key_size);
			if (!more)
				break;
			keys = more;
			cap *= 2;
		}
		if (bpf_map_get_next_key(fd, n ? keys + (n - 1) * key_size : NULL,
					 keys + n * key_size))
			break;
		n++;
	}
	if (!keys)
		return -ENOMEM;
	*out = keys;
	return n;
}

/*
 * Counts the entries of one flow table (canary_flow or canary_flow6) and
 * with @clear deletes them; *@gone gets how many were deleted. Returns the
 * count or a negative errno.
 */
static long flow_table(struct canary_state *st, int fd, size_t key_size,
		       bool clear, long *gone)
{
	unsigned char *keys = NULL;
	long n, i;

	n = flow_keys(fd, key_size, state_flow_walk_limit(st), &keys);
	for (i = 0; clear && i < n; i++)
		*gone += bpf_map_delete_elem(fd, keys + i * key_size) == 0;
	free(keys);
	return n;
}

/* The verbs set *@arg, the clear flag. */
static int flows_count(int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	*(bool *)arg = false;
	return 0;
}

static int flows_clear(int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	*(bool *)arg = true;
	return 0;
}

static const struct cmd_verb flows_verbs[] = {
	{ "count", flows_count },
	{ "clear", flows_clear },
	{},
};

static int do_flows(int argc, char **argv)
{
	struct canary_state st;
	bool clear = false;
	long n4, n6, gone = 0;
	int opt, ret;

	while ((opt = cmd_getopt(&cmd_flows, argc, argv)) != -1)
		return opt == 'h' ? EXIT_OK : EXIT_USAGE;
	if (argc - optind > 1)
		return cmd_usage_error(&cmd_flows, "unexpected argument '%s'",
				       argv[optind + 1]);
	ret = cmd_run_verb(&cmd_flows, flows_verbs, argc - optind, argv + optind,
			   &clear);
	if (ret == CMD_NO_VERB && argc - optind == 1)
		return cmd_usage_error(&cmd_flows, "'%s' is not count or clear",
				       argv[optind]);
	if (ret > 0)
		return ret;
	ret = cli_state_open_existing(&st, state_pin_dir(opt_pin_dir));
	if (ret)
		goto out;
	n4 = flow_table(&st, st.flow_fd, sizeof(struct canary_flow_key), clear,
			&gone);
	n6 = n4 < 0 ? 0 : flow_table(&st, st.flow6_fd,
				     sizeof(struct canary_flow6_key), clear,
				     &gone);
	if (n4 < 0 || n6 < 0) {
		p_err("Couldn't read the flow table: %s",
		      strerror(n4 < 0 ? -n4 : -n6));
		ret = EXIT_FAIL;
		goto out;
	}
	if (clear)
		state_count_deleted_flows(&st, gone);
	if (clear)
		p_done("%ld flows forgotten", gone);
	else if (json_output)
		printf("{\"flows\":%ld,\"flows_ipv4\":%ld,\"flows_ipv6\":%ld}\n",
		       n4 + n6, n4, n6);
	else
		printf("%ld flows\n", n4 + n6);
out:
	state_close(&st);
	return ret;
}

const struct cmd cmd_flows = {
	.name = "flows",
	.fn = do_flows,
	.args = "[count|clear]",
	.summary = "Count the tracked flows (IPv4 and IPv6), or forget them "
		   "all (clear)",
};
