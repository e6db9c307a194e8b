// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "agent/cgname.h"
#include "agent/procfs.h"
#include "agent/workload.h"

#define CGROUP2_MAGIC 0x63677270
#define DEFAULT_MAX_CGROUPS 65536
#define MAX_DEPTH 64
#define MAX_PENDING 1024
/* A walk waits this many times its own last duration after the previous
 * one: the walker's share of a core stays under 1/WALK_SPACING. */
#define WALK_SPACING 20

/* One walk's result: every cgroup's id and path, sorted by id. */
struct cg_entry {
	uint64_t id;
	uint32_t off; /* path in text */
};

struct snap {
	struct cg_entry *e;
	size_t n, cap;
	char *text;
	size_t len, text_cap;
	uint64_t gen; /* the walk that made it: 1, 2, ... */
	bool truncated;
};

/* An id the last walk lacked, and the first walk that can answer it. */
struct pending {
	uint64_t id;
	uint64_t need;
};

struct workload {
	char proc[PATH_MAX];
	char root[PATH_MAX];   /* cgroup v2 mount, "" when none */
	char prefix[PATH_MAX]; /* the mount's root inside the hierarchy, "" for "/" */
	uint32_t max_cgroups;
	double min_gap_s;
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t wake;
	pthread_t thread;
	bool started, stop, wanted;
	struct snap *snap;    /* the last walk's; NULL before the first */
	uint64_t walks_begun; /* walks started, the next one's gen - 1 */
	struct pending pend[MAX_PENDING];
	uint32_t npend;
	struct workload_stats st;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Undoes mountinfo's octal escapes ("\040" is a space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The first cgroup2 mount in PROC/self/mountinfo: its mount point and the
 * path of its root inside the hierarchy (not "/" inside a cgroup
 * namespace). */
static int find_cgroup2(struct workload *w)
{
	char path[PATH_MAX + 32], *line = NULL, root[PATH_MAX], mnt[PATH_MAX], fstype[64];
	size_t cap = 0;
	int found = -ENOENT;
	const char *dash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/self/mountinfo", w->proc);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (found && getline(&line, &cap, f) > 0) {
		/* "36 35 0:31 / /sys/fs/cgroup rw,... - cgroup2 cgroup2 rw" */
		dash = strstr(line, " - ");
		if (!dash || sscanf(dash, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
			continue;
		unescape(root);
		unescape(mnt);
		snprintf(w->root, sizeof(w->root), "%s", mnt);
		snprintf(w->prefix, sizeof(w->prefix), "%s", strcmp(root, "/") ? root : "");
		found = 0;
	}
	free(line);
	fclose(f);
	return found;
}

struct workload *workload__new(const struct workload_opts *opts)
{
	struct workload *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	const char *from;
	struct statfs sf;

	if (!w)
		return NULL;
	snprintf(w->proc, sizeof(w->proc), "%s", opts->proc ? opts->proc : "/proc");
	w->max_cgroups = opts->max_cgroups ? opts->max_cgroups : DEFAULT_MAX_CGROUPS;
	w->min_gap_s = opts->min_walk_gap_s;
	if (opts->cgroup_root)
		snprintf(w->root, sizeof(w->root), "%s", opts->cgroup_root);
	else if (find_cgroup2(w) && !statfs("/sys/fs/cgroup", &sf) && sf.f_type == CGROUP2_MAGIC)
		snprintf(w->root, sizeof(w->root), "/sys/fs/cgroup");
	if (procfs__host_netns(w->proc, &w->st.host_netns, &from))
		w->st.host_netns = 0;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	return w;
}

const char *workload__root(const struct workload *w)
{
	return w->root;
}

static void snap_free(struct snap *s)
{
	if (!s)
		return;
	free(s->e);
	free(s->text);
	free(s);
}

/* Records one cgroup. Returns 0, -ENOSPC at max_cgroups, or -ENOMEM. */
static int snap_add(struct snap *s, uint32_t max, uint64_t id, const char *path, size_t len)
{
	void *p;

	if (s->n >= max)
		return -ENOSPC;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		p = realloc(s->e, s->cap * sizeof(*s->e));
		if (!p)
			return -ENOMEM;
		s->e = p;
	}
	if (s->len + len + 1 > s->text_cap || s->len + len + 1 > UINT32_MAX) {
		size_t cap = s->text_cap ? 2 * s->text_cap : 16384;

		while (cap < s->len + len + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -ENOSPC;
		p = realloc(s->text, cap);
		if (!p)
			return -ENOMEM;
		s->text = p;
		s->text_cap = cap;
	}
	s->e[s->n++] = (struct cg_entry){ .id = id, .off = (uint32_t)s->len };
	memcpy(s->text + s->len, path, len + 1);
	s->len += len + 1;
	return 0;
}

/* Records the directory open at fd, whose path below the root is path[0..len),
 * then its subdirectories. Directories that vanish mid-walk are skipped. */
static int walk_dir(struct snap *s, uint32_t max, int fd, char *path, size_t len, int depth)
{
	struct dirent *e;
	struct stat st;
	size_t n;
	DIR *d;
	int sub, err = 0;

	if (fstat(fd, &st)) {
		close(fd);
		return 0;
	}
	err = snap_add(s, max, st.st_ino, len ? path : "/", len ? len : 1);
	if (err || depth >= MAX_DEPTH) {
		close(fd);
		return err;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while (!err && (e = readdir(d))) {
		if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
			continue;
		n = strlen(e->d_name);
		if (len + 1 + n >= PATH_MAX)
			continue;
		sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, e->d_name, n + 1);
		err = walk_dir(s, max, sub, path, len + 1 + n, depth + 1);
		path[len] = '\0';
	}
	closedir(d);
	return err;
}

static int by_id(const void *a, const void *b)
{
	const struct cg_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* A walk of the whole tree into a new snapshot (NULL with *err set). */
static struct snap *walk(const struct workload *w, int *err)
{
	struct snap *s = calloc(1, sizeof(*s));
	char path[PATH_MAX];
	size_t len;
	int fd;

	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	len = (size_t)snprintf(path, sizeof(path), "%s", w->prefix);
	fd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*err = fd < 0 ? -errno : walk_dir(s, w->max_cgroups, fd, path, len, 0);
	if (*err == -ENOSPC) {
		s->truncated = true;
		*err = 0;
	}
	if (*err) {
		snap_free(s);
		return NULL;
	}
	qsort(s->e, s->n, sizeof(*s->e), by_id);
	return s;
}

/* Installs a finished walk; called with the lock held. */
static void install(struct workload *w, struct snap *s, uint64_t gen, double took)
{
	snap_free(w->snap);
	s->gen = gen;
	w->snap = s;
	w->st.walks++;
	w->st.cgroups = s->n;
	w->st.truncated += s->truncated;
	w->st.last_walk_s = took;
}

int workload__refresh(struct workload *w)
{
	struct snap *s;
	uint64_t gen;
	double t0;
	int err;

	if (!w->root[0])
		return -ENOENT;
	pthread_mutex_lock(&w->lock);
	gen = ++w->walks_begun;
	w->wanted = false;
	pthread_mutex_unlock(&w->lock);
	t0 = mono_s();
	s = walk(w, &err);
	pthread_mutex_lock(&w->lock);
	if (s)
		install(w, s, gen, mono_s() - t0);
	pthread_mutex_unlock(&w->lock);
	return err;
}

/* Sleeps on the condition until monotonic time until, or a stop. */
static void wait_until(struct workload *w, double until)
{
	struct timespec ts = { .tv_sec = (time_t)until };

	ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
	while (!w->stop && mono_s() < until)
		pthread_cond_timedwait(&w->wake, &w->lock, &ts);
}

static void *walker_main(void *arg)
{
	struct workload *w = arg;
	double next = 0, took;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		if (!w->wanted) {
			pthread_cond_wait(&w->wake, &w->lock);
			continue;
		}
		wait_until(w, next);
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->lock);
		workload__refresh(w);
		pthread_mutex_lock(&w->lock);
		took = w->st.last_walk_s;
		next = mono_s() + (w->min_gap_s > WALK_SPACING * took ? w->min_gap_s
								     : WALK_SPACING * took);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int workload__start(struct workload *w)
{
	pthread_attr_t attr;
	int err;

	if (!w->root[0] || w->started)
		return 0;
	pthread_attr_init(&attr);
	/* The walk recurses a frame per level: a small stack is plenty. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_mutex_lock(&w->lock);
	w->wanted = true;
	err = -pthread_create(&w->thread, &attr, walker_main, w);
	w->started = !err;
	pthread_mutex_unlock(&w->lock);
	pthread_attr_destroy(&attr);
	return err;
}

void workload__free(struct workload *w)
{
	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	snap_free(w->snap);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static const char *snap_find(const struct snap *s, uint64_t id)
{
	struct cg_entry key = { .id = id }, *e;

	if (!s)
		return NULL;
	e = bsearch(&key, s->e, s->n, sizeof(*s->e), by_id);
	return e ? s->text + e->off : NULL;
}

static uint32_t pending_slot(const struct workload *w, uint64_t id)
{
	uint32_t i;

	for (i = 0; i < w->npend && w->pend[i].id != id; i++)
		;
	return i;
}

/* Whether a walk that began after id was first asked for has been made (and
 * lacked it); records id as waiting otherwise. Called with the lock held. */
static bool answered(struct workload *w, uint64_t id)
{
	uint64_t have = w->snap ? w->snap->gen : 0;
	uint32_t i = pending_slot(w, id);

	if (i == w->npend) {
		/* When full, id is recorded at a later call, once there is room. */
		if (w->npend < MAX_PENDING)
			w->pend[w->npend++] = (struct pending){ .id = id, .need = w->walks_begun + 1 };
		return false;
	}
	if (have < w->pend[i].need)
		return false;
	w->pend[i] = w->pend[--w->npend];
	return true;
}

static void forget_pending(struct workload *w, uint64_t id)
{
	uint32_t i = pending_slot(w, id);

	if (i < w->npend)
		w->pend[i] = w->pend[--w->npend];
}

int workload__path(struct workload *w, uint64_t id, char *buf, size_t len)
{
	const char *p;
	int err = 0;

	pthread_mutex_lock(&w->lock);
	p = snap_find(w->snap, id);
	if (!p)
		err = -ENOENT;
	else if (strlen(p) >= len)
		err = -ENAMETOOLONG;
	else
		strcpy(buf, p);
	pthread_mutex_unlock(&w->lock);
	return err;
}

int workload__fill(struct workload *w, struct svc_id *id)
{
	char path[PATH_MAX];
	const char *p;
	int err = 0;

	id->host_netns = id->netns && id->netns == w->st.host_netns;
	memset(&id->names, 0, sizeof(id->names));
	if (!id->cgroup || !w->root[0])
		return 0;
	pthread_mutex_lock(&w->lock);
	p = snap_find(w->snap, id->cgroup);
	if (p) {
		snprintf(path, sizeof(path), "%s", p);
		forget_pending(w, id->cgroup);
	} else if (answered(w, id->cgroup)) {
		w->st.unresolved++;
	} else {
		err = -EAGAIN;
		if (!w->wanted) {
			w->wanted = true;
			pthread_cond_signal(&w->wake);
		}
	}
	pthread_mutex_unlock(&w->lock);
	if (p)
		cgname__parse(path, &id->names);
	return err;
}

void workload__stats(struct workload *w, struct workload_stats *st)
{
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	pthread_mutex_unlock(&w->lock);
}
