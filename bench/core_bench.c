// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Benchmark of the anomaly core on one core:
 *   1. series-updates/s: one service sample through the latency model, the
 *      nine per-metric detectors, rules and alert states;
 *   2. bytes of state per series: as run (no names), and when every service
 *      is named in its own cgroup (a names entry each);
 *   3. replay lines/s over a generated 1,000,000-line metrics stream.
 * 1 and 3 run RUNS times each and print their best, median and every run.
 *
 *   build/tools/core_bench [services] [intervals] [replay lines]
 *
 * (replay lines 0 skips the third: a profiler then sees the core alone.)
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "out/emit.h"
#include "cli/replay.h"
#include "../tests/unit/rng.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int count_line(const cJSON *line, void *ctx)
{
	(void)line;
	++*(long *)ctx;
	return 0;
}

static void fill(struct svc_sample *s, int k, long i, struct rng *r)
{
	double rps = 100 + k % 500 + 10 * rng_normal(r);

	memset(s, 0, sizeof(*s));
	snprintf(s->id.comm, sizeof(s->id.comm), "svc%d", k % 100);
	s->id.port = (uint16_t)(1000 + k);
	s->id.role = k % 10 == 9 ? TT_ROLE_CLIENT : TT_ROLE_SERVER;
	s->ts = 1795392000 + (double)i;
	s->interval_s = 1;
	s->rps = fmax(0, rps);
	s->requests = (uint64_t)s->rps;
	s->has_latency = s->requests > 0;
	s->lat_mean_us = (50 + 0.1 * s->rps) * (1 + 0.03 * rng_normal(r));
	s->lat_p50_us = 0.8 * s->lat_mean_us;
	s->lat_p90_us = 1.6 * s->lat_mean_us;
	s->lat_p99_us = 2.5 * s->lat_mean_us;
	s->lat_max_us = 4 * s->lat_mean_us;
	s->active = 20 + rng_next(r) % 5;
	s->retransmits = rng_poisson(r, 0.3);
	s->resets = rng_poisson(r, 0.1);
}

/* Runs services x intervals samples through one core; returns updates/s. */
static double bench_updates(int services, long intervals, size_t *bytes, long *lines)
{
	struct core_config cfg;
	struct host_sample h = { .interval_s = 1, .cpu_pct = 40, .mem_pct = 50, .load1 = 1 };
	struct svc_sample *s = calloc((size_t)services * 64, sizeof(*s));
	struct rng r = { 17 };
	struct core *c;
	double t0, t, spent = 0;
	long i;
	int k;

	core__default_config(&cfg);
	if (getenv("NOSEASON"))
		cfg.detect.seasonal = false;
	cfg.max_series = (uint32_t)services;
	c = core__new(&cfg);
	if (!c || !s) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	/* 64 pre-generated intervals, replayed with moving timestamps, so the
	 * timing is the core's and not the random number generator's. */
	for (i = 0; i < 64; i++)
		for (k = 0; k < services; k++)
			fill(&s[i * services + k], k, i, &r);
	for (i = 0; i < intervals; i++) {
		struct svc_sample *row = &s[(i % 64) * services];

		for (k = 0; k < services; k++)
			row[k].ts = 1795392000 + (double)i;
		h.ts = 1795392000 + (double)i;
		h.cpu_pct = 40 + 5 * sin(i / 50.0);
		t0 = now();
		core__step(c, &h, row, (size_t)services, "bench", count_line, lines);
		t = now();
		spent += t - t0;
	}
	*bytes = core__series_bytes(c);
	core__free(c);
	free(s);
	return (double)services * (double)intervals / spent;
}

/* Bytes per series when each of services is named in a cgroup of its own. */
static size_t named_bytes(int services)
{
	struct svc_sample *s = calloc((size_t)services, sizeof(*s));
	struct core_config cfg;
	struct rng r = { 19 };
	struct core *c;
	size_t bytes;
	int k;

	core__default_config(&cfg);
	cfg.max_series = (uint32_t)services;
	c = core__new(&cfg);
	if (!c || !s) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (k = 0; k < services; k++) {
		fill(&s[k], k, 0, &r);
		s[k].id.cgroup = 1000 + (uint64_t)k;
		snprintf(s[k].id.names.unit, sizeof(s[k].id.names.unit), "svc%d.service", k);
		snprintf(s[k].id.names.cgroup, sizeof(s[k].id.names.cgroup),
			 "/system.slice/svc%d.service", k);
	}
	core__step(c, NULL, s, (size_t)services, "bench", NULL, NULL);
	bytes = core__series_bytes(c);
	core__free(c);
	free(s);
	return bytes;
}

