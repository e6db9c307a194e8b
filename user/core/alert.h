/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Alert lifecycle per fingerprint (kind + metric + service): quiet, pending
 * while the condition is building up, firing; one "firing" line when it
 * starts and one "resolved" line when it ends. Also the JSON encoding of
 * alert lines.
 */
#ifndef TT_ALERT_H
#define TT_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "lib/sample.h"

enum alert_kind {
	ALERT_THRESHOLD = 0,
	ALERT_ANOMALY,
	ALERT_FORECAST,
};

enum alert_severity {
	SEV_WARNING = 0,
	SEV_CRITICAL,
};

enum alert_phase {
	ALERT_QUIET = 0,
	ALERT_PENDING,
	ALERT_FIRING,
};

/* What an observation did to an alert; the caller writes a line for every
 * event but ALERT_EV_NONE. */
enum alert_event {
	ALERT_EV_NONE = 0,
	ALERT_EV_FIRING,   /* pending -> firing: the one firing line */
	ALERT_EV_RENOTIFY, /* still firing, re-notify interval passed */
	ALERT_EV_RESOLVED, /* firing -> quiet: the one resolved line */
};

struct alert_policy {
	double renotify_s;  /* repeat a firing line this often, 0 = never */
	double flap_decay;  /* flap count kept per observation, in (0,1) */
	double flap_limit;  /* flap count above which resolving waits longer */
	uint8_t m, n;	    /* fire when bad in m of the last n observations (n <= 8) */
	uint8_t clear_n;    /* resolve after this many good observations in a row */
	uint8_t flap_mult;  /* clear_n multiplier while flapping */
};

/* Per-fingerprint state: 24 bytes. */
struct alert_state {
	double since;	 /* first bad observation of the episode */
	double notified; /* ts of the last firing line */
	float flap;	 /* decaying count of recent firings */
	uint8_t hist;	 /* bad observations, newest in bit 0 */
	uint8_t phase;	 /* enum alert_phase */
	uint8_t good_run; /* good observations in a row, saturating */
	uint8_t severity; /* enum alert_severity it fired with */
};

/* Everything an alert line says besides ts, host, seq and state. */
struct alert_info {
	uint8_t kind;		  /* enum alert_kind */
	uint8_t severity;	  /* enum alert_severity */
	const char *metric;
	const struct svc_id *svc; /* NULL for host metrics */
	double value;
	double expected;	  /* NAN when no model gives one */
	double score;
	double threshold;
	double since;
	const char *message;
	cJSON *details;		  /* taken over by alert__encode, may be NULL */
};

/* Sets the default policy for a kind of alert. */
void alert__default_policy(struct alert_policy *p, unsigned kind);

/* Records one observation at ts: bad is the condition, severe fires at once
 * (skipping m-of-n). Returns the enum alert_event it caused. */
int alert__observe(struct alert_state *a, const struct alert_policy *p, bool bad, bool severe,
		   double ts);

/* Ends a firing alert whose series went away. Returns ALERT_EV_RESOLVED if it
 * was firing, else ALERT_EV_NONE; the state is quiet afterwards. */
int alert__expire(struct alert_state *a);

/* Stable fingerprint of kind + metric + service (svc NULL for the host):
 * 16 hex digits of FNV-1a 64 into buf (at least 17 bytes). The service is
 * its identity (role, port, netns, cgroup id, overflow flag), never its
 * labels, so the firing and resolved lines of an alert share it even when
 * names arrive in between. Returns buf. */
char *alert__id(unsigned kind, const char *metric, const struct svc_id *svc, char *buf);

/* "threshold", "anomaly", "forecast". */
const char *alert__kind_name(unsigned kind);

/* The alert line for an event. Takes over info->details whatever happens.
 * Returns NULL on out of memory. */
cJSON *alert__encode(const struct alert_info *info, int event, uint64_t seq, double ts,
		     const char *host);

#endif /* TT_ALERT_H */
