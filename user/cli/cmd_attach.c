// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* attach IFACE / detach IFACE */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/bridge.h"
#include "dataplane/fastpath.h"
#include "canary.skel.h"
#include "cli/cmd.h"
#include "dataplane/links.h"
#include "dataplane/loader.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "dataplane/state.h"

/* tcx attach types (Linux 6.6); libbpf 1.1's headers predate them. */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

#define MAX_REDIRECT_DEVS 64
/* --flow-entries bounds: below a few thousand the per-CPU LRU lists are
 * tiny; above 16 Mi flows the table passes a gigabyte. */
#define MIN_FLOW_ENTRIES 1024
#define MAX_FLOW_ENTRIES (16u << 20)

struct attach_args {
	const char *ifname;
	int ifindex;
	enum link_kind ingress;
	int n_redirect;
	int redirect[MAX_REDIRECT_DEVS];
	int n_bridge;
	int bridge[BRIDGE_MAX];
	bool listed_only; /* --fast-path listed */
};

static const struct cli_opt attach_opts[] = {
	{ .name = "mode", .val = 'm', .short_opt = true,
	  .metavar = "native|generic|tc",
	  .help = "ingress hook (default: native XDP)" },
	{ .name = "redirect-dev", .val = 'r', .short_opt = true,
	  .metavar = "DEV", .help = "let XDP redirect to DEV (repeatable)" },
	{ .name = "bridge", .val = 'b', .short_opt = true, .metavar = "BR",
	  .help = "let XDP redirect to the veth ports of bridge BR, past BR "
		  "(repeatable)" },
	{ .name = "fast-path", .val = 'F', .metavar = "auto|listed",
	  .help = "auto (default): XDP redirects to every local pod veth "
		  "that takes XDP frames; listed: only to --redirect-dev and "
		  "--bridge ones (node-wide)" },
	{ .name = "flow-entries", .val = 'f', .short_opt = true,
	  .metavar = "N",
	  .help = "flow-table size when the maps are created (default 65536)" },
	{},
};

static int parse_mode(const char *s, enum link_kind *kind)
{
	if (!strcmp(s, "native"))
		*kind = LINK_XDP;
	else if (!strcmp(s, "generic"))
		*kind = LINK_XDP_GENERIC;
	else if (!strcmp(s, "tc"))
		*kind = LINK_TC_IN;
	else
		return -EINVAL;
	return 0;
}

/* --flow-entries N: a decimal count in range, handed to the loader. */
static int parse_flow_entries(const char *s)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || n < MIN_FLOW_ENTRIES ||
	    n > MAX_FLOW_ENTRIES)
		return cmd_usage_error(&cmd_attach,
				       "--flow-entries '%s': not a count from "
				       "%d to %u", s, MIN_FLOW_ENTRIES,
				       MAX_FLOW_ENTRIES);
	loader_set_flow_entries(n);
	return 0;
}

/* --bridge BR: an existing bridge device. */
static int parse_bridge(const char *s, struct attach_args *a)
{
	int idx = if_nametoindex(s);

	if (!idx)
		return cmd_usage_error(&cmd_attach, "--bridge '%s': no such "
				       "interface", s);
	if (!bridge_is_bridge(s))
		return cmd_usage_error(&cmd_attach, "--bridge '%s': not a "
				       "bridge", s);
	if (a->n_bridge == BRIDGE_MAX)
		return cmd_usage_error(&cmd_attach, "--bridge: at most %d "
				       "bridges", BRIDGE_MAX);
	a->bridge[a->n_bridge++] = idx;
	return 0;
}

