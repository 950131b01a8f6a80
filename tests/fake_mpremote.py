"""A stand-in for mpremote with a folder as the board's filesystem, for hardware/deploy.py's
tests (tests/test_deploy.py). Usage as mpremote's: connect PORT [resume] CMD [+ CMD ...],
CMD one of `exec CODE`, `fs cp SRC... :DST`, `reset`, `soft-reset`.

Environment:
  FAKE_DEVICE  the board's filesystem (a folder; the working directory of exec'd code)
  FAKE_LOG     every call's arguments are appended here, one JSON list a line
  FAKE_CUT     the board loses power before its Nth filesystem operation (0-based, counted
               over all calls; -1: never): a file copy (cut halfway: half the bytes are
               written), os.mkdir / rename / remove / rmdir, a file opened for writing
  FAKE_OPS     a file holding the operations done so far (the count survives calls)
  FAKE_INTERP  "cpython" (default: exec'd code runs in this process, where the cut can
               reach into it), or a MicroPython binary (the code runs there; no cuts)
  FAKE_MPY     the value the board's sys.implementation._mpy reports to the probe
A soft reset is recorded in the log (the tests assert there is none) and otherwise ignored."""
from __future__ import annotations

import builtins
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROBE_TAG = "ARCHCUE-PROBE "
DEVICE = Path(os.environ["FAKE_DEVICE"]).resolve()
CUT = int(os.environ.get("FAKE_CUT", "-1"))
OPS = Path(os.environ["FAKE_OPS"]).resolve()
INTERP = os.environ.get("FAKE_INTERP", "cpython")


def op() -> bool:
    """Counts one filesystem operation; True if the power goes now."""
    n = int(OPS.read_text()) if OPS.exists() else 0
    OPS.write_text(str(n + 1))
    return n == CUT


def power_cut() -> None:
    sys.stdout.flush()
    print("mpremote: device disconnected", file=sys.stderr)
    os._exit(1)


def _counted(fn):
    def wrapper(*args, **kw):
        if op():
            power_cut()
        return fn(*args, **kw)
    return wrapper


def _open(file, mode="r", *args, **kw):
    if any(c in mode for c in "wax+"):
        if op():
            power_cut()
    return _real_open(file, mode, *args, **kw)


_real_open = builtins.open


def run_exec(code: str) -> None:
    if INTERP != "cpython":
        r = subprocess.run([INTERP, "-c", code], cwd=DEVICE, capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if line.startswith(PROBE_TAG) and "FAKE_MPY" in os.environ:
                data = json.loads(line[len(PROBE_TAG):])
                data["mpy"] = int(os.environ["FAKE_MPY"])
                line = PROBE_TAG + json.dumps(data)
            print(line)
        if r.returncode:
            print(r.stderr, file=sys.stderr)
            sys.exit(1)
        return
    if "FAKE_MPY" in os.environ:
        sys.implementation._mpy = int(os.environ["FAKE_MPY"])
    cwd = os.getcwd()
    os.chdir(DEVICE)
    try:
        exec(code, {"__name__": "__main__"})
    except Exception as e:  # as mpremote: the board's traceback, exit status 1
        print(f"Traceback (most recent call last):\n{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        os.chdir(cwd)


def copy(sources: list[str], target: str) -> None:
    remote = target[1:]
    for src in sources:
        dst = DEVICE / remote / Path(src).name if remote.endswith("/") or not remote else DEVICE / remote
        data = Path(src).read_bytes()
        if op():
            dst.write_bytes(data[: len(data) // 2])
            power_cut()
        dst.write_bytes(data)


def main(argv: list[str]) -> None:
    with _real_open(os.environ["FAKE_LOG"], "a") as f:
        f.write(json.dumps(argv) + "\n")
    assert argv[0] == "connect", argv
    for name in ("mkdir", "rename", "remove", "rmdir"):
        setattr(os, name, _counted(getattr(os, name)))
    builtins.open = _open
    shutil.rmtree = _counted(shutil.rmtree)
    rest = argv[2:]
    if rest and rest[0] == "resume":
        rest = rest[1:]
    commands: list[list[str]] = [[]]
    for a in rest:
        if a == "+":
            commands.append([])
        else:
            commands[-1].append(a)
    for cmd in commands:
        if cmd[0] == "exec":
            run_exec(cmd[1])
        elif cmd[:2] == ["fs", "cp"]:
            copy(cmd[2:-1], cmd[-1])
        elif cmd[0] in ("reset", "soft-reset"):
            pass
        else:
            raise SystemExit(f"fake mpremote: unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
