/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The table of configuration keys, private to the config files of cli/: one
 * entry per key (its name, type, range and meaning) drives the file parser
 * (config_file.c, config_apply.c), the flags' range checks (config.c), the
 * JSON printer (config_print.c) and the key reference in docs/config.md
 * (config_doc.c). A key's default is set by the module that owns its field
 * (config__default, and the core's *__default_config), so the core has the
 * same defaults without a config.
 */
#ifndef TT_CONFIG_KEYS_H
#define TT_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* clang-format off */
enum kind {
	K_OBJ,	    /* nested object, sub lists its keys */
	K_DOUBLE,   /* number in [lo, hi] */
	K_U8,	    /* whole numbers in [lo, hi] */
	K_U32,
	K_SIZE,	    /* uint64_t bytes: a number, or a string with a K/M/G suffix */
	K_BOOL,
	K_STR,	    /* char[size] */
	K_SINK,	    /* char[size]: "-", "none" or a path */
	K_PORTS,    /* uint16_t[size], count at off2 (cnt8: a uint8_t, else uint32_t) */
	K_RULES,    /* core.rules */
	K_FEATURES, /* core.features, names */
	K_DIRS,	    /* core.alert_dir, metric name -> direction */
	K_STRS,	    /* char[size][elem], count (uint32_t) at off2 */
	K_NUMS,	    /* double[size] in [lo, hi], count (uint32_t) at off2 */
	K_NETNS,    /* uint32_t[size] netns inodes in [lo, hi], count (uint32_t) at off2 */
};
/* clang-format on */

struct key {
	const char *name;
	const char *doc; /* what it means, one or two sentences (docs/config.md) */
	enum kind kind;
	bool zero_ok; /* 0 is allowed besides [lo, hi] */
	bool cnt8;
	size_t off;
	size_t off2;
	size_t size;
	size_t elem; /* K_STRS: bytes of one string */
	double lo, hi;
	const struct key *sub;
	/* K_STR, K_STRS: what is wrong with a value, or NULL when it is fine */
	const char *(*check)(const char *s, char *buf, size_t n);
};

/* The top level of the file; a K_OBJ entry's sub ends with a NULL name. */
extern const struct key config_keys[];

/* Names of the fixed sets some keys take, with the bits they stand for. */
extern const char *const config_feature_names[];
extern const uint32_t config_feature_bits[];
extern const size_t config_n_features;
extern const char *const config_dir_names[3]; /* by enum detect_dir */
extern const char *const config_severity_names[2];

/* The key at a dotted path ("output.rotate_size"), or NULL. */
const struct key *config_key__find(const char *dotted);

/* The field a key stands for inside cfg. */
void *config_key__field(struct config *cfg, const struct key *k);
const void *config_key__cfield(const struct config *cfg, const struct key *k);

/* A numeric key's value as a double, and back. */
double config_key__load_num(const struct config *cfg, const struct key *k);
void config_key__store_num(struct config *cfg, const struct key *k, double v);

/* Whether v is allowed: finite, whole where the kind is, in range. */
bool config_key__in_range(const struct key *k, double v);

/* What a numeric key allows, for messages: "a number from 0.1 to 3600". */
const char *config_key__expect(const struct key *k, char *buf, size_t n);

/* What is wrong with string s for a string key, or NULL when it is fine. */
const char *config_key__str_problem(const struct key *k, const char *s, char *buf, size_t n);

/* Whole numbers without an exponent, the rest as %g. Returns buf. */
const char *config_key__fmt_num(double v, char *buf, size_t n);

/* The closest of names to s when it is a plausible typo, else NULL. */
const char *config_key__closest(const char *s, const char *const *names, size_t n);

#endif /* TT_CONFIG_KEYS_H */
