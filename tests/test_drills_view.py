"""archcue drills RUNNER: the figures per drill and week, their spread and the smallest change
above noise, eyes and feet compared, adherence against the plan; the JSON's exact shape; the run
report's next steps naming the drills done since."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from host.drills import render, view
from host.reports.report import _drills_done
from host.sources.importer import Options, import_recording
from host.store.db import Store
from tests import foreign_drills as fd

KEYS = ["session", "started_at", "drill", "foot", "eyes", "trial", "held_s", "touchdowns", "reps", "curls", "cycles"]
# (file, drill, foot, eyes, started_at, seed)
SETS = [("b1", "balance", "left", "open", "2026-11-02T08:00", 1),
        ("b2", "balance", "left", "open", "2026-11-02T18:00", 2),
        ("b3", "balance", "left", "closed", "2026-11-04T08:00", 3),
        ("b4", "balance", "right", "open", "2026-11-06T08:00", 4),
        ("s1", "short-foot", "left", None, "2026-11-09T08:00", 5),
        ("t1", "toe-waver", "right", None, "2026-11-10T08:00", 6)]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("drills")
    path = tmp / "s.sqlite"
    make = {"balance": fd.balance, "short-foot": fd.short_foot, "toe-waver": fd.toe_waver}
    for name, drill, foot, eyes, at, seed in SETS:
        rec = make[drill](fd.performer("fair", foot, seed), seed=seed)
        csv = tmp / f"{name}.csv"
        rec.write_csv(csv)
        import_recording(path, Options(csv, "ana", foot, None, "newton", started_at=at, drill=drill, eyes=eyes),
                         note=lambda _: None)
    return path


def test_json_shape(store_path: Path) -> None:
    store = Store(store_path)
    v = view.build(store, "ana", date(2026, 11, 11))
    out = json.loads(render.to_json(v))
    assert out["runner"] == "ana" and out["trials"]
    for row in out["trials"]:
        assert list(row) == KEYS
        if row["drill"] == "balance":
            assert row["held_s"] is not None and row["reps"] is None and row["cycles"] is None
        elif row["drill"] == "short-foot":
            assert row["reps"] is not None and row["curls"] is not None and row["held_s"] is None
        else:
            assert row["cycles"] is not None and row["eyes"] is None and row["reps"] is None
    assert sum(r["drill"] == "balance" for r in out["trials"]) == 12  # 3 trials a set
    store.close()


def test_spread_and_smallest_change(store_path: Path) -> None:
    store = Store(store_path)
    sets = [s for s in view.sets_of(store, "ana") if s.drill == "balance" and s.foot == "left" and s.eyes == "open"]
    f = view.figures(sets)
    held = [t["held_ms"] / 1000 for s in sets for t in s.of("trial")]
    assert f.values == held and len(held) == 6
    # both sets on one day: the spread is their pooled within-day SD
    m = sum(held) / 6
    assert math.isclose(f.sd, math.sqrt(sum((x - m) ** 2 for x in held) / 5))
    assert math.isclose(view.smallest_change(f.sd, 6), 1.96 * math.sqrt(2) * f.sd / math.sqrt(6))
    text = render.text(view.build(store, "ana", date(2026, 11, 11)))
    assert f"left, eyes open: a week's mean moving by more than {view.smallest_change(f.sd, 6):.1f} s held" in text
    assert "eyes open against closed, left foot" in text and "left against right, one-foot balance" in text
    assert "self-reported" in text
    store.close()


def test_adherence_against_default_and_plan(store_path: Path) -> None:
    store = Store(store_path)
    sets = view.sets_of(store, "ana")
    a = view.adherence(sets, None, date(2026, 11, 11))
    assert a.days == {"2026-W45": 3, "2026-W46": 2} and a.per_week == 3 and not a.planned
    assert a.streak == 1  # this week is not over (2 of 3 so far): the streak runs to last week, which met it
    b = view.adherence(sets, {"drills": {"per_week": 2}}, date(2026, 11, 11))
    assert b.planned and b.streak == 2
    store.close()


def test_cli_text_json_html(store_path: Path, tmp_path: Path) -> None:
    base = [sys.executable, "-m", "host.cli", "--store", str(store_path), "drills"]
    out = subprocess.run(base + ["ana"], capture_output=True, text=True)
    assert out.returncode == 0 and "One-foot balance" in out.stdout and "Toe waver" in out.stdout
    page = tmp_path / "ana.html"
    out = subprocess.run(base + ["ana", "--out", str(page)], capture_output=True, text=True)
    assert out.returncode == 0 and page.read_text().startswith("<!doctype html>")
    bad = subprocess.run(base + ["bob"], capture_output=True, text=True)
    assert bad.returncode != 0 and "no runner 'bob'" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_report_next_steps_name_the_drills(store_path: Path) -> None:
    store = Store(store_path)
    done = view.done_since(store, "ana", "2026-11-05")
    assert done == {"balance": 1, "short-foot": 1, "toe-waver": 1}
    line = _drills_done("ana", done)[0]
    assert "balance 1 set, short-foot 1 set, toe-waver 1 set" in line and "archcue drills ana" in line
    assert "No drill sets" in _drills_done("ana", {})[0] and _drills_done("ana", None) == []
    store.close()


def test_toe_spreader_is_self_reported_from_notes(store_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s.sqlite"
    copy.write_bytes(store_path.read_bytes())
    store = Store(copy)
    sid = view.sets_of(store, "ana")[-1].session
    store.add_note([sid], drill="toe-spreader")
    assert view.spreader_notes(store, "ana") == ["2026-11-10"]
    assert "self-reported, no sensor sees it: noted on 1 day: 2026-11-10" in render.text(
        view.build(store, "ana", date(2026, 11, 11)))
    store.close()
