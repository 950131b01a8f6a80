"""Bench: a full insole. 1,000 short sessions pulled from a virtual insole with a
board-sized heap (--heap-kb 160), then a pull with nothing new over ~2 MB of sealed
sessions (the listing must not re-read every record)."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from firmware.core import sessionlog
from host.store.db import Store
from host.sync.pull import pull
from tests.helpers import Virtual
from tests.sessionfiles import sealed_session

Row = tuple[str, str, str]


def _fill(device: Path, count: int, records: int) -> int:
    size = 0
    for k in range(count):
        sid = f"insole-{k + 100:06d}"
        data = sealed_session(records, sid=sid, device="insole")
        Path(sessionlog.path(str(device), sid)).write_bytes(data)
        size += len(data)
    return size


def _case(count: int, records: int, heap_kb: int) -> tuple[float, float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        insole = Virtual(Path(tmp), heap_kb=heap_kb)
        d = insole.dir
        try:
            size = _fill(d / "device", count, records)
            store = Store(Path(tmp) / "s.sqlite")
            start = time.perf_counter()
            first = pull(store, str(d / "port"), quiet=True, restart=False)
            full = time.perf_counter() - start
            start = time.perf_counter()
            again = pull(store, str(d / "port"), quiet=True, restart=False)
            nothing_new = time.perf_counter() - start
            assert not again.imported and not first.left_behind
            return full, nothing_new, len(first.imported), size
        finally:
            insole.stop()


def full_insole() -> list[Row]:
    full, nothing_many, n, size = _case(1000, 20, 160)
    _, nothing, _, size2 = _case(80, 1050, 160)  # 80 sessions of 1,050 steps: ~2 MB
    return [("pull 1,000 short sessions, --heap-kb 160", f"{n} imported in {full:.1f} s",
             f"virtual insole, {size / 1e3:.0f} kB (+ the run the pull stopped), python -m tests.bench_full_insole"),
            ("pull with nothing new, 1,000 sessions", f"{nothing_many:.2f} s", "the same insole, pulled again"),
            ("pull with nothing new over a full flash", f"{nothing:.2f} s",
             f"{size2 / 1e6:.2f} MB of sealed sessions already in the store, --heap-kb 160")]


if __name__ == "__main__":
    for row in full_insole():
        print(" | ".join(row))
