"""Entry point of the ``workbench`` command: the first code the command runs.

It lives outside the ``workbench`` package on purpose. Importing the package takes
most of a second (pandas, OR-Tools); Ctrl-C, SIGTERM or SIGHUP in that time must end
the command cleanly (exit 130, no traceback), and ``--time-limit`` must count from
here, not from when the package finished loading.
"""

from __future__ import annotations

import os
import signal
import sys
import time

# The interpreter's own start-up happened before this line; the CPU time used so far is
# a measure of it (exec keeps the process's CPU time, but a shell that exec'd us used ~none).
STARTED = time.monotonic() - time.process_time()


def _abort(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Run the command line (``workbench.cli.run``) with start-up guarded against signals."""
    try:
        for name in ("SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is not None and signal.getsignal(sig) is signal.SIG_DFL:  # an inherited SIG_IGN stays
                signal.signal(sig, _abort)
        if {"-v", "--verbose"} & set(sys.argv[1:]):
            os.write(2, f"{time.monotonic() - STARTED:7.2f}s  starting\n".encode())
        from workbench import cli
    except KeyboardInterrupt:
        os.write(2, b"aborted while starting; nothing was written\n")
        os._exit(130)
    cli.run(started=STARTED)


if __name__ == "__main__":
    main()
