// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Every configuration key: name, type, range and meaning. Adding a key is one
 * line here (and its field and default in the struct that owns it); the
 * parser, the flags, --print-config and docs/config.md follow from it.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config_keys.h"
#include "out/alertmanager.h"
#include "out/http.h"
#include "out/sink.h"
#include "telltale.h"

#define OFF(f) offsetof(struct config, f)
#define SIZEOF(f) sizeof(((struct config *)0)->f)
/* clang-format off */
#define NUM(n, f, l, h, d) { .name = n, .doc = d, .kind = K_DOUBLE, .off = OFF(f), .lo = l, .hi = h }
#define U8(n, f, l, h, d) { .name = n, .doc = d, .kind = K_U8, .off = OFF(f), .lo = l, .hi = h }
#define U32(n, f, l, h, d) { .name = n, .doc = d, .kind = K_U32, .off = OFF(f), .lo = l, .hi = h }
#define BOOL(n, f, d) { .name = n, .doc = d, .kind = K_BOOL, .off = OFF(f) }
#define STR(n, f, d) { .name = n, .doc = d, .kind = K_STR, .off = OFF(f), .size = SIZEOF(f) }
#define SINK(n, f, d) { .name = n, .doc = d, .kind = K_SINK, .off = OFF(f), .size = SIZEOF(f) }
#define PORTS(n, f, cnt, max, c8, d) \
	{ .name = n, .doc = d, .kind = K_PORTS, .off = OFF(f), .off2 = OFF(cnt), .size = max, .cnt8 = c8 }
#define NAMES(n, f, cnt, chk, d) \
	{ .name = n, .doc = d, .kind = K_STRS, .off = OFF(f), .off2 = OFF(cnt), \
	  .size = ARRAY_LEN(((struct config *)0)->f), .elem = SIZEOF(f[0]), .check = chk }
#define NETNS(n, f, cnt, d) \
	{ .name = n, .doc = d, .kind = K_NETNS, .off = OFF(f), .off2 = OFF(cnt), \
	  .size = ARRAY_LEN(((struct config *)0)->f), .lo = 1, .hi = 4294967295.0 }
#define SPECIAL(n, k, d) { .name = n, .doc = d, .kind = k }
#define OBJ(n, s, d) { .name = n, .doc = d, .kind = K_OBJ, .sub = s }
#define END { .name = NULL }

static const struct key output_keys[] = {
	SINK("alerts", alerts,
	     "Where alert lines go: `\"-\"` stdout, `\"none\"` nowhere, else a file path."),
	SINK("metrics", metrics,
	     "Same, for metrics, host and agent lines. Two file sinks may not name the same path."),
	{ .name = "rotate_size", .kind = K_SIZE, .zero_ok = true, .off = OFF(rotate_size),
	  .lo = 1024, .hi = 1099511627776.0,
	  .doc = "A file sink is rotated (and the old file gzip-compressed) once it passes this "
		 "size; 0 never rotates. A string may carry a suffix: `\"64M\"`, `\"1G\"`, "
		 "`\"512K\"`, `\"10MiB\"` (powers of 1024)." },
	U32("rotate_keep", rotate_keep, 1, SINK_MAX_KEEP,
	    "Rotated files kept per sink; older ones, left by a run with a larger value, go at "
	    "the first rotation."),
	END,
};

static bool all_of(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

static const char *check_container(const char *s, char *buf, size_t n)
{
	(void)buf, (void)n;
	if (!*s || !all_of(s, "0123456789abcdef"))
		return "not a container id prefix (1 to 64 lower-case hex digits)";
	return NULL;
}

static const char *check_unit(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);

	(void)buf, (void)len;
	if (!n || strchr(s, '/') ||
	    !((n > 8 && !strcmp(s + n - 8, ".service")) || (n > 6 && !strcmp(s + n - 6, ".scope"))))
		return "not a systemd unit name (one ending in .service or .scope, without a /)";
	return NULL;
}

static const char *check_cgroup(const char *s, char *buf, size_t n)
{
	(void)buf, (void)n;
	if (s[0] != '/')
		return "not a cgroup path under the cgroup v2 root (one starting with /)";
	return NULL;
}

