/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * libcurl and libmicrohttpd, loaded when first used (dlopen) rather than
 * at every start of the binary: only the agent and the --kube commands need
 * them, and their dependency chain (TLS, Kerberos, LDAP...) made every CLI
 * call, set-weight included, some 6 ms slower to start.
 *
 * Include this after <curl/curl.h> or <microhttpd.h>: the calls of the
 * library functions those files make then go through the loaded tables.
 */
#ifndef CANARY_USER_DL_H
#define CANARY_USER_DL_H

/* Resolves @name in library @h (named @lib) into the function pointer at
 * @slot; exits with a message naming both when it is missing. */
void dl_sym(void *h, const char *lib, const char *name, void *slot);

#ifdef CURLINC_CURL_H
struct dl_curl {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	void (*easy_reset)(CURL *c);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* The loaded table; exits with a message if libcurl cannot be loaded. */
const struct dl_curl *dl_curl(void);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init(...) dl_curl()->global_init(__VA_ARGS__)
#define curl_easy_init(...) dl_curl()->easy_init(__VA_ARGS__)
#define curl_easy_setopt(...) dl_curl()->easy_setopt(__VA_ARGS__)
#define curl_easy_perform(...) dl_curl()->easy_perform(__VA_ARGS__)
#define curl_easy_getinfo(...) dl_curl()->easy_getinfo(__VA_ARGS__)
#define curl_easy_cleanup(...) dl_curl()->easy_cleanup(__VA_ARGS__)
#define curl_easy_reset(...) dl_curl()->easy_reset(__VA_ARGS__)
#define curl_easy_strerror(...) dl_curl()->easy_strerror(__VA_ARGS__)
#define curl_slist_append(...) dl_curl()->slist_append(__VA_ARGS__)
#define curl_slist_free_all(...) dl_curl()->slist_free_all(__VA_ARGS__)
#endif

#ifdef MHD_VERSION
struct dl_mhd {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
					   MHD_AcceptPolicyCallback apc,
					   void *apc_cls,
					   MHD_AccessHandlerCallback dh,
					   void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *d);
	struct MHD_Response *(*create_response_from_buffer)(
		size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *r,
					       const char *header,
					       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *c,
					  unsigned int status,
					  struct MHD_Response *r);
	void (*destroy_response)(struct MHD_Response *r);
};

/* The loaded table; exits with a message if libmicrohttpd cannot load. */
const struct dl_mhd *dl_mhd(void);

#define MHD_start_daemon(...) dl_mhd()->start_daemon(__VA_ARGS__)
#define MHD_stop_daemon(...) dl_mhd()->stop_daemon(__VA_ARGS__)
#define MHD_create_response_from_buffer(...) \
	dl_mhd()->create_response_from_buffer(__VA_ARGS__)
#define MHD_add_response_header(...) dl_mhd()->add_response_header(__VA_ARGS__)
#define MHD_queue_response(...) dl_mhd()->queue_response(__VA_ARGS__)
#define MHD_destroy_response(...) dl_mhd()->destroy_response(__VA_ARGS__)
#endif

#endif /* CANARY_USER_DL_H */
