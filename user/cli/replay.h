/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * telltale replay: feeds the JSON lines the agent printed through the same
 * core the agent runs and prints the alerts. Output depends on the input and
 * the configuration only, never on the clock.
 */
#ifndef TT_REPLAY_H
#define TT_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/core.h"
#include "lib/sample.h"

#define REPLAY_HOST_LEN 64

enum replay_type {
	REPLAY_SKIP = 0, /* a valid line replay does not consume (alert, agent, ...) */
	REPLAY_METRICS,
	REPLAY_HOST,
	REPLAY_RETIRED, /* an agent line saying a service retired */
};

struct replay_rec {
	char host[REPLAY_HOST_LEN]; /* truncated if longer */
	struct svc_sample svc;	    /* for REPLAY_METRICS; REPLAY_RETIRED: id and ts */
	struct host_sample h;	    /* for REPLAY_HOST */
};

struct replay_summary {
	uint64_t lines;
	uint64_t malformed;
	uint64_t intervals;
	uint64_t alerts; /* lines written */
};

/* Parses one line (without its newline). Returns an enum replay_type, or
 * -EINVAL with *why pointing to a static reason. */
int replay__parse_line(const char *line, struct replay_rec *rec, const char **why);

/* Replays in through a core built from cfg, writing alert and agent lines to
 * out and malformed-line messages (prefixed with name and line number) to
 * err. strict stops at the first malformed line. Returns 0, 2 when strict
 * stopped, or a negative errno (I/O, out of memory). */
int replay__run(FILE *in, FILE *out, FILE *err, const char *name, bool strict,
		const struct core_config *cfg, struct replay_summary *sum);

/* "telltale replay [--strict] FILE|-". Returns the exit status: 0, 1 on
 * errors, 2 on usage or a malformed line under --strict. */
int replay__main(int argc, char **argv);

#endif /* TT_REPLAY_H */
