// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "core/core.h"
#include "lib/line.h"
#include "agent/collect.h"
#include "agent/loader.h"
#include "out/alertmanager.h"
#include "out/http.h"
#include "out/output.h"
#include "out/prom.h"
#include "cli/telemetry.h"
#include "telltale.h"

static const char *tracepoint_name(const struct loader_prog *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->category, p->name);
	return buf;
}

/* What each map can hold, as loaded, and what the listening-port map was
 * sized for: the stats lines say how full they are. */
static void add_capacity(cJSON *o, const struct loader *l)
{
	cJSON *m = cJSON_AddObjectToObject(o, "maps");

	if (!m)
		return;
	cJSON_AddNumberToObject(m, "sockets_max", l->max_sockets);
	cJSON_AddNumberToObject(m, "services_max", l->max_services);
	cJSON_AddNumberToObject(m, "listen_ports_max", l->listen_size);
	cJSON_AddNumberToObject(m, "listen_ports_seeded", (double)l->listen.n);
	cJSON_AddNumberToObject(m, "listen_namespaces", l->listen.namespaces);
}

cJSON *telemetry__start(double ts, const char *host, const char *version,
			const struct loader *l)
{
	cJSON *o = line__header(ts, "agent", host), *hooks;
	struct utsname u;
	char name[96];
	int i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "event", "start");
	cJSON_AddStringToObject(o, "version", version);
	cJSON_AddStringToObject(o, "kernel", uname(&u) ? "unknown" : u.release);
	cJSON_AddStringToObject(o, "programs", l->hooks);
	hooks = cJSON_AddArrayToObject(o, "hooks");
	for (i = 0; hooks && i < LOADER_NPROGS; i++) {
		const struct loader_prog *p = &l->progs[i];
		cJSON *h = p->used ? cJSON_CreateObject() : NULL;

		if (!p->used)
			continue;
		if (!h)
			break;
		cJSON_AddStringToObject(h, "tracepoint", tracepoint_name(p, name, sizeof(name)));
		cJSON_AddBoolToObject(h, "attached", p->attached);
		if (!p->attached)
			cJSON_AddStringToObject(h, "lost", p->metrics);
		cJSON_AddItemToArray(hooks, h);
	}
	add_capacity(o, l);
	return o;
}

/* Entries in a map, counted by walking its keys: O(entries) syscalls, which
 * is why this runs every agent interval, not every collection. */
static long map_entries(int fd, size_t key_size)
{
	char key[16], next[16];
	long n = 0;
	void *cursor = NULL;

	if (fd < 0 || key_size > sizeof(key))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, cursor, next)) {
		memcpy(key, next, key_size);
		cursor = key;
		n++;
	}
	return n;
}

static void add_maps(cJSON *o, const struct loader *l, const struct collector *col)
{
	uint64_t freed = 0, late = 0;
	uint64_t created = loader__counter(l, TT_CNT_SOCK_NEW);
	uint64_t deleted = loader__counter(l, TT_CNT_SOCK_DEL);
	long svcs = map_entries(l->owner_fd, sizeof(__u32));
	cJSON *m = cJSON_AddObjectToObject(o, "maps");
	long socks;

	if (!m)
		return;
	cJSON_AddNumberToObject(m, "sockets_tracked", (double)created);
	cJSON_AddNumberToObject(m, "sockets_max", l->max_sockets);
	if (l->socks_fd >= 0) {
		/* The classic hash can be walked, and evicts: an entry leaves by
		 * a delete at close or by LRU eviction. */
		socks = map_entries(l->socks_fd, sizeof(__u64));
		cJSON_AddNumberToObject(m, "sockets", (double)socks);
		cJSON_AddNumberToObject(m, "socket_evictions",
					created > deleted + (uint64_t)socks ?
						(double)(created - deleted - socks) : 0);
		cJSON_AddNumberToObject(m, "socket_hash_walks",
					col ? (double)collect__socks_walks(col) : 0);
	} else {
		/* The table never evicts; the events of a socket whose set is
		 * full go uncounted, and are counted here. */
		cJSON_AddNumberToObject(m, "sockets", created > deleted ? (double)(created - deleted) : 0);
		cJSON_AddNumberToObject(m, "socket_table_full",
					(double)loader__counter(l, TT_CNT_SOCK_FULL));
	}
	cJSON_AddNumberToObject(m, "services", (double)svcs);
	cJSON_AddNumberToObject(m, "services_max", l->max_services);
	cJSON_AddNumberToObject(m, "service_overflows",
				(double)loader__counter(l, TT_CNT_SVC_OVERFLOW));
	cJSON_AddNumberToObject(m, "service_map_full",
				(double)loader__counter(l, TT_CNT_SVC_OTHER));
	if (col)
		collect__slot_stats(col, &freed, &late);
	cJSON_AddNumberToObject(m, "service_slots_freed", (double)freed);
	cJSON_AddNumberToObject(m, "service_late_events", (double)late);
	cJSON_AddNumberToObject(m, "listen_ports",
				(double)map_entries(l->listen_fd, sizeof(struct tt_listen_key)));
	cJSON_AddNumberToObject(m, "listen_ports_max", l->listen_size);
	cJSON_AddNumberToObject(m, "listen_ports_full",
				(double)loader__counter(l, TT_CNT_LISTEN_FULL));
	/* Before 5.15: exits whose registers were not where x86-64 keeps
	 * them (bpf/fd.bpf.h, stack_regs), their bytes not counted. */
	if (l->stack_regs)
		cJSON_AddNumberToObject(m, "syscall_regs_missed",
					(double)loader__counter(l, TT_CNT_SYS_REGS));
}

