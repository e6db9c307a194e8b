/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The command line the offline commands share:
 *   telltale replay|score [--strict] [--config PATH] FILE|-
 */
#ifndef TT_OFFLINE_H
#define TT_OFFLINE_H

#include <stdbool.h>
#include <stdio.h>

#include "core/core.h"

struct offline_args {
	const char *cmd;	 /* "replay" or "score" */
	const char *name;	 /* FILE, or "<stdin>" */
	FILE *in;		 /* opened input */
	bool strict;		 /* a malformed line ends the run with exit 2 */
	struct core_config core; /* the built-in defaults, or --config's */
};

/* Parses argv (argv[0] is the command) and opens the input. The core
 * configuration is the agent's built-in default unless --config names a
 * file, so the same input and config always give the same output. Returns
 * -1 to go on, or the exit status (0 after --help, 1 when the input cannot
 * be opened, 2 on a usage or config error, printed). */
int offline__args(const char *cmd, const char *summary, int argc, char **argv,
		  struct offline_args *a);

/* What offline__line makes of a raw input line. */
enum offline_line {
	OFFLINE_LINE_BAD,   /* malformed: why says how */
	OFFLINE_LINE_BLANK, /* nothing but blanks: skipped, not malformed */
	OFFLINE_LINE_OK,    /* to be parsed */
};

/* The checks both commands make before parsing a line of len bytes (as
 * getline read it): strips its newline, and the first line's UTF-8 byte
 * order mark (spreadsheets write one), then refuses a NUL byte within it,
 * a line over 1 MiB and a carriage return followed by more (a file of old
 * Mac line endings, read as one line); a line ending \r\n is fine. */
enum offline_line offline__line(char *line, size_t len, bool first, const char **why);

/* Closes the input and turns a run's result into the exit status. */
int offline__finish(struct offline_args *a, int ret);

#endif /* TT_OFFLINE_H */
