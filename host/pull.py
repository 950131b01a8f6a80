"""archcue pull: copy every new session off an insole, verify it, store it, and only then
(if asked) clear it from the insole."""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field

from firmware.core import config as fw_config
from host.device_link import Insole, LinkError
from host.progress import Progress
from host.store import Store

CHUNK = 4096  # bytes per read: large enough that the REPL round trip is small next to it


@dataclass
class PullReport:
    device: str
    port: str
    on_device: int = 0
    imported: list[str] = field(default_factory=list)
    already: int = 0
    cleared: int = 0
    bytes: int = 0
    seconds: float = 0.0
    config_written: bool = False

    @property
    def rate(self) -> float:
        return self.bytes / self.seconds if self.seconds else 0.0


def _new_config(current: dict, runner: str | None, foot: str | None, config_file: dict | None) -> dict | None:
    if runner is None and foot is None and config_file is None:
        return None
    cfg = {**current, **(config_file or {})}
    if runner is not None:
        cfg["runner_id"] = runner
    if foot is not None:
        cfg["foot"] = foot
    _, errors = fw_config.validate(cfg)
    if errors:
        raise ValueError("config not written: " + "; ".join(errors))
    return cfg


def _fetch(insole: Insole, sid: str, size: int, sha: str, progress: Progress, chunk_size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = insole.read(sid, len(data), min(chunk_size, size - len(data)))
        if not chunk:
            break
        data += chunk
        progress.update(len(chunk), sid)
    if hashlib.sha256(data).hexdigest() != sha:
        raise LinkError(f"{sid}: copy does not match the insole's SHA-256 ({len(data)} of {size} bytes); "
                        "nothing was stored, pull again")
    return bytes(data)


def pull(store: Store, port: str, clear: bool = False, runner: str | None = None, foot: str | None = None,
         config_file: dict | None = None, set_clock: bool = True, restart: bool = True,
         quiet: bool = False, chunk_size: int = CHUNK) -> PullReport:
    insole = Insole(port)
    report = PullReport(device=insole.info["device"], port=port)
    try:
        cfg = _new_config(insole.info["config"], runner, foot, config_file)  # validated before any write
        if set_clock:
            insole.call("set_clock(%d, %d, %d, %d, %d, %d)" % time.localtime()[:6])
        if cfg is not None:
            answer = insole.call_json(f"write_config({json.dumps(cfg)!r})")
            if not answer.get("ok"):
                raise ValueError("the insole refused the config: " + "; ".join(answer.get("errors", [])))
            report.config_written = True
        listing = insole.call_json("sessions()")
        report.on_device = len(listing)
        todo = [(sid, size, sha) for sid, size, sha, _ in listing if not store.has_session(sid, sha)]
        progress = Progress(sum(size for _, size, _ in todo), stream=_Null() if quiet else sys.stderr)
        start = time.perf_counter()
        for sid, size, sha, synced in listing:
            if (sid, size, sha) in todo:
                data = _fetch(insole, sid, size, sha, progress, chunk_size)
                store.import_session(data, sha)
                report.imported.append(sid)
                report.bytes += size
            else:
                report.already += 1
            if not synced:
                insole.call("mark_synced(%r)" % sid)
        report.seconds = time.perf_counter() - start
        if todo:
            progress.finish()
        if clear:
            for sid, _, sha, _ in listing:
                if store.has_session(sid, sha) and insole.call_json(f"delete({sid!r}, {sha!r})").get("deleted"):
                    report.cleared += 1
    finally:
        if restart:
            insole.restart()
        insole.close()
    return report


class _Null:
    def write(self, s: str) -> None:
        pass

    def flush(self) -> None:
        pass
