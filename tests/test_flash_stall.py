"""The session log's flash work under the simulator's flash-stall model: every stall
starts in swing, none costs a landing window at the typical datasheet times, and the
sampler reports the frames the stalls cost."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.device import run_synth
from simulator.flashstall import stall_effect
from simulator.scenario import load_scenario
from simulator.synth import generate


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, board: dict) -> dict:
    run = generate(load_scenario("rearfoot_tempo"), seed=2, seconds=300)
    out = {}
    for mode in ("typical", "worst"):
        result = run_synth(run, board, {"cue_mode": "every"}, tmp_path_factory.mktemp(mode), flash_stall=mode)
        out[mode] = (result, stall_effect(result.stalls, result.truth, run.rate_hz, len(run.counts), 60))
    return {"run": run, **out}


def test_every_stall_starts_in_swing(runs: dict) -> None:
    result, effect = runs["typical"]
    stances = [(s["ic_ms"], s["to_ms"]) for s in result.truth]
    assert effect.stalls >= 5
    for t, us, _ in result.stalls:
        inside = [(ic, to) for ic, to in stances if ic <= t <= to]
        assert not inside, f"stall of {us} us at {t} ms inside the stance {inside}"


def test_typical_stalls_hit_no_landing_window_and_are_counted(runs: dict) -> None:
    result, effect = runs["typical"]
    assert effect.windows_hit == 0 and effect.lost > 0
    m = re.search(r"\((\d+) missed by the sampler\)", result.log)
    assert m and int(m.group(1)) == effect.lost  # the app saw every lost frame
    assert "longest loop stall" in result.log and "collections in swing" in result.log


def test_worst_case_stalls_cost_more(runs: dict) -> None:
    typical, worst = runs["typical"][1], runs["worst"][1]
    assert worst.lost > 5 * typical.lost and worst.longest_ms > 300


def test_serve_runs_the_virtual_insole_with_the_flash_stall_model(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from tests.helpers import wait_for

    stalls = tmp_path / "sim" / "stalls.csv"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "serve",
            "--scenario",
            "rearfoot_easy",
            "--speed",
            "100",
            "--flash-stall",
            "worst",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: stalls.exists() and len(stalls.read_text().splitlines()) >= 3)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    rows = [tuple(map(int, line.split(","))) for line in stalls.read_text().splitlines()]
    assert max(us for _, us, _ in rows) >= 300_000  # a worst-case 4 KiB erase (400 ms) among them
