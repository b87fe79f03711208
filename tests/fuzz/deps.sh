#!/bin/sh
# Install what the fuzz build needs (tests/fuzz/fuzz.mk): clang and its
# libFuzzer runtime. Debian ships the runtime apart from clang since LLVM 14,
# as libclang-rt-N-dev (N = clang's major version; Debian 12: clang 14). As
# root it runs apt-get; otherwise it prints what is missing and fails.
set -eu
cc=${FUZZ_CC:-clang}

links() {
    t=$(mktemp -d)
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
        >"$t/t.c"
    rc=0
    "$cc" -fsanitize=fuzzer,address,undefined -o "$t/t" "$t/t.c" >/dev/null 2>&1 || rc=1
    rm -rf "$t"
    return $rc
}

if command -v "$cc" >/dev/null 2>&1 && links; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "error: the fuzz build needs $cc with libFuzzer; as root run:" >&2
    echo "  apt-get update && apt-get install -y clang libclang-rt-\$(clang -dumpversion | cut -d. -f1)-dev" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz-deps: installing clang"
    apt-get install -y -qq --no-install-recommends clang >/dev/null
    links && exit 0
fi
rt="libclang-rt-$("$cc" -dumpversion | cut -d. -f1)-dev"
echo "fuzz-deps: installing $rt"
apt-get install -y -qq --no-install-recommends "$rt" >/dev/null
links || { echo "error: $cc still cannot link -fsanitize=fuzzer" >&2; exit 2; }
