// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Scrapes a URL at a fixed rate over one keep-alive connection, for the
 * endpoint's tests and benchmark:
 *
 *   scraper URL RATE SECONDS [ACCEPT]
 *
 * GETs URL RATE times a second on a fixed schedule for SECONDS, with the
 * Accept header ACCEPT if given, then prints one JSON line
 * {"requests":N,"errors":N,"late":N,"bytes":N,"mean_ms":X,"max_ms":X}.
 * A request whose slot passed while the previous one ran goes out at once
 * and counts as late. Exits 0, 1 when any request failed, 2 on bad usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <curl/curl.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t count(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	*(size_t *)ctx += size * n;
	return size * n;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t };

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	double rate, secs, start, slot, t0, dt, sum = 0, max = 0;
	unsigned long requests = 0, errors = 0, late = 0;
	struct curl_slist *hdr = NULL;
	size_t bytes = 0;
	long code;
	CURL *c;

	if (argc < 4 || (rate = atof(argv[2])) <= 0 || (secs = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: scraper URL RATE SECONDS [ACCEPT]\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	if (!c)
		return 1;
	if (argc > 4) {
		char h[256];

		snprintf(h, sizeof(h), "Accept: %s", argv[4]);
		hdr = curl_slist_append(NULL, h);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	}
	curl_easy_setopt(c, CURLOPT_URL, argv[1]);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, count);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bytes);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	start = now_s();
	for (slot = start; slot < start + secs; slot += 1 / rate) {
		if (now_s() > slot + 0.001)
			late++;
		sleep_until(slot);
		t0 = now_s();
		code = 0;
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200)
			errors++;
		dt = (now_s() - t0) * 1e3;
		sum += dt;
		max = dt > max ? dt : max;
		requests++;
	}
	printf("{\"requests\":%lu,\"errors\":%lu,\"late\":%lu,\"bytes\":%zu,\"mean_ms\":%.3f,"
	       "\"max_ms\":%.3f}\n",
	       requests, errors, late, bytes, requests ? sum / (double)requests : 0, max);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	curl_global_cleanup();
	return errors ? 1 : 0;
}