static const struct key services_keys[] = {
	PORTS("include_ports", include_ports, n_include, CONFIG_MAX_PORTS, false,
	      "Only services on these ports are reported; empty reports all."),
	PORTS("exclude_ports", exclude_ports, n_exclude, CONFIG_MAX_PORTS, false,
	      "Services on these ports are never reported. A port may not be in both lists."),
	NAMES("include_containers", include.containers, include.n_containers, check_container,
	      "Only services in containers whose id starts with one of these (lower-case hex) are "
	      "reported; empty reports all."),
	NAMES("exclude_containers", exclude.containers, exclude.n_containers, check_container,
	      "Services in containers whose id starts with one of these are never reported."),
	NAMES("include_units", include.units, include.n_units, check_unit,
	      "Only services of these systemd units (`nginx.service`) are reported; empty reports "
	      "all."),
	NAMES("exclude_units", exclude.units, exclude.n_units, check_unit,
	      "Services of these systemd units are never reported."),
	NAMES("include_cgroups", include.cgroups, include.n_cgroups, check_cgroup,
	      "Only services whose cgroup path (under the cgroup v2 root) is one of these or below "
	      "one are reported: `/system.slice` takes in `/system.slice/nginx.service`, not "
	      "`/system.slice-x`; empty reports all."),
	NAMES("exclude_cgroups", exclude.cgroups, exclude.n_cgroups, check_cgroup,
	      "Services whose cgroup path is one of these or below one are never reported."),
	NETNS("include_netns", include.netns, include.n_netns,
	      "Only services in these network namespaces (inode numbers, as `readlink "
	      "/proc/PID/ns/net` shows) are reported; empty reports all."),
	NETNS("exclude_netns", exclude.netns, exclude.n_netns,
	      "Services in these network namespaces are never reported. All the lists filter "
	      "together: a service is reported when it matches every non-empty include list and no "
	      "exclude list; one whose container, unit or cgroup is unknown matches no list of it."),
	U32("max_series", core.max_series, 1, 1 << 20,
	    "Services the anomaly core keeps state for; samples of more are counted and dropped."),
	U32("stale_intervals", core.stale_intervals, 1, 1e6,
	    "A service absent this many intervals is forgotten; its firing alerts resolve."),
	END,
};

static const struct key model_keys[] = {
	SPECIAL("features", K_FEATURES,
		"Load features, any of: `rps` (the service's requests/s), `cpu` (host CPU %), "
		"`db` (active client connections to `dependency_ports`), `dep_latency` (mean "
		"latency of client services with the same command), `active` (the service's own "
		"active connections)."),
	NUM("lambda", core.model.lambda, 0.5, 1,
	    "Forgetting factor per sample, at `lambda_interval_s` and slower."),
	NUM("lambda_interval_s", core.model_lambda_interval_s, 0, 1e9,
	    "Samples faster than this (s) forget `lambda` per this time, not per sample: at 1 s "
	    "the fit remembers about 80 minutes, not 8, so a latency that creeps up over an hour "
	    "is still an anomaly to it. 0 = per sample at every interval."),
	NUM("p0", core.model.p0, 1e-6, 1e12, "Initial covariance diagonal."),
	NUM("p_max", core.model.p_max, 1e-6, 1e12,
	    "Bound on every covariance diagonal; at least `p0`."),
	NUM("norm_alpha", core.model.norm_alpha, 1e-6, 1,
	    "EWMA weight of the feature normalisation."),
	NUM("resid_alpha", core.model.resid_alpha, 1e-6, 1, "EWMA weight of the residual scale."),
	NUM("bias_alpha", core.model.bias_alpha, 1e-6, 1,
	    "EWMA weight of the residuals' running mean, about which that scale is taken: a "
	    "latency that rises over many samples biases the residuals, and a mean that lags "
	    "behind counts the rise as spread."),
	NUM("huber_k", core.model.huber_k, 0.5, 100,
	    "Residuals are clipped at this many scales before they update the fit."),
	NUM("reject_z", core.model.reject_z, 0, 1000,
	    "A latency this many robust sigmas above what the load explains (an anomaly's, as "
	    "`anomaly_z`) teaches the fit nothing; the alert and its adoption deal with it. "
	    "0 turns it off."),
	NUM("min_rel_scale", core.model.min_rel_scale, 0, 1,
	    "Residual scale floor, fraction of the prediction: with `anomaly_z` 6 an anomaly is "
	    "at least 30 % off the prediction."),
	NUM("min_abs_scale", core.model.min_abs_scale, 0, 1e9, "Residual scale floor, µs."),
	U32("warmup", core.model.warmup, 0, 1e6, "Samples before the model's verdicts count."),
	U32("settle", core.model.settle, 0, 65535,
	    "Samples after a latency alert resolves in which the model still learns nothing and "
	    "no new alert starts: the recovery is not the new normal, nor a new anomaly."),
	NUM("anomaly_z", core.anomaly_z, 0.5, 1000,
	    "A latency residual beyond this many robust sigmas is an anomaly."),
	NUM("critical_z", core.critical_z, 0.5, 1000,
	    "From here the anomaly is critical; at least `anomaly_z`."),
	NUM("budget_step", core.model_budget_step, 0, 100,
	    "The latency alerts' budget: each one raises `anomaly_z` for the next by this "
	    "fraction (0.25: 6 -> 7.5), so a service whose latency jumps now and then for a few "
	    "intervals alerts a few times, not every time. 0 turns it off."),
	NUM("budget_half_life_s", core.model_budget_half_life_s, 1, 1e9,
	    "Time in which that raise halves, s."),
	NUM("adopt_s", core.model_adopt_s, 0, 1e9,
	    "A latency anomaly that lasts this long (s) is a lasting change: its level is adopted, "
	    "the alert resolves and the model learns again (0 = never). While an alert is "
	    "firing the model learns nothing."),
	END,
};

