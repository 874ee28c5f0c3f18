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


def _return_freed_memory() -> None:
    """Let every allocation above 4 MiB be its own mapping, returned to the system when freed.

    glibc otherwise raises that threshold to the largest block freed so far, after which the
    engine's arrays of a few million values (per week, several weeks side by side in threads)
    come from heaps that are not given back: measured at large size (120 s), the command's peak
    was large-retirees 1,958 → 1,571 MiB and city-large 1,925–1,981 → 1,452 MiB with the fixed
    threshold, the same schedules in the same time. ``M_MMAP_THRESHOLD`` (-3) of glibc's
    ``mallopt`` (setting it also ends the adjustment); elsewhere (macOS, Windows, musl) there is
    nothing to set, and a ``MALLOC_MMAP_THRESHOLD_`` given in the environment is kept.
    """
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 4 << 20)
    except (OSError, AttributeError):
        pass


def main() -> None:
    """Run the command line (``workbench.cli.run``) with start-up guarded against signals."""
    try:
        for name in ("SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is not None and signal.getsignal(sig) is signal.SIG_DFL:  # an inherited SIG_IGN stays
                signal.signal(sig, _abort)
        _return_freed_memory()
        if {"-v", "--verbose"} & set(sys.argv[1:]):
            os.write(2, f"{time.monotonic() - STARTED:7.2f}s  starting\n".encode())
        from workbench import cli
    except KeyboardInterrupt:
        os.write(2, b"aborted while starting; nothing was written\n")
        os._exit(130)
    cli.run(started=STARTED)


if __name__ == "__main__":
    main()
