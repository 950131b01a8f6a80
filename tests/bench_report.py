"""Bench for the coach's answer (issues 14, 13.6): how often each verdict comes out, by
responder strength and run length, on the project's simulator and on an independent signal
model (tests/foreign_runner.py); and the report's time and memory on 1 M and 3 M steps.

Each seed is simulated once at the longest length, through the real firmware with the block
protocol; the first 15, 20 and 30 minutes of a 45-minute run are themselves shorter runs, so
they are cut from it. Runs are cached in build/bench/verdict-runs (delete to redo)."""
from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from simulator.device import ROOT
from simulator.validate import PROTOCOL  # the firmware's block protocol: 10 min warm-up, 1 min blocks


def _sources_digest() -> str:
    """What a cached run depends on: the firmware, the simulator and the foreign model."""
    h = hashlib.sha256()
    for folder in ("firmware", "simulator", "hardware"):
        for f in sorted((ROOT / folder).rglob("*.py")) + sorted((ROOT / folder).rglob("*.json")):
            h.update(f.read_bytes())
    h.update((ROOT / "tests" / "foreign_runner.py").read_bytes())
    return h.hexdigest()[:12]


CACHE = ROOT / "build" / "bench" / "verdict-runs" / _sources_digest()  # a changed firmware runs anew
MINUTES = (15, 20, 30, 45)  # of which 10 are warm-up
STRENGTHS = (0.35, 0.6, 0.8, 1.0)  # engaged toes cut collapses to this share; 1.0 = non-responder
VERDICTS = ("stabilizes", "no_clear_effect", "inconclusive", "destabilizes", "insufficient_data")
Row = tuple[str, str, str]
PAIRED_START = "2026-11-24T07:00:00"  # both insoles of a two-insole runner start together


def _own_steps(strength: float, seed: int, seconds: float) -> np.ndarray:
    """The project's simulator: a responder scenario whose engaged toes cut collapses to
    `strength` (the non-responder scenario for 1.0), the runner answering the insole's cues."""
    from hardware.board_data import load_board
    from simulator.device import run_synth
    from simulator.scenario import load_scenario
    from simulator.synth import generate

    scenario = load_scenario("non_responder" if strength >= 1 else "responder")
    if strength < 1:
        scenario["responder_factor"] = strength
    run = generate(scenario, seed=seed, seconds=seconds)
    with tempfile.TemporaryDirectory(prefix="archcue-bench-") as tmp:
        run_synth(run, load_board(), PROTOCOL, Path(tmp))
        return _device_steps(Path(tmp) / "device")


def foreign_protocol(strength: float):
    """The foreign model's block-protocol runner (open loop: toes engaged on 60% of cue-on
    and 15% of cue-off landings, as in issue 14)."""
    from tests.foreign_runner import Protocol

    return Protocol(warmup_s=PROTOCOL["warmup_s"], block_s=PROTOCOL["block_s"], toe_prob_on=0.6, toe_prob_off=0.15,
                    collapse_relaxed=0.45, collapse_engaged=0.45 * strength)


def _foreign_steps(strength: float, seed: int, seconds: float) -> np.ndarray:
    """The independent signal model, rendered to newtons, replayed through the firmware with
    the engine `simulator replay` uses (the CSV it reads, the same frames and firmware run)."""
    from hardware.board_data import load_board
    from host.sources.engine import run_firmware
    from host.sources.recording import read_recording, to_frames
    from tests.foreign_runner import generate

    run = generate(seconds=seconds, rate_hz=200, strike="rearfoot", protocol=foreign_protocol(strength), seed=seed)
    board = load_board()
    with tempfile.TemporaryDirectory(prefix="archcue-bench-") as tmp:
        csv_path = Path(tmp) / "run.csv"
        run.write_csv(csv_path)
        frames, _ = to_frames(read_recording(csv_path, "newton"), "newton", 200, board)
        run_firmware(frames, 200, board, PROTOCOL, Path(tmp) / "keep")
        return _device_steps(Path(tmp) / "keep" / "device")


def _device_steps(device: Path) -> np.ndarray:
    """Every session on the simulated insole through the store's import (as a pull does)."""
    from host.store.db import Store

    store = Store(device.parent / "s.sqlite")
    store.import_device(device)
    [(_, steps)] = store.runner_steps(store.runners()[0][0])
    return np.array(steps)


MODELS = {"own": _own_steps, "foreign": _foreign_steps}


def run_steps(model: str, strength: float, seed: int, minutes: float = max(MINUTES)) -> np.ndarray:
    """One simulated run's steps, cached."""
    path = CACHE / f"{model}-{strength:g}-{seed}-{minutes:g}.npy"
    if path.exists():
        return np.load(path)
    steps = MODELS[model](strength, seed, minutes * 60)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), steps)
    path.with_suffix(".tmp.npy").rename(path)
    return steps


def cut(steps: np.ndarray, minutes: float) -> np.ndarray:
    """The first `minutes` of a run: a shorter run of the same runner."""
    return steps[steps["ic_ms"] < minutes * 60_000]


