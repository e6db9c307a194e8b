/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Output sinks: where one stream of JSON lines goes. stdout, nowhere, or a
 * file that rotates by size into gzip generations PATH.1.gz .. PATH.N.gz.
 *
 * Every line reaches the file whole or not at all: one write() per line, and
 * a write that fails part-way (disk full, quota, EFBIG, EIO) is truncated
 * away, counted as dropped, and the next line tries again, so writing
 * resumes by itself when space returns. Opening an existing file cuts off a
 * torn last line a crash may have left.
 *
 * Rotation order, for readers that follow the name (rsyslog imfile, tail -F):
 * the last line goes into PATH whole, PATH is renamed to PATH.1 (a reader
 * holding it open reads on to its end), a fresh PATH is created, and only
 * then does a background thread gzip PATH.1 into PATH.1.gz.tmp, rename that
 * to PATH.1.gz and unlink PATH.1. Nothing is written to a file after its
 * rename, so every line is in exactly one of PATH.k.gz, PATH.k or PATH.
 * Generation k is PATH.k.gz, or PATH.k while it waits for (or failed)
 * compression; the next rotation shifts both kinds and retries the latter.
 * A rotation finding that PATH no longer names the sink's file (moved away
 * without a SIGHUP) reopens PATH instead of renaming somebody else's file.
 * A rotation that fails (PATH.1 cannot be freed, PATH.new not created)
 * changes nothing and is retried after another rotate_size / 16 bytes.
 *
 * Not thread-safe: one thread writes to a sink. The compressor thread only
 * touches rotated files and blocks every signal.
 */
#ifndef TT_SINK_H
#define TT_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SINK_DEFAULT_KEEP 5
#define SINK_MAX_KEEP 999

struct sink_opts {
	uint64_t rotate_size; /* rotate when the file would exceed this many bytes; 0 = never */
	uint32_t rotate_keep; /* compressed generations kept: PATH.1.gz .. PATH.N.gz; 0 = 5 */
};

struct sink_stats {
	uint64_t lines;		  /* lines written (for "none": accepted), count */
	uint64_t bytes;		  /* bytes of those lines, bytes */
	uint64_t dropped;	  /* lines not written, count */
	uint64_t rotations;	  /* completed renames of PATH to PATH.1, count */
	uint64_t compress_errors; /* generations left uncompressed by a failure, count */
	uint64_t rotate_errors;	  /* rotations abandoned (rename or create failed), count */
	uint64_t compress_waits;  /* rotations that waited for the previous gzip, count */
};

struct sink;

/* Opens spec: "-" (stdout), "none" (discards, counts lines) or a file path,
 * created 0640 (before umask), appended to, never through a symlink (ELOOP).
 * A path that is not a regular file (FIFO, device) is opened and written
 * without blocking; a FIFO with no reader yet is opened at the first write
 * that finds one, and a FIFO whose reader leaves is reopened the same way:
 * meanwhile its lines are dropped (-ENXIO, -EPIPE) and counted, like a full
 * disk's. opts may be NULL. Returns NULL and sets errno (ENOENT: directory
 * missing). */
struct sink *sink__open(const char *spec, const struct sink_opts *opts);

/* What keeps sink__open from creating the file spec names, found without
 * opening anything: its folder is missing or not a folder. NULL for "-",
 * "none" and a path whose folder is there (a file there that cannot be
 * written still fails at sink__open). */
const char *sink__path_problem(const char *spec, char *buf, size_t n);

/* Writes one whole line (len > 0, line[len - 1] == '\n'), rotating first when
 * the file would grow past rotate_size. Returns 0, or a negative errno when
 * the line was dropped (counted); nothing of a dropped line stays in a file. */
int sink__write(struct sink *s, const char *line, size_t len);

/* Reopens the file at its path (SIGHUP, for logrotate users): after an
 * external mv this starts a new file. Returns 0 or a negative errno; on error
 * the sink keeps writing where it did. A no-op for stdout and "none". */
int sink__reopen(struct sink *s);

/* Waits for a running compression, fsyncs and closes a file sink and frees s.
 * Returns 0 or the first error (fsync, close, the last compression). NULL is
 * accepted. */
int sink__close(struct sink *s);

/* Copies the counters into st; compress_errors may lag a running gzip. */
void sink__stats(const struct sink *s, struct sink_stats *st);

/* True once a write to stdout failed with EPIPE: its reader is gone and
 * cannot come back, so every later line would be dropped. */
bool sink__gone(const struct sink *s);

/* "stdout", "none" or the file's path. */
const char *sink__name(const struct sink *s);

#endif /* TT_SINK_H */
