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

#endif /* CANARY_USER_CONFIG_YAML_H */
