"""archcue import: recordings from other devices through the firmware into the store, as a
pull imports an insole's sessions. The bar on foreign block-protocol runs is measured in
tests/bench_import.py (45-minute runs are too long for a test)."""
from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from firmware.core import sessionlog
from host.cli import main
from host.sources import engine, importer, moticon
from host.sources.recording import read_recording, to_frames, write_recording
from host.store.db import Store
from host.store.records import flag, parse_session
from simulator.__main__ import main as simulator
from simulator.realdata import REAL
from simulator.scenario import load_scenario
from simulator.synth import generate

MOTICON = REAL / "moticon_insole"
EXPORTS = sorted(p for p in MOTICON.glob("*.txt") if p.name != "README.txt")
needs_real = pytest.mark.skipif(not EXPORTS, reason="../shared/data/real is not beside the repository")


def _archcue(store: Path, *args: str) -> int:
    return main(["--store", str(store), *args])


def _rows(store: Path) -> dict[str, list]:
    """Every row of every table: what "unchanged" means."""
    db = sqlite3.connect(store)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        db.close()


@pytest.fixture(scope="module")
def run_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 s of the project's rearfoot runner, in newtons, starting at t = 5 s."""
    run = generate(load_scenario("rearfoot_easy"), seed=3, seconds=40)
    path = tmp_path_factory.mktemp("import") / "lab run.csv"
    write_recording(path, run.t_ms + 5000, run.forces, "newton")
    return path


# --- Moticon OpenGo exports ---------------------------------------------------------------