static const struct key detector_keys[] = {
	NUM("alpha", core.detect.alpha, 1e-6, 1, "Level EWMA weight per point."),
	NUM("scale_alpha", core.detect.scale_alpha, 1e-6, 1, "Residual scale EWMA weight per point."),
	NUM("huber_k", core.detect.huber_k, 0.5, 100,
	    "Residuals are clipped at this many scales before they teach the level, scale and profiles."),
	NUM("allowance", core.detect.allowance, 0, 100,
	    "Surprise (-log10 of a point's tail probability) a point must exceed to add up."),
	NUM("level", core.detect.level, 0.1, 100,
	    "Summed surprise that starts an episode (an alert): the score is 0.5 there."),
	NUM("cap", core.detect.cap, 1, 100, "Bound of the summed surprise, in multiples of `level`; a budget raise past (cap - 1) x level mutes the detector until it decays."),
	NUM("calm", core.detect.calm, 0, 100, "Surprise below which a point counts as normal."),
	U32("calm_n", core.detect.calm_n, 1, 1e6, "Normal points in a row that end an episode."),
	U32("refractory", core.detect.refractory, 0, 1e6,
	    "Points after an episode during which no new one starts."),
	U32("adopt", core.detect.adopt, 0, 1e6,
	    "Points after which a lasting episode's level becomes the normal one (0 = never)."),
	NUM("adopt_s", core.detect.adopt_s, 0, 1e9,
	    "... and the least time (s) before it does: the longest a daily job's run may be "
	    "and still be told from a lasting change (docs/detectors.md)."),
	NUM("episode_alpha", core.detect.episode_alpha, 1e-6, 1,
	    "Weight of a point in an episode's own level."),
	NUM("tail_eta", core.detect.tail_eta, 0, 1, "Step of the learnt tail quantiles."),
	NUM("gap_restart", core.detect.gap_restart, 1, 1e9,
	    "After a silence of this many intervals the level is re-learnt over 10 points: "
	    "from where it was when the first point agrees (judged), else from that point "
	    "(not judged; the whole warm-up when the first one is not over)."),
	NUM("level_interval_s", core.detect.level_interval, 1e-3, 1e9,
	    "Interval at which `level` applies as is; faster points raise it by log10(this / interval), "
	    "so the false alerts per day do not grow with the rate."),
	NUM("budget_step", core.detect.budget_step, 0, 100,
	    "The alert budget: every episode raises `level` by this much (log10), ..."),
	NUM("budget_half_life_s", core.detect.budget_half_life, 1, 1e9,
	    "... and the raise halves in this time, s."),
	BOOL("seasonal", core.detect.seasonal, "Learn daily and weekly profiles and use them when they fit."),
	NUM("season_gain", core.detect.season.gain, 1e-6, 1, "Weight of a new visit of a profile bin."),
	NUM("season_week_gain", core.detect.season.week_gain, 1e-6, 1,
	    "Weight of a day's lesson to its kind of day's profile (weekday, weekend) "
	    "and to its weekday's swing."),
	NUM("season_select", core.detect.season.select, 0, 1,
	    "A profile is used once its error is below this share of the simpler forecast's."),
	NUM("season_keep", core.detect.season.keep, 0, 1,
	    "... and kept while below this share; at least `season_select`."),
	NUM("season_days", core.detect.season.err_days, 0.01, 1000,
	    "Memory of the profile's error comparison, in days of points."),
	NUM("season_episode_gain", core.detect.season.episode_gain, 0, 1,
	    "Share of the profiles' gain a point within an episode teaches once they are 3 days old."),
	STR("timezone", timezone,
	    "The clock the daily and weekly profiles keep: `\"UTC\"`, `\"local\"` (the host's: "
	    "`TZ`, else /etc/localtime) or a name from /usr/share/zoneinfo (`\"Europe/Berlin\"`). "
	    "Traffic that keeps its users' hours moves by an hour in UTC at every daylight-saving "
	    "change, and in UTC a working week then alerts at its ramps for weeks; in its users' "
	    "zone it does not move."),
	NUM("min_scale", core.detect.min_scale, 0, 1e9,
	    "Absolute scale floor (the core raises it per metric: 0.5 for `cpu_pct`/`mem_pct`, "
	    "0.05 for `load1`, 1 otherwise)."),
	NUM("rel_scale", core.detect.rel_scale, 0, 1, "Scale floor as a fraction of the level."),
	U32("warmup", core.detect.warmup, 0, 1e6, "Points scored 0 while the state settles."),
	NUM("severe_score", core.severe_score, 0, 2,
	    "A detector alert whose score reaches this is critical; scores stay below 1, so 2 "
	    "turns it off."),
	SPECIAL("directions", K_DIRS,
		"Per metric: `\"up\"`, `\"down\"`, `\"both\"` (which departures alert) or `\"off\"` "
		"(scored, never alerts on its own). Keys are the metric names listed under "
		"`rules`; metrics left out keep their default."),
	END,
};

