// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/loader.h"
#include "agent/slots.h"

/* Raises the slot's generation, keeping its histogram: sockets that still
 * hold the slot look their service up again at their next event. */
static int bump_gen(const struct loader *l, uint32_t slot)
{
	struct tt_svc_shared sh;

	if (bpf_map_lookup_elem(l->shared_fd, &slot, &sh))
		return -errno;
	sh.gen++;
	return bpf_map_update_elem(l->shared_fd, &slot, &sh, BPF_EXIST) ? -errno : 0;
}

/*
 * Step one: no new event may reach the slot. The index entry goes first, so
 * that a failure later leaves a slot nobody finds (leaked until restart)
 * rather than one that could be freed while still found; then the
 * generation; then the owner is marked, which the collector reads as "free
 * it at the next read".
 */
static int retire_slot(uint32_t slot, const struct tt_svc_key *key, void *ctx)
{
	const struct loader *l = ctx;
	struct tt_svc_key gone = *key;
	struct tt_svc_ref ref;
	int err;

	if (!bpf_map_lookup_elem(l->index_fd, key, &ref) && ref.slot == slot &&
	    bpf_map_delete_elem(l->index_fd, key))
		return -errno;
	err = bump_gen(l, slot);
	if (err)
		return err;
	gone.flags |= TT_SVC_F_RETIRED;
	return bpf_map_update_elem(l->owner_fd, &slot, &gone, BPF_EXIST) ? -errno : 0;
}

/* Step two, one interval later: zero the counters, the histogram and the
 * untracked opens (the generation stays), then free the slot: a regular one
 * back on the free queue, an overflow one by deleting its owner, which lets
 * the next overflow service claim it. */
static int release_slot(uint32_t slot, void *ctx)
{
	const struct loader *l = ctx;
	struct tt_svc_shared sh;
	int ncpus = libbpf_num_possible_cpus();
	struct tt_svc_stats *zero;
	int err = 0;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	zero = calloc(ncpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(l->svcs_fd, &slot, zero, BPF_EXIST) ||
	    bpf_map_lookup_elem(l->shared_fd, &slot, &sh))
		err = -errno;
	free(zero);
	if (err)
		return err;
	memset(sh.hist, 0, sizeof(sh.hist));
	sh.untracked = 0;
	if (bpf_map_update_elem(l->shared_fd, &slot, &sh, BPF_EXIST) ||
	    bpf_map_delete_elem(l->owner_fd, &slot))
		return -errno;
	if (slot < l->max_services && bpf_map_update_elem(l->free_fd, NULL, &slot, BPF_ANY))
		return -errno;
	return 0;
}

const struct collect_slot_ops slots_ops = {
	.retire = retire_slot,
	.release = release_slot,
};
