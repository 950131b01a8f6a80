"""Replay through the real firmware (input errors and options: tests/test_replay_input.py, with a
stand-in for the firmware)."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from host.sources.recording import write_recording
from simulator.__main__ import main
from simulator.scenario import load_scenario
from simulator.synth import generate


def _steps(path: Path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("units", ["newton", "adc"])
def test_synthetic_recording_replays_through_the_firmware(tmp_path: Path, units: str) -> None:
    run = generate(load_scenario("rearfoot_easy"), seed=3, seconds=40)
    src = tmp_path / "run.csv"
    write_recording(src, run.t_ms + 1000, run.forces if units == "newton" else run.counts, units)
    out = tmp_path / "steps.csv"
    assert main(["replay", str(src), "--units", units, "--out", str(out)]) == 0
    steps = _steps(out)
    assert abs(len(steps) - len(run.truth)) <= 1
    first = next(t for t in run.truth)
    assert abs(int(steps[0]["ic_ms"]) - (first["ic_ms"] + 1000)) <= 20  # the recording's own time base
    assert set(steps[0]) >= {"ic_ms", "to_ms", "collapse", "toe_engaged", "cued"}


def test_absent_channels_and_resampling(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = generate(load_scenario("forefoot_easy"), seed=2, seconds=30, rate_hz=250)
    src = tmp_path / "run.csv"
    with open(src, "w") as f:  # no heel column at all; 250 Hz input replayed at 200 Hz
        f.write("t_ms,arch,met1,met5,hallux,toes\n")
        for t, row in zip(run.t_ms, run.forces):
            f.write(f"{t},{row[1]:.2f},{row[2]:.2f},{row[3]:.2f},{row[4]:.2f},{row[5]:.2f}\n")
    out = tmp_path / "steps.csv"
    assert main(["replay", str(src), "--units", "newton", "--rate", "200", "--out", str(out)]) == 0
    assert "resampled" in capsys.readouterr().err
    assert abs(len(_steps(out)) - len(run.truth)) <= 1


def test_the_engine_reports_progress_and_stops_a_run_that_overstays(tmp_path: Path, board: dict) -> None:
    """progress(ms) follows the session log as it grows; a run past its timeout is killed."""
    from host.sources import engine

    run = generate(load_scenario("rearfoot_easy"), seed=1, seconds=60)
    seen: list[int] = []
    engine.run_firmware(run.counts, run.rate_hz, board, None, tmp_path / "a", speed=20, progress=seen.append)
    assert seen and seen == sorted(seen) and 0 < seen[-1] <= 60_000
    with pytest.raises(engine.FirmwareError, match="took longer than 1 s"):
        engine.run_firmware(run.counts, run.rate_hz, board, None, tmp_path / "b", speed=1, timeout=1)
