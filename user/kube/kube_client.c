// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* HTTPS to the Kubernetes API with libcurl (see kube_client.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "util/dl.h"

#include "kube/kube_client.h"
#include "util/log.h"

volatile sig_atomic_t kube_stop;

/* Largest response or watch event we accept, in bytes. */
#define KUBE_MAX_BODY (64u << 20)

struct kbuf {
	char *data;
	size_t len, cap;
};

/* State of one transfer; stream mode hands each line to on_event. */
struct kxfer {
	CURL *curl;
	struct kbuf buf;
	int (*on_event)(void *arg, json_object *ev);
	void *arg;
	int stopped;   /* on_event asked to end the stream */
	int too_big;
};

int kube_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) ? -EIO : 0;
}

int kube_sleep_ms(long ms)
{
	struct timespec ts = { 0, 50 * 1000000L };

	for (; ms > 0 && !kube_stop; ms -= 50) {
		if (ms < 50)
			ts.tv_nsec = ms * 1000000L;
		nanosleep(&ts, NULL);
	}
	return kube_stop ? -EINTR : 0;
}

static int kbuf_add(struct kbuf *b, const char *p, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *d;

	if (b->len + n + 1 > KUBE_MAX_BODY)
		return -E2BIG;
	while (cap < b->len + n + 1)
		cap *= 2;
	if (cap != b->cap) {
		d = realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* Hands each complete line of x->buf to on_event. */
static void stream_lines(struct kxfer *x)
{
	char *start = x->buf.data, *nl;
	json_object *ev;

	while (!x->stopped && (nl = memchr(start, '\n', x->buf.len - (start - x->buf.data)))) {
		*nl = '\0';
		ev = *start ? json_tokener_parse(start) : NULL;
		if (ev) {
			x->stopped = x->on_event(x->arg, ev);
			json_object_put(ev);
		} else if (*start) {
			pr_warn("kube: watch sent a line that is not JSON: %.80s\n",
				start);
		}
		start = nl + 1;
	}
	x->buf.len -= start - x->buf.data;
	memmove(x->buf.data, start, x->buf.len + 1);
}

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
	struct kxfer *x = arg;
	long status = 0;

	if (kbuf_add(&x->buf, p, size * n)) {
		x->too_big = 1;
		return 0;
	}
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (x->on_event && status >= 200 && status < 300)
		stream_lines(x);
	return x->stopped ? 0 : size * n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
		       curl_off_t d)
{
	(void)arg, (void)a, (void)b, (void)c, (void)d;
	return kube_stop ? 1 : 0;
}

/* The bearer token: inline, or read from the token file now (rotation). */
static int auth_header(const struct kube_config *kc, char *buf, size_t len)
{
	char tok[8192] = "";
	size_t n = 0;
	FILE *f;

	if (kc->token_file && (f = fopen(kc->token_file, "r"))) {
		n = fread(tok, 1, sizeof(tok) - 1, f);
		tok[n] = '\0';
		fclose(f);
	} else if (kc->token) {
		snprintf(tok, sizeof(tok), "%s", kc->token);
	}
	tok[strcspn(tok, "\r\n \t")] = '\0';
	if (!tok[0])
		return 0;
	snprintf(buf, len, "Authorization: Bearer %s", tok);
	return 1;
}

static void set_blob(CURL *c, CURLoption opt, const struct kube_blob *b)
{
	struct curl_blob blob = { .data = b->data, .len = b->len,
				  .flags = CURL_BLOB_COPY };

	curl_easy_setopt(c, opt, &blob);
}

static void set_tls(CURL *c, const struct kube_config *kc)
{
	if (kc->ca.data)
		set_blob(c, CURLOPT_CAINFO_BLOB, &kc->ca);
	else if (kc->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, kc->ca_file);
	if (kc->cert.data)
		set_blob(c, CURLOPT_SSLCERT_BLOB, &kc->cert);
	else if (kc->cert_file)
		curl_easy_setopt(c, CURLOPT_SSLCERT, kc->cert_file);
	if (kc->key.data)
		set_blob(c, CURLOPT_SSLKEY_BLOB, &kc->key);
	else if (kc->key_file)
		curl_easy_setopt(c, CURLOPT_SSLKEY, kc->key_file);
	if (kc->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

/* Sets up x->curl for @method on @path; returns the header list. */
static struct curl_slist *xfer_setup(struct kxfer *x, const struct kube_config *kc,
				     const char *method, const char *path,
				     const char *body, const char *ctype)
{
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
	char url[2048], line[8300];

	snprintf(url, sizeof(url), "%s%s", kc->server, path);
	curl_easy_setopt(x->curl, CURLOPT_URL, url);
	curl_easy_setopt(x->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(x->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(x->curl, CURLOPT_USERAGENT, "canary-bpf");
	set_tls(x->curl, kc);
	if (auth_header(kc, line, sizeof(line)))
		h = curl_slist_append(h, line);
	if (body) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
		curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, body);
	}
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, h);
	return h;
}

/* Runs the transfer; fills @resp; returns 0 or a negative errno. */
static int xfer_run(struct kxfer *x, const char *path, struct kube_resp *resp,
		    struct canary_err *err)
{
	CURLcode rc = curl_easy_perform(x->curl);

	resp->status = 0;
	resp->body = NULL;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (kube_stop)
		return -EINTR;
	if (x->buf.len && (!x->on_event || resp->status < 200 || resp->status >= 300))
		resp->body = json_tokener_parse(x->buf.data);
	if (rc == CURLE_OK || (x->stopped && rc == CURLE_WRITE_ERROR))
		return 0;
	if (x->too_big)
		return cerr_set(err, "%s: response too large", path), -E2BIG;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return cerr_set(err, "%s: timed out", path), -ETIMEDOUT;
	return cerr_set(err, "%s: %s", path, curl_easy_strerror(rc)), -EIO;
}

/*
 * One-shot requests of a thread share one handle, which keeps its
 * connection to the API server (and the TLS session) between them: an
 * Event or a list page then costs a request, not a TLS handshake with a
 * certificate store built anew. Freed when the thread ends.
 */
static pthread_key_t handle_key;
static pthread_once_t handle_once = PTHREAD_ONCE_INIT;

static void handle_free(void *h)
{
	curl_easy_cleanup(h);
}

static void handle_key_make(void)
{
	pthread_key_create(&handle_key, handle_free);
}

/* This thread's handle for one-shot requests, reset; NULL: none. */
static CURL *thread_handle(void)
{
	CURL *c;

	pthread_once(&handle_once, handle_key_make);
	c = pthread_getspecific(handle_key);
	if (c) {
		curl_easy_reset(c); /* options only: connections stay */
		return c;
	}
	c = curl_easy_init();
	if (c && pthread_setspecific(handle_key, c)) {
		curl_easy_cleanup(c);
		c = NULL;
	}
	return c;
}

/* One transfer: @timeout_s bounds the whole of it (0: no bound),
 * @idle_s the time without a byte (0: no bound). A stream (a watch)
 * gets a handle of its own, a one-shot request the thread's. */
static int xfer(const struct kube_config *kc, const char *method,
		const char *path, const char *body, const char *ctype,
		long timeout_s, long idle_s, struct kxfer *x,
		struct kube_resp *resp, struct canary_err *err)
{
	struct curl_slist *h;
	bool own = x->on_event;
	int ret;

	x->curl = own ? curl_easy_init() : thread_handle();
	if (!x->curl)
		return cerr_set(err, "%s: curl_easy_init failed", path), -ENOMEM;
	h = xfer_setup(x, kc, method, path, body, ctype);
	curl_easy_setopt(x->curl, CURLOPT_TIMEOUT, timeout_s);
	if (idle_s) {
		curl_easy_setopt(x->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(x->curl, CURLOPT_LOW_SPEED_TIME, idle_s);
	}
	ret = xfer_run(x, path, resp, err);
	if (own)
		curl_easy_cleanup(x->curl);
	else /* the header list and body go before the next use */
		curl_easy_reset(x->curl);
	curl_slist_free_all(h);
	free(x->buf.data);
	return ret;
}

int kube_request(const struct kube_config *kc, const char *method,
		 const char *path, const char *body, const char *ctype,
		 long timeout_s, struct kube_resp *resp, struct canary_err *err)
{
	struct kxfer x = {};

	return xfer(kc, method, path, body, ctype, timeout_s, 0, &x, resp, err);
}

int kube_stream(const struct kube_config *kc, const char *path, long idle_s,
		int (*on_event)(void *arg, json_object *ev), void *arg,
		struct kube_resp *resp, struct canary_err *err)
{
	struct kxfer x = { .on_event = on_event, .arg = arg };

	return xfer(kc, "GET", path, NULL, NULL, 0, idle_s, &x, resp, err);
}

const char *kube_status_message(const struct kube_resp *resp)
{
	json_object *m;

	if (resp->body && json_object_object_get_ex(resp->body, "message", &m))
		return json_object_get_string(m);
	return "";
}
