// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Replay and score: line parsing, interval grouping, byte-identical output,
 * malformed lines (reported with line numbers, counted, --strict), and no
 * crash on random bytes, truncated lines, huge numbers and wrong types. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "out/emit.h"
#include "cli/jdoc.h"
#include "cli/replay.h"
#include "rng.h"
#include "cli/csvseries.h"
#include "cli/score.h"

static const char metrics_line[] =
	"{\"ts\":\"2026-11-23T05:42:13.123Z\",\"type\":\"metrics\",\"schema\":\"1.0\","
	"\"host\":\"web-1\",\"service\":{\"role\":\"server\",\"port\":8080,\"comm\":\"nginx\"},"
	"\"interval_s\":1.0,\"requests\":1234,\"rps\":1234.0,\"latency_us\":{\"mean\":85.2,"
	"\"p50\":70,\"p90\":120,\"p99\":300,\"max\":900},\"connections\":{\"active\":64,"
	"\"opened\":2,\"closed\":1,\"failed\":0,\"resets\":0,\"retransmits\":3},\"new\":[1]}";
static const char host_line[] =
	"{\"ts\":\"2026-11-23T05:42:13.123Z\",\"type\":\"host\",\"schema\":\"1.0\","
	"\"host\":\"web-1\",\"interval_s\":1.0,\"cpu_pct\":37.5,\"mem_pct\":41.2,\"load1\":0.8}";

static void test_parse(void)
{
	struct replay_rec r;
	const char *why = NULL;

	CHECK(replay__parse_line(metrics_line, &r, &why) == REPLAY_METRICS);
	CHECK(!strcmp(r.host, "web-1"));
	CHECK(r.svc.id.port == 8080 && r.svc.id.role == TT_ROLE_SERVER);
	CHECK(!strcmp(r.svc.id.comm, "nginx"));
	CHECK(r.svc.requests == 1234 && r.svc.has_latency);
	CHECK_NEAR(r.svc.lat_p99_us, 300, 0);
	CHECK(r.svc.retransmits == 3 && r.svc.active == 64);
	CHECK_NEAR(r.svc.ts, 1795412533.123, 1e-6);
	CHECK(replay__parse_line(host_line, &r, &why) == REPLAY_HOST);
	CHECK_NEAR(r.h.cpu_pct, 37.5, 0);
	CHECK(replay__parse_line("{\"type\":\"alert\",\"x\":1}", &r, &why) == REPLAY_SKIP);
	CHECK(replay__parse_line("{\"type\":\"agent\"}", &r, &why) == REPLAY_SKIP);
	/* A later minor version, with a field this telltale does not know. */
	CHECK(replay__parse_line("{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"host\",\"schema\":\"1.9\","
				 "\"cpu_pct\":1,\"mem_pct\":1,\"psi\":{\"cpu\":[1,2]}}",
				 &r, &why) == REPLAY_HOST);

	/* Wrong types, ranges and syntax, each with a reason. */
	static const char *const bad[] = {
		"", "[1,2]", "{\"type\":3}", "{\"ts\":\"x\",\"type\":\"host\"}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"host\",\"cpu_pct\":\"1\",\"mem_pct\":1}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"host\",\"cpu_pct\":1e308,\"mem_pct\":1}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\",\"service\":{\"role\":\"x\",\"port\":1}}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\",\"service\":{\"role\":\"server\",\"port\":70000},\"rps\":1,\"connections\":{\"active\":1}}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\",\"service\":{\"role\":\"server\",\"port\":1.5},\"rps\":1,\"connections\":{\"active\":1}}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\",\"service\":{\"role\":\"server\",\"port\":1},\"rps\":-1,\"connections\":{\"active\":1}}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\",\"service\":{\"role\":\"server\",\"port\":1},\"rps\":1,\"connections\":{\"active\":1e300}}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\",\"service\":{\"role\":\"server\",\"port\":1},\"rps\":1}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\",\"service\":{\"role\":\"server\",\"port\":1},\"rps\":1,\"connections\":{\"active\":1},\"latency_us\":{\"mean\":1}}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"host\",\"cpu_pct\":1,\"mem_pct\":1} x",
		/* A major version this telltale does not read. */
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"host\",\"schema\":\"2.0\",\"cpu_pct\":1,\"mem_pct\":1}",
		"{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"host\",\"schema\":1.4,\"cpu_pct\":1,\"mem_pct\":1}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(replay__parse_line(bad[i], &r, &why) == -EINVAL);
		CHECK(why && *why);
	}
}

