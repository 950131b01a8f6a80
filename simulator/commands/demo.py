"""python -m simulator demo (make demo): the product's main job, end to end.

A virtual insole (the real firmware in MicroPython behind a serial port) carries a toe-curl
responder through a simulated half hour with the block protocol (10 min warm-up, then
alternating one-minute cue-off / cue-on blocks); the coach's tool pulls it over the port
into a fresh store, and the report is printed and written as HTML. Then a week of the same
runner's foot drills (simulator/drills.py's performer, as lab recordings through
`archcue import --drill`) and their page (`archcue drills`)."""
from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from firmware.core import sessionlog
from host.cli import main as archcue
from host.drills import render, view
from host.sources.importer import Options, import_recording
from host.store.db import Store
from host.sync.pull import pull
from host.text import plural
from simulator.device import ROOT
from simulator.drills import perform

DEMO_DIR = ROOT / "build" / "demo"
PROTOCOL = {"cue_mode": "blocks", "warmup_s": 600, "block_s": 60, "runner_id": "demo-runner", "foot": "right"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the end-to-end demo (make demo)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="responder")
    p.add_argument("--seconds", type=float, default=1800, help="simulated run length (default 1800)")
    p.add_argument("--speed", type=float, default=200, help="virtual seconds per wall second (default 200)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--dir", type=Path, default=DEMO_DIR, help=f"work folder, emptied first (default {DEMO_DIR})")
    p.add_argument("--program", action="store_true",
                   help="a learner through a whole training program instead (the program's page)")
    p.add_argument("--hips-or-feet", action="store_true",
                   help="a runner with knee pain through the hips-or-feet protocol in pain mode instead (which cue "
                        "eases the pain: archcue hips-or-feet, and the report)")
    p.set_defaults(func=run)


def _sealed(device: Path) -> bool:
    ids = sessionlog.session_ids(str(device))
    return bool(ids) and sessionlog.scan_path(sessionlog.path(str(device), ids[-1])).trailer is not None


def _say(msg: str) -> None:
    print(f"[demo] {msg}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    if args.dir.exists():
        shutil.rmtree(args.dir)
    args.dir.mkdir(parents=True)
    if args.program:
        from simulator.commands.demo_program import run_program

        return run_program(args)
    if args.hips_or_feet:
        from simulator.commands.demo_hips import run_hips_or_feet

        return run_hips_or_feet(args)
    config = args.dir / "insole-config.json"
    config.write_text(json.dumps(PROTOCOL))
    insole_dir = args.dir / "insole"
    _say(
        f"virtual insole: {args.scenario}, {args.seconds / 60:.0f} simulated minutes at {args.speed:g}x, block protocol"
    )
    serve = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--scenario", args.scenario,
                              "--seconds", str(args.seconds), "--speed", str(args.speed), "--seed", str(args.seed),
                              "--config", str(config), "--dir", str(insole_dir)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        start = time.monotonic()
        expected = args.seconds / args.speed
        patience = 60 + 10 * expected  # a busy machine runs slower than asked, not 10x slower
        while not _sealed(insole_dir / "device"):
            if serve.poll() is not None:
                raise RuntimeError("the virtual insole stopped unexpectedly")
            if time.monotonic() - start > patience:
                raise RuntimeError(f"the virtual insole sealed no session in {patience:.0f} s; run `python -m "
                                   f"simulator serve --scenario {args.scenario}` and connect to its port to see why")
            done = min(1.0, (time.monotonic() - start) / expected)
            if sys.stderr.isatty():
                print(f"\r[demo] running: {done * args.seconds / 60:4.0f} of {args.seconds / 60:.0f} min", end="",
                      file=sys.stderr, flush=True)
            time.sleep(0.25)
        _say(f"run over after {time.monotonic() - start:.0f} s")
        store_path = args.dir / "archcue.sqlite"
        _say(f"pulling over the virtual serial port {insole_dir / 'port'} into {store_path}")
        report = pull(Store(store_path), str(insole_dir / "port"), restart=False)
        _say(f"{plural(len(report.imported), 'session')}, {report.bytes:,} bytes at {report.rate / 1024:.1f} KiB/s, "
             "verified")
    finally:
        serve.terminate()
        serve.wait(timeout=15)
    runner = PROTOCOL["runner_id"]
    command = ["--store", str(store_path), "report", runner]  # as the coach runs it: one way to a report
    archcue(command)
    archcue([*command, "--out", str(args.dir / f"report-{runner}.html")])
    print(f"drills page: {_drills(store_path, runner, args.dir)}")
    print(f"store: {store_path}")
    print(f"try: {hint(store_path, 'report', runner)}")
    return 0


DRILL_WEEK = (("2026-11-02", "learning"), ("2026-11-04", "learning"), ("2026-11-06", "steady"))
DRILLS_SEEN = date(2026, 11, 7)  # the drill week is dated: its page is seen from that week's end


def _drills(store_path: Path, runner: str, folder: Path) -> Path:
    """Three days of drill sets (balance eyes open and closed, short foot, toe waver) imported,
    and the runner's drills page written."""
    _say("a week of foot drills, imported as lab recordings (archcue import --drill)")
    for day, (at, skill) in enumerate(DRILL_WEEK):
        for drill, eyes in (("balance", "open"), ("balance", "closed"), ("short-foot", None), ("toe-waver", None)):
            csv = folder / "drills" / f"{at}-{drill}-{eyes or 'set'}.csv"
            csv.parent.mkdir(exist_ok=True)
            perform(drill, skill, "right", seed=day * 10 + len(drill) + (eyes == "closed")).write_csv(csv)
            import_recording(store_path, Options(csv, runner, "right", None, "newton", started_at=f"{at}T18:00",
                                                 drill=drill, eyes=eyes), note=lambda _: None)
    store = Store(store_path)
    page = folder / f"drills-{runner}.html"
    page.write_text(render.to_html(view.build(store, runner, DRILLS_SEEN)))
    store.close()
    return page


def hint(store_path: Path, *command: str) -> str:
    """The closing hint, an archcue command on the store, runnable as printed in a fresh shell
    (absolute paths: no activated venv)."""
    archcue = Path(sys.executable).parent / "archcue"
    return shlex.join([str(archcue), "--store", str(Path(store_path).resolve()), *command])
