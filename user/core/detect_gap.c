// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A series' first point, and its restart after a long silence (core/detect.c
 * calls them; neither is on the path of an ordinary point).
 */
#include "core/detect_int.h"

void detect_start(struct detect *d, double ts, double x)
{
	d->level = d->flat = x;
	d->wlevel = x;
	d->slow = (float)x;
	d->scale = d->flat_scale = 0;
	d->prev = (float)x;
	d->fraction |= x != floor(x);
	d->expected = (float)x;
	d->last_ts = ts;
	d->sum_up = d->sum_down = 0;
	d->firing = 0;
	d->refractory = 0;
	d->rewarm = 0;
	d->n = 1;
	if (!d->season.t0)
		d->season.t0 = ts;
}

/* After a long silence the noise's scale, its tail and the cycles still
 * describe the series; the level may have moved. It goes on when the first
 * point lies within huber_k scales of it (one point is noisier than a level
 * averaged over many), else it starts again from that point. Either way the
 * next REWARM_POINTS points average into it; they are judged unless it
 * started again. So a series with outages is not blind for a whole warm-up
 * after each, nor for REWARM_POINTS when nothing moved. A series still in
 * its first warm-up starts that over. */
static double restart_level(double old, double from_point, double scale,
			    const struct detect_config *cfg)
{
	if (fabs(from_point - old) <= cfg->huber_k * MAD_TO_SIGMA * scale)
		return old;
	return from_point;
}

void detect_restart(struct detect *d, const struct detect_config *cfg, double ts, double x)
{
	float scale = d->scale, flat_scale = d->flat_scale, slow = d->slow;
	double level = d->level, flat = d->flat, wlevel = d->wlevel, before;
	uint32_t n = d->n;

	if (d->restarts < UINT16_MAX)
		d->restarts++;
	detect_start(d, ts, x);
	if (n < cfg->warmup || !(scale > 0))
		return;
	d->scale = scale;
	d->flat_scale = flat_scale;
	d->slow = slow; /* a level over days: the profiles' base goes on */
	d->n = n;
	d->rewarm = REWARM_POINTS - 1;
	before = !cfg->seasonal || !d->mode ? flat : d->mode == SEASON_WEEKLY ? wlevel : level;
	d->flat = restart_level(flat, x, flat_scale, cfg);
	/* The seasonal forecasts' levels are deseasonalised: the point less
	 * what each profile expects at its time of day. */
	if (cfg->seasonal && d->mode) {
		struct season_pos pos;
		double day, week, spread;

		season__view(&d->season, season__clock(&cfg->season, ts), &pos, &day, &week,
			     &spread);
		if (pos.ok) {
			d->level = restart_level(level, x - day, max2(scale, spread), cfg);
			d->wlevel = restart_level(wlevel, x - week, max2(scale, spread), cfg);
		}
	}
	/* Blind while the level of the forecast in force starts again. */
	d->rewarm_blind = *level_in_force(d, cfg) != before;
}
