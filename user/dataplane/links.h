/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Attachments are bpf_links pinned in the pin dir as
 * "link_<ifindex>_<kind>", so they outlive the loader and a re-attach or
 * detach finds them. The kind records the mode.
 */
#ifndef CANARY_USER_LINKS_H
#define CANARY_USER_LINKS_H

#include <stddef.h>
#include "core/config.h"

enum link_kind {
	LINK_XDP,         /* native XDP ingress */
	LINK_XDP_GENERIC, /* generic XDP ingress */
	LINK_TC_IN,       /* tcx ingress (attach --mode tc) */
	LINK_TC_OUT,      /* tcx egress, the reply path; always present */
	LINK_TC_FWD,      /* tcx ingress next to XDP: canary_tc_fwd */
	LINK_KIND_MAX,
};

/* "xdp", "xdpgeneric", "tc_in", "tc_out", "tc_fwd". */
const char *link_kind_name(enum link_kind kind);
/* The mode a user sees for an ingress kind: "native", "generic", "tc". */
const char *link_kind_mode(enum link_kind kind);

void link_pin_path(char *buf, size_t len, const char *dir, int ifindex,
		   enum link_kind kind);

/* Calls @fn for each pinned link (ifindex 0 = every interface). Returns
 * the number of links seen. */
int links_for_each(const char *dir, int ifindex,
		   void (*fn)(const char *path, int ifindex, enum link_kind kind,
			      void *arg),
		   void *arg);

/* Swaps the program of the link pinned at @path for @prog_fd, in place
 * (bpf_link_update: nothing is detached, even for a moment). Returns 0 or
 * a negative errno. */
int link_update_pinned(const char *path, int prog_fd);
/* Pins the new link @fd at @path and closes @fd. Returns 0 or a negative
 * errno, with the reason in @err. */
int link_pin_new(int fd, const char *path, struct canary_err *err);

/* Whether the pinned link at @path is still attached to a device. */
int link_is_live(const char *path);

#endif /* CANARY_USER_LINKS_H */
