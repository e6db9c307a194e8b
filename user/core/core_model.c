// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The latency model's step for one service: its load features, learning,
 * and the alerts of a latency the load does not explain.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core_int.h"
#include "lib/line.h"

/* 1 - 2^-(u^2): 0.5 at the bound u = 1 (docs/alerts.md). */
static double model_score(double u)
{
	if (!(u > 0))
		return 0;
	return u > 6 ? 1 : 1 - exp2(-u * u);
}

static cJSON *model_json(const struct series *se, unsigned out, const double *x,
			 const struct model_pred *p, const double *scores, unsigned nfeat_mask)
{
	double coef[MODEL_MAX_K];
	cJSON *o = cJSON_CreateObject(), *co, *ct, *fx, *ds;
	unsigned i, j = 0;

	if (!o)
		return NULL;
	model__coef(&se->model, out, coef);
	cJSON_AddStringToObject(o, "target", core_model_targets[out]);
	core_add_round(o, "residual_z", p->z[out]);
	core_add_round(o, "r2", model__r2(&se->model, out));
	cJSON_AddNumberToObject(o, "n", se->model.n);
	cJSON_AddNumberToObject(o, "resets", se->model.resets);
	co = cJSON_AddObjectToObject(o, "coefficients");
	ct = cJSON_AddObjectToObject(o, "contributions");
	fx = cJSON_AddObjectToObject(o, "features");
	if (co && ct && fx) {
		core_add_round(co, "intercept", coef[0]);
		core_add_round(ct, "intercept", coef[0]);
		for (i = 0; i < N_FEATURES; i++) {
			if (!(nfeat_mask & core_features[i].flag))
				continue;
			core_add_round(co, core_features[i].name, coef[1 + j]);
			core_add_round(ct, core_features[i].name, coef[1 + j] * x[j]);
			core_add_round(fx, core_features[i].name, x[j]);
			j++;
		}
	}
	ds = cJSON_AddObjectToObject(o, "detector_scores");
	if (ds)
		for (i = METRIC_LAT_MEAN; i <= METRIC_LAT_P99; i++)
			core_add_round(ds, metric__name(i), scores[i]);
	return o;
}

static void emit_reset(struct core *c, const struct series *se)
{
	cJSON *o = line__header(c->now, "agent", c->host);
	struct svc_id id;

	if (o) {
		core_series_id(se, &id);
		cJSON_AddStringToObject(o, "event", "model_reset");
		cJSON_AddItemToObject(o, "service", line__service(&id));
		cJSON_AddStringToObject(o, "reason", "latency model covariance degenerated; fit restarted");
		cJSON_AddNumberToObject(o, "resets", se->model.resets);
	}
	core_deliver(c, o);
}

/* bound: the z bound in force, anomaly_z raised by the budget. */
static void model_alert(struct core *c, struct series *se, unsigned out, int ev, double y,
			const double *x, const struct model_pred *p, const double *scores,
			double bound)
{
	const struct core_config *cfg = &c->cfg;
	struct alert_info info = { .kind = ALERT_ANOMALY, .severity = SEV_WARNING,
				   .metric = core_model_targets[out], .value = y,
				   .expected = p->expected[out], .threshold = bound };
	char msg[MSG_LEN], who[WHO_LEN];
	struct svc_id id;

	core_series_id(se, &id);
	info.svc = &id;
	core_svc_label(&id, who, sizeof(who));
	info.score = model_score(p->z[out] / bound);
	if (p->z[out] >= cfg->critical_z)
		info.severity = SEV_CRITICAL;
	if (ev == ALERT_EV_RESOLVED)
		snprintf(msg, sizeof(msg),
			 "%s of %s is %.4g us, back in line with the %.4g us its load explains.",
			 info.metric, who, y, p->expected[out]);
	else
		snprintf(msg, sizeof(msg),
			 "%s of %s is %.4g us where its load explains %.4g us (%.1f robust sigmas).",
			 info.metric, who, y, p->expected[out], p->z[out]);
	info.message = msg;
	info.details = cJSON_CreateObject();
	if (info.details)
		cJSON_AddItemToObject(info.details, "model",
				      model_json(se, out, x, p, scores, cfg->features));
	core_emit_alert(c, se->al + SA_MODEL + out, ev, &info);
}

/* Load features of sample s in CORE_F_* order; returns their count. */
unsigned core_load_features(const struct core *c, const struct svc_sample *s, double db,
			      double dep_lat, double *x)
{
	double all[N_FEATURES] = { s->rps, c->cpu, db, dep_lat, (double)s->active };
	unsigned i, n = 0;

	for (i = 0; i < N_FEATURES; i++)
		if (c->cfg.features & core_features[i].flag)
			x[n++] = all[i];
	return n;
}

/* Whether output o's own latency detector is in a job's run at its time of
 * day (core/recur.h): a nightly backup that slows the service at the same
 * load is the schedule's, from its third night, for the model as for the
 * detectors (the latency detectors do not alert themselves: see
 * core__default_config's directions). */
static bool job_run(const struct series *se, unsigned o)
{
	return detect__in_job_rise(&se->det[o ? METRIC_LAT_P99 : METRIC_LAT_MEAN]);
}

