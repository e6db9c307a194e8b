// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE /* fopencookie */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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

/* A gzip file (the agent's rotated PATH.N.gz) is read through zlib, with a
 * FILE on top so that the readers keep getline. Any other file, and stdin,
 * is read as it is: through zlib's pass-through, 400,000 plain lines took
 * 1.0-1.3 s against 0.8-0.9 s (one noisy run). */
struct gz_input {
	gzFile gz;
	const char *path;
};

/* A read error ends the input with EIO, said once here with zlib's reason:
 * corrupt data, or a stream cut off (a copy of a file still being written),
 * which gzread otherwise reports as a quiet end of file. */
static ssize_t gz_read(void *cookie, char *buf, size_t n)
{
	struct gz_input *in = cookie;
	int got = gzread(in->gz, buf, n > INT_MAX ? INT_MAX : (unsigned)n), err;
	const char *why = gzerror(in->gz, &err);

	/* zlib names the file "<fd:N>": the message names it instead. */
	if (!strncmp(why, "<fd:", 4) && strstr(why, ": "))
		why = strstr(why, ": ") + 2;
	if (got < 0 || (got == 0 && err == Z_BUF_ERROR)) {
		fprintf(stderr, "telltale: %s: gzip data: %s\n", in->path,
			err == Z_BUF_ERROR ? "cut off before its end" : why);
		errno = EIO;
		return -1;
	}
	return got;
}

static int gz_close(void *cookie)
{
	struct gz_input *in = cookie;
	int err = gzclose(in->gz);

	free(in);
	return err == Z_OK ? 0 : EOF;
}

static FILE *open_input(const char *path)
{
	cookie_io_functions_t io = { .read = gz_read, .close = gz_close };
	unsigned char magic[2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct gz_input *in;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (pread(fd, magic, 2, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
		f = fdopen(fd, "r");
		if (!f)
			close(fd);
		return f;
	}
	in = malloc(sizeof(*in));
	if (!in) {
		close(fd);
		return NULL;
	}
	in->gz = gzdopen(fd, "rb");
	if (!in->gz) {
		free(in);
		close(fd);
		return NULL;
	}
	in->path = path;
	gzbuffer(in->gz, 1u << 17);
	f = fopencookie(in, "r", io);
	if (!f)
		gz_close(in);
	return f;
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
	a->in = strcmp(path, "-") ? open_input(path) : stdin;
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
