"""python -m simulator COMMAND ...: the desktop insole (see --help)."""
from __future__ import annotations

import argparse
import sys

from host.command import dispatch
from simulator.commands import demo, generate, plot, realdata, replay, score, serve, validate
from simulator.errors import USER_ERRORS

COMMANDS = (generate, replay, realdata, score, plot, serve, validate, demo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="archcue simulator: a synthetic runner, recorded-data replay and scoring, "
                    "all through the real firmware running in the MicroPython unix port.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return dispatch(parser.parse_args(argv), USER_ERRORS, "python -m simulator", 2, "interrupted")


if __name__ == "__main__":
    sys.exit(main())
