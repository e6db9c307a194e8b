// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Deterministic scenario generator: writes the agent's JSON lines (through
 * the agent's own encoder) for the scenarios of the anomaly core's test
 * suite, and a labels file saying what happens when.
 *
 *   scengen SCENARIO [--seed N] [--labels FILE] [--intervals N] [--interval S]
 *
 * Scenarios: a (load ramp 1x-5x in 5 min, latency follows the load), b (latency x3 at
 * constant load), c (slow latency drift), d (CPU 85 % for 5 intervals),
 * e (steady memory growth), f (24 h of noise), bench (many services).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/emit.h"
#include "../unit/rng.h"

#define T0 1795392000.0 /* 2026-11-23T00:00:00Z */

struct scen {
	char name[16];
	long intervals;
	double interval_s;
	double onset;	  /* interval index where the anomaly starts, -1 none */
	double end;	  /* interval index where it ends */
	int services;	  /* extra server services (bench) */
	struct rng r;
	FILE *out;
};

/* The load of the main service at interval i: requests/s. */
static double load(const struct scen *s, long i)
{
	double base = 500;

	if (!strcmp(s->name, "a")) {
		/* 15 min at 1x, a 5 min ramp to 5x, then 40 min at 5x. */
		double f = i < 900 ? 0 : i < 1200 ? (i - 900) / 300.0 : 1;

		return base * (1 + 4 * f);
	}
	if (!strcmp(s->name, "f"))
		/* A day's gentle swing, +-20 %. */
		return base * (1 + 0.2 * sin(2 * M_PI * i * s->interval_s / 86400.0));
	return base;
}

/* Factor on the main service's latency: the injected fault. */
static double fault(const struct scen *s, long i)
{
	if (s->onset < 0 || i < s->onset || i >= s->end)
		return 1;
	if (!strcmp(s->name, "b"))
		return 3;
	if (!strcmp(s->name, "c"))
		return 1 + 0.001 * (i - s->onset); /* +0.1 % per interval */
	return 1;
}

static double noisy_rate(struct scen *s, double rps)
{
	return fmax(0, rps + sqrt(rps) * rng_normal(&s->r));
}

static void put(struct scen *s, cJSON *o)
{
	if (o)
		emit__line(s->out, o);
	cJSON_Delete(o);
}

static void svc_line(struct scen *s, double ts, const char *comm, uint8_t role, uint16_t port,
		     double rps, double lat, double active, double retrans, double resets,
		     double failed)
{
	struct svc_sample v = { .ts = ts, .interval_s = s->interval_s };
	double noise = fmax(0.2, 1 + 0.04 * rng_student(&s->r, 5));

	snprintf(v.id.comm, sizeof(v.id.comm), "%s", comm);
	v.id.role = role;
	v.id.port = port;
	v.rps = noisy_rate(s, rps);
	v.requests = (uint64_t)llround(v.rps * s->interval_s);
	v.rps = (double)v.requests / s->interval_s;
	v.has_latency = v.requests > 0;
	v.lat_mean_us = lat * noise;
	v.lat_p50_us = 0.8 * lat * (1 + 0.03 * rng_normal(&s->r));
	v.lat_p90_us = 1.6 * lat * (1 + 0.04 * rng_normal(&s->r));
	v.lat_p99_us = (2.2 * lat + 20) * fmax(0.2, 1 + 0.08 * rng_student(&s->r, 5));
	v.lat_max_us = 2 * v.lat_p99_us;
	v.active = (uint64_t)fmax(0, llround(active + rng_normal(&s->r)));
	v.opened = rng_poisson(&s->r, 2);
	v.closed = rng_poisson(&s->r, 2);
	v.retransmits = rng_poisson(&s->r, retrans);
	v.resets = rng_poisson(&s->r, resets);
	v.failed = rng_poisson(&s->r, failed);
	put(s, emit__metrics(&v, "scen-1"));
}

