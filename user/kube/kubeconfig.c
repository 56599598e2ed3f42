// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* kubeconfig files (libyaml's document API) and the in-cluster config. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "kube/kubeconfig.h"

struct kcfg_doc {
	yaml_document_t doc;
	const char *path;
	char dir[512];          /* the file's directory, for relative names */
};

/* The value under @key of mapping @map, or NULL. */
static yaml_node_t *ymap_get(yaml_document_t *doc, yaml_node_t *map,
			     const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* The scalar under @key, or NULL. */
static const char *ymap_str(yaml_document_t *doc, yaml_node_t *map,
			    const char *key)
{
	yaml_node_t *n = ymap_get(doc, map, key);

	return n && n->type == YAML_SCALAR_NODE ?
		       (const char *)n->data.scalar.value : NULL;
}

/* In sequence @list, the "@key:" mapping of the item whose "name" is
 * @name (kubeconfig's named lists: clusters, users, contexts). */
static yaml_node_t *ynamed(yaml_document_t *doc, const char *list,
			   const char *key, const char *name)
{
	yaml_node_t *seq = ymap_get(doc, yaml_document_get_root_node(doc), list);
	yaml_node_item_t *it;
	yaml_node_t *item;
	const char *n;

	if (!seq || seq->type != YAML_SEQUENCE_NODE || !name)
		return NULL;
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		item = yaml_document_get_node(doc, *it);
		n = ymap_str(doc, item, "name");
		if (n && !strcmp(n, name))
			return ymap_get(doc, item, key);
	}
	return NULL;
}

static int b64_val(char c)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tbl, c) : NULL;

	return p ? (int)(p - tbl) : -1;
}

int kube_base64_decode(const char *in, struct kube_blob *out)
{
	size_t n = 0, len = strlen(in);
	unsigned int acc = 0, bits = 0;
	int v;

	out->data = malloc(len * 3 / 4 + 4);
	if (!out->data)
		return -ENOMEM;
	for (; *in && *in != '='; in++) {
		if (*in == ' ' || *in == '\n' || *in == '\r' || *in == '\t')
			continue;
		v = b64_val(*in);
		if (v < 0) {
			free(out->data);
			out->data = NULL;
			return -EINVAL;
		}
		acc = acc << 6 | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[n++] = (char)(acc >> bits);
		}
	}
	out->data[n] = '\0';
	out->len = n;
	return 0;
}

/* A file name from the kubeconfig, made absolute against its directory. */
static char *kcfg_path(const struct kcfg_doc *d, const char *name)
{
	char buf[1024];

	if (name[0] == '/' || !d->dir[0])
		return strdup(name);
	snprintf(buf, sizeof(buf), "%s/%s", d->dir, name);
	return strdup(buf);
}

/* "X" (a file) or "X-data" (base64) into @file / @blob. */
static int kcfg_file_or_data(struct kcfg_doc *d, yaml_node_t *map,
			     const char *key, char **file,
			     struct kube_blob *blob, struct canary_err *err)
{
	char dkey[64];
	const char *s;

	snprintf(dkey, sizeof(dkey), "%s-data", key);
	s = ymap_str(&d->doc, map, dkey);
	if (s && kube_base64_decode(s, blob))
		return cerr_set(err, "kubeconfig '%s': %s is not valid base64",
				d->path, dkey);
	s = ymap_str(&d->doc, map, key);
	if (s && !(*file = kcfg_path(d, s)))
		return -ENOMEM;
	return 0;
}

static int kcfg_cluster(struct kcfg_doc *d, struct kube_config *kc,
			yaml_node_t *cl, struct canary_err *err)
{
	const char *server = ymap_str(&d->doc, cl, "server");
	const char *insecure = ymap_str(&d->doc, cl, "insecure-skip-tls-verify");
	size_t n;

	if (!server || !*server)
		return cerr_set(err, "kubeconfig '%s': the cluster has no 'server'",
				d->path);
	snprintf(kc->server, sizeof(kc->server), "%s", server);
	n = strlen(kc->server);
	while (n && kc->server[n - 1] == '/')
		kc->server[--n] = '\0';
	kc->insecure = insecure && !strcmp(insecure, "true");
	return kcfg_file_or_data(d, cl, "certificate-authority", &kc->ca_file,
				 &kc->ca, err);
}

static int kcfg_user(struct kcfg_doc *d, struct kube_config *kc,
		     yaml_node_t *u, struct canary_err *err)
{
	const char *s;
	int ret;

	if (!u)
		return 0; /* anonymous */
	if (ymap_get(&d->doc, u, "exec") || ymap_get(&d->doc, u, "auth-provider"))
		return cerr_set(err, "kubeconfig '%s': user 'exec' and "
				"'auth-provider' credentials are not supported "
				"(use a token or a client certificate)", d->path);
	ret = kcfg_file_or_data(d, u, "client-certificate", &kc->cert_file,
				&kc->cert, err);
	if (!ret)
		ret = kcfg_file_or_data(d, u, "client-key", &kc->key_file,
					&kc->key, err);
	if (ret)
		return ret;
	s = ymap_str(&d->doc, u, "token");
	if (s && !(kc->token = strdup(s)))
		return -ENOMEM;
	s = ymap_str(&d->doc, u, "tokenFile");
	if (s && !(kc->token_file = kcfg_path(d, s)))
		return -ENOMEM;
	return 0;
}

