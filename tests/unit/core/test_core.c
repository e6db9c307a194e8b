// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The core's learning while alerting: a deploy that doubles a service's
 * latency for good at the same load alerts once, is adopted as the new
 * normal after model_adopt_s and resolves, and never alerts again; a
 * slowdown that ends before that resolves on its own. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "core/core.h"
#include "rng.h"

struct count {
	int firing, resolved;
};

static int on_line(const cJSON *line, void *ctx)
{
	struct count *c = ctx;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(line, "metric");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(line, "state");

	if (!cJSON_IsString(m) || strcmp(m->valuestring, "latency_mean_us"))
		return 0;
	if (!strcmp(st->valuestring, "firing"))
		c->firing++;
	else
		c->resolved++;
	return 0;
}

/* Runs n intervals of a server at 500 requests/s whose mean latency is
 * lat(i) microseconds with 3 % noise; counts its latency_mean_us alerts. */
static void run(struct core *core, struct rng *r, long from, long n, double lat,
		struct count *cnt)
{
	struct host_sample h = { .interval_s = 1, .cpu_pct = 30, .mem_pct = 40, .load1 = 1 };
	struct svc_sample s;
	long i;

	for (i = from; i < from + n; i++) {
		memset(&s, 0, sizeof(s));
		s.id.port = 8080;
		s.id.role = TT_ROLE_SERVER;
		s.ts = h.ts = 1767225600.0 + (double)i;
		s.interval_s = 1;
		s.rps = 500 + 5 * rng_normal(r);
		s.requests = (uint64_t)s.rps;
		s.has_latency = true;
		s.lat_mean_us = lat * (1 + 0.03 * rng_normal(r));
		s.lat_p50_us = 0.8 * s.lat_mean_us;
		s.lat_p90_us = 1.5 * s.lat_mean_us;
		s.lat_p99_us = 2.2 * s.lat_mean_us * (1 + 0.03 * rng_normal(r));
		s.lat_max_us = 3 * s.lat_mean_us;
		s.active = 8;
		core__step(core, &h, &s, 1, "t", on_line, cnt);
	}
}

static void test_deploy_doubles(void)
{
	struct core_config cfg;
	struct count cnt = { 0 };
	struct rng r = { 31 };
	struct core *c;

	core__default_config(&cfg);
	c = core__new(&cfg);
	CHECK(c != NULL);
	run(c, &r, 0, 600, 100, &cnt);
	CHECK(cnt.firing == 0);
	/* Doubled for good: one firing, resolved once adopted, then quiet
	 * for an hour. */
	run(c, &r, 600, (long)cfg.model_adopt_s + 60, 200, &cnt);
	CHECK(cnt.firing == 1);
	CHECK(cnt.resolved == 1);
	run(c, &r, 600 + (long)cfg.model_adopt_s + 60, 3600, 200, &cnt);
	CHECK(cnt.firing == 1 && cnt.resolved == 1);
	core__free(c);
}

static void test_slowdown_ends(void)
{
	struct core_config cfg;
	struct count cnt = { 0 };
	struct rng r = { 32 };
	struct core *c;

	core__default_config(&cfg);
	c = core__new(&cfg);
	run(c, &r, 0, 600, 100, &cnt);
	/* Four times slower for two minutes: the model does not learn it, so
	 * the alert lasts the whole episode and resolves soon after it. */
	run(c, &r, 600, 120, 400, &cnt);
	CHECK(cnt.firing == 1 && cnt.resolved == 0);
	run(c, &r, 720, 30, 100, &cnt);
	CHECK(cnt.firing == 1 && cnt.resolved == 1);
	run(c, &r, 750, 3600, 100, &cnt);
	CHECK(cnt.firing == 1);
	core__free(c);
}

int main(void)
{
	test_deploy_doubles();
	test_slowdown_ends();
	return check_done("test_core");
}
