// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Configuration: defaults, file beneath flags, every error class naming its
 * key path, the permission check, sizes, the identity filters, the
 * profiles' time zone. Printing the config, the example file and exit codes:
 * test_config_print.c. */
#define _GNU_SOURCE
#include <time.h>

#include "config_run.h"

/* Loads a file of text (mode 0644) and expects exit 2 with msg on stderr,
 * after "telltale: PATH: ". */
static void expect_file_error(const char *text, const char *msg)
{
	struct config cfg;
	const char *p = put("bad.json", text, 0644);
	char want[512];
	int rc = load(&cfg, "--config", p, NULL);

	snprintf(want, sizeof(want), "telltale: %s: %s", p, msg);
	CHECK(rc == 2);
	CHECK(strstr(err, want) != NULL);
	if (rc != 2 || !strstr(err, want))
		fprintf(stderr, "  want '%s'\n  got  '%s' (rc %d)\n", want, err, rc);
}

static void expect_flag_error(const char *flag, const char *arg, const char *msg)
{
	struct config cfg;
	int rc = arg ? load(&cfg, flag, arg, NULL) : load(&cfg, flag, NULL);

	CHECK(rc == 2);
	CHECK(strstr(err, msg) != NULL);
	if (rc != 2 || !strstr(err, msg))
		fprintf(stderr, "  want '%s'\n  got  '%s' (rc %d)\n", msg, err, rc);
}

static void test_defaults(void)
{
	struct config cfg, def;
	struct core_config core;
	struct core *c;

	CHECK(load(&cfg, NULL) == 0);
	CHECK(err[0] == '\0');
	CHECK(cfg.interval_s == 1.0);
	CHECK(cfg.duration_s == 0);
	CHECK(cfg.host[0] == '\0');
	CHECK(cfg.max_services == TT_MAX_SERVICES);
	CHECK(cfg.max_sockets == TT_MAX_SOCKETS);
	CHECK(cfg.btf_path[0] == '\0');
	CHECK(!cfg.verbose);
	CHECK(!strcmp(cfg.alerts, "-"));
	CHECK(!strcmp(cfg.metrics, "-"));
	CHECK(cfg.rotate_size == 64ull << 20);
	CHECK(cfg.rotate_keep == 5);
	CHECK(cfg.user[0] == '\0');
	CHECK(cfg.agent_interval_s == 60);
	CHECK(cfg.n_include == 0 && cfg.n_exclude == 0);
	CHECK(cfg.config_path[0] == '\0');
	CHECK(!cfg.check_config && !cfg.print_config);
	core__default_config(&core);
	CHECK(!memcmp(&cfg.core, &core, sizeof(core)));
	config__default(&def);
	CHECK(!memcmp(&cfg, &def, sizeof(def)));
	c = core__new(&cfg.core);
	CHECK(c != NULL);
	core__free(c);
}

static void test_default_path(void)
{
	const char *saved = config_default_path;
	struct config cfg;

	config_default_path = put("default.json", "{\"interval_s\": 7}", 0644);
	CHECK(load(&cfg, NULL) == 0);
	CHECK(cfg.interval_s == 7);
	CHECK(!strcmp(cfg.config_path, config_default_path));
	/* A broken default file is an error too, not silently skipped. */
	put("default.json", "{\"interval_s\": 0}", 0644);
	CHECK(load(&cfg, NULL) == 2);
	CHECK(strstr(err, "interval_s: expected a number from 0.1 to 3600, got 0") != NULL);
	config_default_path = saved;
}

