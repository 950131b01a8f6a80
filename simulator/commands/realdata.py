"""python -m simulator realdata: the real recordings through the firmware, scored."""
from __future__ import annotations

import argparse

from simulator import realdata
from simulator.realdata import all_datasets, replay, table, walking, walking_table, walks


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("realdata", help="replay the real recordings in ../shared/data/real and score them",
                       description=realdata.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(table([replay(ds) for ds in all_datasets()]))
    print("\nWalks against where each landing's load begins:\n")
    print(walking_table([walking(ds) for ds in walks()]))
    return 0
