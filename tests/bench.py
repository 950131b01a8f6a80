"""`make bench`: measures what the design's bars name, prints a table and writes it to
build/bench.md. Figures are measurements on this machine, never pass/fail limits."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from firmware.core import sessionlog
from hardware.board_data import load_board
from host.sources.engine import MICROPYTHON
from simulator.device import ROOT
from simulator.scenario import load_scenario, scenario_names
from simulator.synth import generate
from tests import bench_report
from tests.bench_drills import drills
from tests.bench_esp32 import esp32
from tests.bench_full_insole import full_insole
from tests.bench_import import rows as import_bar
from tests.bench_live import live
from tests.bench_pain import rows as hips_or_feet
from tests.bench_program import main as program_bars
from tests.bench_robustness import robustness
from tests.bench_sessions import sessions_listing
from tests.bench_squad import squad_bench

BUILD = ROOT / "build" / "bench"

Row = tuple[str, str, str]  # (measure, value, how)


def _write_inputs(scenario: str, seconds: int, rate: int) -> tuple[Path, Path]:
    BUILD.mkdir(parents=True, exist_ok=True)
    run = generate(load_scenario(scenario), seed=1, rate_hz=rate, seconds=seconds)
    frames = BUILD / f"{scenario}-{rate}hz.bin"
    frames.write_bytes(np.ascontiguousarray(run.counts, dtype="<u2").tobytes())
    board = BUILD / "board.json"
    board.write_text(json.dumps(load_board()))
    return frames, board


def firmware_cost() -> list[Row]:
    rows: list[Row] = []
    for rate in (200, 1000):
        frames, board = _write_inputs("rearfoot_easy", 120, rate)
        env = dict(os.environ, MICROPYPATH=str(ROOT / "firmware"))
        out = subprocess.run(
            [
                str(MICROPYTHON),
                "-X",
                "heapsize=8M",
                str(ROOT / "tests" / "mp" / "bench_pipeline.py"),
                str(frames),
                str(rate),
                str(board),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        how = (f"MicroPython unix port, rearfoot_easy 120 s at {rate} Hz ({r['frames']} frames, {r['steps']} steps), "
               f"each 200-frame chunk at its best of {r['passes']} passes, less the bare loop's")
        rows.append((f"core cost per 6-channel frame @ {rate} Hz", f"{r['us_per_frame']:.2f} us", how))
        rows.append((f"frame rate sustained @ {rate} Hz data", f"{1e6 / r['us_per_frame']:,.0f} frames/s", "1 / cost"))
        rows.append((f"allocations per frame @ {rate} Hz", f"{r['bytes_per_frame']:.4f} bytes",
                     "gc.mem_alloc delta / frames, gc disabled"))
    return rows


def detection() -> list[Row]:
    from simulator.scoring import score_all, table

    results = score_all(scenario_names(), seed=1, seconds=None, jobs=2)
    (BUILD / "score.md").write_text(table(results) + "\n")
    print(table(results))
    worst = min(results.items(), key=lambda kv: kv[1].f1)
    return [("scenarios scored", str(len(results)), f"python -m simulator score (table in {BUILD / 'score.md'})"),
            ("lowest step F1", f"{worst[1].f1:.3f} ({worst[0]})", "all scenarios, seed 1")]


def virtual_insole_hour() -> list[Row]:
    """A 60-minute responder run through the firmware (app + sim HAL) as fast as it goes."""
    import re
    import tempfile

    from simulator.device import run_synth

    run = generate(load_scenario("responder"), seed=1, seconds=3600)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_synth(run, load_board(), {"cue_mode": "blocks"}, Path(tmp))
        wall = time.perf_counter() - start
    m = re.search(r"heap in use (\d+) bytes at start, (\d+) at end", result.log)
    mem = f"{int(m.group(1)):,} -> {int(m.group(2)):,} bytes" if m else "not reported"
    return [("virtual insole, 60 min at 200 Hz", f"{run.seconds / wall:,.0f}x real time ({wall:.1f} s)",
             f"responder, {len(result.records)} steps, unpaced; includes MicroPython start-up"),
            ("firmware heap in use, start -> end of the hour", mem,
             "gc.mem_alloc() after gc.collect(), logged by the app")]


def _serve(workdir: Path, baud: int) -> subprocess.Popen:
    args = [sys.executable, "-m", "simulator", "serve", "--scenario", "responder", "--speed", "200",
            "--dir", str(workdir)] + (["--baud", str(baud)] if baud else [])
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (workdir / "port").is_symlink():
        time.sleep(0.1)
    return proc


def _of_line(rate: float, line_bps: float) -> str:
    """A throughput as a share of the serial line's rate (none for an unthrottled pty)."""
    return f" = {100 * rate / line_bps:.0f}% of line rate" if line_bps else ""


