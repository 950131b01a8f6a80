"""python -m hardware.deploy --port PORT [--board NAME]  (make deploy PORT=...)

Compiles the firmware to .mpy for the board's architecture (boot.py and main.py stay
source, as MicroPython runs them by name), writes board.json and a default config.json
(only if the device has none: a coach's settings survive a firmware update), and copies
everything to the board with mpremote, then resets it."""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from firmware.core import config as fw_config
from hardware.board_data import DEFAULT_BOARD, board_names, load_board

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE = ROOT / "firmware"
BIN = Path(sys.executable).parent
MARCH = {"esp32": "xtensawin", "esp32s3": "xtensawin"}
KEEP_SOURCE = {"boot.py", "main.py"}


class DeployError(RuntimeError):
    pass


def build(board_name: str, out: Path) -> list[Path]:
    """Compile into `out` the tree that goes onto the board; returns the files."""
    board = load_board(board_name)
    if out.exists():
        shutil.rmtree(out)
    files = []
    for src in sorted(FIRMWARE.rglob("*.py")):
        rel = src.relative_to(FIRMWARE)
        if "__pycache__" in rel.parts:
            continue
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if rel.name in KEEP_SOURCE:
            shutil.copyfile(src, dst)
        else:
            dst = dst.with_suffix(".mpy")
            subprocess.run([str(BIN / "mpy-cross"), f"-march={MARCH[board['mcu']]}", "-o", str(dst), str(src)], check=True)
        files.append(dst)
    (out / "board.json").write_text(json.dumps(board))
    (out / "config.json").write_text(json.dumps(fw_config.defaults()))
    return files + [out / "board.json", out / "config.json"]


def _mpremote(port: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "mpremote"), "connect", port, *args], capture_output=True, text=True)


def deploy(port: str, board_name: str) -> None:
    if not Path(port).exists():
        raise DeployError(f"{port}: no such port (is the board plugged in? try `mpremote connect list`)")
    out = ROOT / "build" / "deploy" / board_name
    build(board_name, out)
    probe = _mpremote(port, "exec", "import os; print(os.listdir())")
    if probe.returncode != 0:
        raise DeployError(f"{port}: no MicroPython board answered ({probe.stderr.strip() or probe.stdout.strip()})")
    has_config = "config.json" in probe.stdout
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_dir():
            _mpremote(port, "fs", "mkdir", f":{rel}")  # exists already: fine
        elif rel == "config.json" and has_config:
            print("keeping the device's config.json")
        else:
            r = _mpremote(port, "fs", "cp", str(path), f":{rel}")
            if r.returncode != 0:
                raise DeployError(f"copying {rel} failed: {r.stderr.strip()}")
            print(f"  {rel}")
    _mpremote(port, "reset")
    print(f"deployed archcue ({board_name}) to {port}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hardware.deploy", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", required=True, help="serial port of the board, e.g. /dev/ttyUSB0")
    p.add_argument("--board", default=DEFAULT_BOARD, choices=board_names())
    args = p.parse_args(argv)
    try:
        deploy(args.port, args.board)
    except DeployError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
