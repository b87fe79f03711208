"""Extension launcher for valgrind mode (harness.py): the emulator's --extension-launcher.

Usage: vg_launch.py ENV_FILE PATH
ENV_FILE holds the extension's environment as KEY=VALUE lines (written by the emulator);
PATH is the extension. Execs PATH under valgrind when it is one of our programs (harness.wrap),
else as it is, with exactly that environment: the pid, exit status and process group stay the
extension's, as the emulator requires of a launcher."""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.integration import harness  # noqa: E402  (needs the path above)


def main():
    if len(sys.argv) != 3:
        print("usage: vg_launch.py ENV_FILE PATH", file=sys.stderr)
        return 2
    env = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f.read().splitlines():
            if not line or line.startswith("#"):
                continue
            k, eq, v = line.partition("=")
            if not eq or not k:
                print("vg_launch.py: %s: not KEY=VALUE: %r" % (sys.argv[1], line), file=sys.stderr)
                return 2
            env[k] = v
    argv = harness.wrap([sys.argv[2]])
    exe = shutil.which(argv[0]) or argv[0]
    os.execve(exe, argv, env)
    return 127


if __name__ == "__main__":
    sys.exit(main())
