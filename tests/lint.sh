#!/bin/sh
# make lint: banned functions (curl's checksrc idea) and cppcheck.
set -u
rc=0
src=$(git ls-files '*.c' '*.h' 2>/dev/null || find common runtime-api verify bootstrap samples tests -name '*.[ch]')
# A banned call is the name followed by "(" outside comments and strings.
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok|strncpy|tmpnam|mktemp)[[:space:]]*\('
hits=$(grep -nE "$banned" $src | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*)' || true)
if [ -n "$hits" ]; then
    echo "lint: banned functions:"; echo "$hits"; rc=1
fi
if command -v cppcheck >/dev/null 2>&1; then
    cppcheck -q --enable=warning,portability --error-exitcode=1 --inline-suppr \
        -D_GNU_SOURCE -Icommon -Iruntime-api -Iverify -Ibootstrap \
        common runtime-api verify bootstrap samples || rc=1
fi
[ $rc -eq 0 ] && echo "lint: ok"
exit $rc
