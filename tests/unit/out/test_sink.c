// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Output sinks: every line lands whole and exactly once across rotated gzip
 * generations and the live file, the keep limit holds, symlinks are refused,
 * a write cut short by RLIMIT_FSIZE leaves nothing behind and writing resumes,
 * torn tails are cut at open, streams drop cleanly on EPIPE and EAGAIN. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "out/sink.h"

#define LINE_LEN 32

static char dir[] = "/tmp/tt-sink.XXXXXX";
static char path[256];

/* Line i: 32 bytes, numbered, so order and gaps show. */
static void line(unsigned int i, char *buf)
{
	snprintf(buf, LINE_LEN + 1, "{\"seq\":%06u,\"pad\":\"abcdefgh\"}\n", i);
}

static char *expected(unsigned int from, unsigned int to, size_t *len)
{
	char *buf = malloc((size_t)(to - from) * LINE_LEN + 1);
	unsigned int i;

	for (i = from; i < to; i++)
		line(i, buf + (size_t)(i - from) * LINE_LEN);
	*len = (size_t)(to - from) * LINE_LEN;
	return buf;
}

/* Whether got holds exactly lines from..to-1, in order. */
static bool holds_lines(const char *got, size_t len, unsigned int from, unsigned int to)
{
	size_t want_len;
	char *want = expected(from, to, &want_len);
	bool same = len == want_len && !memcmp(got, want, len);

	free(want);
	return same;
}

static int write_lines(struct sink *s, unsigned int from, unsigned int to)
{
	char buf[LINE_LEN + 1];
	int fails = 0;

	for (; from < to; from++) {
		line(from, buf);
		fails += sink__write(s, buf, LINE_LEN) != 0;
	}
	return fails;
}

/* Appends a file's bytes (gunzipped when gz) to *buf; -1 when it is missing
 * or not a valid, complete gzip stream. */
static long slurp(const char *name, bool gz, char **buf, size_t *len)
{
	char chunk[4096];
	long got = 0;
	int n, err;

	if (gz) {
		gzFile g = gzopen(name, "rb");

		if (!g)
			return -1;
		while ((n = gzread(g, chunk, sizeof(chunk))) > 0) {
			*buf = realloc(*buf, *len + n);
			memcpy(*buf + *len, chunk, n);
			*len += n;
			got += n;
		}
		gzerror(g, &err);
		if (gzclose_r(g) != Z_OK || n < 0 || (err != Z_OK && err != Z_BUF_ERROR))
			return -1;
		return got;
	}
	int fd = open(name, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		*buf = realloc(*buf, *len + n);
		memcpy(*buf + *len, chunk, n);
		*len += n;
		got += n;
	}
	close(fd);
	return got;
}

static bool exists(const char *fmt, unsigned int k)
{
	char name[300];

	snprintf(name, sizeof(name), fmt, path, k);
	return access(name, F_OK) == 0;
}

/* PATH.keep.gz .. PATH.1.gz then PATH, each gzip checked, each generation
 * held to max_size; returns the generations found. */
static unsigned int collect(unsigned int keep, uint64_t max_size, char **buf, size_t *len)
{
	unsigned int k, found = 0;
	char name[300];
	long n;

	*buf = NULL;
	*len = 0;
	for (k = keep; k >= 1; k--) {
		snprintf(name, sizeof(name), "%s.%u.gz", path, k);
		if (access(name, F_OK))
			continue;
		n = slurp(name, true, buf, len);
		CHECK(n > 0 && (uint64_t)n <= max_size);
		found++;
	}
	CHECK(slurp(path, false, buf, len) >= 0);
	return found;
}

static void clean_dir(void)
{
	struct dirent *de;
	char name[600];
	DIR *d = opendir(dir);

	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%s/%s", dir, de->d_name);
		if (unlink(name))
			rmdir(name);
	}
	closedir(d);
}

static void gzip_t(const char *name)
{
	char cmd[400];

	if (access("/bin/gzip", X_OK))
		return;
	snprintf(cmd, sizeof(cmd), "/bin/gzip -t '%s'", name);
	CHECK(system(cmd) == 0);
}

/* 500 lines through 1000-byte files: 31 lines a file, 16 rotations, all kept
 * at keep 20 and exactly reassembled in order. */
