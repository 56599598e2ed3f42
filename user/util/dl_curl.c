// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* libcurl, loaded on first use (see dl.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <curl/curl.h>

#include "util/dl.h"

static struct dl_curl api;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	static const char lib[] = "libcurl.so.4";
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "canary-bpf: error: Couldn't load %s (package "
			"libcurl4): %s\n", lib, dlerror());
		exit(1);
	}
	dl_sym(h, lib, "curl_global_init", &api.global_init);
	dl_sym(h, lib, "curl_easy_init", &api.easy_init);
	dl_sym(h, lib, "curl_easy_setopt", &api.easy_setopt);
	dl_sym(h, lib, "curl_easy_perform", &api.easy_perform);
	dl_sym(h, lib, "curl_easy_getinfo", &api.easy_getinfo);
	dl_sym(h, lib, "curl_easy_cleanup", &api.easy_cleanup);
	dl_sym(h, lib, "curl_easy_reset", &api.easy_reset);
	dl_sym(h, lib, "curl_easy_strerror", &api.easy_strerror);
	dl_sym(h, lib, "curl_slist_append", &api.slist_append);
	dl_sym(h, lib, "curl_slist_free_all", &api.slist_free_all);
}

const struct dl_curl *dl_curl(void)
{
	pthread_once(&once, load);
	return &api;
}
