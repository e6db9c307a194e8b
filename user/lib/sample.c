// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>

#include "lib/sample.h"

const char *svc_role_name(uint8_t role)
{
	return role == TT_ROLE_CLIENT ? "client" : "server";
}

int svc_role_parse(const char *name, uint8_t *role)
{
	if (!strcmp(name, "server"))
		*role = TT_ROLE_SERVER;
	else if (!strcmp(name, "client"))
		*role = TT_ROLE_CLIENT;
	else
		return -EINVAL;
	return 0;
}
