// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * top: a live view of every service and version, refreshed like top(1):
 * new connections per second, the share of them that failed, handshake
 * p99, packets and bytes per second, weight and measured share, all over
 * the last interval. q or Ctrl-C ends it and the terminal is given back
 * as it was. On a terminal without cursor control (TERM=dumb, or output
 * not a terminal) frames follow each other, separated by a blank line.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "core/health.h"
#include "core/parse.h"
#include "dataplane/state.h"
#include "dataplane/stats.h"

static const struct cli_opt top_opts[] = {
	{ .name = "delay", .val = 'd', .short_opt = true, .metavar = "SECS",
	  .help = "seconds between refreshes, 1-60 (default 1)" },
	{ .name = "iterations", .val = 'n', .short_opt = true, .metavar = "N",
	  .help = "end after N refreshes (default: until q or Ctrl-C)" },
	{},
};

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

struct top_term {
	bool raw;            /* stdin put in non-canonical mode */
	bool screen;         /* cursor control in use */
	struct termios saved;
};

/* Keys without Enter, no echo; the alternate screen where supported. */
static void term_enter(struct top_term *t)
{
	const char *term = getenv("TERM");
	struct termios raw;

	t->screen = isatty(STDOUT_FILENO) && term && *term && strcmp(term, "dumb");
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &t->saved)) {
		raw = t->saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		t->raw = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (t->screen)
		fputs("\033[?1049h\033[?25l", stdout);
}

static void term_leave(struct top_term *t)
{
	if (t->screen)
		fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
}

/* Waits up to @ms for q (true) or the time to pass (false). */
static bool wait_key(int ms)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;

	while (!top_stop && poll(&p, 1, ms) > 0) {
		if (read(STDIN_FILENO, &c, 1) != 1) {
			/* stdin closed (a script, /dev/null): time only */
			usleep(ms * 1000);
			return false;
		}
		if (c == 'q' || c == 'Q' || c == 3 /* ^C without ISIG */)
			return true;
	}
	return false;
}

/* "12.3M", "950": a rate for a narrow column. */
static const char *human(double x, char *buf, size_t len)
{
	const char *unit = " KMGT";

	while (x >= 999.5 && unit[1]) {
		x /= 1000;
		unit++;
	}
	if (*unit == ' ')
		snprintf(buf, len, "%.0f", x);
	else
		snprintf(buf, len, "%.1f%c", x, *unit);
	return buf;
}

/* Service @name with id @id in @d, or -1. */
static int find_svc(const struct stats_snap *d, const char *name, __u32 id)
{
	int i = config_find_index(&d->cfg, name);

	return i >= 0 && d->ids[i] == id ? i : -1;
}

/* Version @v of service @i over the interval since @p's @pi (-1: none). */
static void print_version(const struct stats_snap *d, int i, int v,
			  const struct stats_snap *p, int pi, double secs)
{
	const struct canary_service_cfg *svc = &d->cfg.svc[i];
	struct canary_health dh = d->health[i][v];
	struct canary_vstats ds = d->st[i][v];
	char w[8], r1[16], r2[16], r3[16], share[16], fail[16], hs[16];
	__u64 flows = 0;
	int b, x;

	if (pi >= 0 && v < p->cfg.svc[pi].n_versions) {
		ds.packets -= p->st[pi][v].packets;
		ds.bytes -= p->st[pi][v].bytes;
		ds.new_flows -= p->st[pi][v].new_flows;
		dh.new_conns -= p->health[pi][v].new_conns;
		dh.refused -= p->health[pi][v].refused;
		dh.reset_early -= p->health[pi][v].reset_early;
		dh.unanswered -= p->health[pi][v].unanswered;
		for (b = 0; b < CANARY_HS_BUCKETS; b++)
			dh.hs_bucket[b] -= p->health[pi][v].hs_bucket[b];
		for (x = 0; x < svc->n_versions && x < p->cfg.svc[pi].n_versions; x++)
			flows += d->st[i][x].new_flows - p->st[pi][x].new_flows;
	}
	snprintf(share, sizeof(share), "-");
	snprintf(fail, sizeof(fail), "-");
	snprintf(hs, sizeof(hs), "-");
	if (pi >= 0 && flows)
		snprintf(share, sizeof(share), "%.1f%%", 100.0 * ds.new_flows / flows);
	if (pi >= 0 && dh.new_conns)
		snprintf(fail, sizeof(fail), "%.1f%%",
			 100.0 * health_failed(&dh) / dh.new_conns);
	if (pi >= 0 && health_percentile_us(dh.hs_bucket, CANARY_HS_BUCKETS, 0.99))
		human(health_percentile_us(dh.hs_bucket, CANARY_HS_BUCKETS, 0.99),
		      hs, sizeof(hs));
	printf("%-24.24s %-10.10s %7s%% %7s %8s %6s %8s %8s %9s %6s\n",
	       v ? "" : svc->name, svc->v[v].name,
	       fmt_percent(svc->v[v].weight_bps, w, sizeof(w)), share,
	       pi >= 0 ? human(dh.new_conns / secs, r1, sizeof(r1)) : "-", fail, hs,
	       pi >= 0 ? human(ds.packets / secs, r2, sizeof(r2)) : "-",
	       pi >= 0 ? human(ds.bytes / secs, r3, sizeof(r3)) : "-",
	       guard_state_names[guard_version_state(&d->guard[i], v)]);
}

