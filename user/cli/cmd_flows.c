// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flows [count|clear|list]: the flow tables of both families. `clear`
 * forgets every established flow's endpoint (like `conntrack -F`):
 * mid-connection TCP packets are then placed by the previous config during
 * its grace period, everything else by the current weights. `list` shows
 * each tracked flow (like `conntrack -L`), read without the writers' lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "cli/cmd.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "dataplane/flows.h"
#include "dataplane/state.h"

#define FLOWS_LIMIT_DEFAULT 1000 /* flows list prints at most this many */

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
 * Counts the entries of one flow table (canary_flow_v3 or
 * canary_flow6_v3) and with @clear deletes them; *@gone gets how many
 * were deleted. Returns the count or a negative errno.
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

/* What `flows list` prints: the filter, the bound, and what it saw. */
struct list_ctx {
	const char *service;  /* only this service's flows, or NULL */
	unsigned long limit;  /* rows printed at most; 0: all */
	unsigned long total;  /* flows that pass the filter */
	unsigned long expired; /* of those, idle past their timeout */
	json_object *rows;    /* -j */
};

static const char *proto_name(__u8 proto)
{
	return proto == CANARY_PROTO_TCP ? "tcp" : "udp";
}

static json_object *json_row(const struct flow_row *r)
{
	json_object *o = json_object_new_object();
	char buf[CANARY_ADDR_STRLEN];

#define ADD(k, v) json_object_object_add(o, k, v)
	ADD("protocol", json_object_new_string(proto_name(r->proto)));
	ADD("client", json_object_new_string(addr_str(&r->client, buf, sizeof(buf))));
	ADD("client_port", json_object_new_int(r->client_port));
	ADD("vip", json_object_new_string(addr_str(&r->vip, buf, sizeof(buf))));
	ADD("port", json_object_new_int(r->vport));
	ADD("service", r->service ? json_object_new_string(r->service) : NULL);
	ADD("service_id", json_object_new_int64(r->svc_id));
	ADD("version", r->vname ? json_object_new_string(r->vname) : NULL);
	ADD("endpoint", json_object_new_string(addr_str(&r->ep, buf, sizeof(buf))));
	ADD("endpoint_port", json_object_new_int(r->ep_port));
	ADD("snat_port", r->snat_port ? json_object_new_int(r->snat_port) : NULL);
	ADD("state", json_object_new_string(flow_state_name(r->state)));
	ADD("idle_s", r->idle_s >= 0 ? json_object_new_int64(r->idle_s) : NULL);
	ADD("expired", json_object_new_boolean(r->expired));
#undef ADD
	return o;
}

static void print_row(const struct flow_row *r)
{
	char c[CANARY_ADDR_STRLEN + 8], e[CANARY_ADDR_STRLEN + 8], snat[8] = "-",
		idle[24] = "?";

	if (r->snat_port)
		snprintf(snat, sizeof(snat), "%u", r->snat_port);
	if (r->idle_s >= 0)
		snprintf(idle, sizeof(idle), "%lds", r->idle_s);
	printf("%-4s %-30s %-20s %-8s %-30s %-6s %-8s %s%s\n",
	       proto_name(r->proto), addr_port_str(&r->client, r->client_port, c,
						   sizeof(c)),
	       r->service ? r->service : "?", r->vname ? r->vname : "?",
	       addr_port_str(&r->ep, r->ep_port, e, sizeof(e)), snat,
	       flow_state_name(r->state), idle, r->expired ? " (expired)" : "");
}

static int list_row(const struct flow_row *r, void *arg)
{
	struct list_ctx *l = arg;

	if (l->service && (!r->service || strcmp(r->service, l->service)))
		return 0;
	l->total++;
	l->expired += r->expired;
	if (l->limit && l->total > l->limit)
		return 0;
	if (l->rows)
		json_object_array_add(l->rows, json_row(r));
	else
		print_row(r);
	return 0;
}

static void list_summary(struct list_ctx *l)
{
	unsigned long shown = l->limit && l->total > l->limit ? l->limit : l->total;
	json_object *root;

	if (!l->rows) {
		printf("%lu flows (%lu idle past their timeout, counted as gone)",
		       l->total, l->expired);
		if (shown < l->total)
			printf(", %lu shown (--limit)", shown);
		printf("\n");
		return;
	}
	root = json_object_new_object();
	json_object_object_add(root, "flows", l->rows);
	json_object_object_add(root, "total", json_object_new_int64(l->total));
	json_object_object_add(root, "shown", json_object_new_int64(shown));
	json_object_object_add(root, "expired", json_object_new_int64(l->expired));
	json_object_object_add(root, "limit", json_object_new_int64(l->limit));
	puts(json_object_to_json_string_ext(root, json_pretty ?
					    JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN));
	l->rows = NULL;
	json_object_put(root);
}