static void test_rotation_all_kept(void)
{
	struct sink_opts o = { .rotate_size = 1000, .rotate_keep = 20 };
	struct sink_stats st;
	size_t len;
	char *got, name[300];
	struct sink *s;
	unsigned int k;

	clean_dir();
	s = sink__open(path, &o);
	CHECK(s != NULL);
	CHECK(write_lines(s, 0, 500) == 0);
	sink__stats(s, &st);
	CHECK(st.lines == 500 && st.bytes == 500 * LINE_LEN && st.dropped == 0);
	CHECK(st.rotations == 16 && st.rotate_errors == 0);
	CHECK(sink__close(s) == 0);

	CHECK(collect(20, 992, &got, &len) == 16);
	CHECK(holds_lines(got, len, 0, 500));
	free(got);
	for (k = 1; k <= 16; k++) {
		CHECK(exists("%s.%u.gz", k));
		CHECK(!exists("%s.%u", k));
		CHECK(!exists("%s.%u.gz.tmp", k));
	}
	CHECK(!exists("%s.%u.gz", 17));
	snprintf(name, sizeof(name), "%s.new", path);
	CHECK(access(name, F_OK) != 0);
	snprintf(name, sizeof(name), "%s.1.gz", path);
	gzip_t(name);
}

/* keep 3: only PATH.1..3.gz remain and with PATH hold the newest lines. */
static void test_keep_limit(void)
{
	struct sink_opts o = { .rotate_size = 1000, .rotate_keep = 3 };
	size_t len;
	char *got;
	struct sink *s;

	clean_dir();
	s = sink__open(path, &o);
	CHECK(write_lines(s, 0, 500) == 0);
	CHECK(sink__close(s) == 0);
	CHECK(exists("%s.%u.gz", 3) && !exists("%s.%u.gz", 4));
	CHECK(collect(20, 992, &got, &len) == 3);
	/* 16 full files of 31 lines went out, 4 live lines; the last 3 files kept */
	CHECK(holds_lines(got, len, 500 - 4 - 3 * 31, 500));
	free(got);
}

/* A run at keep 20, then one at keep 3 on the same path: the first rotation
 * of the second drops generations 4 and on, so keep bounds the disk used. */
static void test_keep_lowered(void)
{
	struct sink_opts many = { .rotate_size = 1000, .rotate_keep = 20 };
	struct sink_opts few = { .rotate_size = 1000, .rotate_keep = 3 };
	struct sink *s;

	clean_dir();
	s = sink__open(path, &many);
	CHECK(write_lines(s, 0, 500) == 0);
	CHECK(sink__close(s) == 0);
	CHECK(exists("%s.%u.gz", 16));
	s = sink__open(path, &few);
	CHECK(write_lines(s, 500, 540) == 0);
	CHECK(sink__close(s) == 0);
	CHECK(exists("%s.%u.gz", 3) && !exists("%s.%u.gz", 4) && !exists("%s.%u.gz", 16));
}

/* The default keep is 5, a line alone larger than rotate_size is written
 * without rotating an empty file, and an existing file's size counts. */
static void test_rotation_edges(void)
{
	struct sink_opts o = { .rotate_size = 10 };
	struct sink_stats st;
	struct sink *s;

	clean_dir();
	s = sink__open(path, &o);
	CHECK(write_lines(s, 0, 1) == 0);
	sink__stats(s, &st);
	CHECK(st.rotations == 0);
	CHECK(write_lines(s, 1, 8) == 0);
	sink__stats(s, &st);
	CHECK(st.rotations == 7);
	CHECK(sink__close(s) == 0);
	CHECK(exists("%s.%u.gz", 5) && !exists("%s.%u.gz", 6));

	clean_dir();
	s = sink__open(path, NULL);
	write_lines(s, 0, 31);
	sink__close(s);
	o.rotate_size = 1000;
	s = sink__open(path, &o);
	CHECK(write_lines(s, 31, 32) == 0);
	sink__stats(s, &st);
	CHECK(st.rotations == 1);
	CHECK(sink__close(s) == 0);
}

/* A generation left plain (failed or interrupted gzip) is kept, shifted and
 * compressed at the next rotation; the failure is counted and reported. */
