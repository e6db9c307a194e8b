// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>

#include "agent/refusal.h"

#define LOG_BEGIN "': -- BEGIN PROG LOAD LOG --\n"
#define LOG_END "-- END PROG LOAD LOG --"

/* Copies the text between p and the end of its line into buf. */
static void copy_line(char *buf, size_t len, const char *p)
{
	size_t n = strcspn(p, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

/* The verifier says why at the end of its log, before its statistics. */
static bool statistics(const char *line, size_t n)
{
	static const char *const stats[] = { "processed ", "verification time", "stack depth",
					     "mark_read", "max_states_per_insn" };
	size_t i;

	if (!n)
		return true;
	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		if (!strncmp(line, stats[i], strlen(stats[i])))
			return true;
	return false;
}

/* The last line of the log in [log, end) that is not statistics. */
static void last_word(char *buf, size_t len, const char *log, const char *end)
{
	const char *p, *nl;
	size_t n;

	for (p = log; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		n = (size_t)(nl - p);
		if (statistics(p, n))
			continue;
		n = n < len ? n : len - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
	}
}

/* "libbpf: prog 'NAME'..." or "libbpf: map 'NAME'...": the name, and where
 * the rest begins. */
static const char *named(const char *msg, const char *what, char *name, size_t len)
{
	const char *p = strstr(msg, what), *q;
	size_t n;

	if (!p)
		return NULL;
	p += strlen(what);
	q = strchr(p, '\'');
	if (!q || q == p)
		return NULL;
	n = (size_t)(q - p) < len ? (size_t)(q - p) : len - 1;
	memcpy(name, p, n);
	name[n] = '\0';
	return q;
}

bool refusal__note(struct refusal *r, const char *msg)
{
	char name[sizeof(r->name)];
	const char *rest, *end;
	int e;

	rest = named(msg, "prog '", name, sizeof(name));
	if (rest && !strncmp(rest, LOG_BEGIN, strlen(LOG_BEGIN))) {
		rest += strlen(LOG_BEGIN);
		end = strstr(rest, LOG_END);
		if (!strcmp(r->kind, "program") && !strcmp(r->name, name))
			last_word(r->reason, sizeof(r->reason), rest, end ? end : rest + strlen(rest));
		return true;
	}
	if (rest && !strncmp(rest, "': BPF program load failed: ", 28)) {
		memset(r, 0, sizeof(*r));
		strcpy(r->kind, "program");
		strcpy(r->name, name);
		copy_line(r->error, sizeof(r->error), rest + 28);
		return false;
	}
	rest = named(msg, "map '", name, sizeof(name));
	if (rest && !strncmp(rest, "': failed to create: ", 21)) {
		memset(r, 0, sizeof(*r));
		strcpy(r->kind, "map");
		strcpy(r->name, name);
		copy_line(r->error, sizeof(r->error), rest + 21);
		/* "Cannot allocate memory(-12)": the errno, and the text alone. */
		end = strrchr(r->error, '(');
		if (end && sscanf(end, "(%d)", &e) == 1 && e < 0) {
			r->err = e;
			r->error[end - r->error] = '\0';
		}
	}
	return false;
}
