"""Replay: every input error is named with its line; valid input runs the real firmware."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from host.recording import write_recording
from simulator.__main__ import main
from simulator.scenario import load_scenario
from simulator.synth import generate

GOOD_HEADER = "t_ms,heel,arch,met1,met5,hallux,toes\n"


def _replay(tmp_path: Path, text: str, units: str = "newton", *extra: str) -> tuple[int, str]:
    src = tmp_path / "in.csv"
    src.write_text(text)
    out = tmp_path / "steps.csv"
    proc = subprocess.run([sys.executable, "-m", "simulator", "replay", str(src), "--units", units,
                           "--out", str(out), *extra], capture_output=True, text=True)
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("text,units,message", [
    ("", "newton", "empty file"),
    ("0,1,2,3,4,5,6\n5,1,2,3,4,5,6\n", "newton", ":1: no header line"),
    ("time,heel\n0,1\n", "newton", ":1: no t_ms column"),
    ("t_ms,heel,ankle\n0,1,2\n", "newton", ":1: unknown column(s) ankle"),
    ("t_ms\n0\n5\n", "newton", ":1: no channel columns"),
    (GOOD_HEADER, "newton", "no data lines"),
    (GOOD_HEADER + "0,1,2,3,4,5,6\n5,1,two,3,4,5,6\n", "newton", ":3: column arch: 'two' is not a number"),
    (GOOD_HEADER + "0,1,2,3,4,5,6\n5,1,2,3\n", "newton", ":3: 4 cells, the header has 7"),
    (GOOD_HEADER + "0,1,2,3,4,5,6\n5,1,2,3,4,5,6\n4,1,2,3,4,5,6\n", "newton", ":4: time goes backwards"),
    (GOOD_HEADER + "0,1,2,3,4,5,6\n0,1,2,3,4,5,6\n", "newton", ":3: time repeats"),
    (GOOD_HEADER + "0,1,2,3,4,5,6\n5,1,-2,3,4,5,6\n", "newton", ":3: column arch: negative force"),
    (GOOD_HEADER + "0,1,2,3,4,5,6\n5,1,4096,3,4,5,6\n", "adc", ":3: column arch: '4096' is not an ADC count"),
    (GOOD_HEADER + "0,1,2,3,4,5,6\n5,1,2.5,3,4,5,6\n", "adc", ":3: column arch: '2.5' is not an ADC count"),
    (GOOD_HEADER + "0,1,2,3,4,5,6\n5,1,nan,3,4,5,6\n", "newton", ":3: column arch: 'nan' is not a finite number"),
])
def test_bad_input_is_named_with_its_line(tmp_path: Path, text: str, units: str, message: str) -> None:
    code, err = _replay(tmp_path, text, units)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_missing_file_and_bad_config(tmp_path: Path) -> None:
    assert main(["replay", str(tmp_path / "nope.csv"), "--units", "adc", "--out", str(tmp_path / "o.csv")]) == 2
    src = tmp_path / "in.csv"
    src.write_text(GOOD_HEADER + "0,1,2,3,4,5,6\n5,1,2,3,4,5,6\n")
    cfg = tmp_path / "config.json"
    cfg.write_text('{"max_stance_ms": "long"}')
    code, err = _replay(tmp_path, src.read_text(), "newton", "--config", str(cfg))
    assert code == 2 and "max_stance_ms: expected int" in err


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
