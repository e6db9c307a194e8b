// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The alert lines of the threshold rules, the trend forecasts and the
 * univariate detectors, and what every alert line goes through.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core_int.h"
#include "lib/line.h"

void core_deliver(struct core *c, cJSON *line)
{
	int err;

	if (!line) {
		if (!c->err)
			c->err = -ENOMEM;
		return;
	}
	err = c->cb ? c->cb(line, c->ctx) : 0;
	if (err && !c->err)
		c->err = err;
	cJSON_Delete(line);
}

/* Writes the line for event ev of alert a; the resolved line keeps the
 * severity the alert fired with. */
void core_emit_alert(struct core *c, struct alert_state *a, int ev, struct alert_info *info)
{
	if (ev == ALERT_EV_FIRING)
		a->severity = info->severity;
	else
		info->severity = a->severity;
	info->since = a->since;
	c->st.alerts++;
	core_deliver(c, alert__encode(info, ev, c->st.alerts, c->now, c->host));
}

/* "server:8080 (nginx)", then where it runs when that is known: "in
 * container 0123456789ab", "in pod UID", "in nginx.service", "in cgroup
 * PATH" or "in cgroup ID", and "in netns N" off the host's namespace. */
void core_svc_label(const struct svc_id *id, char *buf, size_t len)
{
	const struct svc_names *n = &id->names;
	size_t k;

	if (id->flags & SVC_F_OTHER)
		k = (size_t)snprintf(buf, len, "%s:other", svc_role_name(id->role));
	else
		k = (size_t)snprintf(buf, len, "%s:%u", svc_role_name(id->role), id->port);
	if (id->comm[0] && k < len)
		k += (size_t)snprintf(buf + k, len - k, " (%.16s)", id->comm);
	if (k >= len)
		return;
	if (n->container[0])
		k += (size_t)snprintf(buf + k, len - k, " in container %.12s", n->container);
	else if (n->pod_uid[0])
		k += (size_t)snprintf(buf + k, len - k, " in pod %s", n->pod_uid);
	else if (n->unit[0])
		k += (size_t)snprintf(buf + k, len - k, " in %s", n->unit);
	else if (n->cgroup[0])
		k += (size_t)snprintf(buf + k, len - k, " in cgroup %s", n->cgroup);
	else if (id->cgroup)
		k += (size_t)snprintf(buf + k, len - k, " in cgroup %llu",
				      (unsigned long long)id->cgroup);
	if (id->netns && !id->host_netns && k < len)
		snprintf(buf + k, len - k, " in netns %u", id->netns);
}

void core_series_id(const struct series *se, struct svc_id *id)
{
	id->cgroup = se->key.cgroup;
	id->netns = se->key.netns;
	id->port = se->key.port;
	id->role = se->key.role;
	id->flags = se->key.flags;
	id->host_netns = se->key.host_netns;
	memcpy(id->comm, se->key.comm, sizeof(id->comm));
	if (se->names)
		names__copy(se->names, &id->names);
	else
		memset(&id->names, 0, sizeof(id->names));
}

/* For an alert line of se: its service into id and " LABEL" into who.
 * Returns id, or NULL for the host (se NULL), who then "". */
static const struct svc_id *line_svc(const struct series *se, struct svc_id *id, char *who,
				     size_t len)
{
	who[0] = '\0';
	if (!se)
		return NULL;
	core_series_id(se, id);
	who[0] = ' ';
	core_svc_label(id, who + 1, len - 1);
	return id;
}

void core_add_round(cJSON *o, const char *name, double v)
{
	cJSON_AddNumberToObject(o, name, line__round(v, 4));
}

static cJSON *detector_json(const struct detect *d, const struct detect_config *cfg,
			    double score)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	core_add_round(o, "score", score);
	cJSON_AddStringToObject(o, "component", detect__why_name(d->why));
	core_add_round(o, "level", d->mode ? d->level : d->flat);
	core_add_round(o, "expected", detect__expected(d));
	core_add_round(o, "scale", detect__sigma(d));
	core_add_round(o, "z", d->z);
	core_add_round(o, "cusum_up", d->sum_up);
	core_add_round(o, "cusum_down", d->sum_down);
	core_add_round(o, "cusum_h", cfg->level);
	cJSON_AddStringToObject(o, "season", season__mode_name(d->season.mode));
	cJSON_AddNumberToObject(o, "n", d->n);
	if (d->firing && (d->ep_kind & DETECT_EP_OUTLASTED))
		cJSON_AddTrueToObject(o, "job_outlasted");
	return o;
}


