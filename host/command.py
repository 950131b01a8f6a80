"""Running a parsed command line: user errors as one clear line, never a traceback."""
from __future__ import annotations

import argparse
import sys


class UserError(Exception):
    """Bad input (a file, a port, a store, an insole's content): one line, no traceback.
    Anything else that escapes a command is a bug and keeps its traceback."""


def dispatch(args: argparse.Namespace, user_errors: tuple[type[BaseException], ...], prog: str,
             error_code: int, interrupted: str) -> int:
    """Call args.func(args). An error that is the user's input prints `prog: message`
    and returns error_code; Ctrl-C prints `interrupted` and returns 130."""
    try:
        return args.func(args) or 0
    except user_errors as e:
        from host.text import shown  # host.text raises UserError: imported here, not at the top

        print(f"{prog}: {shown(e)}", file=sys.stderr)  # a message may quote a file's or an insole's text
        return error_code
    except KeyboardInterrupt:
        print(f"{prog}: {interrupted}", file=sys.stderr)
        return 130
