#!/bin/sh
# make lint (STYLE.md "Tooling"): static checks over every C file in the repository (the
# libraries, bootstrap, CLI, samples, bench, layer and all of tests/), each failing the run:
#   1. banned functions: a call to one of BANNED_ALL anywhere, or of BANNED_LIB in library/CLI
#      code, outside comments and string literals (curl's checksrc idea);
#   2. cppcheck --enable=warning,portability --error-exitcode=1;
#   3. clang-tidy 14 with the repository's .clang-tidy (clang-analyzer-*, bugprone-*, cert-*,
#      warnings as errors) on a compile database written from the Makefile's flags;
#   4. clang-format 14 --dry-run --Werror with the repository's .clang-format (STYLE.md);
#      `clang-format -i FILE` fixes a finding.
#
# Usage: tests/lint.sh              the checks above
#        tests/lint.sh --self-test  plant one violation per check in a temporary directory and
#                                   require each tool to catch it (and to pass its clean twin)
# Every run does the self-test first.
#
# Environment (the Makefile's lint target sets them):
#   SB_LINT_FLAGS  the build's CPPFLAGS and CFLAGS (no -MMD/-MP), for the compile database
#   SB_LINT_DIR    output directory (compile_commands.json, per-file logs); default build/lint
#   SB_LINT_JOBS   parallel clang-tidy processes; default 2 (the machines have 2 cores)
# Exits 0 when clean, 1 on findings, 2 when a tool is missing (`make lint-deps` installs them).
#
# Why the compile database is written here rather than recorded with `bear -- make`: bear sees
# only the compiler runs that happen, so it needs a full clean build, and it cannot see the
# files other toolchains build (tests/fuzz with clang+libFuzzer, layer/ and tests/sandbox with
# musl, bench/run.sh). Writing it from the same CPPFLAGS/CFLAGS the Makefile compiles with
# gives every file the build's flags, needs no build and no LD_PRELOAD interposition.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2

# Never in any of our C: no bounds (strcpy, strcat, sprintf, vsprintf, gets), no terminator or
# an easy off-by-one (strncpy, strncat), no error reporting (atoi, atol, atoll: use strtoull
# with an end pointer, errno and a range check), hidden state and parsing by NUL (strtok),
# a predictable name raced between check and use (tmpnam, tempnam, mktemp: use mkstemp or
# mkdtemp), an unbounded stack allocation (alloca; -Wvla covers VLAs).
BANNED_ALL='strcpy strcat strncpy strncat sprintf vsprintf gets atoi atol atoll strtok tmpnam
tempnam mktemp alloca'
# Never in the code that ships (the library, bootstrap and CLI): no shell. The bootstrap
# execs the handler with an argv; a shell would reinterpret configuration as commands.
# Test helpers may use system() (clang-tidy's cert-env33-c still asks for a NOLINT).
BANNED_LIB='system popen'
LIB_DIRS='common runtime-api verify bootstrap'

lint_dir=${SB_LINT_DIR:-build/lint}
jobs=${SB_LINT_JOBS:-2}
# Clang's -Wformat=2 includes -Wformat-nonliteral, which (unlike GCC's) fires on va_list
# forwarders such as sb_err.c's vset; fuzz.mk drops it for the same reason.
flags="${SB_LINT_FLAGS:--D_GNU_SOURCE -Icommon -Iruntime-api -Iverify -Ibootstrap \
$(pkg-config --cflags libcurl libcjson libcrypto zlib 2>/dev/null) -std=c11 -Wall -Wextra -Werror}"
flags="$flags -Wno-format-nonliteral"

need_tools() {
    for t in python3 cppcheck clang-tidy clang-format; do
        if ! command -v "$t" >/dev/null 2>&1; then
            echo "lint: $t not found; run 'make lint-deps' (as root)" >&2
            exit 2
        fi
    done
}

# Every C file of the repository, build output and node_modules excluded.
list_sources() {
    find . \( -path ./build -o -path ./.git -o -name node_modules \) -prune -o \
        -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's#^\./##' | LC_ALL=C sort
}

