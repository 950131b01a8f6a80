"""`archcue hips-or-feet RATINGS...`: the answer from ratings files of pain-mode runs."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from host.hips_or_feet import ratings, words


def cmd_hips_or_feet(args: argparse.Namespace) -> int:
    runs = [ratings.load(Path(p)) for p in args.ratings]  # every file checked before any answer
    if args.format == "json":
        sys.stdout.write(json.dumps(words.document(runs), indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(words.text_lines(runs)) + "\n")
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hips-or-feet", help="which cue eased the knee pain: feet, hips, both or neither (pain mode)",
                       description="The runner's pain per block of the hips-or-feet protocol (pain mode: rounds "
                                   "of none, feet, hips and sham cues in a random order), one ratings file per "
                                   "run; the runs pool. Per cue: the change in pain against no cue and against "
                                   "the sham, with a randomization test over rounds, and the verdict by the rule "
                                   "it prints. It says only that a cue eased the pain while it was used.")
    p.add_argument("ratings", nargs="+", metavar="RATINGS.json", help="one run's ratings (see README: hips or feet)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_hips_or_feet)