/* Keys are found by a hash of their context, length and ends: a key with an
 * escape is still its key, and a key that shares a real one's slot, its ends,
 * its length or its name in another object is none. */
static void test_parse_keys(void)
{
	struct replay_rec r;
	const char *why = NULL;

	CHECK(replay__parse_line("{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\","
				 "\"service\":{\"r\\u006fle\":\"server\",\"p\xefrt\":9,"
				 "\"p\\u006frt\":8080,\"pXrt\":7,\"ports\":6,\"por\":5,"
				 "\"rps\":4},\"rps\":3,\"\\u0072equests\":2,\"c\\u006fnnections\":"
				 "{\"active\":1,\"mean\":9}}", &r, &why) == REPLAY_METRICS);
	CHECK(r.svc.id.role == TT_ROLE_SERVER && r.svc.id.port == 8080);
	CHECK_NEAR(r.svc.rps, 3, 0);
	CHECK(r.svc.requests == 2 && r.svc.active == 1 && !r.svc.has_latency);
	/* Without the real key, its slot's namesake is not read as it. */
	why = NULL;
	CHECK(replay__parse_line("{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\","
				 "\"service\":{\"role\":\"server\",\"p\xefrt\":9},\"rps\":1,"
				 "\"connections\":{\"active\":1}}", &r, &why) == -EINVAL);
	CHECK(why && strstr(why, "port"));
}

/* Runs text through replay__run; returns the output (caller frees). */
static char *replay_text(const char *text, bool strict, int *ret, char **err_out,
			 struct replay_summary *sum)
{
	struct core_config cfg;
	char *out = NULL, *err = NULL;
	size_t olen = 0, elen = 0;
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	FILE *o = open_memstream(&out, &olen), *e = open_memstream(&err, &elen);

	core__default_config(&cfg);
	*ret = replay__run(in, o, e, "t", strict, &cfg, sum);
	fclose(in);
	fclose(o);
	fclose(e);
	if (err_out)
		*err_out = err;
	else
		free(err);
	return out;
}

