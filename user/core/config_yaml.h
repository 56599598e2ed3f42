/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The `apply -f` file format, read with libyaml. Not named yaml.h: with
 * -Iuser that would hide libyaml's own <yaml.h>. */
#ifndef CANARY_USER_CONFIG_YAML_H
#define CANARY_USER_CONFIG_YAML_H

#include "core/config.h"

/*
 * Reads @path into @cfg (initialised by the caller, appended to) and
 * validates it with config_validate(). Errors return -EINVAL (bad content)
 * or a negative errno (cannot read the file) with a message of the form
 * "FILE:LINE:COLUMN: reason", for YAML syntax errors, unknown keys, wrong
 * types and bad values alike. On error @cfg keeps only the services it
 * had before the call. Each version's endpoints come back sorted
 * (config_sort_endpoints()).
 */
int yaml_load_config(const char *path, struct canary_config *cfg,
		     struct canary_err *err);

/*
 * What yaml_load_config_filter() asks of each service once it is loaded
 * and checked: 1 to keep it in the config, 0 to leave it out (its slot
 * takes the next one: a file of many services the caller already has
 * costs one service's memory), or -EINVAL with the reason in @err, told
 * at the service's place in the file.
 */
typedef int (*yaml_service_filter)(const struct canary_service_cfg *svc,
				   void *arg, struct canary_err *err);

/* yaml_load_config() with @keep (NULL: keep all) deciding which services
 * stay in @cfg. Every service of the file is checked against every
 * other all the same. */
int yaml_load_config_filter(const char *path, struct canary_config *cfg,
			    yaml_service_filter keep, void *arg,
			    struct canary_err *err);

/*
 * The same in two steps, so that a caller can do something else while
 * the file is parsed (the CLI reads the running config on the other
 * core): yaml_file_parse() reads @path (syntax errors, one document)
 * into a new *@out; yaml_file_load() makes it a config as
 * yaml_load_config_filter() does; yaml_file_free() in any case.
 */
struct yaml_file;
int yaml_file_parse(const char *path, struct yaml_file **out,
		    struct canary_err *err);
int yaml_file_load(struct yaml_file *yf, struct canary_config *cfg,
		   yaml_service_filter keep, void *arg, struct canary_err *err);
void yaml_file_free(struct yaml_file *yf);

#endif /* CANARY_USER_CONFIG_YAML_H */