static void add_events(cJSON *o, const struct loader *l)
{
	cJSON *e = cJSON_AddObjectToObject(o, "events");
	char name[96];
	int i;

	for (i = 0; e && i < LOADER_NPROGS; i++)
		if (l->progs[i].attached)
			cJSON_AddNumberToObject(e, tracepoint_name(&l->progs[i], name, sizeof(name)),
						(double)loader__counter(l, TT_CNT_EV_STATE + i));
}

/* Per stream: its own lines, bytes and drops. The sink's own counters
 * (rotations, compression) once, under the stream that owns the sink: two
 * streams on stdout share it, and its figures are not the alerts' too. */
static void add_sinks(cJSON *o, const struct output *out)
{
	cJSON *s = cJSON_AddObjectToObject(o, "sinks");
	struct output_stats ost;
	struct sink_stats st;
	int i;

	for (i = 0; s && i < OUT_STREAMS; i++) {
		cJSON *one = cJSON_AddObjectToObject(s, output__stream_name(i));

		if (!one)
			return;
		output__stats(out, i, &ost);
		cJSON_AddStringToObject(one, "target", sink__name(output__sink(out, i)));
		cJSON_AddNumberToObject(one, "seq", (double)output__seq(out, i));
		cJSON_AddNumberToObject(one, "lines", (double)ost.lines);
		cJSON_AddNumberToObject(one, "bytes", (double)ost.bytes);
		cJSON_AddNumberToObject(one, "dropped", (double)ost.dropped);
		if (i && output__shared(out)) {
			cJSON_AddStringToObject(one, "shared_with", output__stream_name(OUT_METRICS));
			continue;
		}
		sink__stats(output__sink(out, i), &st);
		cJSON_AddNumberToObject(one, "rotations", (double)st.rotations);
		cJSON_AddNumberToObject(one, "compress_errors", (double)st.compress_errors);
	}
}

static void add_core(cJSON *o, const struct core *core)
{
	cJSON *c = cJSON_AddObjectToObject(o, "core");
	struct core_stats st;

	if (!c)
		return;
	core__stats(core, &st);
	cJSON_AddNumberToObject(c, "series", (double)st.series);
	cJSON_AddNumberToObject(c, "samples", (double)st.samples);
	cJSON_AddNumberToObject(c, "overflow", (double)st.overflow);
	cJSON_AddNumberToObject(c, "invalid", (double)st.invalid);
	cJSON_AddNumberToObject(c, "model_resets", (double)st.model_resets);
	cJSON_AddNumberToObject(c, "alerts", (double)st.alerts);
}

