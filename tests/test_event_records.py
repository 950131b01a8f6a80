"""Event records on the host: stored with the steps, told apart from them, decoded by name."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.core import record, sessionlog
from host.store.db import Store
from host.store.records import count_steps, decode, decode_events, parse_session

KIND = 98  # a kind for this test only


@pytest.fixture(autouse=True)
def _test_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(record.EVENTS, KIND, ("trial", "<BHh", ("trial", "held_ds", "sway")))


def _session(n: int) -> bytes:
    """A sealed session of n slots: steps, with an event after every fourth."""
    header = {"session": "dev1-000001", "device": "dev1", "runner": "ana", "foot": "left", "rate_hz": 200,
              "format": 1}
    summary = sessionlog.Summary()
    body = bytearray()
    buf = bytearray(record.SIZE)
    for i in range(n):
        if i % 4 == 3:
            record.pack_event_into(buf, 0, KIND, 1000 * i, i // 4, 300 + i, -5)
            summary.add_event(record.unpack_event(buf))
        else:
            record.pack_into(buf, 0, 0, 1000 + 700 * i, 250, 1500, 2000, 300, 40, 0, 3000, 0, 0, 0)
            summary.add(record.unpack(buf))
        body += buf
    head = sessionlog._header_block(header)
    return head + bytes(body) + sessionlog._trailer_block(sessionlog._seal_info(summary, header, len(head)))


def test_events_are_kept_beside_the_steps_and_decoded_by_name(tmp_path: Path) -> None:
    parsed = parse_session(_session(40))
    assert parsed.damage is None and len(parsed.records) == 40 * record.SIZE
    assert len(decode(parsed.records)) == count_steps(parsed.records) == 30
    events = decode_events(parsed.records)
    assert events[:2] == [{"kind": "trial", "t_ms": 3000, "trial": 0, "held_ds": 303, "sway": -5},
                          {"kind": "trial", "t_ms": 7000, "trial": 1, "held_ds": 307, "sway": -5}]
    store = Store(tmp_path / "s.sqlite", create=True)
    store.import_parsed(parsed, "sha")
    assert store.sessions()[0].n_steps == 30  # a step count, events apart
    assert len(store.steps("dev1-000001")) == 30


def test_an_unknown_kind_is_kept_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    blob = _session(4)
    monkeypatch.delitem(record.EVENTS, KIND)
    parsed = parse_session(blob)
    assert parsed.damage is None
    (event,) = decode_events(parsed.records)
    assert event["kind"] == f"unknown {KIND}" and len(bytes.fromhex(event["payload"])) == 16


def test_a_corrupt_event_costs_only_itself() -> None:
    data = bytearray(_session(8))
    at = 10 + int.from_bytes(data[4:6], "little") + 3 * record.SIZE + 8  # inside the first event's payload
    data[at] ^= 0x10
    parsed = parse_session(bytes(data))
    assert parsed.gaps == [3] and count_steps(parsed.records) == 6 and len(decode_events(parsed.records)) == 1