static int parse_attach_args(int argc, char **argv, struct attach_args *a)
{
	int opt, idx;

	a->ingress = LINK_XDP;
	while ((opt = cmd_getopt(&cmd_attach, argc, argv)) != -1) {
		if (opt == 'h')
			return -1;
		if (opt == '?')
			return EXIT_USAGE;
		if (opt == 'm' && parse_mode(optarg, &a->ingress))
			return cmd_usage_error(&cmd_attach,
					       "--mode '%s': not one of native, generic, tc",
					       optarg);
		if (opt == 'f' && parse_flow_entries(optarg))
			return EXIT_USAGE;
		if (opt == 'b' && parse_bridge(optarg, a))
			return EXIT_USAGE;
		if (opt == 'F' && strcmp(optarg, "auto") && strcmp(optarg, "listed"))
			return cmd_usage_error(&cmd_attach, "--fast-path '%s': not "
					       "auto or listed", optarg);
		if (opt == 'F')
			a->listed_only = !strcmp(optarg, "listed");
		if (opt != 'r')
			continue;
		idx = if_nametoindex(optarg);
		if (!idx)
			return cmd_usage_error(&cmd_attach,
					       "--redirect-dev '%s': no such interface",
					       optarg);
		if (a->n_redirect == MAX_REDIRECT_DEVS)
			return cmd_usage_error(&cmd_attach,
					       "--redirect-dev: at most %d devices",
					       MAX_REDIRECT_DEVS);
		a->redirect[a->n_redirect++] = idx;
	}
	if (optind != argc - 1)
		return cmd_usage_error(&cmd_attach, "expected one IFACE, got %d arguments",
				       argc - optind);
	a->ifname = argv[optind];
	a->ifindex = if_nametoindex(a->ifname);
	if (!a->ifindex)
		return cmd_usage_error(&cmd_attach, "IFACE '%s': no such interface",
				       a->ifname);
	return 0;
}

struct found_link {
	int present[LINK_KIND_MAX];
};

static void note_link(const char *path, int ifindex, enum link_kind kind,
		      void *arg)
{
	struct found_link *f = arg;

	(void)ifindex;
	f->present[kind] = link_is_live(path) ? 1 : -1;
}

static int create_link(int prog_fd, const struct attach_args *a,
		       enum link_kind kind)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);

	switch (kind) {
	case LINK_XDP:
		opts.flags = XDP_FLAGS_DRV_MODE;
		return bpf_link_create(prog_fd, a->ifindex, BPF_XDP, &opts);
	case LINK_XDP_GENERIC:
		opts.flags = XDP_FLAGS_SKB_MODE;
		return bpf_link_create(prog_fd, a->ifindex, BPF_XDP, &opts);
	case LINK_TC_IN:
	case LINK_TC_FWD:
		return bpf_link_create(prog_fd, a->ifindex, BPF_TCX_INGRESS, NULL);
	default:
		return bpf_link_create(prog_fd, a->ifindex, BPF_TCX_EGRESS, NULL);
	}
}

static void explain_attach_error(const struct attach_args *a,
				 enum link_kind kind, int err)
{
	const char *hint = "";

	if (kind == LINK_XDP && (err == -EOPNOTSUPP || err == -EINVAL))
		hint = "; the driver may lack native XDP: use --mode generic "
		       "or --mode tc";
	else if (err == -EBUSY || err == -EEXIST)
		hint = "; another program is attached there: remove it first";
	p_err("Couldn't attach %s program on iface '%s': %s%s",
	      link_kind_name(kind), a->ifname, strerror(-err), hint);
}

/*
 * Makes the link of @kind on the interface run @prog_fd: a pinned live
 * link is updated in place (bpf_link_update swaps the program atomically,
 * nothing is detached even for a moment), otherwise a new one is created
 * and pinned.
 */
static int ensure_link(const char *dir, const struct attach_args *a,
		       enum link_kind kind, int prog_fd, int present)
{
	char path[4096];
	int fd, err = 0;

	link_pin_path(path, sizeof(path), dir, a->ifindex, kind);
	if (present > 0) {
		err = link_update_pinned(path, prog_fd);
		if (err)
			p_err("Couldn't update %s link on iface '%s': %s",
			      link_kind_name(kind), a->ifname, strerror(-err));
		return err;
	}
	if (present < 0)
		unlink(path); /* its device went away; the pin is stale */
	fd = create_link(prog_fd, a, kind);
	if (fd < 0) {
		err = -errno;
		explain_attach_error(a, kind, err);
		return err;
	}
	return cli_link_pin_new(fd, path);
}

static int other_ingress(const struct found_link *f, enum link_kind want)
{
	int k;

	for (k = LINK_XDP; k <= LINK_TC_IN; k++)
		if (k != (int)want && f->present[k] > 0)
			return k;
	return -1;
}

