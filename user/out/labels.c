// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
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
	const struct svc_names *nm = &id->names;
	size_t n = 0;

	n = set(out, n, "role", "%s", svc_role_name(id->role));
	n = set(out, n, "port", "%u", id->port);
	/* comm is the last process seen on the data path: a label that can
	 * change, so consumers that need a stable set use the others. */
	if (id->comm[0])
		n = set(out, n, "comm", "%.*s", TT_COMM_LEN, id->comm);
	if (id->flags & SVC_F_OTHER)
		n = set(out, n, "other", "true");
	if (id->netns)
		n = set(out, n, "netns", "%u", id->netns);
	/* A cgroup no walk could name is still one service: its number. The
	 * number also goes apart, as it is the identity: a unit restarted gets a
	 * new cgroup at the old path, and both services live until the old
	 * one retires. */
	if (nm->cgroup[0])
		n = set(out, n, "cgroup", "%s", nm->cgroup);
	else if (id->cgroup)
		n = set(out, n, "cgroup", "%llu", (unsigned long long)id->cgroup);
	if (id->cgroup)
		n = set(out, n, "cgroup_id", "%llu", (unsigned long long)id->cgroup);
	if (nm->container[0]) {
		n = set(out, n, "container_id", "%s", nm->container);
		if (nm->runtime[0])
			n = set(out, n, "container_runtime", "%s", nm->runtime);
	}
	if (nm->pod_uid[0])
		n = set(out, n, "pod_uid", "%s", nm->pod_uid);
	if (nm->unit[0])
		n = set(out, n, "unit", "%s", nm->unit);
	return n;
}

/* Copies member name of o into buf when it is a string that fits. */
static void get_str(const cJSON *o, const char *name, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (cJSON_IsString(v) && strlen(v->valuestring) < len)
		memcpy(buf, v->valuestring, strlen(v->valuestring) + 1);
}

/* Member name of o as a whole number in [0, max], else 0. */
static uint64_t get_num(const cJSON *o, const char *name, double max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > max ||
	    v->valuedouble != floor(v->valuedouble))
		return 0;
	return (uint64_t)v->valuedouble;
}

size_t labels__from_json(const cJSON *service, struct label *out)
{
	const cJSON *role = cJSON_GetObjectItemCaseSensitive(service, "role");
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(service, "port");
	const cJSON *ctr = cJSON_GetObjectItemCaseSensitive(service, "container");
	struct svc_id id;

	memset(&id, 0, sizeof(id));
	if (!cJSON_IsString(role) || svc_role_parse(role->valuestring, &id.role) ||
	    !cJSON_IsNumber(port))
		return 0;
	id.port = (uint16_t)get_num(service, "port", 65535);
	id.netns = (uint32_t)get_num(service, "netns", 4294967295.0);
	id.cgroup = get_num(service, "cgroup_id", 18446744073709549568.0);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(service, "other")))
		id.flags |= SVC_F_OTHER;
	get_str(service, "comm", id.comm, sizeof(id.comm));
	get_str(service, "cgroup", id.names.cgroup, sizeof(id.names.cgroup));
	get_str(ctr, "id", id.names.container, sizeof(id.names.container));
	get_str(ctr, "runtime", id.names.runtime, sizeof(id.names.runtime));
	get_str(service, "pod_uid", id.names.pod_uid, sizeof(id.names.pod_uid));
	get_str(service, "unit", id.names.unit, sizeof(id.names.unit));
	return labels__service(&id, out);
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
