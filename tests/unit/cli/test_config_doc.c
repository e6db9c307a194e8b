// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* docs/config.md carries the key reference the key table writes: a key added,
 * renamed or re-ranged without `make docs` fails here. Run from the top of the
 * tree, as tests/run.sh does. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli/config.h"

#define BEGIN "<!-- keys:begin"
#define END "<!-- keys:end"

/* The lines strictly between the markers, or NULL. */
static char *documented(const char *path)
{
	char *text = NULL, *b, *e, *out;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (getdelim(&text, &cap, '\0', f) < 0) {
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	b = strstr(text, BEGIN);
	b = b ? strchr(b, '\n') : NULL;
	e = b ? strstr(b, END) : NULL;
	if (!e) {
		free(text);
		return NULL;
	}
	out = strndup(b + 1, (size_t)(e - b - 1));
	free(text);
	return out;
}

int main(void)
{
	char *gen = NULL, *doc = documented("docs/config.md");
	size_t len = 0;
	FILE *f = open_memstream(&gen, &len);

	CHECK(f != NULL);
	CHECK(f && config__write_doc(f) == 0);
	if (f)
		fclose(f);
	CHECK(doc != NULL);
	if (doc && gen && strcmp(doc, gen))
		fprintf(stderr, "docs/config.md's key reference is stale: run make docs\n");
	CHECK(doc && gen && !strcmp(doc, gen));
	/* Every key is there, with its dots. */
	CHECK(gen && strstr(gen, "| `output.rotate_size` |"));
	CHECK(gen && strstr(gen, "| `alerts.anomaly.clear_n` |"));
	free(doc);
	free(gen);
	return check_done("test_config_doc");
}
