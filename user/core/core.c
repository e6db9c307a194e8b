// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Per service: the latency model, a detector per metric, the connection
 * forecast and an alert state per fingerprint, in one allocation found by an
 * open-addressing table keyed by the service's identity (role, port, netns,
 * cgroup, overflow flag: svc_id__same); its names are shared per cgroup
 * (names.c). Per host: detectors, threshold rules and the memory forecast.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "lib/line.h"

const char *const core_model_targets[MODEL_OUTS] = { "latency_mean_us", "latency_p99_us" };

const struct core_feature core_features[N_FEATURES] = {
	{ CORE_F_RPS, "rps" },
	{ CORE_F_CPU, "cpu_pct" },
	{ CORE_F_DB, "db_connections" },
	{ CORE_F_DEP_LAT, "dependency_latency_us" },
	{ CORE_F_ACTIVE, "connections_active" },
};

void core__default_config(struct core_config *cfg)
{
	static const uint16_t ports[] = { 5432, 3306, 6379, 27017, 9042, 11211 };
	unsigned i;

	memset(cfg, 0, sizeof(*cfg));
	model__default_config(&cfg->model);
	detect__default_config(&cfg->detect);
	for (i = 0; i < 3; i++)
		alert__default_policy(&cfg->policy[i], i);
	cfg->rules[0] = (struct rule_threshold){ .metric = METRIC_CPU, .fire = 80, .clear = 70,
						 .hold = 3, .severity = SEV_WARNING };
	cfg->rules[1] = (struct rule_threshold){ .metric = METRIC_MEM, .fire = 80, .clear = 75,
						 .hold = 3, .severity = SEV_WARNING };
	cfg->n_rules = 2;
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		cfg->dep_ports[i] = ports[i];
	cfg->n_dep_ports = (uint8_t)i;
	/* Load and utilisation are scored, not alerted on: being busy is not an
	 * anomaly. Latency alerts come from the load model. */
	memset(cfg->alert_dir, CORE_DIR_OFF, sizeof(cfg->alert_dir));
	cfg->alert_dir[METRIC_RPS] = DETECT_DOWN;
	cfg->alert_dir[METRIC_FAILED] = DETECT_UP;
	cfg->alert_dir[METRIC_RESETS] = DETECT_UP;
	cfg->alert_dir[METRIC_RETRANS] = DETECT_UP;
	cfg->features = CORE_F_RPS | CORE_F_CPU | CORE_F_DB;
	cfg->max_series = 4096;
	cfg->stale_intervals = 60;
	cfg->anomaly_z = 6.0;
	cfg->critical_z = 12.0;
	cfg->clear_frac = 0.5;
	cfg->model_lambda_interval_s = 10;
	cfg->model_adopt_s = 600;
	cfg->model_budget_step = 0.25;
	cfg->model_budget_half_life_s = 3 * 86400;
	cfg->severe_score = 2.0; /* off: see docs/detectors.md */
	cfg->forecast_lambda = 0.98;
	cfg->forecast_horizon_s = 600;
	cfg->forecast_t_min = 4.0;
	cfg->mem_limit_pct = 100;
	cfg->conn_limit = 0;
}

static double metric_floor(unsigned m)
{
	switch (m) {
	case METRIC_CPU:
	case METRIC_MEM:
		return 0.5;
	case METRIC_LOAD1:
		return 0.05;
	}
	return 1.0;
}

static bool policy_ok(const struct alert_policy *p)
{
	return p->n >= 1 && p->n <= 8 && p->m >= 1 && p->m <= p->n && p->flap_decay >= 0 &&
	       p->flap_decay < 1;
}

static bool config_ok(const struct core_config *cfg)
{
	unsigned i;

	if (!cfg->max_series || cfg->max_series > MAX_SERIES_LIMIT ||
	    cfg->n_rules > CORE_MAX_RULES || cfg->n_dep_ports > CORE_MAX_DEP_PORTS)
		return false;
	if (!(cfg->model.lambda > 0 && cfg->model.lambda <= 1) ||
	    !(cfg->detect.alpha > 0 && cfg->detect.alpha <= 1) ||
	    !(cfg->forecast_lambda > 0 && cfg->forecast_lambda < 1))
		return false;
	for (i = 0; i < 3; i++)
		if (!policy_ok(&cfg->policy[i]))
			return false;
	for (i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].metric >= METRIC_COUNT)
			return false;
	return true;
}

