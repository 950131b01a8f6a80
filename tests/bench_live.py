"""`make bench`: what the live stream (core/live.py) costs the insole per step."""
from __future__ import annotations

import json
import os
import subprocess

from host.sources.engine import MICROPYTHON
from simulator.device import ROOT
from tests.bench_esp32 import RATIO_160, SPEEDUP_240

Row = tuple[str, str, str]
LINE_RATE_BPS = 115200 / 10  # the UART REPL's bytes per second
STEPS_PER_MIN = 95  # one foot at a fast cadence (190 steps/min)


def live() -> list[Row]:
    out = subprocess.run([str(MICROPYTHON), str(ROOT / "tests" / "mp" / "bench_live.py")], capture_output=True,
                         text=True, check=True, env=dict(os.environ, MICROPYPATH=str(ROOT / "firmware"))).stdout
    r = json.loads(out.strip().splitlines()[-1])
    esp32_ms = r["us_per_step"] * RATIO_160 / SPEEDUP_240 / 1000
    share = r["line_bytes"] * STEPS_PER_MIN / 60 / LINE_RATE_BPS
    return [("live view: step line built and written", f"{r['us_per_step']:.1f} us/step (unix port), "
             f"{r['bytes_per_step']:.1f} B allocated/step",
             f"tests/mp/bench_live.py, best of 5 x {r['steps']} steps, in swing; ESP32 at 240 MHz about "
             f"{esp32_ms:.2f} ms/step (estimate: tests/bench_esp32.py's bytecode ratio, assuming xtensawin viper "
             "gains as the unix port's, unmeasured; as bytecode the hex took a board ~2 ms)"),
            ("live view: console load", f"{r['line_bytes']} B/step, {share:.1%} of the UART REPL at 115200 baud",
             f"at {STEPS_PER_MIN} steps/min on one insole")]


if __name__ == "__main__":
    for row in live():
        print(" | ".join(row))