/* Resolves current-context to its cluster and user. */
static int kcfg_context(struct kcfg_doc *d, struct kube_config *kc,
			struct canary_err *err)
{
	yaml_node_t *root = yaml_document_get_root_node(&d->doc);
	const char *cur = ymap_str(&d->doc, root, "current-context");
	yaml_node_t *ctx, *cl;
	const char *ns, *user;
	int ret;

	if (!cur || !*cur)
		return cerr_set(err, "kubeconfig '%s': no current-context", d->path);
	ctx = ynamed(&d->doc, "contexts", "context", cur);
	if (!ctx)
		return cerr_set(err, "kubeconfig '%s': context '%s' not found",
				d->path, cur);
	cl = ynamed(&d->doc, "clusters", "cluster",
		    ymap_str(&d->doc, ctx, "cluster"));
	if (!cl)
		return cerr_set(err, "kubeconfig '%s': cluster of context '%s' "
				"not found", d->path, cur);
	ns = ymap_str(&d->doc, ctx, "namespace");
	snprintf(kc->namespace, sizeof(kc->namespace), "%s",
		 ns && *ns ? ns : "default");
	ret = kcfg_cluster(d, kc, cl, err);
	user = ymap_str(&d->doc, ctx, "user");
	if (!ret && user)
		ret = kcfg_user(d, kc, ynamed(&d->doc, "users", "user", user), err);
	return ret;
}

int kubeconfig_load(struct kube_config *kc, const char *path,
		    struct canary_err *err)
{
	yaml_parser_t parser;
	struct kcfg_doc d = { .path = path };
	FILE *f = fopen(path, "r");
	char *slash;
	int ret;

	memset(kc, 0, sizeof(*kc));
	if (!f)
		return cerr_set(err, "kubeconfig '%s': %s", path, strerror(errno)),
		       -ENOENT;
	snprintf(d.dir, sizeof(d.dir), "%s", path);
	slash = strrchr(d.dir, '/');
	if (slash)
		*slash = '\0';
	else
		d.dir[0] = '\0';
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &d.doc)) {
		ret = cerr_set(err, "kubeconfig '%s':%zu:%zu: %s", path,
			       parser.problem_mark.line + 1,
			       parser.problem_mark.column + 1,
			       parser.problem ? parser.problem : "syntax error");
		goto out_parser;
	}
	ret = kcfg_context(&d, kc, err);
	yaml_document_delete(&d.doc);
out_parser:
	yaml_parser_delete(&parser);
	fclose(f);
	if (ret)
		kubeconfig_free(kc);
	return ret;
}

static int sa_path(char **out, const char *dir, const char *name)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

int kubeconfig_in_cluster(struct kube_config *kc, struct canary_err *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv(KUBE_SA_DIR_ENV);
	char *ns_file = NULL;
	FILE *f;

	memset(kc, 0, sizeof(*kc));
	if (!dir || !*dir)
		dir = KUBE_SA_DIR;
	if (!host || !*host || !port || !*port)
		return cerr_set(err, "not in a cluster: KUBERNETES_SERVICE_HOST "
				"and KUBERNETES_SERVICE_PORT are not set "
				"(use --kubeconfig)"), -ENOENT;
	snprintf(kc->server, sizeof(kc->server),
		 strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	snprintf(kc->namespace, sizeof(kc->namespace), "default");
	if (sa_path(&kc->ca_file, dir, "ca.crt") ||
	    sa_path(&kc->token_file, dir, "token") ||
	    sa_path(&ns_file, dir, "namespace"))
		return free(ns_file), kubeconfig_free(kc), -ENOMEM;
	f = fopen(ns_file, "r");
	if (f) {
		if (fscanf(f, "%63s", kc->namespace) != 1)
			snprintf(kc->namespace, sizeof(kc->namespace), "default");
		fclose(f);
	}
	free(ns_file);
	return 0;
}

int kubeconfig_auto(struct kube_config *kc, const char *path,
		    struct canary_err *err)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	char buf[1024];

	if (path && *path)
		return kubeconfig_load(kc, path, err);
	if (env && *env) {
		snprintf(buf, sizeof(buf), "%s", env);
		buf[strcspn(buf, ":")] = '\0';
		return kubeconfig_load(kc, buf, err);
	}
	if (getenv("KUBERNETES_SERVICE_HOST"))
		return kubeconfig_in_cluster(kc, err);
	snprintf(buf, sizeof(buf), "%s/.kube/config", home ? home : "");
	return kubeconfig_load(kc, buf, err);
}

void kubeconfig_free(struct kube_config *kc)
{
	free(kc->ca_file);
	free(kc->ca.data);
	free(kc->cert_file);
	free(kc->cert.data);
	free(kc->key_file);
	free(kc->key.data);
	free(kc->token);
	free(kc->token_file);
	memset(kc, 0, sizeof(*kc));
}
