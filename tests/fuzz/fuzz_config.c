// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer target: the config file's text through config_file__parse, as
 * config_file__load hands it over once the file passed its checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config_file.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The parser explains every bad input on stderr; libFuzzer and the
	 * sanitizers report on fd 2, which stays where it was. */
	stderr = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char *buf = malloc(size + 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	config__default(&cfg);
	config_file__parse(&cfg, "fuzz.json", buf, size);
	free(buf);
	return 0;
}
