"""`make board-check` against the virtual insole: the figures come from the MicroPython
unix port behind the pseudo-terminal, and the table says so."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from firmware.core import sessionlog
from simulator.device import ROOT
from tests.helpers import wait_for


def test_board_check_runs_against_the_virtual_insole(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--scenario", "rearfoot_easy",
                             "--speed", "10", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: (tmp_path / "port").is_symlink() and (tmp_path / "device" / sessionlog.DIR).exists())
        out = subprocess.run(["make", "-s", "board-check", f"PORT={tmp_path / 'port'}"], cwd=ROOT,
                             capture_output=True, text=True, timeout=180)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "unix-port figures" in text and "not an ESP32's" in text
    assert re.search(r"pipeline per frame \(600 recorded frames\)\s+\d+\.\d us", text), text
    assert re.search(r"session-log flush .* median [\d,]+ us, longest [\d,]+ us", text), text
    assert re.search(r"gc.collect\(\) pause\s+[\d,]+ us", text), text
    assert re.search(r"calibration workload\s+\d+\.\d+ us per loop", text), text
    assert "small ints" in text and "below 2**62" in text  # the unix port's 63-bit small ints
    assert re.search(r"cue: insole's contact -> motor on\s+60\.\d\d ms \(60 ms landing window", text), text
    assert re.search(r"heap after boot .*\s[\d,]+ bytes in use", text), text
    assert re.search(r"heap in use at its highest during a pull\s+[\d,]+ bytes", text), text
    assert "ADC read_u16 per channel" in text and "n/a (no ADC here)" in text  # no ADC in the unix port
    assert re.search(r"HAL sample\(\) per frame .*\s+n/a \(no board HAL here\)", text), text
    for row in ("ADC calibration, two-point check", "power: clock, idle wake, cell",
                "battery life from the budget"):
        assert re.search(row + r"\s+n/a \(no board HAL here\)", text), text
    assert not (tmp_path / "device" / "bc_frames.bin").exists()  # the check leaves nothing behind
