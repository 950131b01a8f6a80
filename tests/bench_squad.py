"""`make bench` (issue 25): the squad, the Parquet dataset and the cohort on synthetic squads of 100
and 1,000 runners x 1 hour x both feet (1,000: about 10 million steps), each command run as
the coach runs it (a fresh process: its wall time and peak memory, Python's start included);
the cohort's query on Spark in local mode against DuckDB on the same dataset; and the
cohort's intervals over many simulated squads of 0%, 30% and 70% responders.

    PYTHONPATH=. .venv/bin/python -m tests.bench_squad [--quick]

Stores are built once per version of their generator (build/bench/squad/)."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simulator.device import ROOT
from tests.squad_store import build_squad, mean_log

Row = tuple[str, str, str]
SIZES = (100, 1000)
COVERAGE_SQUADS = 12  # per share of responders
COVERAGE_RUNNERS, COVERAGE_MINUTES = 60, 40


def _digest() -> str:
    h = hashlib.sha256()
    for f in ("tests/squad_store.py", "tests/block_steps.py", "host/store/db.py", "firmware/core/record.py"):
        h.update((ROOT / f).read_bytes())
    return h.hexdigest()[:12]


BUILD = ROOT / "build" / "bench" / "squad" / _digest()


def _store(runners: int) -> Path:
    path = BUILD / f"squad-{runners}.sqlite"
    if not path.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.unlink(missing_ok=True)
        start = time.perf_counter()
        build_squad(tmp, runners, minutes=60, share=0.3, seed=1)
        tmp.rename(path)
        print(f"[bench] squad of {runners} built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return path


def _run(*argv: str) -> tuple[float, float, str]:
    """`archcue argv` in a fresh process: wall seconds, its peak memory (MB, from wait4's rusage)
    and its output, which ends with the process's CPU seconds (this machine's 2 cores are shared:
    wall time grows with the load, CPU time much less)."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "host.cli", *argv], stdout=out, stderr=subprocess.DEVNULL,
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise RuntimeError(f"archcue {' '.join(argv)}: exit {proc.returncode}")
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, out.read() + f"\ncpu {usage.ru_utime + usage.ru_stime:.1f} s"


def _cpu(out: str) -> str:
    return out.rsplit("\ncpu ", 1)[1] + " CPU" + f", load {os.getloadavg()[0]:.1f}"


def _steps(store: Path) -> int:
    import sqlite3

    return sqlite3.connect(store).execute("SELECT SUM(n_steps) FROM sessions").fetchone()[0]


def scale(sizes: tuple[int, ...] = SIZES) -> tuple[list[Row], dict[int, Path]]:
    rows: list[Row] = []
    datasets: dict[int, Path] = {}
    for n in sizes:
        store = _store(n)
        steps = _steps(store)
        cache = store.with_name(store.name + ".verdicts.sqlite")
        cache.unlink(missing_ok=True)
        cold, cold_mb, _ = _run("--store", str(store), "squad", "--format", "json")
        warm, warm_mb, out = min(_run("--store", str(store), "squad") for _ in range(3))
        rows.append((f"archcue squad, {n:,} runners ({steps:,} steps)", f"{warm:.2f} s ({_cpu(out)}), {warm_mb:.0f} MB",
                     f"cached verdicts (best of 3, a fresh process each); the first run, every verdict computed on "
                     f"2 cores: {cold:.0f} s, {cold_mb:.0f} MB"))
        ds = BUILD / f"dataset-{n}"
        shutil.rmtree(ds, ignore_errors=True)
        wall, mb, out = _run("--store", str(store), "export", "--format", "parquet", str(ds))
        again, _, _ = _run("--store", str(store), "export", "--format", "parquet", str(ds))
        size = sum(f.stat().st_size for f in ds.rglob("*") if f.is_file())
        files = sum(1 for _ in ds.rglob("*.parquet"))
        rows.append((f"archcue export --format parquet, {n:,} runners", f"{wall:.1f} s ({_cpu(out)}), {mb:.0f} MB peak",
                     f"{steps:,} steps into {files:,} files, {size / 1e6:.0f} MB on disk (zstd); verdicts from the "
                     f"squad's cache; exporting again (nothing new): {again:.1f} s"))
        wall, mb, out = min(_run("cohort", str(ds)) for _ in range(3))
        inner = out.split(" s)")[0].rsplit(", ", 1)[-1]
        rows.append((f"archcue cohort DATASET, {n:,} runners", f"{wall:.1f} s ({_cpu(out)}), {mb:.0f} MB peak",
                     f"DuckDB over the Parquet dataset (best of 3, a fresh process each; {inner} s inside archcue)"))
        wall, mb, out = _run("--store", str(store), "cohort")
        rows.append((f"archcue cohort STORE, {n:,} runners", f"{wall:.1f} s ({_cpu(out)}), {mb:.0f} MB peak",
                     "the store's sessions decoded 50 runners at a time into DuckDB; verdicts cached"))
        datasets[n] = ds
    return rows, datasets