/* Whether service @name is in the running config (a reader's look). */
static bool service_exists(struct canary_state *st, const char *name)
{
	struct canary_config cfg;
	static __u32 ids[CANARY_MAX_SERVICES];
	bool found;

	config_init(&cfg);
	found = !state_read_config(st, &cfg, ids) &&
		config_find_index(&cfg, name) >= 0;
	config_free(&cfg);
	return found;
}

/* flows list: without the lock, so a busy writer never holds it up. */
static int flows_list(struct list_ctx *l)
{
	struct canary_state st;
	int ret = cli_state_open_unlocked(&st, state_pin_dir(opt_pin_dir)), err;

	if (ret)
		goto out;
	if (l->service && !service_exists(&st, l->service)) {
		ret = cmd_usage_error(&cmd_flows, "--service: service '%s' does "
				      "not exist", l->service);
		goto out;
	}
	if (json_output)
		l->rows = json_object_new_array();
	else
		printf("%-4s %-30s %-20s %-8s %-30s %-6s %-8s %s\n", "PROTO",
		       "CLIENT", "SERVICE", "VERSION", "ENDPOINT", "SNAT",
		       "STATE", "IDLE");
	err = flows_walk(&st, list_row, l);
	if (err) {
		p_err("Couldn't read the flow tables under '%s': %s", st.pin_dir,
		      strerror(-err));
		ret = EXIT_FAIL;
	} else {
		list_summary(l);
	}
	json_object_put(l->rows);
out:
	state_close(&st);
	return ret;
}

/* flows count / clear. */
static int flows_count(bool clear)
{
	struct canary_state st;
	long n4, n6, gone = 0;
	int ret;

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

/* --limit N: 0 (all) or more. */
static int parse_limit(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (!*s || *end || *s == '-' || errno || *out > 16u << 20)
		return cmd_usage_error(&cmd_flows, "--limit: '%s' is not a number "
				       "of flows from 0 (all) to 16777216", s);
	return 0;
}

/* What the command line asked for. */
struct flows_args {
	struct list_ctx l;
	bool list_opts; /* --service or --limit given */
};

static int flows_verb_count(int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	if (((struct flows_args *)arg)->list_opts)
		return cmd_usage_error(&cmd_flows, "--service and --limit go "
				       "with 'list' only");
	return flows_count(false);
}

static int flows_verb_clear(int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	if (((struct flows_args *)arg)->list_opts)
		return cmd_usage_error(&cmd_flows, "--service and --limit go "
				       "with 'list' only");
	return flows_count(true);
}

static int flows_verb_list(int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	return flows_list(&((struct flows_args *)arg)->l);
}

static const struct cmd_verb flows_verbs[] = {
	{ "count", flows_verb_count },
	{ "clear", flows_verb_clear },
	{ "list", flows_verb_list },
	{},
};

static int do_flows(int argc, char **argv)
{
	struct flows_args a = { .l.limit = FLOWS_LIMIT_DEFAULT };
	int opt, ret;

	while ((opt = cmd_getopt(&cmd_flows, argc, argv)) != -1) {
		if (opt == 'h' || opt == '?')
			return opt == 'h' ? EXIT_OK : EXIT_USAGE;
		a.list_opts = true;
		if (opt == 's')
			a.l.service = optarg;
		else if (parse_limit(optarg, &a.l.limit))
			return EXIT_USAGE;
	}
	if (argc - optind > 1)
		return cmd_usage_error(&cmd_flows, "unexpected argument '%s'",
				       argv[optind + 1]);
	ret = cmd_run_verb(&cmd_flows, flows_verbs, argc - optind, argv + optind,
			   &a);
	if (ret == CMD_NO_VERB && argc - optind == 1)
		return cmd_usage_error(&cmd_flows, "'%s' is not count, clear or "
				       "list", argv[optind]);
	if (ret == CMD_NO_VERB)
		return flows_verb_count(0, NULL, &a);
	return ret;
}

static const struct cli_opt flows_opts[] = {
	{ .name = "service", .val = 's', .short_opt = true, .metavar = "NAME",
	  .help = "list: only this service's flows" },
	{ .name = "limit", .val = 'l', .short_opt = true, .metavar = "N",
	  .help = "list: print at most N flows (default 1000; 0: all); the "
		  "count covers all" },
	{},
};

const struct cmd cmd_flows = {
	.name = "flows",
	.fn = do_flows,
	.args = "[count|clear|list] [--service NAME] [--limit N]",
	.summary = "Count the tracked flows (IPv4 and IPv6), list them, or "
		   "forget them all (clear)",
	.opts = flows_opts,
};
