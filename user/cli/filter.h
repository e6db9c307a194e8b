/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Which services the agent reports (config services.*): by port, container
 * id prefix, systemd unit, cgroup path prefix and network namespace.
 */
#ifndef TT_FILTER_H
#define TT_FILTER_H

#include <stdbool.h>

#include "cli/config.h"

/* Whether id passes the filters of cfg: it matches every non-empty include
 * list and no exclude list. A name the service lacks (no container, unit or
 * cgroup path known) matches no list of that name. */
bool filter__watched(const struct config *cfg, const struct svc_id *id);

#endif /* TT_FILTER_H */
