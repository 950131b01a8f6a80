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
          button_held: bool = False) -> tuple[subprocess.Popen, Path]:
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
