"""archcue pull: copy every new session off an insole, verify it, store it, and only then
(if asked) clear it from the insole."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from host.command import UserError
from host.insole_config import check_config
from host.plan.history import history
from host.plan.plan import next_config
from host.progress import Progress
from host.store.db import Store
from host.store.records import NewerFormat, SessionFileError, parse_session
from host.sync.device_link import Firmware, Insole, LinkError, LinkLost
from host.text import plural

CHUNK = 4096  # bytes per read: large enough that the REPL round trip is small next to it


MARK_BATCH = 40  # sessions marked synced per call: few round trips, a short command line


@dataclass
class PullReport:
    device: str
    port: str
    on_device: int = 0
    imported: list[str] = field(default_factory=list)
    placed: list[tuple[str, str]] = field(default_factory=list)  # (session, runner) per session imported
    already: int = 0
    cleared: int = 0
    bytes: int = 0
    seconds: float = 0.0
    config_written: bool = False
    plan_written: str | None = None  # the plan's run the config sets up ("program step 3"), if any
    stopped_run: tuple[str, int] | None = None  # (session, steps): the insole was recording, the pull stopped it
    resealed: list[str] = field(default_factory=list)  # whole, their damaged trailer rebuilt from the records
    damaged: list[tuple[str, str]] = field(default_factory=list)  # stored with every valid record; kept
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # not imported; kept on the insole
    saved: list[tuple[str, str]] = field(default_factory=list)  # --clear-damaged: (session, where its copy is)
    removed: set[str] = field(default_factory=set)  # files deleted from the insole
    not_cleared: list[tuple[str, str]] = field(default_factory=list)  # a delete the insole refused: why
    flash_full: dict | None = None  # {"session", "steps"}: the insole stopped logging for lack of space
    config_errors: list[str] = field(default_factory=list)  # what the insole could not use of its config.json
    firmware: Firmware = field(default_factory=Firmware)  # the handshake's answer (sync.version())
    battery_mv: int | None = None  # the cell at the pull's start (firmware 0.2)

    @property
    def rate(self) -> float:
        return self.bytes / self.seconds if self.seconds else 0.0

    @property
    def kept(self) -> list[tuple[str, str]]:
        """(file, why) of what stays on the insole that the store does not hold whole."""
        return [(sid, why) for sid, why in self.damaged + self.unreadable if sid not in self.removed]

    @property
    def left_behind(self) -> bool:
        return bool(self.kept)


def _new_config(current: dict, runner: str | None, foot: str | None, config_file: dict | None,
                planned: dict | None = None) -> dict | None:
    """The config to write: the insole's, then the plan's next run, then what the coach gave on
    this pull (which wins); None if nothing is to change."""
    if runner is None and foot is None and config_file is None and not planned:
        return None
    cfg = {**current, **(planned or {}), **(config_file or {})}
    if runner is not None:
        cfg["runner_id"] = runner
    if foot is not None:
        cfg["foot"] = foot
    return check_config(cfg)


def _planned(store: Store, runner: str | None) -> dict:
    """The config keys of the runner's plan for the next run, read from the sessions now stored."""
    name = store.runner_name(runner) if runner else None
    plan = store.plan(name) if name else None
    return next_config(plan, history(store, name)) if plan and name else {}


def _write_config(insole: Insole, report: PullReport, cfg: dict) -> None:
    # UTF-8 bytes, not JSON escapes: the insole's json would turn \ud83c\udfc3 into surrogates
    answer = insole.call_json(f"write_config({json.dumps(cfg, ensure_ascii=False).encode()!r})")
    if not answer.get("ok"):
        raise UserError("the insole refused the config: " + "; ".join(answer.get("errors", [])))
    report.config_written = True
    if cfg.get("plan"):
        report.plan_written = f"{cfg['plan']} step {cfg.get('plan_step', 0)}"


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


def _take(store: Store, report: PullReport, sid: str, data: bytes, sha: str,
          runner: str | None, foot: str | None) -> bool:
    """Import one fetched file; a file the host cannot read is noted and never stops the pull.
    A session that carries no runner goes to the runner the coach named on this pull (an
    empty --runner only clears the insole's). True: the file may go with --clear-damaged
    (damaged with its records stored, or unreadable yet not of a newer format)."""
    try:
        parsed = parse_session(data, expect_id=sid)
    except SessionFileError as e:
        report.unreadable.append((sid, str(e)))
        return not isinstance(e, NewerFormat)
    if store.import_parsed(parsed, sha, runner or None, foot)[1]:
        report.imported.append(sid)
        report.placed.append((sid, store.runner_of(sid)))
        report.bytes += len(data)
    if parsed.seal_damaged:
        report.resealed.append(sid)
    if parsed.damage:
        report.damaged.append((sid, parsed.damage))
    return bool(parsed.damage)


