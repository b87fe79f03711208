# layer/layer.mk - the static Lambda layer: `make layer` and `make layer-test` (issue 4).
# Included by the top Makefile (layer/*.mk), which runs from the repository root. See
# layer/README.md for the layout of the zips and the measurements.
#
#   make layer [CONFIG=path]  build/layer-x86_64.zip and build/layer-arm64.zip:
#                             bootstrap (0755), extensions/sigboot (0755, a copy of bootstrap),
#                             sigboot-exec-wrapper (a symlink to bootstrap), bin/sigboot (0755),
#                             and sigboot/config.json (0644) when CONFIG names a config
#                             (`sigboot config init`); see layer/package.sh
#   make layer-test           both layers, built a second time in another tree and compared
#                             byte for byte, then tests/sandbox/run.sh for each arch
#
# The sources are the top Makefile's lists (LIB_SRCS, SIGN_SRCS, bootstrap/main.c,
# verify/cli.c), compiled per arch with layer/toolchain.mk's musl compiler and flags, the
# project's warnings (-Werror) and the hardening that works with static musl:
#   -fstack-protector-strong -fstack-clash-protection, -fcf-protection (x86_64) or
#   -mbranch-protection=standard (arm64), a static PIE (ASLR), -z relro -z now -z noexecstack.
# Not carried over from the dev build: -D_FORTIFY_SOURCE (musl has no __*_chk functions, so it
# would change nothing) and -g (the binaries are stripped).
# The bootstrap is linked without zlib: vfy_zip.o sits in the archive but nothing the bootstrap
# calls needs it, and a change that pulled it in would fail the link instead of silently
# growing the binary. Only bin/sigboot (zip sign/verify) links $(LAYER_ZLIB_ARCH).

include layer/toolchain.mk

# Output trees. Fixed under build/ like build/deps (the layer does not follow $(BUILD)); the
# reproducibility check builds a second time with other values.
LAYER_BUILD  ?= build/layer
LAYER_ZIPDIR ?= build
# Every file in the zips gets this mtime (zip stores DOS local time: packaged with TZ=UTC).
# 2000-01-01T00:00:00Z; a SOURCE_DATE_EPOCH from the environment wins.
LAYER_EPOCH  := $(or $(SOURCE_DATE_EPOCH),946684800)
CONFIG       ?=

LAYER_CPPFLAGS       := -std=c11 -D_GNU_SOURCE -Icommon -Iruntime-api -Iverify -Ibootstrap
LAYER_HARDEN_x86_64  := -fPIE -fstack-protector-strong -fstack-clash-protection -fcf-protection
LAYER_HARDEN_arm64   := -fPIE -fstack-protector-strong -fstack-clash-protection \
                        -mbranch-protection=standard
LAYER_MAIN_SRC       := bootstrap/main.c
LAYER_CLI_SRC        := verify/cli.c
LAYER_TEST_TOOLS     := first_next cnf_probe
# tests/tools/NAME.c programs the sandbox test also needs static: the package's own runtime
# (extension mode) and the stand-in runtime command (exec-wrapper mode). libc only.
LAYER_TEST_PROGS     := mini_runtime argv_dump

# LAYER_ARCH_RULES(arch): objects, archives, binaries and the zip of one arch.
define LAYER_ARCH_RULES
LAYER_OBJ_$(1)      := $(LAYER_BUILD)/$(1)/obj
LAYER_LIBOBJS_$(1)  := $$(LIB_SRCS:%.c=$(LAYER_BUILD)/$(1)/obj/%.o)
LAYER_SIGNOBJS_$(1) := $$(SIGN_SRCS:%.c=$(LAYER_BUILD)/$(1)/obj/%.o)

$(LAYER_BUILD)/$(1)/obj/%.o: %.c $$(LAYER_STAMP_$(1))
	@mkdir -p $$(@D)
	@$$(if $$(V),,echo "  CC      $$< ($(1))")
	$$(Q)$$(LAYER_CC_$(1)) $$(LAYER_CPPFLAGS) $$(LAYER_CFLAGS_$(1)) $$(WARN) \
		$$(LAYER_HARDEN_$(1)) -MMD -MP -c -o $$@ $$<

$(LAYER_BUILD)/$(1)/libsigboot.a: $$(LAYER_LIBOBJS_$(1))
	$$(Q)rm -f $$@ && $$(LAYER_AR_$(1)) rcsD $$@ $$^

$(LAYER_BUILD)/$(1)/libsigboot-sign.a: $$(LAYER_SIGNOBJS_$(1))
	$$(Q)rm -f $$@ && $$(LAYER_AR_$(1)) rcsD $$@ $$^

