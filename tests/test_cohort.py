"""`archcue cohort` (issue 25 items 3 and 5): each runner's effect from SQL sums is the report's own,
the store and the dataset give the same numbers, and on simulated squads of 0%, 30% and 70%
responders the share's interval covers the truth and the pooled effects' intervals cover the
squad's mean effect (more squads: tests/bench_squad.py)."""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from host.cli import main as archcue
from host.reports.export_parquet import SCHEMA_VERSION, VERSION_KEY, export_dataset
from host.squad import cohort
from host.store.db import Store
from host.verdict.analysis import analyse
from tests.squad_store import build_squad, mean_log


@pytest.fixture(scope="module", params=[0.0, 0.3, 0.7])
def squad(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list]:
    folder = tmp_path_factory.mktemp("cohort")
    truths = build_squad(folder / "s.sqlite", 24, minutes=40, share=request.param, seed=7)
    export_dataset(Store(folder / "s.sqlite", create=False), folder / "ds")
    return folder / "s.sqlite", folder / "ds", truths


def test_intervals_cover_the_truth(squad: tuple[Path, Path, list]) -> None:
    _, ds, truths = squad
    c = cohort.on_dataset(ds)
    assert c.runners == 24 and c.share is not None and c.buzz is not None and c.curling is not None
    share = sum(t.responder for t in truths) / len(truths)
    assert c.share.low <= share <= c.share.high, (share, c.share)
    assert c.curling.low <= mean_log(truths, "ratio") <= c.curling.high
    assert c.buzz.low <= mean_log(truths, "buzz") <= c.buzz.high
    assert c.share.high - c.share.low < 0.6  # an interval that says something


def test_store_and_dataset_agree(squad: tuple[Path, Path, list]) -> None:
    store, ds, _ = squad
    a, b = cohort.on_dataset(ds), cohort.on_store(Store(store, create=False), chunk=5)
    assert (a.verdicts, a.judged) == (b.verdicts, b.judged)
    for x, y in ((a.buzz, b.buzz), (a.curling, b.curling), (a.share, b.share)):  # sums in another order: last digits
        assert dataclasses.astuple(x) == pytest.approx(dataclasses.astuple(y), rel=1e-12, abs=1e-15)


def test_each_runner_as_its_report(squad: tuple[Path, Path, list]) -> None:
    """The SQL's clusters are the report's: same sums, same order, same seed, same intervals."""
    store, ds, _ = squad
    con = cohort._duckdb()
    for name, src in cohort.dataset_views(ds).items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {src}")
    effects = cohort.runner_effects(con.execute(cohort.CLUSTERS_SQL).fetchall())
    s = Store(store, create=False)
    for runner in ("runner0000", "runner0013"):
        a = analyse(runner, s.runner_steps(runner))
        assert effects[runner] == (a.primary.collapse_ratio, a.primary.curling_ratio)


def test_cli_text_and_json(squad: tuple[Path, Path, list], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    store, ds, _ = squad
    assert archcue(["cohort", str(ds)]) == 0
    out = capsys.readouterr().out
    assert "Verdicts (each runner's own report" in out and "95% prediction interval" in out and "Responders" in out
    assert archcue(["--store", str(store), "cohort", "--out", str(tmp_path / "c.json")]) == 0
    data = json.loads((tmp_path / "c.json").read_text())
    assert sum(data["verdicts"].values()) == 24 and 0 < data["curling"]["ratio"]["estimate"] < 2
    assert math.isclose(data["curling"]["ratio"]["estimate"], math.exp(data["curling"]["mean"]))


def test_too_few_runners(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    build_squad(tmp_path / "s.sqlite", 3, minutes=30)
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "cohort"]) == 0
    assert "at least 6 are needed" in capsys.readouterr().out


def test_bad_input(squad: tuple[Path, Path, list], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    def refused(says: str, *argv: str) -> None:
        assert archcue(list(argv)) == 1
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1, err
    (tmp_path / "folder").mkdir()
    refused("is not an archcue dataset", "cohort", str(tmp_path / "folder"))
    refused("no such store or dataset folder", "cohort", str(tmp_path / "nothing"))
    (tmp_path / "notes.txt").write_text("not a store")
    refused("not a readable archcue store", "cohort", str(tmp_path / "notes.txt"))
    refused("reads a dataset folder", "cohort", str(squad[0]), "--engine", "spark")
    _, ds, _ = squad
    odd = ds / "runs" / "part-1.parquet"  # a table file of another schema version dropped in
    other = SCHEMA_VERSION + 1
    pq.write_table(pa.table({"runner": ["x"]}).replace_schema_metadata({VERSION_KEY: str(other).encode()}), odd)
    try:
        refused(f"mixed schema versions: 1 file(s) of version {other} (e.g. runs/part-1.parquet)", "cohort", str(ds))
    finally:
        odd.unlink()