static int add_redirect_devs(struct canary_state *st, const struct attach_args *a)
{
	int i, err;

	for (i = 0; i < a->n_redirect; i++) {
		__u32 idx = a->redirect[i];

		if (bpf_map_update_elem(st->tx_fd, &idx, &idx, BPF_ANY)) {
			p_err("Couldn't add --redirect-dev ifindex %u: %s", idx,
			      strerror(errno));
			return EXIT_FAIL;
		}
		fastpath_forget(st, idx);
	}
	err = fastpath_set_auto(st, !a->listed_only);
	if (err) {
		p_err("Couldn't set the automatic fast path in %s: %s",
		      CANARY_MAP_PORT, strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Registers the --bridge devices, then copies the bridge FDB for the
 * listed ports (ports listed with --redirect-dev count too). */
static int add_bridges(struct canary_state *st, const struct attach_args *a)
{
	int i, err = state_open_port(st);

	for (i = 0; !err && i < a->n_bridge; i++)
		err = bridge_register(st, a->bridge[i]);
	if (err) {
		p_err("Couldn't set up the XDP path past the bridge(s) in %s: %s",
		      CANARY_MAP_PORT, strerror(-err));
		return EXIT_FAIL;
	}
	/* The programs are attached and forwarding by now: a failed copy
	 * of the FDB only leaves the fast path for the next refresh (every
	 * config change), the kernel's path meanwhile. */
	err = bridge_sync(st);
	if (err)
		pr_warn("attach: the bridge FDB could not be copied into %s (%s); "
			"packets past the bridge take the kernel path until the next "
			"config change refreshes it", CANARY_MAP_PORT, strerror(-err));
	return EXIT_OK;
}

static int do_links(struct canary_state *st, const struct attach_args *a)
{
	struct found_link f = {};
	struct canary_bpf *skel;
	int other, err;

	links_for_each(st->pin_dir, a->ifindex, note_link, &f);
	other = other_ingress(&f, a->ingress);
	if (other >= 0) {
		p_err("attach: iface '%s' is attached in mode %s already: "
		      "run 'canary-bpf detach %s' first",
		      a->ifname, link_kind_mode(other), a->ifname);
		return EXIT_USAGE;
	}
	if (cli_loader_load(st->pin_dir, &skel))
		return EXIT_FAIL;
	/* Egress first: replies are restored before any flow is translated. */
	err = ensure_link(st->pin_dir, a, LINK_TC_OUT,
			  bpf_program__fd(skel->progs.canary_tc_out),
			  f.present[LINK_TC_OUT]);
	/* XDP's partner: forwards what XDP translated but could not send. */
	if (!err && a->ingress != LINK_TC_IN)
		err = ensure_link(st->pin_dir, a, LINK_TC_FWD,
				  bpf_program__fd(skel->progs.canary_tc_fwd),
				  f.present[LINK_TC_FWD]);
	if (!err)
		err = ensure_link(st->pin_dir, a, a->ingress,
				  bpf_program__fd(a->ingress == LINK_TC_IN ?
						  skel->progs.canary_tc_in :
						  skel->progs.canary_xdp),
				  f.present[a->ingress]);
	loader_close(skel);
	return err ? EXIT_FAIL : EXIT_OK;
}

static int do_attach(int argc, char **argv)
{
	struct attach_args a = {};
	struct canary_state st;
	int ret;

	ret = parse_attach_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = cli_state_open(&st, state_pin_dir(opt_pin_dir));
	/* Redirect targets only once attached: a failed attach leaves the
	 * other interfaces' forwarding as it was. */
	if (!ret)
		ret = do_links(&st, &a);
	if (!ret)
		ret = add_redirect_devs(&st, &a);
	if (!ret)
		ret = add_bridges(&st, &a);
	state_close(&st);
	if (!ret)
		p_done("attached to %s (%s)", a.ifname, link_kind_mode(a.ingress));
	return ret;
}

const struct cmd cmd_attach = {
	.name = "attach",
	.fn = do_attach,
	.args = "IFACE [--mode native|generic|tc] [--redirect-dev DEV]... "
		"[--bridge BR]... [--fast-path auto|listed] [--flow-entries N]",
	.summary = "Attach the data plane to IFACE (idempotent; keeps maps, "
		   "flows and counters)",
	.opts = attach_opts,
};

static void unpin_link(const char *path, int ifindex, enum link_kind kind,
		       void *arg)
{
	(void)ifindex;
	(void)kind;
	(void)arg;
	if (unlink(path))
		pr_warn("Couldn't remove link pin '%s': %s\n", path,
			strerror(errno));
}

/* The --redirect-dev and --bridge sets are node-wide; once nothing is
 * attached any more they go too, so a later attach starts from the kernel
 * path. */
static void clear_redirect_devs(struct canary_state *st)
{
	__u32 key;

	while (bpf_map_get_next_key(st->tx_fd, NULL, &key) == 0)
		if (bpf_map_delete_elem(st->tx_fd, &key))
			break;
	bridge_clear(st);
}

/* Removes every link pinned under the pin dir, devices gone or not. */
static void unpin_all(const char *path, int ifindex, enum link_kind kind,
		      void *arg)
{
	struct canary_state *st = arg;
	__u32 key = ifindex;

	unpin_link(path, ifindex, kind, NULL);
	bpf_map_delete_elem(st->tx_fd, &key);
}

/* Removes the cgroup links (attach-cgroup) pinned under @dir. */
static int unpin_cgroup_links(const char *dir)
{
	char path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "cglink_", 7))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n += unlink(path) == 0;
	}
	if (d)
		closedir(d);
	return n;
}

