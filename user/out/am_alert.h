/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One alert as Alertmanager takes it, made from an alert line: its labels
 * (alertname from kind and metric, severity, host, kind, metric, id and the
 * service's identity) and annotations (message, value, expected, score,
 * threshold, the model's contributions), pre-encoded as JSON. Private to
 * out/alertmanager.c and its tests.
 */
#ifndef TT_AM_ALERT_H
#define TT_AM_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct am_alert {
	char id[24];
	char *labels;	   /* JSON object text */
	char *annotations; /* JSON object text */
	char starts[40];   /* startsAt: the alert's since */
	char ends[40];	   /* endsAt of a resolved alert; "" while firing */
	bool resolved;
	uint8_t dirty; /* URLs (bits) that have not taken this state yet */
	uint64_t gen;  /* changes with every new state */
};

/* Fills a (labels, annotations, times, state) from an alert line; host is the
 * host label. Returns 0, -EINVAL when line is not an alert line, or
 * -ENOMEM; a is left empty on error. */
int am_alert__from_line(struct am_alert *a, const cJSON *line, const char *host);

/* "TelltaleAnomalyLatencyMeanUs" from "anomaly" and "latency_mean_us", into
 * buf. Returns buf. */
char *am_alert__name(const char *kind, const char *metric, char *buf, size_t len);

/* The alert as one element of a POST body, with endsAt `ends` for a firing
 * alert. Returns a new string, or NULL on out of memory. */
char *am_alert__json(const struct am_alert *a, const char *ends);

/* Frees what a holds and empties it. */
void am_alert__clear(struct am_alert *a);

#endif /* TT_AM_ALERT_H */
