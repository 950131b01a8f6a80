"""The app (main loop + simulator HAL + core) booted like a board in MicroPython."""
from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from host.sources import engine
from simulator.scenario import load_scenario
from simulator.synth import generate


def _boot(tmp_path: Path, board: dict, config: object, seconds: float = 20, speed: float = 0.0,
          button_held: bool | tuple = False) -> tuple[subprocess.Popen, Path]:
    dev, sim = tmp_path / "device", tmp_path / "sim"
    dev.mkdir(parents=True, exist_ok=True)
    engine.prepare(dev, board, None)
    (dev / "config.json").write_text(config if isinstance(config, str) else json.dumps(config))
    run = generate(load_scenario("rearfoot_easy"), seed=1, seconds=seconds)
    engine.write_frames(sim / "frames.bin", run.counts)
    code = engine.bootstrap(dev, sim / "frames.bin", sim / "haptics.csv", speed, button_held=button_held)
    proc = subprocess.Popen([str(engine.MICROPYTHON), "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    return proc, dev


def _sessions(dev: Path) -> list[tuple[dict, int, dict | None]]:
    from firmware.core import sessionlog

    out = []
    for sid in sessionlog.session_ids(str(dev)):
        header, _, n, trailer, _ = sessionlog.scan_path(sessionlog.path(str(dev), sid))
        out.append((header, n, trailer))
    return out


@pytest.mark.parametrize("config,message", [
    ("{not json", "not valid JSON"),
    ({"rate_hz": "fast", "cue_mode": "loud"}, "rate_hz: expected int"),
])
def test_bad_config_is_logged_and_the_insole_runs_on_defaults(tmp_path: Path, board: dict,
                                                               config: object, message: str) -> None:
    proc, dev = _boot(tmp_path, board, config)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert message in out and "run ended (end of data)" in out
    [(header, n, trailer)] = _sessions(dev)
    assert header["config"]["rate_hz"] == 200 and n > 20 and trailer["steps"] == n


def test_safe_mode_does_not_start_the_loop(tmp_path: Path, board: dict) -> None:
    proc, dev = _boot(tmp_path, board, {}, button_held=True)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "safe mode" in out
    assert _sessions(dev) == []


def test_ctrl_c_stops_cleanly_with_the_session_sealed(tmp_path: Path, board: dict) -> None:
    proc, dev = _boot(tmp_path, board, {}, seconds=120, speed=10.0)  # ~12 s of wall time
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "run ended (interrupted)" in out
    [(header, n, trailer)] = _sessions(dev)
    assert trailer is not None and not trailer.get("recovered") and trailer["steps"] == n > 10


def test_haptic_calls_are_logged_with_virtual_time(tmp_path: Path, board: dict) -> None:
    proc, dev = _boot(tmp_path, board, {"cue_mode": "every"}, seconds=60)
    out, _ = proc.communicate(timeout=60)
    lines = (tmp_path / "sim" / "haptics.csv").read_text().splitlines()
    pulses = [tuple(map(int, line.split(","))) for line in lines if line.split(",")[1].isdigit()]
    assert pulses and all(0 < t < 60000 and 100 <= p <= 200 for t, p in pulses)
    [(_, n, trailer)] = _sessions(dev)
    assert trailer["cued"] == len(pulses)


def test_a_button_stop_and_start_begins_the_next_session_at_0_in_its_warm_up(tmp_path: Path, board: dict) -> None:
    """Issue 26.2, on the simulator HAL: one boot, a 12-minute run (its warm-up over, blocks
    1 and 2), the button stops it, 10 s later a press starts the next: its clock starts at 0,
    so its first landing is in its own warm-up (block 0) near 0 ms."""
    rate = 200
    stop, start = 12 * 60 * rate, (12 * 60 + 10) * rate
    presses = ((stop, stop + 40), (start, start + 40))  # 200 ms presses, in sample ticks
    proc, dev = _boot(tmp_path, board, {"cue_mode": "blocks"}, seconds=15 * 60, button_held=presses)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    assert "run ended (button)" in out and "run ended (end of data)" in out
    from firmware.core import record, sessionlog

    firsts = []
    for sid in sessionlog.session_ids(str(dev)):
        got: list[tuple] = []
        sessionlog.scan_path(sessionlog.path(str(dev), sid), got.append)
        firsts.append((got[0][record.I_IC_MS], got[-1][record.I_IC_MS], {v[record.I_BLOCK] for v in got}))
    [(first1, last1, blocks1), (first2, last2, blocks2)] = firsts
    assert first1 < 2000 and last1 > 11 * 60 * 1000 and blocks1 == {0, 1, 2}
    assert first2 < 2000 and last2 < 3 * 60 * 1000 and blocks2 == {0}, (first2, last2, blocks2)


def test_hips_or_feet_arms_play_their_patterns_equally_often(tmp_path: Path, board: dict) -> None:
    order = "fhsn hsnf"  # two rounds of 10 s blocks after a 30 s warm-up
    cfg = {"cue_mode": "blocks", "warmup_s": 30, "block_s": 10, "arm_order": order}
    proc, dev = _boot(tmp_path, board, cfg, seconds=115)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    by_arm: dict[str, int] = {}
    for line in (tmp_path / "sim" / "haptics.csv").read_text().splitlines():
        t, what = line.split(",")
        if what == "ready":
            continue
        block = (int(t) - 30_000) // 10_000
        assert 0 <= block < 8, line  # never in the warm-up, never past the rounds
        arm = "nfhs"["nfhs".index(order.replace(" ", "")[block])]
        assert {"f": what.isdigit(), "h": what == "cue_hips", "s": what == "cue_sham"}[arm], line  # none: no cue
        by_arm[arm] = by_arm.get(arm, 0) + 1
    assert set(by_arm) == {"f", "h", "s"} and max(by_arm.values()) - min(by_arm.values()) <= 2, by_arm
    [(header, _, _)] = _sessions(dev)
    assert header["config"]["arm_order"] == order  # the order is recorded with the run
