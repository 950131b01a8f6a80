"""python -m simulator validate: verdicts over many seeds of a scenario."""
from __future__ import annotations

import argparse

from simulator import validate
from simulator.validate import verdicts


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="count verdicts over many seeds of a scenario",
                       description=validate.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", action="append", help="default: responder and non_responder")
    p.add_argument("--seeds", type=int, default=40)
    p.add_argument("--seconds", type=float, default=1800, help="run length (default a half hour)")
    p.add_argument("--jobs", type=int, default=2)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for name in args.scenario or ["responder", "non_responder"]:
        counts = verdicts(name, range(1, args.seeds + 1), args.seconds, args.jobs)
        print(f"{name}: " + ", ".join(f"{v} {n}/{args.seeds}" for v, n in counts.most_common()))
    return 0