/* Resident set size in KiB from /proc/self/statm. */
static long rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void add_alertmanager(cJSON *o, struct am *am)
{
	cJSON *a = cJSON_AddObjectToObject(o, "alertmanager"), *urls, *one;
	struct am_stats st;
	uint32_t i;

	if (!a)
		return;
	am__stats(am, &st);
	cJSON_AddNumberToObject(a, "queued", (double)st.queued);
	cJSON_AddNumberToObject(a, "dropped", (double)st.dropped);
	urls = cJSON_AddObjectToObject(a, "urls");
	for (i = 0; urls && i < st.n_urls; i++) {
		one = cJSON_AddObjectToObject(urls, st.url[i].url);
		if (!one)
			return;
		cJSON_AddNumberToObject(one, "sent", (double)st.url[i].sent);
		cJSON_AddNumberToObject(one, "errors", (double)st.url[i].errors);
		cJSON_AddBoolToObject(one, "up", st.url[i].up);
	}
}

static void add_prometheus(cJSON *o, struct http_server *http, const struct prom_state *prom)
{
	cJSON *p = cJSON_AddObjectToObject(o, "prometheus");
	struct http_stats hs;
	uint64_t exposed, dropped;

	if (!p)
		return;
	http__stats(http, &hs);
	prom__series(prom, &exposed, &dropped);
	cJSON_AddNumberToObject(p, "requests", (double)hs.requests);
	cJSON_AddNumberToObject(p, "errors", (double)hs.errors);
	cJSON_AddNumberToObject(p, "series", (double)exposed);
	cJSON_AddNumberToObject(p, "series_dropped", (double)dropped);
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

cJSON *telemetry__stats(double ts, const char *host, double uptime_s, bool stop,
			const struct loader *l, const struct core *core,
			const struct output *out, const struct telemetry_exp *exp)
{
	cJSON *o = line__header(ts, "agent", host);

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "event", stop ? "stop" : "stats");
	cJSON_AddNumberToObject(o, "uptime_s", line__round(uptime_s, 3));
	add_events(o, l);
	add_maps(o, l, exp ? exp->col : NULL);
	add_core(o, core);
	add_sinks(o, out);
	if (exp && exp->am)
		add_alertmanager(o, exp->am);
	if (exp && exp->http && exp->prom)
		add_prometheus(o, exp->http, exp->prom);
	cJSON_AddNumberToObject(o, "rss_kb", (double)rss_kb());
	cJSON_AddNumberToObject(o, "cpu_s", line__round(cpu_seconds(), 3));
	return o;
}

/* ---- Prometheus ---- */

/* One point with up to two labels; a NULL name ends the labels. */
static int point(struct prom_state *st, enum prom_family f, const char *n1, const char *v1,
		 const char *n2, const char *v2, double v)
{
	struct label l[2];
	size_t n = 0;

	if (n1) {
		snprintf(l[n].name, sizeof(l[n].name), "%s", n1);
		snprintf(l[n++].value, sizeof(l[n].value), "%s", v1);
	}
	if (n2) {
		snprintf(l[n].name, sizeof(l[n].name), "%s", n2);
		snprintf(l[n++].value, sizeof(l[n].value), "%s", v2);
	}
	return prom__point(st, f, l, n, v);
}

static int prom_maps(struct prom_state *st, struct telemetry_maps *m, double now,
		     const struct loader *l)
{
	uint64_t created = loader__counter(l, TT_CNT_SOCK_NEW);
	uint64_t deleted = loader__counter(l, TT_CNT_SOCK_DEL);
	int err = 0;

	if (!m->walked || now - m->walked >= TELEMETRY_WALK_S) {
		m->walked = now;
		m->services = map_entries(l->owner_fd, sizeof(__u32));
		m->sockets = l->socks_fd >= 0 ? map_entries(l->socks_fd, sizeof(__u64)) : -1;
	}
	if (l->socks_fd < 0) {
		/* The table's occupancy comes from its counters, every time. */
		m->sockets = created > deleted ? (long)(created - deleted) : 0;
		err |= point(st, PF_SOCK_FULL, NULL, NULL, NULL, NULL,
			     (double)loader__counter(l, TT_CNT_SOCK_FULL));
	} else {
		err |= point(st, PF_SOCK_EVICTIONS, NULL, NULL, NULL, NULL,
			     created > deleted + (uint64_t)m->sockets ?
				     (double)(created - deleted - (uint64_t)m->sockets) : 0);
	}
	err |= point(st, PF_MAP_ENTRIES, "map", "services", NULL, NULL, (double)m->services);
	err |= point(st, PF_MAP_CAPACITY, "map", "services", NULL, NULL, l->max_services);
	err |= point(st, PF_MAP_ENTRIES, "map", "sockets", NULL, NULL, (double)m->sockets);
	err |= point(st, PF_MAP_CAPACITY, "map", "sockets", NULL, NULL, l->max_sockets);
	err |= point(st, PF_SVC_OVERFLOWS, NULL, NULL, NULL, NULL,
		     (double)loader__counter(l, TT_CNT_SVC_OVERFLOW));
	if (l->stack_regs)
		err |= point(st, PF_SYS_REGS, NULL, NULL, NULL, NULL,
			     (double)loader__counter(l, TT_CNT_SYS_REGS));
	return err;
}