/* A stream where the service slows down threefold at interval 300. */
static char *stream(int n, int bad_every)
{
	struct svc_sample s = { .id = { .comm = "api", .port = 8080 }, .interval_s = 1 };
	struct host_sample h = { .interval_s = 1, .mem_pct = 40 };
	struct rng r = { 11 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	for (i = 0; i < n; i++) {
		cJSON *o;

		s.ts = h.ts = 1795392000 + i;
		s.rps = 1000 + 30 * rng_normal(&r);
		s.requests = (uint64_t)s.rps;
		s.has_latency = true;
		s.lat_mean_us = (50 + 0.05 * s.rps) * (i >= 300 ? 3 : 1) * (1 + 0.03 * rng_normal(&r));
		s.lat_p50_us = s.lat_p90_us = s.lat_mean_us;
		s.lat_p99_us = 2 * s.lat_mean_us;
		s.active = 10;
		h.cpu_pct = 30 + rng_normal(&r);
		o = emit__metrics(&s, "h1");
		emit__line(f, o);
		cJSON_Delete(o);
		if (bad_every && i % bad_every == 7)
			fputs("{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\",\"trunc", f);
		else if (bad_every && i % bad_every == 8)
			fputs("{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"alert\"}\n\n", f);
		if (bad_every && i % bad_every == 7)
			fputc('\n', f);
		o = emit__host(&h, "h1");
		emit__line(f, o);
		cJSON_Delete(o);
	}
	fclose(f);
	return buf;
}

static void test_replay_run(void)
{
	struct replay_summary sum;
	char *in = stream(400, 0), *a, *b, *err;
	int ret;

	a = replay_text(in, false, &ret, NULL, &sum);
	CHECK(ret == 0);
	CHECK(sum.lines == 800 && sum.intervals == 400 && sum.malformed == 0);
	CHECK(strstr(a, "\"state\":\"firing\"") != NULL);
	CHECK(strstr(a, "\"metric\":\"latency_mean_us\"") != NULL);
	CHECK(strstr(a, "\"ts\":\"2026-11-23T00:05:0") != NULL); /* fired at ~301..303 s */
	b = replay_text(in, false, &ret, NULL, &sum);
	CHECK(!strcmp(a, b));
	free(a);
	free(b);
	free(in);

	/* Malformed lines: skipped, counted, reported with their number. */
	in = stream(400, 100);
	a = replay_text(in, false, &ret, &err, &sum);
	CHECK(ret == 0);
	CHECK(sum.malformed == 4);
	CHECK(strstr(err, "t:16: malformed line skipped: not valid JSON") != NULL);
	CHECK(strstr(a, "\"metric\":\"latency_mean_us\"") != NULL);
	free(a);
	free(err);
	a = replay_text(in, true, &ret, &err, &sum);
	CHECK(ret == 2);
	CHECK(sum.malformed == 1 && sum.lines == 16);
	free(a);
	free(err);
	free(in);
}

static void test_main_usage(void)
{
	char *argv1[] = { "replay", "--bogus", "x", NULL };
	char *argv2[] = { "replay", NULL };
	char *argv3[] = { "score", "a", "b", NULL };
	char *argv4[] = { "replay", "/nonexistent/file", NULL };

	CHECK(replay__main(3, argv1) == 2);
	CHECK(replay__main(1, argv2) == 2);
	CHECK(score__main(3, argv3) == 2);
	CHECK(replay__main(2, argv4) == 1);
}

/* Random bytes, mutated valid lines, truncations: nothing may crash (ASan
 * and UBSan watch), and every line is either used or counted. */
static void test_fuzz(void)
{
	static const char *const atoms[] = { "1e999", "-1", "null", "\"x\"", "[]", "{}",
					     "18446744073709551616", "0.5", "true", "1e308" };
	struct replay_summary sum;
	struct rng r = { 99 };
	char *buf = NULL, *out;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i, j, ret;

	for (i = 0; i < 3000; i++) {
		const char *src = i % 2 ? metrics_line : host_line;
		size_t n = strlen(src);

		switch (i % 4) {
		case 0: /* truncated */
			fwrite(src, 1, rng_next(&r) % n, f);
			break;
		case 1: /* a number replaced by an odd atom */
			for (j = 0; src[j] && !(src[j] == ':' && (src[j + 1] >= '0' && src[j + 1] <= '9') &&
					       rng_next(&r) % 4 == 0);
			     j++)
				;
			fwrite(src, 1, (size_t)j + (src[j] ? 1 : 0), f);
			if (src[j]) {
				fputs(atoms[rng_next(&r) % 10], f);
				while (src[++j] && ((src[j] >= '0' && src[j] <= '9') || src[j] == '.'))
					;
				fputs(src + j, f);
			}
			break;
		case 2: /* random bytes */
			for (j = 0; j < 200; j++)
				fputc((int)(rng_next(&r) % 256), f);
			break;
		default:
			fputs(src, f);
		}
		fputc('\n', f);
	}
	fclose(f);
	{
		struct core_config cfg;
		char *o = NULL, *e = NULL;
		size_t ol = 0, el = 0;
		FILE *in = fmemopen(buf, len, "r"), *fo = open_memstream(&o, &ol),
		     *fe = open_memstream(&e, &el);

		core__default_config(&cfg);
		ret = replay__run(in, fo, fe, "fuzz", false, &cfg, &sum);
		fclose(in);
		fclose(fo);
		fclose(fe);
		out = o;
		free(e);
	}
	CHECK(ret == 0);
	CHECK(sum.malformed >= 1500);
	CHECK(sum.lines >= 3000);
	free(out);
	free(buf);
}

static void test_score(void)
{
	char line[] = "\"2026-11-23 05:42:13\", 12.5";
	struct csv_format fmt;
	struct csv_row row;
	char *out = NULL, *err = NULL, *in = NULL;
	size_t ol = 0, el = 0, il = 0;
	struct score_summary sum;
	const char *why;
	double t;
	FILE *f, *o, *e;
	int i, ret, fired_at = -1;

	csv__format_of(line, &fmt);
	CHECK(fmt.delim == ',' && fmt.fields == 2);
	CHECK(csv__parse_line(line, &fmt, &row, &why) == 0);
	CHECK(!strcmp(row.ts_text, "2026-11-23 05:42:13") && row.v == 12.5 && !row.rest);
	CHECK_NEAR(row.ts, 1795412533, 0);
	CHECK(csv__parse_ts("2026-11-23T05:42:13.5Z", &t) == 0 && t == 1795412533.5);
	CHECK(csv__parse_ts("2026-11-23T06:42:13+01:00", &t) == 0 && t == 1795412533);
	CHECK(csv__parse_ts("1795412533", &t) == 0 && t == 1795412533);
	CHECK(csv__parse_ts("1795412533500", &t) == 0 && t == 1795412533.5);
	CHECK(csv__parse_ts("2026-13-23 05:42:13", &t) == -EINVAL);
	/* ISO 8601's shorter forms: minutes, and a date alone (midnight). */
	CHECK(csv__parse_ts("2026-11-23 05:42", &t) == 0 && t == 1795412520);
	CHECK(csv__parse_ts("2026-11-23T06:42+01:00", &t) == 0 && t == 1795412520);
	CHECK(csv__parse_ts("2026-11-23", &t) == 0 && t == 1795392000);
	CHECK(csv__parse_ts("2026-11-23T05", &t) == -EINVAL);
	CHECK(csv__parse_ts("2026-11-23 05:42:1", &t) == -EINVAL);
	CHECK(csv__parse_ts("2026-11-23 05:42:13.", &t) == -EINVAL);
	CHECK(csv__parse_ts("2026-11-2", &t) == -EINVAL);
	CHECK(csv__parse_ts("2026-11-23x", &t) == -EINVAL);
	CHECK(csv__parse_ts("yesterday", &t) == -EINVAL);

	/* Header, 600 noisy points, then a lasting +8 sigma step. */
	f = open_memstream(&in, &il);
	struct rng r = { 5 };

	fprintf(f, "timestamp,value\n");
	for (i = 0; i < 700; i++)
		fprintf(f, "%d,%.3f\n", 1700000000 + 300 * i, 10 + (i >= 600 ? 8 : 0) + rng_normal(&r));
	fprintf(f, "garbage\n");
	fclose(f);
	f = fmemopen(in, il, "r");
	o = open_memstream(&out, &ol);
	e = open_memstream(&err, &el);
	struct core_config cfg;

	core__default_config(&cfg);
	ret = score__run(f, o, e, "csv", false, &cfg, &sum);
	fclose(f);
	fclose(o);
	fclose(e);
	CHECK(ret == 0);
	CHECK(sum.points == 700 && sum.malformed == 1 && sum.alerts == 1);
	CHECK(strstr(err, "csv:702:") != NULL);
	CHECK(!strncmp(out, "timestamp,value,anomaly_score,alert\n", 36));
	/* The one alert comes right after the step (5-minute data: the
	 * detector counts points, not seconds). */
	{
		char *p = out;

		for (i = -1; (p = strchr(p, '\n')) && *++p; i++)
			if (strstr(p, ",1\n") == strchr(p, '\n') - 2 && fired_at < 0)
				fired_at = i + 1;
	}
	CHECK(fired_at >= 600 && fired_at <= 605);
	free(in);
	free(out);
	free(err);
}

/* Missing points: empty, nan and null values keep their row, with an empty
 * score and alert 0; nothing is malformed, and the rows stay one for one. */
static void test_score_gaps(void)
{
	char *out = NULL, *err = NULL, *in = NULL, *p;
	size_t ol = 0, el = 0, il = 0;
	struct score_summary sum;
	struct core_config cfg;
	struct rng r = { 6 };
	FILE *f, *o, *e;
	int i, rows = 0, empty = 0;

	f = open_memstream(&in, &il);
	fprintf(f, "timestamp,value\n");
	for (i = 0; i < 400; i++) {
		if (i == 100)
			fprintf(f, "%d,\n", 1700000000 + 60 * i);
		else if (i == 200)
			fprintf(f, "%d,NaN\n", 1700000000 + 60 * i);
		else if (i == 300)
			fprintf(f, "%d, null\n", 1700000000 + 60 * i);
		else
			fprintf(f, "%d,%.3f\n", 1700000000 + 60 * i, 50 + rng_normal(&r));
	}
	fclose(f);
	f = fmemopen(in, il, "r");
	o = open_memstream(&out, &ol);
	e = open_memstream(&err, &el);
	core__default_config(&cfg);
	CHECK(score__run(f, o, e, "gaps", true, &cfg, &sum) == 0);
	fclose(f);
	fclose(o);
	fclose(e);
	CHECK(sum.lines == 401 && sum.points == 397 && sum.missing == 3 && sum.malformed == 0);
	CHECK(sum.alerts == 0);
	CHECK(el == 0);
	for (p = strchr(out, '\n') + 1; *p; p = strchr(p, '\n') + 1) {
		rows++;
		empty += strstr(p, ",,0\n") == strchr(p, '\n') - 3;
	}
	CHECK(rows == 400 && empty == 3);
	CHECK(strstr(out, "\n1700012000,NaN,,0\n") != NULL);
	CHECK(strstr(out, "\n1700018000,null,,0\n") != NULL);
	CHECK(csv__missing("") && csv__missing("NULL") && csv__missing("nan"));
	CHECK(!csv__missing("0") && !csv__missing("inf"));
	free(in);
	free(out);
	free(err);
}

#define CID "3f1d7c2a9b8e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"

/* Every identity field of schema 1.1 parses back into what was printed. */
static void test_parse_identity(void)
{
	struct svc_sample s = { .id = { .role = TT_ROLE_CLIENT, .port = 5432, .comm = "api",
					.netns = 4026532100u, .cgroup = 4294967301ULL,
					.host_netns = true, .flags = SVC_F_OTHER },
				.ts = 1795412533, .interval_s = 1, .active = 2 };
	struct replay_rec r;
	const char *why = NULL;
	char *text;
	cJSON *o;

	strcpy(s.id.names.cgroup, "/kubepods/besteffort/pod0f3a2b1c-4d5e-6f70-8192-a3b4c5d6e7f8/" CID);
	strcpy(s.id.names.container, CID);
	strcpy(s.id.names.runtime, "cri-o");
	strcpy(s.id.names.pod_uid, "0f3a2b1c-4d5e-6f70-8192-a3b4c5d6e7f8");
	strcpy(s.id.names.unit, "x.scope");
	o = emit__metrics(&s, "h1");
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	CHECK(replay__parse_line(text, &r, &why) == REPLAY_METRICS);
	free(text);
	CHECK(svc_id__same(&r.svc.id, &s.id) && r.svc.id.host_netns);
	CHECK(!memcmp(&r.svc.id.names, &s.id.names, sizeof(s.id.names)));
	CHECK(!strcmp(r.svc.id.comm, "api"));
	/* A 1.0 line is a service of unknown netns and cgroup. */
	CHECK(replay__parse_line(metrics_line, &r, &why) == REPLAY_METRICS);
	CHECK(!svc_id__has_identity(&r.svc.id) && !r.svc.id.names.cgroup[0]);
	/* A name too long for its field is dropped, as the agent drops it. */
	CHECK(replay__parse_line("{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\","
				 "\"service\":{\"role\":\"server\",\"port\":1,\"unit\":\""
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.service\"},\"rps\":1,"
				 "\"connections\":{\"active\":1}}", &r, &why) == REPLAY_METRICS);
	CHECK(!r.svc.id.names.unit[0]);
	/* The retirement line. */
	o = emit__retired(&s.id, 1795412534, 300, "h1");
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	CHECK(replay__parse_line(text, &r, &why) == REPLAY_RETIRED);
	CHECK(svc_id__same(&r.svc.id, &s.id) && !strcmp(r.svc.id.names.container, CID));
	free(text);

	static const char *const bad[] = {
		"\"netns\":\"x\"", "\"netns\":-1", "\"netns\":4294967296", "\"netns\":1.5",
		"\"cgroup_id\":-3", "\"host_netns\":1", "\"other\":\"true\"",
		"\"container\":\"" CID "\"", "\"container\":{\"runtime\":\"docker\"}",
		"\"container\":{\"id\":5}", "\"unit\":7", "\"cgroup\":[]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[512];

		snprintf(line, sizeof(line),
			 "{\"ts\":\"2026-11-23T05:42:13Z\",\"type\":\"metrics\",\"service\":"
			 "{\"role\":\"server\",\"port\":1,%s},\"rps\":1,\"connections\":"
			 "{\"active\":1}}", bad[i]);
		why = NULL;
		CHECK(replay__parse_line(line, &r, &why) == -EINVAL && why && strstr(why, "service"));
	}
}

static int print_to(const cJSON *line, void *ctx)
{
	return emit__line(ctx, line);
}

/* A line's worth of a sample: the figures as the line rounds them. */
static struct svc_sample as_printed(const struct svc_sample *s, const char *host)
{
	cJSON *o = emit__metrics(s, host);
	char *text = cJSON_PrintUnformatted(o);
	struct replay_rec r;
	const char *why;

	CHECK(replay__parse_line(text, &r, &why) == REPLAY_METRICS);
	cJSON_Delete(o);
	free(text);
	return r.svc;
}

/* The agent's own path, run here: samples of two pods on one port (both
 * slow down and alert), a client of one of them, and a retirement; what the
 * core printed from the samples (as the lines round them), replay of the
 * lines prints byte for byte. */
static void test_replay_identity(void)
{
	struct svc_sample p[3], s[3] = {
		{ .id = { .role = TT_ROLE_SERVER, .port = 8080, .netns = 4026532100u, .cgroup = 11,
			  .comm = "api" } },
		{ .id = { .role = TT_ROLE_SERVER, .port = 8080, .netns = 4026532200u, .cgroup = 21,
			  .comm = "api" } },
		{ .id = { .role = TT_ROLE_CLIENT, .port = 5432, .netns = 4026532100u, .cgroup = 11,
			  .comm = "api" } },
	};
	struct host_sample h = { .interval_s = 1, .mem_pct = 40 };
	char *in = NULL, *live = NULL, *again, *err;
	size_t ilen = 0, llen = 0, n, i;
	FILE *fi = open_memstream(&in, &ilen), *fl = open_memstream(&live, &llen);
	struct replay_summary sum;
	struct core_config cfg;
	struct rng r = { 5 };
	struct core *c;
	cJSON *o;
	int t, ret;

	strcpy(s[0].id.names.container, CID);
	strcpy(s[0].id.names.runtime, "docker");
	strcpy(s[1].id.names.unit, "b.service");
	core__default_config(&cfg);
	c = core__new(&cfg);
	for (t = 0; c && t < 420; t++) {
		n = t < 360 ? 3 : 1;
		h.ts = 1795392000 + t;
		h.cpu_pct = 30 + rng_normal(&r);
		for (i = 0; i < 3; i++) {
			s[i].ts = h.ts;
			s[i].interval_s = 1;
			s[i].rps = 500 + 20 * rng_normal(&r);
			s[i].requests = (uint64_t)s[i].rps;
			s[i].has_latency = true;
			s[i].lat_mean_us = (40 + 0.05 * s[i].rps) * (t >= 300 && i < 2 ? 4 : 1) *
					   (1 + 0.03 * rng_normal(&r));
			s[i].lat_p50_us = s[i].lat_p90_us = s[i].lat_mean_us;
			s[i].lat_p99_us = 2 * s[i].lat_mean_us;
			s[i].active = 4;
		}
		/* Pod B is gone at 360: the agent retires it at 365. */
		for (i = 0; i < n; i++) {
			o = emit__metrics(&s[i], "h1");
			emit__line(fi, o);
			cJSON_Delete(o);
			p[i] = as_printed(&s[i], "h1");
		}
		h.cpu_pct = line__round(h.cpu_pct, 1);
		o = emit__host(&h, "h1");
		emit__line(fi, o);
		cJSON_Delete(o);
		core__step(c, &h, p, n, "h1", print_to, fl);
		if (t == 365) {
			o = emit__retired(&s[1].id, h.ts, 5, "h1");
			emit__line(fi, o);
			cJSON_Delete(o);
			CHECK(core__forget(c, &s[1].id, print_to, fl) == 0);
		}
	}
	core__free(c);
	fclose(fi);
	fclose(fl);
	CHECK(live && strstr(live, "was retired") && strstr(live, "in container 3f1d7c2a9b8e"));
	CHECK(live && strstr(live, "\"netns\":4026532200"));
	again = replay_text(in, true, &ret, &err, &sum);
	CHECK(ret == 0 && sum.malformed == 0 && sum.intervals == 420);
	CHECK(again && live && !strcmp(again, live));
	free(again);
	free(err);
	/* The same by the scan of keys the hashed lookup falls back to. */
	jdoc__force_key_scan(true);
	again = replay_text(in, true, &ret, &err, &sum);
	jdoc__force_key_scan(false);
	CHECK(ret == 0 && sum.malformed == 0 && sum.intervals == 420);
	CHECK(again && live && !strcmp(again, live));
	free(again);
	free(err);
	free(in);
	free(live);
}

int main(void)
{
	test_parse();
	test_parse_identity();
	test_parse_keys();
	jdoc__force_key_scan(true);
	test_parse_keys();
	jdoc__force_key_scan(false);
	test_replay_identity();
	test_replay_run();
	test_main_usage();
	test_fuzz();
	test_score();
	test_score_gaps();
	return check_done("test_replay");
}
