"""The hips-or-feet protocol's loading per arm on a run replayed through the firmware (the
foreign signal model, `archcue import --config` with an arm order), and its agreement with the
toe-curl report on the same run."""
from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from firmware.core import arms
from host.cli import main
from host.hips_or_feet.answer import ARMS
from host.hips_or_feet.loading import loading_per_arm
from host.store.db import Store
from host.store.records import flag
from tests.foreign_runner import Protocol
from tests.foreign_runner import generate as foreign
from tests.helpers import drill_session

ORDER = "fhsn hsnf nfhs"
WARMUP_S, BLOCK_S = 30, 20


@dataclass
class Arms(Protocol):
    """The runner curls the toes in the feet arm's blocks only (hips and sham ask other things)."""

    def cue_on(self, t_ms: float) -> bool:
        k = int((t_ms - self.warmup_s * 1000) // (self.block_s * 1000))
        return t_ms >= self.warmup_s * 1000 and 0 <= k < 12 and arms.parse_arms(ORDER)[k] == arms.ARM_FEET


def archcue(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(args))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("arms")
    protocol = Arms(warmup_s=WARMUP_S, block_s=BLOCK_S, collapse_relaxed=0.45, collapse_engaged=0.45 * 0.35)
    foreign(seconds=WARMUP_S + 12 * BLOCK_S + 5, protocol=protocol, seed=3).write_csv(tmp / "run.csv")
    config = tmp / "cue.json"
    config.write_text(json.dumps({"cue_mode": "blocks", "warmup_s": WARMUP_S, "block_s": BLOCK_S, "arm_order": ORDER}))
    path = tmp / "s.sqlite"
    code, _ = archcue("--store", str(path), "import", str(tmp / "run.csv"), "--units", "newton", "--config",
                      str(config), "--runner", "ana")
    assert code == 0
    return path


def test_every_arm_is_in_the_run_and_the_order_in_its_header(store: Path) -> None:
    s = Store(store)
    [row] = s.sessions("ana")
    assert s.headers([row.id])[row.id]["config"]["arm_order"] == ORDER
    steps = s.steps(row.id)
    cue_block = set(steps["block"][flag(steps, "cue_block")])
    assert cue_block == {b + 1 for b, a in enumerate(ORDER.replace(" ", "")) if a != "n"}  # every cue arm's block
    loading = {x.arm: x for x in loading_per_arm(s, s.runner_steps("ana"))}
    assert set(loading) == set(ARMS) and all(x.blocks == 3 for x in loading.values())
    assert loading["feet"].collapse_rate < loading["none"].collapse_rate  # curled toes: fewer collapses


def test_the_feet_arm_agrees_with_the_toe_curl_report(store: Path) -> None:
    s = Store(store)
    loading = {x.arm: x for x in loading_per_arm(s, s.runner_steps("ana"))}
    code, out = archcue("--store", str(store), "report", "ana", "--format", "json")
    assert code == 0
    primary = json.loads(out)["primary"]
    # the report's buzz-on blocks are the feet arm's, its buzz-off ones the no-cue arm's: hips and sham left out
    # (a: buzz on, b: off)
    assert primary["steps_a"] == loading["feet"].landings and primary["steps_b"] == loading["none"].landings
    assert primary["clusters_a"] == primary["clusters_b"] == 3
    assert primary["collapse_rate_a"] == pytest.approx(loading["feet"].collapse_rate)
    assert primary["collapse_rate_b"] == pytest.approx(loading["none"].collapse_rate)


def test_loading_per_arm_is_printed_with_the_caveat(store: Path) -> None:
    code, out = archcue("--store", str(store), "hips-or-feet", "--runner", "ana")
    assert code == 0 and "cannot see hip motion" in out
    assert [line.split()[0] for line in out.splitlines()[1:5]] == list(ARMS)


def test_squad_cohort_and_dataset_read_the_verdicts_view(store: Path, tmp_path: Path) -> None:
    """The squad's summary, the cohort (on the store and on the dataset) and the exported steps
    read a protocol run as the report does: its feet arm against no cue, hips and sham left out;
    a drill session of the runner is a sessions row only (it held the export up before)."""
    import shutil

    import pyarrow.parquet as pq

    from host.squad.cohort import on_dataset, on_store
    from host.squad.summaries import all_summaries

    path = tmp_path / "s.sqlite"
    shutil.copyfile(store, path)
    drill = drill_session(path, tmp_path, "ana")
    code, out = archcue("--store", str(path), "report", "ana", "--format", "json")
    report = json.loads(out)
    primary = report["primary"]
    s = Store(path)
    summary = all_summaries(s, workers=1)["ana"]
    assert (summary.verdict, summary.steps, summary.judged) == (report["verdict"], report["landings"]["total"],
                                                                report["landings"]["judged"])
    assert summary.steps < s.steps(s.sessions("ana")[0].id).size  # the hips and sham blocks' landings left out
    ds = tmp_path / "ds"
    assert archcue("--store", str(path), "export", "--format", "parquet", str(ds))[0] == 0
    steps = pq.read_table(ds / "steps", columns=["block", "arm", "in_verdict", "judged"]).to_pydict()
    sessions = pq.read_table(ds / "sessions").to_pydict()
    assert dict(zip(sessions["session"], sessions["kind"]))[drill] == "drills"
    assert drill not in pq.read_table(ds / "runs").to_pydict()["session"]
    letters = ORDER.replace(" ", "")
    rows = list(zip(steps["block"], steps["arm"], steps["in_verdict"], steps["judged"]))
    assert all(arm == (ARMS["nfhs".index(letters[b - 1])] if 1 <= b <= len(letters) else None)
               for b, arm, _, _ in rows)
    assert all(kept == (b == 0 or arm in ("none", "feet")) for b, arm, kept, _ in rows)
    judged_in_blocks = sum(kept and judged and b > 0 for b, _, kept, judged in rows)
    assert judged_in_blocks == primary["steps_a"] + primary["steps_b"]
    assert on_store(s).judged == on_dataset(ds).judged == judged_in_blocks
    s.close()
