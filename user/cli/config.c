// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Configuration: defaults, the JSON file, then the flags. The key table
 * (config_keys.c) drives the file parser (config_file.c, config_apply.c), the flags' range
 * checks here and the printer (config_print.c), so a key cannot be readable
 * without being printable, and --print-config output always loads back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/config_file.h"
#include "cli/config_keys.h"
#include "out/sink.h"
#include "telltale.h"

#ifndef TT_VERSION
#define TT_VERSION "0.1.0"
#endif

#define BTF_DEFAULT "/sys/kernel/btf/vmlinux"

const char *config_default_path = CONFIG_DEFAULT_PATH;

/* ---- flags ---- */

/* Applies one flag's value to the key it stands for, in the message style of
 * "telltale: --interval: '0' is not a number from 0.1 to 3600". */
static int apply_flag(struct config *cfg, const char *flag, const char *dotted, const char *arg)
{
	const struct key *k = config_key__find(dotted);
	char buf[256], *end;
	const char *why;
	uint64_t size;
	double v;

	if (!k) {
		fprintf(stderr, "telltale: internal error: no config key %s\n", dotted);
		return -EINVAL;
	}
	switch (k->kind) {
	case K_SIZE:
		if (config__parse_size(arg, &size) || !config_key__in_range(k, (double)size)) {
			fprintf(stderr,
				"telltale: %s: '%s' is not %s (bytes, or with a K, M or G suffix)\n",
				flag, arg, config_key__expect(k, buf, sizeof(buf)));
			return -EINVAL;
		}
		*(uint64_t *)config_key__field(cfg, k) = size;
		return 0;
	case K_DOUBLE:
	case K_U8:
	case K_U32:
		errno = 0;
		v = strtod(arg, &end);
		if (errno || end == arg || *end || !config_key__in_range(k, v)) {
			fprintf(stderr, "telltale: %s: '%s' is not %s\n", flag, arg,
				config_key__expect(k, buf, sizeof(buf)));
			return -EINVAL;
		}
		config_key__store_num(cfg, k, v);
		return 0;
	case K_STR:
	case K_SINK:
		why = config_key__str_problem(k, arg, buf, sizeof(buf));
		if (why) {
			fprintf(stderr, "telltale: %s: '%s' is %s\n", flag, arg, why);
			return -EINVAL;
		}
		strcpy(config_key__field(cfg, k), arg);
		return 0;
	default:
		fprintf(stderr, "telltale: internal error: %s is not a flag's kind of key\n",
			dotted);
		return -EINVAL;
	}
}

/* An entry both included and excluded is a mistake, as with ports. */
static int check_filters(const struct config *cfg, const char *src)
{
	static const struct {
		const char *name;
		size_t off, cnt, size;
		bool str;
	} lists[] = {
#define LIST(n, f, s) { n, offsetof(struct name_filter, f), offsetof(struct name_filter, n_##f), \
			sizeof(((struct name_filter *)0)->f[0]), s }
		LIST("containers", containers, true),
		LIST("units", units, true),
		LIST("cgroups", cgroups, true),
		LIST("netns", netns, false),
#undef LIST
	};
	const char *in = (const char *)&cfg->include, *ex = (const char *)&cfg->exclude, *a, *b;
	uint32_t ni, ne, i, j;
	size_t l;

	for (l = 0; l < ARRAY_LEN(lists); l++) {
		ni = *(const uint32_t *)(in + lists[l].cnt);
		ne = *(const uint32_t *)(ex + lists[l].cnt);
		for (i = 0; i < ne; i++)
			for (j = 0; j < ni; j++) {
				a = ex + lists[l].off + i * lists[l].size;
				b = in + lists[l].off + j * lists[l].size;
				if (lists[l].str ? !strcmp(a, b) : !memcmp(a, b, lists[l].size)) {
					fprintf(stderr,
						"telltale: %s: services.exclude_%s[%u]: also in include_%s\n",
						src, lists[l].name, i, lists[l].name);
					return -EINVAL;
				}
			}
	}
	return 0;
}

/* --check-config also notes what the run would stop at before loading
 * anything (exit 1 there: out/output.c): a file output whose folder is
 * missing. A note, not an error: systemd's LogsDirectory= creates the
 * packaged unit's folder at its start, after a check may have run. */
