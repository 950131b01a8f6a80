"""`archcue hips-or-feet [RATINGS...] [--runner NAME]`: the answer from ratings files of pain-mode
runs and from the runner's stored ones (their answer event records, one set per run), and the
feet's loading per arm from the runner's stored protocol runs."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from host.command import UserError
from host.hips_or_feet import ratings, words
from host.hips_or_feet.loading import ArmLoading, Sessions, loading_per_arm, protocol_runs
from host.reports.report import Block, json_ready
from host.store.db import SessionRow, Store
from host.text import shown


def stored(store: Store, sessions: Sessions) -> tuple[list[ratings.Run], list[ArmLoading]]:
    """The pain-mode runs among the protocol sessions given (the answers the insole logged, one
    set per run: _answers) and their loading per arm."""
    return pain_runs(store, [row for row, _ in sessions]), loading_per_arm(store, sessions)


def pain_runs(store: Store, rows: list[SessionRow]) -> list[ratings.Run]:
    """The pain-mode runs among the sessions given, one per run (_answers), oldest first."""
    ids = {row.id for row in rows}
    groups = [[row for row in run if row.id in ids] for runner in sorted({row.runner for row in rows})
              for run in store.runs(runner)]
    runs = [_answers(store, group) for group in groups if group]
    return [r for r in runs if r is not None]


def _stored(args: argparse.Namespace) -> tuple[list[ratings.Run], list[ArmLoading] | None]:
    """The runner's pain-mode runs recorded by the insole, and the loading per arm (None without --runner)."""
    if args.runner is None:
        return [], None
    store = Store(args.store)
    name = store.runner_name(args.runner)
    if name is None:
        raise UserError(f"no runner {shown(args.runner)!r} in {args.store}: pull or import one of their runs first")
    return stored(store, protocol_runs(store, store.runner_steps(name, runs_only=True)))


def _answers(store: Store, rows: list[SessionRow]) -> ratings.Run | None:
    """One run's answers (None without a pain-mode protocol): those of all its sessions, each
    once. The two insoles of one run are one runner's one pain: an imported lab run's both
    feet hold its ratings, a pulled pair the answers typed to either insole."""
    if not rows:
        return None
    headers = store.headers([row.id for row in rows])
    events, seen = [], set()
    for row in rows:
        for e in store.events(row.id):
            said = tuple(v for k, v in e.items() if k != "t_ms")  # the same answer, whichever insole took it
            if e["kind"] == "answer" and said not in seen:
                seen.add(said)
                events.append(e)
    source = ("session " if len(rows) == 1 else "sessions ") + " + ".join(row.id for row in rows)
    found = (ratings.from_events(source, headers[row.id].get("config") or {}, events) for row in rows)
    return next((run for run in found if run is not None), None)


def report_section(store: Store, sessions: Sessions) -> tuple[list[Block], dict[str, Any]] | None:
    """`archcue report`'s "Hips or feet" section and its JSON over the sessions the report covers,
    by the same words as the command; None when none of them ran the protocol."""
    protocol = protocol_runs(store, sessions)
    if not protocol:
        return None
    runs, loading = stored(store, protocol)
    return words.section(runs, loading), words.document(runs, loading)


def cmd_hips_or_feet(args: argparse.Namespace) -> int:
    if not args.ratings and args.runner is None:
        raise UserError("give ratings files of pain-mode runs, --runner NAME for the loading per arm, or both")
    runs = [ratings.load(Path(p)) for p in args.ratings]  # every file checked before any answer
    insole, loading = _stored(args)
    runs += insole
    if args.format == "json":
        sys.stdout.write(json.dumps(json_ready(words.document(runs, loading)), indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(words.text_lines(runs, loading)) + "\n")
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hips-or-feet", help="which cue eased the knee pain: feet, hips, both or neither (pain mode)",
                       description="The runner's pain per block of the hips-or-feet protocol (pain mode: rounds "
                                   "of none, feet, hips and sham cues in a random order), one ratings file per "
                                   "run; the runs pool. Per cue: the change in pain against no cue and against "
                                   "the sham, with a randomization test over rounds, and the verdict by the rule "
                                   "it prints. It says only that a cue eased the pain while it was used. With "
                                   "--runner: the feet's loading per arm (collapses, sway) from the runner's "
                                   "stored protocol runs, beside it.")
    p.add_argument("ratings", nargs="*", metavar="RATINGS.json", help="one run's ratings (see README: hips or feet)")
    p.add_argument("--runner", help="also this runner's pain-mode runs in the store (answers typed into archcue "
                                    "live, or imported with a lab recording) and the loading per arm")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_hips_or_feet)