static void test_file_and_flags(void)
{
	const char *p = put(
		"a.json",
		"{\"interval_s\": 2, \"host\": \"filehost\", \"max_services\": 512,\n"
		" \"output\": {\"alerts\": \"/var/log/telltale/alerts.jsonl\", \"rotate_keep\": 9},\n"
		" \"model\": {\"lambda\": 0.99},\n"
		" \"detector\": {\"directions\": {\"latency_p99_us\": \"up\"}},\n"
		" \"rules\": [{\"metric\": \"load1\", \"above\": 8}],\n"
		" \"services\": {\"exclude_ports\": [22, 2049]}}",
		0644);
	struct config cfg, def;

	config__default(&def);
	CHECK(load(&cfg, "--config", p, NULL) == 0);
	CHECK(!strcmp(cfg.config_path, p));
	CHECK(cfg.interval_s == 2);
	CHECK(!strcmp(cfg.host, "filehost"));
	CHECK(cfg.max_services == 512);
	CHECK(!strcmp(cfg.alerts, "/var/log/telltale/alerts.jsonl"));
	CHECK(!strcmp(cfg.metrics, "-"));
	CHECK(cfg.rotate_keep == 9);
	CHECK(cfg.rotate_size == def.rotate_size);
	/* Objects merge key by key... */
	CHECK(cfg.core.model.lambda == 0.99);
	CHECK(cfg.core.model.p0 == def.core.model.p0);
	CHECK(cfg.core.alert_dir[METRIC_LAT_P99] == DETECT_UP);
	CHECK(cfg.core.alert_dir[METRIC_RPS] == DETECT_DOWN);
	/* ...arrays replace. */
	CHECK(cfg.core.n_rules == 1);
	CHECK(cfg.core.rules[0].metric == METRIC_LOAD1);
	CHECK(cfg.core.rules[0].fire == 8 && cfg.core.rules[0].clear == 8);
	CHECK(cfg.core.rules[0].hold == 1 && !cfg.core.rules[0].below);
	CHECK(cfg.n_exclude == 2 && cfg.exclude_ports[0] == 22 && cfg.exclude_ports[1] == 2049);

	/* Flags win wherever they stand on the line. */
	CHECK(load(&cfg, "-i", "3", "--config", p, "-H", "flaghost", "--alerts", "none",
		   "--metrics", "/tmp/m.jsonl", "--rotate-size", "10M", "--rotate-keep", "2",
		   "--user", "nobody", "--max-services", "64", "--max-sockets", "2048", "--btf",
		   "/tmp/vmlinux", "-v", "-d", "5", NULL) == 0);
	CHECK(cfg.interval_s == 3);
	CHECK(!strcmp(cfg.host, "flaghost"));
	CHECK(!strcmp(cfg.alerts, "none"));
	CHECK(!strcmp(cfg.metrics, "/tmp/m.jsonl"));
	CHECK(cfg.rotate_size == 10ull << 20);
	CHECK(cfg.rotate_keep == 2);
	CHECK(!strcmp(cfg.user, "nobody"));
	CHECK(cfg.max_services == 64 && cfg.max_sockets == 2048);
	CHECK(!strcmp(cfg.btf_path, "/tmp/vmlinux"));
	CHECK(cfg.verbose && cfg.duration_s == 5);
	CHECK(cfg.core.model.lambda == 0.99);	   /* the file still applies beneath */
	CHECK(load(&cfg, "--config=", NULL) == 2); /* explicit empty path */

	/* A file setting every key the flags set, then each flag once more. */
	p = put("b.json",
		"{\"verbose\": true, \"user\": \"root\", \"output\": {\"rotate_size\": \"1G\"}}",
		0644);
	CHECK(load(&cfg, "-c", p, NULL) == 0);
	CHECK(cfg.verbose && !strcmp(cfg.user, "root") && cfg.rotate_size == 1ull << 30);
	CHECK(load(&cfg, "-c", p, "--rotate-size", "0", NULL) == 0);
	CHECK(cfg.rotate_size == 0);
}

