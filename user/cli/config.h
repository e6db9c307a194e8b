/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's effective configuration: defaults, then the JSON config file,
 * then the command-line flags, each overriding the one before. Every flag has
 * a key in the file; docs/config.md lists them all.
 */
#ifndef TT_CONFIG_H
#define TT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/core.h"
#include "out/alertmanager.h"
#include "out/prom.h"

#define CONFIG_DEFAULT_PATH "/etc/telltale/telltale.json"
#define CONFIG_MAX_PORTS 64
#define CONFIG_MAX_NAMES 32 /* entries of each identity filter list */

/* Services to report by identity: a list of entries and its count. An empty
 * include list lets every service through. */
struct name_filter {
	char containers[CONFIG_MAX_NAMES][SVC_CONTAINER_LEN]; /* container id prefixes */
	char units[CONFIG_MAX_NAMES][SVC_UNIT_LEN];	      /* systemd units */
	char cgroups[CONFIG_MAX_NAMES][SVC_CGROUP_LEN];	      /* cgroup path prefixes */
	uint32_t netns[CONFIG_MAX_NAMES];		      /* netns inodes */
	uint32_t n_containers, n_units, n_cgroups, n_netns;
};

struct config {
	double interval_s;	  /* collection interval, 0.1..3600 s */
	double duration_s;	  /* stop after this long, s; 0 = until signalled */
	char host[256];		  /* "" = gethostname() (main fills it) */
	uint32_t max_services;	  /* kernel service map entries (TT_MAX_SERVICES) */
	uint32_t max_sockets;	  /* kernel socket map entries (TT_MAX_SOCKETS) */
	char btf_path[4096];	  /* "" = the running kernel's */
	bool verbose;		  /* libbpf debug output */
	bool allow_multiple;	  /* run beside another agent, without the instance lock */
	char alerts[4096];	  /* "-" = stdout, "none", or a file path */
	char metrics[4096];	  /* same, for metrics, host and agent lines */
	uint64_t rotate_size;	  /* rotate a file sink past this size, bytes; 0 = never */
	uint32_t rotate_keep;	  /* rotated (gzip) files kept */
	char user[64];		  /* switch to this user after attaching; "" = stay */
	double agent_interval_s;  /* period of the self-telemetry line, s; 0 = none */
	uint16_t include_ports[CONFIG_MAX_PORTS]; /* services to watch; none = all */
	uint16_t exclude_ports[CONFIG_MAX_PORTS]; /* services to ignore */
	uint32_t n_include, n_exclude;
	struct name_filter include; /* services.include_{containers,units,cgroups,netns} */
	struct name_filter exclude; /* services.exclude_... */
	double service_idle_s;	  /* retire a service idle this long, s; 0 = never */
	char timezone[64];	  /* the profiles' clock: "UTC", "local" or a zoneinfo name */
	struct core_config core;  /* anomaly core: rules, detector, model, ... */
	struct prom_config prom;  /* the Prometheus endpoint */
	struct am_config am;	  /* alerts to Alertmanager */
	char config_path[4096];	  /* the file read, "" if none */
	bool check_config, print_config;
	bool print_memory; /* main prints the maps' memory and exits */
};

/* The file read when --config is not given, if it exists. Tests point it
 * elsewhere so that the host's own file cannot leak in. */
extern const char *config_default_path;

/* Fills cfg with the defaults, as if no file and no flags were given. */
void config__default(struct config *cfg);

/* Builds cfg from the defaults, the config file and argv (getopt_long; argv
 * may be permuted). Returns 0: run; 1: done, exit 0 (help, version,
 * --check-config passed, --print-config printed); 2: the error is printed on
 * stderr, exit 2. */
int config__load(struct config *cfg, int argc, char **argv);

/* The effective configuration as JSON, with the same keys as the file, so the
 * document loads back as a config file. Returns NULL on out of memory. */
cJSON *config__to_json(const struct config *cfg);

/* Writes the key reference of docs/config.md (one table per section: key,
 * type, default, range, meaning) to f. Returns 0 or a negative errno. */
int config__write_doc(FILE *f);

/* Parses a byte count with an optional K, M or G suffix (powers of 1024, an
 * optional "B" or "iB" after it). Returns 0, or -EINVAL (garbage, overflow). */
int config__parse_size(const char *s, uint64_t *out);

#endif /* TT_CONFIG_H */
