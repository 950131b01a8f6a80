"""Each runner's verdict in a few numbers, as `archcue report` decides it (host.verdict.analysis.analyse,
all sessions pooled, the default rule unless told), for the views over many runners: the squad,
the dataset's verdicts table and the cohort.

A verdict costs about 0.1 s per hour of running (its bootstraps), so a squad of 1,000 runners
would take minutes on every call. Summaries are cached in a file beside the store
(`<store>.verdicts.sqlite`, derived data: delete it at will), keyed by everything the verdict
reads: the runner, each session's identity and content (id, foot, start, steps, status,
seal), the rule, and the source of the code that decides (host/verdict, the step record). A
session pulled, moved or replaced, or a new archcue, changes the key, so a stale summary is
never read; cache misses are computed in parallel, one process per core."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from host.hips_or_feet.loading import verdict_sessions
from host.store.db import SessionRow, Store
from host.verdict.analysis import Analysis, Steps, analyse
from host.verdict.bootstrap import Interval
from host.verdict.rule import Rule

_ROOT = Path(__file__).resolve().parents[2]
SLOW = 20  # runners to analyse before saying so (about 0.1 s each)
_DECIDES = ("host/verdict", "host/store/records.py", "firmware/core/record.py", "host/squad/summaries.py",
            "host/hips_or_feet/loading.py")  # which landings a protocol run gives the verdict


def _code_digest() -> str:
    h = hashlib.sha256()
    for part in _DECIDES:
        path = _ROOT / part
        for f in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


CODE = _code_digest()


@dataclass
class RunSummary:
    """One session's run (both insoles of one run name the same) and that run's own verdict."""
    run: str
    verdict: str
    minutes: float
    blocks_on: int
    blocks_off: int


@dataclass
class Summary:
    runner: str
    verdict: str
    basis: str  # blocks | engagement | none
    sessions: int
    runs: int
    minutes: float  # running time: each run counted once (a minute of both feet once)
    steps: int
    judged: int
    first_run: str | None  # started_at of the first and latest dated run
    latest_run: str | None
    undated: int
    buzz: Interval | None  # the buzz's effect, 95% (blocks only)
    curling: Interval | None  # curling's effect, 95%
    as_treated: Interval | None
    engaged_on: float | None
    engaged_off: float | None
    more_minutes: int | None  # inconclusive: minutes of blocks likely to settle it (None: > 120 or n/a)
    short: list[str]  # insufficient_data: what fell short (landings, blocks, collapses, engagement, ...)
    by_session: dict[str, RunSummary] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> Summary:
        d = dict(d)
        for k in ("buzz", "curling", "as_treated"):
            d[k] = Interval(**d[k]) if d[k] else None
        d["by_session"] = {sid: RunSummary(**r) for sid, r in d["by_session"].items()}
        return cls(**d)


def summarise(a: Analysis) -> Summary:
    """A runner's verdict in a few numbers: its runs (both insoles of one run once; leftover
    sessions are no run: host/store/runs.py), dated by the insole clock."""
    dated = sorted(r.started_at for r in a.runs if r.started_at)
    blocks = a.basis == "blocks" and a.primary is not None
    c = a.primary
    return Summary(
        runner=a.runner, verdict=a.verdict, basis=a.basis, sessions=sum(len(r.sessions) for r in a.runs),
        runs=len(a.runs), minutes=float(a.minutes), steps=a.steps_total, judged=a.steps_used,
        first_run=dated[0] if dated else None, latest_run=dated[-1] if dated else None,
        undated=len(a.runs) - len(dated),
        buzz=c.collapse_ratio if blocks and c else None, curling=c.curling_ratio if c else None,
        as_treated=a.as_treated.collapse_ratio if a.as_treated else None,
        engaged_on=c.engaged_rate_a if blocks and c else None, engaged_off=c.engaged_rate_b if blocks and c else None,
        more_minutes=a.more.block_minutes if a.more else None, short=[s.what for s in a.shortfalls],
        by_session={r.session: RunSummary(r.run, r.verdict, r.minutes, r.blocks_on, r.blocks_off) for r in a.sessions})


def summary_of(runner: str, sessions: list[tuple[SessionRow, np.ndarray]], rule: Rule = Rule(),
               steps: Steps | None = None) -> Summary:
    return summarise(analyse(runner, sessions, rule, steps=steps))


def key(runner: str, rows: list[SessionRow], rule: Rule) -> str:
    """What a runner's verdict depends on, as a digest (module doc)."""
    ident = [[r.id, r.foot, r.started_at, r.n_steps, r.status, r.damage, r.summary] for r in rows]
    return hashlib.sha256(json.dumps([CODE, asdict(rule), runner, ident], sort_keys=True,
                                     default=str).encode()).hexdigest()


