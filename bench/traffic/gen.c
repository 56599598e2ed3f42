// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Real-traffic helpers for bench/net.sh (run inside a network namespace):
 *
 *   gen udp DEV DST_MAC SADDR DADDR DPORT FLOWS SECONDS
 *       UDP frames out of DEV at full speed: BPF_PROG_RUN with
 *       BPF_F_TEST_XDP_LIVE_FRAMES runs gen_udp, which writes the frame and
 *       returns XDP_TX. Prints sent=, seconds=, sent_pps=.
 *   gen xdp DEV noop|drop SECONDS
 *       Attaches noop (XDP_PASS) or count_drop natively to DEV until
 *       SIGTERM/SIGINT or SECONDS, then prints counted= and detaches.
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

#define FRAME_LEN 64      /* Ethernet frame without FCS: the minimum */
#define BATCH (1u << 18)  /* frames per BPF_PROG_RUN call (~0.1 s) */

static volatile sig_atomic_t stop;

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

static int gen_udp(char **argv)
{
	unsigned int ifindex = if_nametoindex(argv[0]);
	struct in_addr sa, da;
	__u8 frame[FRAME_LEN] = {};
	struct xdp_md ctx = {};
	struct gen_bpf *skel;
	double t0, t, secs = atof(argv[6]);
	unsigned long long sent = 0;
	int err, i;

	if (!ifindex || inet_pton(AF_INET, argv[2], &sa) != 1 ||
	    inet_pton(AF_INET, argv[3], &da) != 1 || secs <= 0 || secs > 120) {
		fprintf(stderr, "gen: bad device, address or duration\n");
		return 2;
	}
	skel = gen_bpf__open();
	if (!skel)
		return 1;
	if (parse_mac(argv[1], (__u8 *)skel->rodata->dst_mac) ||
	    dev_mac(argv[0], (__u8 *)skel->rodata->src_mac)) {
		fprintf(stderr, "gen: bad MAC '%s' or device '%s'\n", argv[1], argv[0]);
		err = 2;
		goto out;
	}
	skel->rodata->saddr = sa.s_addr;
	skel->rodata->daddr = da.s_addr;
	skel->rodata->dport = htons(atoi(argv[4]));
	skel->rodata->sport_base = 10000;
	skel->rodata->n_flows = atoi(argv[5]) ?: 1;
	skel->rodata->payload_len = FRAME_LEN - sizeof(struct ether_header) - 20 - 8;
	err = gen_bpf__load(skel);
	if (err) {
		fprintf(stderr, "gen: load failed: %s\n", strerror(-err));
		err = 1;
		goto out;
	}
	/* the kernel wants data_end to match the frame it is given */
	ctx.data_end = sizeof(frame);
	ctx.ingress_ifindex = ifindex;
	t0 = now_s();
	for (i = 0; i < 100000 && !stop; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
			    .data_size_in = sizeof(frame), .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = BATCH,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.gen_udp),
					     &opts);
		if (err) {
			fprintf(stderr, "gen: BPF_PROG_RUN (live frames) on '%s': %s\n",
				argv[0], strerror(errno));
			err = 1;
			goto out;
		}
		sent += BATCH;
		t = now_s() - t0;
		if (t >= secs)
			break;
	}
	t = now_s() - t0;
	printf("sent=%llu\nseconds=%.3f\nsent_pps=%.0f\n", sent, t, sent / t);
	err = 0;
out:
	gen_bpf__destroy(skel);
	return err;
}

static int xdp_attach(char **argv)
{
	unsigned int ifindex = if_nametoindex(argv[0]);
	double secs = atof(argv[2]), t0;
	int drop = !strcmp(argv[1], "drop");
	struct gen_bpf *skel;
	struct bpf_program *prog;
	int err;

	if (!ifindex || (!drop && strcmp(argv[1], "noop")) || secs <= 0 ||
	    secs > 600) {
		fprintf(stderr, "gen: usage: xdp DEV noop|drop SECONDS\n");
		return 2;
	}
	skel = gen_bpf__open_and_load();
	if (!skel)
		return 1;
	prog = drop ? skel->progs.count_drop : skel->progs.noop;
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog),
			     XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err) {
		fprintf(stderr, "gen: Couldn't attach XDP on iface '%s': %s\n",
			argv[0], strerror(-err));
		gen_bpf__destroy(skel);
		return 1;
	}
	printf("attached=1\n");
	fflush(stdout);
	t0 = now_s();
	while (!stop && now_s() - t0 < secs)
		usleep(20000);
	printf("counted=%llu\n", (unsigned long long)skel->bss->counted);
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
	if (argc == 5 && !strcmp(argv[1], "xdp"))
		return xdp_attach(argv + 2);
	fprintf(stderr, "usage: gen udp DEV DST_MAC SADDR DADDR DPORT FLOWS SECONDS\n"
			"       gen xdp DEV noop|drop SECONDS\n");
	return 2;
}
