#!/bin/sh
# Install the Debian packages sigboot's dev build and tests need, when missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
# Usage: tests/deps.sh          build and test dependencies (make deps)
#        tests/deps.sh --lint   static analysis tools (make lint-deps): cppcheck 2.10,
#                               clang-tidy 14 and clang-format 14 on Debian 12, python3 for the
#                               banned-call scan
set -eu
PKGS="build-essential pkg-config libcurl4-openssl-dev libcjson-dev libssl-dev libcmocka-dev zlib1g-dev \
python3 openssl zip unzip strace valgrind"
[ "${1:-}" = --lint ] && PKGS="cppcheck clang-tidy clang-format python3"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ "${1:-}" != --lint ]; then
    # The interoperability test runs @sigstore/verify on Node.js; a machine that
    # already has node (e.g. from NodeSource) keeps it.
    command -v node >/dev/null 2>&1 || missing="$missing nodejs"
    command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing build dependencies; run as root: apt-get update && $cmd" >&2
    exit 2
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
