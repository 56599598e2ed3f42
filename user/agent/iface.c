// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The default-route interface from /proc/net/route (see iface.h). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <net/route.h>

#include "agent/iface.h"

int iface_default_route(FILE *route, char name[IF_NAMESIZE])
{
	FILE *f = route ? route : fopen("/proc/net/route", "r");
	unsigned long dst, gw, flags, mask, best = ULONG_MAX;
	char line[512], dev[IF_NAMESIZE];
	int refcnt, use, metric;

	if (!f)
		return -errno;
	name[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
		if (sscanf(line, "%15s %lx %lx %lx %d %d %d %lx", dev, &dst, &gw,
			   &flags, &refcnt, &use, &metric, &mask) != 8)
			continue; /* the header line */
		if (dst || mask || !(flags & RTF_UP) || (unsigned long)metric >= best)
			continue;
		best = metric;
		snprintf(name, IF_NAMESIZE, "%s", dev);
	}
	if (!route)
		fclose(f);
	return name[0] ? 0 : -ENOENT;
}
