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
#   LAYER_STAMP_ARCH    build/deps/ARCH/.stamp
# The .a files, headers and the arm64 compiler are all made by build-deps.sh and have no rule
# of their own: make every object and binary built with these flags depend on
# $(LAYER_STAMP_ARCH), e.g.
#   build/layer/x86_64/%.o: %.c $(LAYER_STAMP_x86_64)
#   	$(LAYER_CC_x86_64) $(LAYER_CFLAGS_x86_64) -c -o $@ $<
#   build/layer/x86_64/bootstrap: $(objs) $(LAYER_STAMP_x86_64)
#   	$(LAYER_CC_x86_64) $(LAYER_CFLAGS_x86_64) -o $@ $(objs) $(LAYER_LDFLAGS_x86_64) $(LAYER_LIBS_x86_64)
# and run layer/check-static.sh on the result.

LAYER_ARCHES := x86_64 arm64

LAYER_CC_x86_64      := musl-gcc
LAYER_CFLAGS_x86_64  := -O2 -static -ffunction-sections -fdata-sections \
                        -isystem build/deps/x86_64/include -idirafter build/deps/x86_64/kheaders \
                        -DSB_STATIC_LAYER=1
LAYER_LDFLAGS_x86_64 := -static -Wl,--gc-sections -s
LAYER_LIBS_x86_64    := build/deps/x86_64/lib/libcurl.a build/deps/x86_64/lib/libcjson.a \
                        build/deps/x86_64/lib/libcrypto.a
LAYER_STAMP_x86_64   := build/deps/x86_64/.stamp

LAYER_CC_arm64       := build/deps/arm64/toolchain/aarch64-linux-musl-gcc
LAYER_CFLAGS_arm64   := -O2 -static -ffunction-sections -fdata-sections \
                        -isystem build/deps/arm64/include -idirafter build/deps/arm64/kheaders \
                        -DSB_STATIC_LAYER=1
LAYER_LDFLAGS_arm64  := -static -Wl,--gc-sections -s
LAYER_LIBS_arm64     := build/deps/arm64/lib/libcurl.a build/deps/arm64/lib/libcjson.a \
                        build/deps/arm64/lib/libcrypto.a
LAYER_STAMP_arm64    := build/deps/arm64/.stamp

# Builds (or, when the stamp still matches deps.lock and the script, only re-verifies) the deps.
build/deps/%/.stamp: layer/build-deps.sh layer/deps.lock
	bash layer/build-deps.sh $*

# `make layer-smoke`: the smoke program built with exactly the variables above, per arch,
# then checked (no interpreter, no NEEDED) and run (arm64 under qemu-aarch64-static).
build/layer-smoke/%/static-smoke: layer/static-smoke.c build/deps/%/.stamp
	@mkdir -p $(@D)
	$(LAYER_CC_$*) $(LAYER_CFLAGS_$*) -Wall -Wextra -Werror -Wconversion -o $@ $< \
		$(LAYER_LDFLAGS_$*) $(LAYER_LIBS_$*)

.PHONY: layer-smoke
layer-smoke: $(LAYER_ARCHES:%=build/layer-smoke/%/static-smoke)
	@for b in $^; do bash layer/check-static.sh $$b || exit 1; done
