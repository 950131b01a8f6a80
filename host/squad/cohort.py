"""`archcue cohort STORE|DATASET`: the population question. Across runners, how many get each
verdict, how large is the effect of the buzz and of curling, how much it varies between
runners, and for what share of runners curling steadies the arch.

The steps never come into Python: an SQL engine sums each runner's landings per block and
condition (CLUSTERS_SQL, over tables `steps` and `runs`; the landings the runner's verdict reads, `in_verdict`:
a hips-or-feet run gives only its feet and no-cue blocks), and Python bootstraps those sums: each runner's
buzz and curling effects by host.verdict.analysis.compare_clusters, the report's own statistic
and bootstrap (clusters in key order and the report's seed: the report's very intervals), then
pools them (host/squad/pooling.py). The same SQL runs on DuckDB, embedded (the default), over
the Parquet dataset or a stream of the store's sessions decoded one runner at a time, and on
Spark over the dataset (--engine spark, for a cluster). Verdict counts are the runners' own
verdicts (the dataset's verdicts table, or the store's cached summaries); a runner enters the
pooled effects when that verdict rests on blocks and had enough data (not insufficient_data)."""
from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from host.command import UserError
from host.hips_or_feet.loading import in_toe_curl_view
from host.reports.export_parquet import check_versions, read_manifest
from host.squad.pooling import MIN_RUNNERS, Pooled, Share, random_effects, responder_share
from host.squad.summaries import all_summaries
from host.store.db import Store
from host.verdict.analysis import CLUSTER_STATS, SEED, Steps, compare_clusters, judged, toe_judged
from host.verdict.bootstrap import Z95, Interval
from host.verdict.rule import VERDICTS, Rule

# each stat of host.verdict.analysis.CLUSTER_STATS as SQL over the dataset's steps
_SUMS = {"n": "judged", "arch": None, "arch2": None, "collapse": "judged AND collapse", "n_toe": "toe_judged",
         "engaged": "toe_judged AND toe_engaged", "n_both": "judged AND toe_judged",
         "collapse_curled": "judged AND toe_judged AND collapse AND toe_engaged",
         "collapse_uncurled": "judged AND toe_judged AND collapse AND NOT toe_engaged"}
assert tuple(_SUMS) == CLUSTER_STATS


def _sum(stat: str, when: str | None) -> str:
    if when is None:  # the arch share's sums feed only its variability, which the cohort does not pool
        return f"0.0 AS {stat}"
    return f"SUM(CASE WHEN {when} THEN 1 ELSE 0 END) AS {stat}"


# The block comparison's sums per cluster: each session's landings in the protocol's blocks per
# block and condition, then per cluster, the run's block (a session's block + its shift: both
# feet's landings of one block are one cluster, host.verdict.analysis.Steps.block_keys). Summing
# per session first keeps the join to the runs table small.
CLUSTERS_SQL = f"""
WITH blocks AS (
  SELECT runner, session, block, cue_block, {', '.join(_sum(k, v) for k, v in _SUMS.items())}
  FROM steps
  WHERE in_verdict AND (judged OR toe_judged) AND block > 0
  GROUP BY runner, session, block, cue_block)
SELECT b.runner, r.run, b.block + r.shift_blocks AS cluster, b.cue_block,
       {', '.join(f'SUM(b.{k}) AS {k}' for k in _SUMS)}
FROM blocks b JOIN runs r ON b.runner = r.runner AND b.session = r.session
GROUP BY b.runner, r.run, b.block + r.shift_blocks, b.cue_block
ORDER BY b.runner, r.run, cluster, b.cue_block"""
VERDICTS_SQL = "SELECT runner, verdict, basis FROM verdicts"


@dataclass
class Effect:
    """One runner's effect on the log scale, with its standard error from the 95% interval."""
    log: float
    se: float