/* detach --all: the uninstall path (deploy/uninstall-job.yaml): every
 * interface and cgroup canary-bpf is attached to. */
static int detach_all(void)
{
	struct canary_state st;
	int ret, n;

	ret = cli_state_open_existing(&st, state_pin_dir(opt_pin_dir));
	if (!ret) {
		n = links_for_each(st.pin_dir, 0, unpin_all, &st);
		n += unpin_cgroup_links(st.pin_dir);
		clear_redirect_devs(&st);
		p_done("detached %d link(s); maps stay pinned under %s", n,
		       st.pin_dir);
	}
	state_close(&st);
	return ret;
}

static int do_detach(int argc, char **argv)
{
	struct canary_state st;
	__u32 ifindex;
	int opt, ret, all = 0;

	while ((opt = cmd_getopt(&cmd_detach, argc, argv)) != -1) {
		if (opt != 'a')
			return opt == 'h' ? EXIT_OK : EXIT_USAGE;
		all = 1;
	}
	if (all && optind != argc)
		return cmd_usage_error(&cmd_detach, "--all takes no IFACE");
	if (all)
		return detach_all();
	if (optind != argc - 1)
		return cmd_usage_error(&cmd_detach, "expected one IFACE, got %d arguments",
				       argc - optind);
	ifindex = if_nametoindex(argv[optind]);
	if (!ifindex)
		return cmd_usage_error(&cmd_detach, "IFACE '%s': no such interface",
				       argv[optind]);
	ret = cli_state_open_existing(&st, state_pin_dir(opt_pin_dir));
	if (ret)
		goto out;
	if (!links_for_each(st.pin_dir, ifindex, NULL, NULL)) {
		ret = cmd_usage_error(&cmd_detach, "IFACE '%s': not attached",
				      argv[optind]);
		goto out;
	}
	links_for_each(st.pin_dir, ifindex, unpin_link, NULL);
	bpf_map_delete_elem(st.tx_fd, &ifindex);
	if (!links_for_each(st.pin_dir, 0, NULL, NULL))
		clear_redirect_devs(&st);
	p_done("detached from %s", argv[optind]);
out:
	state_close(&st);
	return ret;
}

static const struct cli_opt detach_opts[] = {
	{ .name = "all", .val = 'a',
	  .help = "every interface and cgroup canary-bpf is attached to "
		  "(uninstall)" },
	{},
};

const struct cmd cmd_detach = {
	.name = "detach",
	.fn = do_detach,
	.args = "IFACE | --all",
	.summary = "Remove what canary-bpf attached to IFACE (maps stay pinned)",
	.opts = detach_opts,
};
