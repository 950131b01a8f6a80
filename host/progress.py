"""A one-line progress bar on stderr: bytes done, total and rate."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str = "", stream=sys.stderr):
        self.total = max(total, 1)
        self.done = 0
        self.label = label
        self.stream = stream
        self.start = time.perf_counter()
        self.tty = getattr(stream, "isatty", lambda: False)()
        self.last = 0.0

    def update(self, n: int, label: str | None = None) -> None:
        self.done += n
        if label is not None:
            self.label = label
        now = time.perf_counter()
        if self.tty and (now - self.last > 0.1 or self.done >= self.total):
            self.last = now
            self.stream.write("\r" + self.line() + " " * 4)
            self.stream.flush()

    def rate(self) -> float:
        return self.done / max(time.perf_counter() - self.start, 1e-9)

    def line(self) -> str:
        frac = min(1.0, self.done / self.total)
        bar = "#" * int(frac * 24)
        return (f"[{bar:<24}] {self.done / 1024:7.1f}/{self.total / 1024:.1f} KiB "
                f"{self.rate() / 1024:6.1f} KiB/s  {self.label}")

    def stop(self) -> None:
        """End a line the bar started early: an error follows on a line of its own."""
        if self.tty and self.last:
            self.stream.write("\n")
            self.stream.flush()

    def finish(self) -> None:
        self.stream.write(("\r" if self.tty else "") + self.line() + "\n")
        self.stream.flush()