# check_banned ALL_WORDS LIB_WORDS LIB_DIRS FILE...: print "file:line: banned call NAME(" for
# each call outside comments, string and character literals (blanked first, lines kept).
check_banned() {
    python3 - "$@" <<'EOF'
import re, sys

ban_all, ban_lib, lib_dirs = (a.split() for a in sys.argv[1:4])
files = sys.argv[4:]

def blank(text):
    """Comments and string/char literals become spaces; newlines stay, so lines keep numbers."""
    out, i, n = [], 0, len(text)
    while i < n:
        c, d = text[i], text[i:i + 2]
        if d == '/*':
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
        elif d == '//':
            j = text.find('\n', i)
            j = n if j < 0 else j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
        else:
            out.append(c)
            i += 1
            continue
        out.append(re.sub(r'[^\n]', ' ', text[i:j]))
        i = j
    return ''.join(out)

def pattern(words):
    return re.compile(r'(?<![\w.>])(' + '|'.join(map(re.escape, words)) + r')\s*\(') \
        if words else None

p_all, p_lib = pattern(ban_all), pattern(ban_lib)
found = 0
for f in files:
    with open(f, encoding='utf-8', errors='replace') as fh:
        lines = blank(fh.read()).split('\n')
    in_lib = f.split('/')[0] in lib_dirs
    for no, line in enumerate(lines, 1):
        for p in (p_all, p_lib if in_lib else None):
            for m in (p.finditer(line) if p else ()):
                print('%s:%d: banned call %s(' % (f, no, m.group(1)))
                found = 1
sys.exit(found)
EOF
}

# check_cppcheck FILE...: STYLE.md's flags. --library=posix is not used: cppcheck 2.10's posix
# config still calls readdir non-reentrant and rejects mmap(..., MAP_ANONYMOUS, -1, 0).
check_cppcheck() {
    cppcheck -q --enable=warning,portability --error-exitcode=1 --inline-suppr --std=c11 \
        -D_GNU_SOURCE -Icommon -Iruntime-api -Iverify -Ibootstrap "$@"
}

# write_compdb DIR FILE...: DIR/compile_commands.json, one entry per .c file, run from the
# repository root with $flags. Paths and flags contain no quotes or backslashes (checked).
write_compdb() {
    db_dir=$1; shift
    mkdir -p "$db_dir" || return 1
    case "$flags" in *'"'* | *'\'*) echo "lint: flags contain a quote or backslash" >&2; return 1 ;; esac
    {
        echo '['
        sep=''
        for f in "$@"; do
            case "$f" in *'"'* | *'\'*) echo "lint: bad path $f" >&2; return 1 ;; esac
            printf '%s{"directory": "%s", "file": "%s",\n "command": "cc %s -c -o /dev/null %s"}' \
                "$sep" "$root" "$f" "$flags" "$f"
            sep=',
'
        done
        printf '\n]\n'
    } >"$db_dir/compile_commands.json"
}

