/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One interval's measurements as the rest of the agent sees them: what the
 * collector produces from the kernel maps and /proc, what a replayed metrics
 * line parses into, and what the anomaly core consumes.
 */
#ifndef TT_SAMPLE_H
#define TT_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "telltale.h"

/* Field sizes of a service's names, NUL included. A name that does not fit
 * is left empty (unknown) rather than cut, so no name is ever wrong. */
#define SVC_CGROUP_LEN 256   /* path under the cgroup v2 root */
#define SVC_CONTAINER_LEN 65 /* a 64-hex-digit container id */
#define SVC_RUNTIME_LEN 12   /* "docker", "containerd", "cri-o", "podman" */
#define SVC_POD_UID_LEN 37   /* 8-4-4-4-12 hex digits */
#define SVC_UNIT_LEN 96	     /* systemd unit, "nginx.service" */

/* Service flags, as the kernel key carries them (TT_SVC_F_*). */
#define SVC_F_OTHER 0x1 /* the overflow service of (netns, role), port 0 */

/* What a service's cgroup path says about the workload behind it
 * (agent/workload.c resolves it); "" where unknown or not applicable. */
struct svc_names {
	char cgroup[SVC_CGROUP_LEN];	  /* "/system.slice/nginx.service" */
	char container[SVC_CONTAINER_LEN]; /* container id */
	char runtime[SVC_RUNTIME_LEN];	  /* the container's runtime, when the path says */
	char pod_uid[SVC_POD_UID_LEN];	  /* Kubernetes pod UID, with dashes */
	char unit[SVC_UNIT_LEN];	  /* systemd unit of a workload that is no container */
};

/*
 * A service: its identity (role, port, network namespace, cgroup, overflow
 * flag: what the core keys it by, see svc_id__same) and its labels (comm and
 * the resolved names, which may change or arrive late and never split a
 * service). netns 0 and cgroup 0 mean unknown: lines from before the kernel
 * reported them, and the agent's own until it does.
 */
struct svc_id {
	uint64_t cgroup;	/* cgroup v2 id of the socket's creating process, 0 unknown */
	uint32_t netns;		/* network namespace inode, 0 unknown */
	uint16_t port;		/* local port (server) or remote port (client); 0 for other */
	uint8_t role;		/* TT_ROLE_SERVER or TT_ROLE_CLIENT */
	uint8_t flags;		/* SVC_F_* */
	bool host_netns;	/* netns is the host's (the initial namespace) */
	char comm[TT_COMM_LEN]; /* owning process name, "" when unknown */
	struct svc_names names;
};

struct svc_sample {
	struct svc_id id;
	double ts;	    /* end of the interval, seconds since the epoch */
	double interval_s;  /* length of the interval, s */
	uint64_t requests;  /* completed requests in the interval */
	double rps;	    /* requests / interval_s */
	bool has_latency;   /* false when requests == 0: latency fields unset */
	double lat_mean_us; /* request latency, microseconds */
	double lat_p50_us;
	double lat_p90_us;
	double lat_p99_us;
	double lat_max_us;
	uint64_t active;      /* connections open at the end of the interval */
	uint64_t opened;      /* connections opened in the interval */
	uint64_t closed;      /* ... closed */
	uint64_t failed;      /* ... failed connects */
	uint64_t resets;      /* ... RSTs sent or received */
	uint64_t retransmits; /* ... retransmitted segments */
	/* The interval's latency histogram, TT_HIST_SLOTS counts (see
	 * telltale.h), owned by whoever made the sample and valid until its next
	 * interval; NULL when there is none (replayed lines). */
	const uint64_t *hist;
};

struct host_sample {
	double ts;	   /* end of the interval, seconds since the epoch */
	double interval_s; /* length of the interval, s */
	double cpu_pct;	   /* busy share of all CPUs, 0..100 */
	double mem_pct;	   /* (MemTotal - MemAvailable) / MemTotal, 0..100 */
	double load1;	   /* 1-minute load average */
};

/* Whether a and b are the same service: role, port, netns, cgroup and the
 * overflow flag; labels (comm, names) do not count. */
bool svc_id__same(const struct svc_id *a, const struct svc_id *b);

/* A hash of the identity svc_id__same compares, for tables. */
uint32_t svc_id__hash(const struct svc_id *id);

/* Orders services by role, port, netns, cgroup, flags: the agent's line order. */
int svc_id__cmp(const struct svc_id *a, const struct svc_id *b);

/* Whether a service's identity says more than role and port, i.e. whether
 * it carries a netns, a cgroup or the overflow flag. */
bool svc_id__has_identity(const struct svc_id *id);

/* "server" or "client". */
const char *svc_role_name(uint8_t role);

/* Parses "server"/"client" into *role. Returns 0, or -EINVAL. */
int svc_role_parse(const char *name, uint8_t *role);

#endif /* TT_SAMPLE_H */
