"""python -m hardware.generate [--check]   (make hardware)

Writes, from the board data (hardware/fsr.json, hardware/boards/*.json), the files that
describe the hardware: bom.csv, wiring.md, sensor_placement.svg, and the generated
sections of README.md (the FSR model table and the power budget, between
<!-- BEGIN name --> / <!-- END name --> markers). They are committed; --check writes
nothing and exits 1 if any of them differs from what the data generates, so they cannot
drift from it (tests/test_hardware.py runs the check)."""
from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from collections.abc import Callable

from firmware.core import fsr
from firmware.core.power import cpu_mhz
from hardware.board_data import CHANNELS, DEFAULT_BOARD, HERE, board_names, load_board

# ---------------------------------------------------------------- bill of materials


def bom() -> str:
    b = load_board(DEFAULT_BOARD)
    others = [load_board(n) for n in board_names() if n != DEFAULT_BOARD]
    part, p, bat, usb = b["fsr"], b["power"], b["battery"], b["usb_sense"]
    dividers = sorted({o["divider_ohm"] for o in [b, *others]})
    top, bottom = usb["divider_ohm"]
    rows = [
        ("part", "qty", "value", "package", "notes"),
        ("microcontroller board", 1, b["title"], "module",
         "or " + "; ".join(o["title"] for o in others) + " (see wiring.md). Remove its red power LED and its "
         "3.3 V LDO (AMS1117 / SGM2212): the MCP1700 below is then the only source of 3V3, on USB as on the cell"),
        ("force-sensitive resistor", 6, part["part"], "thin film, solder tab",
         ", ".join(CHANNELS) + "; each under a rigid puck (see sensor_placement.svg)"),
        ("FSR divider resistor", 6, " / ".join(_ohm(r) for r in dividers) + " 1%", "0603",
         "ADC node to GND, one per FSR (FSR from the 2.5 V FSR rail to the node)"),
        ("FSR node capacitor", 6, "100 nF X7R", "0603",
         "ADC node to GND: the ADC's low-impedance source (ESP-IDF's noise advice); Rd x C = %.2f ms"
         % (b["divider_ohm"] * 1e-4)),
        ("FSR rail regulator", 1, "MCP1700-2502E (2.5 V)", "SOT-23",
         "3V3 to the FSRs: at %g V even the rated load (%g N) stays under the ADC's linear limit"
         % (b["supply_v"], part["rated_load_n"])),
        ("FSR rail capacitors", 2, "1 uF X7R", "0603", "the 2.5 V regulator's input and output"),
        ("N-MOSFET", 1, "AO3400A (30 V, logic-level gate)", "SOT-23", "low-side switch for the vibration motor"),
        ("flyback diode", 1, "1N4148W", "SOD-123", "across the motor, cathode to SYS"),
        ("gate resistor", 1, "100 Ohm", "0603", "GPIO to MOSFET gate"),
        ("gate pull-down", 1, "100 kOhm", "0603", "keeps the motor off while the GPIO floats at boot"),
        ("motor bulk capacitor", 1, "100 uF 6.3 V low-ESR", "1206 / tantalum B",
         "SYS to GND at the motor: its start current does not dip the regulator's input"),
        ("vibration motor", 1, "10 mm coin ERM, 3 V, ~%d mA" % p["motor_ma"], "coin, adhesive",
         "%d ms cues by PWM at %d kHz; an LRA needs the DRV2605L" % (p["cue_ms"], b["haptic"]["pwm_hz"] // 1000)),
        ("haptic driver (optional)", 1, "TI DRV2605L", "MSOP-10 breakout",
         "I2C address 0x%02X; drives ERM or LRA; used instead of the MOSFET when present" % b["drv2605l"]["address"]),
        ("push button", 1, "6 mm tactile, normally open", "THT",
         "start/stop, to GND (internal pull-up); held at boot = safe mode; wakes the chip from sleep"),
        ("status LED", 1, "green, Vf ~%.1f V" % p["led_vf"], "0603", "on while running"),
        ("LED resistor", 1, _ohm(p["led_resistor_ohm"]), "0603", "%.1f mA" % _led_ma(p, IO_V)),
        ("LiPo cell", 1, "3.7 V %d mAh, with protection circuit" % p["battery_mah"], "pouch",
         "in the heel-cup housing"),
        ("power switch", 1, "SS12D00 slide switch, SPDT", "THT",
         "cell to the power path: off for storage (the charger still charges the cell)"),
        ("charger", 1, "TP4056 module with DW01 protection", "module",
         "IN from the devkit's 5V pin (USB VBUS): one cable charges and syncs; change R_PROG from 1.2 kOhm (1 A) "
         "to 2.4 kOhm: 500 mA, 1 C for this cell"),
        ("power path: battery switch", 1, "DMG2305UX P-MOSFET", "SOT-23",
         "drain to the cell (after the switch), source to SYS, gate to USB 5V: off while USB feeds SYS, so USB "
         "and the cell never both feed the board"),
        ("power path: gate pull-down", 1, "100 kOhm", "0603", "gate to GND: the cell feeds SYS without USB"),
        ("power path: USB diode", 1, "SS14 Schottky (1 A, ~0.4 V)", "SMA", "USB 5V to SYS"),
        ("3.3 V regulator", 1, p["regulator"].split(" (")[0], "SOT-23",
         p["regulator"].split(" from ")[-1] + "; the devkit's own LDO drops too much on a LiPo and is removed"),
        ("regulator capacitors", 2, "1 uF X7R", "0603", "MCP1700 input (SYS) and output (3V3), as its data sheet asks"),
        ("3V3 bulk capacitor", 1, "10 uF X5R", "0805", "at the module's 3V3 pin"),
        ("battery divider", 2, _ohm(bat["divider_total_ohm"] // 2) + " 1%", "0603",
         "ratio %g, cell to GPIO%d to GND (%.0f uA)" % (bat["divider_ratio"], bat["pin"],
                                                     4.2 / bat["divider_total_ohm"] * 1e6)),
        ("battery divider capacitor", 1, "100 nF", "0603",
         "at the battery sense pin: a low-impedance source for the ADC"),
        ("USB sense divider", 2, "%s / %s 1%%" % (_ohm(top), _ohm(bottom)), "0603",
         "USB 5V to GPIO%d to GND: %.1f V with a cable in (wakes the chip; no sleep while it is high)"
         % (usb["pin"], 5.0 * bottom / (top + bottom))),
        ("USB sense capacitor", 1, "100 nF", "0603", "at the USB sense pin"),
        ("FSR connector", 6, "2-pin JST-SH 1.0 mm", "SMD", "one per FSR lead pair, so a sensor can be replaced"),
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _ohm(r: float) -> str:
    if r >= 1000:
        return ("%g kOhm" % (r / 1000))
    return "%g Ohm" % r


IO_V = 3.3  # the GPIOs' level (3V3): the LED's drive


def _led_ma(p: dict, supply_v: float) -> float:
    return (supply_v - p["led_vf"]) / p["led_resistor_ohm"] * 1000

# ---------------------------------------------------------------- wiring


def wiring() -> str:
    out = [
        "# Wiring",
        "",
        "Generated from `hardware/boards/*.json` by `make hardware` (do not edit by hand).",
        "",
        "One supply path: the devkit's own 3.3 V regulator and power LED are removed, and the",
        "MCP1700 feeds 3V3 from SYS, which USB feeds when a cable is in (the power-path",
        "P-MOSFET then cuts the cell off) and the cell otherwise. The charger runs from the same",
        "USB 5V, so one cable charges and syncs.",
        "",
        "```",
        "USB 5V (devkit 5V pin) ──┬──|>|──────────────── SYS       SS14 Schottky",
        "                         ├── TP4056 IN;  TP4056 BAT ── cell+ (DW01 protection)",
        "                         ├── DMG2305UX (Q1) gate ──[100 kOhm]── GND",
        "                         └──[100 kOhm]──┬── GPIO (USB sense) ──[100 nF]── GND",
        "                                        └──[150 kOhm]── GND",
        "cell+ ──[slide switch]── Q1 drain;  Q1 source ── SYS      (Q1 off while USB feeds SYS)",
        "SYS ──[1 uF]── GND;  SYS ── MCP1700 IN;  MCP1700 OUT ── 3V3 pin ──[1 uF]──[10 uF]── GND",
        "",
        "3V3 ──[1 uF]── MCP1700-2502 IN;  its OUT ── FSR rail (2.5 V) ──[1 uF]── GND",
        "```",
        "",
        "Every FSR is the top half of a divider, so more force reads more volts and an open or",
        "unplugged sensor reads 0 (which the firmware's sensor-health check reports):",
        "",
        "```",
        "FSR rail (2.5 V) ──[FSR]──┬── GPIO (ADC1, 11 dB) ──[100 nF]── GND",
        "                          └──[Rd]── GND",
        "",
        "SYS ──┬──[motor]──┬── AO3400A drain      AO3400A source ── GND",
        "      ├───|<|─────┘   1N4148W across the motor, cathode to SYS",
        "      └──[100 uF]── GND",
        "GPIO (PWM) ──[100 Ohm]──┬── AO3400A gate",
        "                        └──[100 kOhm]── GND",
        "",
        "cell+ ──[510 kOhm]──┬── GPIO (battery sense) ──[100 nF]── GND",
        "                    └──[510 kOhm]── GND",
        "```",
        "",
    ]
    for name in board_names():
        b = load_board(name)
        out += [f"## {b['title']}: `--board {name}`", "",
                f"Divider Rd = {_ohm(b['divider_ohm'])}, supply {b['supply_v']} V, ADC attenuation "
                f"{b['adc']['atten_db']} dB.", "",
                "| function | GPIO | ADC unit/channel | notes |", "| --- | --- | --- | --- |"]
        for i, ch in enumerate(b["channels"]):
            out.append(f"| FSR {i} {ch['name']} | {ch['pin']} | ADC{ch['adc_unit']} ch{ch['adc_channel']} | "
                       f"pin label {ch['label']}; {b['insole']['sensor_notes'][ch['name']]} |")
        h = b["haptic"]
        out.append(f"| haptic motor (PWM) | {h['pin']} | - | {h['pwm_hz']} Hz, duty {h['duty_pct']}%; {h['note']} |")
        d = b["drv2605l"]
        out.append(f"| DRV2605L SDA (optional) | {d['sda']} | - | I2C 0x{d['address']:02X}, 400 kHz |")
        out.append(f"| DRV2605L SCL (optional) | {d['scl']} | - | {d['note']} |")
        bt = b["button"]
        out.append(f"| start/stop button | {bt['pin']} | - | active {'low' if bt['active_low'] else 'high'}, "
                   f"pull-{bt['pull']}; {bt['note']} |")
        out.append(f"| status LED | {b['led']['pin']} | - | {b['led']['note']} |")
        bat = b["battery"]
        out.append(f"| battery sense | {bat['pin']} | ADC{bat['adc_unit']} ch{bat['adc_channel']} | "
                   f"divider ratio {bat['divider_ratio']:g}; {bat['note']} |")
        usb = b["usb_sense"]
        out.append(f"| USB sense | {usb['pin']} | ADC{usb['adc_unit']} ch{usb['adc_channel']} | {usb['note']} |")
        out.append("")
    return "\n".join(out)

# ---------------------------------------------------------------- sensor placement drawing


def placement_svg() -> str:
    b = load_board(DEFAULT_BOARD)
    ins = b["insole"]
    outline = ins["outline"]
    x_max = max(x for x, _ in outline)
    y_max = max(y for _, y in outline)
    s = 2.0  # px per mm
    label_w, gap, top, bottom = 60, 90, 64, 70
    foot_w = x_max * s
    width = int(2 * label_w + 2 * foot_w + gap)
    height = int(top + y_max * s + bottom)
    r = ins["sensor_diameter_mm"] / 2 * s
    part = " ".join(b["fsr"]["part"].split(" (")[0].split()[-2:])  # "FSR 402"
    # Seen from above, as the insole lies in the shoe: the big toes face each other. The
    # data's x grows medially, so the right foot is mirrored on screen, the left is not.
    feet = (("left", label_w, False), ("right", label_w + foot_w + gap, True))
    e = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
         'font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#222">' % (width, height, width, height),
         "<title>archcue sensor placement: left and right insoles seen from above</title>",
         '<rect width="100%" height="100%" fill="#ffffff"/>',
         '<text x="%d" y="26" text-anchor="middle" font-size="16" font-weight="bold">'
         "archcue insole: FSR positions</text>" % (width // 2),
         '<text x="%d" y="46" text-anchor="middle" fill="#555">seen from above, as they lie in the shoes; '
         "circles: %s active area (%g mm), to scale</text>" % (width // 2, part, ins["sensor_diameter_mm"])]
    for side, x0, mirror in feet:
        def pt(x: float, y: float, x0: float = x0, mirror: bool = mirror) -> tuple[float, float]:
            return x0 + ((x_max - x) if mirror else x) * s, top + (y_max - y) * s
        poly = " ".join("%.1f,%.1f" % pt(x, y) for x, y in outline)
        e.append('<polygon points="%s" fill="#f3ece0" stroke="#6b5b45" stroke-width="2" '
                 'stroke-linejoin="round"/>' % poly)
        cx_mid = pt(x_max / 2, 0)[0]
        e.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="14" font-weight="bold">%s</text>'
                 % (cx_mid, height - 40, side))
        med_x = pt(x_max, y_max * 0.45)[0] + (-14 if not mirror else 14)
        lat_x = pt(0, y_max * 0.45)[0] + (14 if not mirror else -14)
        for lx, word in ((med_x, "medial"), (lat_x, "lateral")):
            e.append('<text x="%.1f" y="%.1f" text-anchor="middle" fill="#8a7a62" font-size="10" '
                     'transform="rotate(-90 %.1f %.1f)">%s</text>' % (lx, top + y_max * 0.55 * s, lx,
                                                                      top + y_max * 0.55 * s, word))
        # each label beside its circle, towards the foot's midline; in the toe row, below it
        mid_x = (min(x for x, _ in outline) + x_max) / 2
        for name in CHANNELS:
            x, y = ins["sensors"][name]
            cx, cy = pt(x, y)
            e.append('<circle cx="%.1f" cy="%.1f" r="%.1f" fill="#2b7bb9" fill-opacity="0.9" stroke="#174a70"/>'
                     % (cx, cy, r))
            e.append(
                '<text x="%.1f" y="%.1f" text-anchor="middle" fill="#fff" font-size="11" '
                'font-weight="bold">%d</text>' % (cx, cy + 4, CHANNELS.index(name))
            )
            if y > 0.85 * y_max:
                tx, ty, anchor = cx, cy + r + 13, "middle"
            else:
                towards = pt(mid_x, y)[0] - cx
                tx, ty = cx + (r + 5) * (1 if towards > 0 else -1), cy + 4
                anchor = "start" if towards > 0 else "end"
            e.append('<text x="%.1f" y="%.1f" text-anchor="%s">%s</text>' % (tx, ty, anchor, name))
    # 50 mm scale bar and the data's source
    sx, sy = width / 2 - 25 * s, height - 44
    e.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#222" stroke-width="2"/>' % (sx, sy, sx + 50 * s, sy))
    e.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="10">50 mm</text>' % (sx + 25 * s, sy - 6))
    e.append('<text x="%d" y="%d" text-anchor="middle" fill="#777" font-size="10">positions (mm) from '
             "hardware/fsr.json, right foot; the left insole is its mirror image; number = ADC channel "
             "order</text>" % (width // 2, height - 12))
    e.append("</svg>")
    return "\n".join(e) + "\n"

# ---------------------------------------------------------------- README sections


def model_table() -> str:
    boards = [load_board(n) for n in board_names()]
    head = "| force (N) | R_fsr | " + " | ".join(
        f"{b['name']}: volts, counts, N per count" for b in boards) + " |"
    lines = [head, "|" + " --- |" * (2 + len(boards))]
    for f in (0.5, 1, 2, 5, 10, 20, 50, 100, 150, 200, 250, 300):
        r = fsr.fsr_ohm(f, boards[0])
        cells = [f"{f:g}", _ohm(round(r, -1) if r < 1e6 else r)]
        for b in boards:
            c = fsr.force_to_counts(f, b)
            step = (fsr.counts_to_force(min(c + 1, 4094), b) - fsr.counts_to_force(max(c - 1, 1), b)) / 2
            res = ("sat." if c >= fsr.ADC_MAX else "dead" if c == 0 else
                   "ceiling" if f >= b["fsr"]["max_force_n"] else f"{step:.2g}")
            cells.append(f"{fsr.force_to_volts(f, b):.3f} V, {c}, {res}")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for b in boards:
        dead_f = fsr.counts_to_force(1, b)
        lo = round(2 * dead_f) or 1
        err = _inverse_error(b, lo)
        rated = b["fsr"]["rated_load_n"]
        lines.append(f"- **{b['name']}**: Rd = {_ohm(b['divider_ohm'])}; the rated load ({rated:g} N) puts the node at "
                     f"{fsr.force_to_volts(rated, b):.3f} V ({fsr.force_to_counts(rated, b)} counts), "
                     f"{fsr.force_to_volts(rated, b) * (1 + b['supply_tolerance_pct'] / 100):.3f} V with the rail "
                     f"{b['supply_tolerance_pct']}% high, under the ADC's linear limit of "
                     f"{b['adc']['linear_max_v']} V; "
                     f"{_saturation(b)}; the lightest readable load is {dead_f:.2f} N; "
                     f"inverse error (round trip through integer counts) at most {100 * err:.2f}% over {lo}-250 N.")
    return "\n".join(lines)


def _saturation(b: dict) -> str:
    ceiling = b["fsr"]["max_force_n"]
    sat = fsr.saturation_force(b)
    if fsr.counts_to_volts(fsr.ADC_MAX, b) >= b["supply_v"]:
        return f"the ADC never saturates (the rail is below its top); loads above max_force_n = {ceiling:g} N " \
               "read as it"
    return f"the ADC saturates at {sat:,.0f} N; loads above max_force_n = {ceiling:g} N read as it"


def _inverse_error(board: dict, lo: float) -> float:
    """Largest relative error of counts_to_force(force_to_counts(F)) for F in lo..250 N."""
    worst = 0.0
    f = lo
    while f <= 250:
        worst = max(worst, abs(fsr.counts_to_force(fsr.force_to_counts(f, board), board) - f) / f)
        f *= 1.02
    return worst


def divider_ma(board: dict) -> float:
    """Mean current of the six FSR dividers: a half-sine load of each sensor's typical peak
    during stance, open (no current) in swing."""
    run = board["running_load"]
    total = 0.0
    n = 200
    for name in CHANNELS:
        peak = run["typical_peak_n"][name]
        loads = [peak * math.sin(math.pi * (i + 0.5) / n) for i in range(n)]
        amps = [board["supply_v"] / (board["divider_ohm"] + fsr.fsr_ohm(load, board)) for load in loads]
        total += run["stance_fraction"] * sum(amps) / n
    return total * 1000


def budget(b: dict, awake_ms: float | None = None) -> dict[str, dict[str, float]]:
    """Each consumer's mean current (mA) in the firmware's two states: recording at the
    default rate, and stopped on the cell (light sleep between wakes). awake_ms (a wake's
    awake time) as measured on a board (make board-check), else as the data estimates it."""
    p = b["power"]
    rate = b["sampling"]["default_hz"]
    mcu = p["mcu_ma"][str(cpu_mhz(b, rate))]
    always = {"USB bridge (devkit)": p["board_ma"],
              "battery divider": 3.7 / b["battery"]["divider_total_ohm"] * 1000,
              "regulator": p["regulator_iq_ma"]}
    return {
        "recording": {
            "MCU": mcu,
            "six FSR dividers": divider_ma(b),
            "vibration motor": p["motor_ma"] * p["cue_ms"] / 1000 * p["cues_per_min"] / 60,
            "status LED": _led_ma(p, IO_V) * p["led_duty"],
            **always},
        "stopped": {
            "MCU": p["sleep_ma"],
            "idle wakes": mcu * (p["awake_per_wake_ms"] if awake_ms is None else awake_ms) / b["sleep"]["wake_ms"],
            **always},
    }


def power_budget() -> dict[str, dict[str, dict[str, float]]]:
    """budget() of every board."""
    return {name: budget(load_board(name)) for name in board_names()}


def battery_life(b: dict, states: dict[str, dict[str, float]]) -> tuple[float, float]:
    """(hours recording, days stopped) on the board's listed cell."""
    usable = b["power"]["battery_mah"] * b["power"]["battery_usable_pct"] / 100
    return usable / sum(states["recording"].values()), usable / sum(states["stopped"].values()) / 24


def power_section() -> str:
    lines = []
    for name, states in power_budget().items():
        b = load_board(name)
        p = b["power"]
        rate = b["sampling"]["default_hz"]
        mhz = cpu_mhz(b, rate)
        why = {
            ("recording", "MCU"): "%d MHz at %d Hz (cpu_mhz); %s" % (mhz, rate, p["mcu_note"]),
            ("recording", "six FSR dividers"):
                "half-sine stance loads of `running_load.typical_peak_n`, stance %d%% of the time, through the "
                "FSR model at %g V" % (100 * b["running_load"]["stance_fraction"], b["supply_v"]),
            ("recording", "vibration motor"): "%d mA x %d ms x %d cues/min" % (p["motor_ma"], p["cue_ms"],
                                                                            p["cues_per_min"]),
            ("recording", "status LED"): "(%.1f V - %.1f V) / %s, on while running"
                                         % (IO_V, p["led_vf"], _ohm(p["led_resistor_ohm"])),
            ("stopped", "MCU"): p["sleep_note"] + "; the LED off, no load on the FSRs",
            ("stopped", "idle wakes"): "%g ms awake at %g mA every %d ms (sleep.wake_ms): %s"
                                       % (p["awake_per_wake_ms"], p["mcu_ma"][str(mhz)], b["sleep"]["wake_ms"],
                                          p["awake_note"]),
        }
        always = {"USB bridge (devkit)": p["board_note"],
                  "battery divider": "3.7 V / %s" % _ohm(b["battery"]["divider_total_ohm"]),
                  "regulator": "the two MCP1700s' quiescent current (3V3, the FSR rail)"}
        hours, days = battery_life(b, states)
        lines += [f"**{b['title']}**", "", "| state | consumer | mean current | from |", "| --- | --- | --- | --- |"]
        for state, rows in states.items():
            for k, v in rows.items():
                lines.append(f"| {state} | {k} | {v:.3f} mA | {why.get((state, k), always.get(k, ''))} |")
            lines.append(f"| {state} | **total** | **{sum(rows.values()):.2f} mA** | |")
        lines += ["", f"{p['battery_mah']} mAh LiPo, {p['battery_usable_pct']}% usable above the regulator's dropout: "
                  f"**about {hours:.1f} hours** of recording, or **about {days:.0f} days** stopped (the button "
                  f"ended the run; light sleep) before the cell is empty.", ""]
        s = b["sampling"]
        frame_us = 6 * s["adc_read_us"]
        lines += [f"Sampling budget: six ADC reads take ~{frame_us} us per frame, "
                  f"{100 * frame_us * s['default_hz'] / 1e6:.0f}% of the time at the default {s['default_hz']} Hz and "
                  f"{100 * frame_us * s['max_hz'] / 1e6:.0f}% at {s['max_hz']} Hz, leaving "
                  f"{1e6 / s['max_hz'] - frame_us:.0f} us per frame for the pipeline at {s['max_hz']} Hz "
                  "(`make bench` prints an ESP32 estimate of the pipeline and HAL per frame at 160 and 240 MHz; "
                  "`make board-check` measures it on a board).", ""]
    return "\n".join(lines).rstrip("\n")


README_SECTIONS: dict[str, Callable[[], str]] = {"model-table": model_table, "power-budget": power_section}


def readme(current: str) -> str:
    """README.md with every generated section replaced by fresh output."""
    for name, make in README_SECTIONS.items():
        pattern = re.compile(r"(<!-- BEGIN %s -->\n).*?(<!-- END %s -->)" % (name, name), re.S)
        if not pattern.search(current):
            raise SystemExit(f"hardware/README.md: markers for {name!r} are missing")
        body = make()
        current = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), current)
    return current

# ---------------------------------------------------------------- main


OUTPUTS: dict[str, Callable[[], str]] = {"bom.csv": bom, "wiring.md": wiring, "sensor_placement.svg": placement_svg}


def generated() -> dict[str, str]:
    """Every generated file's expected text, by name under hardware/."""
    files = {name: make() for name, make in OUTPUTS.items()}
    readme_path = HERE / "README.md"
    files["README.md"] = readme(readme_path.read_text())
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a committed file differs from what the data generates")
    args = parser.parse_args(argv)
    stale = []
    for name, text in generated().items():
        path = HERE / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        elif not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote hardware/{name}")
        else:
            print(f"unchanged hardware/{name}")
    if stale:
        print(f"stale: {', '.join(stale)}: the board data changed; run `make hardware` and commit the result",
              file=sys.stderr)
        return 1
    if args.check:
        print("hardware files match the data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
