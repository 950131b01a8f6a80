"""The board as data: a board profile (hardware/boards/NAME.json) merged with the FSR part,
its model constants and the insole (hardware/fsr.json) into ONE self-contained dict. That
dict is the `board.json` written to a device, and what firmware/core/fsr.py, the firmware's
HAL and the simulator read. hardware/README.md documents its keys.

load_board() also checks the profile against the chip's pin facts (CHIPS below): FSRs on
ADC1 in channel order, ADC channel numbers right, no pin used twice, no output on an
input-only pin, no flash/PSRAM/USB pins, no strapping pins except where a note says why."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from firmware.core.channels import NAMES as CHANNELS  # frame order
from firmware.core.fsr import ADC_MAX

HERE = Path(__file__).resolve().parent
BOARDS = HERE / "boards"
DEFAULT_BOARD = "esp32_devkitc"

# Pin facts per chip (ESP32 / ESP32-S3 technical reference manuals and data sheets).
CHIPS: dict[str, dict[str, Any]] = {
    "esp32": {
        "adc1": {36: 0, 37: 1, 38: 2, 39: 3, 32: 4, 33: 5, 34: 6, 35: 7},
        "adc2": {4: 0, 0: 1, 2: 2, 15: 3, 13: 4, 12: 5, 14: 6, 27: 7, 25: 8, 26: 9},
        "input_only": {34, 35, 36, 37, 38, 39},
        "strapping": {0, 2, 5, 12, 15},
        "reserved": {6, 7, 8, 9, 10, 11, 1, 3},  # SPI flash; UART0 (USB console)
        "gpios": set(range(0, 40)) - {20, 24, 28, 29, 30, 31},
    },
    "esp32s3": {
        "adc1": {g: g - 1 for g in range(1, 11)},
        "adc2": {g: g - 11 for g in range(11, 21)},
        "input_only": set(),
        "strapping": {0, 3, 45, 46},
        # SPI flash + octal PSRAM (N8R8), native USB D-/D+, UART0 (console)
        "reserved": set(range(26, 33)) | {33, 34, 35, 36, 37} | {19, 20} | {43, 44},
        "gpios": set(range(0, 22)) | set(range(26, 49)),
    },
}


class BoardError(ValueError):
    """A board name that does not exist, or a board file that breaks the rules above."""


def board_names() -> list[str]:
    return sorted(p.stem for p in BOARDS.glob("*.json"))


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise BoardError(f"{path}: not valid JSON ({e})") from None


def load_board(name: str = DEFAULT_BOARD) -> dict:
    """The merged board dict for `name` (one of board_names()); BoardError if unknown or invalid."""
    path = BOARDS / f"{name}.json"
    if not path.is_file():
        raise BoardError(f"unknown board {name!r}; known boards: {', '.join(board_names())}")
    board = _read(path)
    fsr = _read(HERE / "fsr.json")
    board["insole"] = fsr.pop("insole")
    board["running_load"] = fsr.pop("running_load")
    board["fsr"] = fsr
    errors = check_board(board)
    if errors:
        raise BoardError(f"{path}: " + "; ".join(errors))
    return board


def used_pins(board: dict) -> list[tuple[str, int]]:
    """Every (function, GPIO) the board assigns."""
    pins = [(f"FSR {ch['name']}", ch["pin"]) for ch in board["channels"]]
    pins += [("haptic", board["haptic"]["pin"]), ("button", board["button"]["pin"]),
             ("LED", board["led"]["pin"]), ("battery", board["battery"]["pin"])]
    if board.get("drv2605l"):
        pins += [("I2C SDA", board["drv2605l"]["sda"]), ("I2C SCL", board["drv2605l"]["scl"])]
    return pins


def check_board(board: dict) -> list[str]:
    """Rule violations of a merged board dict (empty when valid)."""
    chip = CHIPS.get(board.get("mcu", ""))
    if chip is None:
        return [f"mcu must be one of {', '.join(CHIPS)}, not {board.get('mcu')!r}"]
    errors = []
    names = tuple(ch["name"] for ch in board["channels"])
    if names != CHANNELS:
        errors.append(f"channels must be {', '.join(CHANNELS)} in that order, not {', '.join(names)}")
    for ch in board["channels"]:
        if chip["adc1"].get(ch["pin"]) is None:
            errors.append(
                f"FSR {ch['name']} on GPIO{ch['pin']}: not an ADC1 pin (ADC2 is unusable while the radio runs)"
            )
        elif (ch.get("adc_unit"), ch.get("adc_channel")) != (1, chip["adc1"][ch["pin"]]):
            errors.append(f"FSR {ch['name']}: GPIO{ch['pin']} is ADC1 channel {chip['adc1'][ch['pin']]}")
    bat = board["battery"]
    unit = 1 if bat["pin"] in chip["adc1"] else 2 if bat["pin"] in chip["adc2"] else None
    if unit is None:
        errors.append(f"battery sense on GPIO{bat['pin']}: not an ADC pin")
    elif (bat.get("adc_unit"), bat.get("adc_channel")) != (unit, chip[f"adc{unit}"][bat["pin"]]):
        errors.append(f"battery: GPIO{bat['pin']} is ADC{unit} channel {chip[f'adc{unit}'][bat['pin']]}")
    pins = used_pins(board)
    for func, pin in pins:
        if pin not in chip["gpios"]:
            errors.append(f"{func}: GPIO{pin} does not exist on {board['mcu']}")
        elif pin in chip["reserved"]:
            errors.append(f"{func}: GPIO{pin} is taken by flash, PSRAM, USB or the console UART")
        elif pin in chip["strapping"]:
            errors.append(f"{func}: GPIO{pin} is a strapping pin (it decides the boot mode)")
    for func in ("haptic", "LED", "I2C SDA", "I2C SCL"):
        for f, pin in pins:
            if f == func and pin in chip["input_only"]:
                errors.append(f"{func}: GPIO{pin} is input-only")
    if board["button"].get("pull") == "up" and board["button"]["pin"] in chip["input_only"]:
        errors.append(f"button: GPIO{board['button']['pin']} has no internal pull-up (input-only pin)")
    seen: dict[int, str] = {}
    for func, pin in pins:
        if pin in seen:
            errors.append(f"GPIO{pin} used twice ({seen[pin]} and {func})")
        seen[pin] = func
    curve = board["adc"]["curve_v_counts"]
    if any(b[0] <= a[0] or b[1] < a[1] for a, b in zip(curve, curve[1:])):
        errors.append("adc.curve_v_counts must rise in volts and never fall in counts")
    if curve[0][1] != 0 or curve[-1][1] != ADC_MAX:
        errors.append(f"adc.curve_v_counts must run from 0 to {ADC_MAX} counts")
    return errors
