// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The line checks replay and score share: a NUL byte and a line over 1 MiB
 * are malformed and say so, a line of blanks is skipped, the newline goes. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli/offline.h"

/* offline__line on a copy of len bytes of text (which may hold a NUL). */
static enum offline_line check(const char *text, size_t len, const char **why, char *out)
{
	char buf[64];
	enum offline_line r;

	memcpy(buf, text, len);
	buf[len] = 0;
	*why = "";
	r = offline__line(buf, len, why);
	strcpy(out, buf);
	return r;
}

static void test_long_line(void)
{
	size_t len = (1u << 20) + 2;
	char *big = malloc(len + 1);
	const char *why = "";

	CHECK(big != NULL);
	memset(big, 'x', len - 1);
	big[len - 1] = '\n';
	big[len] = 0;
	/* 1 MiB and its newline is the longest line taken. */
	CHECK(offline__line(big + 1, len - 1, &why) == OFFLINE_LINE_OK);
	big[len - 1] = '\n';
	CHECK(offline__line(big, len, &why) == OFFLINE_LINE_BAD);
	CHECK(!strcmp(why, "line longer than 1 MiB"));
	free(big);
}

int main(void)
{
	const char *why;
	char out[64];

	CHECK(check("1700000000,5\n", 13, &why, out) == OFFLINE_LINE_OK);
	CHECK(!strcmp(out, "1700000000,5"));
	CHECK(check("1700000000,5", 12, &why, out) == OFFLINE_LINE_OK); /* a last line, no newline */
	CHECK(check("17000\0000,5\n", 10, &why, out) == OFFLINE_LINE_BAD);
	CHECK(!strcmp(why, "NUL byte in line"));
	CHECK(check(" \t\r\n", 4, &why, out) == OFFLINE_LINE_BLANK);
	CHECK(check("\n", 1, &why, out) == OFFLINE_LINE_BLANK);
	CHECK(check(" x \n", 4, &why, out) == OFFLINE_LINE_OK);
	test_long_line();
	return check_done("test_offline");
}
