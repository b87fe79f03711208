# tests/fuzz/fuzz.mk: libFuzzer targets (STYLE.md "Fuzz"), included by the top
# Makefile. See tests/fuzz/README.md.
#
#   make fuzz-build            build every target into build/fuzz/
#   make fuzz                  build, then run each target for FUZZ_SECONDS
#                              (default 60) on a copy of its seed corpus
#   make fuzz FUZZ_TARGETS="json b64" FUZZ_SECONDS=10
#   make fuzz-regress          run each target once over its committed corpus
#                              (no mutation, a few seconds: a CI smoke test)
#   make fuzz-deps             install clang and the libFuzzer runtime (root)
#
# The fuzz build compiles the library sources itself with clang into
# build/fuzz/obj/ (the gcc objects are neither instrumented nor built by the
# same compiler): sanitizer coverage for libFuzzer plus ASan and UBSan, every
# UBSan report fatal, no FORTIFY (sanitizers replace it).

FUZZ_CC      ?= clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SRCDIR  := tests/fuzz
FUZZ_ALL     := $(patsubst $(FUZZ_SRCDIR)/fuzz_%.c,%,$(wildcard $(FUZZ_SRCDIR)/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BINS    := $(FUZZ_ALL:%=$(FUZZ_DIR)/fuzz_%)

# WARN minus -Wformat-nonliteral, which -Wformat=2 turns on: clang (unlike GCC)
# applies it to va_list forwarders such as sb_err.c's vset.
FUZZ_WARN   := $(WARN) -Wno-format-nonliteral
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer $(FUZZ_WARN) -MMD -MP \
               $(FUZZ_SAN) $(FUZZ_EXTRA_CFLAGS)

# Only the library code the targets reach: no bootstrap glue, no signing.
FUZZ_LIB_SRCS := $(wildcard common/*.c) \
                 $(filter-out verify/cli%.c verify/sign%.c,$(wildcard verify/*.c))
FUZZ_RAPI_SRCS := $(wildcard runtime-api/*.c)
FUZZ_LIB_OBJS  := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_RAPI_OBJS := $(FUZZ_RAPI_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)

.PHONY: fuzz fuzz-build fuzz-regress fuzz-deps fuzz-check-cc

fuzz-check-cc:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || \
	    { echo "error: $(FUZZ_CC) not found; run 'make fuzz-deps' (as root)" >&2; exit 2; }

fuzz-deps:
	@sh $(FUZZ_SRCDIR)/deps.sh

fuzz-build: fuzz-check-cc $(FUZZ_BINS)

fuzz: fuzz-build
	@sh $(FUZZ_SRCDIR)/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-regress: fuzz-build
	@sh $(FUZZ_SRCDIR)/run.sh $(FUZZ_DIR) 0 $(FUZZ_TARGETS)

# Library objects: instrumented for coverage, not linked with libFuzzer's main.
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/obj/$(FUZZ_SRCDIR)/%.o: $(FUZZ_SRCDIR)/%.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -I$(FUZZ_SRCDIR) $(FUZZ_CFLAGS) -fsanitize=fuzzer -c -o $@ $<

# An archive, so that each target links only the objects it uses. The
# runtime-api objects link into fuzz_rapi_headers alone, so the other targets
# build whatever state runtime-api/ is in.
$(FUZZ_DIR)/libsigboot-fuzz.a: $(FUZZ_LIB_OBJS)
	@$(if $(V),,echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_rapi_headers: $(FUZZ_RAPI_OBJS)

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/$(FUZZ_SRCDIR)/fuzz_%.o $(FUZZ_DIR)/libsigboot-fuzz.a
	@$(if $(V),,echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter-out %.a,$^) $(filter %.a,$^) $(LDLIBS)

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