static void test_file_errors(void)
{
	/* Wrong types, with the key path. */
	expect_file_error("{\"rules\": [{\"metric\": \"cpu_pct\", \"above\": 80},\n"
			  "{\"metric\": \"mem_pct\", \"above\": \"90\"}]}",
			  "rules[1].above: expected a number, got a string");
	expect_file_error("{\"interval_s\": \"2\"}",
			  "interval_s: expected a number from 0.1 to 3600, got a string");
	expect_file_error("{\"verbose\": 1}", "verbose: expected true or false, got a number");
	expect_file_error("{\"host\": null}", "host: expected a string, got null");
	expect_file_error("{\"output\": []}", "output: expected an object, got an array");
	expect_file_error("{\"services\": {\"include_ports\": [80, \"443\"]}}",
			  "services.include_ports[1]: expected a port number, got a string");
	expect_file_error("{\"alerts\": {\"anomaly\": {\"m\": true}}}",
			  "alerts.anomaly.m: expected a whole number from 1 to 8, got a boolean");
	expect_file_error("[1, 2]", "expected a JSON object at the top level, got an array");

	/* Unknown keys, with a suggestion when it is a likely typo. */
	expect_file_error("{\"output\": {\"rotat_size\": 5}}",
			  "output.rotat_size: unknown key (did you mean rotate_size?)");
	expect_file_error("{\"frobnicate\": 1}", "frobnicate: unknown key");
	expect_file_error("{\"rules\": [{\"metric\": \"cpu_pct\", \"above\": 1, \"hodl\": 2}]}",
			  "rules[0].hodl: unknown key (did you mean hold?)");
	expect_file_error("{\"rules\": [{\"metric\": \"cpu\", \"above\": 1}]}",
			  "rules[0].metric: unknown metric 'cpu'");
	expect_file_error("{\"detector\": {\"directions\": {\"rpz\": \"up\"}}}",
			  "detector.directions.rpz: unknown metric 'rpz' (did you mean rps?)");
	expect_file_error("{\"model\": {\"features\": [\"rps\", \"cpuu\"]}}",
			  "model.features[1]: unknown feature 'cpuu' (did you mean cpu?)");
	expect_file_error("{\"model\": {\"features\": [\"rps\", \"rps\"]}}",
			  "model.features[1]: 'rps' is listed twice");
	expect_file_error("{\"interval_s\": 1, \"interval_s\": 2}", "interval_s: duplicate key");
	/* A zone glibc does not find would silently be UTC. */
	expect_file_error("{\"detector\": {\"timezone\": \"Mars/Olympus\"}}",
			  "detector.timezone: no time zone 'Mars/Olympus' (no file "
			  "/usr/share/zoneinfo/Mars/Olympus); give \"UTC\", \"local\" or a name");
	expect_file_error("{\"detector\": {\"timezone\": \"../../etc/passwd\"}}",
			  "detector.timezone: no time zone '../../etc/passwd'");

	/* Out of range. */
	expect_file_error("{\"interval_s\": 0}",
			  "interval_s: expected a number from 0.1 to 3600, got 0");
	expect_file_error("{\"max_services\": 100.5}",
			  "max_services: expected a whole number from 16 to 65536, got 100.5");
	expect_file_error("{\"output\": {\"rotate_size\": 100}}",
			  "output.rotate_size: expected 0 or a size from 1K to 1024G, got 100");
	expect_file_error("{\"output\": {\"rotate_size\": \"12X\"}}",
			  "output.rotate_size: expected 0 or a size from 1K to 1024G");
	expect_file_error("{\"agent_interval_s\": 0.5}",
			  "agent_interval_s: expected 0 or a number from 1 to 86400, got 0.5");
	expect_file_error("{\"dependency_ports\": [0]}",
			  "dependency_ports[0]: expected a port from 1 to 65535, got 0");
	expect_file_error("{\"dependency_ports\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}",
			  "dependency_ports[16]: too many ports (at most 16)");
	expect_file_error("{\"output\": {\"alerts\": \"\"}}", "output.alerts: empty");
	expect_file_error(
		"{\"rules\": [{\"metric\": \"cpu_pct\", \"above\": 80, \"clear\": 90}]}",
		"rules[0].clear: expected a number at most 80 (the level it fires at), got 90");
	expect_file_error("{\"rules\": [{\"metric\": \"cpu_pct\"}]}",
			  "rules[0]: needs \"above\" or \"below\"");
	expect_file_error("{\"rules\": [{\"above\": 1}]}", "rules[0]: missing \"metric\"");
	expect_file_error("{\"rules\": [{\"metric\": \"rps\", \"below\": 5, \"hold\": 9}]}",
			  "rules[0].hold: expected a whole number from 1 to 8, got 9");
	expect_file_error("{\"model\": {\"critical_z\": 3}}",
			  "model.critical_z: expected at least anomaly_z (6), got 3");
	expect_file_error("{\"alerts\": {\"forecast\": {\"m\": 5, \"n\": 4}}}",
			  "alerts.forecast.m: expected at most n (4), got 5");
	expect_file_error("{\"services\": {\"include_ports\": [80], \"exclude_ports\": [22, 80]}}",
			  "services.exclude_ports[1]: port 80 is also in include_ports");

	/* Malformed JSON: line and column of the problem. */
	expect_file_error("{\n  \"interval_s\": 2,\n  \"host\": \"x\",,\n}",
			  "line 3, column 15: malformed JSON near ','");
	expect_file_error("{\n\"interval_s\": 2,\n",
			  "line 3, column 1: malformed JSON (unexpected end of file)");
	expect_file_error("", "line 1, column 1: malformed JSON");
	expect_file_error("{} x", "line 1, column 4: malformed JSON near 'x'");

	/* Deeper than cJSON goes: the limit is named, not "malformed". */
	char deep[2 * 1200 + 8];
	size_t i, n = 0;

	deep[n++] = '{';
	deep[n++] = '"';
	deep[n++] = 'a';
	deep[n++] = '"';
	deep[n++] = ':';
	for (i = 0; i < 1200; i++)
		deep[n++] = '[';
	for (i = 0; i < 1200; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = '\0';
	expect_file_error(deep, "line 1, column 1005: nested deeper than 1000 levels, the JSON "
				"parser's limit (cJSON's CJSON_NESTING_LIMIT)");
	CHECK(!strstr(err, "malformed"));
}

static void test_flag_errors(void)
{
	struct config cfg;

	expect_flag_error("--interval", "0",
			  "telltale: --interval: '0' is not a number from 0.1 to 3600");
	expect_flag_error("-i", "1s",
			  "telltale: --interval: '1s' is not a number from 0.1 to 3600");
	expect_flag_error("--max-services", "8",
			  "telltale: --max-services: '8' is not a whole number from 16 to 65536");
	expect_flag_error("--max-sockets", "2048.5", "is not a whole number from 1024 to 4194304");
	expect_flag_error("--rotate-size", "10X",
			  "telltale: --rotate-size: '10X' is not 0 or a size from 1K to 1024G");
	expect_flag_error("--rotate-keep", "0",
			  "telltale: --rotate-keep: '0' is not a whole number from 1 to 999");
	expect_flag_error("--alerts", "", "telltale: --alerts: '' is empty");
	expect_flag_error("--user", "no-such-user-tt",
			  "telltale: user 'no-such-user-tt': no such user");
	expect_flag_error("--bogus", NULL, "unrecognized option '--bogus'");
	expect_flag_error("-q", NULL, "invalid option -- 'q'");
	expect_flag_error("--interval", NULL, "requires an argument");
	expect_flag_error("extra", NULL, "telltale: unexpected argument 'extra'");
	expect_flag_error("--config", "/nonexistent/tt.json",
			  "telltale: /nonexistent/tt.json: No such file or directory");
	expect_flag_error("--rotate-keep", "1000", "is not a whole number from 1 to 999");
	{
		/* Room must stay for the rotated names, PATH.999.gz.tmp. */
		static char long_path[4091];

		memset(long_path, 'a', sizeof(long_path) - 1);
		long_path[0] = '/';
		expect_flag_error("--metrics", long_path, "is longer than 4084 bytes");
		long_path[4084] = '\0';
		CHECK(load(&cfg, "--metrics", long_path, NULL) == 0);
	}
	CHECK(load(&cfg, "--alerts", "/tmp/same", "--metrics", "/tmp/same", NULL) == 2);
	CHECK(strstr(err, "both go to '/tmp/same'") != NULL);
	CHECK(load(&cfg, "--alerts", "-", "--metrics", "-", NULL) == 0);
	/* A bad flag is reported even when the file is fine, and a bad file
	 * even when the flag would override the key. */
	CHECK(load(&cfg, "-c", put("ok.json", "{}", 0644), "-i", "0", NULL) == 2);
	CHECK(load(&cfg, "-c", put("zero.json", "{\"interval_s\": 0}", 0644), "-i", "1", NULL) ==
	      2);
}

static void test_permissions(void)
{
	struct config cfg;
	const char *p;
	char want[512];

	p = put("perm.json", "{}", 0666);
	CHECK(load(&cfg, "--config", p, NULL) == 2);
	snprintf(
		want, sizeof(want),
		"telltale: %s: writable by group and others (mode 0666); refusing it (run: chmod go-w %s)",
		p, p);
	CHECK(strstr(err, want) != NULL);
	p = put("perm.json", "{}", 0620);
	CHECK(load(&cfg, "--config", p, NULL) == 2);
	CHECK(strstr(err, "writable by its group (mode 0620)") != NULL);
	p = put("perm.json", "{}", 0602);
	CHECK(load(&cfg, "--config", p, NULL) == 2);
	CHECK(strstr(err, "writable by others (mode 0602)") != NULL);
	p = put("perm.json", "{}", 0640);
	CHECK(load(&cfg, "--config", p, NULL) == 0);
	p = put("perm.json", "{}", 0400);
	CHECK(load(&cfg, "--config", p, NULL) == 0);
	/* The permission check runs before the file is parsed. */
	p = put("perm.json", "not json", 0646);
	CHECK(load(&cfg, "--config", p, NULL) == 2);
	CHECK(strstr(err, "chmod go-w") != NULL && !strstr(err, "malformed"));
	CHECK(load(&cfg, "--config", dir, NULL) == 2);
	CHECK(strstr(err, "not a regular file") != NULL);
	if (geteuid() == 0) {
		p = put("perm.json", "{}", 0644);
		CHECK(chown(p, 65534, 0) == 0);
		CHECK(load(&cfg, "--config", p, NULL) == 2);
		snprintf(
			want, sizeof(want),
			"telltale: %s: owned by uid 65534, not root; refusing it (run: chown root %s)",
			p, p);
		CHECK(strstr(err, want) != NULL);
		CHECK(chown(p, 0, 0) == 0);
		CHECK(load(&cfg, "--config", p, NULL) == 0);
	} else {
		printf("test_config: not root, owner check skipped\n");
	}
}

static void test_sizes(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 },	     { "1024", 1024 },	     { "1K", 1024 },
		{ "1k", 1024 },	     { "2KiB", 2048 },	     { "3kb", 3072 },
		{ "64M", 64 << 20 }, { "64MiB", 64 << 20 },  { "1G", 1ull << 30 },
		{ "5B", 5 },	     { "16G", 16ull << 30 }, { "007", 7 },
	};
	static const char *const bad[] = { "",
					   "-1",
					   "1X",
					   "1.5M",
					   "K",
					   "1Ki",
					   " 1",
					   "1 K",
					   "1KK",
					   "0x10",
					   "1e3",
					   "18446744073709551616",
					   "17179869184G" };
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		CHECK(config__parse_size(ok[i].s, &v) == 0 && v == ok[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		CHECK(config__parse_size(bad[i], &v) < 0 && v == 12345);
	}
}

