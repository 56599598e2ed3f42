/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where the Kubernetes API is and how to authenticate: from a kubeconfig
 * file (parsed with libyaml) or from the pod's service account (in-cluster).
 */
#ifndef CANARY_USER_KUBECONFIG_H
#define CANARY_USER_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "core/config.h"

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
/* Overrides KUBE_SA_DIR (tests run the in-cluster path outside a pod). */
#define KUBE_SA_DIR_ENV "CANARY_BPF_SA_DIR"

/* A PEM or token held in memory (decoded from a "*-data" field). */
struct kube_blob {
	char *data;
	size_t len;
};

struct kube_config {
	char server[512];        /* "https://host:port", no trailing slash */
	char namespace[64];      /* the context's namespace, or "default" */
	char *ca_file;           /* certificate-authority */
	struct kube_blob ca;     /* certificate-authority-data, decoded */
	char *cert_file;         /* client-certificate */
	struct kube_blob cert;   /* client-certificate-data, decoded */
	char *key_file;          /* client-key */
	struct kube_blob key;    /* client-key-data, decoded */
	char *token;             /* token */
	char *token_file;        /* tokenFile, or the service account's: read
				  * at every request, so rotation is seen */
	bool insecure;           /* insecure-skip-tls-verify */
};

/*
 * Loads @path's current context. Relative file names in it are taken
 * relative to the file's directory. Returns 0, or -EINVAL / -ENOENT /
 * -errno with a message in @err naming the file and the key (exec and
 * auth-provider users are not supported and say so).
 */
int kubeconfig_load(struct kube_config *kc, const char *path,
		    struct canary_err *err);

/* Builds the in-cluster config from KUBERNETES_SERVICE_HOST/PORT and the
 * service account directory. Returns 0 or -ENOENT with a message. */
int kubeconfig_in_cluster(struct kube_config *kc, struct canary_err *err);

/*
 * The config to use: @path if given, else $KUBECONFIG (first entry), else
 * in-cluster when KUBERNETES_SERVICE_HOST is set, else ~/.kube/config.
 */
int kubeconfig_auto(struct kube_config *kc, const char *path,
		    struct canary_err *err);

void kubeconfig_free(struct kube_config *kc);

/* Decodes base64 @in (whitespace ignored) into a new buffer. Returns 0 or
 * -EINVAL / -ENOMEM. */
int kube_base64_decode(const char *in, struct kube_blob *out);

#endif /* CANARY_USER_KUBECONFIG_H */
