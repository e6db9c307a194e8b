// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The offline commands' input checks. The line checks replay and score
 * share: a NUL byte, a line over 1 MiB and a carriage return within a line
 * are malformed and say so, a line of blanks is skipped, the newline goes.
 * And score's values: any finite number, a subnormal one too; an infinity
 * or an overflow is malformed; and a header that names the timestamp or the
 * value in another column than score reads it from. And gzip input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "cli/csvseries.h"
#include "cli/offline.h"

/* offline__line on a copy of len bytes of text (which may hold a NUL). */
static enum offline_line check(const char *text, size_t len, const char **why, char *out)
{
	char buf[64];
	enum offline_line r;

	memcpy(buf, text, len);
	buf[len] = 0;
	*why = "";
	r = offline__line(buf, len, why);
	strcpy(out, buf);
	return r;
}

static void test_long_line(void)
{
	size_t len = (1u << 20) + 2;
	char *big = malloc(len + 1);
	const char *why = "";

	CHECK(big != NULL);
	memset(big, 'x', len - 1);
	big[len - 1] = '\n';
	big[len] = 0;
	/* 1 MiB and its newline is the longest line taken. */
	CHECK(offline__line(big + 1, len - 1, &why) == OFFLINE_LINE_OK);
	big[len - 1] = '\n';
	CHECK(offline__line(big, len, &why) == OFFLINE_LINE_BAD);
	CHECK(!strcmp(why, "line longer than 1 MiB"));
	free(big);
}

/* csv__parse_line on "1700000000,<value>": 0 or -EINVAL, the value in *v. */
static int value(const char *text, double *v)
{
	char line[64] = "1700000000,";
	struct csv_format fmt;
	struct csv_row row = { .v = NAN };
	const char *why = "";
	int r;

	strcat(line, text);
	csv__format_of(line, &fmt);
	r = csv__parse_line(line, &fmt, &row, &why);
	*v = row.v;
	CHECK(r == 0 || !strcmp(why, "value: not a finite number"));
	return r;
}

static void test_values(void)
{
	double v;

	CHECK(value("12.5", &v) == 0 && v == 12.5);
	/* Below DBL_MIN strtod says ERANGE, yet the number is finite. */
	CHECK(value("5e-320", &v) == 0 && v > 0 && v < 1e-300);
	CHECK(value("-1e-330", &v) == 0 && v == 0);
	CHECK(value("1.7e308", &v) == 0 && v == 1.7e308);
	CHECK(value("1e400", &v) != 0);
	CHECK(value("-inf", &v) != 0);
	CHECK(value("12x", &v) != 0);
	CHECK(value("null", &v) == 0 && isnan(v)); /* a gap, not malformed */
}

/* csv__misplaced on a header line: its message, or NULL. */
static const char *misplaced(const char *text)
{
	static char buf[256];
	char line[128];
	struct csv_format fmt;
	struct csv_row row;
	const char *why;

	strcpy(line, text);
	csv__format_of(line, &fmt);
	csv__parse_line(line, &fmt, &row, &why); /* a header: split, not parsed */
	return csv__misplaced(&row, &fmt, buf, sizeof(buf));
}

/* Score reads the timestamp and the value by place: a header naming them
 * elsewhere would have every row misread, and says so. */
static void test_header_order(void)
{
	const char *why = misplaced("value,timestamp");

	CHECK(why && !strncmp(why, "the header names the timestamp in column 2", 42));
	why = misplaced("ts;host;value");
	CHECK(why && !strncmp(why, "the header names the value in column 3", 38));
	CHECK(misplaced("timestamp,value,label") == NULL);
	CHECK(misplaced("Time,Value") == NULL);
	CHECK(misplaced("\"date\",\"y\"") == NULL);
	CHECK(misplaced("a,b") == NULL); /* names it does not know: read by place */
	CHECK(misplaced("timestamp,value,ts") == NULL);
}

/* The lines offline__args' input gives for path (as the commands read it),
 * joined; *bad is whether it ended in a read error. */
