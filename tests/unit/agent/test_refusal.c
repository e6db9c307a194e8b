// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What the kernel refused, read from libbpf's messages: a program and the
 * verifier's last word before its statistics, a map and its errno. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "agent/refusal.h"

static void test_program(void)
{
	struct refusal r = { .err = 0 };

	CHECK(!refusal__note(&r, "libbpf: loading object 'x' from buffer\n"));
	CHECK(r.kind[0] == '\0');
	CHECK(!refusal__note(&r, "libbpf: prog 'handle_x': BPF program load failed: "
				 "Permission denied\n"));
	CHECK(!strcmp(r.kind, "program") && !strcmp(r.name, "handle_x"));
	CHECK(!strcmp(r.error, "Permission denied") && r.reason[0] == '\0');
	CHECK(refusal__note(&r, "libbpf: prog 'handle_x': -- BEGIN PROG LOAD LOG --\n"
				"0: R1=ctx() R10=fp0\n"
				"23: (79) r7 = *(u64 *)(r6 +8)\n"
				"invalid bpf_context access off=8 size=8\n"
				"processed 23 insns (limit 1000000) max_states_per_insn 0\n"
				"-- END PROG LOAD LOG --\n"));
	CHECK(!strcmp(r.reason, "invalid bpf_context access off=8 size=8"));
	/* Another program's log does not change the first one's reason. */
	CHECK(refusal__note(&r, "libbpf: prog 'other': -- BEGIN PROG LOAD LOG --\nnope\n"
				"-- END PROG LOAD LOG --\n"));
	CHECK(!strcmp(r.reason, "invalid bpf_context access off=8 size=8"));
	/* A log that is all statistics leaves no reason. */
	r.reason[0] = '\0';
	CHECK(refusal__note(&r, "libbpf: prog 'handle_x': -- BEGIN PROG LOAD LOG --\n"
				"processed 1 insns\n\n-- END PROG LOAD LOG --\n"));
	CHECK(r.reason[0] == '\0');
}

static void test_map(void)
{
	struct refusal r = { .err = 0 };

	CHECK(!refusal__note(&r, "libbpf: Error in bpf_create_map_xattr(socks):Cannot allocate "
				 "memory(-12). Retrying without BTF.\n"));
	CHECK(r.kind[0] == '\0');
	CHECK(!refusal__note(&r, "libbpf: map 'socks': failed to create: Cannot allocate "
				 "memory(-12)\n"));
	CHECK(!strcmp(r.kind, "map") && !strcmp(r.name, "socks"));
	CHECK(!strcmp(r.error, "Cannot allocate memory") && r.err == -ENOMEM);
	/* Names too long are cut, never overrun. */
	CHECK(!refusal__note(&r, "libbpf: map 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaa': failed to create: Invalid argument(-22)\n"));
	CHECK(strlen(r.name) == sizeof(r.name) - 1 && r.err == -EINVAL);
	CHECK(!refusal__note(&r, "libbpf: map '': failed to create: x\n"));
}

int main(void)
{
	test_program();
	test_map();
	return check_done("test_refusal");
}