static void derive(struct core *c)
{
	const struct core_config *cfg = &c->cfg;
	unsigned i;

	for (i = 0; i < METRIC_COUNT; i++) {
		c->dcfg[i] = cfg->detect;
		c->dcfg[i].dir = cfg->alert_dir[i] == CORE_DIR_OFF ? DETECT_BOTH : cfg->alert_dir[i];
		c->dcfg[i].min_scale = fmax(cfg->detect.min_scale, metric_floor(i));
	}
	for (i = 0; i < cfg->n_rules; i++) {
		unsigned hold = cfg->rules[i].hold ? cfg->rules[i].hold : 1;

		c->rule_policy[i] = cfg->policy[ALERT_THRESHOLD];
		c->rule_policy[i].m = c->rule_policy[i].n = (uint8_t)(hold > 8 ? 8 : hold);
	}
	core__detector_policy(cfg, &c->det_policy);
	c->nx = 0;
	for (i = 0; i < N_FEATURES; i++)
		if (cfg->features & core_features[i].flag)
			c->nx++;
}

struct core *core__new(const struct core_config *cfg)
{
	struct core *c;
	uint32_t cap = 16;
	unsigned i;

	if (!config_ok(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->model = cfg->model;
	c->model_dt = -1;
	derive(c);
	for (i = 0; i < HOST_METRICS; i++)
		detect__init(&c->hdet[i]);
	while (cap < 2 * cfg->max_series)
		cap <<= 1;
	c->mask = cap - 1;
	c->slots = calloc(cap, sizeof(*c->slots));
	c->series = calloc(cfg->max_series, sizeof(*c->series));
	if (!c->slots || !c->series) {
		core__free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void core__free(struct core *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = 0; c->series && i < c->st.series; i++)
		free(c->series[i]);
	free(c->series);
	free(c->slots);
	names__free(&c->names);
	deps__free(&c->deps);
	free(c);
}

void core__stats(const struct core *c, struct core_stats *st)
{
	*st = c->st;
	st->names = c->names.n;
}

size_t core__series_bytes(const struct core *c)
{
	size_t n = c->st.series, names = n ? (names__bytes(&c->names) + n - 1) / n : 0;

	/* The table keeps two slots per series and one pointer; the names
	 * table's bytes are shared by every series, rounded up. */
	return sizeof(struct series) + (c->mask + 1) / c->cfg.max_series * sizeof(uint32_t) +
	       sizeof(struct series *) + names;
}

/* svc_id__same of a series' key and a service. */
static bool key_is(const struct series_key *k, const struct svc_id *id)
{
	return k->port == id->port && k->role == id->role && k->netns == id->netns &&
	       k->cgroup == id->cgroup && (k->flags & SVC_F_OTHER) == (id->flags & SVC_F_OTHER);
}

/* The table slot holding the service of hash h, id, or the empty slot where
 * it would go. */
static uint32_t find(const struct core *c, uint32_t h, const struct svc_id *id)
{
	uint32_t i = h & c->mask, idx;
	const struct series *se;

	for (; (idx = c->slots[i]); i = (i + 1) & c->mask) {
		se = c->series[idx - 1];
		if (se->hash == h && key_is(&se->key, id))
			break;
	}
	return i;
}

/* The service's state, created on first sight; NULL when the table is full
 * or out of memory. */
static struct series *lookup(struct core *c, const struct svc_id *id)
{
	uint32_t h = svc_id__hash(id), i = find(c, h, id);
	struct series *se;
	unsigned m;

	if (c->slots[i])
		return c->series[c->slots[i] - 1];
	if (c->st.series >= c->cfg.max_series)
		return NULL;
	se = calloc(1, sizeof(*se));
	if (!se)
		return NULL;
	se->key = (struct series_key){ .cgroup = id->cgroup, .netns = id->netns,
				       .port = id->port, .role = id->role, .flags = id->flags };
	se->hash = h;
	se->last_step = UINT32_MAX;
	se->view.expected_us[0] = se->view.expected_us[1] = NAN;
	model__init(&se->model, c->nx);
	for (m = 0; m < METRIC_SVC_COUNT; m++)
		detect__init(&se->det[m]);
	c->series[c->st.series++] = se;
	c->slots[i] = (uint32_t)c->st.series;
	return se;
}

int core__view(const struct core *c, const struct svc_id *id, struct core_view *v)
{
	uint32_t i = find(c, svc_id__hash(id), id);

	if (!c->slots[i])
		return -ENOENT;
	*v = c->series[c->slots[i] - 1]->view;
	return 0;
}

void core__host_scores(const struct core *c, float *scores)
{
	memcpy(scores, c->hscore, sizeof(c->hscore));
}

/* Empties table slot i, moving later entries of its probe run back so every
 * entry stays reachable from its home slot (linear probing's deletion). */
static void unslot(struct core *c, uint32_t i)
{
	uint32_t j = i, home;

	for (;;) {
		j = (j + 1) & c->mask;
		if (!c->slots[j])
			break;
		home = c->series[c->slots[j] - 1]->hash & c->mask;
		/* The entry at j may fill the hole at i unless its home lies
		 * cyclically in (i, j]. */
		if (((j - home) & c->mask) >= ((j - i) & c->mask)) {
			c->slots[i] = c->slots[j];
			i = j;
		}
	}
	c->slots[i] = 0;
}


/* The values of the service metrics in s, by metric; NAN where the sample
 * has none. */
static void svc_values(const struct svc_sample *s, double *v)
{
	bool lat = s->has_latency;

	v[METRIC_RPS] = s->rps;
	v[METRIC_LAT_MEAN] = lat ? s->lat_mean_us : NAN;
	v[METRIC_LAT_P50] = lat ? s->lat_p50_us : NAN;
	v[METRIC_LAT_P90] = lat ? s->lat_p90_us : NAN;
	v[METRIC_LAT_P99] = lat ? s->lat_p99_us : NAN;
	v[METRIC_ACTIVE] = (double)s->active;
	v[METRIC_FAILED] = (double)s->failed;
	v[METRIC_RESETS] = (double)s->resets;
	v[METRIC_RETRANS] = (double)s->retransmits;
}

static double host_value(const struct host_sample *h, unsigned m)
{
	switch (m) {
	case METRIC_CPU:
		return h->cpu_pct;
	case METRIC_MEM:
		return h->mem_pct;
	case METRIC_LOAD1:
		return h->load1;
	}
	return NAN;
}

/* ---- per interval ---- */

static bool sample_ok(const struct svc_sample *s)
{
	if (!isfinite(s->rps) || s->rps < 0 || !isfinite(s->ts))
		return false;
	if (!s->has_latency)
		return true;
	return isfinite(s->lat_mean_us) && s->lat_mean_us >= 0 && isfinite(s->lat_p99_us) &&
	       s->lat_p99_us >= 0 && isfinite(s->lat_p50_us) && isfinite(s->lat_p90_us);
}

static void svc_step(struct core *c, struct series *se, const struct svc_sample *s, double db,
		     double dep_lat)
{
	double scores[METRIC_SVC_COUNT] = { 0 }, x[MODEL_MAX_X], v[METRIC_SVC_COUNT];
	unsigned m, i;

	/* A service's state is cold (a thousand others ran since): ask for
	 * every detector's hot lines at once, so the misses overlap. */
	for (m = 0; m < METRIC_SVC_COUNT; m++)
		detect__prefetch(&se->det[m]);
	svc_values(s, v);
	for (m = 0; m < METRIC_SVC_COUNT; m++) {
		if (isnan(v[m]))
			continue;
		scores[m] = detect__update(&se->det[m], &c->dcfg[m], s->ts, v[m]);
		se->view.score[m] = (float)scores[m];
	}
	if (s->has_latency) {
		core_load_features(c, s, db, dep_lat, x);
		core_svc_model(c, se, s, x, scores);
	}
	for (m = 0; m < METRIC_SVC_COUNT; m++)
		if (!isnan(v[m]))
			core_detect_alert(c, m, &se->det[m], se->al + SA_DETECT + m, v[m],
					  scores[m], se);
	if (c->cfg.conn_limit > 0)
		core_forecast_alert(c, &se->conns, se->al + SA_FORECAST, METRIC_ACTIVE,
				    (double)s->active, c->cfg.conn_limit, se);
	for (i = 0; i < c->cfg.n_rules; i++) {
		m = c->cfg.rules[i].metric;
		if (!metric__is_host(m))
			core_rule_alert(c, i, se->al + SA_RULE + i, v[m], se);
	}
}

static void host_step(struct core *c, const struct host_sample *h)
{
	double scores[HOST_METRICS], v;
	unsigned m, i;

	for (m = METRIC_SVC_COUNT; m < METRIC_COUNT; m++) {
		v = host_value(h, m);
		i = m - METRIC_SVC_COUNT;
		scores[i] = detect__update(&c->hdet[i], &c->dcfg[m], h->ts, v);
		c->hscore[i] = (float)scores[i];
		if (isfinite(v))
			core_detect_alert(c, m, &c->hdet[i], c->hal + HA_DETECT + i, v, scores[i], NULL);
	}
	if (isfinite(h->mem_pct))
		core_forecast_alert(c, &c->mem_fc, c->hal + HA_FORECAST, METRIC_MEM, h->mem_pct,
			       c->cfg.mem_limit_pct, NULL);
	for (i = 0; i < c->cfg.n_rules; i++) {
		m = c->cfg.rules[i].metric;
		if (metric__is_host(m))
			core_rule_alert(c, i, c->hal + HA_RULE + i, host_value(h, m), NULL);
	}
}

/* Request-weighted mean latency of the client services of s's scope that
 * share its comm: the latency of the service's own dependencies. 0 when
 * there are none. */
static double dep_latency(const struct svc_sample *self, const struct svc_sample *s, size_t n)
{
	double sum = 0, req = 0;
	size_t i;

	if (!self->id.comm[0] || self->id.role != TT_ROLE_SERVER)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i].id.role != TT_ROLE_CLIENT || !s[i].has_latency ||
		    strncmp(s[i].id.comm, self->id.comm, TT_COMM_LEN) ||
		    !deps__same_scope(&s[i].id, &self->id))
			continue;
		sum += s[i].lat_mean_us * (double)s[i].requests;
		req += (double)s[i].requests;
	}
	return req > 0 ? sum / req : 0;
}

