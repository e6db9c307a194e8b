// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * CO-RE relocations checked against a foreign kernel's BTF. The object's
 * .BTF.ext lists, per ELF section, records of (instruction, local type,
 * access string, kind); libbpf resolves each by finding target types of the
 * same kind whose name matches up to a "___flavour" suffix and walking the
 * access string member by member, by name. This does the same walk for a
 * yes or no, without computing the patched instructions.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "kcheck_relo.h"

/* enum bpf_core_relo_kind */
enum {
	FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE, FIELD_EXISTS, FIELD_SIGNED, FIELD_LSHIFT_U64,
	FIELD_RSHIFT_U64, TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE,
	ENUMVAL_EXISTS, ENUMVAL_VALUE, TYPE_MATCHES,
};

struct relo {
	__u32 insn_off, type_id, access_off, kind;
	const char *sec; /* ELF section of the instruction */
};

struct sym {
	const char *name, *sec;
	__u64 off, size;
};

struct relo_obj {
	Elf *elf;
	int fd;
	struct btf *btf;
	struct relo *relos;
	size_t nrelos;
	struct sym *syms;
	size_t nsyms;
};

static bool is_exists(__u32 kind)
{
	return kind == FIELD_EXISTS || kind == TYPE_EXISTS || kind == ENUMVAL_EXISTS ||
	       kind == TYPE_MATCHES;
}

/* The .BTF.ext core relocation records. */
static int read_relos(struct relo_obj *o, const __u8 *ext, size_t len)
{
	__u32 hdr_len, off, rlen, rec, n, i, sec_off;
	const __u8 *p, *end;

	if (len < 32 || *(const __u16 *)ext != 0xeB9F)
		return -EINVAL;
	hdr_len = *(const __u32 *)(ext + 4);
	if (hdr_len < 32)
		return 0; /* no core relocations */
	off = *(const __u32 *)(ext + 24);
	rlen = *(const __u32 *)(ext + 28);
	p = ext + hdr_len + off;
	end = p + rlen;
	if (!rlen)
		return 0;
	if (end > ext + len)
		return -EINVAL;
	rec = *(const __u32 *)p;
	for (p += 4; p + 8 <= end; p += 8 + (size_t)n * rec) {
		sec_off = *(const __u32 *)p;
		n = *(const __u32 *)(p + 4);
		if (p + 8 + (size_t)n * rec > end)
			return -EINVAL;
		o->relos = realloc(o->relos, (o->nrelos + n) * sizeof(*o->relos));
		if (!o->relos)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			memcpy(&o->relos[o->nrelos], p + 8 + (size_t)i * rec, 16);
			o->relos[o->nrelos++].sec = btf__name_by_offset(o->btf, sec_off);
		}
	}
	return 0;
}

/* The ELF's .BTF.ext and its function symbols. */
static int read_elf(struct relo_obj *o)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh, ssh;
	GElf_Sym s;
	size_t shstr, i;
	Elf_Data *d;
	int err = -ENOENT;

	if (elf_getshdrstrndx(o->elf, &shstr))
		return -EINVAL;
	while ((scn = elf_nextscn(o->elf, scn))) {
		gelf_getshdr(scn, &sh);
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		if (!strcmp(elf_strptr(o->elf, shstr, sh.sh_name), ".BTF.ext"))
			err = read_relos(o, d->d_buf, d->d_size);
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		for (i = 0; i < d->d_size / sh.sh_entsize; i++) {
			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    !s.st_shndx || !gelf_getshdr(elf_getscn(o->elf, s.st_shndx), &ssh))
				continue;
			o->syms = realloc(o->syms, (o->nsyms + 1) * sizeof(*o->syms));
			if (!o->syms)
				return -ENOMEM;
			o->syms[o->nsyms].name = elf_strptr(o->elf, sh.sh_link, s.st_name);
			o->syms[o->nsyms].sec = elf_strptr(o->elf, shstr, ssh.sh_name);
			o->syms[o->nsyms].off = s.st_value;
			o->syms[o->nsyms++].size = s.st_size;
		}
	}
	return err;
}

struct relo_obj *relo__open(const char *path)
{
	struct relo_obj *o = calloc(1, sizeof(*o));
	int err;

	if (!o)
		return NULL;
	elf_version(EV_CURRENT);
	o->fd = open(path, O_RDONLY);
	o->btf = btf__parse(path, NULL);
	o->elf = o->fd >= 0 ? elf_begin(o->fd, ELF_C_READ, NULL) : NULL;
	err = o->btf && o->elf ? read_elf(o) : -EINVAL;
	if (err) {
		relo__close(o);
		errno = -err;
		return NULL;
	}
	return o;
}

void relo__close(struct relo_obj *o)
{
	if (!o)
		return;
	if (o->elf)
		elf_end(o->elf);
	if (o->fd >= 0)
		close(o->fd);
	btf__free(o->btf);
	free(o->relos);
	free(o->syms);
	free(o);
}