/* ---- threshold rules ---- */

void core_rule_alert(struct core *c, unsigned ri, struct alert_state *a, double v,
		     const struct series *se)
{
	const struct rule_threshold *r = &c->cfg.rules[ri];
	struct alert_info info = { .kind = ALERT_THRESHOLD, .severity = r->severity,
				   .metric = metric__name(r->metric), .value = v,
				   .expected = NAN, .threshold = r->fire };
	bool firing = a->phase == ALERT_FIRING;
	int ev = alert__observe(a, &c->rule_policy[ri], rules__breach(r, v, firing), false, c->now);
	char msg[MSG_LEN], who[WHO_LEN];
	struct svc_id id;
	cJSON *d;

	if (!ev)
		return;
	info.svc = line_svc(se, &id, who, sizeof(who));
	if (ev == ALERT_EV_RESOLVED)
		snprintf(msg, sizeof(msg), "%s%s is back at %.4g, %s the clear level %.4g.",
			 info.metric, who, v, r->below ? "above" : "below", r->clear);
	else
		snprintf(msg, sizeof(msg), "%s%s is %.4g, %s %.4g for %u intervals.", info.metric,
			 who, v, r->below ? "below" : "above", r->fire, c->rule_policy[ri].n);
	info.message = msg;
	info.score = ev == ALERT_EV_RESOLVED ? 0 : 1;
	d = cJSON_CreateObject();
	if (d) {
		cJSON *o = cJSON_AddObjectToObject(d, "rule");

		if (o) {
			core_add_round(o, "fire", r->fire);
			core_add_round(o, "clear", r->clear);
			cJSON_AddNumberToObject(o, "hold", c->rule_policy[ri].n);
			cJSON_AddStringToObject(o, "direction", r->below ? "below" : "above");
		}
	}
	info.details = d;
	core_emit_alert(c, a, ev, &info);
}

/* ---- forecasts ---- */

void core_forecast_alert(struct core *c, struct forecast *f, struct alert_state *a,
			 unsigned metric, double v, double limit, const struct series *se)
{
	const struct core_config *cfg = &c->cfg;
	struct forecast_result fr;
	struct alert_info info = { .kind = ALERT_FORECAST, .severity = SEV_WARNING,
				   .metric = metric__name(metric), .value = v,
				   .threshold = cfg->forecast_horizon_s };
	char msg[MSG_LEN], who[WHO_LEN];
	struct svc_id id;
	bool bad;
	cJSON *d, *o;
	int ev;

	forecast__add(f, cfg->forecast_lambda, c->now, v);
	bad = !forecast__eta(f, c->now, limit, &fr) && fr.slope > 0 &&
	      fr.t_stat >= cfg->forecast_t_min && fr.eta_s < cfg->forecast_horizon_s;
	ev = alert__observe(a, &cfg->policy[ALERT_FORECAST], bad, false, c->now);
	if (!ev)
		return;
	info.svc = line_svc(se, &id, who, sizeof(who));
	if (fr.eta_s < cfg->forecast_horizon_s / 5)
		info.severity = SEV_CRITICAL;
	info.expected = fr.now;
	info.score = isfinite(fr.eta_s) ? fmax(0, 1 - fr.eta_s / cfg->forecast_horizon_s) : 0;
	if (ev == ALERT_EV_RESOLVED)
		snprintf(msg, sizeof(msg), "%s%s is %.4g and no longer heading for %.4g within %.0f s.",
			 info.metric, who, v, limit, cfg->forecast_horizon_s);
	else
		snprintf(msg, sizeof(msg), "%s%s is %.4g and rising %.3g/s; it reaches %.4g in about %.0f s.",
			 info.metric, who, v, fr.slope, limit, fr.eta_s);
	info.message = msg;
	d = cJSON_CreateObject();
	o = d ? cJSON_AddObjectToObject(d, "forecast") : NULL;
	if (o) {
		if (isfinite(fr.eta_s))
			cJSON_AddNumberToObject(o, "eta_s", line__round(fr.eta_s, 1));
		else
			cJSON_AddNullToObject(o, "eta_s");
		core_add_round(o, "limit", limit);
		core_add_round(o, "slope_per_s", fr.slope);
		core_add_round(o, "fitted", fr.now);
		core_add_round(o, "t_stat", isfinite(fr.t_stat) ? fr.t_stat : 1e9);
		core_add_round(o, "n_eff", fr.n_eff);
		core_add_round(o, "horizon_s", cfg->forecast_horizon_s);
	}
	info.details = d;
	core_emit_alert(c, a, ev, &info);
}