static void slot_meta(unsigned slot, const struct core_config *cfg, unsigned *kind,
		      const char **metric)
{
	if (slot < SA_DETECT) {
		*kind = ALERT_ANOMALY;
		*metric = core_model_targets[slot - SA_MODEL];
	} else if (slot < SA_FORECAST) {
		*kind = ALERT_ANOMALY;
		*metric = metric__name(slot - SA_DETECT);
	} else if (slot == SA_FORECAST) {
		*kind = ALERT_FORECAST;
		*metric = metric__name(METRIC_ACTIVE);
	} else {
		*kind = ALERT_THRESHOLD;
		*metric = metric__name(cfg->rules[slot - SA_RULE].metric);
	}
}

/* Resolves every alert of se that still fires, saying why. */
static void resolve_all(struct core *c, struct series *se, const char *why)
{
	struct alert_info info = { .expected = NAN, .value = NAN, .threshold = NAN };
	char msg[MSG_LEN], who[WHO_LEN];
	unsigned kind, a;
	struct svc_id id;

	core_series_id(se, &id);
	core_svc_label(&id, who, sizeof(who));
	for (a = 0; a < SA_COUNT; a++) {
		if (alert__expire(se->al + a) != ALERT_EV_RESOLVED)
			continue;
		slot_meta(a, &c->cfg, &kind, &info.metric);
		info.kind = (uint8_t)kind;
		info.svc = &id;
		snprintf(msg, sizeof(msg), "%s of %s resolved: the service %s.", info.metric, who,
			 why);
		info.message = msg;
		info.details = NULL;
		core_emit_alert(c, se->al + a, ALERT_EV_RESOLVED, &info);
	}
}

