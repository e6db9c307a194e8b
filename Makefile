# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# telltale: make (build), make run, make test, make deps, make vmlinux, make bench.
# Quiet by default; V=1 prints every command.

OUT ?= build
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h
PREFIX ?= /usr/local

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

INCLUDES := -Iinclude -Iuser -I$(OUT)
CFLAGS ?= -g -O2
VERSION := 0.1.0
CFLAGS += -std=gnu11 -Wall -Wextra -Werror $(INCLUDES) -DTT_VERSION=\"$(VERSION)\"
LDLIBS := -lbpf -lelf -lz -lcjson -lmicrohttpd -lcurl -lm -pthread
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# clang's view of the system headers, so the BPF target finds asm/types.h.
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
# -Wno-unused-parameter: libbpf's BPF_PROG macro passes ctx to every body.
# Expanded when used, not now: on a fresh machine `make deps` installs clang
# after this file is read.
BPF_CFLAGS = -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -I$(dir $(VMLINUX_H)) $(CLANG_BPF_SYS_INCLUDES)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))

# The user side is in stage folders (docs/architecture.md); every .c in them
# is part of the agent. Sources that need the BPF skeleton are left out of
# what unit tests link under AddressSanitizer.
STAGES := lib agent core out cli
KERNEL_SRCS := user/cli/main.c user/agent/loader.c user/cli/telemetry.c
USER_SRCS := $(foreach s,$(STAGES),$(wildcard user/$(s)/*.c))
USER_HDRS := $(foreach s,$(STAGES),$(wildcard user/$(s)/*.h))
CORE_SRCS := $(filter-out $(KERNEL_SRCS),$(USER_SRCS))
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
CORE_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(CORE_SRCS))
ASAN_OBJS := $(patsubst user/%.c,$(OUT)/asan/%.o,$(CORE_SRCS))
MAIN_OBJ := $(OUT)/user/cli/main.o

# Unit tests mirror the stages: tests/unit/<stage>/test_*.c.
UNIT_SRCS := $(foreach s,$(STAGES),$(wildcard tests/unit/$(s)/test_*.c))
UNIT_BINS := $(addprefix $(OUT)/tests/,$(notdir $(basename $(UNIT_SRCS))))
TEST_INCLUDES := -Itests/unit
KTEST_SRCS := $(wildcard tests/kernel/ktest_*.c)
KTEST_BINS := $(patsubst tests/kernel/%.c,$(OUT)/tests/%,$(KTEST_SRCS))
TOOL_SRCS := $(wildcard tests/tools/*.c bench/*.c)
TOOL_BINS := $(patsubst %.c,$(OUT)/%,$(notdir $(TOOL_SRCS)))

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang against the
# stages compiled once more with the fuzzer's coverage and the sanitizers.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS := $(patsubst user/%.c,$(OUT)/fuzzobj/%.o,$(CORE_SRCS))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -g -O1 -std=gnu11 -Wall -Wextra -Werror $(INCLUDES) -DTT_VERSION=\"$(VERSION)\" $(FUZZ_SAN)
FUZZ_SECONDS ?= 60

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps run test unit clean vmlinux bench install uninstall deb docs fuzz fuzzers vmtest

all: $(OUT)/telltale $(UNIT_BINS) $(KTEST_BINS) $(OUT)/broken.bpf.o $(addprefix $(OUT)/tools/,$(notdir $(basename $(TOOL_SRCS)))) $(OUT)/tools/nov6.so

deps:
	$(Q)packaging/deps.sh

run: deps $(OUT)/telltale
	$(OUT)/telltale $(ARGS)

# The packages first, then the build on every core (a prerequisite list would
# build beside a deps run that is still installing the compilers).
test: deps
	$(Q)$(MAKE) --no-print-directory -j$$(nproc) all fuzzers
	$(Q)tests/run.sh $(OUT)

unit: $(UNIT_BINS)
	$(Q)for t in $(UNIT_BINS); do $$t || exit 1; done

fuzzers: $(FUZZ_BINS)

# Each target FUZZ_SECONDS long (default 60), its new inputs kept in
# $(OUT)/fuzz/corpus/TARGET for the next run; a crash stops with its input.
fuzz: deps $(FUZZ_BINS)
	$(Q)for t in $(patsubst fuzz_%,%,$(notdir $(FUZZ_BINS))); do \
		tests/fuzz/run.sh $(OUT) $$t $(FUZZ_SECONDS) $(OUT)/fuzz/corpus/$$t || exit 1; done

bench: deps all $(OUT)/floor.bpf.o $(OUT)/floor_sys.bpf.o $(OUT)/floor_walk.bpf.o
	$(Q)bench/run.sh $(OUT)

# A Debian kernel of tests/kernels/list (VMTEST_SUITE, default bookworm:
# 6.1), or an Ubuntu one of tests/kernels/ubuntu (jammy: 5.15, focal: 5.4),
# booted under qemu, its own verifier judging every program set;
# VMTEST_SUITE=all boots each in turn and fails if any fails, all but
# bookworm-backports, whose 6.12.95 crashes under this qemu's emulation in
# its own boot, before the VM's init (trixie's 6.12.117 boots). Not part of
# make test: minutes under software emulation.
VMTEST_SUITE ?= bookworm
VMTEST_ALL = $(filter-out bookworm-backports,\
	$(shell awk '!/^\#/ && NF { print $$1 }' tests/kernels/ubuntu tests/kernels/list))
vmtest: all $(OUT)/tools/vmecho
	$(Q)command -v qemu-system-x86_64 >/dev/null && command -v busybox >/dev/null || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-x86 busybox
	$(Q)bad=; for s in $(if $(filter all,$(VMTEST_SUITE)),$(VMTEST_ALL),$(VMTEST_SUITE)); do \
		tests/kernels/vmboot.sh $(OUT) $$s || bad="$$bad $$s"; echo; done; \
		[ -z "$$bad" ] || { echo "vmtest failed on:$$bad"; exit 1; }

# The key reference in docs/config.md is written from the key table.
docs: $(OUT)/tools/configdoc
	$(call msg,GEN,docs/config.md)
	$(Q)$(OUT)/tools/configdoc > $(OUT)/config-keys.md
	$(Q)awk -v gen=$(OUT)/config-keys.md \
		'/<!-- keys:begin/ { print; while ((getline l < gen) > 0) print l; skip = 1; next } \
		 /<!-- keys:end/ { skip = 0 } !skip' docs/config.md > $(OUT)/config.md
	$(Q)mv $(OUT)/config.md docs/config.md

vmlinux:
	$(Q)test -r $(VMLINUX_BTF) || { echo "error: no BTF at $(VMLINUX_BTF); boot a kernel built with CONFIG_DEBUG_INFO_BTF=y or pass VMLINUX_BTF=/path/to/vmlinux" >&2; exit 1; }
	$(call msg,GEN,$(VMLINUX_H))
	$(Q)mkdir -p $(dir $(VMLINUX_H))
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $(VMLINUX_H).tmp && mv $(VMLINUX_H).tmp $(VMLINUX_H)

clean:
	$(call msg,CLEAN,$(OUT))
	$(Q)rm -rf $(OUT)

$(OUT) $(OUT)/tests $(OUT)/tools:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c include/telltale.h $(wildcard bpf/*.bpf.h) $(VMLINUX_H) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.bpf.o: tests/kernels/%.bpf.c $(VMLINUX_H) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.bpf.o: bench/bpf/%.bpf.c $(VMLINUX_H) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUT)/user/%.o: user/%.c $(USER_HDRS) include/telltale.h $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/asan/%.o: user/%.c $(USER_HDRS) include/telltale.h
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN) -c $< -o $@

$(OUT)/telltale: $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# A unit test's source is in the folder of its stage.
.SECONDEXPANSION:
$(OUT)/tests/test_%: $$(wildcard tests/unit/*/test_%.c) $(wildcard tests/unit/*.h) $(ASAN_OBJS) | $(OUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(TEST_INCLUDES) $(SAN) $< $(ASAN_OBJS) $(LDLIBS) -o $@

$(OUT)/tests/ktest_%: tests/kernel/ktest_%.c tests/kernel/ktest.h tests/unit/check.h $(filter-out $(MAIN_OBJ),$(USER_OBJS)) | $(OUT)/tests
	$(call msg,KTEST,$@)
	$(Q)$(CC) $(CFLAGS) $(TEST_INCLUDES) -pthread $< $(filter-out $(MAIN_OBJ),$(USER_OBJS)) $(LDLIBS) -o $@

# The kernel matrix check: its relocation checker is a second source.
$(OUT)/tools/kcheck: tests/tools/kcheck.c tests/kernels/kcheck_relo.c tests/kernels/kcheck_relo.h $(CORE_OBJS) | $(OUT)/tools
	$(call msg,TOOL,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/kernels $< tests/kernels/kcheck_relo.c $(CORE_OBJS) $(LDLIBS) -o $@

# Static, so the VM's initramfs needs no library for it.
$(OUT)/tools/vmecho: tests/kernels/vmecho.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -static $< -o $@

# An LD_PRELOAD shim (tests/shim): the e2e tests' host without IPv6.
$(OUT)/tools/%.so: tests/shim/%.c | $(OUT)/tools
	$(call msg,SHIM,$@)
	$(Q)$(CC) $(CFLAGS) -shared -fPIC $< -ldl -o $@

$(OUT)/tools/%: tests/tools/%.c $(CORE_OBJS) | $(OUT)/tools
	$(call msg,TOOL,$@)
	$(Q)$(CC) $(CFLAGS) -pthread $< $(CORE_OBJS) $(LDLIBS) -o $@

$(OUT)/tools/%: bench/%.c $(CORE_OBJS) | $(OUT)/tools
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) -pthread $< $(CORE_OBJS) $(LDLIBS) -o $@

$(OUT)/fuzzobj/%.o: user/%.c $(USER_HDRS) include/telltale.h
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(OUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) $(LDLIBS) -o $@

# PREFIX and DESTDIR as usual; the unit's ExecStart follows PREFIX.
install: $(OUT)/telltale
	install -D -m 0755 $(OUT)/telltale $(DESTDIR)$(PREFIX)/sbin/telltale
	install -D -m 0644 packaging/telltale.8 $(DESTDIR)$(PREFIX)/share/man/man8/telltale.8
	install -D -m 0644 packaging/telltale.json $(DESTDIR)/etc/telltale/telltale.json.example
	# The service writes both streams under /var/log/telltale, where the
	# rsyslog example tails the alerts; an existing config is kept.
	sed -e 's|"alerts": "-"|"alerts": "/var/log/telltale/alerts.jsonl"|' \
	    -e 's|"metrics": "-"|"metrics": "/var/log/telltale/metrics.jsonl"|' \
	    packaging/telltale.json > $(OUT)/telltale.json
	test -e $(DESTDIR)/etc/telltale/telltale.json || \
		install -m 0644 $(OUT)/telltale.json $(DESTDIR)/etc/telltale/telltale.json
	install -d -m 0750 $(DESTDIR)/var/log/telltale
	sed 's|/usr/local/sbin/telltale|$(PREFIX)/sbin/telltale|' packaging/telltale.service > $(OUT)/telltale.service
	install -D -m 0644 $(OUT)/telltale.service $(DESTDIR)/lib/systemd/system/telltale.service
	install -D -m 0644 packaging/rsyslog-telltale.conf $(DESTDIR)$(PREFIX)/share/doc/telltale/rsyslog-telltale.conf
	install -d $(DESTDIR)$(PREFIX)/share/doc/telltale/prometheus
	install -m 0644 packaging/prometheus/* $(DESTDIR)$(PREFIX)/share/doc/telltale/prometheus/

# The Debian package: $(OUT)/telltale_$(VERSION)-1_ARCH.deb, the files of
# `make install PREFIX=/usr` (packaging/deb.sh).
deb: $(OUT)/telltale
	$(Q)packaging/deb.sh $(OUT) $(VERSION)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/telltale $(DESTDIR)$(PREFIX)/share/man/man8/telltale.8 \
		$(DESTDIR)/lib/systemd/system/telltale.service $(DESTDIR)/etc/telltale/telltale.json.example \
		$(DESTDIR)$(PREFIX)/share/doc/telltale/rsyslog-telltale.conf
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/telltale/prometheus
