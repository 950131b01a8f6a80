"""`make bench`: `archcue sessions` on a store of 1,000 sessions of every kind the listing words
(notes, damage, imports, moves): its time and the SQL statements it runs.

    PYTHONPATH=. .venv/bin/python -m tests.bench_sessions
"""
from __future__ import annotations

import contextlib
import io
import sqlite3
import tempfile
import time
from pathlib import Path

from host.cli import main as archcue
from tests.test_sessions_listing import mixed_store

Row = tuple[str, str, str]
GROUPS = 125  # of eight sessions each


def _listing(db: Path) -> tuple[float, int]:
    """(seconds, SQL statements) of one `archcue sessions`, in this process."""
    run: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs) -> sqlite3.Connection:
        con = connect(*args, **kwargs)
        con.set_trace_callback(run.append)
        return con

    sqlite3.connect = traced  # counted, not changed
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            archcue(["--store", str(db), "sessions"])
        return time.perf_counter() - start, len(run)
    finally:
        sqlite3.connect = connect


def sessions_listing() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="archcue-bench-sessions-") as tmp:
        db = Path(tmp) / "s.sqlite"
        mixed_store(db, GROUPS)
        seconds, statements = min(_listing(db) for _ in range(3))
    return [(f"archcue sessions, {GROUPS * 8:,} sessions", f"{seconds * 1000:.0f} ms, {statements} SQL statements",
             "notes, damaged, imported and moved sessions (tests/test_sessions_listing.py's kinds); inside "
             "archcue (no Python start-up), best of 3")]


if __name__ == "__main__":
    for row in sessions_listing():
        print(" | ".join(row))
