/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What every BPF header of the data plane builds on: kernel types, libbpf's
 * helpers, the map layouts and flow hashes shared with user space, and the
 * few kernel constants that vmlinux.h lacks (it has types, not macros).
 * Each header includes this first, so each compiles on its own.
 */
#ifndef CANARY_BPF_COMMON_H
#define CANARY_BPF_COMMON_H

#include "vmlinux.h"
/* libbpf's fallback offsetof() is the null-pointer idiom, which clang 14
 * miscompiles inside a conditional expression (it loaded from address
 * 16); the builtin is what the compiler understands. */
#undef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "canary.h"
#define CANARY_INLINE static __always_inline
#include "canary_hash.h"

#define AF_INET 2
#define AF_INET6 10
#define ETH_ALEN 6

#endif /* CANARY_BPF_COMMON_H */
