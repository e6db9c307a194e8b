// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "cli/config.h"
#include "cli/offline.h"

/* Longer lines are malformed: a bound on what one line may cost. */
#define MAX_LINE (1u << 20)

enum offline_line offline__line(char *line, size_t len, const char **why)
{
	const char *c;

	if (len && line[len - 1] == '\n')
		line[--len] = 0;
	if (strlen(line) != len) {
		*why = "NUL byte in line";
		return OFFLINE_LINE_BAD;
	}
	if (len > MAX_LINE) {
		*why = "line longer than 1 MiB";
		return OFFLINE_LINE_BAD;
	}
	/* A carriage return with more after it: a file of old Mac line
	 * endings (Excel's "CSV (Macintosh)"), all of it read as one line. */
	c = strchr(line, '\r');
	if (c && c[strspn(c, "\r")]) {
		*why = "carriage return within the line (old Mac line endings: "
		       "convert the file with tr '\\r' '\\n')";
		return OFFLINE_LINE_BAD;
	}
	for (c = line; *c; c++)
		if (!isspace((unsigned char)*c))
			return OFFLINE_LINE_OK;
	return OFFLINE_LINE_BLANK;
}

static int usage(const struct offline_args *a, const char *summary, FILE *f, int status)
{
	fprintf(f, "usage: telltale %s [--strict] [--config PATH] FILE|-\n"
		   "  %s\n"
		   "  --strict       exit 2 at the first malformed line (default: skip and count)\n"
		   "  --config PATH  take the anomaly core's settings from this config file\n"
		   "                 (default: the built-in defaults)\n",
		a->cmd, summary);
	return status;
}

/* The core settings of a config file, through the agent's own loader. */
static int load_core_config(struct offline_args *a, const char *path)
{
	char *argv[] = { "telltale", "--config", (char *)path, NULL };
	static struct config cfg;

	if (config__load(&cfg, 3, argv))
		return 2;
	a->core = cfg.core;
	return -1;
}

int offline__args(const char *cmd, const char *summary, int argc, char **argv,
		  struct offline_args *a)
{
	const char *path = NULL, *config = NULL;
	bool opts = true;
	int i, rc;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	for (i = 1; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--strict"))
			a->strict = true;
		else if (opts && !strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
		else if (opts && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")))
			return usage(a, summary, stdout, 0);
		else if (opts && !strcmp(argv[i], "--"))
			opts = false;
		else if ((opts && argv[i][0] == '-' && argv[i][1]) || path)
			return usage(a, summary, stderr, 2);
		else
			path = argv[i];
	}
	if (!path)
		return usage(a, summary, stderr, 2);
	core__default_config(&a->core);
	if (config && (rc = load_core_config(a, config)) >= 0)
		return rc;
	a->name = strcmp(path, "-") ? path : "<stdin>";
	a->in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!a->in) {
		fprintf(stderr, "telltale %s: %s: %s\n", cmd, path, strerror(errno));
		return 1;
	}
	return -1;
}

int offline__finish(struct offline_args *a, int ret)
{
	if (a->in && a->in != stdin)
		fclose(a->in);
	if (ret < 0) {
		fprintf(stderr, "telltale %s: %s\n", a->cmd, strerror(-ret));
		return 1;
	}
	return ret;
}
