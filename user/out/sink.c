// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "out/gzgen.h"
#include "out/sink.h"

#define OPEN_FLAGS (O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW)
#define FILE_MODE 0640
#define WAIT_MS 100	 /* a stream that would block: wait this long before dropping a line */
#define FINISH_MS 2000	 /* and this long without progress to finish a line already begun */
#define TAIL_SCAN 65536	 /* how far back open looks for the newline before a torn tail */

enum sink_kind { SINK_NONE, SINK_STDOUT, SINK_FILE };

struct sink_file {
	int fd;
	uint64_t size; /* bytes in the file as far as we know, bytes */
	bool regular;  /* rotated and truncated; anything else is written like a stream */
	bool torn;     /* the output ends in a fragment: start the next line with '\n' */
};

struct sink {
	enum sink_kind kind;
	struct sink_file cur;
	char *path;
	uint64_t rotate_size;
	uint64_t rotate_retry; /* after a failed rotation, the size to try again at */
	uint32_t keep;
	bool gone; /* stdout's reader left: nothing written will ever be read */
	struct gzgen gz;      /* compresses rotated generations */
	struct sink_stats st; /* compress_errors comes from gz */
};

static void gen_name(const struct sink *s, uint32_t k, const char *suffix, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%u%s", s->path, k, suffix);
}

/* rename() that never replaces an existing file, so a failed step can only
 * leave a generation where it was, never destroy one. */
