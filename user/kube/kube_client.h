/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Requests to the Kubernetes API over HTTPS (libcurl), JSON with json-c:
 * one-shot requests (GET, PATCH) and streamed watches (one JSON event per
 * line). Safe to use from several threads, one request per thread at a
 * time; call kube_global_init() once before any thread starts.
 */
#ifndef CANARY_USER_KUBE_CLIENT_H
#define CANARY_USER_KUBE_CLIENT_H

#include <signal.h>
#include <json-c/json.h>
#include "kube/kubeconfig.h"

/* Set (from a signal handler) to make every request and wait return. */
extern volatile sig_atomic_t kube_stop;

int kube_global_init(void);

struct kube_resp {
	long status;            /* HTTP status, 0 when no response came */
	json_object *body;      /* parsed body, or NULL; caller puts it */
};

/*
 * Sends @method @path (with @body of @ctype, or none) and waits at most
 * @timeout_s seconds. Returns 0 when a response arrived (any status: see
 * @resp), or a negative errno (-EIO: connection or TLS failure, -EINTR:
 * kube_stop) with a message in @err naming the URL.
 */
int kube_request(const struct kube_config *kc, const char *method,
		 const char *path, const char *body, const char *ctype,
		 long timeout_s, struct kube_resp *resp, struct canary_err *err);

/*
 * A watch: GETs @path and calls @on_event for each JSON line of the
 * chunked response as it arrives. A non-zero return from @on_event ends
 * the stream. Returns 0 when the server closed the stream normally (or
 * @on_event stopped it), a negative errno otherwise; @status is the HTTP
 * status (on a non-2xx status the body is parsed into @resp->body when it
 * is JSON). @idle_s bounds the time without a byte from the server.
 */
int kube_stream(const struct kube_config *kc, const char *path, long idle_s,
		int (*on_event)(void *arg, json_object *ev), void *arg,
		struct kube_resp *resp, struct canary_err *err);

/* The "message" of a Kubernetes Status body, or "". */
const char *kube_status_message(const struct kube_resp *resp);

/* Sleeps @ms milliseconds, returning early (-EINTR) on kube_stop. */
int kube_sleep_ms(long ms);

#endif /* CANARY_USER_KUBE_CLIENT_H */
