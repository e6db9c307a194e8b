/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Dropping privileges once the programs are attached and the outputs open:
 * the agent keeps counting through the map file descriptors it holds.
 */
#ifndef TT_PRIVS_H
#define TT_PRIVS_H

/* Switches to user (its uid, gid and no supplementary groups) when user is
 * non-empty, then empties every capability set and forbids regaining any;
 * where the kernel lets only a capable process read BPF maps (before 5.19,
 * told by a call on map_fd), it keeps that one capability and says so.
 * Returns 0, or a negative errno after printing what failed. */
int privs__drop(const char *user, int map_fd);

#endif /* TT_PRIVS_H */