static int move(const char *from, const char *to)
{
	struct stat st;

	if (!renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* A filesystem without RENAME_NOREPLACE: check, then rename. */
	if (!lstat(to, &st))
		return -EEXIST;
	return rename(from, to) ? -errno : 0;
}

/* A crash between a short write and its truncation, or a SIGKILL inside a
 * write that spans pages, can leave a last line without its newline. Cut it
 * off so the next line starts clean; when the newline before it is too far
 * back to find, end the fragment with the next write instead. */
static int cut_torn_tail(const char *path, struct sink_file *f)
{
	uint64_t pos = f->size, keep = 0;
	struct stat a, b;
	char buf[4096];
	size_t chunk, i;
	int rfd, err = 0;

	rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (rfd < 0)
		return -errno;
	if (fstat(rfd, &a) || fstat(f->fd, &b) || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		goto out; /* replaced under us; leave it be */
	while (pos > 0 && f->size - pos < TAIL_SCAN) {
		chunk = pos < sizeof(buf) ? pos : sizeof(buf);
		pos -= chunk;
		if (pread(rfd, buf, chunk, pos) != (ssize_t)chunk) {
			err = -EIO;
			goto out;
		}
		for (i = chunk; i > 0 && buf[i - 1] != '\n'; i--)
			;
		if (i > 0) {
			keep = pos + i;
			break;
		}
	}
	if (keep == f->size)
		goto out;
	if (keep == 0 && pos > 0) {
		f->torn = true;
		goto out;
	}
	if (ftruncate(f->fd, keep))
		err = -errno;
	else
		f->size = keep;
out:
	close(rfd);
	return err;
}

/* Opens path without blocking: a FIFO with no reader must not hold up the
 * agent inside open(). A FIFO that nobody reads yet is left closed (fd -1)
 * and retried at each write; anything else that fails is an error. */
static int file_open(const char *path, int flags, struct sink_file *f)
{
	struct stat st;
	int err;

	f->torn = false;
	f->size = 0;
	f->regular = false;
	f->fd = open(path, flags | O_NONBLOCK, FILE_MODE);
	if (f->fd < 0) {
		err = -errno;
		/* ENXIO is also a device without a driver or a socket file. */
		if (err == -ENXIO && !lstat(path, &st) && S_ISFIFO(st.st_mode))
			return 0;
		return err;
	}
	if (fstat(f->fd, &st)) {
		err = -errno;
		close(f->fd);
		return err;
	}
	f->regular = S_ISREG(st.st_mode);
	/* A regular file never blocks; clear the flag all the same. */
	if (f->regular && fcntl(f->fd, F_SETFL, O_APPEND)) {
		err = -errno;
		close(f->fd);
		return err;
	}
	f->size = f->regular ? st.st_size : 0;
	if (f->size) {
		err = cut_torn_tail(path, f);
		if (err) {
			close(f->fd);
			return err;
		}
	}
	return 0;
}

static const char *const gen_sfx[] = { ".gz", "" };

/* Generations past keep, left by a run with a larger rotate_keep: the keep
 * limit bounds the disk used whatever ran before. They are contiguous, so
 * the first number with no file ends them. */
static void drop_old_gens(const struct sink *s)
{
	char name[PATH_MAX];
	uint32_t k;
	int i, found;

	for (k = s->keep + 1; k <= SINK_MAX_KEEP + 1; k++) {
		found = 0;
		for (i = 0; i < 2; i++) {
			gen_name(s, k, gen_sfx[i], name, sizeof(name));
			found += !unlink(name);
		}
		if (!found)
			break;
	}
}

/* Moves generation k to k + 1 for k = keep..1, dropping the one at keep. */
static void shift_gens(const struct sink *s)
{
	char from[PATH_MAX], to[PATH_MAX];
	uint32_t k;
	int i;

	drop_old_gens(s);
	for (k = s->keep; k >= 1; k--) {
		for (i = 0; i < 2; i++) {
			gen_name(s, k, gen_sfx[i], from, sizeof(from));
			if (k == s->keep) {
				unlink(from);
				continue;
			}
			gen_name(s, k + 1, gen_sfx[i], to, sizeof(to));
			move(from, to);
		}
	}
}

/* Rotates: the fresh file is created first under PATH.new, so a failure to
 * create one changes nothing; then PATH becomes PATH.1 and PATH.new becomes
 * PATH, and the compressor starts. On failure the sink keeps its file. */
static int rotate(struct sink *s)
{
	char first[PATH_MAX], fresh[PATH_MAX];
	struct stat a, b;
	struct sink_file f;
	int err;

	/* PATH moved away without a SIGHUP (or replaced): rotating would move
	 * somebody else's file. Start at PATH again instead, as reopen does. */
	if (lstat(s->path, &a) || fstat(s->cur.fd, &b) || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev)
		return sink__reopen(s);
	if (s->gz.running) {
		/* Only when a whole file filled faster than the last one gzipped. */
		s->st.compress_waits++;
		gzgen__wait(&s->gz);
	}
	shift_gens(s);
	gen_name(s, 1, "", first, sizeof(first));
	snprintf(fresh, sizeof(fresh), "%s.new", s->path);
	err = file_open(fresh, OPEN_FLAGS | O_TRUNC, &f);
	if (err)
		goto fail;
	err = move(s->path, first);
	if (err) {
		unlink(fresh);
		close(f.fd);
		goto fail;
	}
	if (rename(fresh, s->path)) {
		/* Stay with the old file under its old name; hardly reachable. */
		err = -errno;
		move(first, s->path);
		unlink(fresh);
		close(f.fd);
		goto fail;
	}
	close(s->cur.fd);
	s->cur = f;
	s->st.rotations++;
	s->rotate_retry = 0;
	gzgen__start(&s->gz, s->path, s->keep);
	return 0;
fail:
	/* Not again on every line: after another sixteenth of rotate_size. */
	s->rotate_retry = s->cur.size + s->rotate_size / 16 + 1;
	s->st.rotate_errors++;
	return err;
}

/* Takes a failed line's bytes back out of the file. When that fails the file
 * ends in a fragment, and the next line starts with a newline to end it. */
static void file_undo(struct sink *s)
{
	struct stat st;

	if (fstat(s->cur.fd, &st)) {
		s->cur.torn = true;
		return;
	}
	if ((uint64_t)st.st_size <= s->cur.size) {
		s->cur.size = st.st_size; /* nothing got in, or truncated from outside */
		return;
	}
	if (ftruncate(s->cur.fd, s->cur.size)) {
		s->cur.size = st.st_size;
		s->cur.torn = true;
	}
}

static int file_write(struct sink *s, const char *line, size_t len)
{
	struct iovec iov[2] = { { (void *)"\n", 1 }, { (void *)line, len } };
	size_t want = len + s->cur.torn, off;
	ssize_t n, m;
	int err;

	if (s->rotate_size && s->cur.size && s->cur.size + want > s->rotate_size &&
	    s->cur.size >= s->rotate_retry && !rotate(s))
		want = len;
	do
		n = writev(s->cur.fd, s->cur.torn ? iov : iov + 1, s->cur.torn ? 2 : 1);
	while (n < 0 && errno == EINTR);
	if (n > 0 && (size_t)n < want) {
		/* Short: write the rest once, mainly to learn why (EFBIG, ENOSPC,
		 * EDQUOT); should it go through, the line is whole after all. */
		off = n - s->cur.torn;
		do
			m = write(s->cur.fd, line + off, len - off);
		while (m < 0 && errno == EINTR);
		if (m >= 0)
			n += m;
		else
			n = -1;
	}
	if (n == (ssize_t)want) {
		s->cur.size += want;
		s->cur.torn = false;
		return 0;
	}
	err = n < 0 ? -errno : -ENOSPC;
	file_undo(s);
	return err;
}

/* write() all of p to a stream (stdout, a pipe, a device), waiting WAIT_MS
 * for one that would block and FINISH_MS once bytes are out. */
static int put(int fd, const char *p, size_t len, size_t *done)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int budget = WAIT_MS;
	ssize_t n;

	*done = 0;
	while (*done < len) {
		n = write(fd, p + *done, len - *done);
		if (n > 0) {
			*done += n;
			budget = FINISH_MS;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && budget > 0) {
			poll(&pfd, 1, 10);
			budget -= 10;
			continue;
		}
		return n < 0 ? -errno : -EIO;
	}
	return 0;
}

/* A FIFO whose reader left (EPIPE) is closed, to be reopened at the next
 * write: a new reader may come. stdout cannot be reopened: it is gone. */
static void stream_lost(struct sink *s, int err)
{
	if (err != -EPIPE)
		return;
	if (s->kind == SINK_STDOUT) {
		s->gone = true;
		return;
	}
	close(s->cur.fd);
	s->cur.fd = -1;
	s->cur.torn = false;
}

/* A stream cannot be truncated: a line once begun is finished if at all
 * possible, and one that could not be ends with the next line's newline. */
static int stream_write(struct sink *s, const char *line, size_t len)
{
	size_t done;
	int err;

	if (s->gone)
		return -EPIPE;
	if (s->cur.fd < 0) {
		/* A FIFO without a reader so far: is there one now? */
		err = file_open(s->path, OPEN_FLAGS, &s->cur);
		if (err)
			return err;
		if (s->cur.fd < 0)
			return -ENXIO;
	}
	if (s->cur.torn) {
		err = put(s->cur.fd, "\n", 1, &done);
		if (err) {
			stream_lost(s, err);
			return err;
		}
		s->cur.torn = false;
	}
	err = put(s->cur.fd, line, len, &done);
	if (err && done)
		s->cur.torn = true;
	stream_lost(s, err);
	return err;
}

struct sink *sink__open(const char *spec, const struct sink_opts *opts)
{
	struct sink *s;
	int err;

	if (!spec || !*spec || (opts && opts->rotate_keep > SINK_MAX_KEEP)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cur.fd = -1;
	s->rotate_size = opts ? opts->rotate_size : 0;
	s->keep = opts && opts->rotate_keep ? opts->rotate_keep : SINK_DEFAULT_KEEP;
	if (!strcmp(spec, "none")) {
		s->kind = SINK_NONE;
		return s;
	}
	if (!strcmp(spec, "-")) {
		s->kind = SINK_STDOUT;
		s->cur.fd = STDOUT_FILENO;
		return s;
	}
	s->kind = SINK_FILE;
	if (strlen(spec) + sizeof(".999.gz.tmp") > PATH_MAX) {
		err = -ENAMETOOLONG;
		goto fail;
	}
	s->path = strdup(spec);
	if (!s->path) {
		err = -ENOMEM;
		goto fail;
	}
	err = file_open(s->path, OPEN_FLAGS, &s->cur);
	if (err)
		goto fail;
	if (!s->cur.regular)
		s->rotate_size = 0;
	return s;
fail:
	free(s->path);
	free(s);
	errno = -err;
	return NULL;
}

const char *sink__path_problem(const char *spec, char *buf, size_t n)
{
	const char *slash = strrchr(spec, '/');
	char dir[PATH_MAX];
	struct stat st;
	size_t len;

	if (!strcmp(spec, "-") || !strcmp(spec, "none") || !slash)
		return NULL;
	len = slash == spec ? 1 : (size_t)(slash - spec);
	if (len >= sizeof(dir))
		return NULL; /* too long: sink__open says so */
	memcpy(dir, spec, len);
	dir[len] = 0;
	if (stat(dir, &st)) {
		if (errno == ENOENT)
			snprintf(buf, n, "its folder '%s' does not exist", dir);
		else
			snprintf(buf, n, "its folder '%s': %s", dir, strerror(errno));
		return buf;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(buf, n, "'%s' is not a folder", dir);
		return buf;
	}
	return NULL;
}

int sink__write(struct sink *s, const char *line, size_t len)
{
	int err;

	if (!len || line[len - 1] != '\n')
		err = -EINVAL;
	else if (s->kind == SINK_NONE)
		err = 0;
	else if (s->cur.regular)
		err = file_write(s, line, len);
	else
		err = stream_write(s, line, len);
	if (err) {
		s->st.dropped++;
		return err;
	}
	s->st.lines++;
	s->st.bytes += len;
	return 0;
}

int sink__reopen(struct sink *s)
{
	struct sink_file f;
	int err;

	if (s->kind != SINK_FILE)
		return 0;
	err = file_open(s->path, OPEN_FLAGS, &f);
	if (err)
		return err;
	if (s->cur.fd >= 0)
		close(s->cur.fd);
	s->cur = f;
	s->rotate_retry = 0;
	if (!s->cur.regular)
		s->rotate_size = 0;
	return 0;
}

int sink__close(struct sink *s)
{
	int err = 0, gz_err;

	if (!s)
		return 0;
	gz_err = gzgen__wait(&s->gz);
	if (s->kind == SINK_FILE) {
		/* One fsync at exit: lines of a clean stop survive a power cut. */
		if (s->cur.regular && fsync(s->cur.fd))
			err = -errno;
		if (s->cur.fd >= 0 && close(s->cur.fd) && !err)
			err = -errno;
	}
	if (!err)
		err = gz_err;
	free(s->path);
	free(s);
	return err;
}

void sink__stats(const struct sink *s, struct sink_stats *st)
{
	st->lines = s->st.lines;
	st->bytes = s->st.bytes;
	st->dropped = s->st.dropped;
	st->rotations = s->st.rotations;
	st->compress_errors = gzgen__errors(&s->gz);
	st->rotate_errors = s->st.rotate_errors;
	st->compress_waits = s->st.compress_waits;
}

bool sink__gone(const struct sink *s)
{
	return s->gone;
}

const char *sink__name(const struct sink *s)
{
	if (s->kind == SINK_NONE)
		return "none";
	if (s->kind == SINK_STDOUT)
		return "stdout";
	return s->path;
}
