// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The two streams: a FIFO output without a reader opens at once, drops and
 * counts its lines with one message, and recovers when a reader comes (and
 * again after the reader leaves); two streams on one stdout count their own
 * lines; a reader of stdout that leaves marks the output gone. And what
 * --check-config says of a file output's folder, opening nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "out/output.h"
#include "out/sink.h"

static char dir[] = "/tmp/tt-output.XXXXXX";
static char errpath[256];
static int saved_err = -1;

/* Sends stderr to a file, to read the messages back. */
static void capture_stderr(void)
{
	int fd;

	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fflush(stderr);
	saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* Restores stderr; returns what was printed (caller frees). */
static char *release_stderr(void)
{
	static char buf[8192];
	ssize_t n;
	int fd;

	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	fd = open(errpath, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	unlink(errpath);
	return strdup(buf);
}

static int put(struct output *out, enum output_stream stream, int i)
{
	cJSON *o = cJSON_CreateObject();
	int err;

	cJSON_AddStringToObject(o, "host", "h");
	cJSON_AddNumberToObject(o, "i", i);
	err = output__line(out, stream, o);
	cJSON_Delete(o);
	return err;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

static void test_fifo(void)
{
	char fifo[256], buf[4096];
	struct output_stats st;
	struct output *out;
	char *msgs;
	int rd, i;
	ssize_t n;

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	/* Blocking in open() would hang here: the alarm fails the test instead. */
	alarm(10);
	capture_stderr();
	out = output__open(fifo, "none", NULL);
	CHECK(out != NULL);
	if (!out) {
		free(release_stderr());
		return;
	}
	for (i = 1; i <= 3; i++)
		CHECK(put(out, OUT_METRICS, i) == -ENXIO);
	output__stats(out, OUT_METRICS, &st);
	CHECK(st.dropped == 3 && st.lines == 0 && output__seq(out, OUT_METRICS) == 3);

	/* A reader comes: the next line goes through, seq 4 after the gap. */
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK(rd >= 0);
	CHECK(put(out, OUT_METRICS, 4) == 0);
	n = read(rd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(n > 0 && strstr(buf, "\"seq\":4") && buf[n - 1] == '\n');

	/* It leaves: dropped (EPIPE), then no reader again (ENXIO), then a
	 * new one gets the next line. */
	close(rd);
	CHECK(put(out, OUT_METRICS, 5) == -EPIPE);
	CHECK(put(out, OUT_METRICS, 6) == -ENXIO);
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK(put(out, OUT_METRICS, 7) == 0);
	n = read(rd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(n > 0 && strstr(buf, "\"seq\":7") && !strstr(buf, "\"seq\":6"));
	close(rd);
	output__stats(out, OUT_METRICS, &st);
	CHECK(st.dropped == 5 && st.lines == 2);
	CHECK(!output__gone(out));
	CHECK(output__close(out) == 0);
	alarm(0);
	msgs = release_stderr();
	/* One message when an outage starts, one when it ends. */
	CHECK(count(msgs, "failed: no process reads the FIFO") == 1);
	CHECK(count(msgs, "failed: its reader left") == 1);
	CHECK(count(msgs, "start a reader on it") == 2);
	CHECK(strstr(msgs, "works again; 3 lines were dropped") != NULL);
	CHECK(strstr(msgs, "works again; 2 lines were dropped") != NULL);
	free(msgs);
	unlink(fifo);
}

/* Both streams on stdout: each counts its own lines; a reader that leaves
 * makes the output gone. */
static void test_shared_stdout(void)
{
	struct output_stats m, a;
	struct output *out;
	char buf[4096], *msgs;
	int p[2], saved, i;

	fflush(stdout);
	saved = dup(1);
	CHECK(pipe(p) == 0);
	dup2(p[1], 1);
	close(p[1]);
	out = output__open("-", "-", NULL);
	CHECK(out != NULL && output__shared(out));
	if (!out)
		return;
	for (i = 0; i < 5; i++)
		CHECK(put(out, OUT_METRICS, i) == 0);
	CHECK(put(out, OUT_ALERTS, 9) == 0);
	CHECK(read(p[0], buf, sizeof(buf)) > 0);
	output__stats(out, OUT_METRICS, &m);
	output__stats(out, OUT_ALERTS, &a);
	CHECK(m.lines == 5 && a.lines == 1 && m.dropped == 0 && a.dropped == 0);
	CHECK(a.bytes > 0 && m.bytes > 4 * a.bytes);

	close(p[0]);
	capture_stderr();
	CHECK(put(out, OUT_METRICS, 5) == -EPIPE);
	CHECK(output__gone(out));
	CHECK(put(out, OUT_ALERTS, 10) == -EPIPE);
	output__report(out, stderr);
	msgs = release_stderr();
	CHECK(strstr(msgs, "reader of stdout (the metrics output) is gone") != NULL);
	CHECK(strstr(msgs, "metrics (stdout) 5 written, 1 dropped; alerts (stdout) 1 written, "
			   "1 dropped") != NULL);
	free(msgs);
	output__close(out);
	dup2(saved, 1);
	close(saved);
}

static void test_path_problem(void)
{
	char buf[512], path[300], want[400];
	const char *why;

	CHECK(sink__path_problem("-", buf, sizeof(buf)) == NULL);
	CHECK(sink__path_problem("none", buf, sizeof(buf)) == NULL);
	CHECK(sink__path_problem("relative.jsonl", buf, sizeof(buf)) == NULL);
	snprintf(path, sizeof(path), "%s/m.jsonl", dir);
	CHECK(sink__path_problem(path, buf, sizeof(buf)) == NULL);
	CHECK(access(path, F_OK) != 0); /* nothing created */
	snprintf(path, sizeof(path), "%s/no/m.jsonl", dir);
	why = sink__path_problem(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "its folder '%s/no' does not exist", dir);
	CHECK(why && !strncmp(why, want, strlen(want)));
	snprintf(path, sizeof(path), "%s/file", dir); /* a file, not a folder */
	close(open(path, O_WRONLY | O_CREAT, 0600));
	strcat(path, "/m.jsonl");
	why = sink__path_problem(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "'%s/file' is not a folder", dir);
	CHECK(why && !strcmp(why, want));
	snprintf(path, sizeof(path), "%s/file", dir);
	unlink(path);
	CHECK(sink__path_problem("/m.jsonl", buf, sizeof(buf)) == NULL);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* As the agent does: a reader that leaves is an EPIPE, not a death. */
	signal(SIGPIPE, SIG_IGN);
	test_fifo();
	test_shared_stdout();
	test_path_problem();
	rmdir(dir);
	return check_done("test_output");
}
