#!/usr/bin/env python3
"""Run PyPI `ectool` (openLuat's EC618 flasher) against a simulated board's pseudo-terminal.

Usage: run_ectool.py SOC_FILE PTY_PATH

The only change to ectool's environment: a pty has no modem lines, so pyserial's DTR/RTS
setters fail with ENOTTY there (ectool sets `dtr = 1` right after opening). They are made to
ignore ENOTTY/EINVAL, exactly as pyserial itself already does when opening a port. Nothing of
ectool is modified; it runs with its own embedded AgentBoot.

Prints one JSON line: {"ok": bool, "seconds": float, "cpu_seconds": float}. Exit 0 when ectool
logged "burn ok", 1 otherwise, 77 when ectool is not installed.
"""
import errno
import json
import logging
import sys
import time

try:
    import serial.serialposix as serialposix
    import ectool.eccli as eccli
except ImportError as missing:  # the Swift test skips on 77
    print(json.dumps({"ok": False, "skipped": f"ectool not installed: {missing}"}))
    sys.exit(77)


def ignore_no_modem_lines(setter):
    def tolerant(self):
        try:
            setter(self)
        except OSError as error:
            if error.errno not in (errno.ENOTTY, errno.EINVAL):
                raise
    return tolerant


serialposix.Serial._update_dtr_state = ignore_no_modem_lines(serialposix.Serial._update_dtr_state)
serialposix.Serial._update_rts_state = ignore_no_modem_lines(serialposix.Serial._update_rts_state)


class Outcome(logging.Handler):
    """ectool reports success only in its log ("burn ok"); its exit code is always 0."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.ok = False
        self.lines = []

    def emit(self, record):
        message = record.getMessage()
        self.lines.append(message)
        if message == "burn ok":
            self.ok = True


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    soc, port = sys.argv[1], sys.argv[2]
    outcome = Outcome()
    # ectool's basicConfig is a no-op once a handler exists, so set up what it would have.
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(outcome)
    root.addHandler(logging.StreamHandler(sys.stderr))
    sys.argv = ["ectool", "burn", "-f", soc, "-p", port]
    wall, cpu = time.monotonic(), time.process_time()
    eccli.main()
    result = {"ok": outcome.ok, "seconds": time.monotonic() - wall, "cpu_seconds": time.process_time() - cpu}
    if not outcome.ok:
        result["log"] = outcome.lines[-10:]
    print(json.dumps(result))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
