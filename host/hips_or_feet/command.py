"""`archcue hips-or-feet [RATINGS...] [--runner NAME]`: the answer from ratings files of pain-mode
runs, and the feet's loading per arm from the runner's stored protocol runs."""
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
from host.store.db import Store
from host.text import shown


def stored(store: Store, sessions: Sessions) -> tuple[list[ratings.Run], list[ArmLoading]]:
    """The pain-mode runs among the protocol runs given (the answers the insole logged) and their
    loading per arm."""
    headers = store.headers([row.id for row, _ in sessions])
    runs = [ratings.from_events(f"session {row.id}", headers[row.id].get("config") or {}, store.events(row.id))
            for row, _ in sessions]
    return [r for r in runs if r is not None], loading_per_arm(store, sessions)


def _stored(args: argparse.Namespace) -> tuple[list[ratings.Run], list[ArmLoading] | None]:
    """The runner's pain-mode runs recorded by the insole, and the loading per arm (None without --runner)."""
    if args.runner is None:
        return [], None
    store = Store(args.store)
    name = store.runner_name(args.runner)
    if name is None:
        raise UserError(f"no runner {shown(args.runner)!r} in {args.store}: pull or import one of their runs first")
    return stored(store, protocol_runs(store, store.runner_steps(name, runs_only=True)))


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
    p.add_argument("--runner", help="also the loading per arm of this runner's protocol runs in the store")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_hips_or_feet)