def spark(ds: Path) -> list[Row]:
    """The cohort's SQL on Spark (local mode, both cores) against DuckDB, on the same dataset."""
    from host.squad import cohort

    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        return [("cohort on Spark", "not run", f"pyspark missing ({e}): pip install -r requirements-bench.txt")]
    start = time.perf_counter()
    session = (SparkSession.builder.master("local[2]").appName("archcue bench").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false").config("spark.driver.memory", "4g").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    up = time.perf_counter() - start
    start = time.perf_counter()
    on_spark = cohort.on_dataset_spark(ds, session)
    wall = time.perf_counter() - start
    session.stop()
    on_duckdb = cohort.on_dataset(ds)
    fields = ("verdicts", "judged", "pooled_runners", "buzz", "curling", "share")
    same = [f for f in fields if getattr(on_spark, f) == getattr(on_duckdb, f)]
    runners = on_duckdb.runners
    return [(f"cohort on Spark {session.version} (local[2]), {runners:,} runners", f"{wall:.1f} s",
             f"the same SQL over the same dataset, after {up:.0f} s of Spark start-up; DuckDB: "
             f"{on_duckdb.seconds:.1f} s"),
            ("Spark and DuckDB give the same cohort", f"{len(same)} of {len(fields)} results identical",
             "verdict counts, landings, runners pooled, pooled buzz and curling (mean, interval, tau, prediction "
             "interval), share of responders" + ("" if len(same) == len(fields) else
                                                 f"; differ: {sorted(set(fields) - set(same))}"))]


def coverage(squads: int = COVERAGE_SQUADS) -> list[Row]:
    """Share of simulated squads whose intervals cover the truth, per share of responders."""
    from host.squad import cohort
    from host.store.db import Store

    rows: list[Row] = []
    for share in (0.0, 0.3, 0.7):
        hits = {"share": 0, "curling": 0, "buzz": 0}
        widths = []
        for k in range(squads):
            with tempfile.TemporaryDirectory(prefix="archcue-bench-cohort-") as tmp:
                path = Path(tmp) / "s.sqlite"
                truths = build_squad(path, COVERAGE_RUNNERS, minutes=COVERAGE_MINUTES, share=share, seed=100 + k)
                c = cohort.on_store(Store(path, create=False))
            assert c.share and c.curling and c.buzz
            truth = sum(t.responder for t in truths) / len(truths)
            hits["share"] += c.share.low <= truth <= c.share.high
            hits["curling"] += c.curling.low <= mean_log(truths, "ratio") <= c.curling.high
            hits["buzz"] += c.buzz.low <= mean_log(truths, "buzz") <= c.buzz.high
            widths.append(c.share.high - c.share.low)
        rows.append((f"cohort intervals covering the truth, {100 * share:.0f}% responders",
                     ", ".join(f"{name} {n}/{squads}" for name, n in hits.items()),
                     f"{squads} squads of {COVERAGE_RUNNERS} runners x {COVERAGE_MINUTES} min, both feet; the "
                     f"share's 95% interval {100 * min(widths):.0f}-{100 * max(widths):.0f} points wide; pooled "
                     "curling and buzz against the squad's mean log effect"))
    return rows


def squad_bench() -> list[Row]:
    rows, datasets = scale()
    rows += spark(datasets[max(datasets)])
    rows += coverage()
    return rows


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    found, sets = scale((100,) if quick else SIZES)
    found += spark(sets[max(sets)]) + coverage(3 if quick else COVERAGE_SQUADS)
    for row in found:
        print(" | ".join(row))