static const struct btf_type *skip(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/* Names equal up to a "___flavour" suffix. */
static bool names_match(const char *a, const char *b)
{
	const char *fa = strstr(a, "___"), *fb = strstr(b, "___");
	size_t la = fa ? (size_t)(fa - a) : strlen(a), lb = fb ? (size_t)(fb - b) : strlen(b);

	return la == lb && !strncmp(a, b, la);
}

static bool same_kind(const struct btf_type *a, const struct btf_type *b)
{
	return btf_kind(a) == btf_kind(b) || (btf_is_any_enum(a) && btf_is_any_enum(b));
}

/* libbpf's field compatibility: composites match any composite, pointers
 * any pointer, integers any integer, enums and forwards by name. */
static bool fields_compat(const struct btf *lb, __u32 lid, const struct btf *tb, __u32 tid)
{
	const struct btf_type *l = skip(lb, lid), *t = skip(tb, tid);

	if (!l || !t)
		return false;
	if (btf_is_composite(l) && btf_is_composite(t))
		return true;
	if (!same_kind(l, t))
		return false;
	if (btf_is_array(l))
		return fields_compat(lb, btf_array(l)->type, tb, btf_array(t)->type);
	if (btf_is_fwd(l) || btf_is_any_enum(l))
		return !l->name_off || !t->name_off ||
		       names_match(btf__name_by_offset(lb, l->name_off),
				   btf__name_by_offset(tb, t->name_off));
	return true;
}

/* The member of composite t named name, looked for through anonymous
 * members too; its type id in *id. */
static bool find_member(const struct btf *btf, const struct btf_type *t, const char *name,
			__u32 *id)
{
	const struct btf_member *m = btf_members(t);
	const struct btf_type *mt;
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);

		if (*n && !strcmp(n, name)) {
			*id = m->type;
			return true;
		}
		mt = skip(btf, m->type);
		if (!*n && mt && btf_is_composite(mt) && find_member(btf, mt, name, id))
			return true;
	}
	return false;
}

/* Walks access string acc ("0:3:1") from local type lid and target type tid. */
static bool walk(const struct btf *lb, __u32 lid, const struct btf *tb, __u32 tid, const char *acc,
		 char *why, size_t wlen)
{
	const struct btf_type *l = skip(lb, lid), *t = skip(tb, tid);
	const char *p = strchr(acc, ':');
	unsigned long idx;
	__u32 mid;

	while (p && l && t) {
		idx = strtoul(p + 1, NULL, 10);
		p = strchr(p + 1, ':');
		if (btf_is_composite(l) && idx < btf_vlen(l)) {
			const struct btf_member *lm = btf_members(l) + idx;
			const char *name = btf__name_by_offset(lb, lm->name_off);

			if (!*name) { /* anonymous: the target is searched by name below */
				l = skip(lb, lm->type);
				continue;
			}
			if (!btf_is_composite(t) || !find_member(tb, t, name, &mid)) {
				snprintf(why, wlen, "no field %s", name);
				return false;
			}
			if (!fields_compat(lb, lm->type, tb, mid)) {
				snprintf(why, wlen, "field %s has another type", name);
				return false;
			}
			l = skip(lb, lm->type);
			t = skip(tb, mid);
		} else if (btf_is_array(l) && btf_is_array(t)) {
			l = skip(lb, btf_array(l)->type);
			t = skip(tb, btf_array(t)->type);
		} else {
			snprintf(why, wlen, "access %s does not fit the types", acc);
			return false;
		}
	}
	return l && t;
}

static bool has_enumerator(const struct btf *btf, const struct btf_type *t, const char *name)
{
	int i;

	for (i = 0; i < btf_vlen(t); i++) {
		__u32 off = btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;

		if (!strcmp(btf__name_by_offset(btf, off), name))
			return true;
	}
	return false;
}

/* Whether relocation r resolves against some target type. */
static bool resolves(const struct relo_obj *o, const struct relo *r, const struct btf *tb,
		     char *why, size_t wlen)
{
	const struct btf_type *l = btf__type_by_id(o->btf, r->type_id), *t;
	const char *lname = l ? btf__name_by_offset(o->btf, l->name_off) : "";
	const char *acc = btf__name_by_offset(o->btf, r->access_off), *en = NULL;
	__u32 id, n = btf__type_cnt(tb);
	bool cand = false;

	if (r->kind == TYPE_ID_LOCAL)
		return true;
	if ((r->kind == ENUMVAL_EXISTS || r->kind == ENUMVAL_VALUE) && l && btf_is_any_enum(l)) {
		unsigned long i = strtoul(acc, NULL, 10);

		if (i < btf_vlen(l))
			en = btf__name_by_offset(o->btf, btf_is_enum(l) ? btf_enum(l)[i].name_off
									  : btf_enum64(l)[i].name_off);
	}
	snprintf(why, wlen, "no type %s in the kernel", lname);
	for (id = 1; l && *lname && id < n; id++) {
		t = btf__type_by_id(tb, id);
		if (!same_kind(l, t) || !names_match(lname, btf__name_by_offset(tb, t->name_off)))
			continue;
		cand = true;
		if (r->kind >= TYPE_ID_TARGET && r->kind <= TYPE_SIZE)
			return true;
		if (r->kind == TYPE_MATCHES)
			return true;
		if (en && has_enumerator(tb, t, en))
			return true;
		if (r->kind <= FIELD_RSHIFT_U64 && walk(o->btf, r->type_id, tb, id, acc, why, wlen))
			return true;
	}
	if (cand && en)
		snprintf(why, wlen, "no value %s in enum %s", en, lname);
	return false;
}

