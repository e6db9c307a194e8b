// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "out/labels.h"

__attribute__((format(printf, 4, 5))) static size_t set(struct label *out, size_t n,
							 const char *name, const char *fmt, ...)
{
	va_list ap;

	if (n >= LABELS_MAX)
		return n;
	snprintf(out[n].name, sizeof(out[n].name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(out[n].value, sizeof(out[n].value), fmt, ap);
	va_end(ap);
	return n + 1;
}

size_t labels__service(const struct svc_id *id, struct label *out)
{
	size_t n = 0;

	n = set(out, n, "role", "%s", svc_role_name(id->role));
	n = set(out, n, "port", "%u", id->port);
	/* comm is the last process seen on the data path: a label that can
	 * change, so consumers that need a stable set use role and port. */
	if (id->comm[0])
		n = set(out, n, "comm", "%.*s", TT_COMM_LEN, id->comm);
	return n;
}

static size_t from_json(const cJSON *o, const char *prefix, struct label *out, size_t n)
{
	const cJSON *e;
	char name[32];

	cJSON_ArrayForEach(e, o) {
		if (n >= LABELS_MAX || !e->string)
			break;
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "_" : "", e->string);
		if (cJSON_IsString(e))
			n = set(out, n, name, "%s", e->valuestring);
		else if (cJSON_IsNumber(e))
			n = set(out, n, name, "%.0f", e->valuedouble);
		else if (cJSON_IsBool(e))
			n = set(out, n, name, "%s", cJSON_IsTrue(e) ? "true" : "false");
		else if (cJSON_IsObject(e) && !*prefix)
			n = from_json(e, e->string, out, n);
	}
	return n;
}

size_t labels__from_json(const cJSON *service, struct label *out)
{
	return cJSON_IsObject(service) ? from_json(service, "", out, 0) : 0;
}

/* Appends c to buf at *pos when it fits; *pos counts on regardless. */
static void put(char *buf, size_t len, size_t *pos, char c)
{
	if (*pos + 1 < len)
		buf[*pos] = c;
	(*pos)++;
}

size_t labels__format(const struct label *l, size_t n, char *buf, size_t len)
{
	size_t pos = 0, i;
	const char *p;

	for (i = 0; i < n; i++) {
		if (i)
			put(buf, len, &pos, ',');
		for (p = l[i].name; *p; p++)
			put(buf, len, &pos, *p);
		put(buf, len, &pos, '=');
		put(buf, len, &pos, '"');
		for (p = l[i].value; *p; p++) {
			if (*p == '\\' || *p == '"' || *p == '\n') {
				put(buf, len, &pos, '\\');
				put(buf, len, &pos, *p == '\n' ? 'n' : *p);
			} else {
				put(buf, len, &pos, *p);
			}
		}
		put(buf, len, &pos, '"');
	}
	if (len)
		buf[pos < len ? pos : len - 1] = '\0';
	return pos;
}
