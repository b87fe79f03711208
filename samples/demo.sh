#!/bin/sh
# make demo: sign the sample function, run the real bootstrap against the
# local Runtime API emulator, then show Enforce and Warn on a tampered copy.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
sigboot="$root/$build/sigboot"
bootstrap="$root/$build/bootstrap"
tmp=$(mktemp -d /tmp/sigboot-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# run NAME TASK_ROOT CONFIG: 2 invocations through the emulator; prints what
# the emulator saw and the runtime's log.
run() {
    python3 "$root/tests/emulator/rapi_emulator.py" --port 0 --events 2 \
        --event '{"hello":"sigboot"}' --exit-after --max-seconds 20 \
        --record "$tmp/$1.json" --runtime-log "$tmp/$1.log" \
        --env "LAMBDA_TASK_ROOT=$2" --env "SIGBOOT_CONFIG=$3" --env "_HANDLER=handler.sh" \
        --spawn -- "$bootstrap" >/dev/null || true
    sed 's/^/  runtime| /' "$tmp/$1.log"
    python3 - "$tmp/$1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for e in r["init_errors"]:
    print("  emulator| init/error %s: %s" % (e["error_type_header"], e["errorMessage"]))
for i in r["invocations"]:
    print("  emulator| invocation %s -> %s%s" % (i["id"][:8], i["outcome"],
          " (echo ok)" if i.get("echo_match") else ""))
rt = r["summary"]["runtime"] or {}
print("  emulator| bootstrap exit status %s" % rt.get("exit_code"))
PY
}

say "1. a signing profile (sigboot keygen) and two configs (Enforce, Warn)"
mkdir -p "$tmp/keys" "$tmp/opt"
"$sigboot" keygen --profile-name Demo --out "$tmp/keys"
"$sigboot" config init --profile "$tmp/keys/Demo.profile.json" --policy Enforce -o "$tmp/opt/enforce.json"
"$sigboot" config init --profile "$tmp/keys/Demo.profile.json" --policy Warn -o "$tmp/opt/warn.json"

say "2. sign samples/echo (sigboot sign) and verify it (sigboot verify)"
cp -R "$root/samples/echo" "$tmp/fn"
"$sigboot" sign --key "$tmp/keys/Demo.key" --profile "$tmp/keys/Demo.profile.json" "$tmp/fn"
"$sigboot" verify --config "$tmp/opt/enforce.json" "$tmp/fn"

say "3. the bootstrap verifies the package at cold start, then serves"
run good "$tmp/fn" "$tmp/opt/enforce.json"

say "4. a tampered copy: one line appended to handler.sh"
cp -R "$tmp/fn" "$tmp/bad"
echo 'echo pwned >&2' >> "$tmp/bad/handler.sh"
"$sigboot" verify --config "$tmp/opt/enforce.json" "$tmp/bad" || echo "(sigboot verify exit status $?)"

say "5. Enforce: the bootstrap refuses to start; the handler never runs"
run enforce "$tmp/bad" "$tmp/opt/enforce.json"

say "6. Warn: integrity failures block even under Warn (as in AWS)"
run warn "$tmp/bad" "$tmp/opt/warn.json"

say "7. Warn with an unknown publisher: logged (JSON + EMF metric), then served"
mkdir -p "$tmp/keys2"
"$sigboot" keygen --profile-name Other --out "$tmp/keys2" >/dev/null
cp -R "$root/samples/echo" "$tmp/other"
"$sigboot" sign --key "$tmp/keys2/Other.key" --profile "$tmp/keys2/Other.profile.json" "$tmp/other"
run warn-mismatch "$tmp/other" "$tmp/opt/warn.json"
say "   the same package under Enforce"
run enforce-mismatch "$tmp/other" "$tmp/opt/enforce.json"