def simulate_all(models: tuple[str, ...], seeds: range, jobs: int = 2) -> None:
    todo = [(m, s, seed) for m in models for s in STRENGTHS for seed in seeds
            if not (CACHE / f"{m}-{s:g}-{seed}-{max(MINUTES):g}.npy").exists()]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for i, _ in enumerate(pool.map(_simulate, todo), 1):
            print(f"\r[bench] verdict runs {i}/{len(todo)}", end="", file=sys.stderr, flush=True)
    if todo:
        print(file=sys.stderr)


def _simulate(job: tuple[str, float, int]) -> None:
    run_steps(*job)


def analyse_cut(model: str, strength: float, seeds: tuple[int, ...], minutes: float):
    """The verdict on the first `minutes` of a runner's run, analysed as pulled sessions. A
    runner is one seed (one insole) or a pair of seeds worn as the left and right insole of one
    run (the same start: their blocks are the same minutes, one cluster each)."""
    from host.verdict.analysis import analyse
    from tests.helpers import Row

    return analyse("bench", [(Row(f"{model}-{seed}", ("right", "left")[i], PAIRED_START),
                              cut(run_steps(model, strength, seed), minutes)) for i, seed in enumerate(seeds)],
                   seed=seeds[0])


Analysed = dict[tuple[float, int], list]  # (strength, minutes) -> one Analysis per runner


def verdict_runs(model: str, runners: list[tuple[int, ...]]) -> Analysed:
    return {(strength, minutes): [analyse_cut(model, strength, seeds, minutes) for seeds in runners]
            for strength in STRENGTHS for minutes in MINUTES}


def more_minutes_check(model: str, seeds: range, analysed: Analysed) -> tuple[int, int, int]:
    """Inconclusive runs (20 and 30 minutes) run on for the minutes the report named, where the
    45-minute run holds them: (inconclusive, named within reach, settled). `analysed`: the
    one-insole runs verdict_runs already analysed (seed by seed, in `seeds` order), reused."""
    def verdict_at(strength: float, i: int, minutes: int):
        if (strength, minutes) in analysed:
            return analysed[strength, minutes][i]
        return analyse_cut(model, strength, (seeds[i],), minutes)

    inconclusive = named = settled = 0
    for strength in STRENGTHS:
        for i in range(len(seeds)):
            for minutes in (20, 30):
                a = verdict_at(strength, i, minutes)
                if a.verdict != "inconclusive":
                    continue
                inconclusive += 1
                more = a.more.block_minutes if a.more else None
                if more is None or minutes + more > max(MINUTES):
                    continue
                named += 1
                settled += verdict_at(strength, i, minutes + more).verdict != "inconclusive"
    return inconclusive, named, settled


def estimable_check(model: str, analysed: list) -> Row:
    """Issue 20: every number in the report estimable or absent. Over the power table's reports:
    how many have curling's effect not estimable (and their verdicts: it decides nothing), and
    how many rows marked deciding span "100% fewer" to "100% more" (must be none)."""
    import re

    from host.reports.report import text
    from host.verdict.rule import curling_unknown

    unknown = Counter(a.verdict for a in analysed if a.primary is not None and curling_unknown(a.primary, a.rule))
    marked = [line for a in analysed for line in text(a).splitlines() if line.startswith("> ")]
    spans = [line for line in marked if (m := re.search(r"between 100% fewer and (an unbounded increase|(\d+)% more)",
                                                        line)) and (m.group(2) is None or int(m.group(2)) >= 100)]
    return (f"estimable numbers, {model} model", f"{len(spans)}/{len(marked)} marked rows span 100% fewer to 100% more",
            f"{sum(unknown.values())} of {len(analysed)} reports have curling's effect not estimable ("
            + (", ".join(f"{v} {k}" for k, v in unknown.items()) or "none") + "); it decides none of them")


def _label(strength: float) -> str:
    return "non-responder" if strength >= 1 else f"engaged toes cut collapses to {100 * strength:.0f}%"


