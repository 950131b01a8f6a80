"""The board as data: a board profile (hardware/boards/NAME.json) merged with the FSR part,
its model constants and the insole (hardware/fsr.json) into ONE self-contained dict. That
dict is the `board.json` written to a device, and what firmware/core/fsr.py, the firmware's
HAL and the simulator read. hardware/README.md documents its keys.

load_board() also checks the profile against the chip's pin facts (CHIPS below): FSRs on
ADC1 in channel order, ADC channel numbers right, no pin used twice, no output on an
input-only pin, no flash/PSRAM/USB pins, no strapping pins, wake sources (button, USB
sense) on RTC pins; and the analog design: the FSR nodes under the ADC's linear limit at
the rated load, the ADC curves consistent, a CPU clock for every sample rate."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from firmware.core import fsr
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
        "rtc": {0, 2, 4, 12, 13, 14, 15, 25, 26, 27, 32, 33, 34, 35, 36, 37, 38, 39},  # can wake the chip
    },
    "esp32s3": {
        "adc1": {g: g - 1 for g in range(1, 11)},
        "adc2": {g: g - 11 for g in range(11, 21)},
        "input_only": set(),
        "strapping": {0, 3, 45, 46},
        # SPI flash + octal PSRAM (N8R8), native USB D-/D+, UART0 (console)
        "reserved": set(range(26, 33)) | {33, 34, 35, 36, 37} | {19, 20} | {43, 44},
        "gpios": set(range(0, 22)) | set(range(26, 49)),
        "rtc": set(range(0, 22)),
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


# Parts of the board data only the host, the simulator and the drawings read (the power budget,
# the insole's geometry, the simulated runner's loads, limits checked before a deploy): left out
# of the board.json the insole parses at boot, where json.load builds it whole at the boot's
# peak of heap (a quarter of its size, ~10 KB of the unix port's heap).
HOST_ONLY = ("title", "supply_tolerance_pct", "fsr_supply", "sampling", "power", "insole", "running_load")


def on_insole(board: dict) -> dict:
    """The board data as the insole's board.json holds it."""
    return {key: value for key, value in board.items() if key not in HOST_ONLY}


def used_pins(board: dict) -> list[tuple[str, int]]:
    """Every (function, GPIO) the board assigns."""
    pins = [(f"FSR {ch['name']}", ch["pin"]) for ch in board["channels"]]
    pins += [("haptic", board["haptic"]["pin"]), ("button", board["button"]["pin"]),
             ("LED", board["led"]["pin"]), ("battery", board["battery"]["pin"]),
             ("USB sense", board["usb_sense"]["pin"])]
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
    for what, spec in (("battery", board["battery"]), ("USB sense", board["usb_sense"])):
        errors += _check_adc_pin(chip, what, spec)
    for what, spec in (("button", board["button"]), ("USB sense", board["usb_sense"])):
        if spec["pin"] not in chip["rtc"]:
            errors.append(f"{what}: GPIO{spec['pin']} is not an RTC pin: it cannot wake the chip from sleep")
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
    return errors + _check_curves(board) + _check_analog(board) + _check_clock(board)


def _check_adc_pin(chip: dict, what: str, spec: dict) -> list[str]:
    pin = spec["pin"]
    unit = 1 if pin in chip["adc1"] else 2 if pin in chip["adc2"] else None
    if unit is None:
        return [f"{what} on GPIO{pin}: not an ADC pin"]
    if (spec.get("adc_unit"), spec.get("adc_channel")) != (unit, chip[f"adc{unit}"][pin]):
        return [f"{what}: GPIO{pin} is ADC{unit} channel {chip[f'adc{unit}'][pin]}"]
    return []


def _curve_errors(name: str, curve: list) -> list[str]:
    if any(b[0] <= a[0] or b[1] < a[1] for a, b in zip(curve, curve[1:])):
        return [f"{name} must rise in volts and never fall in counts"]
    if curve[0][1] != 0 or curve[-1][1] != ADC_MAX:
        return [f"{name} must run from 0 to {ADC_MAX} counts"]
    return []


def _check_curves(board: dict) -> list[str]:
    """The nominal curve and the bounds of the chip's spread (adc.vref_curves): each a
    valid curve; the bounds share the nominal's count breakpoints and bracket it at their
    mean (a chip's curve is a mix of the two); one pair for the FSRs' ADC1 and the
    battery's unit (the boot-time calibration reads the battery pin)."""
    adc = board["adc"]
    nominal = adc["curve_v_counts"]
    errors = _curve_errors("adc.curve_v_counts", nominal)
    bounds = adc["vref_curves"]
    for unit in sorted({1, board["battery"]["adc_unit"]}):
        pair = bounds.get(f"adc{unit}")
        if not pair or len(pair) != 2:
            errors.append(f"adc.vref_curves.adc{unit}: two curves needed (lowest and highest reference)")
            continue
        for i, curve in enumerate(pair):
            errors += _curve_errors(f"adc.vref_curves.adc{unit}[{i}]", curve)
            if [c for _, c in curve] != [c for _, c in nominal]:
                errors.append(f"adc.vref_curves.adc{unit}[{i}] must have the nominal curve's count breakpoints")
    if not errors:
        lo, hi = bounds["adc1"]
        if any(abs((a[0] + b[0]) / 2 - n[0]) > 0.0015 for a, b, n in zip(lo, hi, nominal)):
            errors.append("adc.curve_v_counts must be the mean of adc.vref_curves.adc1")
    return errors


def _check_analog(board: dict) -> list[str]:
    """At the rated load, with the rail at the top of its tolerance, every FSR node stays
    under the ADC's calibrated linear range."""
    rated = board["fsr"]["rated_load_n"]
    high = fsr.force_to_volts(rated, board) * (1 + board["supply_tolerance_pct"] / 100)
    limit = board["adc"]["linear_max_v"]
    if high > limit:
        return [f"divider_ohm {board['divider_ohm']}: the rated load ({rated:g} N) puts the FSR node at "
                f"{high:.3f} V with the rail {board['supply_tolerance_pct']}% high, over the ADC's linear "
                f"limit of {limit} V"]
    return []


def _check_clock(board: dict) -> list[str]:
    table = board["cpu_mhz"]
    rates = [r for r, _ in table]
    if rates != sorted(rates) or rates[-1] < board["sampling"]["max_hz"]:
        return ["cpu_mhz: [rate Hz, MHz] pairs, rising, the last covering sampling.max_hz"]
    if any(mhz not in (80, 160, 240) for _, mhz in table):
        return ["cpu_mhz: the ESP32 port sets 80, 160 or 240 MHz"]
    return []
