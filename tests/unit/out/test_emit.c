// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* JSON encoding of metrics and host lines: the field names and types other
 * parts and tests rely on, one line per object, timestamps that round-trip. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "out/emit.h"

static const cJSON *get(const cJSON *o, const char *path)
{
	char buf[128], *save, *part;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part && o; part = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, part);
	return o;
}

static double num(const cJSON *o, const char *path)
{
	const cJSON *v = get(o, path);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *path)
{
	const cJSON *v = get(o, path);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Encodes through a real line write and parses the line back. */
static cJSON *round_trip(cJSON *obj, size_t *len)
{
	char buf[4096] = { 0 };
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	cJSON *back;

	CHECK(emit__line(f, obj) == 0);
	fclose(f);
	cJSON_Delete(obj);
	*len = strlen(buf);
	CHECK(*len > 0 && buf[*len - 1] == '\n' && !memchr(buf, '\n', *len - 1));
	back = cJSON_Parse(buf);
	CHECK(back != NULL);
	return back;
}

static void test_metrics(void)
{
	struct svc_sample s = {
		.id = { .comm = "nginx", .port = 8080, .role = TT_ROLE_SERVER },
		.ts = 1795412533.123, .interval_s = 1.0, .requests = 1234, .rps = 1234.0,
		.has_latency = true, .lat_mean_us = 85.24, .lat_p50_us = 70, .lat_p90_us = 120,
		.lat_p99_us = 300, .lat_max_us = 900, .active = 64, .opened = 2, .closed = 1,
	};
	size_t len;
	cJSON *o = round_trip(emit__metrics(&s, "web-1"), &len);

	CHECK(!strcmp(str(o, "type"), "metrics"));
	CHECK(!strcmp(str(o, "host"), "web-1"));
	CHECK(!strcmp(str(o, "ts"), "2026-11-23T05:42:13.123Z"));
	CHECK(!strcmp(str(o, "service.role"), "server"));
	CHECK(num(o, "service.port") == 8080);
	CHECK(!strcmp(str(o, "service.comm"), "nginx"));
	CHECK(num(o, "requests") == 1234 && num(o, "rps") == 1234.0);
	CHECK(num(o, "interval_s") == 1.0);
	CHECK_NEAR(num(o, "latency_us.mean"), 85.2, 1e-9);
	CHECK(num(o, "latency_us.p50") == 70 && num(o, "latency_us.p99") == 300);
	CHECK(num(o, "latency_us.max") == 900);
	CHECK(num(o, "connections.active") == 64 && num(o, "connections.opened") == 2);
	CHECK(num(o, "connections.closed") == 1 && num(o, "connections.failed") == 0);
	CHECK(num(o, "connections.resets") == 0 && num(o, "connections.retransmits") == 0);
	cJSON_Delete(o);

	/* No requests: no latency object; unknown comm: no comm key. */
	s.has_latency = false;
	s.requests = 0;
	s.id.comm[0] = '\0';
	s.id.role = TT_ROLE_CLIENT;
	o = round_trip(emit__metrics(&s, "web-1"), &len);
	CHECK(get(o, "latency_us") == NULL);
	CHECK(get(o, "service.comm") == NULL);
	CHECK(!strcmp(str(o, "service.role"), "client"));
	cJSON_Delete(o);
}

static void test_host(void)
{
	struct host_sample h = { .ts = 1795412533.0, .interval_s = 1, .cpu_pct = 37.5,
				 .mem_pct = 41.25, .load1 = 0.8 };
	size_t len;
	cJSON *o = round_trip(emit__host(&h, "web-1"), &len);

	CHECK(!strcmp(str(o, "type"), "host"));
	CHECK(num(o, "cpu_pct") == 37.5 && num(o, "mem_pct") == 41.3 && num(o, "load1") == 0.8);
	CHECK(!strcmp(str(o, "ts"), "2026-11-23T05:42:13.000Z"));
	cJSON_Delete(o);
}

static void test_timestamps(void)
{
	char buf[40];
	double ts;

	CHECK(!strcmp(line__iso8601(0.9996, buf, sizeof(buf)), "1970-01-01T00:00:01.000Z"));
	CHECK(line__parse_iso8601("2026-11-23T05:42:13.123Z", &ts) == 0);
	CHECK_NEAR(ts, 1795412533.123, 1e-6);
	CHECK(line__parse_iso8601("2026-11-23T05:42:13Z", &ts) == 0);
	CHECK(line__parse_iso8601("2026-11-23 05:42:13", &ts) == -EINVAL);
	CHECK(line__parse_iso8601("2026-11-23T05:42:13.Z", &ts) == -EINVAL);
	CHECK(line__parse_iso8601("2026-11-23T05:42:13.5+02:00", &ts) == -EINVAL);
	CHECK(line__parse_iso8601("", &ts) == -EINVAL);
}

static void test_write_error(void)
{
	struct host_sample h = { .ts = 1 };
	cJSON *o = emit__host(&h, "x");
	FILE *f = fopen("/dev/full", "w");

	if (f) {
		CHECK(emit__line(f, o) < 0);
		fclose(f);
	}
	cJSON_Delete(o);
}

/* The agent line of a retired service, with the service's identity. */
static void test_retired(void)
{
	struct svc_id id = { .role = TT_ROLE_SERVER, .port = 8080, .comm = "nginx",
			     .netns = 4026532100u, .cgroup = 777 };
	size_t len;
	cJSON *o;

	strcpy(id.names.unit, "nginx.service");
	o = round_trip(emit__retired(&id, 1795412533.5, 300, "web-1"), &len);
	CHECK(!strcmp(str(o, "type"), "agent") && !strcmp(str(o, "event"), "service_retired"));
	CHECK(!strcmp(str(o, "schema"), "1.4") && !strcmp(str(o, "host"), "web-1"));
	CHECK(num(o, "idle_s") == 300 && num(o, "service.port") == 8080);
	CHECK(num(o, "service.netns") == 4026532100u && num(o, "service.cgroup_id") == 777);
	CHECK(!strcmp(str(o, "service.unit"), "nginx.service"));
	CHECK(!strcmp(str(o, "ts"), "2026-11-23T05:42:13.500Z"));
	cJSON_Delete(o);
}

int main(void)
{
	test_metrics();
	test_retired();
	test_host();
	test_timestamps();
	test_write_error();
	return check_done("test_emit");
}
