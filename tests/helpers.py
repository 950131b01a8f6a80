"""Small helpers shared by the end-to-end tests."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Row:
    """What analysis reads of a stored session, for steps made up by a test or bench."""
    id: str
    foot: str
    started_at: str | None = None


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll until predicate() is true; TimeoutError after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError("condition not reached")