/* Writes a metrics stream of about n lines into memory. */
static char *make_stream(long n, int services, size_t *len)
{
	struct host_sample h = { .interval_s = 1, .cpu_pct = 40, .mem_pct = 50, .load1 = 1 };
	struct svc_sample s;
	struct rng r = { 23 };
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	long lines = 0, i;
	int k;

	for (i = 0; lines < n; i++) {
		for (k = 0; k < services && lines < n - 1; k++, lines++) {
			cJSON *o;

			fill(&s, k, i, &r);
			o = emit__metrics(&s, "bench");
			emit__line(f, o);
			cJSON_Delete(o);
		}
		h.ts = 1795392000 + (double)i;
		cJSON *o = emit__host(&h, "bench");

		emit__line(f, o);
		cJSON_Delete(o);
		lines++;
	}
	fclose(f);
	return buf;
}

/* Runs of each measure: a shared host moves one run by half (bench/RESULTS.md),
 * so each prints its best (what the code can do) and its median (what a run
 * gets), and every run. */
#define RUNS 5

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Prints "B best of N runs (median M; runs R1 R2 ..." (n <= RUNS), the runs
 * in the order they ran; the caller closes the parenthesis. */
static void print_runs(const double *v, int n)
{
	double sorted[RUNS];
	int i;

	memcpy(sorted, v, (size_t)n * sizeof(*v));
	qsort(sorted, (size_t)n, sizeof(*sorted), by_value);
	printf("%.0f best of %d runs (median %.0f; runs", sorted[n - 1], n, sorted[n / 2]);
	for (i = 0; i < n; i++)
		printf(" %.0f", v[i]);
}

/* One replay of the stream; returns lines/s and fills sum. */
static double replay_once(char *stream, size_t len, struct replay_summary *sum, int *ret)
{
	struct core_config cfg;
	FILE *in = fmemopen(stream, len, "r"), *out = fopen("/dev/null", "w");
	double t0, t;

	if (!in || !out) {
		fprintf(stderr, "cannot open the stream or /dev/null\n");
		exit(1);
	}
	core__default_config(&cfg);
	t0 = now();
	*ret = replay__run(in, out, stderr, "bench", false, &cfg, sum);
	t = now() - t0;
	fclose(in);
	fclose(out);
	return (double)sum->lines / t;
}

int main(int argc, char **argv)
{
	int services = argc > 1 ? atoi(argv[1]) : 1000;
	long intervals = argc > 2 ? atol(argv[2]) : 2000, alerts = 0;
	long replay_lines = argc > 3 ? atol(argv[3]) : 1000000;
	struct replay_summary sum;
	double ups[RUNS], lps[RUNS];
	size_t bytes, len;
	char *stream;
	int ret = 0, i;

	if (services < 1 || services > 60000 || intervals < 1 || replay_lines < 0)
		return 2;
	for (i = 0; i < RUNS; i++) {
		alerts = 0;
		ups[i] = bench_updates(services, intervals, &bytes, &alerts);
	}
	printf("series-updates/s: ");
	print_runs(ups, RUNS);
	printf("; %d services x %ld intervals, %ld lines emitted)\n", services, intervals, alerts);
	printf("bytes per series: %zu\n", bytes);
	printf("bytes per series, each named in its own cgroup: %zu\n", named_bytes(services));

	if (!replay_lines)
		return 0;
	stream = make_stream(replay_lines, 999, &len);
	for (i = 0; i < RUNS; i++)
		lps[i] = replay_once(stream, len, &sum, &ret);
	printf("replay lines/s: ");
	print_runs(lps, RUNS);
	printf("; %llu lines, %.1f MB, %llu lines out, ret %d)\n", (unsigned long long)sum.lines,
	       len / 1e6, (unsigned long long)sum.alerts, ret);
	free(stream);
	return ret ? 1 : 0;
}