#define POLICY_KEYS(i)                                                                          \
	{                                                                                       \
		NUM("renotify_s", core.policy[i].renotify_s, 0, 1e7,                             \
		    "Repeat a firing line this often, seconds; 0 never."),                      \
		NUM("flap_decay", core.policy[i].flap_decay, 0, 0.999999,                        \
		    "Share of the flap count kept per observation."),                           \
		NUM("flap_limit", core.policy[i].flap_limit, 0, 1e6,                             \
		    "Flap count above which resolving waits `flap_mult` times longer."),        \
		U8("m", core.policy[i].m, 1, 8,                                                  \
		   "Fire when bad in `m` of the last `n` observations; at most `n`."),          \
		U8("n", core.policy[i].n, 1, 8, "The window of `m`."),                           \
		U8("clear_n", core.policy[i].clear_n, 1, 255,                                    \
		   "Resolve after this many good observations in a row."),                      \
		U8("flap_mult", core.policy[i].flap_mult, 1, 255,                                \
		   "`clear_n` multiplier while flapping."),                                     \
		END,                                                                            \
	}

static const struct key policy_threshold[] = POLICY_KEYS(ALERT_THRESHOLD);
static const struct key policy_anomaly[] = POLICY_KEYS(ALERT_ANOMALY);
static const struct key policy_forecast[] = POLICY_KEYS(ALERT_FORECAST);

