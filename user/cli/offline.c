// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE /* fopencookie */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cli/config.h"
#include "cli/offline.h"

/* Longer lines are malformed: a bound on what one line may cost. */
#define MAX_LINE (1u << 20)

#define BOM "\xef\xbb\xbf"

enum offline_line offline__line(char *line, size_t len, bool first, const char **why)
{
	const char *c;

	if (len && line[len - 1] == '\n')
		line[--len] = 0;
	if (first && len >= 3 && !memcmp(line, BOM, 3)) {
		len -= 3;
		memmove(line, line + 3, len + 1);
	}
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

/* A gzip input (the agent's rotated PATH.N.gz, or one piped in) is inflated
 * through zlib, with a FILE on top so that the readers keep getline. Any
 * other input is read as it is. The source is read through its own FILE, so
 * stdin, whose first byte was read to tell, is inflated from that byte on. */
struct gz_input {
	FILE *src;
	const char *path;
	z_stream z;
	bool member_end; /* a member ended where the input now is */
	unsigned char buf[1 << 16];
};

/* A read error ends the input with EIO, said once here: corrupt data, or a
 * stream cut off (a copy of a file still being written). */
static ssize_t gz_fail(struct gz_input *in, const char *why)
{
	fprintf(stderr, "telltale: %s: gzip data: %s\n", in->path, why);
	errno = EIO;
	return -1;
}

static ssize_t gz_read(void *cookie, char *out, size_t n)
{
	struct gz_input *in = cookie;
	unsigned want = n > UINT_MAX ? UINT_MAX : (unsigned)n;
	size_t got;
	int ret;

	in->z.next_out = (unsigned char *)out;
	in->z.avail_out = want;
	while (in->z.avail_out == want) {
		if (!in->z.avail_in) {
			got = fread(in->buf, 1, sizeof(in->buf), in->src);
			if (!got && ferror(in->src))
				return gz_fail(in, strerror(errno));
			if (!got)
				return in->member_end ? 0 : gz_fail(in, "cut off before its end");
			in->z.next_in = in->buf;
			in->z.avail_in = got;
		}
		/* More after a member's end: the next member (cat a.gz b.gz). */
		if (in->member_end && inflateReset(&in->z) == Z_OK)
			in->member_end = false;
		ret = inflate(&in->z, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			in->member_end = true;
		else if (ret != Z_OK)
			return gz_fail(in, in->z.msg ? in->z.msg : "not gzip data");
	}
	return want - in->z.avail_out;
}

static int gz_close(void *cookie)
{
	struct gz_input *in = cookie;
	int err = in->src != stdin ? fclose(in->src) : 0;

	inflateEnd(&in->z);
	free(in);
	return err;
}

/* src, or a FILE that inflates it when its first byte is gzip's (0x1f: no
 * text line starts with it). NULL with errno set on failure, src closed
 * unless it is stdin. */
static FILE *inflated(FILE *src, const char *path)
{
	cookie_io_functions_t io = { .read = gz_read, .close = gz_close };
	int c = getc(src);
	struct gz_input *in;
	FILE *f;

	if (c == EOF && ferror(src)) { /* a folder, say: errno tells */
		c = errno;
		if (src != stdin)
			fclose(src);
		errno = c;
		return NULL;
	}
	if (c != EOF)
		ungetc(c, src);
	if (c != 0x1f)
		return src;
	in = calloc(1, sizeof(*in));
	/* 16 + MAX_WBITS: a gzip header and trailer, checked. */
	if (!in || inflateInit2(&in->z, 16 + MAX_WBITS) != Z_OK) {
		free(in);
		if (src != stdin)
			fclose(src);
		errno = ENOMEM;
		return NULL;
	}
	in->src = src;
	in->path = path;
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
	a->in = strcmp(path, "-") ? fopen(path, "re") : stdin;
	if (a->in)
		a->in = inflated(a->in, a->name);
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