/* ---- univariate detectors ---- */

bool core__score_bad(const struct core_config *cfg, double score, bool firing)
{
	(void)cfg;
	(void)firing;
	return score >= DETECT_THRESHOLD;
}

void core__detector_policy(const struct core_config *cfg, struct alert_policy *p)
{
	/* Persistence, hysteresis and the pause after an episode are the
	 * detector's (docs/detectors.md): the alert mirrors its episodes. */
	*p = cfg->policy[ALERT_ANOMALY];
	p->m = p->n = 1;
	p->clear_n = 1;
	p->flap_mult = 1;
}

/* The line of event ev of detector m's alert a. */
static void detect_alert_line(struct core *c, unsigned m, struct detect *d,
			      struct alert_state *a, double v, double score,
			      const struct series *se, int ev)
{
	const struct core_config *cfg = &c->cfg;
	struct alert_info info = { .kind = ALERT_ANOMALY, .severity = SEV_WARNING,
				   .metric = metric__name(m), .value = v,
				   .expected = NAN, .score = score, .threshold = 0.5 };
	char msg[MSG_LEN], who[WHO_LEN];
	struct svc_id id;

	info.svc = line_svc(se, &id, who, sizeof(who));
	if (score >= cfg->severe_score)
		info.severity = SEV_CRITICAL;
	info.expected = detect__expected(d);
	if (ev == ALERT_EV_RESOLVED && d->last_end == DETECT_END_ADOPTED)
		snprintf(msg, sizeof(msg), "%s%s is %.4g: the change has lasted, its level is the new normal.",
			 info.metric, who, v);
	else if (ev == ALERT_EV_RESOLVED)
		snprintf(msg, sizeof(msg), "%s%s is %.4g, back in line with its recent behaviour.",
			 info.metric, who, v);
	else if (d->ep_kind & DETECT_EP_OUTLASTED)
		snprintf(msg, sizeof(msg),
			 "%s%s is %.4g against an expected %.4g: a change that began an hour ago, "
			 "at the hour of a daily job, and has outlasted any job's run (score %.2f).",
			 info.metric, who, v, info.expected, score);
	else
		snprintf(msg, sizeof(msg),
			 "%s%s is %.4g against an expected %.4g: a %s its recent behaviour (score %.2f).",
			 info.metric, who, v, info.expected,
			 d->why == DETECT_SHIFT ? "level shift from" : "spike against", score);
	info.message = msg;
	info.details = cJSON_CreateObject();
	if (info.details)
		cJSON_AddItemToObject(info.details, "detector", detector_json(d, &c->dcfg[m], score));
	core_emit_alert(c, a, ev, &info);
}

void core_detect_alert(struct core *c, unsigned m, struct detect *d, struct alert_state *a,
		       double v, double score, const struct series *se)
{
	int ev;

	/* Every point of every series comes here; a line is rare, and what it
	 * needs is built only then. */
	if (c->cfg.alert_dir[m] == CORE_DIR_OFF)
		return;
	ev = alert__observe(a, &c->det_policy, detect__firing(d), false, c->now);
	if (ev)
		detect_alert_line(c, m, d, a, v, score, se, ev);
}

