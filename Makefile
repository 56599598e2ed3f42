# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# canary-bpf build. `make V=1` prints full commands.

OUTPUT := .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
MAKEFILE := $(firstword $(MAKEFILE_LIST))

ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

INCLUDES := -I$(OUTPUT) -Iinclude -Iuser
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      $(INCLUDES) $(EXTRA_BPF_CFLAGS)
CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -MMD -MP $(INCLUDES)
LDLIBS := -lbpf -lelf -lz -lyaml -ljson-c -lmnl -lpthread -ldl

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all clean test unit demo bench install deps image sanitize fuzz

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_HDRS := $(wildcard bpf/*.h) $(wildcard include/*.h)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

MAIN_SRC := user/main.c
# user/ is in layers, one folder each (docs/ARCHITECTURE.md); a folder
# includes only from the layers scripts/check-layers.sh allows it.
USER_LAYERS := cli agent kube dataplane core util
LIB_SRCS := $(foreach l,$(USER_LAYERS),$(wildcard user/$(l)/*.c))
LIB_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
LIB := $(OUTPUT)/libcanary.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%,$(UNIT_SRCS))

# tests/lib: what the C tests share (harness, assertions, test env, frame
# builders, fuzz model, own netns, SNAT ICMP runner); bench/ borrows the
# env and frame builders.
TLIB := $(OUTPUT)/tests/lib
TLIB_HDRS := $(wildcard tests/lib/*.h)
HARNESS_OBJ := $(TLIB)/harness.o
HARNESS_TEST := $(TLIB)/harness_selftest

BPFT_SRCS := $(wildcard tests/bpf/*.c)
BPFT_OBJS := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/bpf/%.o,$(BPFT_SRCS)) \
	     $(patsubst %,$(TLIB)/%.o,harness probe env pkt pkt6 fuzz fuzz6 netns snat)
BPFT_BIN := $(OUTPUT)/tests/bpf/test_bpf
BPFT_LIST := $(OUTPUT)/tests/bpf/tests.h

BENCH_BIN := $(OUTPUT)/bench/bench
BENCH_SKEL := $(OUTPUT)/bench.skel.h

# Sanitizer builds, with clang: the unit tests under ASan+UBSan
# (.output/asan/), and libFuzzer targets over the user-space parsers
# (.output/fuzz/). Any UBSan report is fatal, like an ASan one.
SAN_FLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	     -fno-sanitize-recover=all
SAN_CFLAGS := -Wall -Wextra -Werror -std=gnu11 -MMD -MP $(INCLUDES)
ASAN_LIB := $(OUTPUT)/asan/libcanary.a
ASAN_OBJS := $(patsubst user/%.c,$(OUTPUT)/asan/user/%.o,$(LIB_SRCS))
ASAN_UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/asan/tests/unit/%,$(UNIT_SRCS))
ASAN_HARNESS_OBJ := $(OUTPUT)/asan/tests/lib/harness.o
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
# What the fuzz targets reach: parsers, config model, YAML, weights, and
# the agent's Kubernetes JSON decoding.
FUZZ_OBJS := $(patsubst %,$(OUTPUT)/fuzz/user/%.o,core/addr core/parse core/config core/health core/names \
	core/config_yaml core/weights kube/kube_objects kube/kube_gateway kube/kube_logic util/log)
FUZZ_SECONDS ?= 60
FUZZ_PACKETS ?= 1000000

# After the lists it names: a prerequisite list expands when read.
.SECONDARY: $(BPF_OBJS) $(OUTPUT)/bench.bpf.o $(FUZZ_OBJS)

all: canary-bpf $(UNIT_BINS) $(HARNESS_TEST) $(BPFT_BIN) $(BENCH_BIN) $(OUTPUT)/headers.ok

# Each bpf/*.h compiles on its own (scripts/check-headers.sh).
$(OUTPUT)/headers.ok: $(BPF_HDRS) $(OUTPUT)/vmlinux.h scripts/check-headers.sh | $(OUTPUT)
	$(call msg,CHECK,bpf/*.h)
	$(Q)scripts/check-headers.sh $(CLANG) $(BPF_CFLAGS) && touch $@

$(OUTPUT) $(OUTPUT)/tests/unit $(OUTPUT)/tests/bpf $(TLIB) $(OUTPUT)/bench:
	$(Q)mkdir -p $@

# vmlinux.h: regenerate into a temp file, replace only when it changed.
$(OUTPUT)/vmlinux.h: $(MAKEFILE) | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)if [ ! -e "$(VMLINUX_BTF)" ]; then \
		echo "error: no kernel BTF at $(VMLINUX_BTF) (set VMLINUX_BTF)" >&2; exit 1; fi
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h $(MAKEFILE) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(@:.o=.tmp.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)
	$(Q)rm -f $(@:.o=.tmp.o)

# Benchmark-only BPF programs: built like the data plane, never installed.
$(OUTPUT)/bench.bpf.o: bench/bench.bpf.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h $(MAKEFILE) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(@:.o=.tmp.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)
	$(Q)rm -f $(@:.o=.tmp.o)

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(SKELS) $(MAKEFILE)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

canary-bpf: $(OUTPUT)/user/main.o $(LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(TLIB)/%.o: tests/lib/%.c $(SKELS) $(MAKEFILE) | $(TLIB)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/lib -c $< -o $@

# A fake test program: tests/lib/test_harness.sh runs it through
# scripts/run-tests.sh's counting.
$(HARNESS_TEST): $(TLIB)/harness_selftest.o $(HARNESS_OBJ) $(TLIB)/probe.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(TLIB_HDRS) $(HARNESS_OBJ) \
			$(LIB) $(MAKEFILE) | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Itests/lib $< $(HARNESS_OBJ) $(LIB) $(LDLIBS) -o $@

# The BPF test runner finds tests/bpf/test_<name>.c on its own: each file
# defines test_<name>(), listed here into tests.h.
$(BPFT_LIST): $(BPFT_SRCS) $(MAKEFILE) | $(OUTPUT)/tests/bpf
	$(call msg,GEN,$@)
	$(Q)for f in $(notdir $(filter tests/bpf/test_%.c,$(BPFT_SRCS))); do \
		n=$${f%.c}; echo "DEFINE_TEST($${n#test_})"; done > $@.tmp && mv $@.tmp $@

$(OUTPUT)/tests/bpf/%.o: tests/bpf/%.c $(BPFT_LIST) $(SKELS) $(MAKEFILE) | $(OUTPUT)/tests/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/lib -I$(OUTPUT)/tests/bpf -c $< -o $@

$(BPFT_BIN): $(BPFT_OBJS) $(LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/bench/bench.o: bench/bench.c $(BENCH_SKEL) $(SKELS) $(MAKEFILE) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/lib -c $< -o $@

$(BENCH_BIN): $(OUTPUT)/bench/bench.o $(TLIB)/env.o $(TLIB)/pkt.o $(TLIB)/pkt6.o $(LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/asan/tests/unit $(OUTPUT)/asan/tests/lib $(OUTPUT)/fuzz/user:
	$(Q)mkdir -p $@

$(OUTPUT)/asan/user/%.o: user/%.c $(SKELS) $(MAKEFILE)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(SAN_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(ASAN_LIB): $(ASAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(ASAN_HARNESS_OBJ): tests/lib/harness.c $(MAKEFILE) | $(OUTPUT)/asan/tests/lib
	$(call msg,CC-ASAN,$@)
	$(Q)$(CLANG) $(SAN_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(OUTPUT)/asan/tests/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(TLIB_HDRS) \
			     $(ASAN_HARNESS_OBJ) $(ASAN_LIB) $(MAKEFILE) | $(OUTPUT)/asan/tests/unit
	$(call msg,CC-ASAN,$@)
	$(Q)$(CLANG) $(SAN_CFLAGS) $(SAN_FLAGS) -Itests/unit -Itests/lib $< $(ASAN_HARNESS_OBJ) \
		$(ASAN_LIB) $(LDLIBS) -o $@

$(OUTPUT)/fuzz/user/%.o: user/%.c $(MAKEFILE)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(SAN_CFLAGS) $(SAN_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(OUTPUT)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_OBJS) $(MAKEFILE) | $(OUTPUT)/fuzz/user
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) $(SAN_CFLAGS) $(SAN_FLAGS) -fsanitize=fuzzer -Itests/fuzz \
		$< $(FUZZ_OBJS) -lyaml -ljson-c -lbpf -o $@

sanitize: $(ASAN_UNIT_BINS) $(FUZZ_BINS)

deps:
	$(Q)scripts/deps.sh

unit: deps
	$(Q)$(MAKE) --no-print-directory $(UNIT_BINS)

test: deps
	$(Q)$(MAKE) --no-print-directory all sanitize
	$(Q)scripts/run-tests.sh

# The long runs: FUZZ_PACKETS frames through the programs, then each
# libFuzzer target for FUZZ_SECONDS from its seed corpus.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory all sanitize
	$(Q)CANARY_FUZZ_PACKETS=$(FUZZ_PACKETS) $(BPFT_BIN) fuzz
	$(Q)scripts/fuzz.sh --seconds $(FUZZ_SECONDS) $(FUZZ_BINS)

demo: deps
	$(Q)$(MAKE) --no-print-directory canary-bpf
	$(Q)scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bench.sh

# The agent's container image (deploy/Dockerfile), where an engine runs.
IMAGE ?= canary-bpf:latest
image:
	$(Q)engine=""; for e in docker podman; do \
		if command -v $$e >/dev/null 2>&1 && $$e info >/dev/null 2>&1; then \
			engine=$$e; break; fi; done; \
	if [ -z "$$engine" ]; then \
		echo "make image: no working docker or podman here; not building $(IMAGE)"; \
		exit 0; fi; \
	echo "  IMAGE    $(IMAGE) ($$engine)"; \
	$$engine build -f deploy/Dockerfile -t $(IMAGE) .

install: canary-bpf
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX)/sbin/canary-bpf)
	$(Q)install -D -m 0755 canary-bpf $(DESTDIR)$(PREFIX)/sbin/canary-bpf

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUTPUT) canary-bpf

-include $(wildcard $(OUTPUT)/user/*.d $(OUTPUT)/user/*/*.d $(OUTPUT)/tests/*/*.d \
	$(OUTPUT)/bench/*.d $(OUTPUT)/asan/user/*/*.d $(OUTPUT)/asan/tests/*/*.d \
	$(OUTPUT)/fuzz/*.d $(OUTPUT)/fuzz/user/*/*.d)
