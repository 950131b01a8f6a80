"""Running a parsed command line: user errors as one clear line, never a traceback."""
from __future__ import annotations

import argparse
import sys


def dispatch(args: argparse.Namespace, user_errors: tuple[type[BaseException], ...], prefix: str,
             error_code: int, interrupted: str) -> int:
    """Call args.func(args). An error that is the user's input prints `prefix: message`
    and returns error_code; Ctrl-C prints `interrupted` and returns 130."""
    try:
        return args.func(args) or 0
    except user_errors as e:
        print(f"{prefix}: {e}", file=sys.stderr)
        return error_code
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return 130
