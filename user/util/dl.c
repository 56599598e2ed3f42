// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* What the libraries loaded on first use share (see dl.h). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/dl.h"

void dl_sym(void *h, const char *lib, const char *name, void *slot)
{
	void *p = dlsym(h, name);

	if (!p) {
		fprintf(stderr, "canary-bpf: error: %s lacks %s: %s\n", lib,
			name, dlerror());
		exit(1);
	}
	*(void **)slot = p;
}
