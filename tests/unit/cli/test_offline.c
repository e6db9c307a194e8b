// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The offline commands' input checks. The line checks replay and score
 * share: a NUL byte, a line over 1 MiB and a carriage return within a line
 * are malformed and say so, a line of blanks is skipped, the newline goes.
 * And score's values: any finite number, a subnormal one too; an infinity
 * or an overflow is malformed; the columns score reads and passes through,
 * where a header names them. And gzip input. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "cli/csvseries.h"
#include "cli/offline.h"
#include "cli/score.h"

/* offline__line on a copy of len bytes of text (which may hold a NUL). */
static enum offline_line check(const char *text, size_t len, const char **why, char *out)
{
	char buf[64];
	enum offline_line r;

	memcpy(buf, text, len);
	buf[len] = 0;
	*why = "";
	r = offline__line(buf, len, false, why);
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
	CHECK(offline__line(big + 1, len - 1, false, &why) == OFFLINE_LINE_OK);
	big[len - 1] = '\n';
	CHECK(offline__line(big, len, false, &why) == OFFLINE_LINE_BAD);
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

/* A semicolon file's "5,3" is refused with a hint at the decimal comma. */
static void test_decimal_comma(void)
{
	char line[] = "1700000000;5,3";
	struct csv_format fmt;
	struct csv_row row;
	const char *why = "";

	csv__format_of("timestamp;value", &fmt); /* its header sets the delimiter */
	CHECK(csv__parse_line(line, &fmt, &row, &why) == -EINVAL);
	CHECK(!strcmp(why, "value: not a finite number (a decimal comma? write 5.3, not 5,3)"));
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
	test_decimal_comma();
}

/* Runs score__run on text, checking that it returns want; returns its
 * output (free it), *err its messages (free it). */
static char *score_exit(const char *text, struct score_summary *sum, char **err, int want)
{
	char *out = NULL;
	size_t ol = 0, el = 0;
	struct core_config cfg;
	FILE *f = fmemopen((void *)text, strlen(text), "r"), *o, *e;

	o = open_memstream(&out, &ol);
	e = open_memstream(err, &el);
	core__default_config(&cfg);
	CHECK(score__run(f, o, e, "cols", false, &cfg, sum) == want);
	fclose(f);
	fclose(o);
	fclose(e);
	return out;
}

/* The same for a run that must succeed. */
static char *score_text(const char *text, struct score_summary *sum, char **err)
{
	return score_exit(text, sum, err, 0);
}

/* Columns after the value (a label, an id) pass through as they come,
 * named from the input's header; tab and semicolon files work; a first
 * line of one field (a comment) is malformed and sets nothing. */
static void test_score_columns(void)
{
	struct score_summary sum;
	char *out, *err;

	out = score_text("timestamp,value,label\n1700000000,5,0\n1700000060,,1\n"
			 "1700000120,6,0,extra\n1700000180,7,\n",
			 &sum, &err);
	CHECK(!strcmp(out, "timestamp,value,anomaly_score,alert,label\n1700000000,5,0.0000,0,0\n"
			   "1700000060,,,0,1\n1700000120,6,0.0000,0,0,extra\n"
			   "1700000180,7,0.0000,0,\n"));
	CHECK(sum.points == 3 && sum.missing == 1 && sum.malformed == 0 && !*err);
	free(out);
	free(err);

	out = score_text("1700000000\t5\tweb 1\t\"a,b\"\n1700000060\t6\tweb 2\tc\n", &sum, &err);
	CHECK(!strcmp(out, "timestamp,value,anomaly_score,alert,column3,column4\n"
			   "1700000000,5,0.0000,0,web 1,\"a,b\"\n1700000060,6,0.0000,0,web 2,c\n"));
	CHECK(sum.points == 2 && sum.malformed == 0 && !*err);
	free(out);
	free(err);

	out = score_text("exported 2026-12-05\nts;value\n1700000000;5\n", &sum, &err);
	CHECK(!strcmp(out, "timestamp,value,anomaly_score,alert\n1700000000,5,0.0000,0\n"));
	CHECK(sum.points == 1 && sum.malformed == 1);
	CHECK(strstr(err, "cols:1: malformed line skipped: expected at least two fields") != NULL);
	free(out);
	free(err);

	out = score_text("", &sum, &err);
	CHECK(!strcmp(out, "timestamp,value,anomaly_score,alert\n") && sum.lines == 0);
	free(out);
	free(err);

	out = score_text("1700000000\n1700000060,4\n1700000120\n", &sum, &err);
	CHECK(sum.malformed == 2 && sum.points == 1);
	free(out);
	free(err);
}

/* A header may name the timestamp and the value in any columns: score reads
 * them from there and passes the others through in their order. A column
 * not named takes the first of the usual two left; data, or a header of
 * other names, is read by place. */
static void test_header_order(void)
{
	struct score_summary sum;
	char *out, *err;

	out = score_text("value,timestamp\n5,1700000000\n,1700000060\n", &sum, &err);
	CHECK(!strcmp(out, "timestamp,value,anomaly_score,alert\n1700000000,5,0.0000,0\n"
			   "1700000060,,,0\n"));
	CHECK(sum.points == 1 && sum.missing == 1 && sum.malformed == 0 && !*err);
	free(out);
	free(err);

	out = score_text("host;ts;region;Value;id\nweb;1700000000;eu;5;7\nweb;1700000060;eu\n",
			 &sum, &err);
	CHECK(!strcmp(out, "timestamp,value,anomaly_score,alert,host,region,id\n"
			   "1700000000,5,0.0000,0,web,eu,7\n"));
	CHECK(sum.points == 1 && sum.malformed == 1);
	CHECK(strstr(err, "cols:3: malformed line skipped: expected at least 4 fields: the "
			  "header names the value in column 4") != NULL);
	free(out);
	free(err);

	out = score_text("y,when\n5,1700000000\n", &sum, &err); /* the value named alone */
	CHECK(!strcmp(out, "timestamp,value,anomaly_score,alert\n1700000000,5,0.0000,0\n"));
	free(out);
	free(err);

	out = score_text("1700000000,5,ts\n1700000060,6,y\n", &sum, &err); /* data */
	CHECK(sum.points == 2 && sum.malformed == 0);
	free(out);
	free(err);

	out = score_text("a,b,c\n1700000000,5,x\n", &sum, &err); /* names it does not know */
	CHECK(!strcmp(out, "timestamp,value,anomaly_score,alert,c\n1700000000,5,0.0000,0,x\n"));
	free(out);
	free(err);
}

/* A UTF-8 byte order mark before the first line (Excel's "CSV UTF-8") is
 * not part of it: the first point, or the header's first name, is read. On
 * a later line it is malformed, as any stray bytes. */
static void test_bom(void)
{
	struct score_summary sum;
	char *out, *err;

	out = score_text("\xef\xbb\xbf" "1700000000,5\n1700000060,6\n", &sum, &err);
	CHECK(sum.points == 2 && sum.malformed == 0 && !*err);
	free(out);
	free(err);
	out = score_text("\xef\xbb\xbf" "ts;host;value\n1700000000;a;5\n", &sum, &err);
	CHECK(!strcmp(out, "timestamp,value,anomaly_score,alert,host\n1700000000,5,0.0000,0,a\n"));
	free(out);
	free(err);
	out = score_text("1700000000,5\n\xef\xbb\xbf" "1700000060,6\n", &sum, &err);
	CHECK(sum.points == 1 && sum.malformed == 1);
	free(out);
	free(err);
}

/* Lines starting with '#' are comments, anywhere, and never the header: an
 * InfluxDB annotated CSV (its annotations have commas) reads by its _time
 * and _value columns. */
static void test_comments(void)
{
	struct score_summary sum;
	char *out, *err;

	out = score_text("#group,false,false,true\n#datatype,string,long,dateTime:RFC3339\n"
			 ",result,table,_time,_value,_field\n"
			 ",,0,2024-01-01T00:00:10Z,1.5,usage\n  # a note\n"
			 ",,0,2024-01-01T00:00:20Z,1.7,usage\n",
			 &sum, &err);
	CHECK(!strcmp(out, "timestamp,value,anomaly_score,alert,,result,table,_field\n"
			   "2024-01-01T00:00:10Z,1.5,0.0000,0,,,0,usage\n"
			   "2024-01-01T00:00:20Z,1.7,0.0000,0,,,0,usage\n"));
	CHECK(sum.points == 2 && sum.comments == 3 && sum.malformed == 0 && !*err);
	free(out);
	free(err);
}

/* A name past the columns score looks in stops the run, saying so. */
static void test_header_far(void)
{
	char text[256] = "timestamp", *out, *err;
	struct score_summary sum;

	for (int i = 2; i <= CSV_NAMED_MAX + 1; i++)
		strcat(text, ",x");
	strcat(text, ",value\n1700000000,5\n");
	out = score_exit(text, &sum, &err, 2);
	CHECK(strstr(err, "cols:1: the header names the value in column 18: score reads them "
			  "from the first 16 columns") != NULL);
	free(out);
	free(err);
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
	test_header_far();
	test_bom();
	test_comments();
	test_score_columns();
	test_gzip();
	return check_done("test_offline");
}
