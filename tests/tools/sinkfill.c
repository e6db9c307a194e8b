// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Drives one file sink the way the agent does, for tests on real
 * filesystems (a tmpfs that fills up):
 *
 *   sinkfill [--rotate-size BYTES] [--keep N] [--pad BYTES] PATH N [M]
 *
 * writes N JSON lines {"seq":0..N-1,"pad":"..."} through sink__write and
 * prints the sink's counters as one JSON line; with M, it then waits for a
 * line on stdin (the test frees space meanwhile), writes M more lines through
 * the same open sink, seq going on, and prints the counters again. Exits 0,
 * 1 when the sink cannot be opened or closing it fails, 2 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/sink.h"

static void usage(void)
{
	fprintf(stderr, "usage: sinkfill [--rotate-size BYTES] [--keep N] [--pad BYTES] PATH N [M]\n");
	exit(2);
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		usage();
	return v;
}

/* Writes lines seq from..to-1; returns the first write error, or 0. */
static int fill(struct sink *s, unsigned long from, unsigned long to, const char *pad)
{
	char line[8192];
	int first = 0, err, n;

	for (; from < to; from++) {
		n = snprintf(line, sizeof(line), "{\"seq\":%lu,\"pad\":\"%s\"}\n", from, pad);
		err = sink__write(s, line, (size_t)n);
		if (err && !first)
			first = err;
	}
	return first;
}

static void report(const struct sink *s, int phase, int err)
{
	struct sink_stats st;

	sink__stats(s, &st);
	printf("{\"phase\":%d,\"lines\":%llu,\"bytes\":%llu,\"dropped\":%llu,\"rotations\":%llu,"
	       "\"compress_errors\":%llu,\"rotate_errors\":%llu,\"first_error\":\"%s\"}\n",
	       phase, (unsigned long long)st.lines, (unsigned long long)st.bytes,
	       (unsigned long long)st.dropped, (unsigned long long)st.rotations,
	       (unsigned long long)st.compress_errors, (unsigned long long)st.rotate_errors,
	       err ? strerror(-err) : "");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rotate-size", required_argument, NULL, 'r' },
		{ "keep", required_argument, NULL, 'k' },
		{ "pad", required_argument, NULL, 'p' },
		{ 0 },
	};
	struct sink_opts o = { 0 };
	unsigned long n, m = 0, padlen = 64;
	char *pad, go[64];
	struct sink *s;
	int c, err;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'r')
			o.rotate_size = num(optarg);
		else if (c == 'k')
			o.rotate_keep = num(optarg);
		else if (c == 'p')
			padlen = num(optarg);
		else
			usage();
	}
	if (argc - optind < 2 || argc - optind > 3 || padlen > 4096)
		usage();
	n = num(argv[optind + 1]);
	if (argc - optind == 3)
		m = num(argv[optind + 2]);
	pad = malloc(padlen + 1);
	if (!pad)
		return 1;
	memset(pad, 'x', padlen);
	pad[padlen] = '\0';

	s = sink__open(argv[optind], &o);
	if (!s) {
		fprintf(stderr, "sinkfill: %s: %s\n", argv[optind], strerror(errno));
		free(pad);
		return 1;
	}
	report(s, 1, fill(s, 0, n, pad));
	if (argc - optind == 3) {
		if (!fgets(go, sizeof(go), stdin))
			fprintf(stderr, "sinkfill: no go-ahead on stdin, writing on\n");
		report(s, 2, fill(s, n, n + m, pad));
	}
	err = sink__close(s);
	free(pad);
	if (err) {
		fprintf(stderr, "sinkfill: closing: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
