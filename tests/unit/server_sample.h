/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One interval of a server on port 8080, for the core's tests: rps
 * requests/s over dt s and a mean latency of `mean` us give or take 3 %,
 * its p50, p90 and max in fixed ratios to it, its p99 2.2 times it give or
 * take 3 %, 8 active connections. Draws two normals from r, in that order.
 */
#ifndef TT_SERVER_SAMPLE_H
#define TT_SERVER_SAMPLE_H

#include <string.h>

#include "core/core.h"
#include "rng.h"

static inline void server_sample(struct svc_sample *s, double ts, double dt, double rps,
				 double mean, struct rng *r)
{
	memset(s, 0, sizeof(*s));
	s->id.port = 8080;
	s->id.role = TT_ROLE_SERVER;
	s->ts = ts;
	s->interval_s = dt;
	s->rps = rps;
	s->requests = (uint64_t)(rps * dt);
	s->has_latency = true;
	s->lat_mean_us = mean * (1 + 0.03 * rng_normal(r));
	s->lat_p50_us = 0.8 * s->lat_mean_us;
	s->lat_p90_us = 1.5 * s->lat_mean_us;
	s->lat_p99_us = 2.2 * s->lat_mean_us * (1 + 0.03 * rng_normal(r));
	s->lat_max_us = 3 * s->lat_mean_us;
	s->active = 8;
}

#endif /* TT_SERVER_SAMPLE_H */