static const struct key alerts_keys[] = {
	OBJ("threshold", policy_threshold,
	    "Threshold alerts; each rule's `hold` sets their `m` and `n`."),
	OBJ("anomaly", policy_anomaly, "Anomaly alerts (the model and the detectors)."),
	OBJ("forecast", policy_forecast, "Forecast alerts."),
	END,
};

static const struct key forecast_keys[] = {
	NUM("lambda", core.forecast_lambda, 0.5, 0.9999, "Weight kept per point by the trend fit."),
	NUM("horizon_s", core.forecast_horizon_s, 0, 1e7,
	    "Alert when the limit is nearer than this, seconds."),
	NUM("t_min", core.forecast_t_min, 0, 1000,
	    "The slope must be this many standard errors from 0."),
	NUM("mem_limit_pct", core.mem_limit_pct, 1, 100,
	    "Memory limit the forecast projects to, %."),
	NUM("conn_limit", core.conn_limit, 0, 1e9,
	    "Active connections limit per service; 0 = no connection forecast."),
	END,
};

static const struct key prometheus_keys[] = {
	{ .name = "listen", .kind = K_STR, .off = OFF(prom.listen), .size = SIZEOF(prom.listen),
	  .check = http__listen_problem,
	  .doc = "`ADDR:PORT` of the Prometheus endpoint (`/metrics`, `/healthz`, `/`); `\"\"` "
		 "serves none. `\"127.0.0.1:9464\"` for the local host only, `\":9464\"` for every "
		 "address (IPv6's and IPv4's; on a host booted without IPv6, IPv4's): the endpoint "
		 "has no TLS or authentication, so expose it only to your Prometheus servers "
		 "(firewall, or a proxy)." },
	{ .name = "buckets", .kind = K_NUMS, .off = OFF(prom.buckets), .off2 = OFF(prom.n_buckets),
	  .size = PROM_MAX_BUCKETS, .lo = 1e-6, .hi = 2000,
	  .doc = "Upper bounds of `telltale_request_duration_seconds`' buckets, seconds, "
		 "ascending; each is moved to the nearest boundary of the kernel's histogram (the "
		 "`le` label shows the exact bound), so every bucket count is exact. The default is "
		 "four buckets per power of two from 1.024 µs to 8.59 s (93 bounds)." },
	U32("max_series", prom.max_series, 100, 1e8,
	    "Series in one exposition at most; the services that do not fit are left out "
	    "(newest first) and counted in `telltale_exporter_series_dropped`."),
	END,
};

static const struct key alertmanager_keys[] = {
	{ .name = "urls", .kind = K_STRS, .off = OFF(am.urls), .off2 = OFF(am.n_urls),
	  .size = AM_MAX_URLS, .elem = AM_URL_MAX, .check = am__url_problem,
	  .doc = "Alertmanager base URLs (`http://HOST:9093`); every alert goes to each one's "
		 "`/api/v2/alerts`. List every instance of an HA pair." },
	NUM("resend_s", am.resend_s, 1, 86400,
	    "Firing alerts are sent again this often, seconds, valid for 4 times as long: "
	    "Alertmanager keeps them while the agent runs and expires them if it stops."),
	U32("queue_size", am.queue_size, 1, 1000000,
	    "Alerts held for delivery; past it the oldest resolved alert, else the new one, is "
	    "dropped and counted."),
	NUM("timeout_s", am.timeout_s, 0.1, 60, "Time one post may take, seconds."),
	END,
};

