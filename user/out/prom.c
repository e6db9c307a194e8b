// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The families, the bucket layout, and a snapshot rendered as text: the
 * exposition format 0.0.4 or OpenMetrics 1.0. Rendering is the cost of a
 * scrape, so numbers are formatted by hand (no printf per sample) into one
 * buffer sized up front.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hist.h"
#include "out/prom_snap.h"

/* clang-format off */
const struct prom_family_def prom_families[PF_COUNT] = {
	[PF_REQUESTS] = { "telltale_requests_total", "Request/response turns completed.", NULL, PROM_COUNTER },
	[PF_DURATION] = { "telltale_request_duration_seconds", "Request latency: first byte of the request to the first byte of the answer.", "seconds", PROM_HISTOGRAM },
	[PF_CONN_ACTIVE] = { "telltale_connections_active", "Connections open at the end of the interval.", NULL, PROM_GAUGE },
	[PF_CONN_OPENED] = { "telltale_connections_opened_total", "Connections established.", NULL, PROM_COUNTER },
	[PF_CONN_CLOSED] = { "telltale_connections_closed_total", "Connections closed.", NULL, PROM_COUNTER },
	[PF_CONN_FAILED] = { "telltale_connections_failed_total", "Connects that failed (SYN_SENT to CLOSE).", NULL, PROM_COUNTER },
	[PF_RESETS] = { "telltale_tcp_resets_total", "TCP resets sent or received.", NULL, PROM_COUNTER },
	[PF_RETRANS] = { "telltale_tcp_retransmits_total", "TCP segments retransmitted.", NULL, PROM_COUNTER },
	[PF_EXPECTED] = { "telltale_latency_expected_seconds", "The latency model's prediction for the service's current load (stat: mean or p99).", "seconds", PROM_GAUGE },
	[PF_SCORE] = { "telltale_anomaly_score", "The streaming detector's last score per metric, 0 to 1; 0.5 and up is bad.", NULL, PROM_GAUGE },
	[PF_ALERT_FIRING] = { "telltale_alert_firing", "1 while the alert fires.", NULL, PROM_GAUGE },
	[PF_HOST_CPU] = { "telltale_host_cpu_ratio", "Busy share of all CPUs in the interval.", "ratio", PROM_GAUGE },
	[PF_HOST_MEM] = { "telltale_host_memory_ratio", "Memory in use: (MemTotal - MemAvailable) / MemTotal.", "ratio", PROM_GAUGE },
	[PF_HOST_LOAD] = { "telltale_host_load1", "1-minute load average.", NULL, PROM_GAUGE },
	[PF_BPF_EVENTS] = { "telltale_bpf_events_total", "Events seen per BPF program (tracepoint).", NULL, PROM_COUNTER },
	[PF_MAP_ENTRIES] = { "telltale_bpf_map_entries", "Entries in use per kernel map.", NULL, PROM_GAUGE },
	[PF_MAP_CAPACITY] = { "telltale_bpf_map_capacity", "Entries a kernel map can hold.", NULL, PROM_GAUGE },
	[PF_SVC_OVERFLOWS] = { "telltale_bpf_service_overflows_total", "Sockets not counted: the service map was full.", NULL, PROM_COUNTER },
	[PF_SOCK_FULL] = { "telltale_bpf_socket_table_full_total", "Events of sockets not tracked: both their socket table sets were full.", NULL, PROM_COUNTER },
	[PF_SOCK_EVICTIONS] = { "telltale_bpf_socket_evictions_total", "Socket entries the LRU hash evicted.", NULL, PROM_COUNTER },
	[PF_SYS_REGS] = { "telltale_bpf_syscall_regs_missed_total", "Syscall exits not counted: their saved registers were not on the task's stack (before 5.15).", NULL, PROM_COUNTER },
	[PF_SINK_LINES] = { "telltale_sink_lines_total", "Lines written per output stream.", NULL, PROM_COUNTER },
	[PF_SINK_BYTES] = { "telltale_sink_bytes_total", "Bytes written per output stream.", "bytes", PROM_COUNTER },
	[PF_SINK_DROPPED] = { "telltale_sink_dropped_total", "Lines dropped per output stream.", NULL, PROM_COUNTER },
	[PF_CORE_SERIES] = { "telltale_core_series", "Services the anomaly core tracks.", NULL, PROM_GAUGE },
	[PF_CORE_DROPPED] = { "telltale_core_samples_dropped_total", "Samples the core dropped (reason: overflow, invalid).", NULL, PROM_COUNTER },
	[PF_AM_SENT] = { "telltale_alertmanager_alerts_sent_total", "Alerts Alertmanager accepted, per URL.", NULL, PROM_COUNTER },
	[PF_AM_ERRORS] = { "telltale_alertmanager_errors_total", "Posts to Alertmanager that failed, per URL.", NULL, PROM_COUNTER },
	[PF_AM_UP] = { "telltale_alertmanager_up", "1 when the last post to the URL succeeded.", NULL, PROM_GAUGE },
	[PF_AM_DROPPED] = { "telltale_alertmanager_alerts_dropped_total", "Alerts dropped undelivered: the queue was full.", NULL, PROM_COUNTER },
	[PF_AM_QUEUED] = { "telltale_alertmanager_queue_alerts", "Alerts held for delivery or re-sending.", NULL, PROM_GAUGE },
	[PF_EXP_SERIES] = { "telltale_exporter_series", "Series in this exposition.", NULL, PROM_GAUGE },
	[PF_EXP_DROPPED] = { "telltale_exporter_series_dropped", "Series left out of this exposition by prometheus.max_series.", NULL, PROM_GAUGE },
	[PF_EXP_OVERFLOW] = { "telltale_exporter_series_overflow_total", "Series left out by prometheus.max_series, summed over snapshots.", NULL, PROM_COUNTER },
	[PF_INTERVAL] = { "telltale_interval_seconds", "Measured length of the last collection interval.", "seconds", PROM_GAUGE },
	[PF_LAST_TS] = { "telltale_interval_end_timestamp_seconds", "End of the last collection interval, the ts of its JSON lines.", "seconds", PROM_GAUGE },
	[PF_RSS] = { "process_resident_memory_bytes", "Resident memory of the agent.", "bytes", PROM_GAUGE },
	[PF_CPU] = { "process_cpu_seconds_total", "User and system CPU time of the agent.", "seconds", PROM_COUNTER },
	[PF_START] = { "process_start_time_seconds", "Start of the agent, s since the epoch.", "seconds", PROM_GAUGE },
	[PF_BUILD] = { "telltale_build_info", "The agent's version, the kernel and the BPF program set.", NULL, PROM_INFO },
};
/* clang-format on */

