// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The agent's configuration step alone: "configcheck [telltale options]" runs
 * config__load exactly as telltale does and, when the agent would run, prints
 * the effective configuration on one line. Exit codes are the agent's: 0, or
 * 2 for a configuration error. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/config.h"

int main(int argc, char **argv)
{
	struct config cfg;
	cJSON *j;
	char *s;
	int rc;

	rc = config__load(&cfg, argc, argv);
	if (rc)
		return rc == 1 ? 0 : 2;
	j = config__to_json(&cfg);
	s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!s)
		return 1;
	printf("%s\n", s);
	free(s);
	return 0;
}
