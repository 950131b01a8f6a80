"""`archcue export --format parquet` (issue 25 items 2, 4, 5): a dataset DuckDB, Polars and PyArrow
read as it is (Spark: bench_squad.py), the CSV export's step columns, exporting again adds only
what is new, --pseudonymize leaves no name or note text in any file, and bad input is refused
in one line with nothing overwritten."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.dataset as pds
import pyarrow.parquet as pq
import pytest

from host.cli import main as archcue
from host.reports.export import STEP_COLUMNS, step_table
from host.reports.export_parquet import MANIFEST, SCHEMA_VERSION, VERSION_KEY, path_value
from host.store.db import Store
from tests.block_steps import block_run
from tests.squad_store import Truth, add_runner, add_session

NAMES = ["Ana Lopes", "Zoë/🏃 =%2F", "1234567"]  # Unicode, path separators, escapes, a name that looks like a number
DRILL = "Zehenkrallen nach Gefühl"  # a drill in the coach's own words: free text


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ds") / "s.sqlite"
    s = Store(path)
    for i, name in enumerate(NAMES):
        add_runner(s, Truth(name, True, 0.5, 0.4, 0.6, 0.15), 20, i, datetime(2026, 11, 2 + i, 7))
    s.add_note([s.sessions("Ana Lopes")[0].id], pain_during=3, knee="right", drill=DRILL)
    s.close()
    return path


def _export(store: Path, folder: Path, *more: str) -> int:
    return archcue(["--store", str(store), "export", "--format", "parquet", str(folder), *more])


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_engines_read_it_as_it_is(store: Path, tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    assert _export(store, ds) == 0
    s = Store(store, create=False)
    want = {name: sum(r.n_steps for r in s.sessions(name)) for name in NAMES}
    glob = str(ds / "steps" / "**" / "*.parquet")
    got = dict(duckdb.sql(f"SELECT runner, count(*) FROM read_parquet('{glob}', hive_partitioning = true, "
                          "hive_types = {'runner': VARCHAR}) GROUP BY runner").fetchall())
    assert got == want
    frame = pl.scan_parquet(str(ds / "steps") + "/", hive_partitioning=True,
                            hive_schema={"runner": pl.String, "session": pl.String}).collect()
    assert dict(frame.group_by("runner").len().iter_rows()) == want
    table = pds.dataset(ds / "steps", format="parquet", partitioning="hive").to_table()
    assert sorted(set(table["session"].to_pylist())) == sorted(r.id for r in s.sessions())
    for t in ("sessions", "runs", "notes", "verdicts"):
        assert pq.read_table(ds / t).num_rows == {"sessions": 6, "runs": 6, "notes": 1, "verdicts": 3}[t]
    runs = pq.read_table(ds / "runs").to_pylist()
    assert len({r["run"] for r in runs}) == 3  # both insoles of each run, paired


def test_step_columns_are_the_csv_exports(store: Path, tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    _export(store, ds)
    row, steps = Store(store, create=False).runner_steps("Ana Lopes")[0]
    f = ds / "steps" / "runner=Ana%20Lopes" / f"session={path_value(row.id)}" / "part-0.parquet"
    t = pq.read_table(f)
    assert t.column_names[:len(STEP_COLUMNS) - 1] == list(STEP_COLUMNS[1:])
    for name, values in zip(STEP_COLUMNS[2:], step_table(steps)):
        assert np.array_equal(t[name].to_numpy(), values.astype(bool) if values.dtype == np.int8 else values), name
    assert (pq.read_schema(f).metadata or {})[VERSION_KEY] == str(SCHEMA_VERSION).encode()
    schema = json.loads((ds / "schema.json").read_text())
    assert [c["name"] for c in schema["tables"]["steps"]["columns"]] == t.column_names
    assert "newtons" in (ds / "README.txt").read_text()


def test_again_adds_only_what_is_new(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(store.read_bytes())
    ds = tmp_path / "ds"
    _export(path, ds)
    before = {p: ds.joinpath(p).stat().st_mtime_ns for p in _files(ds) if p.startswith("steps/")}
    capsys.readouterr()
    assert _export(path, ds) == 0
    assert "0 sessions added (0 steps), 0 runners written, 3 unchanged" in capsys.readouterr().out
    s = Store(path)
    add_session(s, "ana-extra", "Ana Lopes", "left", "2026-11-20T07:00:00", block_run(20, 9))
    s.add_note([s.sessions("1234567")[0].id], pain_after=1, knee="left")
    assert _export(path, ds) == 0
    assert "1 session added (1,699 steps), 2 runners written, 1 unchanged" in capsys.readouterr().out
    after = {p: ds.joinpath(p).stat().st_mtime_ns for p in _files(ds) if p.startswith("steps/")}
    assert {p: after[p] for p in before} == before  # no steps file rewritten
    assert set(after) - set(before) == {"steps/runner=Ana%20Lopes/session=ana-extra/part-0.parquet"}
    assert pq.read_table(ds / "notes").num_rows == 2 and pq.read_table(ds / "verdicts").num_rows == 3
    s.assign(["ana-extra"], "1234567")  # a move: the session's steps follow it
    assert _export(path, ds) == 0
    assert "1 moved between runners" in capsys.readouterr().out
    assert not (ds / "steps" / "runner=Ana%20Lopes" / "session=ana-extra").exists()
    assert (ds / "steps" / "runner=1234567" / "session=ana-extra" / "part-0.parquet").exists()
    assert sorted(pq.read_table(ds / "sessions").filter(pa.compute.equal(
        pq.read_table(ds / "sessions")["session"], "ana-extra"))["runner"].to_pylist()) == ["1234567"]


def test_pseudonymized_holds_no_name_and_no_note_text(store: Path, tmp_path: Path) -> None:
    ds, key = tmp_path / "ds", tmp_path / "coach.key"
    assert _export(store, ds, "--pseudonymize", "--key", str(key)) == 0
    s = Store(store, create=False)
    secrets = NAMES + [DRILL] + [r.id for r in s.sessions()] + [r.device for r in s.sessions()]
    for rel, data in _files(ds).items():
        text = rel + data.decode("latin-1") + data.decode("utf-8", "replace")
        if rel.endswith(".parquet"):  # compressed on disk: read every value and the metadata too
            text += json.dumps(pq.read_table(ds / rel).to_pylist(), default=str, ensure_ascii=False)
            text += str(pq.read_schema(ds / rel).metadata)
        for secret in secrets:
            assert secret not in text, (rel, secret)
    notes = pq.read_table(ds / "notes").to_pylist()
    assert notes[0]["drill"] == "other" and notes[0]["pain_during"] == 3
    # the same key, the same pseudonyms: a second dataset names every runner alike
    assert _export(store, tmp_path / "ds2", "--pseudonymize", "--key", str(key)) == 0
    assert (sorted(pq.read_table(ds / "verdicts")["runner"].to_pylist())
            == sorted(pq.read_table(tmp_path / "ds2" / "verdicts")["runner"].to_pylist()))
    assert key.stat().st_mode & 0o077 == 0


def _refused(store: Path, ds: Path, capsys: pytest.CaptureFixture, says: str, *more: str) -> None:
    before = _files(ds)
    assert _export(store, ds, *more) == 1
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1, err
    assert _files(ds) == before  # nothing overwritten, nothing added


def test_bad_input_refused_in_one_line(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("my notes")
    _refused(store, notes, capsys, "is not an archcue dataset")
    ds = tmp_path / "ds"
    _export(store, ds)
    _refused(store, ds, capsys, "is not pseudonymized", "--pseudonymize", "--key", str(tmp_path / "k"))
    other = tmp_path / "other.sqlite"  # another coach's store
    o = Store(other)
    add_runner(o, Truth("zed", False, 1.0, 0.4, 0.6, 0.15), 15, 7)
    o.close()
    _refused(other, ds, capsys, "holds 6 session(s) this store does not have")
    old = ds / "steps" / "runner=Ana%20Lopes" / "session=old" / "part-0.parquet"  # a file of another schema version
    old.parent.mkdir()
    pq.write_table(pa.table({"ic_ms": [1]}).replace_schema_metadata({VERSION_KEY: b"0"}), old)
    _refused(store, ds, capsys, "mixed schema versions: 1 file(s) of version 0")
    old.unlink()
    manifest = json.loads((ds / MANIFEST).read_text())
    (ds / MANIFEST).write_text(json.dumps({**manifest, "schema_version": SCHEMA_VERSION + 1}))
    _refused(store, ds, capsys,
             f"dataset schema version {SCHEMA_VERSION + 1}, this archcue reads and writes {SCHEMA_VERSION}")
    pseudo = tmp_path / "pseudo"
    _export(store, pseudo, "--pseudonymize", "--key", str(tmp_path / "k1"))
    _refused(store, pseudo, capsys, "pseudonymized with another key", "--pseudonymize", "--key", str(tmp_path / "k2"))
    _refused(store, pseudo, capsys, "is pseudonymized; export with --pseudonymize")
    (tmp_path / "bad.key").write_text("not hex")
    _refused(store, pseudo, capsys, "not a pseudonym key", "--pseudonymize", "--key", str(tmp_path / "bad.key"))


def test_usage_errors(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert archcue(["--store", str(store), "export", "--format", "parquet", str(tmp_path), "--since", "2026-01-01"
                    ]) == 1
    assert "every runner, every session" in capsys.readouterr().err
    assert archcue(["--store", str(store), "export", "ana"]) == 1
    assert "archcue export RUNNER --csv DIR" in capsys.readouterr().err
    assert archcue(["--store", str(store), "export", "--format", "parquet", str(tmp_path / "d"), "--key", "k"]) == 1
    assert "give it with --pseudonymize" in capsys.readouterr().err


def test_key_made_beside_the_store(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(store.read_bytes())
    assert _export(path, tmp_path / "ds", "--pseudonymize") == 0
    key = tmp_path / "s.sqlite.pseudonym-key"
    assert str(key) in capsys.readouterr().out and len(bytes.fromhex(key.read_text().strip())) == 32
    assert hashlib.sha256(key.read_bytes()).hexdigest() not in _files(tmp_path / "ds")[MANIFEST].decode()
