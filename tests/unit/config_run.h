/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What the configuration tests share: a scratch folder for config files, and
 * config__load run as `telltale ARGS` with what it printed captured. */
#ifndef TT_CONFIG_RUN_H
#define TT_CONFIG_RUN_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli/config.h"

static char dir[] = "/tmp/tt-config.XXXXXX";
static char out[16384], err[16384]; /* what the last load printed */

/* Writes text to dir/name with the given mode. Returns the path (static). */
static const char *put(const char *name, const char *text, mode_t mode)
{
	static char path[4][256];
	static int slot;
	char *p = path[slot++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f) {
		perror(p);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	return p;
}

static void slurp(int fd, char *buf, size_t n)
{
	ssize_t got;

	lseek(fd, 0, SEEK_SET);
	got = read(fd, buf, n - 1);
	buf[got > 0 ? got : 0] = '\0';
	close(fd);
}

/* config__load on "telltale" + args (NULL-terminated), stdout and stderr
 * captured into out and err. */
static int load_argv(struct config *cfg, const char **args)
{
	char *argv[32];
	char tmpl_o[64], tmpl_e[64];
	int argc = 0, rc, fo, fe, so, se;

	argv[argc++] = (char *)"telltale";
	while (*args && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	snprintf(tmpl_o, sizeof(tmpl_o), "%s/out.XXXXXX", dir);
	snprintf(tmpl_e, sizeof(tmpl_e), "%s/err.XXXXXX", dir);
	fo = mkstemp(tmpl_o);
	fe = mkstemp(tmpl_e);
	unlink(tmpl_o);
	unlink(tmpl_e);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(fo, 1);
	dup2(fe, 2);
	rc = config__load(cfg, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	slurp(fo, out, sizeof(out));
	slurp(fe, err, sizeof(err));
	return rc;
}

static int load(struct config *cfg, ...)
{
	const char *args[32];
	va_list ap;
	int n = 0;

	va_start(ap, cfg);
	while (n < 31 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	return load_argv(cfg, args);
}

/* Makes the scratch folder; no config file is found at the default path. */
static void config_run_start(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	chmod(dir, 0755);
	config_default_path = "/nonexistent/telltale.json";
}

static void config_run_end(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

#endif /* TT_CONFIG_RUN_H */
