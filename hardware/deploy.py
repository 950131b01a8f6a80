"""python -m hardware.deploy --port PORT [--board NAME]   (make deploy PORT=... [BOARD=...])

Puts the archcue firmware on a board that already runs MicroPython:
  1. build: every firmware module compiled to .mpy with `mpy-cross -march=xtensawin` (boot.py
     and main.py stay source: MicroPython runs them by name), plus board.json (the merged board
     dict, hardware/board_data.py) and a default config.json, under build/deploy/BOARD/;
  2. probe (mpremote exec, read-only): the board's .mpy version must match mpy-cross's; does it
     have a config.json already; which stale .py copies of modules would shadow the new .mpy;
  3. copy (mpremote fs cp): folders created, stale .py removed, files copied (config.json only
     if the device has none: a coach's settings survive a firmware update), then reset.

--build-only does step 1 without a board. --frozen is for a board flashed with the custom
MicroPython build of hardware/manifest.py: the modules are in its flash, so only boot.py,
main.py, board.json and config.json are copied, and module copies that would shadow the
frozen ones (the filesystem comes first on sys.path) are removed."""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from firmware.core import config as fw_config
from hardware.board_data import DEFAULT_BOARD, BoardError, board_names, load_board

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE = ROOT / "firmware"
BIN = Path(sys.executable).parent
MARCH = {"esp32": "xtensawin", "esp32s3": "xtensawin"}
KEEP_SOURCE = {"boot.py", "main.py"}
PROBE_TAG = "ARCHCUE-PROBE "
TIMEOUT_S = 120


class DeployError(RuntimeError):
    """Deploying failed; the message says why and what to do."""


def _tool(name: str) -> str:
    """A tool from the venv next to this interpreter, else from PATH."""
    local = BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise DeployError(f"{name} not found: run `make setup` (it installs {name} into .venv)")
    return found


MPREMOTE: str | None = None  # tests point this at a stand-in; None: the real mpremote


def firmware_files() -> list[Path]:
    """What goes on the board (boot.py, main.py, app.py, sync.py, core/, hal/): the one list
    the deploy, the virtual insole and `make check` build from."""
    return sorted(p for p in FIRMWARE.rglob("*.py") if "__pycache__" not in p.parts)


def modules() -> list[str]:
    """The firmware modules (not boot.py / main.py), as paths relative to firmware/."""
    return [p.relative_to(FIRMWARE).as_posix() for p in firmware_files() if p.name not in KEEP_SOURCE]


