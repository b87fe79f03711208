#!/var/task/bin/busybox sh
# shellcheck shell=dash
# The sandbox test's process handler (tests/sandbox/run.sh puts it into the signed function).
# The sandbox root has no /bin/sh, like a root with nothing but the layer: the function ships
# its own static shell as bin/busybox, as a real function would have to. There is no /dev
# either (so no 2>/dev/null: stderr is closed instead). One line of facts about the sandbox
# goes to stderr (the function log), then the event is echoed back.
bb=/var/task/bin/busybox
task=rw
$bb touch /var/task/.probe 2>&- || task=ro
tmp=ro
$bb touch /tmp/.probe 2>&- && tmp=rw
there() { if [ -e "$1" ]; then echo present; else echo absent; fi; }
echo "sandbox-facts uid=$($bb id -u) task=$task tmp=$tmp etc=$(there /etc) usr=$(there /usr) lib=$(there /lib) dev=$(there /dev)" >&2
exec $bb cat