static void note_sinks(const struct config *cfg)
{
	const char *const names[] = { "metrics", "alerts" };
	const char *const specs[] = { cfg->metrics, cfg->alerts };
	const char *why;
	char buf[PATH_MAX + 64];
	unsigned i;

	for (i = 0; i < 2; i++) {
		why = sink__path_problem(specs[i], buf, sizeof(buf));
		if (why)
			fprintf(stderr,
				"telltale: note: the %s output '%s': %s; the agent stops there "
				"unless it is made first (as systemd's LogsDirectory= does)\n",
				names[i], specs[i], why);
	}
}

/* Checks between keys, once file and flags are applied. */
static int check_whole(const struct config *cfg)
{
	const struct core_config *cc = &cfg->core;
	static const char *const kinds[] = { "threshold", "anomaly", "forecast" };
	const char *src = cfg->config_path[0] ? cfg->config_path : "configuration";
	const char *why;
	char buf[256];
	unsigned i, j;

	for (i = 0; i < 3; i++)
		if (cc->policy[i].m > cc->policy[i].n) {
			fprintf(stderr,
				"telltale: %s: alerts.%s.m: expected at most n (%u), got %u\n", src,
				kinds[i], cc->policy[i].n, cc->policy[i].m);
			return -EINVAL;
		}
	if (cc->critical_z < cc->anomaly_z) {
		fprintf(stderr,
			"telltale: %s: model.critical_z: expected at least anomaly_z (%g), got %g\n",
			src, cc->anomaly_z, cc->critical_z);
		return -EINVAL;
	}
	if (cc->model.p_max < cc->model.p0) {
		fprintf(stderr, "telltale: %s: model.p_max: expected at least p0 (%g), got %g\n",
			src, cc->model.p0, cc->model.p_max);
		return -EINVAL;
	}
	for (i = 0; i < cfg->n_exclude; i++)
		for (j = 0; j < cfg->n_include; j++)
			if (cfg->exclude_ports[i] == cfg->include_ports[j]) {
				fprintf(stderr,
					"telltale: %s: services.exclude_ports[%u]: port %u is also in include_ports\n",
					src, i, cfg->exclude_ports[i]);
				return -EINVAL;
			}
	if (check_filters(cfg, src))
		return -EINVAL;
	if (strcmp(cfg->alerts, "-") && strcmp(cfg->alerts, "none") &&
	    !strcmp(cfg->alerts, cfg->metrics)) {
		fprintf(stderr,
			"telltale: alerts and metrics both go to '%s'; give each stream its own file\n",
			cfg->alerts);
		return -EINVAL;
	}
	why = prom__buckets_problem(cfg->prom.buckets, cfg->prom.n_buckets, buf, sizeof(buf));
	if (why) {
		fprintf(stderr, "telltale: %s: prometheus.buckets: %s\n", src, why);
		return -EINVAL;
	}
	if (cfg->user[0]) {
		errno = 0;
		if (!getpwnam(cfg->user)) {
			fprintf(stderr, "telltale: user '%s': %s\n", cfg->user,
				errno ? strerror(errno) : "no such user");
			return -EINVAL;
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: telltale [OPTIONS]            run the agent (root)\n"
		"\n"
		"  -c, --config PATH        JSON config file (default " CONFIG_DEFAULT_PATH
		" if present);\n"
		"                           flags override it, see docs/config.md\n"
		"  -i, --interval SECONDS   collection interval, 0.1..3600 (default 1)\n"
		"  -d, --duration SECONDS   stop after this long (default: run until SIGINT/SIGTERM)\n"
		"  -H, --host NAME          host name in every line (default: gethostname)\n"
		"      --max-services N     services tracked in the kernel, 16..65536 (default %d)\n"
		"      --max-sockets N      sockets tracked in the kernel, 1024..4194304 (default %d)\n"
		"      --btf PATH           kernel BTF for CO-RE (default " BTF_DEFAULT ")\n"
		"      --alerts PATH|-|none where alert lines go (default -, stdout)\n"
		"      --metrics PATH|-|none where metrics, host and agent lines go (default -, stdout)\n"
		"      --rotate-size BYTES  rotate a file sink past this size, K/M/G suffixes, 0 = never\n"
		"                           (default 64M)\n"
		"      --rotate-keep N      compressed rotated files kept, 1..999 (default 5)\n"
		"      --user NAME          switch to this user once attached (default: stay root)\n"
		"      --allow-multiple     run beside another agent (default: refuse a second one)\n"
		"      --listen ADDR:PORT   serve Prometheus metrics there, e.g. 127.0.0.1:9464\n"
		"                           (default: none)\n"
		"      --alertmanager URL   send alerts to this Alertmanager too (repeatable)\n"
		"      --check-config       validate the configuration and exit\n"
		"      --print-config       print the effective configuration as JSON and exit\n"
		"      --print-memory       print the kernel memory the maps take at these sizes\n"
		"                           for 2, 64 and 128 CPUs and this host's, and exit\n"
		"  -v, --verbose            print libbpf's debug output\n"
		"  -V, --version            print the version and exit\n"
		"  -h, --help               print this help and exit\n",
		TT_MAX_SERVICES, TT_MAX_SOCKETS);
}

enum {
	OPT_MAX_SERVICES = 256,
	OPT_MAX_SOCKETS,
	OPT_BTF,
	OPT_ALERTS,
	OPT_METRICS,
	OPT_ROTATE_SIZE,
	OPT_ROTATE_KEEP,
	OPT_USER,
	OPT_CHECK,
	OPT_PRINT,
	OPT_PRINT_MEMORY,
	OPT_ALLOW_MULTIPLE,
	OPT_LISTEN,
	OPT_ALERTMANAGER,
};

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "host", required_argument, NULL, 'H' },
	{ "max-services", required_argument, NULL, OPT_MAX_SERVICES },
	{ "max-sockets", required_argument, NULL, OPT_MAX_SOCKETS },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "alerts", required_argument, NULL, OPT_ALERTS },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
	{ "rotate-keep", required_argument, NULL, OPT_ROTATE_KEEP },
	{ "user", required_argument, NULL, OPT_USER },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "alertmanager", required_argument, NULL, OPT_ALERTMANAGER },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "print-config", no_argument, NULL, OPT_PRINT },
	{ "print-memory", no_argument, NULL, OPT_PRINT_MEMORY },
	{ "allow-multiple", no_argument, NULL, OPT_ALLOW_MULTIPLE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char shortopts[] = "c:i:d:H:vVh";

/* Flag -> config key, for the flags that set one. */
static const struct {
	int opt;
	const char *flag, *key;
} flag_keys[] = {
	{ 'i', "--interval", "interval_s" },
	{ 'd', "--duration", "duration_s" },
	{ 'H', "--host", "host" },
	{ OPT_MAX_SERVICES, "--max-services", "max_services" },
	{ OPT_MAX_SOCKETS, "--max-sockets", "max_sockets" },
	{ OPT_BTF, "--btf", "btf" },
	{ OPT_ALERTS, "--alerts", "output.alerts" },
	{ OPT_METRICS, "--metrics", "output.metrics" },
	{ OPT_ROTATE_SIZE, "--rotate-size", "output.rotate_size" },
	{ OPT_ROTATE_KEEP, "--rotate-keep", "output.rotate_keep" },
	{ OPT_USER, "--user", "user" },
	{ OPT_LISTEN, "--listen", "prometheus.listen" },
};

/* --alertmanager URL: the first replaces the file's list, the rest add. */
static int add_alertmanager(struct config *cfg, const char *url, bool first)
{
	const struct key *k = config_key__find("alertmanager.urls");
	const char *why;
	char buf[256];
	uint32_t i;

	if (first)
		cfg->am.n_urls = 0;
	why = config_key__str_problem(k, url, buf, sizeof(buf));
	if (why) {
		fprintf(stderr, "telltale: --alertmanager: '%s' is %s\n", url, why);
		return -EINVAL;
	}
	for (i = 0; i < cfg->am.n_urls; i++)
		if (!strcmp(cfg->am.urls[i], url)) {
			fprintf(stderr, "telltale: --alertmanager: '%s' is given twice\n", url);
			return -EINVAL;
		}
	if (cfg->am.n_urls >= AM_MAX_URLS) {
		fprintf(stderr, "telltale: --alertmanager: more than %d URLs\n", AM_MAX_URLS);
		return -EINVAL;
	}
	strcpy(cfg->am.urls[cfg->am.n_urls++], url);
	return 0;
}

static int print_config(const struct config *cfg)
{
	cJSON *j = config__to_json(cfg);
	char *s = j ? cJSON_Print(j) : NULL;

	cJSON_Delete(j);
	if (!s) {
		fprintf(stderr, "telltale: out of memory\n");
		return 2;
	}
	printf("%s\n", s);
	free(s);
	return fflush(stdout) ? 2 : 1;
}

/* First pass: only --config, --help and --version, quietly; the second
 * pass reports bad flags once the file has been applied beneath them.
 * Returns 0 to go on, or the exit code for config__load. */
static int first_pass(int argc, char **argv, const char **path)
{
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'c') {
			*path = optarg;
		} else if (c == 'h') {
			usage(stdout);
			return 1;
		} else if (c == 'V') {
			printf("telltale %s\n", TT_VERSION);
			return 1;
		}
	}
	return 0;
}