static void print_frame(const struct stats_snap *d, const struct stats_snap *p,
			double secs, const struct top_term *t, int delay)
{
	char now[16];
	time_t tt = time(NULL);
	struct tm tm;
	int i, v;

	strftime(now, sizeof(now), "%H:%M:%S", localtime_r(&tt, &tm));
	if (t->screen)
		fputs("\033[H\033[2J", stdout);
	printf("canary-bpf top - %s, every %d s (q or Ctrl-C to quit)\n", now,
	       delay);
	printf("%-24s %-10s %8s %7s %8s %6s %8s %8s %9s %6s\n", "SERVICE",
	       "VERSION", "WEIGHT", "SHARE", "CONN/S", "FAIL", "HS-P99us",
	       "PKT/S", "BYTES/S", "GUARD");
	for (i = 0; i < d->cfg.n_services; i++) {
		int pi = p ? find_svc(p, d->cfg.svc[i].name, d->ids[i]) : -1;

		for (v = 0; v < d->cfg.svc[i].n_versions; v++)
			print_version(d, i, v, p, pi, secs);
	}
	if (!d->cfg.n_services)
		printf("no services\n");
	if (!t->screen)
		printf("\n");
	fflush(stdout);
}

/* One snapshot of the maps into @d (the lock is held only meanwhile). */
static int snapshot(struct stats_snap *d)
{
	struct canary_state st;
	int ret;

	/* No memset of the whole snapshot (about 20 MB, mostly services
	 * that do not exist): stats_load() fills every field it is read by. */
	config_free(&d->cfg);
	/* No lock: readers see one consistent generation (stats_load()). */
	ret = cli_state_open_unlocked(&st, state_pin_dir(opt_pin_dir));
	if (!ret && stats_load(&st, d, NULL)) {
		p_err("Couldn't read the maps under '%s'", st.pin_dir);
		ret = EXIT_FAIL;
	}
	state_close(&st);
	return ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_top(int delay, long iterations)
{
	struct stats_snap *snap[2] = { calloc(1, sizeof(struct stats_snap)),
				       calloc(1, sizeof(struct stats_snap)) };
	struct top_term t = {};
	double t0 = now_s(), t1;
	int cur = 0, ret = EXIT_FAIL;
	long n = 0;

	if (!snap[0] || !snap[1])
		goto out;
	config_init(&snap[0]->cfg);
	config_init(&snap[1]->cfg);
	ret = snapshot(snap[0]);
	if (ret)
		goto out;
	term_enter(&t);
	print_frame(snap[0], NULL, 1, &t, delay);
	while (!top_stop && (!iterations || ++n < iterations)) {
		if (wait_key(delay * 1000) || top_stop)
			break;
		ret = snapshot(snap[!cur]);
		if (ret)
			break;
		t1 = now_s();
		cur = !cur;
		print_frame(snap[cur], snap[!cur], t1 - t0, &t, delay);
		t0 = t1;
	}
	term_leave(&t);
out:
	for (cur = 0; cur < 2; cur++)
		if (snap[cur])
			config_free(&snap[cur]->cfg);
	free(snap[0]);
	free(snap[1]);
	return ret;
}

static int do_top(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	long iterations = 0, delay = 1;
	char *end;
	int opt;

	while ((opt = cmd_getopt(&cmd_top, argc, argv)) != -1) {
		if (opt == 'd' || opt == 'n') {
			long x = strtol(optarg, &end, 10);

			if (*end || end == optarg || x < (opt == 'd') ||
			    x > (opt == 'd' ? 60 : 1000000))
				return cmd_usage_error(&cmd_top, "--%s '%s': %s",
						       opt == 'd' ? "delay" : "iterations",
						       optarg, opt == 'd' ?
						       "expected 1-60 seconds" :
						       "expected 0-1000000");
			*(opt == 'd' ? &delay : &iterations) = x;
			continue;
		}
		return opt == 'h' ? EXIT_OK : EXIT_USAGE;
	}
	if (argc != optind)
		return cmd_usage_error(&cmd_top, "expected no arguments");
	if (json_output)
		return cmd_usage_error(&cmd_top, "no JSON output: use status -j");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return run_top((int)delay, iterations);
}

const struct cmd cmd_top = {
	.name = "top",
	.fn = do_top,
	.args = "[--delay SECS] [--iterations N]",
	.summary = "Live view per service and version: connections/s, "
		   "failures, handshake p99, packets/s, bytes/s, share",
	.opts = top_opts,
};
