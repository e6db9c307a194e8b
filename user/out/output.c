// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/output.h"

struct output {
	struct sink *sink[OUT_STREAMS];
	uint64_t seq[OUT_STREAMS];
	struct output_stats st[OUT_STREAMS]; /* each stream's own, even on a shared sink */
	uint64_t outage[OUT_STREAMS]; /* lines lost since writes began failing */
	bool shared; /* both streams write to sink[OUT_METRICS] */
};

static const char *stream_name[OUT_STREAMS] = { "metrics", "alerts" };

struct output *output__open(const char *metrics, const char *alerts, const struct sink_opts *opts)
{
	const char *spec[OUT_STREAMS] = { metrics, alerts };
	struct output *out = calloc(1, sizeof(*out));
	int i, err;

	if (!out)
		return NULL;
	out->shared = !strcmp(metrics, alerts) && strcmp(metrics, "none");
	for (i = 0; i < OUT_STREAMS; i++) {
		if (i && out->shared) {
			out->sink[i] = out->sink[0];
			break;
		}
		out->sink[i] = sink__open(spec[i], opts);
		if (!out->sink[i]) {
			err = errno;
			fprintf(stderr, "telltale: cannot open the %s output '%s': %s\n",
				stream_name[i], spec[i], strerror(err));
			output__close(out);
			errno = err;
			return NULL;
		}
	}
	return out;
}

/* Sets obj's "seq" to seq, right after "host" so every line reads alike. */
static int set_seq(cJSON *obj, uint64_t seq)
{
	cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "seq");
	cJSON *host = cJSON_GetObjectItemCaseSensitive(obj, "host");
	cJSON *c, *next;

	if (item) {
		cJSON_SetNumberValue(item, (double)seq);
		return 0;
	}
	item = cJSON_AddNumberToObject(obj, "seq", (double)seq);
	if (!item)
		return -ENOMEM;
	/* seq went last: move what follows host behind it. */
	for (c = host ? host->next : NULL; c && c != item; c = next) {
		next = c->next;
		cJSON_DetachItemViaPointer(obj, c);
		cJSON_AddItemToArray(obj, c);
	}
	return 0;
}

/* What to do about a failing output, for the message. */
static const char *remedy(int err)
{
	if (err == -ENXIO || err == -EPIPE)
		return "start a reader on it";
	return "free space or fix its permissions";
}

static const char *reason(int err)
{
	if (err == -ENXIO)
		return "no process reads the FIFO";
	if (err == -EPIPE)
		return "its reader left";
	return strerror(-err);
}

/* Says once when a stream starts losing lines and once when it recovers, so
 * a full disk is visible without a message per line. */
static void report_health(struct output *out, enum output_stream stream, int err)
{
	const struct sink *sink = out->sink[stream];
	const char *name = sink__name(sink);

	if (err && sink__gone(sink)) {
		if (!out->outage[stream]++)
			fprintf(stderr, "telltale: the reader of stdout (the %s output) is gone: "
					"stopping\n", stream_name[stream]);
		return;
	}
	if (err && !out->outage[stream]++)
		fprintf(stderr, "telltale: writing to the %s output '%s' failed: %s; lines are "
				"dropped and counted (agent stats line, seq gaps) until it works "
				"again: %s\n",
			stream_name[stream], name, reason(err), remedy(err));
	if (!err && out->outage[stream]) {
		fprintf(stderr, "telltale: the %s output '%s' works again; %llu lines were dropped\n",
			stream_name[stream], name, (unsigned long long)out->outage[stream]);
		out->outage[stream] = 0;
	}
}

int output__line(struct output *out, enum output_stream stream, cJSON *obj)
{
	char *text;
	size_t len;
	int err;

	err = set_seq(obj, out->seq[stream] + 1);
	if (err)
		return err;
	text = cJSON_PrintUnformatted(obj);
	if (!text)
		return -ENOMEM;
	/* A seq is spent even when the sink drops the line: the gap is how a
	 * consumer sees the loss. */
	out->seq[stream]++;
	len = strlen(text);
	text[len] = '\n';
	err = sink__write(out->sink[stream], text, len + 1);
	free(text);
	if (err) {
		out->st[stream].dropped++;
	} else {
		out->st[stream].lines++;
		out->st[stream].bytes += len + 1;
	}
	report_health(out, stream, err);
	return err;
}

int output__reopen(struct output *out)
{
	int err = sink__reopen(out->sink[OUT_METRICS]);
	int err2 = out->shared ? 0 : sink__reopen(out->sink[OUT_ALERTS]);

	return err ? err : err2;
}

int output__close(struct output *out)
{
	int err = 0, e, i;

	if (!out)
		return 0;
	for (i = 0; i < OUT_STREAMS; i++) {
		if (i && out->shared)
			break;
		e = sink__close(out->sink[i]);
		if (e && !err)
			err = e;
	}
	free(out);
	return err;
}

const struct sink *output__sink(const struct output *out, enum output_stream stream)
{
	return out->sink[stream];
}

uint64_t output__seq(const struct output *out, enum output_stream stream)
{
	return out->seq[stream];
}

void output__stats(const struct output *out, enum output_stream stream, struct output_stats *st)
{
	*st = out->st[stream];
}

bool output__shared(const struct output *out)
{
	return out->shared;
}

bool output__gone(const struct output *out)
{
	return sink__gone(out->sink[OUT_METRICS]) || sink__gone(out->sink[OUT_ALERTS]);
}

const char *output__stream_name(enum output_stream stream)
{
	return stream_name[stream];
}

void output__report(const struct output *out, FILE *f)
{
	const struct output_stats *m = &out->st[OUT_METRICS], *a = &out->st[OUT_ALERTS];

	fprintf(f, "telltale: lines written and dropped: metrics (%s) %llu written, %llu dropped; "
		   "alerts (%s) %llu written, %llu dropped\n",
		sink__name(out->sink[OUT_METRICS]), (unsigned long long)m->lines,
		(unsigned long long)m->dropped, sink__name(out->sink[OUT_ALERTS]),
		(unsigned long long)a->lines, (unsigned long long)a->dropped);
}