def cache_path(store: Path) -> Path:
    return store.with_name(store.name + ".verdicts.sqlite")


class Cache:
    """The summaries beside a store. A cache that cannot be opened or written (a read-only
    folder) is no cache: every summary is computed."""

    def __init__(self, store: Path):
        try:
            self.db: sqlite3.Connection | None = sqlite3.connect(cache_path(store))
            self.db.execute("CREATE TABLE IF NOT EXISTS summaries (key TEXT PRIMARY KEY, runner TEXT NOT NULL, "
                            "summary TEXT NOT NULL)")
        except sqlite3.Error:
            self.db = None

    def get(self, keys: list[str]) -> dict[str, Summary]:
        if self.db is None:
            return {}
        wanted = set(keys)
        try:
            rows = self.db.execute("SELECT key, summary FROM summaries").fetchall()
        except sqlite3.Error:
            return {}
        return {k: Summary.from_json(json.loads(s)) for k, s in rows if k in wanted}

    def put(self, items: dict[str, Summary]) -> None:
        if self.db is None or not items:
            return
        try:
            with self.db:
                for runner in {s.runner for s in items.values()}:  # a runner's older summaries are stale
                    self.db.execute("DELETE FROM summaries WHERE runner = ?", (runner,))
                self.db.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?)",
                                    [(k, s.runner, json.dumps(s.to_json())) for k, s in items.items()])
        except sqlite3.Error:
            pass  # a cache that cannot be written costs time, never an answer


def _compute(job: tuple[str, str, dict]) -> Summary:
    """One runner's summary in a worker process (its own connection to the store)."""
    path, runner, rule = job
    store = Store(path, create=False)
    try:
        return summary_of(runner, verdict_sessions(store, runner), Rule(**rule))
    finally:
        store.close()


def all_summaries(store: Store, rule: Rule = Rule(), workers: int | None = None,
                  note: Callable[[str], None] | None = None) -> dict[str, Summary]:
    """Every runner's summary, from the cache where it holds the runner's current sessions,
    computed (in parallel) where not; `note` hears how many, when that takes a while."""
    by_runner: dict[str, list[SessionRow]] = {}
    for row in store.sessions():
        if row.kind == "run":  # drill sessions are no runs: never in a verdict (host/drills/ has them)
            by_runner.setdefault(row.runner, []).append(row)
    keys = {runner: key(runner, rows, rule) for runner, rows in by_runner.items()}
    cache = Cache(store.path)
    have = cache.get(list(keys.values()))
    missing = [runner for runner, k in keys.items() if k not in have]
    jobs = [(str(store.path), runner, asdict(rule)) for runner in missing]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if note and len(jobs) >= SLOW:
        note(f"analysing {len(jobs)} runner(s) whose sessions changed since the last time, on {workers} core(s); "
             f"cached for next time")
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            computed = list(pool.map(_compute, jobs, chunksize=max(1, len(jobs) // (4 * workers))))
    else:
        computed = [summary_of(runner, verdict_sessions(store, runner), rule) for runner in missing]
    new = {keys[s.runner]: s for s in computed}
    cache.put(new)
    have.update(new)
    return {runner: have[k] for runner, k in sorted(keys.items())}
