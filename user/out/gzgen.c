// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "out/gzgen.h"

#define FILE_MODE 0640
#define GZ_BUF 65536

static int zlib_errno(int zerr)
{
	switch (zerr) {
	case Z_MEM_ERROR:
		return -ENOMEM;
	case Z_STREAM_ERROR:
	case Z_VERSION_ERROR:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/* Deflates everything readable from in as one gzip member into out. */
static int gz_copy(int in, int out)
{
	int zerr = Z_OK, flush = Z_NO_FLUSH, err = 0;
	z_stream zs = { 0 };
	unsigned char *buf;
	ssize_t n;

	buf = malloc(2 * GZ_BUF);
	if (!buf)
		return -ENOMEM;
	zerr = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			    Z_DEFAULT_STRATEGY);
	if (zerr != Z_OK) {
		free(buf);
		return zlib_errno(zerr);
	}
	do {
		n = read(in, buf, GZ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		flush = n ? Z_NO_FLUSH : Z_FINISH;
		zs.next_in = buf;
		zs.avail_in = n;
		do {
			zs.next_out = buf + GZ_BUF;
			zs.avail_out = GZ_BUF;
			zerr = deflate(&zs, flush);
			if (zerr == Z_STREAM_ERROR)
				err = zlib_errno(zerr);
			else
				err = write_all(out, buf + GZ_BUF, GZ_BUF - zs.avail_out);
		} while (!err && zs.avail_out == 0);
	} while (!err && flush != Z_FINISH);
	if (!err && zerr != Z_STREAM_END)
		err = zlib_errno(zerr);
	deflateEnd(&zs);
	free(buf);
	return err;
}

/* Gzips generation k's plain file PATH.k into PATH.k.gz by way of
 * PATH.k.gz.tmp, so the .gz name only ever holds a whole, synced stream, then
 * removes PATH.k. No plain file is not an error. */
static int compress_gen(const char *path, uint32_t k)
{
	char src[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX];
	int in, out, err;

	snprintf(src, sizeof(src), "%s.%u", path, k);
	snprintf(tmp, sizeof(tmp), "%s.%u.gz.tmp", path, k);
	snprintf(dst, sizeof(dst), "%s.%u.gz", path, k);
	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return errno == ENOENT ? 0 : -errno;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, FILE_MODE);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	err = gz_copy(in, out);
	if (!err && fsync(out))
		err = -errno;
	if (close(out) && !err)
		err = -errno;
	close(in);
	/* rename() may replace a PATH.k.gz a crash left beside PATH.k: same bytes. */
	if (!err && rename(tmp, dst))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return unlink(src) ? -errno : 0;
}

/* The compressor: every generation still plain, so one that failed before (or
 * that a crash left behind) is retried at the next rotation. */
static void *gz_main(void *arg)
{
	struct gzgen *g = arg;
	uint32_t k;
	int err;

	for (k = 1; k <= g->keep; k++) {
		err = compress_gen(g->path, k);
		if (!err)
			continue;
		__atomic_fetch_add(&g->errors, 1, __ATOMIC_RELAXED);
		if (!g->err)
			g->err = err;
	}
	return NULL;
}

void gzgen__start(struct gzgen *g, const char *path, uint32_t keep)
{
	sigset_t all, old;
	int err;

	g->path = path;
	g->keep = keep;
	g->err = 0;
	/* The thread inherits a full mask, so SIGINT, SIGTERM and SIGHUP keep
	 * interrupting the caller's loop and never land in the compressor. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&g->thread, NULL, gz_main, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		gz_main(g); /* no thread to be had: a stall beats a plain generation */
	else
		g->running = true;
}

int gzgen__wait(struct gzgen *g)
{
	if (g->running) {
		pthread_join(g->thread, NULL);
		g->running = false;
	}
	return g->err;
}

uint64_t gzgen__errors(const struct gzgen *g)
{
	return __atomic_load_n(&g->errors, __ATOMIC_RELAXED);
}
