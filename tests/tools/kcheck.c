// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Which of telltale's program sets would load on a kernel we do not run,
 * judged from that kernel's BTF and config: every tracepoint a set hooks
 * exists there (btf_trace_NAME in the BTF, or before 5.5 the classic
 * program's context type; the syscall tracepoints need
 * CONFIG_FTRACE_SYSCALLS=y and the syscall), the helper and kfunc it calls
 * exist, the BPF atomics it uses exist (cmpxchg and the other atomics
 * beyond add came in 5.12, with the bpf_check_mtu helper, whose presence
 * in the BTF stands for them), and every CO-RE relocation of its programs
 * resolves against the BTF (kcheck_relo.c). A set that fails an atomic
 * loads nothing there. The set chosen is the first of agent/progsets.h the
 * agent would try; kcheck exits 1 when that set cannot be relocated.
 *
 * usage: kcheck OBJECT BTF CONFIG|- [PROG...]
 *   CONFIG '-': the running kernel, whose syscall tracepoints tracefs lists.
 *   PROG...: check only these programs' relocations and print each verdict
 *   (the checker's own test).
 * Prints one line per set, then "chosen: SET (METRICS)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "agent/progsets.h"
#include "kcheck_relo.h"

static char config[1 << 20];

static bool config_has(const char *line)
{
	const char *p = config;
	size_t n = strlen(line);

	while ((p = strstr(p, line))) {
		if ((p == config || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static bool btf_has(const struct btf *btf, const char *prefix, const char *name, int kind)
{
	char full[128];

	snprintf(full, sizeof(full), "%s%s", prefix, name);
	return btf__find_by_name_kind(btf, full, kind) > 0;
}

/* Whether the kernel has hook h's tracepoint, for set s's program. Before
 * 5.5 a BTF has no btf_trace_ typedefs (nor can tp_btf programs attach):
 * there the classic program's context type tells. */
static bool hook_exists(struct relo_obj *o, const struct btf *btf, const struct progset *s,
			const struct hook *h, bool running)
{
	char path[256];

	if (h->role != HOOK_SYS_DATA && !s->btf &&
	    btf__find_by_name_kind(btf, "btf_trace_sys_enter", BTF_KIND_TYPEDEF) <= 0)
		return relo__ctx_exists(o, btf, progsets__prog(s, h));
	if (h->role != HOOK_SYS_DATA)
		return btf_has(btf, "btf_trace_", h->name, BTF_KIND_TYPEDEF);
	if (running) {
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/%s", h->name);
		return !access(path, F_OK);
	}
	/* sys_exit_NAME is made for every syscall the kernel defines. */
	return config_has("CONFIG_FTRACE_SYSCALLS=y") &&
	       btf_has(btf, config_has("CONFIG_X86_64=y") ? "__x64_sys_" : "__arm64_sys_",
		       h->name + strlen("sys_exit_"), BTF_KIND_FUNC);
}

static bool has_enumval(const struct btf *btf, const char *type, const char *val)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_enum *e;
	int i;

	for (i = 0; t && i < btf_vlen(t); i++) {
		e = btf_enum(t) + i;
		if (!strcmp(btf__name_by_offset(btf, e->name_off), val))
			return true;
	}
	return false;
}

/* Whether program name uses an atomic other than add (BPF_XADD, old): a
 * compare-and-swap, an exchange or a fetching one, all 5.12's. */
static bool new_atomics(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	const struct bpf_insn *in = p ? bpf_program__insns(p) : NULL;
	size_t i, n = p ? bpf_program__insn_cnt(p) : 0;

	for (i = 0; i < n; i++)
		if (BPF_CLASS(in[i].code) == BPF_STX && BPF_MODE(in[i].code) == BPF_ATOMIC &&
		    in[i].imm != BPF_ADD)
			return true;
	return false;
}

/* Checks set s; returns whether its request programs could run (data) and
 * whether all its programs relocate (*relocs). Prints one line. */
static bool check_set(struct relo_obj *o, struct bpf_object *obj, const struct btf *btf,
		      const struct progset *s, bool running, bool *relocs, bool *loads)
{
	bool data = false, exists, atomics = false;
	char missing[1024] = "";
	int i, bad = 0;

	for (i = 0; i < PROGSETS_NHOOKS; i++) {
		const struct hook *h = &progsets_hooks[i];

		if (!progsets__uses(s, h))
			continue;
		exists = hook_exists(o, btf, s, h, running);
		if (!exists)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 " %s/%s", h->category, h->name);
		if (exists && h->role != HOOK_CONN)
			data = true;
		if (exists && relo__check_prog(o, btf, progsets__prog(s, h), false))
			bad++;
		atomics |= new_atomics(obj, progsets__prog(s, h));
	}
	*loads = !atomics || has_enumval(btf, "bpf_func_id", "BPF_FUNC_check_mtu");
	if (!*loads)
		data = false, strcat(missing, " atomics:5.12 (loads nothing)");
	if (s->task_pt_regs && !(has_enumval(btf, "bpf_func_id", "BPF_FUNC_task_pt_regs") &&
				 has_enumval(btf, "bpf_func_id", "BPF_FUNC_get_current_task_btf")))
		data = false, strcat(missing, " helper:bpf_task_pt_regs");
	if (s->rdonly_cast && btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) <= 0)
		data = false, strcat(missing, " kfunc:bpf_rdonly_cast");
	*relocs = !bad;
	printf("set %-26s requests %-3s relocations %-4s missing:%s\n", s->name, data ? "yes" : "no",
	       bad ? "FAIL" : "ok", *missing ? missing : " none");
	return data;
}

static int read_config(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		perror(path);
		return -1;
	}
	n = fread(config, 1, sizeof(config) - 1, f);
	config[n] = 0;
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const struct progset *chosen = NULL, *conn_only = NULL;
	bool relocs, loads, chosen_relocs = false, conn_relocs = false, running;
	struct bpf_object *obj;
	struct relo_obj *o;
	struct btf *btf;
	int i, bad = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: kcheck OBJECT BTF CONFIG|- [PROG...]\n");
		return 2;
	}
	running = !strcmp(argv[3], "-");
	if (!running && read_config(argv[3]))
		return 2;
	btf = btf__parse(argv[2], NULL);
	o = relo__open(argv[1]);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!btf || !o || !obj) {
		fprintf(stderr, "kcheck: cannot read %s\n", btf ? argv[1] : argv[2]);
		return 2;
	}
	if (argc > 4) {
		for (i = 4; i < argc; i++) {
			int err = relo__check_prog(o, btf, argv[i], true);

			printf("prog %s: %s\n", argv[i], err ? "FAIL" : "ok");
			bad |= err != 0;
		}
		return bad;
	}
	for (i = 0; i < PROGSETS_NSETS; i++) {
		const struct progset *s = &progsets_sets[i];

		if (check_set(o, obj, btf, s, running, &relocs, &loads) && !chosen) {
			chosen = s;
			chosen_relocs = relocs;
		}
		if (!conn_only && loads) {
			conn_only = s;
			conn_relocs = relocs;
		}
	}
	if (chosen)
		printf("chosen: %s (requests, latency, connections, resets, retransmits)%s\n",
		       chosen->name, chosen_relocs ? "" : ": RELOCATIONS FAIL");
	else if (conn_only)
		printf("chosen: %s (connections, resets, retransmits; no requests)%s\n",
		       conn_only->name, conn_relocs ? "" : ": RELOCATIONS FAIL");
	else
		printf("chosen: none (no set loads: nothing)\n");
	bpf_object__close(obj);
	relo__close(o);
	btf__free(btf);
	return chosen ? !chosen_relocs : conn_only ? !conn_relocs : 1;
}