# No $$(LAYER_ZLIB_$(1)) here, on purpose (see the header).
$(LAYER_BUILD)/$(1)/bootstrap: $(LAYER_BUILD)/$(1)/obj/bootstrap/main.o \
		$(LAYER_BUILD)/$(1)/libsigboot.a
	@$$(if $$(V),,echo "  LD      $$@")
	$$(Q)$$(LAYER_CC_$(1)) $$(LAYER_SPIE_LDFLAGS_$(1)) -o $$@ $$(LAYER_SPIE_BEGIN_$(1)) $$^ \
		$$(LAYER_LIBS_$(1)) $$(LAYER_SPIE_END_$(1))

$(LAYER_BUILD)/$(1)/sigboot: $(LAYER_BUILD)/$(1)/obj/verify/cli.o \
		$(LAYER_BUILD)/$(1)/libsigboot-sign.a $(LAYER_BUILD)/$(1)/libsigboot.a
	@$$(if $$(V),,echo "  LD      $$@")
	$$(Q)$$(LAYER_CC_$(1)) $$(LAYER_SPIE_LDFLAGS_$(1)) -o $$@ $$(LAYER_SPIE_BEGIN_$(1)) $$^ \
		$$(LAYER_LIBS_$(1)) $$(LAYER_ZLIB_$(1)) $$(LAYER_SPIE_END_$(1))

# Test programs for tests/sandbox (never in the layer zip): the in-process sample handler and
# each tests/sandbox/NAME.c, linked exactly like the bootstrap (zlib-free).
$(LAYER_BUILD)/$(1)/test/c-handler: $(LAYER_BUILD)/$(1)/obj/samples/c-handler/handler.o \
		$(LAYER_BUILD)/$(1)/libsigboot.a
	@mkdir -p $$(@D)
	$$(Q)$$(LAYER_CC_$(1)) $$(LAYER_SPIE_LDFLAGS_$(1)) -o $$@ $$(LAYER_SPIE_BEGIN_$(1)) $$^ \
		$$(LAYER_LIBS_$(1)) $$(LAYER_SPIE_END_$(1))

$(LAYER_BUILD)/$(1)/test/%: $(LAYER_BUILD)/$(1)/obj/tests/sandbox/%.o
	@mkdir -p $$(@D)
	$$(Q)$$(LAYER_CC_$(1)) $$(LAYER_SPIE_LDFLAGS_$(1)) -o $$@ $$(LAYER_SPIE_BEGIN_$(1)) $$^ \
		$$(LAYER_LIBS_$(1)) $$(LAYER_SPIE_END_$(1))

$(LAYER_BUILD)/$(1)/test/tools/%: $(LAYER_BUILD)/$(1)/obj/tests/tools/%.o
	@mkdir -p $$(@D)
	$$(Q)$$(LAYER_CC_$(1)) $$(LAYER_SPIE_LDFLAGS_$(1)) -o $$@ $$(LAYER_SPIE_BEGIN_$(1)) $$^ \
		$$(LAYER_SPIE_END_$(1))

# Packaged every time (about 1 s): package.sh rewrites the zip only when its bytes change, and
# CONFIG may name a different file or none from one run to the next.
$(LAYER_ZIPDIR)/layer-$(1).zip: $(LAYER_BUILD)/$(1)/bootstrap $(LAYER_BUILD)/$(1)/sigboot \
		layer/package.sh FORCE
	$$(Q)SOURCE_DATE_EPOCH=$(LAYER_EPOCH) bash layer/package.sh $(1) $$@ \
		$(LAYER_BUILD)/$(1)/bootstrap $(LAYER_BUILD)/$(1)/sigboot $$(CONFIG)

.PHONY: layer-test-tools-$(1)
layer-test-tools-$(1): $(LAYER_BUILD)/$(1)/test/c-handler \
		$(LAYER_TEST_TOOLS:%=$(LAYER_BUILD)/$(1)/test/%) \
		$(LAYER_TEST_PROGS:%=$(LAYER_BUILD)/$(1)/test/tools/%)
endef

$(foreach a,$(LAYER_ARCHES),$(eval $(call LAYER_ARCH_RULES,$(a))))

.PHONY: layer layer-test layer-repro FORCE
FORCE:

layer: $(LAYER_ARCHES:%=$(LAYER_ZIPDIR)/layer-%.zip)

# A second, independent build (its own objects, archives, binaries and zips under
# build/layer-repro/); tests/sandbox/run.sh --repro compares its zips with the first ones.
layer-repro: layer
	@rm -rf build/layer-repro
	@$(MAKE) --no-print-directory LAYER_BUILD=build/layer-repro/tree \
		LAYER_ZIPDIR=build/layer-repro layer

# One summary line at the end: "sandbox: N passed, N failed".
layer-test: layer layer-repro $(LAYER_ARCHES:%=layer-test-tools-%)
	@bash tests/sandbox/run.sh --repro build/layer-repro $(LAYER_ARCHES)

-include $(wildcard $(LAYER_BUILD)/*/obj/*/*.d $(LAYER_BUILD)/*/obj/*/*/*.d)
