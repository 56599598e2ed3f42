// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* apply -f FILE: the running config becomes exactly the file. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "dataplane/bridge.h"
#include "dataplane/state.h"
#include "core/config_yaml.h"
#include "kube/kube_logic.h"

static const struct cli_opt apply_opts[] = {
	{ .name = "file", .val = 'f', .short_opt = true, .metavar = "FILE",
	  .help = "YAML config to apply (required)" },
	{},
};

/*
 * What the file asks of the running config (@old, packed: it is only
 * compared unless something changed; indexed by name in @ix): the
 * services it changes or adds (want), and which of @old's it names
 * (seen). The Kubernetes agent's services ("k8s.*") are not the file's:
 * it cannot name them, and they stay as the agent set them.
 */
struct apply_ctx {
	struct config_packed old;
	struct canary_service_cfg *scratch; /* one of old, unpacked */
	struct names ix;
	bool *seen;          /* by index in old */
	int n_seen;
	struct canary_config want;
};

static bool is_kube(const char *name)
{
	return !strncmp(name, KUBE_SVC_PREFIX, strlen(KUBE_SVC_PREFIX));
}

/* The loader's filter: a service the maps already run as the file says
 * is only marked seen; the others are kept to be written (all of them
 * when the running config was not read first). */
static int keep_changed(const struct canary_service_cfg *svc, void *arg,
			struct canary_err *err)
{
	struct apply_ctx *c = arg;
	int i = names_get(&c->ix, svc->name);

	if (is_kube(svc->name))
		return cerr_set(err, "service '%s': names starting with '%s' "
				"belong to the Kubernetes agent", svc->name,
				KUBE_SVC_PREFIX);
	if (i < 0 || !c->seen) /* new, or nothing read yet: all kept */
		return 1;
	c->seen[i] = true;
	c->n_seen++;
	return config_packed_get(&c->old, i, c->scratch) ||
	       !config_service_same(c->scratch, svc);
}

/* The running config (@cfg, c->old unpacked) becomes the file's: its
 * changed services replace their namesakes, new ones join, those it
 * does not name go (the agent's stay), and its grace period, node and
 * timeouts sections apply. */
static int apply_edit(struct canary_config *cfg, void *arg,
		      struct canary_err *err)
{
	struct apply_ctx *c = arg;
	const struct canary_config *w = &c->want;
	int i, k, p;

	for (i = 0; i < w->n_services; i++) {
		p = names_get(&c->ix, w->svc[i].name);
		if (p < 0)
			continue;
		cfg->svc[p] = w->svc[i];
		c->seen[p] = true;
	}
	for (i = 0, k = 0; i < cfg->n_services; i++)
		if (c->seen[i] || is_kube(cfg->svc[i].name))
			cfg->svc[k++] = cfg->svc[i];
	cfg->n_services = k;
	for (i = 0; i < w->n_services; i++) {
		if (names_get(&c->ix, w->svc[i].name) >= 0)
			continue;
		if (!config_add_service(cfg, err))
			return -ENOMEM;
		cfg->svc[cfg->n_services - 1] = w->svc[i];
	}
	cfg->grace_s = w->grace_s;
	cfg->node = w->node;
	cfg->timeouts = w->timeouts;
	return 0;
}

/* Whether the file's node section is the one the maps hold. */
static bool node_same(struct canary_state *st, const struct canary_node_cfg *n)
{
	struct canary_node_cfg h;

	state_read_node(st, &h);
	return h.set && h.address == n->address && h.pod_net == n->pod_net &&
	       h.pod_len == n->pod_len && h.port_min == n->port_min &&
	       h.port_max == n->port_max && h.pod_len6 == n->pod_len6 &&
	       !memcmp(h.address6, n->address6, sizeof(h.address6)) &&
	       !memcmp(h.pod_net6, n->pod_net6, sizeof(h.pod_net6));
}

/*
 * Whether the file asks for nothing new: every service it names runs as
 * it says, it names every service that runs (but the agent's), and its
 * grace period, timeouts and node section are those in effect. When
 * unsure, no: the transaction then compares all of it again.
 */
static bool unchanged(struct canary_state *st, const struct apply_ctx *c)
{
	const struct canary_config *w = &c->want;
	struct canary_genstate gs;
	int i, kube = 0;

	for (i = 0; i < c->old.n; i++)
		kube += is_kube(config_packed_name(&c->old, i));
	if (w->n_services || c->n_seen != c->old.n - kube)
		return false;
	if (w->grace_s != CANARY_GRACE_KEEP &&
	    (state_genstate(st, &gs) || !gs.prev_until_ns ||
	     gs.grace_ns != w->grace_s * 1000000000ull))
		return false;
	if (state_timeouts_differ(st, &w->timeouts))
		return false;
	return !w->node.set || node_same(st, &w->node);
}

/* The running config read under the lock into @c, indexed; 0 or
 * EXIT_FAIL. */
static int read_running(struct canary_state *st, struct apply_ctx *c,
			__u32 *ids)
{
	int i;

	if (state_read_packed(st, &c->old, ids)) {
		p_err("Couldn't read the running config under '%s'", st->pin_dir);
		return EXIT_FAIL;
	}
	c->seen = calloc(c->old.n + 1, sizeof(*c->seen));
	if (!c->seen)
		return EXIT_FAIL;
	for (i = 0; i < c->old.n; i++)
		if (names_put(&c->ix, config_packed_name(&c->old, i), i))
			return EXIT_FAIL;
	return EXIT_OK;
}