static void test_compress_failure(void)
{
	struct sink_opts o = { .rotate_size = 1000, .rotate_keep = 5 };
	char name[300], *got = NULL;
	size_t len = 0;
	struct sink_stats st;
	struct sink *s;

	clean_dir();
	snprintf(name, sizeof(name), "%s.1.gz.tmp", path);
	CHECK(mkdir(name, 0700) == 0); /* the compressor cannot create its output */
	s = sink__open(path, &o);
	CHECK(write_lines(s, 0, 40) == 0);
	CHECK(sink__close(s) == -EISDIR);
	CHECK(exists("%s.%u", 1) && !exists("%s.%u.gz", 1));
	snprintf(name, sizeof(name), "%s.1", path);
	CHECK(slurp(name, false, &got, &len) == 31 * LINE_LEN);
	CHECK(holds_lines(got, len, 0, 31));
	free(got);

	snprintf(name, sizeof(name), "%s.1.gz.tmp", path);
	rmdir(name);
	s = sink__open(path, &o);
	CHECK(write_lines(s, 40, 80) == 0);
	sink__stats(s, &st);
	CHECK(st.rotations == 1);
	CHECK(sink__close(s) == 0);
	CHECK(!exists("%s.%u", 1) && !exists("%s.%u", 2));
	CHECK(collect(5, 992, &got, &len) == 2);
	CHECK(holds_lines(got, len, 0, 80));
	free(got);
}

/* A rotation that cannot create the new file changes nothing, loses no line
 * and is retried only every rotate_size / 16 bytes, not on every line. */
static void test_rotate_failure(void)
{
	struct sink_opts o = { .rotate_size = 1000, .rotate_keep = 5 };
	char name[300], *got = NULL;
	size_t len = 0;
	struct sink_stats st;
	struct sink *s;

	clean_dir();
	snprintf(name, sizeof(name), "%s.new", path);
	CHECK(mkdir(name, 0700) == 0);
	s = sink__open(path, &o);
	CHECK(write_lines(s, 0, 40) == 0);
	sink__stats(s, &st);
	/* tried at lines 31, 33, 35, 37, 39: 63 bytes apart */
	CHECK(st.rotate_errors == 5 && st.rotations == 0 && st.dropped == 0);
	CHECK(!exists("%s.%u", 1) && !exists("%s.%u.gz", 1));
	rmdir(name);
	CHECK(write_lines(s, 40, 42) == 0);
	sink__stats(s, &st);
	CHECK(st.rotations == 1);
	CHECK(sink__close(s) == 0);
	CHECK(collect(5, 41 * LINE_LEN, &got, &len) == 1); /* line 40 still under the backoff */
	CHECK(holds_lines(got, len, 0, 42));
	free(got);
}

