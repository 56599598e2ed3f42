// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Real-traffic helpers for bench/net.sh (run inside a network namespace):
 *
 *   gen udp DEV DST_MAC SADDR DADDR DPORT FLOWS SECONDS
 *       UDP frames out of DEV at full speed: BPF_PROG_RUN with
 *       BPF_F_TEST_XDP_LIVE_FRAMES runs gen_udp, which writes the frame and
 *       returns XDP_TX. Where the kernel refuses live frames (EPERM on
 *       some kernels), an AF_XDP socket in copy mode sends them instead,
 *       or, failing that, sendmmsg() on a packet socket (gen_sock.c).
 *       GEN_METHOD=live|afxdp|sendmmsg forces one. Prints method=,
 *       sent=, seconds=, sent_pps=.
 *   gen xdp DEV noop|drop SECONDS
 *       Attaches noop (XDP_PASS) or count_drop natively to DEV until
 *       SIGTERM/SIGINT or SECONDS, then prints counted= and detaches.
 *   gen tc DEV drop SECONDS
 *       The same with tc_count_drop on DEV's tcx ingress.
 *
 * Exit status: 0 ok, 1 failure, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/ethernet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "gen.skel.h"
#include "gen_sock.h"

#define BATCH (1u << 18)  /* frames per BPF_PROG_RUN call (~0.1 s) */

static volatile int stop; /* set by the signal handler */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, __u8 *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -EINVAL;
}

static int dev_mac(const char *dev, __u8 *mac)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/*
 * The frames by BPF_PROG_RUN with live frames: gen_udp writes each one and
 * returns XDP_TX. Returns 0 (*@sent, *@secs set), -EPERM-style errors of
 * the first run (the kernel refuses live frames: the caller falls back),
 * or 1 for another failure.
 */
static int gen_live(const struct gen_cfg *c, unsigned long long *sent,
		    double *secs)
{
	__u8 frame[GEN_FRAME_LEN] = {};
	struct xdp_md ctx = {};
	struct gen_bpf *skel;
	double t0, t;
	int err, i;

	skel = gen_bpf__open();
	if (!skel)
		return 1;
	memcpy((void *)skel->rodata->dst_mac, c->dst_mac, 6);
	memcpy((void *)skel->rodata->src_mac, c->src_mac, 6);
	skel->rodata->saddr = c->saddr;
	skel->rodata->daddr = c->daddr;
	skel->rodata->dport = c->dport;
	skel->rodata->sport_base = c->sport_base;
	skel->rodata->n_flows = c->n_flows;
	skel->rodata->payload_len = GEN_FRAME_LEN - sizeof(struct ether_header) - 20 - 8;
	err = gen_bpf__load(skel);
	if (err) {
		fprintf(stderr, "gen: load failed: %s\n", strerror(-err));
		err = 1;
		goto out;
	}
	/* the kernel wants data_end to match the frame it is given */
	ctx.data_end = sizeof(frame);
	ctx.ingress_ifindex = c->ifindex;
	*sent = 0;
	t0 = now_s();
	for (i = 0; i < 100000 && !stop; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
			    .data_size_in = sizeof(frame), .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = BATCH,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.gen_udp),
					     &opts);
		if (err) {
			err = -errno;
			fprintf(stderr, "gen: BPF_PROG_RUN (live frames) on ifindex %u: %s\n",
				c->ifindex, strerror(-err));
			if (i)
				err = 1;
			goto out;
		}
		*sent += BATCH;
		t = now_s() - t0;
		if (t >= c->secs)
			break;
	}
	*secs = now_s() - t0;
	err = 0;
out:
	gen_bpf__destroy(skel);
	return err;
}

/* gen_cfg from gen udp's arguments; 0 or 2 (usage). */
static int gen_parse(char **argv, struct gen_cfg *c)
{
	struct in_addr sa, da;

	c->ifindex = if_nametoindex(argv[0]);
	c->secs = atof(argv[6]);
	if (!c->ifindex || inet_pton(AF_INET, argv[2], &sa) != 1 ||
	    inet_pton(AF_INET, argv[3], &da) != 1 || c->secs <= 0 ||
	    c->secs > 120) {
		fprintf(stderr, "gen: bad device, address or duration\n");
		return 2;
	}
	if (parse_mac(argv[1], c->dst_mac) || dev_mac(argv[0], c->src_mac)) {
		fprintf(stderr, "gen: bad MAC '%s' or device '%s'\n", argv[1], argv[0]);
		return 2;
	}
	c->saddr = sa.s_addr;
	c->daddr = da.s_addr;
	c->dport = htons(atoi(argv[4]));
	c->sport_base = 10000;
	c->n_flows = atoi(argv[5]) ?: 1;
	c->stop = (volatile int *)&stop;
	return 0;
}

