/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The alerts firing now, as the Prometheus state (promstate.c) keeps them
 * for telltale_alert_firing: an alert's id and its label text, added when
 * its line says firing and dropped when a line says anything else. Nothing
 * else looks in here.
 */
#ifndef TT_PROM_ALERTS_H
#define TT_PROM_ALERTS_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct prom_firing {
	char id[24];
	char *labels; /* id, kind, metric, severity and the service's labels */
};

struct prom_alerts {
	struct prom_firing *v; /* in no order */
	size_t n, cap;
};

/* Follows one line: an alert line that fires adds its id or renews its
 * labels, one in any other state drops it; other lines are ignored. Returns
 * 0 or -ENOMEM, with the set left as it was. */
int prom_alerts__line(struct prom_alerts *set, const cJSON *line);

/* Frees what the set holds; it is then empty. */
void prom_alerts__free(struct prom_alerts *set);

#endif /* TT_PROM_ALERTS_H */
