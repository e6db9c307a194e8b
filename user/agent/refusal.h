/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the kernel refused while telltale's BPF object loaded: the program or
 * map, and why, read from libbpf's own messages as they pass through its
 * print callback (libbpf unloads everything before it returns the error, so
 * nothing else is left to ask).
 */
#ifndef TT_REFUSAL_H
#define TT_REFUSAL_H

#include <stdbool.h>

struct refusal {
	char kind[8];	   /* "program", "map", or "" while nothing was named */
	char name[64];	   /* the program's or map's name */
	char error[128];   /* libbpf's text of the errno, e.g. "Permission denied" */
	char reason[256];  /* a program's: the verifier's last word; "" if none */
	int err;	   /* a map's: the negative errno libbpf printed, else 0 */
};

/* Notes in r what one formatted libbpf message says was refused. Returns
 * true when msg is a verifier log (long: the caller shows it only when
 * asked to be verbose). */
bool refusal__note(struct refusal *r, const char *msg);

#endif /* TT_REFUSAL_H */