static const char *const stat_names[MODEL_OUTS] = { "mean", "p99" };

void prom__default_config(struct prom_config *cfg)
{
	unsigned k, j;

	memset(cfg, 0, sizeof(*cfg));
	/* Four buckets per power of two of the kernel's 128 ns unit, 1.024 us to
	 * 8.59 s, every bound a boundary of the kernel histogram: fine enough
	 * that histogram_quantile() stays within 10 % of the agent's own
	 * percentiles (test_prom measures it; one per octave is off by up to
	 * half). */
	for (k = 3; k < 26; k++)
		for (j = 0; j < 4; j++)
			cfg->buckets[cfg->n_buckets++] = (double)((128ull << k) + (32ull << k) * j) / 1e9;
	cfg->buckets[cfg->n_buckets++] = (double)(128ull << 26) / 1e9;
	cfg->max_series = 200000;
}

uint64_t prom__bucket_ns(double bound_s)
{
	double want = bound_s * 1e9, best_d = INFINITY;
	uint64_t best = hist__slot_hi(0), b;
	uint32_t i;

	for (i = 0; i < TT_HIST_SLOTS; i++) {
		b = hist__slot_hi(i);
		if (fabs((double)b - want) < best_d) {
			best_d = fabs((double)b - want);
			best = b;
		}
	}
	return best;
}

