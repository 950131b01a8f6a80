"""python -m simulator serve: a virtual insole behind a serial port.

The firmware (app + core + simulator HAL) runs in the MicroPython unix port on one
pseudo-terminal; a bridge copies bytes between it and a second pseudo-terminal, the
"USB port" a host opens (both raw, as a board's USB CDC is). The port path changes from
run to run, so a stable link to it is kept (default build/virtual-insole/port).

    mpremote connect build/virtual-insole/port resume fs ls
    mpremote connect build/virtual-insole/port resume exec "print(1 + 1)"

Ctrl-C from the host stops the firmware loop (the session is sealed) and leaves the REPL;
a soft reset (Ctrl-D at the REPL) boots the firmware again, as on a board. The unix port
exits on a soft reset, so the bridge restarts it. SIGINT/SIGTERM shut everything down.

The simulated runner runs the scenario from each boot, or rests (the insole lies unloaded)
while DIR/sim/wearer says "rest" (--resting starts so): write "run" there and the run
goes on, "rest" and it pauses. The device folder is the insole's flash: what a pull wrote
(runner, foot, config, clock) and its sessions stay from one serve to the next, unless
--config is given.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from firmware.core.config import SCHEMA
from hardware.board_data import DEFAULT_BOARD, board_names, load_board
from host.insole_config import load_config
from host.sources import engine
from simulator.device import write_runner
from simulator.drills import DRILLS, SKILLS, after_a_run
from simulator.errors import ConfigError
from simulator.scenario import load_scenario, scenario_names
from simulator.synth import generate
from simulator.virtual_insole import DEFAULT_DIR, DEFAULT_HEAP_KB, VirtualInsole

DEFAULT_RATE_HZ = SCHEMA["rate_hz"][3]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="a virtual insole behind a serial port (mpremote and archcue pull work)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="responder", help=f"one of: {', '.join(scenario_names())}")
    p.add_argument("--speed", type=float, default=1.0, help="virtual time per wall-clock second (default 1: real time)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seconds", type=float, help="override the scenario's duration")
    p.add_argument("--board", default=DEFAULT_BOARD, choices=board_names())
    p.add_argument("--config", type=Path,
                   help="config.json for the insole (default: the one it has, e.g. from a pull; else the defaults)")
    p.add_argument("--device-id", default="sim0001", help="the insole's id, e.g. to serve a left and a right one")
    p.add_argument("--baud", type=int, default=0,
                   help="throttle the port to this line rate, e.g. 115200 (default: unthrottled)")
    p.add_argument("--heap-kb", type=int, default=DEFAULT_HEAP_KB,
                   help=f"MicroPython heap in KB (default {DEFAULT_HEAP_KB}: stands for the board's ~110 KB)")
    p.add_argument("--pull-idle-s", type=float,
                   help="reboot after this long without a host call mid-pull (default: the firmware's own, 60 s)")
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"work folder (default {DEFAULT_DIR})")
    p.add_argument("--link", type=Path, help="stable link to the port (default DIR/port)")
    p.add_argument("--resting", action="store_true",
                   help="the runner starts resting (no load): write `run` to DIR/sim/wearer to start")
    p.add_argument("--drills",
                   help="after the run (--seconds), the runner ends it with a press, starts a drill session with "
                        "two and performs these drills in order (e.g. toe-waver,short-foot; simulator/drills.py); "
                        "the insole guides its config's `drills`")
    p.add_argument("--skill", choices=SKILLS, default="learning", help="the drill performer's skill")
    p.add_argument("--count", type=int,
                   help="trials, reps or cycles the performer tries a set (default: the performer's)")
    p.add_argument("--flash-stall", choices=("off", "typical", "worst"), default="off",
                   help="stall the sampler for the flash's erase/program times (SPI NOR datasheet figures), "
                        "as an ESP32 does; stalls logged to DIR/sim/stalls.csv")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 32 <= args.heap_kb <= 65536:
        raise ConfigError(f"--heap-kb {args.heap_kb}: expected 32 to 65536")
    board = load_board(args.board)
    config = load_config(args.config) if args.config else None
    scenario = load_scenario(args.scenario)
    synth = generate(scenario, seed=args.seed, seconds=args.seconds)
    workdir = args.dir.resolve()  # the firmware runs with its own cwd: every path it is given is absolute
    device = workdir / "device"
    engine.prepare(device, board, _config_to_write(device, config, synth.rate_hz), compiled=True)
    (workdir / "device" / "sim_id").write_text(args.device_id)
    counts, button = synth.counts, False
    if args.drills:
        counts, button = after_a_run(synth.counts, synth.rate_hz, _drill_names(args.drills), args.skill,
                                     seed=args.seed, count=args.count)
    engine.write_frames(workdir / "sim" / "frames.bin", counts)
    runner = write_runner(workdir / "sim", synth)  # the runner answers the insole's cues
    insole = VirtualInsole(workdir, args.link or workdir / "port", args.speed, args.baud, runner,
                           log=lambda m: print(f"[virtual insole] {m}", file=sys.stderr, flush=True),
                           flash_stall=args.flash_stall, heap_kb=args.heap_kb, pull_idle_s=args.pull_idle_s,
                           resting=args.resting, button=button)

    def stop(signum: int, frame: object) -> None:
        insole.stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    insole.publish()
    print(f"virtual insole: {scenario['name']}, {synth.seconds / 60:.1f} min at {args.speed:g}x on {insole.port}",
          flush=True)
    print(f"port link: {insole.link}  (try: mpremote connect {insole.link} resume fs ls)", flush=True)
    try:
        insole.run()
    finally:
        insole.close()
    print("virtual insole stopped", file=sys.stderr)
    return 0


def _drill_names(given: str) -> list[str]:
    names = [n.strip() for n in given.split(",")]
    for n in names:
        if n not in DRILLS:
            raise ConfigError(f"--drills: {n!r} is not a drill the performer does ({', '.join(DRILLS)})")
    return names


def _config_to_write(device: Path, given: dict | None, rate_hz: int) -> dict | None:
    """What serve writes to the insole's config.json: --config as given; otherwise the
    insole keeps its own (what a pull wrote, a config it cannot read included: the firmware's
    handling of it is what runs), and only the scenario's sample rate is set in it. None:
    leave the file alone."""
    if given is not None:
        return {**given, "rate_hz": rate_hz}
    path = device / "config.json"
    if not path.exists():
        return {"rate_hz": rate_hz}
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(kept, dict) or kept.get("rate_hz", DEFAULT_RATE_HZ) == rate_hz:
        return None
    return {**kept, "rate_hz": rate_hz}
