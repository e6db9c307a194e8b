// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The config file: read it safely (owner, mode, size, NUL bytes) and parse
 * the JSON, naming the place of a syntax error; config_apply.c applies what
 * it holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/config_file.h"

#define FILE_MAX (1u << 20)

static void line_col(const char *buf, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && buf[i]; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* Refuses a file someone other than root (or the user running us) could have
 * written: the agent runs as root and loads kernel programs on its word. */
static int check_owner(const char *path, const struct stat *st)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me) {
		fprintf(stderr,
			"telltale: %s: owned by uid %u, not root; refusing it (run: chown root %s)\n",
			path, (unsigned)st->st_uid, path);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		fprintf(stderr,
			"telltale: %s: writable by %s (mode %04o); refusing it (run: chmod go-w %s)\n",
			path,
			(st->st_mode & S_IWGRP) && (st->st_mode & S_IWOTH) ? "group and others"
			: (st->st_mode & S_IWGRP)			   ? "its group"
									   : "others",
			(unsigned)(st->st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

/* Deepest nesting of objects and arrays in buf[0..end], outside strings. */
static unsigned max_depth(const char *buf, size_t end)
{
	unsigned depth = 0, max = 0;
	bool str = false;
	size_t i;

	for (i = 0; i <= end && buf[i]; i++) {
		if (str) {
			if (buf[i] == '\\' && buf[i + 1])
				i++;
			else if (buf[i] == '"')
				str = false;
		} else if (buf[i] == '"') {
			str = true;
		} else if (buf[i] == '{' || buf[i] == '[') {
			if (++depth > max)
				max = depth;
		} else if ((buf[i] == '}' || buf[i] == ']') && depth) {
			depth--;
		}
	}
	return max;
}

/* Says where and why cJSON stopped. */
static void report_syntax(const char *src, const char *buf, size_t len, const char *end)
{
	size_t off = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : len;
	unsigned line, col;
	size_t near;

	if (off < len && max_depth(buf, off) > CJSON_NESTING_LIMIT) {
		line_col(buf, off, &line, &col);
		fprintf(stderr,
			"telltale: %s: line %u, column %u: nested deeper than %d levels, the JSON "
			"parser's limit (cJSON's CJSON_NESTING_LIMIT)\n",
			src, line, col, CJSON_NESTING_LIMIT);
		return;
	}
	/* cJSON points one past a bad string start; at a line's end, back up. */
	if (off > 0 && off < len && (buf[off] == '\n' || buf[off] == '\r'))
		off--;
	near = strcspn(buf + off, "\r\n");
	line_col(buf, off, &line, &col);
	if (off >= len)
		fprintf(stderr,
			"telltale: %s: line %u, column %u: malformed JSON (unexpected end of file)\n",
			src, line, col);
	else
		fprintf(stderr, "telltale: %s: line %u, column %u: malformed JSON near '%.*s'\n",
			src, line, col, (int)(near > 20 ? 20 : near), buf + off);
}

int config_file__parse(struct config *cfg, const char *src, const char *buf, size_t len)
{
	const char *end = NULL;
	unsigned line, col;
	cJSON *root;
	int err;

	if (buf[len] != '\0') {
		fprintf(stderr, "telltale: %s: internal error: the text is not NUL-terminated\n", src);
		return -EINVAL;
	}
	if (strlen(buf) != len) {
		line_col(buf, strlen(buf), &line, &col);
		fprintf(stderr, "telltale: %s: line %u, column %u: NUL byte in the file\n", src,
			line, col);
		return -EINVAL;
	}
	root = cJSON_ParseWithOpts(buf, &end, 1);
	if (!root) {
		report_syntax(src, buf, len, end);
		return -EINVAL;
	}
	err = config_file__apply(cfg, src, root);
	cJSON_Delete(root);
	return err;
}

/* Reads and applies the file. Returns 0, -ENOENT when it does not exist and
 * quiet is set, or another negative errno after printing the problem. */
int config_file__load(struct config *cfg, const char *path, bool quiet_enoent)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT && quiet_enoent)
			return err;
		fprintf(stderr, "telltale: %s: %s\n", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		fprintf(stderr, "telltale: %s: %s\n", path, strerror(-err));
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "telltale: %s: not a regular file\n", path);
		close(fd);
		return -EINVAL;
	}
	err = check_owner(path, &st);
	if (err) {
		close(fd);
		return err;
	}
	if (st.st_size > FILE_MAX) {
		fprintf(stderr, "telltale: %s: larger than %u bytes\n", path, FILE_MAX);
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fprintf(stderr, "telltale: %s: out of memory\n", path);
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			fprintf(stderr, "telltale: %s: %s\n", path,
				n < 0 ? strerror(errno) : "file shrank while read");
			free(buf);
			close(fd);
			return err;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	err = config_file__parse(cfg, path, buf, len);
	free(buf);
	return err;
}