/* Per stream, as the stats line counts them: two streams on one sink (both
 * on stdout) each count their own lines, not the sink's. */
static int prom_sinks(struct prom_state *st, const struct output *out)
{
	struct output_stats os;
	const char *target, *name;
	int err = 0, i;

	for (i = 0; i < OUT_STREAMS; i++) {
		output__stats(out, i, &os);
		target = sink__name(output__sink(out, i));
		name = output__stream_name(i);
		err |= point(st, PF_SINK_LINES, "stream", name, "target", target, (double)os.lines);
		err |= point(st, PF_SINK_BYTES, "stream", name, "target", target, (double)os.bytes);
		err |= point(st, PF_SINK_DROPPED, "stream", name, "target", target,
			     (double)os.dropped);
	}
	return err;
}

static int prom_am(struct prom_state *st, struct am *am)
{
	struct am_stats as;
	int err = 0;
	uint32_t i;

	am__stats(am, &as);
	for (i = 0; i < as.n_urls; i++) {
		err |= point(st, PF_AM_SENT, "url", as.url[i].url, NULL, NULL, (double)as.url[i].sent);
		err |= point(st, PF_AM_ERRORS, "url", as.url[i].url, NULL, NULL,
			     (double)as.url[i].errors);
		err |= point(st, PF_AM_UP, "url", as.url[i].url, NULL, NULL, as.url[i].up);
	}
	err |= point(st, PF_AM_DROPPED, NULL, NULL, NULL, NULL, (double)as.dropped);
	err |= point(st, PF_AM_QUEUED, NULL, NULL, NULL, NULL, (double)as.queued);
	return err;
}

int telemetry__prom(struct prom_state *st, struct telemetry_maps *maps, double now_mono,
		    double start_ts, const char *version, const struct loader *l,
		    const struct core *core, const struct output *out, struct am *am)
{
	struct label build[3] = { { "version", "" }, { "kernel", "" }, { "programs", "" } };
	struct core_stats cs;
	struct utsname u;
	char name[96];
	int err = 0, i;

	for (i = 0; i < LOADER_NPROGS; i++)
		if (l->progs[i].attached)
			err |= point(st, PF_BPF_EVENTS, "program",
				     tracepoint_name(&l->progs[i], name, sizeof(name)), NULL, NULL,
				     (double)loader__counter(l, TT_CNT_EV_STATE + (uint32_t)i));
	err |= prom_maps(st, maps, now_mono, l);
	err |= prom_sinks(st, out);
	core__stats(core, &cs);
	err |= point(st, PF_CORE_SERIES, NULL, NULL, NULL, NULL, (double)cs.series);
	err |= point(st, PF_CORE_DROPPED, "reason", "overflow", NULL, NULL, (double)cs.overflow);
	err |= point(st, PF_CORE_DROPPED, "reason", "invalid", NULL, NULL, (double)cs.invalid);
	if (am)
		err |= prom_am(st, am);
	err |= point(st, PF_RSS, NULL, NULL, NULL, NULL, (double)rss_kb() * 1024);
	err |= point(st, PF_CPU, NULL, NULL, NULL, NULL, cpu_seconds());
	err |= point(st, PF_START, NULL, NULL, NULL, NULL, start_ts);
	snprintf(build[0].value, sizeof(build[0].value), "%s", version);
	snprintf(build[1].value, sizeof(build[1].value), "%s", uname(&u) ? "unknown" : u.release);
	snprintf(build[2].value, sizeof(build[2].value), "%s", l->hooks ? l->hooks : "");
	err |= prom__point(st, PF_BUILD, build, 3, 1);
	return err ? -ENOMEM : 0;
}