@needs_real
def test_every_moticon_recording_imports_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One import per export, no --format, no --foot: both insoles, two sessions of one run."""
    store = tmp_path / "s.sqlite"
    for export in EXPORTS:
        assert _archcue(store, "import", str(export), "--runner", "ana") == 0
        out, err = capsys.readouterr()
        assert "is a Moticon OpenGo text export (recognised by its header)" in err
        assert "(left foot): session" in out and "(right foot): session" in out and "of one run" in out
    rows = Store(store).sessions("ana")
    assert len(rows) == 2 * len(EXPORTS) and all(r.n_steps > 0 for r in rows)
    assert sorted(r.foot for r in rows) == sorted(moticon.SIDES * len(EXPORTS))
    headers = Store(store).headers([r.id for r in rows])
    for export in EXPORTS:  # both feet of an export start together: the two insoles of one run
        pair = [r for r in rows if headers[r.id]["imported"]["file"] == export.name]
        assert sorted(r.foot for r in pair) == ["left", "right"] and len({r.started_at for r in pair}) == 1
    before = _rows(store)
    for export in EXPORTS:  # again, one foot at a time or both, even under another name: nothing added
        for foot in (*moticon.SIDES, None):
            assert _archcue(store, "import", str(export), "--format", "moticon", "--runner", "bo",
                            *(["--foot", foot] if foot else [])) == 0
            assert capsys.readouterr().out.count("already in the store") == (2 if foot is None else 1)
    assert _rows(store) == before
    assert _archcue(store, "sessions", "--all") == 0  # 10-22 s of walking: short sessions, listed with --all
    listing = capsys.readouterr().out
    assert all(listing.count(f"imported from {p.name} (moticon)") == 2 for p in EXPORTS)
    assert "2023-09-27 10:21" in listing  # the export's own start time


def _write_export(path: Path, feet: dict[str, tuple[np.ndarray, np.ndarray]], start: str) -> None:
    """A Moticon OpenGo text export of newton recordings {foot: (t_ms, forces (n, 6))} on one
    100 Hz clock: each region's force / 1.27 cm2 in its cells (host/sources/moticon.py), the
    other cells 0; a foot's cells blank where it has no sample."""
    t = np.arange(0, max(ft[-1] for ft, _ in feet.values()), 10.0)
    columns = ["time"] + [moticon.pressure_column(s, c) for s in moticon.SIDES for c in range(1, 17)]
    lines = [f"# Start time: {start}", "# Sensor insoles: Left SN1, Right SN2", "# " + "\t".join(columns)]
    cells = {}
    for side in moticon.SIDES:
        table = np.full((len(t), 16), np.nan)
        if side in feet:
            ft, forces = feet[side]
            for region, where in enumerate(moticon.REGIONS.values()):
                for c in where:
                    table[:, c - 1] = np.interp(t, ft, forces[:, region]) / moticon.FSR_AREA_CM2
            table[:, [4, 5, 7, 9, 10, 11]] = 0  # cells no region reads
        cells[side] = table
    for k in range(len(t)):
        row = [f"{t[k] / 1000:.2f}"] + ["" if np.isnan(v) else f"{v:.2f}" for side in moticon.SIDES
                                        for v in cells[side][k]]
        lines.append("\t".join(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_two_insole_moticon_export_is_one_run_with_both_feet(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 20's bar: one import of a two-insole export (a running export, block protocol of
    one-minute warm-up and 30 s blocks): two sessions, one run, both feet in the report."""
    runs = {foot: generate(load_scenario("rearfoot_easy"), seed=5, seconds=240, foot=foot) for foot in moticon.SIDES}
    src = tmp_path / "two insoles.txt"
    _write_export(src, {foot: (r.t_ms, r.forces) for foot, r in runs.items()}, "02.12.2026 07:30:00.000")
    config = tmp_path / "blocks.json"
    config.write_text('{"cue_mode": "blocks", "warmup_s": 60, "block_s": 30}')
    store = tmp_path / "s.sqlite"
    assert _archcue(store, "import", str(src), "--runner", "ana", "--config", str(config)) == 0
    rows = Store(store).sessions("ana")
    assert sorted(r.foot for r in rows) == ["left", "right"]
    assert {r.started_at for r in rows} == {"2026-12-02T07:30:00"}
    capsys.readouterr()
    assert _archcue(store, "report", "ana", "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert len({s["run"] for s in report["sessions"]}) == 1 and len(report["sessions"]) == 2
    assert set(report["per_foot"]) == {"left", "right"}


def test_one_insole_of_an_export_is_one_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = generate(load_scenario("rearfoot_easy"), seed=2, seconds=30)
    src = tmp_path / "right only.txt"
    _write_export(src, {"right": (run.t_ms, run.forces)}, "02.12.2026 07:30:00.000")
    store = tmp_path / "s.sqlite"
    assert _archcue(store, "import", str(src), "--runner", "ana") == 0
    assert "only the right insole recorded in right only.txt: one session" in capsys.readouterr().err
    assert [r.foot for r in Store(store).sessions("ana")] == ["right"]
    assert _archcue(store, "import", str(src), "--runner", "ana", "--foot", "left") == 1
    assert "the left foot's pressure cells are blank on every line (try --foot right)" in capsys.readouterr().err


def _moticon_like(tmp_path: Path) -> Path:
    run = generate(load_scenario("rearfoot_easy"), seed=2, seconds=20)
    src = tmp_path / "export.txt"
    _write_export(src, {foot: (run.t_ms, run.forces) for foot in moticon.SIDES}, "02.12.2026 07:30:00.000")
    return src


@pytest.mark.parametrize("content,what", [
    ("REAL_XLSX", "a spreadsheet or other zip file (.xlsx, .docx, .zip)"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "a spreadsheet or other zip file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "an Excel 97-2003 spreadsheet (.xls)"),
    (b"%PDF-1.7\n" + bytes(64), "a PDF"),
    (b"t_ms,heel\n0,1\n\x00\x00\x01", "a binary file"),
])
@pytest.mark.parametrize("given", [[], ["--format", "moticon"], ["--format", "csv", "--units", "newton"]])
def test_a_spreadsheet_or_binary_file_gets_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, content: bytes | str,
                                                   what: str, given: list[str]) -> None:
    """The gait report (.xlsx) beside the text exports: "export the text file instead", whatever
    --format says; nothing run, no store."""
    xlsx = sorted(MOTICON.glob("gait_report_*.xlsx"))
    if content == "REAL_XLSX" and not xlsx:
        pytest.skip("../shared/data/real is not beside the repository")
    src = xlsx[0] if content == "REAL_XLSX" else tmp_path / "report.xlsx"
    if isinstance(content, bytes):
        src.write_bytes(content)
    monkeypatch.setattr(engine, "run_firmware", lambda *a, **k: pytest.fail("the firmware ran"))
    store = tmp_path / "s.sqlite"
    assert _archcue(store, "import", str(src), "--runner", "ana", *given) == 1
    err = capsys.readouterr().err
    assert err == (f"archcue: {src}: {what}, not a text recording: export the text file instead (Moticon "
                   "OpenGo: its text export, .txt; a lab system: a CSV with t_ms and the channel columns)\n"
                   if what != "a spreadsheet or other zip file" else err)
    assert what in err and err.count("\n") == 1 and "UTF-8" not in err
    assert not store.exists()


def test_a_moticon_export_given_as_csv_is_refused_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    src = _moticon_like(tmp_path)
    monkeypatch.setattr(engine, "run_firmware", lambda *a, **k: pytest.fail("the firmware ran"))
    assert _archcue(tmp_path / "s.sqlite", "import", str(src), "--runner", "ana", "--format", "csv",
                    "--units", "newton") == 1
    assert capsys.readouterr().err == (f"archcue: {src}: a Moticon OpenGo text export, not a CSV: leave out "
                                       "--format (or give --format moticon)\n")
    assert not (tmp_path / "s.sqlite").exists()


def test_a_csv_is_still_a_csv_without_format(tmp_path: Path, run_csv: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """No --format and no Moticon header: the replay format, with its own errors."""
    monkeypatch.setattr(engine, "run_firmware", lambda *a, **k: pytest.fail("the firmware ran"))
    assert importer.sniff(run_csv) == "csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("time,heel\n0,1\n")
    assert _archcue(tmp_path / "s.sqlite", "import", str(bad), "--runner", "ana", "--units", "newton") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"archcue: {bad}:1:") and "t_ms" in err and err.count("\n") == 1


@needs_real
@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.stem)
@pytest.mark.parametrize("side", moticon.SIDES)
def test_moticon_mapping_matches_the_recordings(export: Path, side: str) -> None:
    """The six regions behave as their names say in every recording: in the median stance the
    heel peaks first (early), the metatarsal heads after it, hallux and toes late (push-off);
    the arch carries the least load."""
    rec = moticon.recording(moticon.read_export(export), side)
    on = rec.values.sum(axis=1) > 0.1 * rec.values.sum(axis=1).max()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
    phases = np.array([rec.values[a:b].argmax(axis=0) / (b - a) for a, b in zip(edges[::2], edges[1::2])
                       if b - a >= 30])  # stances of 300 ms and more
    assert len(phases) >= 5
    heel, _, met1, met5, hallux, toes = np.median(phases, axis=0)
    assert heel < 0.3 and heel < min(met1, met5) and min(hallux, toes) > 0.6
    assert rec.values.mean(axis=0).argmin() == 1  # arch


def test_moticon_export_read_with_blanks_and_start_time(tmp_path: Path) -> None:
    header = "\t".join(["time"] + [moticon.pressure_column(s, c) for s in moticon.SIDES for c in range(1, 17)])
    lines = ["# Start time: 27.09.2023 10:22:31.707", "# " + header]
    for k in range(6):
        left = [""] * 16 if k < 2 else [str(k + c) for c in range(16)]  # the left insole started later
        lines.append("\t".join([f"{k / 100:.2f}"] + left + [f"{c / 4}" for c in range(16)]))
    path = tmp_path / "e.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    export = moticon.read_export(path)
    assert export.started_at == "2023-09-27T10:22:31"
    left = moticon.recording(export, "left")
    assert list(left.t_ms) == [20, 30, 40, 50]
    k = 2  # heel = mean of cells 1-4, arch = cell 7, toes = mean of cells 15-16, times 1.27 cm2
    assert left.values[0].tolist() == pytest.approx(
        [(k + 1.5) * 1.27, (k + 6) * 1.27, (k + 8) * 1.27, (k + 12) * 1.27, (k + 13) * 1.27, (k + 14.5) * 1.27])
    assert len(moticon.recording(export, "right").t_ms) == 6


@pytest.mark.parametrize("body,message", [
    ("t_ms,heel\n0,1\n", ":1: not a Moticon OpenGo text export"),
    ("# Start time: x\n# time\tleft total force[N]\n0\t1\n", ":2: not a Moticon OpenGo text export (no 'time' column"),
    ("HEADER\n0.00\t" + "\t".join(["1"] * 32) + "\n0.01\t" + "\t".join(["1"] * 20 + ["x"] + ["1"] * 11) + "\n",
     ":3: column right pressure 5[N/cm²]: 'x' is not a number"),
    ("HEADER\n0.00\t" + "\t".join(["1"] * 32) + "\n0.00\t" + "\t".join(["1"] * 32) + "\n",
     ":3: column time: not after the line before it"),
    ("HEADER\n0.00\t" + "\t".join(["1"] * 16 + [""] * 16) + "\n", "the right foot's pressure cells are blank"),
    ("HEADER\n0.00\t" + "\t".join(["1"] * 33) + "\n", ":2: 34 cells, the header has 33"),
    ("HEADER\n0.00\t" + "\t".join(["1"] * 16 + ["-1"] * 16) + "\n", ":2: a negative right pressure"),
])
def test_bad_moticon_exports_are_refused_with_their_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         body: str, message: str) -> None:
    header = "# " + "\t".join(["time"] + [moticon.pressure_column(s, c) for s in moticon.SIDES for c in range(1, 17)])
    src = tmp_path / "bad.txt"
    src.write_text(body.replace("HEADER", header), encoding="utf-8")
    store = tmp_path / "s.sqlite"
    assert _archcue(store, "import", str(src), "--format", "moticon", "--foot", "right", "--runner", "ana") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"archcue: {src}") and message in err and err.count("\n") == 1
    assert not store.exists()  # nothing created, nothing half-imported


# --- the session: the firmware's, as an insole writes it, with its provenance -------------

def test_csv_import_is_the_firmwares_session_with_provenance(tmp_path: Path, run_csv: Path, board: dict,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.sqlite"
    assert _archcue(store, "import", str(run_csv), "--units", "newton", "--runner", "ana", "--foot", "left",
                    "--started-at", "2026-11-29T07:30") == 0
    out = capsys.readouterr().out
    [row] = Store(store).sessions("ana")
    assert f"session {row.id} -> ana" in out and row.foot == "left" and row.started_at == "2026-11-29T07:30:00"
    header = Store(store).headers([row.id])[row.id]
    assert header["imported"] == {"file": "lab run.csv", "format": "csv", "units": "newton",
                                  "sha256": hashlib.sha256(run_csv.read_bytes()).hexdigest(),
                                  "bytes": run_csv.stat().st_size}
    assert header["runner"] == "ana" and header["config"]["foot"] == "left" and header["session"] == row.id
    # the records are the firmware's own run over the same frames, byte for byte
    rec = read_recording(run_csv, "newton")
    frames, _ = to_frames(rec, "newton", 200, board)
    fw = engine.run_firmware(frames, 200, board, {"runner_id": "ana", "foot": "left"}, tmp_path / "fw")
    [sid] = fw.sessions
    own = parse_session(Path(sessionlog.path(str(tmp_path / "fw" / "device"), sid)).read_bytes(), sid)
    db = sqlite3.connect(store)
    blob, trailer = db.execute("SELECT st.records, s.summary_json FROM steps st JOIN sessions s ON s.id = "
                               "st.session_id").fetchone()
    assert blob == own.records and len(fw.records) == row.n_steps > 50
    assert row.summary == own.trailer | {"data_start": row.summary["data_start"],
                                         "header": row.summary["header"]}  # the same summary, sealed again
    assert trailer is not None
    before = _rows(store)
    assert _archcue(store, "import", str(run_csv), "--units", "newton", "--runner", "ana", "--foot", "left",
                    "--started-at", "2026-11-29T07:30") == 0
    assert f"already in the store as session {row.id} (ana, {row.n_steps} steps): nothing added" in \
        capsys.readouterr().out
    assert _rows(store) == before


def test_an_import_under_another_spelling_is_the_same_runner(tmp_path: Path, run_csv: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 20: `Ana`, ` ana`, `ANA` imported are one runner (the spelling first given shown)."""
    store = tmp_path / "s.sqlite"
    assert _archcue(store, "import", str(run_csv), "--units", "newton", "--runner", "Ana") == 0
    assert _archcue(store, "import", str(run_csv), "--units", "newton", "--runner", " ana") == 0
    out = capsys.readouterr().out
    assert "nothing added" in out and "assign" not in out  # the same runner: nothing to move
    assert _archcue(store, "import", str(run_csv), "--units", "newton", "--runner", "ANA", "--foot", "left") == 0
    assert [(name, n) for name, n, _ in Store(store).runners()] == [("Ana", 2)]


def test_replay_and_import_share_the_engine(tmp_path: Path, run_csv: Path) -> None:
    """`simulator replay` and `archcue import` of one file: the same steps, in the same times."""
    assert simulator(["replay", str(run_csv), "--units", "newton", "--out", str(tmp_path / "steps.csv")]) == 0
    replayed = np.loadtxt(tmp_path / "steps.csv", delimiter=",", skiprows=1, usecols=(0, 1), dtype=np.int64)
    store = tmp_path / "s.sqlite"
    assert _archcue(store, "import", str(run_csv), "--units", "newton", "--runner", "ana") == 0
    [row] = Store(store).sessions("ana")
    steps = Store(store).steps(row.id)
    assert np.array_equal(replayed[:, 0] - 5000, steps["ic_ms"])


def test_the_configs_block_protocol_runs_on_an_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A short block protocol (30 s warm-up, 20 s blocks) of the foreign model: the firmware
    numbers the blocks, buzzes only in cue-on ones, and the report compares blocks."""
    from tests.foreign_runner import Protocol
    from tests.foreign_runner import generate as foreign

    protocol = Protocol(warmup_s=30, block_s=20, collapse_engaged=0.45 * 0.35)
    foreign(seconds=190, rate_hz=200, strike="rearfoot", protocol=protocol, seed=4).write_csv(tmp_path / "run.csv")
    config = tmp_path / "blocks.json"
    config.write_text('{"cue_mode": "blocks", "warmup_s": 30, "block_s": 20}')
    store = tmp_path / "s.sqlite"
    assert _archcue(store, "import", str(tmp_path / "run.csv"), "--units", "newton", "--config", str(config),
                    "--runner", "ana") == 0
    [row] = Store(store).sessions("ana")
    steps = Store(store).steps(row.id)
    on = flag(steps, "cue_block")
    assert set(steps["block"][steps["ic_ms"] > 31_000]) == set(range(1, 9))
    assert steps["block"][steps["ic_ms"] < 29_000].max() == 0
    assert set(steps["block"][on]) == {2, 4, 6, 8}
    capsys.readouterr()
    assert _archcue(store, "report", "ana", "--format", "json") == 0
    assert '"basis": "blocks"' in capsys.readouterr().out


# --- failures leave the store as it was ---------------------------------------------------

@pytest.fixture(scope="module")
def imported_once(tmp_path_factory: pytest.TempPathFactory, run_csv: Path) -> bytes:
    store = tmp_path_factory.mktemp("filled") / "s.sqlite"
    assert _archcue(store, "import", str(run_csv), "--units", "newton", "--runner", "ana") == 0
    return store.read_bytes()


@pytest.fixture
def filled(tmp_path: Path, imported_once: bytes) -> Path:
    """A store holding one imported session."""
    store = tmp_path / "s.sqlite"
    store.write_bytes(imported_once)
    return store


@pytest.mark.parametrize("text,message", [
    ("t_ms,heel,arch\n0,1,2\n5,1,two\n", ":3: column arch: 'two' is not a number"),
    ("t_ms,heel\n0,1\n5,1\n4,1\n", ":4: time goes backwards"),
    ("t_ms,heel,ankle\n0,1,2\n", ":1: unknown column(s) ankle"),
    ("t_ms,heel\n0,1\n", "one sample is not a recording"),
])
def test_a_bad_csv_changes_nothing(tmp_path: Path, filled: Path, capsys: pytest.CaptureFixture[str],
                                   text: str, message: str) -> None:
    before = filled.read_bytes()
    src = tmp_path / "bad.csv"
    src.write_text(text)
    assert _archcue(filled, "import", str(src), "--units", "newton", "--runner", "ana") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"archcue: {src}") and message in err and "Traceback" not in err
    assert filled.read_bytes() == before


def test_a_firmware_failure_changes_nothing(tmp_path: Path, filled: Path, run_csv: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise engine.FirmwareError("firmware exited with 1")

    monkeypatch.setattr(engine, "run_firmware", crash)
    before = _rows(filled)
    assert _archcue(filled, "import", str(run_csv), "--units", "newton", "--runner", "ana", "--foot", "left") == 1
    assert _rows(filled) == before


def test_a_failure_inside_the_store_transaction_changes_nothing(tmp_path: Path, filled: Path, run_csv: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    def fail(self: Store) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "_drop_empty_runners", fail)  # the last statement of the import's transaction
    before = _rows(filled)
    assert _archcue(filled, "import", str(run_csv), "--units", "newton", "--runner", "bo", "--foot", "left") == 1
    assert "the disk failed a read or a write (disk I/O error); nothing was changed" in capsys.readouterr().err
    assert _rows(filled) == before


def test_no_steps_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "still.csv"
    src.write_text("t_ms,heel\n" + "".join(f"{5 * k},0\n" for k in range(2000)))
    store = tmp_path / "s.sqlite"
    assert _archcue(store, "import", str(src), "--units", "newton", "--runner", "ana") == 1
    assert "the firmware found no steps in 10 s of the right foot; nothing imported" in capsys.readouterr().err
    assert not store.exists()


@pytest.mark.parametrize("args,message", [
    (["--format", "moticon", "--foot", "left", "--units", "adc"], "--units adc does not apply"),
    ([], "--units newton|adc: say what the CSV's channel columns hold"),
    (["--units", "newton", "--started-at", "yesterday"], "--started-at 'yesterday': not a date and time"),
    (["--units", "newton", "--rate", "20"], "--rate 20 Hz is outside the firmware's 50..1000 Hz"),
    (["--units", "newton", "--runner", "a\x07b"], "runner"),
    (["--units", "newton", "--config", "CONFIG"], "max_stance_ms: expected int"),
])
def test_bad_options_are_refused_before_any_run(tmp_path: Path, run_csv: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                message: str) -> None:
    monkeypatch.setattr(engine, "run_firmware", lambda *a, **k: pytest.fail("the firmware ran"))
    config = tmp_path / "c.json"
    config.write_text('{"max_stance_ms": "long"}')
    args = [str(config) if a == "CONFIG" else a for a in args]
    runner = [] if "--runner" in args else ["--runner", "ana"]
    assert _archcue(tmp_path / "s.sqlite", "import", str(run_csv), *runner, *args) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s.sqlite").exists()


def test_progress_line_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Terminal(), io.StringIO()
    importer.RunProgress(45 * 60_000, tty)(12 * 60_000 + 30_000)
    importer.RunProgress(45 * 60_000, pipe)(12 * 60_000)
    assert tty.getvalue() == "\rfirmware: 12:30 of 45:00 (28%)   " and pipe.getvalue() == ""


def test_a_report_on_imported_runs_gives_no_insole_advice(tmp_path: Path, run_csv: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Through the store: the session's `imported` provenance reaches the report's words."""
    store = tmp_path / "s.sqlite"
    assert _archcue(store, "import", str(run_csv), "--units", "newton", "--runner", "ana") == 0
    assert [r.imported for r in Store(store).sessions("ana")] == ["csv"]
    capsys.readouterr()
    assert _archcue(store, "report", "ana", "--all") == 0  # a short recording: listed with --all
    out = capsys.readouterr().out
    assert "date unknown (imported" in out and "the import's --config cue mode" in out
    assert "`archcue import FILE --runner RUNNER --config C.json`" in out
    for insole_words in ("insole clock", "button", "archcue pull"):
        assert insole_words not in out, insole_words
