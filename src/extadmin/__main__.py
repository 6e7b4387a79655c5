"""`extadmin` and `python -m extadmin`. Ctrl-C or SIGTERM while the command line is still
loading (its modules take a tenth of a second to import) ends the program as quietly as later:
one line, exit 130 or 143, no traceback. Nothing has been read or written by then."""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def _stop(signum: int, frame: object) -> None:
    word = "cancelled" if signum == signal.SIGINT else "terminated"
    print(f"\nextadmin: {word}: nothing was written", file=sys.stderr)
    raise SystemExit(130 if signum == signal.SIGINT else 143)


def main() -> None:
    held = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    from extadmin.cli import main as run

    for sig, handler in held.items():  # the command line answers them from here on
        signal.signal(sig, handler)
    try:
        run()
    except SystemExit as done:
        # The process ends here, without freeing what it made one object at a time: a large
        # account is a million objects (a tenth of a second at 100,000 extensions; cli keeps
        # what a command read until now). Every `finally` has run and every file is closed;
        # the output is flushed first.
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        if sys.getprofile() or sys.gettrace():  # a profiler or coverage writes its data at exit
            raise
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a reader gone (| head), closed
                stream.flush()
        os._exit(code)


if __name__ == "__main__":
    main()
