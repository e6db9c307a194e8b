/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The config file, private to the config files of cli/ (and the config
 * fuzzer): reading and parsing it (config_file.c), and applying the parsed
 * document through the key table (config_apply.c).
 */
#ifndef TT_CONFIG_FILE_H
#define TT_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cli/config.h"

/* Reads and applies a config file (config_file.c). Returns 0, -ENOENT when
 * it does not exist and quiet_enoent is set, or another negative errno after
 * printing the problem with the file and key path. */
int config_file__load(struct config *cfg, const char *path, bool quiet_enoent);

/* Parses and applies the config text buf (len bytes, buf[len] == '\0'), src
 * naming it in messages: the file's checks end, the text's begin here.
 * Returns 0 or -EINVAL after printing the problem with line, column or key
 * path. */
int config_file__parse(struct config *cfg, const char *src, const char *buf, size_t len);

/* Applies a parsed document (the top-level object) to cfg through the key
 * table, naming src and the key path in every message. Returns 0 or
 * -EINVAL after printing the first problem. */
int config_file__apply(struct config *cfg, const char *src, const cJSON *root);

#endif /* TT_CONFIG_FILE_H */
