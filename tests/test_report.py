"""The coach's answer: analysis verdicts against simulator truth, the CLI, the report
rendered in headless Chromium, and exports."""
from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from hardware.board_data import load_board
from host.cli import main as archcue
from host.store.db import Store
from simulator.device import run_synth
from simulator.scenario import load_scenario
from simulator.synth import generate
from simulator.validate import PROTOCOL, verdicts

CHROMIUM = shutil.which("chromium")


def _store_with_run(tmp_path: Path, scenario: str, seconds: float, seed: int = 3, runner: str = "ana") -> Path:
    run = generate(load_scenario(scenario), seed=seed, seconds=seconds)
    work = tmp_path / f"run-{scenario}-{seed}"
    run_synth(run, load_board(), {**PROTOCOL, "runner_id": runner}, work)
    db = tmp_path / "s.sqlite"
    Store(db).import_device(work / "device")
    return db


@pytest.fixture(scope="module")
def responder_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _store_with_run(tmp_path_factory.mktemp("resp"), "responder", 1800)


def test_verdicts_follow_the_truth_over_seeds() -> None:
    # the full 40-seed validation is in `make bench`; here a quicker sample of it
    responder = verdicts("responder", range(101, 107), 1800)
    non = verdicts("non_responder", range(101, 107), 1800)
    assert responder["stabilizes"] >= 5, responder
    assert non["stabilizes"] + non["destabilizes"] <= 1, non