#define A68 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 68 bytes */

/* The identity filters and service_idle_s: parsed, checked with their key
 * paths, printed so they load back. */
static void test_identity_keys(void)
{
	const char *p = put(
		"ident.json",
		"{\"service_idle_s\": 30,\n"
		" \"services\": {\"include_containers\": [\"3f1d\", \"ab\"],\n"
		"              \"exclude_units\": [\"sshd.service\", \"session-3.scope\"],\n"
		"              \"include_cgroups\": [\"/kubepods.slice\"],\n"
		"              \"exclude_cgroups\": [\"/system.slice/\"],\n"
		"              \"include_netns\": [4026532100, 4026531840]}}",
		0644);
	struct config a, b;
	const char *q;
	char many[2048];
	size_t k;
	int i;

	CHECK(load(&a, "-c", p, NULL) == 0);
	CHECK(a.service_idle_s == 30);
	CHECK(a.include.n_containers == 2 && !strcmp(a.include.containers[1], "ab"));
	CHECK(a.exclude.n_units == 2 && !strcmp(a.exclude.units[1], "session-3.scope"));
	CHECK(a.include.n_cgroups == 1 && !strcmp(a.include.cgroups[0], "/kubepods.slice"));
	CHECK(a.exclude.n_cgroups == 1 && a.include.n_netns == 2);
	CHECK(a.include.netns[1] == 4026531840u && a.exclude.n_netns == 0);
	CHECK(load(&a, "-c", p, "--print-config", NULL) == 1);
	CHECK(strstr(out, "\"include_containers\"") && strstr(out, "\"service_idle_s\""));
	q = put("ident-printed.json", out, 0600);
	CHECK(load(&b, "-c", q, NULL) == 0);
	memset(a.config_path, 0, sizeof(a.config_path));
	memset(b.config_path, 0, sizeof(b.config_path));
	a.print_config = false;
	CHECK(!memcmp(&a, &b, sizeof(a)));
	config__default(&a);
	CHECK(a.service_idle_s == 300 && !a.include.n_units && !a.exclude.n_netns);

	expect_file_error("{\"services\": {\"include_containers\": [\"3F1D\"]}}",
			  "services.include_containers[0]: '3F1D' is not a container id prefix (1 to "
			  "64 lower-case hex digits)");
	expect_file_error("{\"services\": {\"exclude_containers\": [\"ab\", 3]}}",
			  "services.exclude_containers[1]: expected a string, got a number");
	expect_file_error("{\"services\": {\"include_containers\": [\"" A68 "\"]}}",
			  "services.include_containers[0]: '" A68 "' is longer than 64 bytes");
	expect_file_error("{\"services\": {\"include_units\": [\"nginx\"]}}",
			  "services.include_units[0]: 'nginx' is not a systemd unit name (one ending "
			  "in .service or .scope, without a /)");
	expect_file_error("{\"services\": {\"include_units\": \"nginx.service\"}}",
			  "services.include_units: expected an array of strings, got a string");
	expect_file_error("{\"services\": {\"exclude_cgroups\": [\"system.slice\"]}}",
			  "services.exclude_cgroups[0]: 'system.slice' is not a cgroup path under the "
			  "cgroup v2 root (one starting with /)");
	expect_file_error("{\"services\": {\"include_netns\": [0]}}",
			  "services.include_netns[0]: expected a network namespace inode");
	expect_file_error("{\"services\": {\"include_netns\": [\"4026531840\"]}}",
			  "services.include_netns[0]: expected a network namespace inode, a whole "
			  "number from 1 to 4294967295 (readlink /proc/PID/ns/net shows it), got a "
			  "string");
	expect_file_error("{\"services\": {\"exclude_netns\": [7, 7]}}",
			  "services.exclude_netns[1]: netns 7 is listed twice");
	expect_file_error("{\"services\": {\"include_units\": [\"a.service\", \"a.service\"]}}",
			  "services.include_units[1]: 'a.service' is listed twice");
	expect_file_error("{\"services\": {\"include_units\": [\"a.service\"], "
			  "\"exclude_units\": [\"b.service\", \"a.service\"]}}",
			  "services.exclude_units[1]: also in include_units");
	expect_file_error("{\"services\": {\"include_netns\": [5], \"exclude_netns\": [5]}}",
			  "services.exclude_netns[0]: also in include_netns");
	expect_file_error("{\"services\": {\"include_unit\": []}}",
			  "services.include_unit: unknown key (did you mean include_units?)");
	expect_file_error("{\"service_idle_s\": 0.05}",
			  "service_idle_s: expected 0 or a number from 0.1 to 10000000, got 0.05");
	k = (size_t)snprintf(many, sizeof(many), "{\"services\": {\"include_cgroups\": [");
	for (i = 0; i <= CONFIG_MAX_NAMES; i++)
		k += (size_t)snprintf(many + k, sizeof(many) - k, "%s\"/c%d\"", i ? "," : "", i);
	snprintf(many + k, sizeof(many) - k, "]}}");
	expect_file_error(many, "services.include_cgroups[32]: too many (at most 32)");
	CHECK(load(&a, "-c", put("idle0.json", "{\"service_idle_s\": 0}", 0644), NULL) == 0);
	CHECK(a.service_idle_s == 0);
}