def build(board_name: str, out: Path, frozen: bool = False) -> list[Path]:
    """Compile into `out` the tree that goes onto the board; returns its files, relative
    order: modules, then board.json and config.json. frozen: boot.py and main.py only."""
    try:
        board = load_board(board_name)
    except BoardError as e:
        raise DeployError(str(e)) from None
    mpy_cross = _tool("mpy-cross")
    if out.exists():
        shutil.rmtree(out)
    files = []
    for src in firmware_files():
        rel = src.relative_to(FIRMWARE)
        if frozen and rel.name not in KEEP_SOURCE:
            continue
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if rel.name in KEEP_SOURCE:
            shutil.copyfile(src, dst)
        else:
            dst = dst.with_suffix(".mpy")
            r = subprocess.run([mpy_cross, f"-march={MARCH[board['mcu']]}", "-o", str(dst), str(src)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise DeployError(f"mpy-cross failed on firmware/{rel.as_posix()}:\n{r.stderr.strip()}")
        files.append(dst)
    (out / "board.json").write_text(json.dumps(board, separators=(",", ":")))
    (out / "config.json").write_text(json.dumps(fw_config.defaults()))
    return files + [out / "board.json", out / "config.json"]


def mpy_header(path: Path) -> tuple[int, int]:
    """(.mpy version, native architecture or 0) of a compiled file."""
    head = path.read_bytes()[:3]
    if len(head) < 3 or head[:1] != b"M":
        raise DeployError(f"{path}: not a .mpy file")
    return head[1], head[2] >> 2


def _mpremote(port: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [MPREMOTE or _tool("mpremote"), "connect", port, *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise DeployError(f"{port}: mpremote gave no answer in {TIMEOUT_S} s (is it a MicroPython board? "
                          "is another program using the port?)") from None


def _check(r: subprocess.CompletedProcess, port: str, what: str) -> str:
    if r.returncode != 0:
        detail = (r.stderr.strip() or r.stdout.strip() or f"exit status {r.returncode}").splitlines()[-1]
        raise DeployError(f"{port}: {what} failed: {detail}")
    return r.stdout


def _probe_code(shadows: list[str]) -> str:
    return ("import os, sys, json\n"
            "def ex(p):\n"
            "    try:\n"
            "        os.stat(p)\n"
            "        return True\n"
            "    except OSError:\n"
            "        return False\n"
            "print(%r + json.dumps({'mpy': getattr(sys.implementation, '_mpy', None), 'config': ex('config.json'),"
            " 'shadows': [p for p in %r if ex(p)]}))\n" % (PROBE_TAG, shadows))


def _prepare_code(dirs: list[str], shadows: list[str]) -> str:
    return ("import os\n"
            "for d in %r:\n"
            "    try:\n"
            "        os.mkdir(d)\n"
            "    except OSError:\n"
            "        pass\n"
            "for p in %r:\n"
            "    os.remove(p)\n" % (dirs, shadows))


def probe(port: str, shadows: list[str]) -> dict:
    out = _check(_mpremote(port, "exec", _probe_code(shadows)), port, "talking to the board (mpremote exec)")
    for line in out.splitlines():
        if line.startswith(PROBE_TAG):
            return json.loads(line[len(PROBE_TAG):])
    raise DeployError(f"{port}: the board did not answer like MicroPython (got {out.strip()[:200]!r})")


def check_mpy(device_mpy: int | None, sample: Path) -> None:
    """The board must load what mpy-cross made: same .mpy version (and arch, for native code)."""
    if device_mpy is None:
        return  # a build without .mpy info: the import on the board will tell
    version, arch = mpy_header(sample)
    if device_mpy & 0xFF != version or (arch and device_mpy >> 10 != arch):
        raise DeployError(f"the board's MicroPython loads .mpy version {device_mpy & 0xFF} (arch {device_mpy >> 10}), "
                          f"mpy-cross makes version {version}: flash a MicroPython release matching "
                          f"`{_tool('mpy-cross')} --version`")


def deploy(port: str, board_name: str, out: Path | None = None, log=print, frozen: bool = False) -> None:
    if not port:
        raise DeployError("no port given: pass --port (e.g. /dev/ttyUSB0); `mpremote connect list` "
                          "lists the boards plugged in")
    if not Path(port).exists():
        raise DeployError(f"{port}: no such port (is the board plugged in? `mpremote connect list` lists the "
                          "boards it sees)")
    out = out or ROOT / "build" / "deploy" / board_name
    files = build(board_name, out, frozen)
    rel = [f.relative_to(out).as_posix() for f in files]
    mpys = [r for r in rel if r.endswith(".mpy")]
    if frozen:  # any copy on the filesystem would be imported instead of the frozen module
        shadows = [m[:-3] + ext for m in modules() for ext in (".py", ".mpy")]
    else:
        shadows = [r[:-4] + ".py" for r in mpys]
    info = probe(port, shadows)
    if mpys:
        check_mpy(info.get("mpy"), out / mpys[0])
    keep_config = bool(info.get("config"))
    if keep_config:
        log("the board has a config.json: kept (delete it on the board to get the defaults)")
    by_dir: dict[str, list[str]] = {}
    for r in rel:
        if r == "config.json" and keep_config:
            continue
        by_dir.setdefault(r.rpartition("/")[0], []).append(r)
    dirs = sorted(d for d in by_dir if d)
    args = ["exec", _prepare_code(dirs, info.get("shadows", []))]
    for d, names in sorted(by_dir.items()):
        if d:  # into an existing folder, several at once
            args += ["+", "fs", "cp", *(str(out / n) for n in names), f":{d}/"]
        else:  # top level: one by one, each to its own name
            for n in names:
                args += ["+", "fs", "cp", str(out / n), f":{n}"]
    args += ["+", "reset"]
    _check(_mpremote(port, *args), port, "copying the firmware (mpremote fs cp)")
    for r in rel:
        if not (r == "config.json" and keep_config):
            log(f"  {r}")
    log(f"deployed archcue ({board_name}, {len(rel)} files) to {port}; the board is restarting")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hardware.deploy", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", default="", help="serial port of the board, e.g. /dev/ttyUSB0 or /dev/ttyACM0")
    p.add_argument("--board", default=DEFAULT_BOARD, choices=board_names(),
                   help="board profile from hardware/boards (default: %(default)s)")
    p.add_argument("--build-only", action="store_true", help="compile into --out and stop (no board needed)")
    p.add_argument("--out", type=Path, default=None, help="build folder (default: build/deploy/BOARD)")
    p.add_argument("--frozen", action="store_true",
                   help="the board runs the custom build of hardware/manifest.py: copy no modules")
    args = p.parse_args(argv)
    try:
        if args.build_only:
            out = args.out or ROOT / "build" / "deploy" / args.board
            files = build(args.board, out, args.frozen)
            print(f"built {len(files)} files for {args.board} in {out}")
        else:
            deploy(args.port, args.board, args.out, frozen=args.frozen)
    except DeployError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
