// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Loads and attaches every program of a BPF object file, says "attached",
 * and holds them until SIGINT or SIGTERM. bench/overhead runs it on
 * floor.bpf.o: empty programs on telltale's hooks.
 *
 * usage: floor OBJECT
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: floor OBJECT\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "floor: cannot attach %s: %s\n", bpf_program__name(prog),
				strerror(errno));
			err = 1;
		}
	}
	if (!err) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		printf("attached\n");
		fflush(stdout);
		while (!stop)
			pause();
	}
	bpf_object__close(obj);
	return err;
}
