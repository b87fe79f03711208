# layer/toolchain.mk - static musl toolchain for the Lambda layer's bootstrap.
# Included by the top Makefile, which runs from the repository root: paths are relative to it.
# build/deps is fixed (not $(BUILD)): layer/build-deps.sh always writes there.
#
# For ARCH in $(LAYER_ARCHES) (x86_64 arm64):
#   LAYER_CC_ARCH       compiler: musl-gcc, or the relocatable aarch64 musl wrapper that
#                       build-deps.sh generates (aarch64-linux-gnu-gcc + Debian's musl-dev:arm64)
#   LAYER_CFLAGS_ARCH   -O2 -static -ffunction-sections -fdata-sections -DSB_STATIC_LAYER=1,
#                       deps headers as -isystem (curl/, openssl/, cjson/cJSON.h), and the Linux
#                       UAPI headers as -idirafter (musl-gcc uses -nostdinc)
#   LAYER_LDFLAGS_ARCH  -static -Wl,--gc-sections -s   (no -pie: see layer/README.md)
#   LAYER_LIBS_ARCH     libcurl.a libcjson.a libcrypto.a; put them after the objects
#   LAYER_ZLIB_ARCH     libz.a: only for the sigboot CLI (zips); the bootstrap must not need it
#   LAYER_STAMP_ARCH    build/deps/ARCH/.stamp
#   LAYER_AR_ARCH       ar for the arch's objects (deterministic: use `rcsD`)
#   LAYER_SPIE_LDFLAGS_ARCH, LAYER_SPIE_BEGIN_ARCH, LAYER_SPIE_END_ARCH
#                       a static PIE link (see below): LDFLAGS BEGIN objects libs END
# The .a files, headers and the arm64 compiler are all made by build-deps.sh and have no rule
# of their own: make every object and binary built with these flags depend on
# $(LAYER_STAMP_ARCH), e.g.
#   build/layer/x86_64/%.o: %.c $(LAYER_STAMP_x86_64)
#   	$(LAYER_CC_x86_64) $(LAYER_CFLAGS_x86_64) -c -o $@ $<
#   build/layer/x86_64/bootstrap: $(objs) $(LAYER_STAMP_x86_64)
#   	$(LAYER_CC_x86_64) $(LAYER_CFLAGS_x86_64) -o $@ $(objs) $(LAYER_LDFLAGS_x86_64) $(LAYER_LIBS_x86_64)
# and run layer/check-static.sh on the result.

ifndef LAYER_TOOLCHAIN_MK
LAYER_TOOLCHAIN_MK := 1
# (guard: the top Makefile includes layer/*.mk and layer/layer.mk includes this file too)

LAYER_ARCHES := x86_64 arm64

LAYER_CC_x86_64      := musl-gcc
LAYER_CFLAGS_x86_64  := -O2 -static -ffunction-sections -fdata-sections \
                        -isystem build/deps/x86_64/include -idirafter build/deps/x86_64/kheaders \
                        -DSB_STATIC_LAYER=1
LAYER_LDFLAGS_x86_64 := -static -Wl,--gc-sections -s
LAYER_LIBS_x86_64    := build/deps/x86_64/lib/libcurl.a build/deps/x86_64/lib/libcjson.a \
                        build/deps/x86_64/lib/libcrypto.a
LAYER_STAMP_x86_64   := build/deps/x86_64/.stamp
LAYER_ZLIB_x86_64    := build/deps/x86_64/lib/libz.a
LAYER_AR_x86_64      := ar
LAYER_MUSL_LIB_x86_64 := /usr/lib/x86_64-linux-musl

LAYER_CC_arm64       := build/deps/arm64/toolchain/aarch64-linux-musl-gcc
LAYER_CFLAGS_arm64   := -O2 -static -ffunction-sections -fdata-sections \
                        -isystem build/deps/arm64/include -idirafter build/deps/arm64/kheaders \
                        -DSB_STATIC_LAYER=1