const struct key config_keys[] = {
	NUM("interval_s", interval_s, 0.1, 3600, "Collection interval, seconds."),
	NUM("duration_s", duration_s, 0, 1e9,
	    "Stop after this many seconds; 0 runs until SIGINT/SIGTERM."),
	STR("host", host, "Host name in every line; `\"\"` uses gethostname()."),
	U32("max_services", max_services, 16, 65536, "Service map entries in the kernel."),
	{ .name = "service_idle_s", .kind = K_DOUBLE, .zero_ok = true, .off = OFF(service_idle_s),
	  .lo = 0.1, .hi = 1e7,
	  .doc = "A service with no open connection and no event for this long is retired: its "
		 "state is dropped and an `agent` line with `event:\"service_retired\"` names it; "
		 "0 never retires." },
	U32("max_sockets", max_sockets, 1024, 4194304,
	    "Sockets tracked in the kernel: the tp_btf programs' socket table has twice as many "
	    "ways (40 bytes each), the classic programs' LRU hash this many entries."),
	STR("btf", btf_path,
	    "Kernel BTF file for CO-RE; `\"\"` is the running kernel's "
	    "(`/sys/kernel/btf/vmlinux`)."),
	BOOL("verbose", verbose, "Pass libbpf's debug output through."),
	BOOL("allow_multiple", allow_multiple,
	     "Run even when another agent holds the lock `/run/telltale/telltale.pid`, and take "
	     "no lock: both agents count the host, each on its own."),
	STR("user", user,
	    "After attaching and opening its files, switch to this user (it must exist); `\"\"` "
	    "stays root."),
	{ .name = "agent_interval_s", .kind = K_DOUBLE, .zero_ok = true,
	  .off = OFF(agent_interval_s), .lo = 1, .hi = 86400,
	  .doc = "Period of the `type:\"agent\"` self-telemetry line; 0 prints only the start and "
		 "stop lines." },
	OBJ("output", output_keys, "Where the two streams go, and file rotation."),
	OBJ("services", services_keys, "Which services are reported and tracked."),
	PORTS("dependency_ports", core.dep_ports, core.n_dep_ports, CORE_MAX_DEP_PORTS, true,
	      "Client connections to these ports count as \"database\" load (the `db` model "
	      "feature)."),
	SPECIAL("rules", K_RULES, "Threshold rules (see Rules below)."),
	OBJ("model", model_keys,
	    "The load-aware latency model (recursive least squares) that predicts each "
	    "service's mean and p99 latency from its load."),
	OBJ("detector", detector_keys, "The streaming univariate detector run on every metric series."),
	OBJ("alerts", alerts_keys, "The alert lifecycle per kind."),
	OBJ("forecast", forecast_keys,
	    "Discounted linear trend of a bounded metric and the time until it reaches its limit."),
	OBJ("prometheus", prometheus_keys,
	    "The Prometheus endpoint: per-service series, host, alerts and the agent's own "
	    "figures (docs/prometheus.md)."),
	OBJ("alertmanager", alertmanager_keys,
	    "Alerts pushed to Alertmanager, besides the alert lines (docs/prometheus.md)."),
	END,
};
/* clang-format on */

const char *const config_feature_names[] = { "rps", "cpu", "db", "dep_latency", "active" };
const uint32_t config_feature_bits[] = { CORE_F_RPS, CORE_F_CPU, CORE_F_DB, CORE_F_DEP_LAT,
					 CORE_F_ACTIVE };
const size_t config_n_features = ARRAY_LEN(config_feature_names);
const char *const config_dir_names[3] = { [DETECT_BOTH] = "both", [DETECT_UP] = "up",
					  [DETECT_DOWN] = "down" };
const char *const config_severity_names[2] = { [SEV_WARNING] = "warning",
					       [SEV_CRITICAL] = "critical" };

void config__default(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->interval_s = 1.0;
	cfg->max_services = TT_MAX_SERVICES;
	cfg->max_sockets = TT_MAX_SOCKETS;
	strcpy(cfg->alerts, "-");
	strcpy(cfg->metrics, "-");
	strcpy(cfg->timezone, "UTC");
	cfg->rotate_size = 64ull << 20;
	cfg->rotate_keep = 5;
	cfg->agent_interval_s = 60;
	cfg->service_idle_s = 300;
	core__default_config(&cfg->core);
	prom__default_config(&cfg->prom);
	am__default_config(&cfg->am);
}

const struct key *config_key__find(const char *dotted)
{
	const struct key *keys = config_keys, *k = NULL;
	const char *dot;
	size_t n;

	while (keys) {
		dot = strchr(dotted, '.');
		n = dot ? (size_t)(dot - dotted) : strlen(dotted);
		for (k = keys; k->name; k++)
			if (strlen(k->name) == n && !strncmp(k->name, dotted, n))
				break;
		if (!k->name)
			return NULL;
		if (!dot)
			return k;
		keys = k->sub;
		dotted = dot + 1;
	}
	return NULL;
}