const char *prom__buckets_problem(const double *b, uint32_t n, char *buf, size_t len)
{
	uint32_t i;

	if (!n)
		return "empty; give at least one bound";
	for (i = 1; i < n; i++) {
		if (!(b[i] > b[i - 1])) {
			snprintf(buf, len, "[%u] (%g) is not above [%u] (%g): bounds must ascend", i,
				 b[i], i - 1, b[i - 1]);
			return buf;
		}
		if (prom__bucket_ns(b[i]) == prom__bucket_ns(b[i - 1])) {
			snprintf(buf, len,
				 "[%u] (%g) and [%u] (%g) round to the same kernel histogram bound (%llu ns); "
				 "space them further apart",
				 i - 1, b[i - 1], i, b[i], (unsigned long long)prom__bucket_ns(b[i]));
			return buf;
		}
	}
	return NULL;
}

char *prom__ns_text(uint64_t ns, char *buf, size_t len)
{
	char frac[16];
	int i;

	snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(ns % 1000000000ull));
	for (i = 8; i >= 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	snprintf(buf, len, "%llu%s%s", (unsigned long long)(ns / 1000000000ull), frac[0] ? "." : "",
		 frac);
	return buf;
}

/* ---- snapshots ---- */

struct prom_snap *prom__ref(struct prom_snap *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

void prom__unref(struct prom_snap *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	pthread_cond_destroy(&s->rendered);
	pthread_mutex_destroy(&s->lock);
	free(s->text[0]);
	free(s->text[1]);
	free(s->svcs);
	free(s->counts);
	free(s->points);
	free(s->pool);
	free(s);
}

double prom__snap_ts(const struct prom_snap *s)
{
	return s->ts;
}

/* ---- rendering ---- */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Room for n more bytes; on failure every later write is skipped. */
static bool room(struct buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->len + n <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void put(struct buf *b, const char *s, size_t n)
{
	if (room(b, n)) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_u64(struct buf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(b, tmp + i, sizeof(tmp) - (size_t)i);
}

/* Shortest exact text for whole numbers, nine decimals for the usual range
 * of seconds, ratios and scores, printf for the rest. */
static void put_num(struct buf *b, double v)
{
	char tmp[40];
	uint64_t whole, frac;
	int i;

	if (isnan(v)) {
		put(b, "NaN", 3);
	} else if (isinf(v)) {
		puts_(b, v > 0 ? "+Inf" : "-Inf");
	} else if (v < 0) {
		put(b, "-", 1);
		put_num(b, -v);
	} else if (v == floor(v) && v < 9007199254740992.0) {
		put_u64(b, (uint64_t)v);
	} else if (v >= 1e-3 && v < 1e9) {
		frac = (uint64_t)llround(v * 1e9);
		whole = frac / 1000000000u;
		frac %= 1000000000u;
		put_u64(b, whole);
		for (i = 8; i >= 0; i--, frac /= 10)
			tmp[i] = (char)('0' + frac % 10);
		for (i = 8; i > 0 && tmp[i] == '0'; i--)
			;
		put(b, ".", 1);
		put(b, tmp, (size_t)i + 1);
	} else {
		put(b, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%.15g", v));
	}
}

/* The family's name in the format: OpenMetrics names a counter's family
 * without _total and an info's without _info. */
static size_t family_name(enum prom_family f, bool om, const char **name)
{
	const struct prom_family_def *d = &prom_families[f];
	size_t n = strlen(d->name);

	*name = d->name;
	if (om && d->type == PROM_COUNTER)
		n -= strlen("_total");
	if (om && d->type == PROM_INFO)
		n -= strlen("_info");
	return n;
}

static void header(struct buf *b, enum prom_family f, bool om)
{
	static const char *const types[][2] = { { "counter", "counter" },
						{ "gauge", "gauge" },
						{ "histogram", "histogram" },
						{ "gauge", "info" } };
	const struct prom_family_def *d = &prom_families[f];
	const char *name;
	size_t n = family_name(f, om, &name);

	put(b, "# HELP ", 7);
	put(b, name, n);
	put(b, " ", 1);
	puts_(b, d->help);
	put(b, "\n# TYPE ", 8);
	put(b, name, n);
	put(b, " ", 1);
	puts_(b, types[d->type][om]);
	put(b, "\n", 1);
	if (om && d->unit) {
		put(b, "# UNIT ", 7);
		put(b, name, n);
		put(b, " ", 1);
		puts_(b, d->unit);
		put(b, "\n", 1);
	}
}

/* name + suffix + {labels[,extra]} + ' ': the start of a sample line. */
static void sample(struct buf *b, const char *name, size_t n, const char *suffix,
		   const char *labels, const char *extra)
{
	bool any = labels[0] || (extra && extra[0]);

	put(b, name, n);
	if (suffix)
		puts_(b, suffix);
	if (any) {
		put(b, "{", 1);
		puts_(b, labels);
		if (labels[0] && extra && extra[0])
			put(b, ",", 1);
		if (extra)
			puts_(b, extra);
		put(b, "}", 1);
	}
	put(b, " ", 1);
}

static void line_num(struct buf *b, const char *name, size_t n, const char *suffix,
		     const char *labels, const char *extra, double v)
{
	sample(b, name, n, suffix, labels, extra);
	put_num(b, v);
	put(b, "\n", 1);
}

static void line_u64(struct buf *b, const char *name, size_t n, const char *suffix,
		     const char *labels, const char *extra, uint64_t v)
{
	sample(b, name, n, suffix, labels, extra);
	put_u64(b, v);
	put(b, "\n", 1);
}

/* Appends without a check: room() was asked for first. */
static char *raw(char *at, const char *s, size_t n)
{
	memcpy(at, s, n);
	return at + n;
}

static char *raw_u64(char *at, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return raw(at, tmp + i, sizeof(tmp) - (size_t)i);
}

/* The bucket lines are most of an exposition (n_buckets + 1 a service):
 * their common start is built once and the lines written in one go. */
static void buckets(struct buf *b, const struct prom_snap *s, const char *name, size_t n,
		    const char *labels, const uint64_t *c)
{
	size_t llen = strlen(labels), plen = n + sizeof("_bucket{") - 1 + llen + (llen ? 1 : 0);
	char *at;
	uint32_t i;

	if (!room(b, (s->n_buckets + 1) * (plen + PROM_LE_LEN + 24)))
		return;
	at = b->p + b->len;
	for (i = 0; i <= s->n_buckets; i++) {
		at = raw(at, name, n);
		at = raw(at, "_bucket{", sizeof("_bucket{") - 1);
		at = raw(at, labels, llen);
		if (llen)
			*at++ = ',';
		if (i < s->n_buckets)
			at = raw(at, s->le[i], s->le_len[i]);
		else
			at = raw(at, "le=\"+Inf\"", sizeof("le=\"+Inf\"") - 1);
		at = raw(at, "} ", 2);
		at = raw_u64(at, c[i]);
		*at++ = '\n';
	}
	b->len = (size_t)(at - b->p);
}

static void histogram(struct buf *b, const struct prom_snap *s, const struct prom_svc_point *p,
		      bool om)
{
	const uint64_t *c = s->counts + p->counts;
	const char *name, *labels = s->pool + p->labels;
	size_t n = family_name(PF_DURATION, om, &name);

	buckets(b, s, name, n, labels, c);
	line_u64(b, name, n, "_count", labels, NULL, c[s->n_buckets]);
	line_num(b, name, n, "_sum", labels, NULL, p->sum_s);
	if (om)
		line_num(b, name, n, "_created", labels, NULL, p->created);
}

static void svc_family(struct buf *b, const struct prom_snap *s, enum prom_family f, bool om)
{
	const char *name, *labels;
	size_t n = family_name(f, om, &name), i;
	char extra[64];
	unsigned j;

	for (i = 0; i < s->n_svcs; i++) {
		const struct prom_svc_point *p = &s->svcs[i];

		labels = s->pool + p->labels;
		if (f == PF_DURATION) {
			if (p->counts != PROM_NO_HIST)
				histogram(b, s, p, om);
		} else if (f == PF_EXPECTED) {
			for (j = 0; p->ready && j < MODEL_OUTS; j++) {
				snprintf(extra, sizeof(extra), "stat=\"%s\"", stat_names[j]);
				line_num(b, name, n, NULL, labels, extra, p->expected_s[j]);
			}
		} else if (f == PF_SCORE) {
			for (j = 0; p->scored && j < METRIC_SVC_COUNT; j++) {
				snprintf(extra, sizeof(extra), "metric=\"%s\"", metric__name(j));
				line_num(b, name, n, NULL, labels, extra, p->score[j]);
			}
		} else {
			line_u64(b, name, n, prom_families[f].type == PROM_COUNTER && om ? "_total" : NULL,
				 labels, NULL, p->c[f]);
			if (om && prom_families[f].type == PROM_COUNTER)
				line_num(b, name, n, "_created", labels, NULL, p->created);
		}
	}
}

static const char *suffix_of(enum prom_family f, bool om)
{
	if (!om)
		return NULL;
	if (prom_families[f].type == PROM_COUNTER)
		return "_total";
	if (prom_families[f].type == PROM_INFO)
		return "_info";
	return NULL;
}

/* The points of family f, from *i on (points are sorted by family). */
static void points(struct buf *b, const struct prom_snap *s, enum prom_family f, size_t *i, bool om)
{
	const char *name;
	size_t n = family_name(f, om, &name);

	for (; *i < s->n_points && s->points[*i].family == (uint32_t)f; (*i)++) {
		const struct prom_point *p = &s->points[*i];

		line_num(b, name, n, suffix_of(f, om), s->pool + p->labels, NULL, p->value);
		if (om && prom_families[f].type == PROM_COUNTER)
			line_num(b, name, n, "_created", s->pool + p->labels, NULL, s->start_ts);
	}
}

static char *render(const struct prom_snap *s, bool om, size_t *len)
{
	/* About 100 bytes a sample line. */
	struct buf b = { .cap = 0 };
	size_t i = 0;
	int f;

	room(&b, 4096 + s->n_svcs * (s->n_buckets + 30) * 100 + s->n_points * 100);
	for (f = 0; f < PF_COUNT; f++) {
		header(&b, f, om);
		if (f <= PF_SCORE)
			svc_family(&b, s, f, om);
		points(&b, s, f, &i, om);
	}
	if (om)
		put(&b, "# EOF\n", 6);
	if (b.oom) {
		free(b.p);
		*len = 0;
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* The kept text of format om, rendered first if no thread has; a thread that
 * finds another rendering it waits for that render rather than doing it
 * twice. The render runs outside the lock, so the other format and the
 * reference counts never wait for it. *did tells whether this call
 * rendered. */
static const char *text_of(struct prom_snap *s, bool om, size_t *len, bool *did)
{
	const char *t;
	size_t n = 0;
	char *p;

	*did = false;
	pthread_mutex_lock(&s->lock);
	while (s->rendering[om])
		pthread_cond_wait(&s->rendered, &s->lock);
	if (!s->text[om]) {
		s->rendering[om] = true;
		pthread_mutex_unlock(&s->lock);
		p = render(s, om, &n);
		pthread_mutex_lock(&s->lock);
		s->text[om] = p;
		s->text_len[om] = n;
		s->rendering[om] = false;
		pthread_cond_broadcast(&s->rendered);
		*did = p != NULL;
	}
	t = s->text[om];
	*len = s->text_len[om];
	pthread_mutex_unlock(&s->lock);
	return t;
}

const char *prom__text(struct prom_snap *s, bool om, size_t *len)
{
	bool did;

	return text_of(s, om, len, &did);
}

int prom__render(struct prom_snap *s, bool om)
{
	size_t len;
	bool did;

	if (!text_of(s, om, &len, &did))
		return -ENOMEM;
	return did;
}
