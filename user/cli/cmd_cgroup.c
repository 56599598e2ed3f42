// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * attach-cgroup [PATH] / detach-cgroup [PATH]: socket-level load balancing
 * (bpf/sock.h) for the processes of a cgroup v2 and its descendants,
 * default the root of the cgroup v2 hierarchy. Attachments are bpf_links
 * pinned as "cglink_<cgroup id>_<hook>", so they outlive the loader and a
 * re-attach swaps the programs in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "canary.skel.h"
#include "cli/cmd.h"
#include "dataplane/links.h"
#include "dataplane/loader.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "dataplane/state.h"

struct hook {
	const char *name;            /* in the pin name */
	enum bpf_attach_type type;
};

static const struct hook hooks[] = {
	{ "connect4", BPF_CGROUP_INET4_CONNECT },
	{ "sendmsg4", BPF_CGROUP_UDP4_SENDMSG },
	{ "recvmsg4", BPF_CGROUP_UDP4_RECVMSG },
	{ "getpeername4", BPF_CGROUP_INET4_GETPEERNAME },
	{ "connect6", BPF_CGROUP_INET6_CONNECT },
	{ "sendmsg6", BPF_CGROUP_UDP6_SENDMSG },
	{ "recvmsg6", BPF_CGROUP_UDP6_RECVMSG },
	{ "getpeername6", BPF_CGROUP_INET6_GETPEERNAME },
	/* connection health of balanced sockets (bpf/sock.h) */
	{ "sockops", BPF_CGROUP_SOCK_OPS },
};

#define N_HOOKS (sizeof(hooks) / sizeof(hooks[0]))

static int hook_prog(struct canary_bpf *skel, size_t i)
{
	struct bpf_program *progs[] = {
		skel->progs.canary_connect4, skel->progs.canary_sendmsg4,
		skel->progs.canary_recvmsg4, skel->progs.canary_getpeername4,
		skel->progs.canary_connect6, skel->progs.canary_sendmsg6,
		skel->progs.canary_recvmsg6, skel->progs.canary_getpeername6,
		skel->progs.canary_sockops,
	};

	return bpf_program__fd(progs[i]);
}

/* The cgroup v2 mount point, for the default PATH. */
static int cgroup2_root(char *buf, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int ret = -ENOENT;

	while (f && (m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2"))
			continue;
		snprintf(buf, len, "%s", m->mnt_dir);
		ret = 0;
		break;
	}
	if (f)
		endmntent(f);
	return ret;
}

/* Resolves PATH (or the default) to an open cgroup v2 directory and its
 * id (the directory's inode number). Returns 0 or EXIT_USAGE. */
static int open_cgroup(const struct cmd *c, const char *arg, char *path,
		       size_t len, int *fd, __u64 *id)
{
	struct stat sb;

	if (arg)
		snprintf(path, len, "%s", arg);
	else if (cgroup2_root(path, len))
		return cmd_usage_error(c, "no cgroup v2 hierarchy is mounted: give PATH");
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &sb))
		return cmd_usage_error(c, "PATH '%s': %s", path, strerror(errno));
	*id = sb.st_ino;
	return 0;
}

static void pin_path(char *buf, size_t len, const char *dir, __u64 id,
		     size_t hook)
{
	snprintf(buf, len, "%s/cglink_%llu_%s", dir, (unsigned long long)id,
		 hooks[hook].name);
}

/* Updates the pinned link of @hook in place, or creates and pins one. */
static int ensure_cglink(const char *dir, int cg_fd, __u64 id, size_t hook,
			 int prog_fd, const char *path_arg)
{
	char path[PATH_MAX + 64];
	int fd, err = 0;

	pin_path(path, sizeof(path), dir, id, hook);
	if (access(path, F_OK) == 0) {
		if (!link_update_pinned(path, prog_fd))
			return 0;
		unlink(path); /* stale: its cgroup went away */
	}
	fd = bpf_link_create(prog_fd, cg_fd, hooks[hook].type, NULL);
	if (fd < 0) {
		err = -errno;
		p_err("Couldn't attach %s to cgroup '%s': %s", hooks[hook].name,
		      path_arg, strerror(-err));
		return err;
	}
	return cli_link_pin_new(fd, path);
}

static int parse_args(const struct cmd *c, int argc, char **argv,
		      const char **path)
{
	int opt;

	while ((opt = cmd_getopt(c, argc, argv)) != -1)
		return opt == 'h' ? -1 : EXIT_USAGE;
	if (argc - optind > 1)
		return cmd_usage_error(c, "expected at most one PATH");
	*path = argc - optind == 1 ? argv[optind] : NULL;
	return 0;
}

static int do_attach_cgroup(int argc, char **argv)
{
	struct canary_bpf *skel = NULL;
	struct canary_state st;
	char path[4096];
	const char *arg;
	int ret, cg_fd = -1;
	size_t i;
	__u64 id;

	ret = parse_args(&cmd_attach_cgroup, argc, argv, &arg);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = open_cgroup(&cmd_attach_cgroup, arg, path, sizeof(path), &cg_fd, &id);
	if (!ret)
		ret = cli_state_open(&st, state_pin_dir(opt_pin_dir));
	else
		goto out_fd;
	if (!ret && cli_loader_load(st.pin_dir, &skel))
		ret = EXIT_FAIL;
	for (i = 0; !ret && i < N_HOOKS; i++)
		if (ensure_cglink(st.pin_dir, cg_fd, id, i, hook_prog(skel, i), path))
			ret = EXIT_FAIL;
	if (skel)
		loader_close(skel);
	state_close(&st);
	if (!ret)
		p_done("socket load balancing attached to cgroup %s", path);
out_fd:
	if (cg_fd >= 0)
		close(cg_fd);
	return ret;
}

static int do_detach_cgroup(int argc, char **argv)
{
	struct canary_state st;
	char path[4096], pin[PATH_MAX + 64];
	const char *arg;
	int ret, cg_fd = -1, found = 0;
	size_t i;
	__u64 id;

	ret = parse_args(&cmd_detach_cgroup, argc, argv, &arg);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = open_cgroup(&cmd_detach_cgroup, arg, path, sizeof(path), &cg_fd, &id);
	if (ret)
		goto out;
	ret = cli_state_open_existing(&st, state_pin_dir(opt_pin_dir));
	for (i = 0; !ret && i < N_HOOKS; i++) {
		pin_path(pin, sizeof(pin), st.pin_dir, id, i);
		found += unlink(pin) == 0;
	}
	if (!ret && !found)
		ret = cmd_usage_error(&cmd_detach_cgroup, "cgroup '%s': not attached",
				      path);
	state_close(&st);
	if (!ret)
		p_done("socket load balancing detached from cgroup %s", path);
out:
	if (cg_fd >= 0)
		close(cg_fd);
	return ret;
}

const struct cmd cmd_attach_cgroup = {
	.name = "attach-cgroup",
	.fn = do_attach_cgroup,
	.args = "[PATH]",
	.summary = "Balance at connect()/sendmsg() for processes of a cgroup v2 "
		   "(default: the hierarchy's root)",
};

const struct cmd cmd_detach_cgroup = {
	.name = "detach-cgroup",
	.fn = do_detach_cgroup,
	.args = "[PATH]",
	.summary = "Remove socket load balancing from a cgroup",
};
