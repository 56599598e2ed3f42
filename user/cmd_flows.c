// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flows [count|clear]: the flow table. `clear` forgets every established
 * flow's endpoint (like `conntrack -F`): mid-connection TCP packets are
 * then placed by the previous config during its grace period, everything
 * else by the current weights.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "cmd.h"
#include "log.h"
#include "output.h"
#include "state.h"

/* Keys of the flow table into a malloc'd array; returns the count or a
 * negative errno. */
static long flow_keys(int fd, __u32 limit, struct canary_flow_key **out)
{
	size_t n = 0, cap = 1024;
	struct canary_flow_key *keys = malloc(cap * sizeof(*keys)), *more;

	__u32 steps = limit;

	while (keys && steps--) {
		if (n == cap) {
			more = realloc(keys, 2 * cap * sizeof(*keys));
			if (!more)
				break;
			keys = more;
			cap *= 2;
		}
		if (bpf_map_get_next_key(fd, n ? &keys[n - 1] : NULL, &keys[n]))
			break;
		n++;
	}
	if (!keys)
		return -ENOMEM;
	*out = keys;
	return n;
}

static int do_flows(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct canary_flow_key *keys = NULL;
	struct canary_state st;
	bool clear = false;
	long n, i, gone = 0;
	int opt, ret;

	while ((opt = cmd_getopt(&cmd_flows, argc, argv, ":h", longs)) != -1)
		return opt == 'h' ? EXIT_OK : EXIT_USAGE;
	if (argc - optind > 1)
		return cmd_usage_error(&cmd_flows, "unexpected argument '%s'",
				       argv[optind + 1]);
	if (argc - optind == 1 && strcmp(argv[optind], "count") &&
	    strcmp(argv[optind], "clear"))
		return cmd_usage_error(&cmd_flows, "'%s' is not count or clear",
				       argv[optind]);
	clear = argc - optind == 1 && !strcmp(argv[optind], "clear");
	ret = state_open_existing(&st, state_pin_dir(opt_pin_dir));
	if (ret)
		goto out;
	n = flow_keys(st.flow_fd, state_flow_walk_limit(&st), &keys);
	if (n < 0) {
		p_err("Couldn't read the flow table: %s", strerror(-n));
		ret = EXIT_FAIL;
		goto out;
	}
	for (i = 0, gone = 0; clear && i < n; i++)
		gone += bpf_map_delete_elem(st.flow_fd, &keys[i]) == 0;
	if (clear)
		state_count_deleted_flows(&st, gone);
	if (clear)
		p_done("%ld flows forgotten", gone);
	else if (json_output)
		printf("{\"flows\":%ld}\n", n);
	else
		printf("%ld flows\n", n);
out:
	free(keys);
	state_close(&st);
	return ret;
}

static const struct cmd_opt flows_opts[] = {
	{ "--help", "show this help" },
	{},
};

const struct cmd cmd_flows = {
	.name = "flows",
	.fn = do_flows,
	.args = "[count|clear]",
	.summary = "Count the tracked flows, or forget them all (clear)",
	.opts = flows_opts,
};
