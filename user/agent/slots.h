/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Retiring a service's kernel slot and handing it back for a new service,
 * in the two steps bpf/svc.bpf.h describes, for the collector to call
 * (collect__set_idle, with the loader as ctx).
 */
#ifndef TT_SLOTS_H
#define TT_SLOTS_H

#include "agent/collect.h"

extern const struct collect_slot_ops slots_ops;

#endif /* TT_SLOTS_H */
