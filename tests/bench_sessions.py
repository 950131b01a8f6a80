"""`make bench`: `archcue sessions` on a store of 1,000 sessions of every kind the listing words
(notes, damage, imports, moves): its time and the SQL statements it runs.

    PYTHONPATH=. .venv/bin/python -m tests.bench_sessions
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from tests.test_sessions_listing import listing, mixed_store

Row = tuple[str, str, str]
GROUPS = 125  # of eight sessions each


def sessions_listing() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="archcue-bench-sessions-") as tmp:
        db = Path(tmp) / "s.sqlite"
        mixed_store(db, GROUPS)
        seconds, statements = min(listing(db) for _ in range(3))
    return [(f"archcue sessions, {GROUPS * 8:,} sessions", f"{seconds * 1000:.0f} ms, {len(statements)} SQL statements",
             "notes, damaged, imported and moved sessions (tests/test_sessions_listing.py's kinds); inside "
             "archcue (no Python start-up), best of 3")]


if __name__ == "__main__":
    for row in sessions_listing():
        print(" | ".join(row))
