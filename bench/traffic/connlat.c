// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * New-connection latency at a fixed rate (open loop, so a slow reply does
 * not lower the offered load): every 1/RATE s a fresh TCP connection sends
 * "GET / HTTP/1.1" with "Connection: close" and reads to EOF. The latency
 * is connect() to EOF.
 *
 *   connlat IP PORT RATE SECONDS
 *
 * Prints conns=, errors=, p50_us=, p99_us=, max_us=.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 200000
#define TIMEOUT_NS 2000000000LL /* a connection open longer is an error */

struct conn {
	long long start;
	int fd;
	int sent;
};

static const char req[] = "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static struct conn *open_conn(int ep, struct sockaddr_in *dst)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN };
	struct conn *c = calloc(1, sizeof(*c));
	int fd;

	if (!c)
		return NULL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	c->start = now_ns();
	if (fd < 0 || (connect(fd, (struct sockaddr *)dst, sizeof(*dst)) &&
		       errno != EINPROGRESS)) {
		if (fd >= 0)
			close(fd);
		free(c);
		return NULL;
	}
	c->fd = fd;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return c;
}

/* Drives one ready connection; returns 1 when done, -1 on error, 0 else. */
static int step(struct conn *c, unsigned int events)
{
	char buf[512];
	ssize_t n;

	if (events & EPOLLERR)
		return -1;
	if (!c->sent && (events & EPOLLOUT)) {
		if (write(c->fd, req, sizeof(req) - 1) != sizeof(req) - 1)
			return -1;
		c->sent = 1;
	}
	if (events & (EPOLLIN | EPOLLHUP)) {
		while ((n = read(c->fd, buf, sizeof(buf))) > 0)
			;
		if (n == 0)
			return 1;
		if (errno != EAGAIN)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct epoll_event evs[256];
	long long *lat, t0, next, period, end, done_ns;
	int ep, rate, secs, i, n, r, open_n = 0;
	long nlat = 0, errors = 0, launched = 0;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
		fprintf(stderr, "usage: connlat IP PORT RATE SECONDS\n");
		return 2;
	}
	dst.sin_port = htons(atoi(argv[2]));
	rate = atoi(argv[3]);
	secs = atoi(argv[4]);
	if (rate <= 0 || secs <= 0 || (long)rate * secs > MAX_CONNS) {
		fprintf(stderr, "connlat: RATE * SECONDS must be in 1..%d\n", MAX_CONNS);
		return 2;
	}
	lat = calloc(MAX_CONNS, sizeof(*lat));
	ep = epoll_create1(0);
	if (!lat || ep < 0)
		return 1;
	period = 1000000000LL / rate;
	t0 = next = now_ns();
	end = t0 + secs * 1000000000LL;
	while (now_ns() < end + TIMEOUT_NS && (now_ns() < end || open_n > 0)) {
		while (now_ns() >= next && next < end) {
			next += period;
			launched++;
			if (open_conn(ep, &dst))
				open_n++;
			else
				errors++;
		}
		n = epoll_wait(ep, evs, 256, 1);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			r = step(c, evs[i].events);
			if (!r)
				continue;
			done_ns = now_ns();
			if (r > 0)
				lat[nlat++] = done_ns - c->start;
			else
				errors++;
			close(c->fd);
			free(c);
			open_n--;
		}
	}
	errors += open_n; /* still open after the timeout */
	qsort(lat, nlat, sizeof(*lat), cmp_ll);
	printf("conns=%ld\nerrors=%ld\n", nlat, errors);
	if (nlat)
		printf("p50_us=%.0f\np99_us=%.0f\nmax_us=%.0f\n",
		       lat[nlat / 2] / 1e3, lat[nlat * 99 / 100] / 1e3,
		       lat[nlat - 1] / 1e3);
	(void)launched;
	return 0;
}
