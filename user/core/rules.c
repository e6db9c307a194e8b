// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/rules.h"

static const char *const metric_names[METRIC_COUNT] = {
	[METRIC_RPS] = "rps",
	[METRIC_LAT_MEAN] = "latency_mean_us",
	[METRIC_LAT_P50] = "latency_p50_us",
	[METRIC_LAT_P90] = "latency_p90_us",
	[METRIC_LAT_P99] = "latency_p99_us",
	[METRIC_ACTIVE] = "connections_active",
	[METRIC_FAILED] = "connections_failed",
	[METRIC_RESETS] = "connections_resets",
	[METRIC_RETRANS] = "connections_retransmits",
	[METRIC_CPU] = "cpu_pct",
	[METRIC_MEM] = "mem_pct",
	[METRIC_LOAD1] = "load1",
};

const char *metric__name(unsigned metric)
{
	return metric < METRIC_COUNT ? metric_names[metric] : NULL;
}

int metric__parse(const char *name)
{
	unsigned i;

	for (i = 0; i < METRIC_COUNT; i++)
		if (!strcmp(name, metric_names[i]))
			return (int)i;
	return -EINVAL;
}

bool metric__is_host(unsigned metric)
{
	return metric >= METRIC_SVC_COUNT && metric < METRIC_COUNT;
}

bool rules__breach(const struct rule_threshold *r, double v, bool firing)
{
	double level = firing ? r->clear : r->fire;

	if (isnan(v))
		return false;
	return r->below ? v < level : v > level;
}

void forecast__add(struct forecast *f, double lambda, double t, double v)
{
	double dt, dv;

	if (!isfinite(t) || !isfinite(v))
		return;
	if (f->w == 0) {
		memset(f, 0, sizeof(*f));
		f->mt = t;
		f->mv = v;
	}
	/* Weighted Welford: discount the past, then add the point at weight 1. */
	f->w = lambda * f->w + 1;
	f->w2 = lambda * lambda * f->w2 + 1;
	dt = t - f->mt;
	dv = v - f->mv;
	f->mt += dt / f->w;
	f->mv += dv / f->w;
	f->ctt = lambda * f->ctt + dt * (t - f->mt);
	f->ctv = lambda * f->ctv + dt * (v - f->mv);
	f->cvv = lambda * f->cvv + dv * (v - f->mv);
}

int forecast__eta(const struct forecast *f, double now, double limit,
		  struct forecast_result *out)
{
	double ss, var_b;

	memset(out, 0, sizeof(*out));
	out->eta_s = INFINITY;
	out->n_eff = f->w2 > 0 ? f->w * f->w / f->w2 : 0;
	if (out->n_eff < 3 || !(f->ctt > 0))
		return -EAGAIN;
	out->slope = f->ctv / f->ctt;
	out->now = f->mv + out->slope * (now - f->mt);
	/* Residual variance with two parameters spent; the slope's variance
	 * for discounted weights is about sigma^2 (w2 / w) / ctt. */
	ss = fmax(f->cvv - out->slope * f->ctv, 0) / f->w * out->n_eff / (out->n_eff - 2);
	var_b = ss * (f->w2 / f->w) / f->ctt;
	out->t_stat = var_b > 0 ? fabs(out->slope) / sqrt(var_b) : INFINITY;
	if (out->now >= limit)
		out->eta_s = 0;
	else if (out->slope > 0)
		out->eta_s = (limit - out->now) / out->slope;
	return 0;
}