/* Whether program relocations rel[0..n) check the existence of what r reads
 * (the same local type, an access string that is a prefix of r's) first. */
static bool guarded(const struct relo_obj *o, struct relo *const *rel, size_t n, const struct relo *r)
{
	const char *acc = btf__name_by_offset(o->btf, r->access_off);
	size_t i, len;

	for (i = 0; i < n; i++) {
		const char *g = btf__name_by_offset(o->btf, rel[i]->access_off);

		len = strlen(g);
		if (is_exists(rel[i]->kind) && rel[i]->type_id == r->type_id &&
		    !strncmp(g, acc, len) && (acc[len] == ':' || !acc[len]))
			return true;
	}
	return false;
}

/* Program prog's symbol, or NULL. */
static const struct sym *prog_sym(const struct relo_obj *o, const char *prog)
{
	size_t i;

	for (i = 0; i < o->nsyms; i++)
		if (!strcmp(o->syms[i].name, prog))
			return &o->syms[i];
	return NULL;
}

/* Whether relocation r patches an instruction of program s. */
static bool in_prog(const struct relo *r, const struct sym *s)
{
	return !strcmp(r->sec, s->sec) && r->insn_off >= s->off && r->insn_off < s->off + s->size;
}

bool relo__ctx_exists(struct relo_obj *o, const struct btf *btf, const char *prog)
{
	static const char ctx[] = "trace_event_raw_";
	const struct sym *s = prog_sym(o, prog);
	size_t i;
	__u32 id, n = btf__type_cnt(btf);

	for (i = 0; s && i < o->nrelos; i++) {
		const struct relo *r = &o->relos[i];
		const struct btf_type *l = btf__type_by_id(o->btf, r->type_id);
		const char *lname = l ? btf__name_by_offset(o->btf, l->name_off) : "";

		if (!in_prog(r, s) || strncmp(lname, ctx, sizeof(ctx) - 1))
			continue;
		for (id = 1; id < n; id++) {
			const struct btf_type *t = btf__type_by_id(btf, id);

			if (btf_is_struct(t) && names_match(lname, btf__name_by_offset(btf, t->name_off)))
				return true;
		}
	}
	return false;
}

int relo__check_prog(struct relo_obj *o, const struct btf *btf, const char *prog, bool verbose)
{
	static const char *kinds[] = { "byte_off", "byte_sz", "field_exists", "signed", "lshift",
				       "rshift", "local_type_id", "target_type_id", "type_exists",
				       "type_size", "enumval_exists", "enumval_value", "type_matches" };
	const struct sym *s = prog_sym(o, prog);
	struct relo **rel;
	size_t i, n = 0;
	int bad = 0;
	char why[160];

	if (!s)
		return -ENOENT;
	rel = calloc(o->nrelos + 1, sizeof(*rel));
	if (!rel)
		return -ENOMEM;
	for (i = 0; i < o->nrelos; i++)
		if (in_prog(&o->relos[i], s))
			rel[n++] = &o->relos[i];
	for (i = 0; i < n; i++) {
		const struct relo *r = rel[i];
		const struct btf_type *l = btf__type_by_id(o->btf, r->type_id);
		const char *verdict = "ok";

		if (!resolves(o, r, btf, why, sizeof(why))) {
			if (is_exists(r->kind))
				verdict = "absent (an existence check: 0)";
			else if (guarded(o, rel, n, r))
				verdict = "absent (guarded by an existence check: dead code)";
			else
				verdict = "FAIL", bad++;
		}
		if (verbose || !strcmp(verdict, "FAIL"))
			printf("  %s: %s %s %s: %s%s%s\n", prog, kinds[r->kind % 13],
			       l ? btf__name_by_offset(o->btf, l->name_off) : "?",
			       btf__name_by_offset(o->btf, r->access_off), verdict,
			       strcmp(verdict, "ok") ? ": " : "", strcmp(verdict, "ok") ? why : "");
	}
	free(rel);
	return bad;
}
