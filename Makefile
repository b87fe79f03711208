# sigboot: one non-recursive Makefile (STYLE.md). `make help` lists the targets.

CC       ?= cc
BUILD    ?= build
PKGS     := libcurl libcjson libcrypto zlib
DEPS_OK  := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes)

WARN     := -Wall -Wextra -Werror -Wformat=2 -Wconversion -Wshadow -Wcast-qual \
            -Wwrite-strings -Wstrict-prototypes -Wmissing-prototypes -Wvla \
            -Wnull-dereference -Wimplicit-fallthrough
HARDEN   := -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
            -fstack-clash-protection -fPIE
ifeq ($(shell uname -m),x86_64)
HARDEN   += -fcf-protection
endif
OPT      ?= $(HARDEN)
CPPFLAGS += -D_GNU_SOURCE -Icommon -Iruntime-api -Iverify -Ibootstrap \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS   += -std=c11 -g $(WARN) $(OPT) -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS  += -pie -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--as-needed $(EXTRA_LDFLAGS)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

# The library the bootstrap is made of (and that in-process C handlers link).
# Signing code (verify/cli*.c, verify/sign*.c) never goes into it: the
# bootstrap can verify but not sign (as minisign's VERIFY_ONLY).
LIB_SRCS  := $(wildcard common/*.c runtime-api/*.c) \
             $(filter-out verify/cli%.c verify/sign%.c,$(wildcard verify/*.c)) \
             $(filter-out bootstrap/main.c,$(wildcard bootstrap/*.c))
SIGN_SRCS := $(filter-out verify/cli.c,$(wildcard verify/cli_*.c verify/sign*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
SIGN_OBJS := $(SIGN_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
SAMPLE_BINS := $(BUILD)/samples/c-handler

.PHONY: all deps test check unit integration asan valgrind lint format demo bench soak layer clean help
all: deps-check $(BUILD)/bootstrap $(BUILD)/sigboot $(BUILD)/libsigboot.a $(BUILD)/include/sigboot.h \
     $(SAMPLE_BINS)

help:
	@echo "make            build build/bootstrap, build/sigboot, build/libsigboot.a"
	@echo "make deps       install the Debian build dependencies (as root)"
	@echo "make test       unit + integration tests"
	@echo "make asan       the tests under ASan+UBSan (own build dir)"
	@echo "make valgrind   unit + integration tests, our binaries under valgrind (leaks are errors)"
	@echo "make demo       sign the sample, run it, show Enforce and Warn on a tampered copy"
	@echo "make bench      benchmarks (bench/)"
	@echo "make soak       100,000 invocations of the C handler; fails if its RSS keeps growing"
	@echo "make layer      the static Lambda layer zips (layer/README.md)"
	@echo "make layer-test the layer zips in a Lambda-like sandbox, x86_64 and arm64 (qemu)"
	@echo "make fuzz       every libFuzzer target for FUZZ_SECONDS (60); fuzz-regress: corpus only"
	@echo "make fuzz-deps  install clang and libFuzzer (as root)"
	@echo "make lint       banned calls, cppcheck, clang-tidy, clang-format (lint-deps installs them)"

deps:
	@sh tests/deps.sh

deps-check:
	@[ "$(DEPS_OK)" = yes ] || { echo "error: build dependencies missing; run 'make deps'" >&2; exit 2; }
.PHONY: deps-check
# Keep objects that only pattern rules need (test tools, samples).
.SECONDARY:

# V=1 shows the full commands.
Q        := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libsigboot.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libsigboot-sign.a: $(SIGN_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/include/sigboot.h: bootstrap/sigboot.h
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/bootstrap: $(BUILD)/obj/bootstrap/main.o $(BUILD)/libsigboot.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/sigboot: $(BUILD)/obj/verify/cli.o $(BUILD)/libsigboot-sign.a $(BUILD)/libsigboot.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/samples/c-handler: $(BUILD)/obj/samples/c-handler/handler.o $(BUILD)/libsigboot.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libsigboot-sign.a $(BUILD)/libsigboot.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(BUILD)/libsigboot-sign.a $(BUILD)/libsigboot.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# deps first, then a fresh make: pkg-config flags are read when make starts,
# so a machine that just got its -dev packages needs a second invocation.
test: deps
	@$(MAKE) --no-print-directory check

check: all $(UNIT_BINS) $(TOOL_BINS)
	@sh tests/run.sh $(BUILD)

unit: all $(UNIT_BINS)
	@sh tests/run.sh $(BUILD) unit

integration: all $(TOOL_BINS)
	@sh tests/run.sh $(BUILD) integration

# Sanitizer build: its own tree, no FORTIFY, every report fatal.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan \
	        OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	        EXTRA_LDFLAGS="-fsanitize=address,undefined" check

# Valgrind on the normal build: the unit binaries, and every program of ours
# that the integration suites start (tests/integration/harness.py). Any error,
# or a definite/indirect leak, fails the suite (tests/run.sh checks the logs).
valgrind: deps
	@$(MAKE) --no-print-directory valgrind-run

valgrind-run: all $(UNIT_BINS) $(TOOL_BINS)
	@SB_VALGRIND=1 sh tests/run.sh $(BUILD)
.PHONY: valgrind-run

# Static analysis (tests/lint.sh): banned calls, cppcheck, clang-tidy (.clang-tidy) with the
# build's own flags, after a self-test that each tool catches a planted violation. pkg-config is
# asked again at run time: lint-deps may have just installed what make saw missing at start.
lint: deps lint-deps
	@SB_LINT_DIR="$(BUILD)/lint" \
	    SB_LINT_FLAGS="$(CPPFLAGS) $$(pkg-config --cflags $(PKGS)) $(filter-out -MMD -MP,$(CFLAGS))" \
	    sh tests/lint.sh

# cppcheck, clang-tidy (as root it installs them, otherwise prints the apt-get command).
lint-deps:
	@sh tests/deps.sh --lint
.PHONY: lint-deps

demo: deps
	@$(MAKE) --no-print-directory all
	@sh samples/demo.sh $(BUILD)

bench: all
	@sh bench/run.sh $(BUILD)

# Long run of the in-process C handler: flat RSS after warm-up (bench/soak.sh).
soak: all
	@sh bench/soak.sh $(BUILD)

clean:
	rm -rf $(BUILD)

-include $(wildcard layer/*.mk tests/fuzz/*.mk bench/*.mk)
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