/* Resolves what still fires for services that stopped reporting. */
static void expire_stale(struct core *c)
{
	uint32_t i;

	for (i = 0; i < c->st.series; i++) {
		struct series *se = c->series[i];

		if (se->stale || c->step - se->last_step <= c->cfg.stale_intervals)
			continue;
		se->stale = 1;
		resolve_all(c, se, "stopped reporting");
	}
}

int core__forget(struct core *c, const struct svc_id *id, core_line_fn cb, void *ctx)
{
	uint32_t i = find(c, svc_id__hash(id), id), idx, last;
	struct series *se;

	if (!c->slots[i])
		return -ENOENT;
	idx = c->slots[i] - 1;
	se = c->series[idx];
	c->cb = cb;
	c->ctx = ctx;
	c->err = 0;
	resolve_all(c, se, "was retired");
	unslot(c, i);
	/* The last series takes the freed place, so series stays dense. */
	last = (uint32_t)c->st.series - 1;
	if (idx != last) {
		/* Its slot is the one on its probe run that holds last + 1. */
		c->series[idx] = c->series[last];
		for (i = c->series[idx]->hash & c->mask; c->slots[i] != last + 1;
		     i = (i + 1) & c->mask)
			;
		c->slots[i] = idx + 1;
	}
	c->series[last] = NULL;
	c->st.series--;
	c->st.forgotten++;
	names__put(&c->names, se->names);
	free(se);
	return c->err;
}