def _save_copy(folder: Path, sid: str, data: bytes) -> Path:
    """The file, byte for byte, beside the store before the insole deletes it: flushed to disk
    first, so a failure here deletes nothing."""
    path = folder / f"{sid}.acs"
    tmp = path.with_name(path.name + ".part")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UserError(f"{path}: cannot save the copy of {sid} ({e.strerror or e}); nothing more was deleted "
                        "from the insole") from None
    return path


def _delete(insole: Insole, report: PullReport, sid: str, sha: str) -> bool:
    """Delete a file from the insole if it is still exactly the one read (the insole checks the SHA)."""
    answer = insole.call_json(f"delete({sid!r}, {sha!r})")
    if not answer.get("deleted"):
        report.not_cleared.append((sid, str(answer.get("reason", "the insole did not say why"))))
        return False
    report.removed.add(sid)
    return True


def pull(store: Store, port: str, clear: bool = False, runner: str | None = None, foot: str | None = None,
         config_file: dict | None = None, set_clock: bool = True, restart: bool = True,
         quiet: bool = False, chunk_size: int = CHUNK, clear_damaged: bool = False) -> PullReport:
    """clear: delete every session stored whole (and empty files); clear_damaged: also delete
    the damaged and unreadable files (not those of a newer format), each first saved byte for
    byte to `damaged/` beside the store, the damaged ones' valid records already stored."""
    insole = Insole(port)
    report = PullReport(device=insole.info["device"], port=port, stopped_run=insole.stopped_run,
                        flash_full=insole.info.get("flash_full"), config_errors=insole.info.get("config_errors", []),
                        firmware=insole.firmware, battery_mv=insole.info.get("battery_mv"))
    progress: Progress | None = None
    try:
        current = insole.info["config"]
        _new_config(current, runner, foot, config_file)  # the coach's part, checked before any write
        if set_clock:
            insole.call("set_clock(%d, %d, %d, %d, %d, %d)" % time.localtime()[:6])
        listing = [(sid, size, sha or store.verified_sha(sid) or insole.call_json(f"sha({sid!r})"), synced)
                   for sid, size, sha, synced in insole.call_lines("sessions()")]  # synced ones come unhashed
        report.on_device = len(listing)
        # a damaged session is read again: this archcue may read it whole, and --clear-damaged needs its bytes
        todo = [(sid, size, sha) for sid, size, sha, _ in listing
                if not store.has_session(sid, sha) or store.damage(sid)]
        progress = Progress(sum(size for _, size, _ in todo), stream=_Null() if quiet else sys.stderr)
        start = time.perf_counter()
        leftovers = []  # (sid, sha, bytes) of the files --clear-damaged may delete
        for sid, size, sha in todo:
            data = _fetch(insole, sid, size, sha, progress, chunk_size)
            if _take(store, report, sid, data, sha, runner or None, foot):
                leftovers.append((sid, sha, data))
        report.already = report.on_device - len(report.imported) - len(report.unreadable)
        report.seconds = time.perf_counter() - start
        if todo:
            progress.finish()
        # after the import: the plan's next run follows from every session now stored
        planned = _planned(store, current.get("runner_id") if runner is None else runner)
        cfg = _new_config(current, runner, foot, config_file, planned)
        if cfg is not None:
            _write_config(insole, report, cfg)
        verified = [(sid, sha) for sid, _, sha, _ in listing if store.verified(sid, sha)]
        marked = {sid for sid, _, _, synced in listing if synced}
        unmarked = [sid for sid, _ in verified if sid not in marked]
        for i in range(0, len(unmarked), MARK_BATCH):
            insole.call(f"mark_synced({unmarked[i:i + MARK_BATCH]!r})")
        if clear or clear_damaged:
            empty = [(sid, sha) for sid, size, sha, _ in listing if size == 0]  # nothing in them to lose
            report.cleared += sum(_delete(insole, report, sid, sha) for sid, sha in verified + empty)
        if clear_damaged:
            for sid, sha, data in leftovers:
                if data:
                    copy = _save_copy(store.path.parent / "damaged", sid, data)
                    if _delete(insole, report, sid, sha):
                        report.saved.append((sid, str(copy)))
    except LinkLost as e:
        if progress is not None:
            progress.stop()
        raise LinkLost(f"{e}; {plural(len(report.imported), 'new session')} stored whole before it, nothing partial, "
                       "and the insole keeps every session the store lacks: plug it in and run `archcue pull` again"
                       ) from None
    finally:
        if restart:
            insole.restart()
        else:
            _hold(insole)
        insole.close()
    return report


def _hold(insole: Insole) -> None:
    """Stay at the REPL as asked: stop the insole's mid-pull deadline (best effort: after a
    lost link the deadline is what brings the insole back)."""
    try:
        insole.call("hold()")
    except LinkError:
        pass


class _Null:
    def write(self, s: str) -> None:
        pass

    def flush(self) -> None:
        pass
