// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Configuration as the agent prints it: --print-config loading back as the
 * same config, packaging/telltale.json being every key at its default, and
 * what --help, --version and --check-config print and exit with. */
#define _GNU_SOURCE
#include "config_run.h"

/* --print-config of a non-default configuration loads back to the same. */
static void test_round_trip(void)
{
	const char *p = put(
		"rt.json",
		"{\"interval_s\": 0.25, \"host\": \"h\\\"q\", \"agent_interval_s\": 0,\n"
		" \"output\": {\"metrics\": \"none\", \"rotate_size\": \"5K\"},\n"
		" \"services\": {\"include_ports\": [80, 443], \"max_series\": 100},\n"
		" \"dependency_ports\": [],\n"
		" \"rules\": [{\"metric\": \"rps\", \"below\": 0.5, \"clear\": 2, \"hold\": 8,\n"
		"             \"severity\": \"critical\"},\n"
		"           {\"metric\": \"latency_p99_us\", \"above\": 1e5}],\n"
		" \"model\": {\"features\": [\"active\", \"dep_latency\"], \"lambda\": 0.9999,\n"
		"           \"min_rel_scale\": 0.123456789012345678},\n"
		" \"detector\": {\"seasonal\": false, \"refractory\": 77, \"min_scale\": 1e-9,\n"
		"              \"directions\": {\"rps\": \"off\", \"load1\": \"both\"}},\n"
		" \"alerts\": {\"anomaly\": {\"renotify_s\": 300, \"m\": 2, \"n\": 2}},\n"
		" \"forecast\": {\"conn_limit\": 1000, \"horizon_s\": 1800}}",
		0644);
	struct config a, b;
	cJSON *ja, *jb;
	const char *q;
	struct core *c;

	CHECK(load(&a, "-c", p, "--rotate-keep", "7", "--btf", "/b", NULL) == 0);
	CHECK(a.core.n_rules == 2 && a.core.rules[0].below &&
	      a.core.rules[0].severity == SEV_CRITICAL);
	CHECK(a.core.features == (CORE_F_ACTIVE | CORE_F_DEP_LAT));
	CHECK(!a.core.detect.seasonal && a.core.detect.refractory == 77);
	CHECK(a.core.n_dep_ports == 0 && a.n_include == 2);
	CHECK(a.core.alert_dir[METRIC_RPS] == CORE_DIR_OFF &&
	      a.core.alert_dir[METRIC_LOAD1] == DETECT_BOTH);
	CHECK(a.rotate_size == 5120);
	c = core__new(&a.core);
	CHECK(c != NULL);
	core__free(c);

	CHECK(load(&a, "-c", p, "--rotate-keep", "7", "--btf", "/b", "--print-config", NULL) == 1);
	CHECK(a.print_config);
	CHECK(err[0] == '\0');
	q = put("printed.json", out, 0600);
	CHECK(load(&b, "-c", q, NULL) == 0);
	if (err[0])
		fprintf(stderr, "  reload: %s", err);
	CHECK(!memcmp(&a.core, &b.core, sizeof(a.core)));
	CHECK(a.interval_s == b.interval_s && a.rotate_size == b.rotate_size);
	CHECK(b.rotate_keep == 7 && !strcmp(b.btf_path, "/b") && !strcmp(b.host, "h\"q"));
	CHECK(b.core.model.min_rel_scale == 0.123456789012345678);
	CHECK(b.n_include == 2 && b.include_ports[1] == 443);
	ja = config__to_json(&a);
	jb = config__to_json(&b);
	CHECK(ja && jb && cJSON_Compare(ja, jb, 1));
	cJSON_Delete(ja);
	cJSON_Delete(jb);

	/* The defaults print and load back as the defaults. */
	CHECK(load(&a, "--print-config", NULL) == 1);
	q = put("printed.json", out, 0600);
	CHECK(load(&b, "-c", q, NULL) == 0);
	config__default(&a);
	CHECK(!memcmp(&a.core, &b.core, sizeof(a.core)));
	memset(b.config_path, 0, sizeof(b.config_path));
	CHECK(!memcmp(&a, &b, sizeof(a)));
}

/* packaging/telltale.json is every key at its default. Copied first: a
 * checkout's own mode depends on the umask. */
static void test_example(void)
{
	struct config cfg, def;
	char text[16384];
	size_t n;
	FILE *f = fopen("packaging/telltale.json", "r");

	if (!f) {
		printf("test_config: packaging/telltale.json not found from here, example check skipped\n");
		return;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	CHECK(load(&cfg, "-c", put("example.json", text, 0644), NULL) == 0);
	config__default(&def);
	memset(cfg.config_path, 0, sizeof(cfg.config_path));
	/* The example enables the endpoint on loopback; all else is default. */
	CHECK(!strcmp(cfg.prom.listen, "127.0.0.1:9464"));
	strcpy(def.prom.listen, "127.0.0.1:9464");
	CHECK(!memcmp(&cfg, &def, sizeof(def)));
	/* ...and it names every key the printer knows: printed back, it is
	 * the example without its comment. */
	CHECK(load(&cfg, "-c", put("example.json", text, 0644), "--print-config", NULL) == 1);
	{
		cJSON *a = cJSON_Parse(text), *b = cJSON_Parse(out);

		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(a, "prometheus"),
							"//");
		CHECK(a && b && cJSON_Compare(a, b, 1));
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
}

static void test_exit_codes(void)
{
	static const char *const flags[] = { "--config",       "--interval",	 "--duration",
					     "--host",	       "--max-services", "--max-sockets",
					     "--btf",	       "--alerts",	 "--metrics",
					     "--rotate-size",  "--rotate-keep",	 "--user",
					     "--check-config", "--print-config", "--verbose",
					     "--version",      "--help" };
	struct config cfg;
	const char *p = put("ok.json", "{\"interval_s\": 5}", 0644);
	char want[512];
	size_t i;

	CHECK(load(&cfg, "--help", NULL) == 1);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		CHECK(strstr(out, flags[i]) != NULL);
	/* Help wins over a broken file or flag: it is how one finds the fix. */
	CHECK(load(&cfg, "-c", "/nonexistent", "--bogus", "-h", NULL) == 1);
	CHECK(load(&cfg, "-V", NULL) == 1);
	CHECK(!strncmp(out, "telltale ", 9));
	CHECK(load(&cfg, "--check-config", "-c", p, NULL) == 1);
	snprintf(want, sizeof(want), "telltale: config OK (%s)\n", p);
	CHECK(!strcmp(out, want));
	CHECK(load(&cfg, "--check-config", NULL) == 1);
	CHECK(strstr(out, "config OK (no config file") != NULL);
	CHECK(load(&cfg, "--check-config", "-c", put("bad.json", "{\"x\": 1}", 0644), NULL) == 2);
	CHECK(out[0] == '\0');
	CHECK(load(&cfg, "--check-config", "-i", "0", NULL) == 2);
	CHECK(load(&cfg, "--print-config", "-c", p, NULL) == 1);
	CHECK(strstr(out, "\"interval_s\":\t5") != NULL);
	CHECK(load(&cfg, "-c", p, NULL) == 0);
	CHECK(out[0] == '\0' && err[0] == '\0');
}

int main(void)
{
	config_run_start();
	test_round_trip();
	test_example();
	test_exit_codes();
	config_run_end();
	return check_done("test_config_print");
}