def test_two_minutes_is_not_enough(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = _store_with_run(tmp_path, "responder", 120)
    assert archcue(["--store", str(db), "report", "ana", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "insufficient_data" and out["shortfalls"]


def test_json_report_carries_verdict_effects_and_counts(
    responder_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert archcue(["--store", str(responder_store), "report", "ana", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "stabilizes" and out["basis"] == "blocks"
    c = out["primary"]
    assert c["collapse_ratio"]["high"] < 1 and c["steps_a"] >= 150 and c["steps_b"] >= 150
    assert {"estimate", "low", "high"} <= set(c["arch_cv_ratio"]) and out["landings"]["judged"] > 0
    assert archcue(["--store", str(responder_store), "report", "ana"]) == 0
    assert "VERDICT: stabilizes" in capsys.readouterr().out


def test_html_report_renders_with_every_figure_in_chromium(responder_store: Path, tmp_path: Path) -> None:
    assert CHROMIUM, "Debian's chromium is needed: `make test` installs it"
    page = tmp_path / "report.html"
    assert archcue(["--store", str(responder_store), "report", "ana", "--out", str(page)]) == 0
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tempfile.mkdtemp()}", "--virtual-time-budget=5000", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert 'data-figures-rendered="3/3"' in dom, dom[:500]  # one session: no trend figure
    assert "stabilizes" in dom and "http" not in page.read_text().split("<body>")[1]  # self-contained


def test_export_and_listing(responder_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert archcue(["--store", str(responder_store), "export", "ana", "--csv", str(tmp_path / "out")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "out" / "steps.csv")))
    assert len(rows) > 2000 and {"ic_ms", "to_ms", "collapse", "toe_engaged", "cued", "block"} <= set(rows[0])
    readme = (tmp_path / "out" / "README.txt").read_text()
    for column in rows[0]:  # every column is explained, and carries its unit in its name or the README
        assert column in readme, column
    assert {"arch_share_pct", "loading_rate_n_per_s", "toe_load_n", "peak_load_n"} <= set(rows[0])
    assert not {"arch_share", "loading_rate", "toe_load", "peak_total"} & set(rows[0])  # no bare firmware units
    assert 0 < float(rows[100]["arch_share_pct"]) < 100
    [session] = list(csv.DictReader(open(tmp_path / "out" / "sessions.csv")))
    assert int(session["steps"]) == len(rows) and session["sealed"] == "1"
    assert archcue(["--store", str(responder_store), "runners"]) == 0
    assert "ana" in capsys.readouterr().out


def test_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = ["--store", str(tmp_path / "empty.sqlite")]
    assert archcue(empty + ["report", "ana"]) == 1
    assert "no store at" in capsys.readouterr().err and not (tmp_path / "empty.sqlite").exists()
    Store(tmp_path / "empty.sqlite").close()
    assert archcue(empty + ["report", "ana"]) == 1
    assert "is empty" in capsys.readouterr().err
    db = _store_with_run(tmp_path, "rearfoot_easy", 30)
    assert archcue(["--store", str(db), "report", "bob"]) == 1
    err = capsys.readouterr().err
    assert "no runner 'bob'" in err and "known: ana" in err


def test_a_session_with_no_steps_is_reported_not_crashed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.sessionfiles import sealed_session

    data = sealed_session(0, sid="dev-000001", runner="cara", device="dev")
    Store(tmp_path / "s.sqlite").import_session(data, hashlib.sha256(data).hexdigest())
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "report", "cara"]) == 0
    assert "insufficient_data" in capsys.readouterr().out


def test_out_extension_decides_the_format_or_is_refused(responder_store: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--store", str(responder_store), "report", "ana"]
    assert archcue(base + ["--out", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["verdict"] == "stabilizes"
    assert archcue(base + ["--out", str(tmp_path / "r.pdf")]) == 1
    assert "not .pdf" in capsys.readouterr().err and not (tmp_path / "r.pdf").exists()
    assert archcue(base + ["--format", "json", "--out", str(tmp_path / "r.html")]) == 1
    assert "--format is json" in capsys.readouterr().err
    assert archcue(base + ["--margin", "0"]) == 1


def test_the_equivalence_basis_is_a_report_option(responder_store: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--store", str(responder_store), "report", "ana", "--format", "json"]
    for basis in ("itt+as-treated", "complier"):
        assert archcue(base + ["--equivalence", basis]) == 0
        assert json.loads(capsys.readouterr().out)["rule"]["equivalence"] == basis
    assert archcue(base) == 0
    assert json.loads(capsys.readouterr().out)["rule"]["equivalence"] == "itt+as-treated"
    with pytest.raises(SystemExit):
        archcue(base + ["--equivalence", "itt"])
    assert "invalid choice: 'itt'" in capsys.readouterr().err


def test_a_failed_write_leaves_the_old_file_and_no_part(responder_store: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from host.reports import export

    out = tmp_path / "r.txt"
    out.write_text("the old report\n")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.os, "fsync", full_disk)  # the disk fills as the report is written
    assert archcue(["--store", str(responder_store), "report", "ana", "--out", str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert archcue(["--store", str(responder_store), "export", "ana", "--csv", str(tmp_path / "csv")]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_text() == "the old report\n" and sorted(p.name for p in tmp_path.iterdir()) == ["csv", "r.txt"]
    assert list((tmp_path / "csv").iterdir()) == []


def test_since_and_session_choose_what_is_reported(responder_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--store", str(responder_store), "report", "ana", "--format", "json"]
    [sid] = [s.id for s in Store(responder_store).sessions("ana")]
    assert archcue(base + ["--session", sid]) == 0
    assert [r["session"] for r in json.loads(capsys.readouterr().out)["sessions"]] == [sid]
    assert archcue(base + ["--session", "nope-000001"]) == 1
    assert "no session nope-000001" in capsys.readouterr().err
    assert archcue(base + ["--since", "2026-13-45"]) == 1
    assert "not a date" in capsys.readouterr().err
    assert archcue(base + ["--since", "2020-01-01"]) == 1  # the simulated run's clock was never set
    assert "1 of unknown date" in capsys.readouterr().err


def test_export_neutralises_spreadsheet_formulas(tmp_path: Path) -> None:
    from tests.sessionfiles import sealed_session

    data = sealed_session(0, sid="dev-000001", runner='=HYPERLINK("x")', device="dev")
    Store(tmp_path / "s.sqlite").import_session(data, hashlib.sha256(data).hexdigest())
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "export", '=HYPERLINK("x")', "--csv",
                    str(tmp_path / "out")]) == 0
    [row] = list(csv.DictReader(open(tmp_path / "out" / "sessions.csv")))
    assert row["runner"] == "'=HYPERLINK(\"x\")"


def test_the_demo_hint_runs_as_printed_in_a_fresh_shell(responder_store: Path) -> None:
    from simulator.commands.demo import hint

    line = hint(responder_store, "report", "ana")
    out = subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", "bash", "-c", line], capture_output=True, text=True,
                         cwd="/", timeout=120)
    assert out.returncode == 0, out.stderr
    assert "VERDICT: stabilizes" in out.stdout


def test_a_damaged_session_is_named_in_the_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.block_steps import block_run
    from tests.sessionfiles import flip, record_offset, sealed_session

    data = sealed_session(0, steps=block_run(12, 1))  # a run (12 minutes: two blocks), one record corrupt
    bad = flip(data, record_offset(data, 20) + 9)
    Store(tmp_path / "s.sqlite").import_session(bad, hashlib.sha256(bad).hexdigest())
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "report", "ana"]) == 0
    out = capsys.readouterr().out
    assert "dev1-000001 (damaged: 1 corrupt record(s) at 20; every record that passed its CRC is here)" in out


def test_a_two_insole_run_pairs_by_time_with_per_foot_verdicts_and_asymmetry(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Left and right insoles of one run through the firmware, their clocks set by an earlier
    pull (a few seconds apart): one run, a verdict per foot, the asymmetry line and figure."""
    db = tmp_path / "s.sqlite"
    for foot, seed, clock in (("right", 5, "2026-11-24T07:00:00"), ("left", 6, "2026-11-24T07:00:05")):
        work = tmp_path / foot
        (work / "device").mkdir(parents=True)
        (work / "device" / "sim_clock.json").write_text(f'"{clock}"')  # as set_clock() leaves it
        (work / "device" / "sim_id").write_text(f"sim-{foot}")  # two insoles
        run_synth(generate(load_scenario("responder"), seed=seed, seconds=900), load_board(),
                  {**PROTOCOL, "warmup_s": 180, "runner_id": "ana", "foot": foot}, work)
        Store(db).import_device(work / "device")
    assert archcue(["--store", str(db), "report", "ana", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert sorted((s["foot"], s["started_at"]) for s in out["sessions"]) == [
        ("left", "2026-11-24T07:00:05"), ("right", "2026-11-24T07:00:00")]
    assert out["primary"]["clusters_a"] == 6  # 12 minutes of blocks, each minute of both feet once
    assert set(out["per_foot_verdict"]) == {"left", "right"} and out["verdict"] == "stabilizes"
    asym = out["asymmetry"]
    assert asym["runs"] == 1 and asym["windows"] >= 14 and asym["diff"]["low"] < asym["diff"]["estimate"]
    assert archcue(["--store", str(db), "report", "ana"]) == 0
    text_out = capsys.readouterr().out
    assert "left foot alone: " in text_out and "Left against right, over " in text_out
    page = tmp_path / "r.html"
    assert archcue(["--store", str(db), "report", "ana", "--out", str(page)]) == 0
    assert "<b>Left and right foot.</b>" in page.read_text()
