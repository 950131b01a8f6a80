"""Board profiles merged with the FSR/insole data into one self-contained dict: the
`board.json` written to a device, and what firmware/core/fsr.py and the simulator read."""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_BOARD = "esp32_devkitc"
CHANNELS = ("heel", "arch", "met1", "met5", "hallux", "toes")


class BoardError(ValueError):
    pass


def board_names() -> list[str]:
    return sorted(p.stem for p in (HERE / "boards").glob("*.json"))


def load_board(name: str = DEFAULT_BOARD) -> dict:
    path = HERE / "boards" / f"{name}.json"
    if not path.exists():
        raise BoardError(f"unknown board {name!r}; known boards: {', '.join(board_names())}")
    board = json.loads(path.read_text())
    fsr = json.loads((HERE / "fsr.json").read_text())
    board["insole"] = fsr.pop("insole")
    board["fsr"] = fsr
    names = tuple(ch["name"] for ch in board["channels"])
    if names != CHANNELS:
        raise BoardError(f"{path}: channels must be {', '.join(CHANNELS)} in that order, not {', '.join(names)}")
    return board