LAYER_LDFLAGS_arm64  := -static -Wl,--gc-sections -s
LAYER_LIBS_arm64     := build/deps/arm64/lib/libcurl.a build/deps/arm64/lib/libcjson.a \
                        build/deps/arm64/lib/libcrypto.a
LAYER_STAMP_arm64    := build/deps/arm64/.stamp
LAYER_ZLIB_arm64     := build/deps/arm64/lib/libz.a
LAYER_AR_arm64       := aarch64-linux-gnu-ar
LAYER_MUSL_LIB_arm64 := build/deps/arm64/toolchain/musl-root/usr/lib/aarch64-linux-musl

# Static PIE: a static binary that the kernel loads at a random address (ASLR for the code and
# data of a program that parses untrusted input), still with no PT_INTERP and no DT_NEEDED.
# musl's rcrt1.o relocates the binary itself before main. The musl specs hard-code Scrt1.o and
# replace gcc's link spec (so -static-pie alone yields a dynamic PIE that needs ld-musl), hence
# -nostartfiles with the start files named here, and -static / --no-dynamic-linker passed to the
# linker. -z text: a text relocation would be an error (every object is PIC: Debian's gcc
# defaults to -fPIE, and the deps are built with it). Expanded when a recipe runs (recursive
# `=`): the arm64 compiler only exists once build-deps.sh has made it.
LAYER_SPIE_LDFLAGS_COMMON = -static-pie -nostartfiles -Wl,-static,--no-dynamic-linker,-z,text \
                            -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--gc-sections -s
LAYER_SPIE_LDFLAGS_x86_64 = $(LAYER_SPIE_LDFLAGS_COMMON)
LAYER_SPIE_LDFLAGS_arm64  = $(LAYER_SPIE_LDFLAGS_COMMON)
LAYER_SPIE_BEGIN_x86_64 = $(LAYER_MUSL_LIB_x86_64)/rcrt1.o $(LAYER_MUSL_LIB_x86_64)/crti.o \
                          $(shell $(LAYER_CC_x86_64) -print-file-name=crtbeginS.o)
LAYER_SPIE_END_x86_64   = $(shell $(LAYER_CC_x86_64) -print-file-name=crtendS.o) \
                          $(LAYER_MUSL_LIB_x86_64)/crtn.o
LAYER_SPIE_BEGIN_arm64  = $(LAYER_MUSL_LIB_arm64)/rcrt1.o $(LAYER_MUSL_LIB_arm64)/crti.o \
                          $(shell $(LAYER_CC_arm64) -print-file-name=crtbeginS.o)
LAYER_SPIE_END_arm64    = $(shell $(LAYER_CC_arm64) -print-file-name=crtendS.o) \
                          $(LAYER_MUSL_LIB_arm64)/crtn.o

# Builds (or, when the stamp still matches deps.lock and the script, only re-verifies) the deps.
build/deps/%/.stamp: layer/build-deps.sh layer/deps.lock
	bash layer/build-deps.sh $*

# `make layer-smoke`: the smoke program built with exactly the variables above, per arch,
# then checked (no interpreter, no NEEDED) and run (arm64 under qemu-aarch64-static).
build/layer-smoke/%/static-smoke: layer/static-smoke.c build/deps/%/.stamp
	@mkdir -p $(@D)
	$(LAYER_CC_$*) $(LAYER_CFLAGS_$*) -Wall -Wextra -Werror -Wconversion -o $@ $< \
		$(LAYER_LDFLAGS_$*) $(LAYER_LIBS_$*) $(LAYER_ZLIB_$*)

.PHONY: layer-smoke
layer-smoke: $(LAYER_ARCHES:%=build/layer-smoke/%/static-smoke)
	@for b in $^; do bash layer/check-static.sh $$b || exit 1; done

endif # LAYER_TOOLCHAIN_MK