/* The file given, or the default one if it exists. */
static int load_file(struct config *cfg, const char *path)
{
	int err;

	if (!path) {
		err = config_file__load(cfg, config_default_path, true);
		if (err && err != -ENOENT)
			return 2;
		if (!err)
			snprintf(cfg->config_path, sizeof(cfg->config_path), "%s",
				 config_default_path);
		return 0;
	}
	if (!*path) {
		fprintf(stderr, "telltale: --config: empty path\n");
		return 2;
	}
	if (strlen(path) >= sizeof(cfg->config_path)) {
		fprintf(stderr, "telltale: --config: path longer than %zu bytes\n",
			sizeof(cfg->config_path) - 1);
		return 2;
	}
	if (config_file__load(cfg, path, false))
		return 2;
	strcpy(cfg->config_path, path);
	return 0;
}

/* One flag of the second pass that is not a config key's. */
static int other_flag(struct config *cfg, int c, bool *am_seen)
{
	switch (c) {
	case 'c':
		return 0;
	case 'v':
		cfg->verbose = true;
		return 0;
	case OPT_CHECK:
		cfg->check_config = true;
		return 0;
	case OPT_PRINT:
		cfg->print_config = true;
		return 0;
	case OPT_PRINT_MEMORY:
		cfg->print_memory = true;
		return 0;
	case OPT_ALLOW_MULTIPLE:
		cfg->allow_multiple = true;
		return 0;
	case OPT_ALERTMANAGER:
		if (add_alertmanager(cfg, optarg, !*am_seen))
			return 2;
		*am_seen = true;
		return 0;
	default:
		usage(stderr);
		return 2;
	}
}

