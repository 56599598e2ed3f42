// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* libmicrohttpd, loaded on first use (see dl.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "util/dl.h"

static struct dl_mhd api;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	static const char lib[] = "libmicrohttpd.so.12";
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "canary-bpf: error: Couldn't load %s (package "
			"libmicrohttpd12): %s\n", lib, dlerror());
		exit(1);
	}
	dl_sym(h, lib, "MHD_start_daemon", &api.start_daemon);
	dl_sym(h, lib, "MHD_stop_daemon", &api.stop_daemon);
	dl_sym(h, lib, "MHD_create_response_from_buffer",
	    &api.create_response_from_buffer);
	dl_sym(h, lib, "MHD_add_response_header", &api.add_response_header);
	dl_sym(h, lib, "MHD_queue_response", &api.queue_response);
	dl_sym(h, lib, "MHD_destroy_response", &api.destroy_response);
}

const struct dl_mhd *dl_mhd(void)
{
	pthread_once(&once, load);
	return &api;
}
