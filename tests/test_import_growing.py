"""The store never counts a run twice: a CSV still being written is refused (it changes while
it is read, or its last line has no end), and the finished recording imported after an
import of its beginning replaces that import. Imports read the file in chunks: memory does
not grow with rows (the 10 M-row figure is tests/bench_import.py's)."""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from host.cli import main
from host.sources import recording
from host.store.db import Store
from tests.foreign_runner import generate

HEADER = "t_ms,heel,arch,met1,met5,hallux,toes\n"


def _archcue(store: Path, *args: str) -> int:
    return main(["--store", str(store), *args])


def _lines(seconds: float, seed: int = 1) -> list[str]:
    run = generate(seconds=seconds, rate_hz=200, strike="rearfoot", seed=seed)
    return [",".join([f"{t:.0f}"] + [f"{f:.2f}" for f in row]) + "\n" for t, row in zip(run.t_ms, run.forces)]


def _settled(path: Path) -> None:
    """As if the recorder last wrote a while ago (no wait for SETTLE_S in the test)."""
    past = time.time() - 60
    os.utime(path, (past, past))


def _import(store: Path, path: Path, *extra: str) -> int:
    return _archcue(store, "import", str(path), "--units", "newton", "--runner", "ana", *extra)


def test_a_csv_still_being_written_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _lines(240)
    path = tmp_path / "run.csv"
    path.write_text(HEADER + "".join(lines[:6000]))
    done = threading.Event()

    def recorder() -> None:  # a logger appending a few lines every 50 ms
        with open(path, "a") as f:
            for k in range(6000, len(lines), 20):
                if done.is_set():
                    return
                f.write("".join(lines[k:k + 20]))
                f.flush()
                time.sleep(0.05)

    writer = threading.Thread(target=recorder)
    writer.start()
    try:
        assert _import(tmp_path / "s.sqlite", path) == 1
    finally:
        done.set()
        writer.join()
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"archcue: {path}") and ("still being written" in err), err
    assert not (tmp_path / "s.sqlite").exists()


def test_a_last_line_without_its_end_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _lines(60)
    path = tmp_path / "cut.csv"
    path.write_text(HEADER + "".join(lines[:3000]) + lines[3000][:9])  # cut inside a line
    _settled(path)
    assert _import(tmp_path / "s.sqlite", path) == 1
    [err] = capsys.readouterr().err.strip().splitlines()[-1:]
    assert err == (f"archcue: {path}:3002: the last line has no line end: the file was cut short or is still being "
                   "written; nothing imported (a complete file ends its last line with a newline)")
    assert not (tmp_path / "s.sqlite").exists()


def test_the_finished_recording_replaces_the_import_of_its_beginning(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The bar: imported while being written (the recorder paused), then again when finished:
    the finished recording's steps are counted once."""
    lines = _lines(240)
    path = tmp_path / "run.csv"
    path.write_text(HEADER + "".join(lines[:24000]))  # two minutes of four
    _settled(path)
    store = tmp_path / "s.sqlite"
    assert _import(store, path) == 0
    [first] = Store(store).sessions()
    assert _archcue(store, "note", first.id, "--pain-during", "3", "--knee", "left") == 0
    with open(path, "a") as f:
        f.write("".join(lines[24000:]))
    _settled(path)
    capsys.readouterr()
    assert _import(store, path) == 0
    out = capsys.readouterr().out
    [row] = Store(store).sessions()
    assert f"it replaces session {first.id} ({first.n_steps} steps)" in out
    whole = tmp_path / "whole.sqlite"
    assert _import(whole, path) == 0
    [alone] = Store(whole).sessions()
    assert row.id == alone.id and row.n_steps == alone.n_steps > first.n_steps  # counted once, whole
    assert np.array_equal(Store(store).steps(row.id), Store(whole).steps(alone.id))
    assert Store(store).notes([row.id])[row.id].pain_during == 3  # the coach's note moved over
    history = sqlite3.connect(store).execute("SELECT how FROM assignments WHERE session_id = ?", (row.id,)).fetchall()
    assert (f"import, replacing {first.id}",) in history
    assert _import(store, path) == 0 and len(Store(store).sessions()) == 1  # again: nothing added


def test_another_recording_that_starts_alike_is_not_replaced(tmp_path: Path) -> None:
    """Only a byte-for-byte beginning is the same recording: another run (another seed) is added."""
    store = tmp_path / "s.sqlite"
    for seed in (1, 2):
        path = tmp_path / f"run{seed}.csv"
        path.write_text(HEADER + "".join(_lines(120 * seed, seed)))
        _settled(path)
        assert _import(store, path) == 0
    assert len(Store(store).sessions()) == 2


def test_an_import_reads_the_file_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Structural: no chunk holds more than CHUNK_ROWS rows, and the session is the same at any
    chunk size (the frames too: the chunks join where they meet)."""
    path = tmp_path / "run.csv"
    path.write_text(HEADER + "".join(_lines(120)))
    _settled(path)
    sizes: list[int] = []
    real = recording.CsvRecording._chunk

    def spy(self: recording.CsvRecording, rows: list, *args: object) -> tuple:
        sizes.append(len(rows))
        return real(self, rows, *args)

    monkeypatch.setattr(recording.CsvRecording, "_chunk", spy)
    monkeypatch.setattr(recording, "CHUNK_ROWS", 1000)
    assert _import(tmp_path / "small.sqlite", path) == 0
    assert max(sizes) == 1000 and len(sizes) == 2 * 24  # 24,000 rows, read twice
    monkeypatch.setattr(recording, "CHUNK_ROWS", 1 << 20)
    assert _import(tmp_path / "big.sqlite", path) == 0
    [a], [b] = Store(tmp_path / "small.sqlite").sessions(), Store(tmp_path / "big.sqlite").sessions()
    assert np.array_equal(Store(tmp_path / "small.sqlite").steps(a.id), Store(tmp_path / "big.sqlite").steps(b.id))