/* detector.timezone: UTC keeps the profiles on UTC; a zone becomes the
 * process's TZ, which only the profiles read. */
static void test_timezone(void)
{
	const char *p = put("tz.json", "{\"detector\": {\"timezone\": \"Europe/Berlin\"}}", 0644);
	struct config cfg;

	CHECK(load(&cfg, NULL) == 0);
	CHECK(!strcmp(cfg.timezone, "UTC") && !cfg.core.detect.season.local);
	CHECK(load(&cfg, "-c", p, NULL) == 0);
	CHECK(!strcmp(cfg.timezone, "Europe/Berlin") && cfg.core.detect.season.local);
	CHECK(getenv("TZ") && !strcmp(getenv("TZ"), "Europe/Berlin"));
	CHECK(season__clock(&cfg.core.detect.season, 1774746000.0) == 1774746000.0 + 7200);
	CHECK(season__clock(&cfg.core.detect.season, 1e60) == 1e60); /* no time_t's */
	unsetenv("TZ");
	tzset();
}

int main(void)
{
	config_run_start();
	test_defaults();
	test_default_path();
	test_file_and_flags();
	test_file_errors();
	test_flag_errors();
	test_permissions();
	test_identity_keys();
	test_sizes();
	test_timezone();
	config_run_end();
	return check_done("test_config");
}
