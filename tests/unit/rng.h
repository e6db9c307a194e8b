/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Seeded, platform-independent random numbers for tests, the scenario
 * generator and the benchmarks: splitmix64, with normal, Student-t and
 * Poisson draws built on it, so a seed gives the same stream everywhere.
 */
#ifndef TT_RNG_H
#define TT_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in (0,1). */
static inline double rng_unif(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static inline double rng_normal(struct rng *r)
{
	double u = rng_unif(r), v = rng_unif(r);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* Student-t with k degrees of freedom, scaled to unit variance (k > 2). */
static inline double rng_student(struct rng *r, int k)
{
	double chi = 0;
	int i;

	for (i = 0; i < k; i++) {
		double g = rng_normal(r);

		chi += g * g;
	}
	return rng_normal(r) / sqrt(chi / k) * sqrt((k - 2.0) / k);
}

/* Poisson by inversion; fine for the small means tests use. */
static inline unsigned rng_poisson(struct rng *r, double mean)
{
	double l = exp(-mean), p = 1;
	unsigned k = 0;

	if (mean > 50)
		return (unsigned)fmax(0, round(mean + sqrt(mean) * rng_normal(r)));
	do {
		k++;
		p *= rng_unif(r);
	} while (p > l);
	return k - 1;
}

#endif /* TT_RNG_H */
