/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Which interface the node's traffic arrives on. */
#ifndef CANARY_USER_IFACE_H
#define CANARY_USER_IFACE_H

#include <net/if.h>
#include <stdio.h>

/*
 * Writes into @name the interface of the IPv4 default route with the
 * lowest metric, read from @route (the /proc/net/route format; pass NULL
 * for /proc/net/route). Returns 0, or -ENOENT when there is no default
 * route, or -errno.
 */
int iface_default_route(FILE *route, char name[IF_NAMESIZE]);

#endif /* CANARY_USER_IFACE_H */
