"""python -m hardware.generate [--check]: the BOM, wiring table and sensor-placement
drawing, generated from the board data so they cannot drift from it. --check exits 1 if
the committed files differ from what the data generates."""
from __future__ import annotations

import argparse
import sys

from hardware.board_data import HERE, board_names, load_board


def bom() -> str:
    b = load_board()
    fsr = b["fsr"]
    rows = [
        ("part", "qty", "value", "package", "notes"),
        ("ESP32 dev board", 1, b["title"], "module", f"or {load_board('esp32s3_devkitc')['title']}"),
        ("force-sensitive resistor", 6, fsr["part"], "thin film", "heel, arch, met1, met5, hallux, toes"),
        ("divider resistor", 6, f"{b['divider_ohm']} ohm 1%", "0603", "ADC node to ground, one per FSR"),
        ("N-MOSFET", 1, "AO3400", "SOT-23", "low-side switch for the vibration motor"),
        ("flyback diode", 1, "1N4148W", "SOD-123", "across the motor"),
        ("gate resistor", 1, "100 ohm", "0603", "MOSFET gate"),
        ("vibration motor", 1, "10 mm ERM coin, 3 V", "coin", "100-200 ms cues"),
        ("haptic driver (optional)", 1, "TI DRV2605L", "MSOP-10", f"I2C 0x{b['drv2605l']['address']:02X}; replaces the MOSFET path"),
        ("push button", 1, "6 mm tactile", "THT", "start/stop; held at boot = safe mode"),
        ("LED + resistor", 1, "green, 1 kohm", "0603", "status"),
        ("LiPo cell", 1, "3.7 V 500 mAh", "pouch", "in the heel cup housing"),
        ("charger", 1, "TP4056 module", "module", "USB-C"),
        ("battery divider", 2, "100 kohm 1%", "0603", f"ratio {b['battery']['divider_ratio']}"),
    ]
    return "".join(",".join(f'"{c}"' if "," in str(c) else str(c) for c in row) + "\n" for row in rows)


def wiring() -> str:
    out = ["# Wiring (generated from hardware/boards/*.json by `make hardware`)", ""]
    for name in board_names():
        b = load_board(name)
        out += [f"## {b['title']}", "", "| function | GPIO | ADC | notes |", "| --- | --- | --- | --- |"]
        for ch in b["channels"]:
            out.append(f"| FSR {ch['name']} | {ch['pin']} | ADC1 ch{ch['adc_channel']} | {ch['label']}; "
                       f"FSR to {b['supply_v']} V, {b['divider_ohm']} ohm to GND |")
        out.append(f"| haptic motor | {b['haptic']['pin']} | - | PWM {b['haptic']['pwm_hz']} Hz; {b['haptic']['driver']} |")
        d = b["drv2605l"]
        out.append(f"| DRV2605L (optional) | SDA {d['sda']}, SCL {d['scl']} | - | I2C address 0x{d['address']:02X} |")
        out.append(f"| button | {b['button']['pin']} | - | {'active low, pull-up' if b['button']['active_low'] else 'active high'} |")
        out.append(f"| status LED | {b['led']['pin']} | - | |")
        bat = b["battery"]
        out.append(f"| battery sense | {bat['pin']} | ADC{bat['adc_unit']} | divider ratio {bat['divider_ratio']}; {bat['note']} |")
        out.append("")
    return "\n".join(out)


def placement_svg() -> str:
    ins = load_board()["insole"]
    pts = ins["outline"]
    h = max(y for _, y in pts)
    scale, pad = 2.0, 20

    def xy(x: float, y: float, mirror: bool) -> tuple[float, float]:
        x = (110 - x) if mirror else x
        return pad + x * scale + (0 if mirror else 240), pad + (h - y) * scale

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * pad + 460}" height="{2 * pad + h * scale + 30}" '
             f'font-family="sans-serif" font-size="11">',
             '<title>archcue sensor placement (left and right insoles, plantar view)</title>']
    for mirror, label in ((True, "left"), (False, "right")):
        poly = " ".join("%.1f,%.1f" % xy(x, y, mirror) for x, y in pts)
        parts.append(f'<polygon points="{poly}" fill="#f4efe6" stroke="#555" stroke-width="1.5"/>')
        for name, (x, y) in ins["sensors"].items():
            cx, cy = xy(x, y, mirror)
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="9" fill="#2b7bb9" opacity="0.85"/>')
            parts.append(f'<text x="{cx + 12:.1f}" y="{cy + 4:.1f}">{name}</text>')
        lx, _ = xy(55, 0, mirror)
        parts.append(f'<text x="{lx:.1f}" y="{pad + h * scale + 22:.1f}" text-anchor="middle" font-size="13">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


OUTPUTS = {"bom.csv": bom, "wiring.md": wiring, "sensor_placement.svg": placement_svg}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if anything is stale")
    args = parser.parse_args(argv)
    stale = []
    for name, make in OUTPUTS.items():
        path = HERE / name
        text = make()
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)} (run `make hardware`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