/* Second pass: every flag, over what the file set. */
static int second_pass(struct config *cfg, int argc, char **argv)
{
	bool am_seen = false;
	size_t i;
	int c;

	opterr = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		for (i = 0; i < ARRAY_LEN(flag_keys); i++)
			if (flag_keys[i].opt == c)
				break;
		if (i < ARRAY_LEN(flag_keys)) {
			if (apply_flag(cfg, flag_keys[i].flag, flag_keys[i].key, optarg))
				return 2;
		} else if (other_flag(cfg, c, &am_seen)) {
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "telltale: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return 0;
}

/* The profiles' clock (detector.timezone): UTC as it is; else the zone
 * becomes the process's (TZ), which only the profiles read: every line's
 * timestamp is UTC whatever the zone. A name glibc does not find would
 * silently be UTC, so it must name a zoneinfo file. */
static int apply_timezone(struct config *cfg)
{
	const char *tz = cfg->timezone,
		   *src = cfg->config_path[0] ? cfg->config_path : "configuration";
	char path[128];
	struct stat st;

	cfg->core.detect.season.local = strcmp(tz, "UTC") != 0;
	if (!cfg->core.detect.season.local)
		return 0;
	if (strcmp(tz, "local")) {
		snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
		if (!*tz || tz[0] == '/' || strstr(tz, "..") || stat(path, &st) ||
		    !S_ISREG(st.st_mode)) {
			fprintf(stderr,
				"telltale: %s: detector.timezone: no time zone '%s' (no file %s); "
				"give \"UTC\", \"local\" or a name such as \"Europe/Berlin\" "
				"(Debian's tzdata package installs them)\n",
				src, tz, path);
			return -EINVAL;
		}
		if (setenv("TZ", tz, 1))
			return -errno;
	}
	tzset();
	return 0;
}

int config__load(struct config *cfg, int argc, char **argv)
{
	const char *path = NULL;
	int ret;

	config__default(cfg);
	ret = first_pass(argc, argv, &path);
	if (!ret)
		ret = load_file(cfg, path);
	if (!ret)
		ret = second_pass(cfg, argc, argv);
	if (ret)
		return ret;
	if (check_whole(cfg) || apply_timezone(cfg))
		return 2;
	if (cfg->print_config)
		return print_config(cfg);
	if (cfg->check_config) {
		note_sinks(cfg);
		if (cfg->config_path[0])
			printf("telltale: config OK (%s)\n", cfg->config_path);
		else
			printf("telltale: config OK (no config file; %s is absent)\n",
			       config_default_path);
		return 1;
	}
	return 0;
}