/*
 * gen udp: live frames where the kernel allows them, else an AF_XDP
 * socket, else sendmmsg(); GEN_METHOD=live|afxdp|sendmmsg picks one.
 * Prints method= (which one sent), sent=, seconds=, sent_pps=.
 */
static int gen_udp(char **argv)
{
	const char *want = getenv("GEN_METHOD"), *method = NULL;
	unsigned long long sent = 0;
	struct gen_cfg c = {};
	double secs = 0;
	int err = 2;

	if (gen_parse(argv, &c))
		return 2;
	if (want && strcmp(want, "live") && strcmp(want, "afxdp") &&
	    strcmp(want, "sendmmsg")) {
		fprintf(stderr, "gen: GEN_METHOD '%s': not live, afxdp or sendmmsg\n", want);
		return 2;
	}
	if (!want || !strcmp(want, "live")) {
		method = "live_frames";
		err = gen_live(&c, &sent, &secs);
		if (err > 0 || (err && want))
			return 1;
	}
	if (err && (!want || !strcmp(want, "afxdp"))) {
		method = "af_xdp";
		err = gen_afxdp(&c, &sent, &secs);
		if (err && want)
			return 1;
	}
	if (err) {
		method = "sendmmsg";
		if (gen_sendmmsg(&c, &sent, &secs))
			return 1;
	}
	printf("method=%s\nsent=%llu\nseconds=%.3f\nsent_pps=%.0f\n", method,
	       sent, secs, secs > 0 ? sent / secs : 0);
	return 0;
}

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#endif

/* Attached, until SIGTERM/SIGINT or @secs: prints counted=. */
static void hold(struct gen_bpf *skel, double secs)
{
	double t0 = now_s();

	printf("attached=1\n");
	fflush(stdout);
	while (!stop && now_s() - t0 < secs)
		usleep(20000);
	printf("counted=%llu\n", (unsigned long long)skel->bss->counted);
}

/* gen xdp DEV noop|drop SECONDS, gen tc DEV drop SECONDS */
static int prog_attach(bool tc, char **argv)
{
	unsigned int ifindex = if_nametoindex(argv[0]);
	double secs = atof(argv[2]);
	int drop = !strcmp(argv[1], "drop");
	struct bpf_program *prog;
	struct gen_bpf *skel;
	int err, link = -1;

	if (!ifindex || (!drop && (tc || strcmp(argv[1], "noop"))) ||
	    secs <= 0 || secs > 600) {
		fprintf(stderr, "gen: usage: xdp DEV noop|drop SECONDS, tc DEV drop SECONDS\n");
		return 2;
	}
	skel = gen_bpf__open_and_load();
	if (!skel)
		return 1;
	prog = tc ? skel->progs.tc_count_drop :
	       drop ? skel->progs.count_drop : skel->progs.noop;
	if (tc) {
		link = bpf_link_create(bpf_program__fd(prog), ifindex,
				       BPF_TCX_INGRESS, NULL);
		err = link < 0 ? -errno : 0;
	} else {
		err = bpf_xdp_attach(ifindex, bpf_program__fd(prog),
				     XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
				     NULL);
	}
	if (err) {
		fprintf(stderr, "gen: Couldn't attach %s on iface '%s': %s\n",
			tc ? "tcx" : "XDP", argv[0], strerror(-err));
		gen_bpf__destroy(skel);
		return 1;
	}
	hold(skel, secs);
	if (tc)
		close(link);
	else
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	gen_bpf__destroy(skel);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (argc == 9 && !strcmp(argv[1], "udp"))
		return gen_udp(argv + 2);
	if (argc == 5 && (!strcmp(argv[1], "xdp") || !strcmp(argv[1], "tc")))
		return prog_attach(!strcmp(argv[1], "tc"), argv + 2);
	fprintf(stderr, "usage: gen udp DEV DST_MAC SADDR DADDR DPORT FLOWS SECONDS\n"
			"       gen xdp DEV noop|drop SECONDS\n"
			"       gen tc DEV drop SECONDS\n");
	return 2;
}
