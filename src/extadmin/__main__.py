"""`extadmin` and `python -m extadmin`. Ctrl-C or SIGTERM while the command line is still
loading (its modules take a tenth of a second to import) ends the program as quietly as later:
one line, exit 130 or 143, no traceback. Nothing has been read or written by then."""

from __future__ import annotations

import gc
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
    finally:
        # the process ends here: its last collection need not walk all it has made (tens of
        # milliseconds; the command ran with the collector paused, see cli.main)
        gc.freeze()


if __name__ == "__main__":
    main()
