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
#include "agent/loader.h"
#include "out/output.h"
#include "cli/telemetry.h"
#include "telltale.h"

static const char *tracepoint_name(const struct loader_prog *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->category, p->name);
	return buf;
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
		cJSON *h = cJSON_CreateObject();

		if (!h)
			break;
		cJSON_AddStringToObject(h, "tracepoint", tracepoint_name(p, name, sizeof(name)));
		cJSON_AddBoolToObject(h, "attached", p->attached);
		if (!p->attached)
			cJSON_AddStringToObject(h, "lost", p->metrics);
		cJSON_AddItemToArray(hooks, h);
	}
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

static void add_maps(cJSON *o, const struct loader *l)
{
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

cJSON *telemetry__stats(double ts, const char *host, double uptime_s, bool stop,
			const struct loader *l, const struct core *core,
			const struct output *out)
{
	cJSON *o = line__header(ts, "agent", host);
	struct rusage ru;

	if (!o)
		return NULL;
	getrusage(RUSAGE_SELF, &ru);
	cJSON_AddStringToObject(o, "event", stop ? "stop" : "stats");
	cJSON_AddNumberToObject(o, "uptime_s", line__round(uptime_s, 3));
	add_events(o, l);
	add_maps(o, l);
	add_core(o, core);
	add_sinks(o, out);
	cJSON_AddNumberToObject(o, "rss_kb", (double)rss_kb());
	cJSON_AddNumberToObject(o, "cpu_s",
				line__round((double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
						    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
					    3));
	return o;
}