static void test_open_errors(void)
{
	struct sink_opts big = { .rotate_keep = SINK_MAX_KEEP + 1 };
	char name[300];
	struct stat st;
	struct sink *s;

	clean_dir();
	CHECK(symlink("/tmp/elsewhere", path) == 0);
	errno = 0;
	CHECK(sink__open(path, NULL) == NULL && errno == ELOOP);
	unlink(path);
	snprintf(name, sizeof(name), "%s/target", dir);
	close(open(name, O_CREAT | O_WRONLY, 0600));
	CHECK(symlink(name, path) == 0);
	errno = 0;
	CHECK(sink__open(path, NULL) == NULL && errno == ELOOP);
	unlink(path);

	snprintf(name, sizeof(name), "%s/missing/out.jsonl", dir);
	errno = 0;
	CHECK(sink__open(name, NULL) == NULL && errno == ENOENT);
	errno = 0;
	CHECK(sink__open("", NULL) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(sink__open(path, &big) == NULL && errno == EINVAL);

	umask(022);
	s = sink__open(path, NULL);
	CHECK(s != NULL && !strcmp(sink__name(s), path));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	CHECK(sink__close(s) == 0);
	CHECK(sink__close(NULL) == 0);
}

static void test_none(void)
{
	struct sink *s = sink__open("none", NULL);
	struct sink_stats st;

	CHECK(s != NULL && !strcmp(sink__name(s), "none"));
	CHECK(write_lines(s, 0, 3) == 0);
	CHECK(sink__write(s, "no newline", 10) == -EINVAL);
	CHECK(sink__write(s, "", 0) == -EINVAL);
	sink__stats(s, &st);
	CHECK(st.lines == 3 && st.bytes == 3 * LINE_LEN && st.dropped == 2);
	CHECK(sink__close(s) == 0);
}

/* logrotate: mv PATH away, lines go on into the moved file until SIGHUP's
 * reopen, which starts a new PATH. */
static void test_reopen(void)
{
	char moved[300], *got = NULL;
	size_t len = 0;
	struct sink *s;

	clean_dir();
	snprintf(moved, sizeof(moved), "%s.moved", path);
	s = sink__open(path, NULL);
	write_lines(s, 0, 5);
	CHECK(rename(path, moved) == 0);
	write_lines(s, 5, 10);
	CHECK(access(path, F_OK) != 0);
	CHECK(sink__reopen(s) == 0);
	CHECK(write_lines(s, 10, 12) == 0);
	CHECK(sink__close(s) == 0);

	CHECK(slurp(moved, false, &got, &len) == 10 * LINE_LEN);
	CHECK(holds_lines(got, len, 0, 10));
	free(got);
	got = NULL;
	len = 0;
	CHECK(slurp(path, false, &got, &len) == 2 * LINE_LEN);
	CHECK(holds_lines(got, len, 10, 12));
	free(got);
}

/* mv without SIGHUP: when the moved file fills up, the sink starts a new PATH
 * instead of rotating a name that is no longer its file. */
static void test_moved_then_full(void)
{
	struct sink_opts o = { .rotate_size = 1000, .rotate_keep = 5 };
	char moved[300], *got = NULL;
	size_t len = 0;
	struct sink_stats st;
	struct sink *s;

	clean_dir();
	snprintf(moved, sizeof(moved), "%s.moved", path);
	s = sink__open(path, &o);
	write_lines(s, 0, 10);
	CHECK(rename(path, moved) == 0);
	CHECK(write_lines(s, 10, 40) == 0);
	sink__stats(s, &st);
	CHECK(st.rotations == 0 && st.rotate_errors == 0);
	CHECK(sink__close(s) == 0);
	CHECK(!exists("%s.%u", 1) && !exists("%s.%u.gz", 1));
	CHECK(slurp(moved, false, &got, &len) == 31 * LINE_LEN);
	CHECK(holds_lines(got, len, 0, 31));
	free(got);
	got = NULL;
	len = 0;
	CHECK(slurp(path, false, &got, &len) == 9 * LINE_LEN);
	CHECK(holds_lines(got, len, 31, 40));
	free(got);
}

/* RLIMIT_FSIZE cuts the 11th line short (7 of 32 bytes fit): the 7 bytes are
 * truncated away, the line is dropped with EFBIG, and once the limit is raised
 * writing resumes with nothing torn in between. */
static void test_short_write(void)
{
	struct rlimit old, lim;
	char *got = NULL, *want, buf[LINE_LEN + 1];
	size_t len = 0, want_len;
	struct sink_stats st;
	struct stat sb;
	struct sink *s;

	clean_dir();
	signal(SIGXFSZ, SIG_IGN);
	s = sink__open(path, NULL);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 10 * LINE_LEN + 7;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	CHECK(write_lines(s, 0, 10) == 0);
	line(10, buf);
	CHECK(sink__write(s, buf, LINE_LEN) == -EFBIG);
	CHECK(stat(path, &sb) == 0 && sb.st_size == 10 * LINE_LEN);
	line(11, buf);
	CHECK(sink__write(s, buf, LINE_LEN) == -EFBIG);
	CHECK(stat(path, &sb) == 0 && sb.st_size == 10 * LINE_LEN);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	CHECK(write_lines(s, 12, 15) == 0);
	sink__stats(s, &st);
	CHECK(st.lines == 13 && st.dropped == 2 && st.bytes == 13 * LINE_LEN);
	CHECK(sink__close(s) == 0);
	signal(SIGXFSZ, SIG_DFL);

	CHECK(slurp(path, false, &got, &len) == 13 * LINE_LEN);
	want = expected(0, 15, &want_len);
	memmove(want + 10 * LINE_LEN, want + 12 * LINE_LEN, 3 * LINE_LEN);
	CHECK(len == 13 * LINE_LEN && !memcmp(got, want, len));
	free(got);
	free(want);
}

/* A last line without its newline (a crash mid-write) is cut at open. */
static void test_torn_tail(void)
{
	static const char torn[] = "{\"a\":1}\n{\"b\":2}\n{\"c\":";
	char *got = NULL;
	size_t len = 0;
	struct sink *s;
	int fd;

	clean_dir();
	fd = open(path, O_CREAT | O_WRONLY, 0640);
	CHECK(write(fd, torn, sizeof(torn) - 1) == sizeof(torn) - 1);
	close(fd);
	s = sink__open(path, NULL);
	CHECK(sink__write(s, "{\"d\":4}\n", 8) == 0);
	CHECK(sink__close(s) == 0);
	slurp(path, false, &got, &len);
	CHECK(len == 24 && !memcmp(got, "{\"a\":1}\n{\"b\":2}\n{\"d\":4}\n", 24));
	free(got);

	/* Nothing but a fragment: emptied. */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(write(fd, "{\"c\":", 5) == 5);
	close(fd);
	s = sink__open(path, NULL);
	CHECK(sink__write(s, "{\"d\":4}\n", 8) == 0);
	CHECK(sink__close(s) == 0);
	got = NULL;
	len = 0;
	slurp(path, false, &got, &len);
	CHECK(len == 8 && !memcmp(got, "{\"d\":4}\n", 8));
	free(got);
}

/* /dev/full: every line dropped with ENOSPC, counted, nothing rotates. */
static void test_dev_full(void)
{
	struct sink_opts o = { .rotate_size = 10 };
	struct sink *s = sink__open("/dev/full", &o);
	struct sink_stats st;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(write_lines(s, 0, 3) == 3);
	CHECK(sink__write(s, "{}\n", 3) == -ENOSPC);
	sink__stats(s, &st);
	CHECK(st.lines == 0 && st.dropped == 4 && st.rotations == 0);
	CHECK(sink__close(s) == 0);
}

/* stdout through a pipe: whole lines; a full non-blocking pipe drops with
 * EAGAIN after a short wait; a closed reader drops with EPIPE. */
static void test_stdout(void)
{
	char buf[65536], expect[LINE_LEN + 1];
	int p[2], saved, drops, i, k;
	struct sink_stats st;
	struct sink *s;
	ssize_t n;

	fflush(stdout);
	saved = dup(1);
	CHECK(pipe(p) == 0);
	dup2(p[1], 1);
	close(p[1]);
	fcntl(1, F_SETFL, O_NONBLOCK);
	s = sink__open("-", NULL);
	CHECK(s != NULL && !strcmp(sink__name(s), "stdout"));
	CHECK(sink__write(s, "hello\n", 6) == 0);
	CHECK(read(p[0], buf, sizeof(buf)) == 6 && !memcmp(buf, "hello\n", 6));

	/* Fill the pipe: lines of 32 bytes fit whole (atomic below PIPE_BUF). */
	for (i = 0, drops = 0; i < 100000 && !drops; i++)
		drops = write_lines(s, i, i + 1);
	CHECK(drops == 1);
	sink__stats(s, &st);
	CHECK(st.dropped == 1 && st.lines == (uint64_t)i);
	for (k = 0; k + 1 < i; k++) {
		n = read(p[0], buf, LINE_LEN);
		line(k, expect);
		if (n != LINE_LEN || memcmp(buf, expect, LINE_LEN))
			break;
	}
	CHECK(k + 1 == i); /* lines 0 .. i-2 whole and in order */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	CHECK(read(p[0], buf, sizeof(buf)) < 0 && errno == EAGAIN); /* and no more */

	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	CHECK(sink__write(s, "bye\n", 4) == -EPIPE);
	CHECK(sink__close(s) == 0);
	dup2(saved, 1);
	close(saved);
	signal(SIGPIPE, SIG_DFL);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/out.jsonl", dir);
	test_rotation_all_kept();
	test_keep_limit();
	test_keep_lowered();
	test_rotation_edges();
	test_compress_failure();
	test_rotate_failure();
	test_open_errors();
	test_none();
	test_reopen();
	test_moved_then_full();
	test_short_write();
	test_torn_tail();
	test_dev_full();
	test_stdout();
	clean_dir();
	rmdir(dir);
	return check_done("test_sink");
}