static bool unnamed(const struct svc_names *n)
{
	return !n->cgroup[0] && !n->container[0] && !n->pod_uid[0] && !n->unit[0];
}

/* A sample of the same service brings the latest comm, and names once they
 * are known: a cgroup's names never change, so the series takes the first
 * it is given, shared with the other services of its cgroup. */
static void take_labels(struct core *c, struct series *se, const struct svc_id *s)
{
	memcpy(se->key.comm, s->comm, TT_COMM_LEN);
	se->key.host_netns = s->host_netns;
	if (se->names || unnamed(&s->names))
		return;
	se->names = names__get(&c->names, s->cgroup, &s->names);
	if (!se->names && !c->err)
		c->err = -ENOMEM;
}

static double step_time(const struct host_sample *h, const struct svc_sample *s, size_t n)
{
	double t = h && isfinite(h->ts) ? h->ts : -INFINITY;
	size_t i;

	if (h && isfinite(h->ts))
		return t;
	for (i = 0; i < n; i++)
		if (isfinite(s[i].ts) && s[i].ts > t)
			t = s[i].ts;
	return t;
}

int core__step(struct core *c, const struct host_sample *h, const struct svc_sample *s,
	       size_t n, const char *host, core_line_fn cb, void *ctx)
{
	double dep = 0;
	struct series *se;
	size_t i;

	c->now = step_time(h, s, n);
	if (!isfinite(c->now))
		return 0;
	c->host = host ? host : "";
	c->cb = cb;
	c->ctx = ctx;
	c->err = 0;
	c->step++;
	c->st.steps++;
	if (h) {
		if (isfinite(h->cpu_pct))
			c->cpu = h->cpu_pct;
		host_step(c, h);
	}
	c->deps.n = 0;
	if ((c->cfg.features & CORE_F_DB) &&
	    deps__build(&c->deps, s, n, c->cfg.dep_ports, c->cfg.n_dep_ports) && !c->err)
		c->err = -ENOMEM;
	for (i = 0; i < n; i++) {
		c->st.samples++;
		if (!sample_ok(&s[i])) {
			c->st.invalid++;
			continue;
		}
		se = lookup(c, &s[i].id);
		if (!se) {
			c->st.overflow++;
			continue;
		}
		if (se->last_step == c->step) {
			c->st.duplicates++;
			continue;
		}
		se->last_step = c->step;
		se->stale = 0;
		take_labels(c, se, &s[i].id);
		if (c->cfg.features & CORE_F_DEP_LAT)
			dep = dep_latency(&s[i], s, n);
		svc_step(c, se, &s[i], deps__connections(&c->deps, &s[i].id), dep);
	}
	expire_stale(c);
	return c->err;
}
