// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Threshold rules (hold, hysteresis, one firing and one resolved) and
 * forecasts (eta on a clean line, silence on noise), through the core. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/core.h"
#include "out/emit.h"
#include "rng.h"

struct sink {
	int firing, resolved, other;
	double first_firing_ts, eta;
	char kind[16], metric[32];
};

static int collect(const cJSON *line, void *ctx)
{
	struct sink *k = ctx;
	const cJSON *st = cJSON_GetObjectItem(line, "state");
	const cJSON *d, *f, *e;

	if (!st || strcmp(cJSON_GetObjectItem(line, "type")->valuestring, "alert")) {
		k->other++;
		return 0;
	}
	if (!strcmp(st->valuestring, "firing")) {
		if (!k->firing++) {
			line__parse_iso8601(cJSON_GetObjectItem(line, "ts")->valuestring,
					    &k->first_firing_ts);
			snprintf(k->kind, sizeof(k->kind), "%s",
				 cJSON_GetObjectItem(line, "kind")->valuestring);
			snprintf(k->metric, sizeof(k->metric), "%s",
				 cJSON_GetObjectItem(line, "metric")->valuestring);
			d = cJSON_GetObjectItem(line, "details");
			f = d ? cJSON_GetObjectItem(d, "forecast") : NULL;
			e = f ? cJSON_GetObjectItem(f, "eta_s") : NULL;
			k->eta = e && cJSON_IsNumber(e) ? e->valuedouble : NAN;
		}
		CHECK(!cJSON_GetObjectItem(line, "service"));
	} else {
		k->resolved++;
	}
	return 0;
}

static void host_series(struct core *c, struct sink *k, const double *cpu, const double *mem,
			int n, double t0)
{
	struct host_sample h = { .interval_s = 1, .load1 = 1 };
	int i;

	for (i = 0; i < n; i++) {
		h.ts = t0 + i;
		h.cpu_pct = cpu ? cpu[i] : 30;
		h.mem_pct = mem ? mem[i] : 40;
		CHECK(core__step(c, &h, NULL, 0, "h", collect, k) == 0);
	}
}

static void test_threshold_hold_and_hysteresis(void)
{
	struct core_config cfg;
	struct sink k = { 0 };
	double cpu[200];
	struct core *c;
	int i;

	core__default_config(&cfg);
	c = core__new(&cfg);
	CHECK(c != NULL);
	for (i = 0; i < 200; i++)
		cpu[i] = 40;
	for (i = 50; i < 55; i++) /* 85 % for 5 intervals */
		cpu[i] = 85;
	host_series(c, &k, cpu, NULL, 100, 1000);
	CHECK(k.firing == 1 && k.resolved == 1);
	CHECK_NEAR(k.first_firing_ts, 1000 + 52, 1e-6); /* held 3 intervals */
	CHECK(!strcmp(k.kind, "threshold") && !strcmp(k.metric, "cpu_pct"));
	/* Two intervals above the line: held too briefly to fire. */
	memset(&k, 0, sizeof(k));
	for (i = 0; i < 200; i++)
		cpu[i] = i == 10 || i == 11 ? 95 : 40;
	host_series(c, &k, cpu, NULL, 50, 2000);
	CHECK(k.firing == 0);
	/* Fires, then hovers 79..81 across the fire level: stays firing. */
	memset(&k, 0, sizeof(k));
	for (i = 0; i < 200; i++)
		cpu[i] = i < 10 ? 40 : i < 15 ? 90 : i < 150 ? (i % 2 ? 79 : 81) : 40;
	host_series(c, &k, cpu, NULL, 200, 3000);
	CHECK(k.firing == 1 && k.resolved == 1);
	core__free(c);
}

static void test_forecast_line(void)
{
	struct forecast f = { 0 };
	struct forecast_result r;
	int i;

	for (i = 0; i < 100; i++)
		forecast__add(&f, 0.98, 5000 + 10.0 * i, 60 + 0.2 * i); /* 0.02 per s */
	CHECK(forecast__eta(&f, 5990, 100, &r) == 0);
	CHECK_NEAR(r.slope, 0.02, 1e-9);
	CHECK_NEAR(r.now, 79.8, 1e-6);
	CHECK_NEAR(r.eta_s, (100 - 79.8) / 0.02, 1e-3);
	/* One point: no slope yet. */
	memset(&f, 0, sizeof(f));
	forecast__add(&f, 0.98, 1, 1);
	CHECK(forecast__eta(&f, 1, 100, &r) == -EAGAIN);
	CHECK(isinf(r.eta_s));
}

static void test_forecast_through_core(void)
{
	struct core_config cfg;
	struct sink k = { 0 };
	struct rng rg = { 5 };
	static double mem[4000];
	struct core *c;
	int i, cross = -1;

	core__default_config(&cfg);
	cfg.n_rules = 0; /* only the forecast */
	c = core__new(&cfg);
	for (i = 0; i < 4000; i++) {
		mem[i] = 40 + (i > 1000 ? 0.025 * (i - 1000) : 0) + 0.2 * rng_normal(&rg);
		if (cross < 0 && mem[i] >= 100)
			cross = i;
	}
	host_series(c, &k, NULL, mem, 4000, 0);
	CHECK(cross > 0);
	CHECK(k.firing >= 1);
	CHECK(!strcmp(k.kind, "forecast") && !strcmp(k.metric, "mem_pct"));
	/* Fired before the crossing, about when the horizon was reached. */
	CHECK(k.first_firing_ts < cross);
	CHECK(k.first_firing_ts > cross - 700);
	CHECK(k.eta > 0 && k.eta <= 600);
	core__free(c);

	/* Flat noisy memory for a day: no forecast. */
	memset(&k, 0, sizeof(k));
	c = core__new(&cfg);
	for (i = 0; i < 86400; i += 4000) {
		int j;

		for (j = 0; j < 4000; j++)
			mem[j] = 70 + 0.3 * rng_normal(&rg);
		host_series(c, &k, NULL, mem, 4000, i);
	}
	CHECK(k.firing == 0);
	core__free(c);
}

static void test_names_and_config(void)
{
	struct core_config cfg;

	CHECK(metric__parse("cpu_pct") == METRIC_CPU);
	CHECK(metric__parse("nope") == -EINVAL);
	CHECK(!strcmp(metric__name(METRIC_LAT_P99), "latency_p99_us"));
	CHECK(metric__is_host(METRIC_MEM) && !metric__is_host(METRIC_RPS));
	core__default_config(&cfg);
	cfg.max_series = 0;
	errno = 0;
	CHECK(core__new(&cfg) == NULL && errno == EINVAL);
}

int main(void)
{
	test_threshold_hold_and_hysteresis();
	test_forecast_line();
	test_forecast_through_core();
	test_names_and_config();
	return check_done("test_rules");
}