void *config_key__field(struct config *cfg, const struct key *k)
{
	return (char *)cfg + k->off;
}

const void *config_key__cfield(const struct config *cfg, const struct key *k)
{
	return (const char *)cfg + k->off;
}

void config_key__store_num(struct config *cfg, const struct key *k, double v)
{
	void *f = config_key__field(cfg, k);

	switch (k->kind) {
	case K_DOUBLE:
		*(double *)f = v;
		break;
	case K_U8:
		*(uint8_t *)f = (uint8_t)v;
		break;
	case K_U32:
		*(uint32_t *)f = (uint32_t)v;
		break;
	case K_SIZE:
		*(uint64_t *)f = (uint64_t)v;
		break;
	default:
		break;
	}
}

double config_key__load_num(const struct config *cfg, const struct key *k)
{
	const void *f = config_key__cfield(cfg, k);

	switch (k->kind) {
	case K_DOUBLE:
		return *(const double *)f;
	case K_U8:
		return *(const uint8_t *)f;
	case K_U32:
		return *(const uint32_t *)f;
	case K_SIZE:
		return (double)*(const uint64_t *)f;
	default:
		return 0;
	}
}

const char *config_key__fmt_num(double v, char *buf, size_t n)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%g", v);
	return buf;
}

static bool is_whole(const struct key *k)
{
	return k->kind == K_U8 || k->kind == K_U32 || k->kind == K_SIZE;
}

const char *config_key__expect(const struct key *k, char *buf, size_t n)
{
	char lo[32], hi[32];

	if (k->kind == K_SIZE) {
		snprintf(buf, n, "%sa size from %.0fK to %.0fG", k->zero_ok ? "0 or " : "",
			 k->lo / 1024, k->hi / (1 << 30));
		return buf;
	}
	snprintf(buf, n, "%sa %snumber from %s to %s", k->zero_ok ? "0 or " : "",
		 is_whole(k) ? "whole " : "", config_key__fmt_num(k->lo, lo, sizeof(lo)),
		 config_key__fmt_num(k->hi, hi, sizeof(hi)));
	return buf;
}

bool config_key__in_range(const struct key *k, double v)
{
	if (!isfinite(v))
		return false;
	if (is_whole(k) && v != floor(v))
		return false;
	return (k->zero_ok && v == 0) || (v >= k->lo && v <= k->hi);
}

const char *config_key__str_problem(const struct key *k, const char *s, char *buf, size_t n)
{
	size_t max = k->kind == K_STRS ? k->elem : k->size;
	const char *why;

	if (strlen(s) >= max) {
		snprintf(buf, n, "longer than %zu bytes", max - 1);
		return buf;
	}
	why = k->check ? k->check(s, buf, n) : NULL;
	if (why)
		return why;
	if (k->kind == K_SINK && !*s)
		return "empty; use \"-\" for stdout, \"none\" to discard, or a file path";
	/* Room for the rotated names, PATH.999.gz.tmp. */
	if (k->kind == K_SINK && strlen(s) + sizeof(".999.gz.tmp") > PATH_MAX) {
		snprintf(buf, n, "longer than %zu bytes", PATH_MAX - sizeof(".999.gz.tmp"));
		return buf;
	}
	return NULL;
}

int config__parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	}
	if (shift && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && end[-1] == 'i'))
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static unsigned edit_distance(const char *a, const char *b)
{
	unsigned row[64], i, j, diag, tmp, best;
	size_t la = strlen(a), lb = strlen(b);

	if (la >= ARRAY_LEN(row) || lb >= ARRAY_LEN(row))
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = diag < row[j - 1] ? diag : row[j - 1];
			best = best < row[j] ? best : row[j];
			row[j] = a[i - 1] == b[j - 1] ? diag : 1 + best;
			diag = tmp;
		}
	}
	return row[lb];
}

const char *config_key__closest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	unsigned d, best_d = 3;
	size_t i;

	for (i = 0; i < n; i++) {
		d = edit_distance(s, names[i]);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}
