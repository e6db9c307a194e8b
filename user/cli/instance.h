/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One agent per host: two would attach twice and anything collecting both
 * would count the host twice. The lock is an flock(2) on a pid file, so it
 * dies with the process however it dies; a pid file left by a dead agent is
 * taken over, never obeyed.
 */
#ifndef TT_INSTANCE_H
#define TT_INSTANCE_H

#define INSTANCE_DIR "/run/telltale"
#define INSTANCE_FILE "telltale.pid"

/* Takes the lock on dir/telltale.pid (dir is created 0755 if missing) and
 * writes our pid and start time into it. Returns the descriptor to keep open
 * until exit, or a negative errno after printing the problem: -EBUSY when
 * another agent holds it (the message names its pid and start time and the
 * option that runs side by side). */
int instance__lock(const char *dir);

/* Empties the pid file, so it names no agent, and releases the lock. A
 * negative fd is accepted. */
void instance__unlock(int fd);

#endif /* TT_INSTANCE_H */
