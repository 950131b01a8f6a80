"""The `archcue import` bar: runs of the independent signal model (tests/foreign_runner.py,
block protocol, open loop) written as newton CSVs and imported as a coach would
(`archcue import RUN.csv --format csv --units newton --config blocks.json`), then
`archcue report --format json`. A strong responder (engaged toes cut collapses to 35%) should
come out `stabilizes`, a non-responder `no_clear_effect`. One run of 30-45 minutes does not always
rule out a 15% effect for a non-responder (see the README's power table), so the bench also
imports four 45-minute runs of one non-responder on four days and reports the pooled verdict.

    PYTHONPATH=. .venv/bin/python -m tests.bench_import [SEEDS]   (default 10 seeds)
    PYTHONPATH=. .venv/bin/python -m tests.bench_import cost [MINUTES]   (one import's cost only: 45)
    PYTHONPATH=. .venv/bin/python -m tests.bench_import memory [ROWS]   (one import's peak memory: 10 M rows)
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from firmware.core.channels import NAMES as CHANNELS
from host.cli import main as archcue
from simulator.validate import PROTOCOL
from tests.bench_report import foreign_protocol
from tests.foreign_runner import generate

ROOT = Path(__file__).resolve().parents[1]
RUNNERS = {"strong responder (35%)": 0.35, "non-responder": 1.0}
MINUTES = (30, 45)


POOLED_RUNS = 4  # 45-minute runs of one non-responder, one a day
Row = tuple[str, str, str]


class Workspace:
    """A temporary folder with the blocks config, where foreign runs are written as CSVs and
    imported as a coach would."""

    def __init__(self, tmp: str) -> None:
        self.work = Path(tmp)
        self.config = self.work / "blocks.json"
        self.config.write_text(json.dumps(PROTOCOL))

    def import_run(self, store: str, strength: float, seed: int, minutes: int, started_at: str | None = None) -> None:
        """One run of the foreign model through `archcue import` into the store."""
        csv_path = self.write_run(strength, seed, minutes)
        self.import_csv(store, csv_path, started_at)
        csv_path.unlink()

    def write_run(self, strength: float, seed: int, minutes: int) -> Path:
        """One run of the foreign model as a newton CSV."""
        run = generate(seconds=minutes * 60, rate_hz=200, strike="rearfoot", protocol=foreign_protocol(strength),
                       seed=seed)
        csv_path = self.work / "run.csv"
        run.write_csv(csv_path)
        return csv_path

    def import_csv(self, store: str, csv_path: Path, started_at: str | None = None) -> None:
        """`archcue import` of a run's CSV into the store, as a coach would."""
        when = ["--started-at", started_at] if started_at else []
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = archcue(["--store", str(self.work / store), "import", str(csv_path), "--format", "csv",
                            "--units", "newton", "--config", str(self.config), "--runner", "bench", *when])
        if code:
            raise RuntimeError(f"archcue import of {csv_path.name} into {store} exited {code}")

    def verdict(self, store: str) -> str:
        """The report's verdict over every run in the store."""
        return self.report(store)["verdict"]

    def report(self, store: str) -> dict:
        """`archcue report --format json` of the store's runner."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            archcue(["--store", str(self.work / store), "report", "bench", "--format", "json"])
        return json.loads(out.getvalue())


def _progress(text: str) -> None:
    print(f"\r[bench] import: {text}          ", end="", file=sys.stderr, flush=True)


def import_bar(seeds: range = range(1, 11)) -> dict[tuple[str, int], Counter]:
    """(runner, minutes) -> verdict counts over the seeds, one insole per run."""
    counts: dict[tuple[str, int], Counter] = {(name, m): Counter() for name in RUNNERS for m in MINUTES}
    with tempfile.TemporaryDirectory(prefix="archcue-bench-import-") as tmp:
        ws = Workspace(tmp)
        for name, strength in RUNNERS.items():
            for seed in seeds:
                for minutes in MINUTES:
                    store = f"s-{strength:g}-{seed}-{minutes}.sqlite"
                    ws.import_run(store, strength, seed, minutes)
                    v = ws.verdict(store)
                    counts[name, minutes][v] += 1
                    _progress(f"{name}, seed {seed}, {minutes} min: {v}")
    print(file=sys.stderr)
    return counts


def pooled_bar(seeds: range) -> Counter:
    """Verdicts for non-responders who each ran POOLED_RUNS 45-minute runs on as many days, all
    imported for one runner: the report pools their blocks."""
    counts: Counter = Counter()
    with tempfile.TemporaryDirectory(prefix="archcue-bench-import-") as tmp:
        ws = Workspace(tmp)
        for seed in seeds:
            store = f"pooled-{seed}.sqlite"
            for day in range(POOLED_RUNS):
                ws.import_run(store, 1.0, 1000 * day + seed, 45, f"2026-11-{day + 1:02d}T07:00")
                _progress(f"non-responder {seed}, {day + 1} runs imported")
            counts[ws.verdict(store)] += 1
    print(file=sys.stderr)
    return counts


def import_cost(minutes: int = 45) -> Row:
    """What one import costs archcue's own process (the firmware runs in a child process), and
    the part of it that grows with the run: the progress line's reads of the session log, once
    a second (engine._wait's tick, timed). Also the blocks the report counts per condition
    against the protocol's (past 127 the record's counter stops: the host counts on by time)."""
    from host.sources import engine

    looks: list[float] = []
    wait = engine._wait

    def timed(proc, timeout: float, tick: Callable[[], None]) -> tuple[str, str]:
        def timed_tick() -> None:
            start = time.perf_counter()
            tick()
            looks.append(time.perf_counter() - start)
        return wait(proc, timeout, timed_tick)

    with tempfile.TemporaryDirectory(prefix="archcue-bench-import-") as tmp:
        ws = Workspace(tmp)
        csv_path = ws.write_run(1.0, 1, minutes)
        wall, cpu = time.perf_counter(), time.process_time()
        engine._wait = timed
        try:
            ws.import_csv("cost.sqlite", csv_path)
        finally:
            engine._wait = wait
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        [run] = ws.report("cost.sqlite")["runs"]
    blocks = (minutes * 60 - PROTOCOL["warmup_s"]) // PROTOCOL["block_s"]
    return (f"archcue import, {minutes} min run: progress reads; blocks", f"{sum(looks) * 1000:.0f} ms in "
            f"{len(looks)} looks (last {looks[-1] * 1000:.1f} ms); archcue's own CPU {cpu:.2f} s in {wall:.1f} s; "
            f"blocks without / with the buzz {run['blocks_off']} / {run['blocks_on']} (protocol: "
            f"{blocks - blocks // 2} / {blocks // 2})",
            "the progress line reads the session log once a second while the firmware runs; CPU: the import "
            "process (CSV read, resampling, progress, sealing, store), not the firmware's child process; blocks: "
            "`archcue report --format json` runs[0]")


MEMORY_ROWS = 10_000_000  # the bar: under 500 MB


def write_long_csv(path: Path, n_rows: int) -> None:
    """A newton CSV of n_rows at 200 Hz: a minute of the foreign model's running, repeated (time
    running on), written a minute at a time."""
    run = generate(seconds=60, rate_hz=200, strike="rearfoot", seed=1)
    minute = np.column_stack([run.t_ms - run.t_ms[0], run.forces])
    with open(path, "w") as f:
        f.write("t_ms," + ",".join(CHANNELS) + "\n")
        for k, done in enumerate(range(0, n_rows, len(minute))):
            part = minute[:n_rows - done].copy()
            part[:, 0] += k * len(minute) * 5.0
            np.savetxt(f, part, delimiter=",", fmt=["%.0f"] + ["%.2f"] * 6)


_PEAK = ("import resource, sys, time\nfrom host.cli import main\nt = time.perf_counter()\ncode = main(sys.argv[1:])\n"
         "print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - t, file=sys.stderr)")


def import_memory(n_rows: int = MEMORY_ROWS) -> Row:
    """archcue import's own peak memory (ru_maxrss of its process; the firmware runs in a child
    with its fixed heap) on a CSV of n_rows, in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="archcue-bench-import-") as tmp:
        csv_path = Path(tmp) / "long.csv"
        write_long_csv(csv_path, n_rows)
        size = csv_path.stat().st_size
        proc = subprocess.run([sys.executable, "-c", _PEAK, "--store", str(Path(tmp) / "s.sqlite"), "import",
                               str(csv_path), "--runner", "bench", "--units", "newton"],
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        code, peak_kb, seconds = proc.stderr.strip().splitlines()[-1].split()
        if code != "0":
            raise RuntimeError(f"archcue import of {n_rows:,} rows exited {code}: {proc.stderr}")
    return (f"archcue import, a {n_rows:,}-row CSV ({size / 1e6:.0f} MB, {n_rows / 200 / 3600:.1f} h at 200 Hz)",
            f"peak memory {int(peak_kb) / 1024:.0f} MB in {float(seconds):.0f} s",
            "ru_maxrss of the archcue process (the CSV is read in chunks: memory does not grow with rows; "
            "bar: a 10 M-row file under 500 MB; the firmware's child process has its fixed 2 MB heap)")


def rows(seeds: range = range(1, 11)) -> list[Row]:
    cost = [import_cost(minutes) for minutes in (45, 180)]  # 180: where rescanning the log grew quadratically
    counts = import_bar(seeds)
    pooled_seeds = range(seeds.start, seeds.start + max(1, len(seeds) // 2))
    pooled = pooled_bar(pooled_seeds)
    how = f"--format csv --units newton --config {json.dumps(PROTOCOL)}"
    table = [(f"archcue import, foreign {name}, {minutes} min",
             ", ".join(f"{v} {n}/{len(seeds)}" for v, n in counts[name, minutes].most_common()),
             f"seeds {seeds.start}-{seeds.stop - 1}, {how}")
            for name in RUNNERS for minutes in MINUTES] + [
        (f"archcue import, foreign non-responder, {POOLED_RUNS} runs of 45 min on {POOLED_RUNS} days",
         ", ".join(f"{v} {n}/{len(pooled_seeds)}" for v, n in pooled.most_common()),
         f"{len(pooled_seeds)} runners, each run imported with {how} --started-at DAY; the report pools them")] + cost
    return table + [import_memory(1_000_000), import_memory()]


if __name__ == "__main__" and sys.argv[1:2] == ["cost"]:  # only one import's cost
    print(" | ".join(import_cost(*map(int, sys.argv[2:3]))))
elif __name__ == "__main__" and sys.argv[1:2] == ["memory"]:  # only one import's peak memory
    print(" | ".join(import_memory(*map(int, sys.argv[2:3]))))
elif __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for row in rows(range(1, n + 1)):
        print(" | ".join(row))
