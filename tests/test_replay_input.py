"""Replay's input and output side (CSV parsing, units, absent channels, resampling, the
steps CSV, errors with file/line/column) with a stand-in for the firmware, plus the
generate command. The real firmware run is covered by tests/test_replay.py."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from firmware.core import fsr, record
from host.sources import engine
from host.sources.recording import STEP_COLUMNS, read_recording
from simulator.__main__ import main
from simulator.scenario import load_scenario
from simulator.synth import generate

HEADER = "t_ms,heel,arch,met1,met5,hallux,toes\n"


class FakeFirmware:
    """Stands in for host.sources.engine.run_firmware: keeps what it was given, returns
    one step record per 100 frames."""

    def __init__(self) -> None:
        self.frames: np.ndarray | None = None
        self.rate = 0
        self.calls = 0

    def __call__(self, frames: np.ndarray | Path, rate_hz: int, board: dict, config: dict | None,
                 workdir: Path, **_: object) -> SimpleNamespace:
        if isinstance(frames, Path):  # written chunk by chunk by engine.replay
            frames = np.fromfile(frames, dtype="<u2").reshape(-1, 6)
        self.frames, self.rate, self.calls = frames, rate_hz, self.calls + 1
        records = []
        for k in range(len(frames) // 100):
            r = {name: 0 for name in record.FIELDS}
            r.update({name: 0 for name in record.FLAG_NAMES + record.STEP_NAMES})
            r.update(ic_ms=k * 500, stance_ms=250, to_ms=k * 500 + 250, collapse=k % 2, toe_engaged=k % 3 == 0,
                     cued=k % 4 == 0, block=k)
            records.append(r)
        return SimpleNamespace(records=records, haptics=[], log="")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeFirmware:
    f = FakeFirmware()
    monkeypatch.setattr(engine, "run_firmware", f)
    return f


def _write(tmp_path: Path, text: str | bytes, name: str = "in.csv") -> Path:
    src = tmp_path / name
    if isinstance(text, bytes):
        src.write_bytes(text)
    else:
        src.write_text(text)
    return src


def _run(tmp_path: Path, src: Path, units: str, *extra: str) -> int:
    return main(["replay", str(src), "--units", units, "--out", str(tmp_path / "steps.csv"), *extra])


def _table(t_ms: np.ndarray, values: np.ndarray, columns: str = HEADER, fmt: str = "%g") -> str:
    rows = [",".join([f"{t:g}"] + [fmt % v for v in row]) for t, row in zip(t_ms, values)]
    return columns + "\n".join(rows) + "\n"


# --- errors: exit code 2, one line naming the file, the line and the column ---------------

GOOD = HEADER + "0,1,2,3,4,5,6\n5,1,2,3,4,5,6\n10,1,2,3,4,5,6\n"
ERRORS = [
    ("", "newton", "empty file"),
    ("\n\n  \n", "newton", "empty file"),
    ("0,1,2,3,4,5,6\n5,1,2,3,4,5,6\n", "newton", ":1: no header line"),
    ("time,heel\n0,1\n", "newton", ":1: no t_ms column"),
    ("t_ms;heel\n0;1\n5;2\n", "newton", "separated by commas, not ';'"),
    ("t_ms,heel,ankle,knee\n0,1,2,3\n", "newton", ":1: unknown column(s) ankle, knee"),
    ("t_ms,Heel\n0,1\n5,1\n", "newton", "names are lower case: heel"),
    ("t_ms,heel,heel\n0,1,1\n", "newton", ":1: repeated column(s) heel"),
    ("t_ms\n0\n5\n", "newton", ":1: no channel columns"),
    (HEADER, "newton", "no data lines"),
    (HEADER + "0,1,2,3,4,5,6\n", "newton", "one sample is not a recording"),
    (GOOD + "15,1,two,3,4,5,6\n", "newton", ":5: column arch: 'two' is not a number"),
    (GOOD + "15,1,,3,4,5,6\n", "newton", ":5: column arch: '' is not a number"),
    (GOOD + "x,1,2,3,4,5,6\n", "newton", ":5: column t_ms: 'x' is not a number"),
    (GOOD + "15,1,2,3\n", "newton", ":5: 4 cells, the header has 7"),
    (GOOD + "15,1,2,3,4,5,6,7\n", "newton", ":5: 8 cells, the header has 7"),
    (GOOD + "9,1,2,3,4,5,6\n", "newton", ":5: time goes backwards (t_ms 9 after 10)"),
    (GOOD + "10,1,2,3,4,5,6\n", "newton", ":5: time repeats"),
    (GOOD + "15,1,2,3,4,-0.5,6\n", "newton", ":5: column hallux: negative force -0.5 N"),
    (GOOD + "15,1,2,3,4,5,inf\n", "newton", ":5: column toes: 'inf' is not a finite number"),
    (GOOD + "nan,1,2,3,4,5,6\n", "newton", ":5: column t_ms: 'nan' is not a finite number"),
    (GOOD + "15,1,2,3,4096,5,6\n", "adc", ":5: column met5: '4096' is not an ADC count 0..4095"),
    (GOOD + "15,-1,2,3,4,5,6\n", "adc", ":5: column heel: '-1' is not an ADC count"),
    (GOOD + "15,1,2.5,3,4,5,6\n", "adc", ":5: column arch: '2.5' is not an ADC count"),
    # the earliest bad line is the one named, wherever the later problems are
    (GOOD + "15,1,2,-3,4,5,6\n20,1,x,3,4,5,6\n", "newton", ":5: column met1: negative force"),
    (GOOD + "15,1,2,3,4,5,-6\n12,1,2,3,4,5,6\n", "newton", ":5: column toes: negative force"),
    # blank lines are skipped but still counted
    ("\nt_ms,heel\n\n0,1\n\n5,x\n", "newton", ":6: column heel: 'x' is not a number"),
    (b"t_ms,heel\n0,1\n5,\xff\xfe\n", "newton", ":3: not a text CSV"),
]


@pytest.mark.parametrize("text,units,message", ERRORS)
def test_each_input_error_names_its_line(tmp_path: Path, fake: FakeFirmware, capsys: pytest.CaptureFixture[str],
                                         text: str | bytes, units: str, message: str) -> None:
    src = _write(tmp_path, text)
    assert _run(tmp_path, src, units) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.startswith(f"python -m simulator: {src}") and err.count("\n") == 1
    assert fake.calls == 0 and not (tmp_path / "steps.csv").exists()


def test_errors_from_the_command_line_have_no_traceback(tmp_path: Path) -> None:
    src = _write(tmp_path, GOOD + "15,1,2,3,4096,5,6\n")
    proc = subprocess.run([sys.executable, "-m", "simulator", "replay", str(src), "--units", "adc",
                           "--out", str(tmp_path / "o.csv")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"python -m simulator: {src}:5: column met5: '4096' is not an ADC count 0..4095"


@pytest.mark.parametrize("args,message", [
    (["--rate", "20"], "--rate 20 Hz is outside the firmware's 50..1000 Hz"),
    (["--rate", "5000"], "--rate 5000 Hz is outside"),
    (["--board", "nope"], "invalid choice"),
])
def test_bad_options(tmp_path: Path, fake: FakeFirmware, capsys: pytest.CaptureFixture[str],
                     args: list[str], message: str) -> None:
    src = _write(tmp_path, GOOD)
    try:
        code = _run(tmp_path, src, "adc", *args)
    except SystemExit as e:  # argparse's own choices
        code = int(e.code or 0)
    assert code == 2 and message in capsys.readouterr().err and fake.calls == 0


def test_missing_input_and_unwritable_output(tmp_path: Path, fake: FakeFirmware,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, tmp_path / "nope.csv", "adc") == 2
    assert "nope.csv: cannot read" in capsys.readouterr().err
    src = _write(tmp_path, GOOD)
    out = tmp_path / "no" / "such" / "steps.csv"
    assert main(["replay", str(src), "--units", "adc", "--out", str(out)]) == 2
    assert "cannot write (no folder" in capsys.readouterr().err
    assert main(["replay", str(src), "--units", "adc", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert fake.calls == 0  # refused before a (possibly long) firmware run


def test_bad_config_is_refused_before_the_run(tmp_path: Path, fake: FakeFirmware,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"max_stance_ms": "long"}')
    assert _run(tmp_path, _write(tmp_path, GOOD), "newton", "--config", str(config)) == 2
    assert f"{config}: max_stance_ms: expected int" in capsys.readouterr().err and fake.calls == 0


def test_sample_rate_that_is_not_milliseconds(tmp_path: Path, fake: FakeFirmware,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path, HEADER + "0,1,2,3,4,5,6\n0.005,1,2,3,4,5,6\n0.010,1,2,3,4,5,6\n")  # seconds
    assert _run(tmp_path, src, "newton") == 2
    assert "is t_ms in milliseconds?" in capsys.readouterr().err


# --- what reaches the firmware ------------------------------------------------------------

def test_adc_values_reach_the_firmware_unchanged(tmp_path: Path, fake: FakeFirmware) -> None:
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 4096, (400, 6))
    src = _write(tmp_path, _table(np.arange(400) * 5, counts, fmt="%d"))
    assert _run(tmp_path, src, "adc") == 0
    assert fake.rate == 200 and fake.frames is not None and fake.frames.dtype == np.uint16
    assert np.array_equal(fake.frames, counts)


def test_newtons_go_through_the_fsr_model(tmp_path: Path, fake: FakeFirmware, board: dict) -> None:
    forces = np.linspace(0, 140, 300 * 6).reshape(300, 6)
    src = _write(tmp_path, _table(np.arange(300) * 5, forces, fmt="%.4f"))
    assert _run(tmp_path, src, "newton") == 0
    assert fake.frames is not None
    for f, c in zip(forces.ravel()[::37], fake.frames.ravel()[::37]):
        assert abs(int(c) - fsr.force_to_counts(float(f), board)) <= 1  # table vs closed form
    assert fake.frames[0, 0] == 0 and fake.frames.max() > fsr.force_to_counts(100, board)  # monotone, no load: 0


def test_absent_channels_read_unconnected(tmp_path: Path, fake: FakeFirmware,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    t = np.arange(200) * 5
    src = _write(tmp_path, _table(t, np.column_stack([t % 50, t % 30]), "t_ms,toes,arch\n", "%d"))
    assert _run(tmp_path, src, "adc") == 0
    assert fake.frames is not None
    assert np.array_equal(fake.frames[:, 1], t % 30) and np.array_equal(fake.frames[:, 5], t % 50)
    assert not fake.frames[:, [0, 2, 3, 4]].any()
    assert "channels: arch, toes" in capsys.readouterr().err


def test_rate_is_inferred_from_the_median_step(tmp_path: Path, fake: FakeFirmware,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    t = np.arange(300) * 10.0  # 100 Hz, with one late sample
    t[150] += 3
    src = _write(tmp_path, _table(t, np.full((300, 6), 100), fmt="%d"))
    assert _run(tmp_path, src, "adc") == 0
    assert fake.rate == 100
    assert "resampled 300 samples onto the firmware's 100 Hz grid" in capsys.readouterr().err


def test_regular_input_at_the_rate_is_not_resampled(tmp_path: Path, fake: FakeFirmware,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path, _table(np.arange(300) * 4.0, np.full((300, 6), 7), fmt="%d"))
    assert _run(tmp_path, src, "adc", "--rate", "250") == 0
    assert fake.rate == 250 and fake.frames is not None and len(fake.frames) == 300
    assert "resampled" not in capsys.readouterr().err


def test_other_rates_are_resampled_linearly(tmp_path: Path, fake: FakeFirmware,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    t = np.arange(101) * 10.0  # 100 Hz ramp, replayed at 200 Hz: midpoints interpolated
    ramp = np.column_stack([t * 2] * 6)
    src = _write(tmp_path, _table(t, ramp, fmt="%d"))
    assert _run(tmp_path, src, "adc", "--rate", "200") == 0
    assert fake.rate == 200 and fake.frames is not None
    assert len(fake.frames) == 201 and np.array_equal(fake.frames[:, 3], np.arange(201) * 10)
    err = capsys.readouterr().err
    assert "resampled 101 samples onto the firmware's 200 Hz grid (201 frames)" in err


def test_gaps_are_bridged_with_a_note(tmp_path: Path, fake: FakeFirmware,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    t = np.concatenate([np.arange(100) * 5.0, 1000 + np.arange(100) * 5.0])
    src = _write(tmp_path, _table(t, np.full((200, 6), 50), fmt="%d"))
    assert _run(tmp_path, src, "adc") == 0
    assert "1 gap in t_ms longer than 4 sample periods (longest 505 ms) was bridged" in capsys.readouterr().err


def test_bom_blank_lines_and_spaces_are_fine(tmp_path: Path, fake: FakeFirmware) -> None:
    text = "\ufeff t_ms , heel\n\n" + "".join(f"{5 * k}, {k}\n" for k in range(120)) + "\n\n"
    src = tmp_path / "in.csv"
    src.write_text(text, encoding="utf-8")
    assert _run(tmp_path, src, "adc") == 0
    assert fake.frames is not None and np.array_equal(fake.frames[:, 0], np.arange(120))


# --- what comes out ------------------------------------------------------------------------

def test_steps_csv_and_summary(tmp_path: Path, fake: FakeFirmware, capsys: pytest.CaptureFixture[str]) -> None:
    t = 7000 + np.arange(1000) * 5  # the recording's clock starts at 7 s
    src = _write(tmp_path, _table(t, np.zeros((1000, 6)), fmt="%d"))
    assert _run(tmp_path, src, "adc") == 0
    with open(tmp_path / "steps.csv") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == STEP_COLUMNS
    assert STEP_COLUMNS[:5] == ("ic_ms", "to_ms", "collapse", "toe_engaged", "cued")
    assert len(rows) == 10
    assert [int(r["ic_ms"]) for r in rows[:3]] == [7000, 7500, 8000]  # back on the input's time base
    assert int(rows[1]["to_ms"]) - int(rows[1]["ic_ms"]) == 250
    out = capsys.readouterr().out.strip()
    assert out == f"10 steps, 5 collapses, 4 toe engagements, 3 cues -> {tmp_path / 'steps.csv'}"


# --- generate: the recording it writes is what replay reads ---------------------------------

def test_generate_writes_recording_and_truth(tmp_path: Path) -> None:
    out, truth = tmp_path / "run.csv", tmp_path / "truth.csv"
    # responder has internal per-step extras (closed-loop runner): the truth CSV keeps its columns
    assert main(["generate", "--scenario", "responder", "--seconds", "12", "--seed", "3",
                 "--units", "adc", "--out", str(out), "--truth", str(truth)]) == 0
    run = generate(load_scenario("responder"), seed=3, seconds=12)
    rec = read_recording(out, "adc")
    assert np.array_equal(rec.values, run.counts) and np.array_equal(rec.t_ms, run.t_ms)
    with open(truth) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["ic_ms", "to_ms", "kind", "strike", "collapse", "toe_engaged"]
    assert [int(r["ic_ms"]) for r in rows] == [t["ic_ms"] for t in run.truth]


def test_generate_is_reproducible_and_feet_differ(tmp_path: Path) -> None:
    def make(name: str, *extra: str) -> bytes:
        path = tmp_path / name
        assert main(["generate", "--scenario", "mixed", "--seconds", "10", "--seed", "5", "--out", str(path),
                     *extra]) == 0
        return path.read_bytes()

    assert make("a.csv") == make("b.csv")
    assert make("left.csv", "--foot", "left") != make("a.csv")
    newtons = read_recording(tmp_path / "a.csv", "newton")
    assert newtons.values.max() > 20 and newtons.present == ("heel", "arch", "met1", "met5", "hallux", "toes")


@pytest.mark.parametrize("args,message", [
    (["--scenario", "nope"], "unknown scenario 'nope'"),
    (["--scenario", "mixed", "--seconds", "0"], "--seconds 0: a run lasts at least 1 s"),
    (["--scenario", "mixed", "--rate", "10"], "--rate 10 Hz"),
])
def test_generate_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["generate", *args, "--out", str(tmp_path / "o.csv")]) == 2
    assert message in capsys.readouterr().err


def test_generate_to_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--scenario", "mixed", "--seconds", "2", "--out", str(tmp_path / "no" / "o.csv")]) == 2
    assert "cannot write" in capsys.readouterr().err