/* Makes the parsed file @yf c->want, without the services the maps run
 * as it says when c->old was read first; an exit code. */
static int load_file(struct yaml_file *yf, struct apply_ctx *c)
{
	struct canary_err err = {};
	int ret;

	ret = yaml_file_load(yf, &c->want, keep_changed, c, &err);
	if (!ret)
		return EXIT_OK;
	p_err("%s", err.msg);
	return EXIT_USAGE;
}

/* Parses @file into *@yf; an exit code (an unreadable file is a bad
 * argument too). */
static int parse_file(const char *file, struct yaml_file **yf)
{
	struct canary_err err = {};
	int ret = yaml_file_parse(file, yf, &err);

	if (ret)
		p_err("%s", err.msg[0] ? err.msg : strerror(-ret));
	return ret ? EXIT_USAGE : EXIT_OK;
}

/* read_running() on a thread of its own, while the file is parsed. */
struct reader {
	struct canary_state *st;
	struct apply_ctx *c;
	__u32 *ids;
	int ret;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->ret = read_running(r->st, r->c, r->ids);
	return NULL;
}

/* With the maps open and locked: the running config read on the other
 * core while @file is parsed, then the file loaded against it. */
static int load_against(struct canary_state *st, const char *file,
			struct apply_ctx *c, __u32 *ids)
{
	struct reader r = { .st = st, .c = c, .ids = ids };
	struct yaml_file *yf = NULL;
	pthread_t t;
	bool threaded = !pthread_create(&t, NULL, reader_main, &r);
	int ret = parse_file(file, &yf);

	if (threaded)
		pthread_join(t, NULL);
	else
		reader_main(&r);
	if (!ret)
		ret = r.ret;
	if (!ret)
		ret = load_file(yf, c);
	yaml_file_free(yf);
	return ret;
}

/*
 * Opens the state and loads @file against what runs. With maps pinned,
 * the file's services are compared with the running ones as they load.
 * Without, the file is checked before anything is created (a bad file
 * leaves no pin dir behind), then the maps made. An exit code.
 */
static int open_and_load(struct canary_state *st, const char *file,
			 struct apply_ctx *c, __u32 *ids)
{
	const char *dir = state_pin_dir(opt_pin_dir);
	struct canary_err err = {};
	struct yaml_file *yf = NULL;
	int ret;

	if (!state_open_existing(st, dir, &err))
		return load_against(st, file, c, ids);
	state_close(st);
	ret = parse_file(file, &yf);
	if (!ret)
		ret = load_file(yf, c);
	yaml_file_free(yf);
	if (!ret)
		ret = cli_state_open(st, dir);
	return ret ? ret : read_running(st, c, ids);
}

/* The file's changes written: the running config unpacked whole, then
 * edited in one transaction; an exit code. */
static int apply_changes(struct canary_state *st, struct apply_ctx *c,
			 const __u32 *ids)
{
	struct canary_err err = {};
	struct canary_config old;
	int ret;

	config_init(&old);
	if (config_packed_to_config(&c->old, &old)) {
		p_err("out of memory");
		ret = EXIT_FAIL;
	} else {
		ret = state_transaction_on(st, &old, ids, apply_edit, c, &err);
		if (ret)
			p_err("%s", err.msg[0] ? err.msg : "failed");
	}
	config_free(&old);
	return ret;
}

/* Applies @file; an exit code. */
static int apply_file(const char *file)
{
	__u32 *ids = calloc(CANARY_MAX_SERVICES, sizeof(*ids));
	struct apply_ctx c = { .scratch = malloc(sizeof(*c.scratch)) };
	struct canary_state st;
	int ret;

	if (!ids || !c.scratch) {
		p_err("out of memory");
		free(ids);
		free(c.scratch);
		return EXIT_FAIL;
	}
	config_packed_init(&c.old);
	config_init(&c.want);
	names_init(&c.ix);
	ret = open_and_load(&st, file, &c, ids);
	if (ret == EXIT_OK && unchanged(&st, &c)) {
		pr_info("config unchanged\n");
		/* A no-op apply still has the bridge FDB copy follow. */
		bridge_sync(&st);
	} else if (ret == EXIT_OK) {
		ret = apply_changes(&st, &c, ids);
	}
	state_close(&st);
	names_free(&c.ix);
	free(c.seen);
	free(c.scratch);
	config_free(&c.want);
	config_packed_free(&c.old);
	free(ids);
	return ret;
}

static int do_apply(int argc, char **argv)
{
	const char *file = NULL;
	int opt, ret;

	while ((opt = cmd_getopt(&cmd_apply, argc, argv)) != -1) {
		if (opt == 'h')
			return EXIT_OK;
		if (opt == '?')
			return EXIT_USAGE;
		file = optarg;
	}
	if (!file)
		return cmd_usage_error(&cmd_apply, "-f FILE is required");
	if (optind != argc)
		return cmd_usage_error(&cmd_apply, "unexpected argument '%s'",
				       argv[optind]);
	ret = apply_file(file);
	if (!ret)
		p_done("applied %s", file);
	return ret;
}

const struct cmd cmd_apply = {
	.name = "apply",
	.fn = do_apply,
	.args = "-f FILE",
	.summary = "Make the running config exactly FILE (services added, "
		   "changed, removed)",
	.opts = apply_opts,
};