static void interval(struct scen *s, long i)
{
	double ts = T0 + (i + 1) * s->interval_s, rps = load(s, i);
	double cpu = 8 + 0.025 * rps + 1.5 * rng_normal(&s->r);
	double mem = 45 + 0.2 * rng_normal(&s->r);
	double db = 10 + 0.004 * rps, lat;
	struct host_sample h = { .ts = ts, .interval_s = s->interval_s };
	int k;

	if (!strcmp(s->name, "d") && i >= s->onset && i < s->end)
		cpu = 85 + 0.5 * rng_normal(&s->r);
	if (!strcmp(s->name, "e") && i >= s->onset)
		mem = 50 + 0.02 * (i - s->onset) * s->interval_s + 0.2 * rng_normal(&s->r);
	cpu = fmin(100, fmax(0, cpu));
	mem = fmin(100, fmax(0, mem));
	/* Latency follows the load: requests/s, CPU and database connections. */
	lat = (40 + 0.06 * rps + 0.3 * cpu + 0.8 * db) * fault(s, i);
	svc_line(s, ts, "api", TT_ROLE_SERVER, 8080, rps, lat, 20 + 0.01 * rps, 0.3, 0.1, 0);
	svc_line(s, ts, "api", TT_ROLE_CLIENT, 5432, 2 * rps, 300 + 0.02 * rps, db, 0.1, 0.05,
		 0.02);
	if (!strcmp(s->name, "f"))
		svc_line(s, ts, "worker", TT_ROLE_SERVER, 9090, 50, 2000, 8, 0.05, 0.02, 0);
	for (k = 0; k < s->services; k++)
		svc_line(s, ts, "svc", TT_ROLE_SERVER, (uint16_t)(10000 + k), 100 + k, 200 + k, 10,
			 0.2, 0.1, 0);
	h.cpu_pct = cpu;
	h.mem_pct = mem;
	h.load1 = cpu / 25;
	put(s, emit__host(&h, "scen-1"));
}

static int setup(struct scen *s, const char *name)
{
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->interval_s = 1;
	s->onset = -1;
	s->end = 1e18;
	if (!strcmp(name, "a")) {
		s->intervals = 3600;
	} else if (!strcmp(name, "b")) {
		s->intervals = 1200;
		s->onset = 900;
	} else if (!strcmp(name, "c")) {
		s->intervals = 2400;
		s->onset = 900;
	} else if (!strcmp(name, "d")) {
		s->intervals = 1200;
		s->onset = 600;
		s->end = 605;
	} else if (!strcmp(name, "e")) {
		s->intervals = 2700;
		s->onset = 300;
	} else if (!strcmp(name, "f")) {
		s->intervals = 86400;
	} else if (!strcmp(name, "bench")) {
		s->intervals = 1000;
		s->services = 998; /* with the two main ones: 1,001 lines per interval */
	} else {
		return -1;
	}
	return 0;
}

static void labels(const struct scen *s, FILE *f)
{
	fprintf(f, "scenario %s\nintervals %ld\ninterval_s %g\nstart_ts %.3f\n", s->name,
		s->intervals, s->interval_s, T0);
	if (s->onset >= 0)
		fprintf(f, "onset_ts %.3f\n", T0 + (s->onset + 1) * s->interval_s);
	if (s->end < 1e17)
		fprintf(f, "end_ts %.3f\n", T0 + (s->end + 1) * s->interval_s);
	if (!strcmp(s->name, "e"))
		/* 50 % + 0.02 %/s reaches 100 % after 2,500 s. */
		fprintf(f, "cross_ts %.3f\n", T0 + (s->onset + 1) * s->interval_s + 2500);
	fprintf(f, "series %d\n", 3 + !strcmp(s->name, "f") + s->services);
}

int main(int argc, char **argv)
{
	struct scen s = { 0 };
	const char *lab = NULL;
	uint64_t seed = 1;
	long i, n = -1;
	int a;

	if (argc < 2 || setup(&s, argv[1])) {
		fprintf(stderr, "usage: scengen a|b|c|d|e|f|bench [--seed N] [--labels FILE] "
				"[--intervals N] [--interval S]\n");
		return 2;
	}
	for (a = 2; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--seed"))
			seed = strtoull(argv[a + 1], NULL, 0);
		else if (!strcmp(argv[a], "--labels"))
			lab = argv[a + 1];
		else if (!strcmp(argv[a], "--intervals"))
			n = atol(argv[a + 1]);
		else if (!strcmp(argv[a], "--interval"))
			s.interval_s = atof(argv[a + 1]);
	}
	if (n > 0)
		s.intervals = n;
	s.r.s = seed * 0x9e3779b97f4a7c15ULL + (unsigned char)s.name[0];
	s.out = stdout;
	if (lab) {
		FILE *f = fopen(lab, "w");

		if (!f) {
			perror(lab);
			return 1;
		}
		labels(&s, f);
		fclose(f);
	}
	for (i = 0; i < s.intervals; i++)
		interval(&s, i);
	return 0;
}