@dataclass
class Cohort:
    source: str
    engine: str
    runners: int
    verdicts: dict[str, int]
    judged: int  # landings in the block comparisons
    pooled_runners: int  # runners whose effects are pooled
    buzz: Pooled | None
    curling: Pooled | None
    share: Share | None  # of runners whose curling cuts collapses by the margin or more
    margin: float
    seconds: float


Query = Callable[[str], list[tuple]]


def all_effects(rows: list[tuple], workers: int | None = None) -> dict[str, tuple[Interval, Interval]]:
    """runner_effects on every core: the rows cut into contiguous parts at runners' edges."""
    workers = min(workers or os.cpu_count() or 1, max(1, len(rows) // 5000))
    if workers < 2:
        return runner_effects(rows)
    cuts = [0]
    for k in range(1, workers):
        i = k * len(rows) // workers
        while i < len(rows) and rows[i][0] == rows[i - 1][0]:
            i += 1
        cuts.append(i)
    parts = [rows[a:b] for a, b in zip(cuts, cuts[1:] + [len(rows)])]
    with ProcessPoolExecutor(workers) as pool:
        return {k: v for part in pool.map(runner_effects, parts) for k, v in part.items()}


def runner_effects(rows: list[tuple]) -> dict[str, tuple[Interval, Interval]]:
    """CLUSTERS_SQL's rows (sorted) -> each runner's buzz and curling effects (95% intervals)."""
    out: dict[str, tuple[Interval, Interval]] = {}
    if not rows:
        return out
    runner = np.array([r[0] for r in rows], dtype=object)
    run = np.array([r[1] for r in rows], dtype=object)
    on = np.array([bool(r[3]) for r in rows])
    stats = np.array([r[4:] for r in rows], dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, runner[1:] != runner[:-1]])
    for lo, hi in zip(starts, np.r_[starts[1:], len(rows)]):
        runs = np.unique(run[lo:hi], return_inverse=True)[1]
        a, b = on[lo:hi], ~on[lo:hi]
        if not a.any() or not b.any():
            continue
        c = compare_clusters(stats[lo:hi][a], runs[a], stats[lo:hi][b], runs[b], "blocks",
                             np.random.default_rng(SEED))
        out[str(runner[lo])] = (c.collapse_ratio, c.curling_ratio)
    return out


def effect(r: Interval) -> Effect | None:
    if not (r.estimate > 0 and r.low > 0 and math.isfinite(r.high) and r.high > r.low):
        return None
    return Effect(math.log(r.estimate), (math.log(r.high) - math.log(r.low)) / (2 * Z95))


def cohort(source: str, engine: str, query: Query, verdicts: list[tuple[str, str, str]],
           rule: Rule = Rule()) -> Cohort:
    start = time.perf_counter()
    rows = query(CLUSTERS_SQL)
    effects = all_effects(rows)
    pooled = [runner for runner, verdict, basis in verdicts
              if basis == "blocks" and verdict != "insufficient_data" and runner in effects]
    pairs = [(effect(effects[r][0]), effect(effects[r][1])) for r in pooled]
    usable = [(b, c) for b, c in pairs if b is not None and c is not None]
    buzz = curling = share = None
    if len(usable) >= MIN_RUNNERS:
        y_b, s_b = np.array([b.log for b, _ in usable]), np.array([b.se for b, _ in usable])
        y_c, s_c = np.array([c.log for _, c in usable]), np.array([c.se for _, c in usable])
        buzz, curling = random_effects(y_b, s_b), random_effects(y_c, s_c)
        share = responder_share(y_c, s_c, math.log(1 - rule.margin))
    counts = Counter(v for _, v, _ in verdicts)
    return Cohort(source, engine, len(verdicts), {v: counts.get(v, 0) for v in VERDICTS},
                  int(sum(r[4] for r in rows)), len(usable), buzz, curling, share, rule.margin,
                  time.perf_counter() - start)


# ----------------------------------------------------------------------------------------- sources


def _duckdb():
    import duckdb

    return duckdb.connect(config={"threads": 2})  # this project's machines: 2 cores


def dataset_views(folder: Path) -> dict[str, str]:
    """The dataset's tables as SQL sources (DuckDB's read_parquet; partition values as text,
    never guessed to be numbers)."""
    def literal(path: Path) -> str:
        return "'" + str(path).replace("'", "''") + "'"
    views = {"steps": f"read_parquet({literal(folder / 'steps' / '**' / '*.parquet')}, hive_partitioning = true, "
                      "hive_types = {'runner': VARCHAR, 'session': VARCHAR})"}
    for table in ("runs", "verdicts"):
        views[table] = f"read_parquet({literal(folder / table / '*.parquet')})"
    return views


def on_dataset(folder: Path, rule: Rule = Rule()) -> Cohort:
    read_manifest(folder)
    check_versions(folder)
    con = _duckdb()
    for name, src in dataset_views(folder).items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {src}")
    verdicts = [tuple(r) for r in con.execute(VERDICTS_SQL).fetchall()]
    return cohort(str(folder), f"DuckDB {_version('duckdb')}", lambda sql: con.execute(sql).fetchall(), verdicts,
                  rule)


def on_dataset_spark(folder: Path, spark, rule: Rule = Rule()) -> Cohort:
    """The same SQL on Spark (a SparkSession: local mode here, a cluster in a lab)."""
    read_manifest(folder)
    check_versions(folder)
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")  # names stay text
    spark.read.parquet(str(folder / "steps")).createOrReplaceTempView("steps")
    for table in ("runs", "verdicts"):
        spark.read.parquet(str(folder / table)).createOrReplaceTempView(table)
    def query(sql: str) -> list[tuple]:
        return [tuple(r) for r in spark.sql(sql).collect()]
    return cohort(str(folder), f"Spark {spark.version}", query, query(VERDICTS_SQL), rule)


_STEPS = pa.schema([("runner", pa.string()), ("session", pa.string()), ("block", pa.int64()),
                    ("cue_block", pa.bool_()), ("judged", pa.bool_()), ("toe_judged", pa.bool_()),
                    ("collapse", pa.bool_()), ("toe_engaged", pa.bool_()), ("arch_share_pct", pa.float64()),
                    ("in_verdict", pa.bool_())])
_RUNS = pa.schema([("runner", pa.string()), ("session", pa.string()), ("run", pa.string()),
                   ("shift_blocks", pa.int64())])


def _store_tables(store: Store, runners: list[str]) -> tuple[pa.Table, pa.Table]:
    """Some runners' steps (the columns CLUSTERS_SQL reads) and runs, from the store, as the
    dataset has them."""
    from host.store.records import flag

    steps, runs = [], []
    for runner in runners:
        sessions = store.runner_steps(runner, runs_only=True)
        s = Steps.from_sessions(sessions)
        headers = store.headers([row.id for row, _ in sessions])
        for i, (row, st) in enumerate(sessions):
            n = len(st)
            steps.append(pa.RecordBatch.from_arrays([
                pa.array([runner] * n, pa.string()), pa.array([row.id] * n, pa.string()),
                pa.array(st["block"].astype(np.int64)), pa.array(flag(st, "cue_block")), pa.array(judged(st)),
                pa.array(toe_judged(st)), pa.array(flag(st, "collapse")), pa.array(flag(st, "toe_engaged")),
                pa.array(st["arch_share"] * 0.01), pa.array(in_toe_curl_view(st, headers[row.id].get("config") or {}))],
                schema=_STEPS))
            runs.append((runner, row.id, sessions[int(s.runs[i])][0].id, int(s.shift_blocks[i])))
    return (pa.Table.from_batches(steps, schema=_STEPS),
            pa.Table.from_pylist([dict(zip(_RUNS.names, r)) for r in runs], schema=_RUNS))


def on_store(store: Store, rule: Rule = Rule(), chunk: int = 50, note: Callable[[str], None] | None = None) -> Cohort:
    """The same SQL over the store, `chunk` runners at a time (a runner's clusters never span
    two chunks, so the sums are the dataset's)."""
    summaries = all_summaries(store, rule, note=note)
    runners = list(summaries)
    con = _duckdb()
    def query(sql: str) -> list[tuple]:
        rows: list[tuple] = []
        for i in range(0, len(runners), chunk):
            steps, runs = _store_tables(store, runners[i:i + chunk])
            con.register("steps", steps)
            con.register("runs", runs)
            rows += con.execute(sql).fetchall()
        return rows
    verdicts = [(r, s.verdict, s.basis) for r, s in summaries.items()]
    return cohort(str(store.path), f"DuckDB {_version('duckdb')} (the store, {chunk} runners at a time)", query,
                  verdicts, rule)


def _version(module: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(module)


def open_source(path: Path, rule: Rule = Rule(), note: Callable[[str], None] | None = None) -> Cohort:
    """A dataset folder or a store file, said which in one line if it is neither."""
    if path.is_dir():
        return on_dataset(path, rule)
    if path.is_file():
        return on_store(Store(path, create=False), rule, note=note)
    raise UserError(f"{path}: no such store or dataset folder")


# ----------------------------------------------------------------------------------------- words


def _ratio(p: Pooled) -> str:
    from host.reports.report import effect_words

    return effect_words(Interval(math.exp(p.mean), math.exp(p.low), math.exp(p.high)), label="95% interval: ")


def _pooled_lines(name: str, p: Pooled | None) -> list[str]:
    from host.reports.report import effect_words

    if p is None:
        return []
    new = effect_words(Interval(math.exp(p.mean), math.exp(p.pred_low), math.exp(p.pred_high)))
    new = new[new.index("(") + 1:-1] if "(" in new else new
    return [f"  {name}: {_ratio(p)}",
            f"    between runners: tau {p.tau:.2f} on the log scale (I2 {100 * p.i2:.0f}% of the spread is between "
            f"runners, the rest noise); a new runner's own effect: {new} (95% prediction interval)"]


def text(c: Cohort) -> str:
    from host.reports.report import SHORT

    lines = [f"archcue cohort: {c.runners} runners ({c.source}; {c.engine}; {c.judged:,} judged landings summed in "
             f"SQL, {c.seconds:.1f} s)", "", "Verdicts (each runner's own report, every run pooled):"]
    lines += [f"  {SHORT[v]:<16}{n:>6}  ({100 * n / max(c.runners, 1):.0f}%)" for v, n in c.verdicts.items()]
    lines.append("")
    if c.buzz is None or c.curling is None or c.share is None:
        lines.append(f"Pooled effects: {c.pooled_runners} runner(s) with enough data on the block protocol; "
                     f"at least {MIN_RUNNERS} are needed.")
        return "\n".join(lines) + "\n"
    lines += [f"Pooled effects across {c.pooled_runners} runners (random effects; each runner's effect from its "
              "blocks, as in its report):"]
    lines += _pooled_lines("the buzz", c.buzz) + _pooled_lines("curling", c.curling)
    m = f"{100 * c.margin:.0f}%"
    lines += ["", f"Responders (curling cuts collapses by {m} or more): {100 * c.share.estimate:.0f}% of runners "
                  f"(95% interval: {100 * c.share.low:.0f}% to {100 * c.share.high:.0f}%), from the distribution of "
                  "the runners' true effects that fits their estimates best, their uncertainty taken out."]
    return "\n".join(lines) + "\n"


def to_json(c: Cohort) -> dict:
    out = asdict(c)
    for k in ("buzz", "curling"):
        p = out[k]
        if p:
            p["ratio"] = {"estimate": math.exp(p["mean"]), "low": math.exp(p["low"]), "high": math.exp(p["high"]),
                          "prediction_low": math.exp(p["pred_low"]), "prediction_high": math.exp(p["pred_high"])}
    return out
