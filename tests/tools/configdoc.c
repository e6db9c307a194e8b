// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prints the key reference of docs/config.md from the key table; `make docs`
 * puts it between the markers of that file. */
#include <stdio.h>

#include "cli/config.h"

int main(void)
{
	return config__write_doc(stdout) || fflush(stdout) ? 1 : 0;
}