static char *read_all(const char *path, bool *bad)
{
	char *argv[] = { "score", (char *)path, NULL }, *line = NULL, *all = NULL;
	struct offline_args a;
	size_t cap = 0, n = 0;
	FILE *f = open_memstream(&all, &n);

	CHECK(offline__args("score", "", 2, argv, &a) == -1);
	while (getline(&line, &cap, a.in) >= 0)
		fputs(line, f);
	*bad = ferror(a.in);
	fclose(f);
	free(line);
	offline__finish(&a, 0);
	return all;
}

/* A gzip file, as the agent rotates them, or piped in, reads as its text;
 * one cut off before its end gives what it holds, then a read error. */
static void test_gzip(void)
{
	char gzpath[] = "/tmp/tt-offline.XXXXXX", plain[] = "/tmp/tt-plain.XXXXXX";
	const char *text = "timestamp,value\n1700000000,5\n1700000060,6\n";
	int fd = mkstemp(gzpath), pfd = mkstemp(plain);
	gzFile gz = gzdopen(fd, "wb");
	char *got;
	bool bad;

	CHECK(gz && pfd >= 0 && write(pfd, text, strlen(text)) == (ssize_t)strlen(text));
	close(pfd);
	for (int i = 0; i < 2000; i++)
		gzputs(gz, text);
	gzclose(gz);
	got = read_all(gzpath, &bad);
	CHECK(!bad && strlen(got) == 2000 * strlen(text) && !strncmp(got, text, strlen(text)));
	free(got);
	got = read_all(plain, &bad);
	CHECK(!bad && !strcmp(got, text));
	free(got);
	/* The same through stdin, whose first byte is read to tell. */
	CHECK(freopen(gzpath, "r", stdin) != NULL);
	got = read_all("-", &bad);
	CHECK(!bad && strlen(got) == 2000 * strlen(text) && !strncmp(got, text, strlen(text)));
	free(got);
	CHECK(freopen(plain, "r", stdin) != NULL);
	got = read_all("-", &bad);
	CHECK(!bad && !strcmp(got, text));
	free(got);
	/* Two members, as cat a.gz b.gz makes: both read. */
	gz = gzopen(gzpath, "ab");
	CHECK(gz && gzputs(gz, text) > 0);
	gzclose(gz);
	got = read_all(gzpath, &bad);
	CHECK(!bad && strlen(got) == 2001 * strlen(text));
	free(got);
	CHECK(truncate(gzpath, 60) == 0);
	got = read_all(gzpath, &bad);
	CHECK(bad && strlen(got) < 2000 * strlen(text));
	free(got);
	unlink(gzpath);
	unlink(plain);
}

int main(void)
{
	const char *why;
	char out[64];

	CHECK(check("1700000000,5\n", 13, &why, out) == OFFLINE_LINE_OK);
	CHECK(!strcmp(out, "1700000000,5"));
	CHECK(check("1700000000,5", 12, &why, out) == OFFLINE_LINE_OK); /* a last line, no newline */
	CHECK(check("17000\0000,5\n", 10, &why, out) == OFFLINE_LINE_BAD);
	CHECK(!strcmp(why, "NUL byte in line"));
	CHECK(check(" \t\r\n", 4, &why, out) == OFFLINE_LINE_BLANK);
	CHECK(check("\n", 1, &why, out) == OFFLINE_LINE_BLANK);
	CHECK(check(" x \n", 4, &why, out) == OFFLINE_LINE_OK);
	CHECK(check("1700000000,5\r\n", 14, &why, out) == OFFLINE_LINE_OK); /* Windows */
	CHECK(check("t,v\r1700000000,5\r", 17, &why, out) == OFFLINE_LINE_BAD); /* old Mac */
	CHECK(!strncmp(why, "carriage return within the line", 31));
	test_long_line();
	test_values();
	test_header_order();
	test_gzip();
	return check_done("test_offline");
}