def power_table(seeds: range = range(1, 21)) -> list[Row]:
    simulate_all(tuple(MODELS), seeds)
    rows: list[Row] = []
    md = []
    half = len(seeds) // 2
    for model in MODELS:
        singles = [(s,) for s in seeds]
        one = verdict_runs(model, singles)
        every = []
        for insoles, runners in (("one insole", singles), ("two insoles", [(s, s + half) for s in seeds[:half]])):
            analysed = one if len(runners[0]) == 1 else verdict_runs(model, runners)
            every += [a for runs in analysed.values() for a in runs]
            counts = {key: Counter(a.verdict for a in runs) for key, runs in analysed.items()}
            md += [f"\n{model} model, {insoles}, {len(runners)} runners (runs per verdict)\n",
                   "| runner | run (min) | " + " | ".join(VERDICTS) + " |", "|---|---|" + "---|" * len(VERDICTS)]
            for (strength, minutes), c in counts.items():
                md.append(f"| {_label(strength)} | {minutes} | " + " | ".join(f"{c[v]}/{len(runners)}"
                                                                               for v in VERDICTS) + " |")
                rows.append((f"verdicts, {model} model, {insoles}: {_label(strength)}, {minutes} min",
                             ", ".join(f"{v} {c[v]}/{len(runners)}" for v in VERDICTS if c[v]),
                             "first minutes of 45-minute block-protocol runs through the firmware (10 min warm-up)"
                             + ("; two insoles = two seeds as left and right" if len(runners[0]) > 1 else "")))
        rows.append(estimable_check(model, every))
        inc, named, settled = more_minutes_check(model, seeds, one)
        rows.append((f"'more minutes' check, {model} model", f"{settled}/{named} settled",
                     f"of {inc} inconclusive 20/30-minute runs, {named} named minutes within the 45-minute run; "
                     f"run on that long, {settled} reached a verdict"))
    (ROOT / "build" / "bench").mkdir(parents=True, exist_ok=True)
    (ROOT / "build" / "bench" / "power.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return rows


def _one_session() -> tuple[dict, bytes, dict]:
    """A sealed session of ~2,550 real firmware steps (a half-hour responder run): header,
    records, trailer."""
    from firmware.core import sessionlog
    from hardware.board_data import load_board
    from host.store.records import parse_session
    from simulator.device import run_synth
    from simulator.scenario import load_scenario
    from simulator.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        run_synth(generate(load_scenario("responder"), seed=1, seconds=1800), load_board(),
                  {**PROTOCOL, "runner_id": "bench"}, Path(tmp))
        [sid] = sessionlog.session_ids(str(Path(tmp) / "device"))
        header, blob, trailer = parse_session(Path(sessionlog.path(str(Path(tmp) / "device"), sid)).read_bytes())
    return header, blob, trailer


def _big_store(path: Path, steps: int, session: tuple[dict, bytes, dict]) -> tuple[str, int]:
    """Copies of one session (both feet alternately, dated apart), imported like pulls, until
    `steps`."""
    from firmware.core import record, sessionlog
    from host.store.db import Store

    header, blob, trailer = session
    store = Store(path)
    n = 0
    while n < steps:
        k = n // (len(blob) // record.SIZE)
        f = io.BytesIO()
        f.write(sessionlog._header_block({**header, "session": f"bench-{k:06d}", "foot": ("left", "right")[k % 2],
                                          "started_at": f"2026-{1 + k // 300 % 12:02d}-{1 + k % 28:02d}T07:00:00"}))
        f.write(blob)
        f.write(sessionlog._trailer_block(trailer))
        data = f.getvalue()
        store.import_session(data, hashlib.sha256(data).hexdigest())
        n += len(blob) // record.SIZE
    store.close()
    return "bench", n


_MEASURE = ("import resource, sys, time; t = time.perf_counter(); from host.cli import main; rc = main(sys.argv[1:]); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")


def _report_run(db: Path, runner: str, fmt: str, out: Path) -> tuple[float, float, int]:
    """(wall seconds of the whole command, seconds inside archcue, peak RSS bytes)."""
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _MEASURE, "--store", str(db), "report", runner, "--format", fmt,
                        "--out", str(out)], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    inside, rss_kb = p.stderr.strip().splitlines()[-1].split()
    return wall, float(inside), int(rss_kb) * 1024


def report_scale(sizes: tuple[int, ...] = (1_000_000, 3_000_000)) -> list[Row]:
    """archcue report (text, JSON, HTML) on 1 M and 3 M steps: time and peak memory."""
    rows: list[Row] = []
    peaks: dict[tuple[str, int], int] = {}
    session = _one_session()  # one firmware run serves every size
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            db = Path(tmp) / f"{size}.sqlite"
            runner, n = _big_store(db, size, session)
            for fmt, ext in (("text", "txt"), ("json", "json"), ("html", "html")):
                wall, inside, rss = min(_report_run(db, runner, fmt, Path(tmp) / f"r.{ext}") for _ in range(2))
                peaks[fmt, n] = rss
                rows.append((f"archcue report --format {fmt}, {n:,} steps", f"{wall:.2f} s, peak {rss / 2**20:.0f} MB "
                             f"= {rss / n:.0f} bytes/step", f"{n // 2550} sessions; whole command incl. Python "
                             f"start-up, best of 2 ({inside:.2f} s inside archcue); peak RSS of the process"))
            db.unlink()
    if len(sizes) == 2:
        ns = sorted({n for _, n in peaks})
        for fmt in ("text", "json", "html"):
            grow = (peaks[fmt, ns[1]] - peaks[fmt, ns[0]]) / (ns[1] - ns[0])
            rows.append((f"report memory growth, {fmt}", f"{grow:.0f} bytes/step",
                         f"(peak RSS at {ns[1]:,} - at {ns[0]:,}) / extra steps: what each step costs"))
    return rows


def main() -> list[Row]:
    return power_table() + report_scale()
