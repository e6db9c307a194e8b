/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A minimal test harness: CHECK records a failure with file and line and goes
 * on; check_done() prints "N passed, N failed" and gives the exit status.
 */
#ifndef TT_CHECK_H
#define TT_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (cond) {                                                          \
			check_passed++;                                              \
		} else {                                                             \
			check_failed++;                                              \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
		}                                                                    \
	} while (0)

/* |a - b| <= tol, printing both values when it fails. */
#define CHECK_NEAR(a, b, tol)                                                        \
	do {                                                                         \
		double check_a_ = (a), check_b_ = (b);                               \
		if (fabs(check_a_ - check_b_) <= (tol)) {                            \
			check_passed++;                                              \
		} else {                                                             \
			check_failed++;                                              \
			fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %g, %s = %g, tol %g\n", \
				__FILE__, __LINE__, #a, check_a_, #b, check_b_,      \
				(double)(tol));                                      \
		}                                                                    \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif /* TT_CHECK_H */
