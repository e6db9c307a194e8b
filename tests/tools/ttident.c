// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The agent's user-side identity chain on this machine, for tests and
 * troubleshooting:
 *
 *   ttident pid PID [ROLE PORT]  the service object a socket of PID would get:
 *                                its netns (PROC/PID/ns/net), its cgroup id
 *                                (the inode of its cgroup v2 directory, from
 *                                PROC/PID/cgroup) and the names a walk finds,
 *                                printed as a metrics line
 *   ttident listen               every (netns, port) in LISTEN, one per line,
 *                                then "namespaces N unreadable N ports N"
 *   ttident walk                 one walk of the cgroup tree: the root, the
 *                                cgroups found and the time it took
 *
 * Exits 0, 1 on a failure (printed), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/procfs.h"
#include "agent/workload.h"
#include "out/emit.h"

static int usage(void)
{
	fprintf(stderr, "usage: ttident pid PID [server|client PORT] | listen | walk\n");
	return 2;
}

/* PID's cgroup v2 path, from the "0::" line of PROC/PID/cgroup. */
static int cgroup_path(const char *pid, char *buf, size_t len)
{
	char path[64], line[PATH_MAX];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line + 3);
			err = 0;
		}
	fclose(f);
	return err;
}

static int cmd_pid(int argc, char **argv)
{
	struct svc_sample s = { .interval_s = 1, .ts = (double)time(NULL) };
	char rel[PATH_MAX], dir[PATH_MAX * 2];
	struct workload *w;
	struct stat st;
	cJSON *o;
	int err;

	if (argc == 5 && (svc_role_parse(argv[3], &s.id.role) || !atoi(argv[4])))
		return usage();
	s.id.port = argc == 5 ? (uint16_t)atoi(argv[4]) : 0;
	err = procfs__netns("/proc", argv[2], &s.id.netns);
	if (err) {
		fprintf(stderr, "ttident: /proc/%s/ns/net: %s\n", argv[2], strerror(-err));
		return 1;
	}
	w = workload__new(&(struct workload_opts){ 0 });
	if (!w || !workload__root(w)[0]) {
		fprintf(stderr, "ttident: no cgroup v2 mount found\n");
		workload__free(w);
		return 1;
	}
	err = cgroup_path(argv[2], rel, sizeof(rel));
	snprintf(dir, sizeof(dir), "%s%s", workload__root(w), rel);
	if (err || stat(dir, &st)) {
		fprintf(stderr, "ttident: the cgroup of %s: %s\n", argv[2], strerror(err ? -err : errno));
		workload__free(w);
		return 1;
	}
	s.id.cgroup = st.st_ino;
	/* The agent's way: ask, walk, ask again. */
	if (workload__fill(w, &s.id) == -EAGAIN)
		err = workload__refresh(w);
	if (!err)
		err = workload__fill(w, &s.id);
	if (err) {
		fprintf(stderr, "ttident: resolving cgroup %llu: %s\n",
			(unsigned long long)s.id.cgroup, strerror(-err));
		workload__free(w);
		return 1;
	}
	o = emit__metrics(&s, "ttident");
	cJSON_AddNumberToObject(o, "seq", 1);
	err = emit__line(stdout, o);
	cJSON_Delete(o);
	workload__free(w);
	return err ? 1 : 0;
}

static int cmd_listen(void)
{
	struct listen_scan sc;
	size_t i;
	int err = procfs__listen_scan("/proc", &sc);

	if (err) {
		fprintf(stderr, "ttident: scanning /proc: %s\n", strerror(-err));
		return 1;
	}
	for (i = 0; i < sc.n; i++)
		printf("%u %u\n", sc.ports[i].netns, sc.ports[i].port);
	printf("namespaces %u unreadable %u ports %zu\n", sc.namespaces, sc.unreadable, sc.n);
	free(sc.ports);
	return 0;
}

static int cmd_walk(void)
{
	struct workload *w = workload__new(&(struct workload_opts){ 0 });
	struct workload_stats st;
	int err;

	if (!w)
		return 1;
	err = workload__refresh(w);
	workload__stats(w, &st);
	printf("root %s host_netns %u cgroups %llu walk_ms %.3f truncated %llu\n",
	       workload__root(w), st.host_netns, (unsigned long long)st.cgroups,
	       st.last_walk_s * 1e3, (unsigned long long)st.truncated);
	workload__free(w);
	if (err)
		fprintf(stderr, "ttident: walk: %s\n", strerror(-err));
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "pid") && (argc == 3 || argc == 5))
		return cmd_pid(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "listen"))
		return cmd_listen();
	if (argc == 2 && !strcmp(argv[1], "walk"))
		return cmd_walk();
	return usage();
}
