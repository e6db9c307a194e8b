// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cgroup ids to names on a fixture cgroup tree and /proc built here (the
 * roots are parameters), through a synchronous walk and through the walker
 * thread; then the same against this machine's /proc and cgroup v2 root. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "agent/procfs.h"
#include "agent/workload.h"

#define ID "3f1d7c2a9b8e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"
#define UID "0f3a2b1c-4d5e-6f70-8192-a3b4c5d6e7f8"
#define UID_ "0f3a2b1c_4d5e_6f70_8192_a3b4c5d6e7f8"
#define HOST_NS 4026531840u

static char base[64], proc[128], cg[160];

static void mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (p = path + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static uint64_t ino_of(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", cg, rel);
	return stat(path, &st) ? 0 : st.st_ino;
}

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", proc, rel);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void ns_link(const char *pid, unsigned ino)
{
	char path[PATH_MAX], target[64];

	snprintf(path, sizeof(path), "%s/%s/ns", proc, pid);
	mkdirs(path, "");
	snprintf(path, sizeof(path), "%s/%s/ns/net", proc, pid);
	snprintf(target, sizeof(target), "net:[%u]", ino);
	unlink(path);
	CHECK(symlink(target, path) == 0);
}

static const char *const paths[] = {
	"/system.slice/nginx.service",
	"/system.slice/docker-" ID ".scope",
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	".slice/cri-containerd-" ID ".scope",
	"/kubepods/burstable/pod" UID "/" ID,
};

static void build_fixture(void)
{
	char line[PATH_MAX + 128];
	size_t i;

	snprintf(proc, sizeof(proc), "%s/proc", base);
	snprintf(cg, sizeof(cg), "%s/cg root", base); /* a space, escaped in mountinfo */
	mkdirs(proc, "/self");
	mkdirs(cg, "");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		mkdirs(cg, paths[i]);
	ns_link("1", HOST_NS);
	ns_link("self", HOST_NS);
	snprintf(line, sizeof(line),
		 "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
		 "30 22 0:26 / %s/cg\\040root rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n", base);
	put("self/mountinfo", line);
}

static void test_fixture(void)
{
	struct workload *w = workload__new(&(struct workload_opts){ .proc = proc });
	struct workload_stats st;
	struct svc_id id = { 0 };
	char path[PATH_MAX];

	CHECK(w != NULL);
	if (!w)
		return;
	/* The mount point comes from mountinfo, its \040 undone. */
	CHECK(!strcmp(workload__root(w), cg));
	workload__stats(w, &st);
	CHECK(st.host_netns == HOST_NS);

	/* Before any walk nothing is known: the answer is "later". */
	id.cgroup = ino_of(paths[1]);
	id.netns = HOST_NS;
	CHECK(workload__fill(w, &id) == -EAGAIN);
	CHECK(id.host_netns && !id.names.cgroup[0]);
	CHECK(workload__refresh(w) == 0);
	CHECK(workload__fill(w, &id) == 0);
	CHECK(!strcmp(id.names.cgroup, paths[1]));
	CHECK(!strcmp(id.names.container, ID) && !strcmp(id.names.runtime, "docker"));

	id.cgroup = ino_of(paths[0]);
	id.netns = 4026532100u;
	CHECK(workload__fill(w, &id) == 0);
	CHECK(!id.host_netns && !strcmp(id.names.unit, "nginx.service"));
	CHECK(!id.names.container[0] && !id.names.pod_uid[0]);

	id.cgroup = ino_of(paths[2]);
	CHECK(workload__fill(w, &id) == 0);
	CHECK(!strcmp(id.names.pod_uid, UID) && !strcmp(id.names.runtime, "containerd"));
	id.cgroup = ino_of(paths[3]);
	CHECK(workload__fill(w, &id) == 0);
	CHECK(!strcmp(id.names.pod_uid, UID) && !strcmp(id.names.container, ID));
	CHECK(!id.names.runtime[0]);

	/* The root cgroup is "/". */
	id.cgroup = ino_of("");
	CHECK(workload__fill(w, &id) == 0 && !strcmp(id.names.cgroup, "/"));
	CHECK(workload__path(w, ino_of(paths[0]), path, sizeof(path)) == 0);
	CHECK(!strcmp(path, paths[0]));
	CHECK(workload__path(w, ino_of(paths[0]), path, 5) == -ENAMETOOLONG);

	/* An id no later walk finds is final after one: printed as a number. */
	id.cgroup = 0x7fffffff12345ULL;
	CHECK(workload__fill(w, &id) == -EAGAIN);
	CHECK(workload__fill(w, &id) == -EAGAIN);
	CHECK(workload__refresh(w) == 0);
	CHECK(workload__fill(w, &id) == 0 && !id.names.cgroup[0]);
	workload__stats(w, &st);
	CHECK(st.unresolved == 1 && st.walks == 2 && st.cgroups == 12);

	/* Cgroup 0 is unknown, and there is nothing to look for. */
	id.cgroup = 0;
	CHECK(workload__fill(w, &id) == 0 && !id.names.cgroup[0]);
	workload__free(w);
}

/* Inside a cgroup namespace the mount's root is not the hierarchy's: paths
 * carry mountinfo's root field in front. A walk stopped by max_cgroups
 * says so. */
static void test_prefix_and_cap(void)
{
	struct workload *w;
	struct workload_stats st;
	struct svc_id id = { .cgroup = ino_of("/system.slice/nginx.service") };
	char line[PATH_MAX + 128];

	snprintf(line, sizeof(line),
		 "30 22 0:26 /kubepods.slice %s/cg\\040root rw - cgroup2 cgroup2 rw\n", base);
	put("self/mountinfo", line);
	w = workload__new(&(struct workload_opts){ .proc = proc, .max_cgroups = 3 });
	CHECK(w && workload__refresh(w) == 0);
	if (!w)
		return;
	workload__stats(w, &st);
	CHECK(st.truncated == 1 && st.cgroups == 3);
	workload__free(w);
	w = workload__new(&(struct workload_opts){ .proc = proc });
	CHECK(w && workload__refresh(w) == 0);
	if (!w)
		return;
	CHECK(workload__fill(w, &id) == 0);
	CHECK(!strcmp(id.names.cgroup, "/kubepods.slice/system.slice/nginx.service"));
	workload__free(w);

	/* No cgroup2 mount: nothing to resolve, and no waiting for it. */
	put("self/mountinfo", "22 1 0:21 / /proc rw - proc proc rw\n");
	w = workload__new(&(struct workload_opts){ .proc = proc, .cgroup_root = "" });
	CHECK(w && !workload__root(w)[0]);
	if (w) {
		CHECK(workload__fill(w, &id) == 0 && !id.names.cgroup[0]);
		CHECK(workload__refresh(w) == -ENOENT);
		CHECK(workload__start(w) == 0);
	}
	workload__free(w);
}

/* PID 1 that cannot be read (a sandbox): the host's netns is our own. */
static void test_host_netns(void)
{
	char path[PATH_MAX];
	const char *from;
	uint32_t ino = 0;

	snprintf(path, sizeof(path), "%s/1/ns/net", proc);
	unlink(path);
	ns_link("self", 4026532200u);
	CHECK(procfs__host_netns(proc, &ino, &from) == 0);
	CHECK(ino == 4026532200u && !strcmp(from, "self"));
	ns_link("1", HOST_NS);
	CHECK(procfs__host_netns(proc, &ino, &from) == 0);
	CHECK(ino == HOST_NS && !strcmp(from, "1"));
	snprintf(path, sizeof(path), "%s/self/ns/net", proc);
	unlink(path);
	CHECK(symlink("mnt:[4026531840]", path) == 0);
	CHECK(procfs__netns(proc, "self", &ino) == -EINVAL);
	CHECK(procfs__netns(proc, "4242", &ino) == -ENOENT);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The walker thread: a cgroup made after the first walk is asked for,
 * answered "later" at once, and found by a walk the question started. */
static void test_thread(void)
{
	struct workload *w;
	struct svc_id id = { 0 };
	const char *late = "/system.slice/docker-" ID ".scope/late.service";
	int rc = -EAGAIN, tries;

	w = workload__new(&(struct workload_opts){ .cgroup_root = cg, .proc = proc });
	CHECK(w && workload__start(w) == 0);
	if (!w)
		return;
	mkdirs(cg, late);
	id.cgroup = ino_of(late);
	for (tries = 0; tries < 500 && rc == -EAGAIN; tries++) {
		rc = workload__fill(w, &id);
		if (rc == -EAGAIN)
			sleep_ms(10);
	}
	CHECK(rc == 0);
	CHECK(!strcmp(id.names.cgroup, late) && !strcmp(id.names.container, ID));
	workload__free(w);
}

/* This machine: our own cgroup (from /proc/self/cgroup) by its id, and our
 * own network namespace. */
static void test_real(void)
{
	char line[PATH_MAX], path[PATH_MAX], dir[PATH_MAX * 2];
	struct svc_id id = { 0 };
	struct workload_stats st;
	struct workload *w;
	struct stat sb;
	const char *from;
	uint32_t self = 0, host = 0;
	FILE *f;

	CHECK(procfs__netns("/proc", "self", &self) == 0 && self);
	CHECK(procfs__host_netns("/proc", &host, &from) == 0 && host);
	w = workload__new(&(struct workload_opts){ 0 });
	CHECK(w != NULL);
	if (!w)
		return;
	printf("test_workload: this machine: cgroup v2 at '%s', host netns %u (from /proc/%s)\n",
	       workload__root(w), host, from);
	CHECK(workload__root(w)[0] == '/');
	f = fopen("/proc/self/cgroup", "r");
	CHECK(f != NULL);
	path[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(path, sizeof(path), "%s", line + 3);
		}
	if (f)
		fclose(f);
	CHECK(path[0] == '/');
	snprintf(dir, sizeof(dir), "%s%s", workload__root(w), path);
	CHECK(stat(dir, &sb) == 0);
	CHECK(workload__refresh(w) == 0);
	id.cgroup = sb.st_ino;
	id.netns = self;
	CHECK(workload__fill(w, &id) == 0);
	CHECK(!strcmp(id.names.cgroup, path));
	CHECK(id.host_netns == (self == host));
	workload__stats(w, &st);
	printf("test_workload: our cgroup %s is id %llu; the walk found %llu cgroups in %.3f ms\n",
	       path, (unsigned long long)sb.st_ino, (unsigned long long)st.cgroups,
	       st.last_walk_s * 1e3);
	CHECK(st.cgroups >= 1);
	workload__free(w);
}

int main(void)
{
	char cmd[128];

	snprintf(base, sizeof(base), "/tmp/telltale-workload.XXXXXX");
	if (!mkdtemp(base))
		return 1;
	build_fixture();
	test_fixture();
	test_prefix_and_cap();
	test_host_netns();
	test_thread();
	test_real();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", base);
	return check_done("test_workload");
}