def sync() -> list[Row]:
    """Pull throughput over the virtual insole, throttled to 115200 baud and unthrottled,
    for archcue's transfer (4 KiB base64 chunks + device SHA-256) and mpremote's fs copy."""
    import tempfile

    from mpremote.transport_serial import SerialTransport

    from host.store.db import Store
    from host.sync.pull import pull

    rows: list[Row] = []
    for baud in (115200, 0):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            proc = _serve(work, baud)
            time.sleep(8)  # ~27 virtual minutes of running
            try:
                report = pull(Store(work / "s.sqlite"), str(work / "port"), quiet=True, restart=False)
                sid = report.imported[0]
                t = SerialTransport(os.path.realpath(work / "port"), timeout=2)
                t.enter_raw_repl(soft_reset=False)
                start = time.perf_counter()
                data = t.fs_readfile(sessionlog.path(".", sid))
                mp_rate = len(data) / (time.perf_counter() - start)
                t.close()
            finally:
                proc.terminate()
                proc.wait()
        line = f"{baud / 10 / 1024:.2f} KiB/s line" if baud else "unthrottled pty"
        line_bps = baud / 10
        rows.append((f"pull throughput, archcue ({'115200 baud' if baud else 'unthrottled'})",
                     f"{report.rate / 1024:.1f} KiB/s{_of_line(report.rate, line_bps)}",
                     f"{report.bytes:,} bytes, {line}, verified by SHA-256"))
        rows.append((f"pull throughput, mpremote fs_readfile ({'115200 baud' if baud else 'unthrottled'})",
                     f"{mp_rate / 1024:.1f} KiB/s{_of_line(mp_rate, line_bps)}", "same file, 256-byte repr chunks"))
    steps_per_hour = 85 * 60  # one foot at 170 steps/min
    fs_bytes = 512 * 4096 - 200 * 1024 - 12288  # 4 MB board's filesystem less firmware and reserve
    rows.append(("step record on flash", "24 bytes", "firmware/core/record.py; + ~0.5 KB header/trailer per session"))
    rows.append(("running that fits on flash", f"{fs_bytes / 24 / steps_per_hour:,.0f} hours",
                 f"{fs_bytes / 24:,.0f} steps in {fs_bytes / 1024:,.0f} KiB, one foot at 170 steps/min"))
    return rows


def verdict_validation() -> list[Row]:
    from simulator.validate import verdicts

    rows: list[Row] = []
    for name in ("responder", "non_responder"):
        counts = verdicts(name, range(1, 41), 1800)
        summary = ", ".join(f"{v} {n}/40" for v, n in counts.most_common())
        rows.append((f"verdicts over 40 seeds: {name}", summary, "half-hour runs through the firmware, block protocol"))
    return rows


def real_recordings() -> list[Row]:
    from simulator.realdata import all_datasets, pooled, replay, table, walking, walking_table, walks

    results = [replay(ds) for ds in all_datasets()]
    walked = [walking(ds) for ds in walks()]
    text = table(results) + "\n\nWalks against where each landing's load begins:\n\n" + walking_table(walked)
    (BUILD / "realdata.md").write_text(text + "\n")
    print(text)
    running = [r for r in results if r["dataset"].startswith("fukuchi")]
    rows = [("real treadmill running (3 trials): step F1", f"{min(r['f1'] for r in running):.3f} (worst trial)",
             f"force-plate events; table in {BUILD / 'realdata.md'}"),
            ("real treadmill running: IC error abs p95",
             f"{max(r['ic_abs_p95'] for r in running):.0f} ms (worst trial)",
             "detected contact (back-dated to zero load) vs the 50 N crossing")]
    for name, prefix in (("Moticon walks from standing (6 feet)", "moticon"), ("gaitpdb walks (8)", "gaitpdb")):
        p = pooled([r for r in walked if r["dataset"].startswith(prefix)])
        rows.append((f"real walking, {name}: landings F1 (60 ms), IC abs p95",
                     f"{p['f1']:.3f} ({p['matched']} of {p['landings']} landings, {p['detected']} detected), "
                     f"{p['ic_abs_p95']:.0f} ms (worst recording)",
                     "every landing, a walk's first and last included, vs where its load begins (realdata.walking)"))
    return rows


BENCHES: list[tuple[str, Callable[[], list[Row]]]] = [
    ("real recordings", real_recordings),
    ("report and verdict power", bench_report.main),
    ("validation", verdict_validation),
    ("sync", sync),
    ("full insole", full_insole),
    ("virtual insole", virtual_insole_hour),
    ("firmware", firmware_cost),
    ("detection", detection),
    ("esp32", esp32),
    ("robustness", robustness),
    ("archcue import (foreign runs)", import_bar),
    ("sessions listing", sessions_listing),
    ("squad, dataset and cohort", squad_bench),
    ("live view", live),
    ("drills", drills),
    ("training program", program_bars),
    ("hips or feet (pain ratings)", hips_or_feet),
]


def main() -> None:
    lines = ["| measure | value | how |", "| --- | --- | --- |"]
    for name, bench in BENCHES:
        start = time.perf_counter()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        for measure, value, how in bench():
            lines.append(f"| {measure} | {value} | {how} |")
        print(f"[bench] {name} done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    table = "\n".join(lines)
    print(table)
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "bench.md").write_text(f"# archcue bench ({time.strftime('%Y-%m-%d %H:%M')})\n\n{table}\n")
    print(f"\nwritten to {ROOT / 'build' / 'bench.md'}")


if __name__ == "__main__":
    main()
