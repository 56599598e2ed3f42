// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A minimal HTTP/1.1 server for the connection benchmarks: every request
 * gets "200 ok" and the connection is closed, so the pods are never the
 * bottleneck (the e2e python servers would be).
 *
 *   httpd PORT THREADS SECONDS
 *
 * Each thread owns an SO_REUSEPORT listener. Exits after SECONDS or on
 * SIGTERM/SIGINT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
			    "Connection: close\r\n\r\nok\n";
static int port;

static int listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void serve(int c)
{
	char buf[2048];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(buf) - 1) {
		n = read(c, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			return;
		got += n;
		buf[got] = 0;
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	/* A client that reset the connection first must not end the
	 * process by SIGPIPE. */
	n = send(c, reply, sizeof(reply) - 1, MSG_NOSIGNAL);
	(void)n;
}

static void *worker(void *arg)
{
	int fd = (int)(long)arg, c;

	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c < 0) {
			if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK)
				return NULL;
			/* EMFILE, ENOBUFS, a connection aborted...: the
			 * listener stays, so does its thread. */
			if (errno != EINTR && errno != ECONNABORTED)
				usleep(1000);
			continue;
		}
		serve(c);
		close(c);
	}
}

int main(int argc, char **argv)
{
	int i, n, secs, fd;
	pthread_t t;

	if (argc != 4) {
		fprintf(stderr, "usage: httpd PORT THREADS SECONDS\n");
		return 2;
	}
	port = atoi(argv[1]);
	n = atoi(argv[2]);
	secs = atoi(argv[3]);
	if (port <= 0 || n <= 0 || n > 64 || secs <= 0) {
		fprintf(stderr, "httpd: bad arguments\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		fd = listener();
		if (fd < 0 || pthread_create(&t, NULL, worker, (void *)(long)fd)) {
			fprintf(stderr, "httpd: port %d: %s\n", port, strerror(errno));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	sleep(secs); /* a signal ends it early: default action */
	return 0;
}