# check_tidy DIR FILE...: one clang-tidy process per file (clang-tidy 14's valist checker keeps
# state across the files of one process and then reports va_lists in later files as
# uninitialized), SB_LINT_JOBS at a time; each file's report goes to DIR/tidy/, then to stdout.
check_tidy() {
    db_dir=$1; shift
    rm -rf "$db_dir/tidy" && mkdir -p "$db_dir/tidy" || return 1
    printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh -c '
        log="$1/tidy/$(echo "$2" | tr / _).log"
        clang-tidy --quiet --config-file="$3/.clang-tidy" -p "$1" "$2" >"$log" 2>&1 && exit 0
        echo "$2" >"$log.failed"
        exit 1' sh "$db_dir" {} "$root"
    st=$?
    # Drop clang-tidy's "N warnings generated." chatter; keep every diagnostic, with paths
    # relative to the repository like the other checks print them.
    cat "$db_dir"/tidy/*.log 2>/dev/null |
        grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' | sed "s#^$root/##"
    [ $st -eq 0 ] && ! ls "$db_dir"/tidy/*.failed >/dev/null 2>&1
}

# check_format STYLE_DIR FILE...: clang-format with STYLE_DIR/.clang-format, nothing rewritten.
check_format() {
    d=$1
    shift
    clang-format --dry-run --Werror --style="file:$d/.clang-format" "$@"
}

# Plant one violation per check and require it to be caught; the clean twin must pass.
self_test() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/sb_lint.XXXXXX") || exit 2
    trap 'rm -rf "$tmp"' EXIT
    bad=0
    cat >"$tmp/clean.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
/* Mentions in comments and strings are not calls: strcpy(a, b), system("x"). */
void clean(char *dst, size_t n, const char *s);
void clean(char *dst, size_t n, const char *s)
{
    (void)snprintf(dst, n, "%s strcpy( atoi( '%c'", s, '"');
}
EOF
    printf '#include <string.h>\nvoid f(char *d, const char *s);\n%s\n' \
        'void f(char *d, const char *s) { strcpy(d, s); }' >"$tmp/banned.c"
    printf '#include <stdlib.h>\nint f(void);\n%s\n' \
        'int f(void) { return system("true"); }' >"$tmp/shell.c"
    mkdir -p "$tmp/verify"
    cp "$tmp/shell.c" "$tmp/verify/shell.c"
    printf 'int f(void);\n%s\n' 'int f(void) { int a[4] = {0}; return a[4]; }' >"$tmp/cppcheck.c"
    printf '#include <stdlib.h>\nint f(const char *s);\n%s\n' \
        'int f(const char *s) { char *p = malloc(8); return p == NULL ? 0 : *s; }' >"$tmp/tidy.c"

    expect() { # want(0|1) name command...
        want=$1 name=$2; shift 2
        if "$@" >"$tmp/out" 2>&1; then got=0; else got=1; fi
        if [ "$got" = "$want" ]; then
            echo "lint self-test: ok   $name"
        else
            echo "lint self-test: FAIL $name (exit $got, wanted $want)"; sed 's/^/    /' "$tmp/out"
            bad=1
        fi
    }
    # check_banned decides "library code" by the first path component, so run it from $tmp.
    banned() { (cd "$tmp" && check_banned "$BANNED_ALL" "$BANNED_LIB" "$LIB_DIRS" "$@"); }
    expect 0 "banned: comments and strings ignored" banned clean.c
    expect 1 "banned: strcpy call caught" banned banned.c
    expect 0 "banned: system() allowed in tests" banned shell.c
    expect 1 "banned: system() caught in verify/" banned verify/shell.c
    expect 0 "cppcheck: clean file passes" check_cppcheck "$tmp/clean.c"
    expect 1 "cppcheck: out-of-bounds read caught" check_cppcheck "$tmp/cppcheck.c"
    write_compdb "$tmp/db" "$tmp/clean.c" "$tmp/tidy.c" || exit 2
    expect 0 "clang-tidy: clean file passes" check_tidy "$tmp/db" "$tmp/clean.c"
    expect 1 "clang-tidy: leak is an error" check_tidy "$tmp/db" "$tmp/tidy.c"
    grep -q 'clang-analyzer-unix.Malloc' "$tmp/out" || {
        echo "lint self-test: FAIL clang-tidy did not name clang-analyzer-unix.Malloc"; bad=1; }
    printf 'int g(int a);\n\nint g(int a)\n{\n    return a + 1;\n}\n' >"$tmp/fmt.c"
    printf 'int g(int a);\n\nint g(int a) {\n  return a+1;\n}\n' >"$tmp/unfmt.c"
    expect 0 "clang-format: formatted file passes" check_format "$root" "$tmp/fmt.c"
    expect 1 "clang-format: 2-space indent caught" check_format "$root" "$tmp/unfmt.c"
    return $bad
}

need_tools
# The self-test (under a second) runs first every time: a tool that catches nothing, e.g. after
# a broken .clang-tidy edit or a tool upgrade, would otherwise pass everything.
if [ "${1:-}" = --self-test ]; then
    (self_test)
    exit $?
fi
(self_test) || { echo "lint: self-test failed: the tools do not catch planted violations"; exit 2; }

rc=0
all=$(list_sources)
c_files=$(printf '%s\n' "$all" | grep '\.c$')
if printf '%s\n' "$all" | grep -q '[[:space:]]'; then
    echo "lint: file names with white space are not supported" >&2
    exit 2
fi

# shellcheck disable=SC2086 # no white space in the names (checked above)
check_banned "$BANNED_ALL" "$BANNED_LIB" "$LIB_DIRS" $all || rc=1
# shellcheck disable=SC2086
check_cppcheck $c_files || { echo "lint: cppcheck findings above"; rc=1; }
# shellcheck disable=SC2086
write_compdb "$lint_dir" $c_files || exit 2
# shellcheck disable=SC2086
check_tidy "$lint_dir" $c_files || { echo "lint: clang-tidy findings above"; rc=1; }
# shellcheck disable=SC2086
check_format "$root" $all || { echo "lint: clang-format findings above (clang-format -i FILE)"; rc=1; }
[ $rc -eq 0 ] && echo "lint: ok ($(printf '%s\n' "$c_files" | wc -l) C files)"
exit $rc