/* Whether output o's latency y, which the load does not explain (fit), is
 * its time of day's. Its own latency detector must find y unsurprising
 * (within 3 sigmas of its forecast), that forecast must be at least twice
 * as near y as the fit, and the detector's daily or weekly profile, not
 * its level alone, must have put the forecast there: the profile's term
 * covers a quarter or more of y's excess over the fit (the level takes up
 * a part of a young window). Then a nightly batch window of hours at the
 * same load is the service's normal from its third night, as a job's run
 * of less than an hour is (job_run). Where the profile only repeats what
 * the load explains (the peak of a daily load cycle), a slowdown is as far
 * from the forecast as from the fit, and alerts. */
static bool time_of_day(const struct series *se, unsigned o, double y, double fit)
{
	const struct detect *d = &se->det[o ? METRIC_LAT_P99 : METRIC_LAT_MEAN];
	double term = detect__season_term(d), off = y - detect__expected(d), excess = y - fit;

	return fabs(off) < 3 * detect__sigma(d) && fabs(off) <= 0.5 * fabs(excess) &&
	       term * excess > 0 && fabs(term) >= 0.25 * fabs(excess);
}

/* The model's settings for a sample of dt s. lambda is per sample from
 * model_lambda_interval_s on; faster samples forget by time. Per sample at
 * 1 s the fit remembered 8 minutes (500 samples): a latency that rose by
 * half over a quarter of an hour, or doubled over an hour, was learnt as
 * it came and never alerted. The effective value is kept for the last dt
 * (every service steps at the agent's interval). */
static const struct model_config *model_cfg(struct core *c, double dt)
{
	double ref = c->cfg.model_lambda_interval_s;

	if (dt != c->model_dt) {
		c->model = c->cfg.model;
		if (dt > 0 && dt < ref) /* dt 0 or NaN: per sample */
			c->model.lambda = pow(c->cfg.model.lambda, dt / ref);
		c->model_dt = dt;
	}
	return &c->model;
}

void core_svc_model(struct core *c, struct series *se, const struct svc_sample *s,
		      const double *x, const double *scores)
{
	double y[MODEL_OUTS] = { s->lat_mean_us, s->lat_p99_us }, raise;
	const struct model_config *mc = model_cfg(c, s->interval_s);
	struct model_pred p;
	unsigned o;
	int rc, ev;

	/* While either latency alert is firing the model learns nothing: an
	 * anomaly in progress is not the new normal; nor does it from a job's
	 * run, which is not the normal of the hours around it. (Pending, it
	 * learns all but a sample as far off as an alert's, which the model
	 * rejects itself (reject_z): holding on every noisy p99 sample starved
	 * the fit of the samples that pin its load coefficients.) */
	model__hold(&se->model, mc, se->al[SA_MODEL].phase == ALERT_FIRING ||
				       se->al[SA_MODEL + 1].phase == ALERT_FIRING ||
				       job_run(se, 0) || job_run(se, 1));
	rc = model__update(&se->model, mc, x, y, &p);
	if (rc < 0)
		return;
	se->view.ready = p.ready;
	memcpy(se->view.expected_us, p.expected, sizeof(p.expected));
	if (rc > 0) {
		c->st.model_resets++;
		emit_reset(c, se);
	}
	/* The budget: each episode raised the bound for the next (a latency
	 * that jumps for a few intervals now and then alerted every time, its
	 * jumps past reject_z, so never learnt); it decays. */
	if (s->interval_s > 0 && se->model_budget > 0)
		se->model_budget *= (float)exp2(-s->interval_s / c->cfg.model_budget_half_life_s);
	raise = 1 + se->model_budget;
	for (o = 0; o < MODEL_OUTS; o++) {
		/* Hysteresis: a firing alert stays bad down to clear_frac of the
		 * bound, so a slow drift hovering at the bound does not flap. A
		 * critical one (critical_z, twice the bound, when it fired) was
		 * not hovering: back under the bound, it is over. Held to half,
		 * a p99 four times slower came back noisier than in warm-up (a
		 * few intervals at 4 to 8 scales, host noise) and was still
		 * firing 12 intervals after the slowdown ended. */
		const struct alert_state *a = se->al + SA_MODEL + o;
		bool firing = a->phase == ALERT_FIRING;
		bool held = firing && a->severity != SEV_CRITICAL;
		double bound = c->cfg.anomaly_z * (held ? c->cfg.clear_frac : 1) *
			       (firing ? 1 : raise);
		/* A job's run, or a slowdown its time of day expects, starts no
		 * alert; one already firing goes on. */
		bool bad = p.ready && !p.settling && p.z[o] >= bound &&
			   (firing || !(job_run(se, o) || time_of_day(se, o, y[o], p.expected[o])));

		ev = alert__observe(se->al + SA_MODEL + o, &c->cfg.policy[ALERT_ANOMALY], bad, false,
				    c->now);
		/* One charge an episode: mean and p99 often fire together. */
		if (ev == ALERT_EV_FIRING && se->al[SA_MODEL + (1 - o)].phase != ALERT_FIRING)
			se->model_budget += (float)c->cfg.model_budget_step;
		if (ev)
			model_alert(c, se, o, ev, y[o], x, &p, scores, c->cfg.anomaly_z * raise);
	}
	/* A slowdown that lasts model_adopt_s is the new normal: the fit takes
	 * its level, the alert resolves, and the model learns again. */
	for (o = 0; o < MODEL_OUTS; o++)
		if (se->al[SA_MODEL + o].phase == ALERT_FIRING && c->cfg.model_adopt_s > 0 &&
		    c->now - se->al[SA_MODEL + o].since >= c->cfg.model_adopt_s) {
			model__adopt(&se->model);
			break;
		}
}

