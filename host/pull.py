"""archcue pull: copy every new session off an insole, verify it, store it, and only then
(if asked) clear it from the insole."""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from firmware.core import config as fw_config
from host.command import UserError
from host.device_link import Insole, LinkError
from host.progress import Progress
from host.records import SessionFileError, parse_session
from host.store import Store
from host.text import check_name

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
    stopped_run: tuple[str, int] | None = None  # (session, steps): the insole was recording, the pull stopped it
    damaged: list[tuple[str, str]] = field(default_factory=list)  # stored incomplete; kept on the insole
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # not imported; kept on the insole
    flash_full: dict | None = None  # {"session", "steps"}: the insole stopped logging for lack of space
    config_errors: list[str] = field(default_factory=list)  # what the insole could not use of its config.json

    @property
    def rate(self) -> float:
        return self.bytes / self.seconds if self.seconds else 0.0

    @property
    def left_behind(self) -> bool:
        return bool(self.damaged or self.unreadable)


def read_config(path: Path | str) -> dict:
    """A config.json as a dict, not yet validated: the one reader of config files (archcue
    pull --config, the simulator's --config)."""
    try:
        cfg = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise UserError(f"{path}: cannot read a JSON config ({type(e).__name__}: {e})") from None
    if not isinstance(cfg, dict):
        raise UserError(f"{path}: a config is a JSON object, this is {type(cfg).__name__}")
    return cfg


def load_config(path: Path | None, **overrides: object) -> dict:
    """The config a firmware run uses (simulator replay/serve, archcue import): the file (if
    any) plus overrides, refused with every reason if anything is invalid (on the host we
    refuse; the insole itself falls back)."""
    raw = read_config(path) if path is not None else {}
    raw.update({k: v for k, v in overrides.items() if v is not None})
    _, errors = fw_config.validate(raw)
    if errors:
        raise UserError(f"{path or 'config'}: " + "; ".join(errors))
    return raw


def check_config(cfg: dict) -> dict:
    """What the host will write to the insole, checked first: every setting against the
    firmware's schema, every string (the insole hands them back in its headers) as a name."""
    for key, value in cfg.items():
        if isinstance(value, str) and (value or key != "runner_id"):
            check_name(key, value)
    _, errors = fw_config.validate(cfg)
    if errors:
        raise UserError("config not written: " + "; ".join(errors))
    return cfg


def _new_config(current: dict, runner: str | None, foot: str | None, config_file: dict | None) -> dict | None:
    if runner is None and foot is None and config_file is None:
        return None
    cfg = {**current, **(config_file or {})}
    if runner is not None:
        cfg["runner_id"] = runner
    if foot is not None:
        cfg["foot"] = foot
    return check_config(cfg)


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
          runner: str | None, foot: str | None) -> None:
    """Import one fetched file; a file the host cannot read is noted and never stops the pull.
    A session that carries no runner goes to the runner the coach named on this pull (an
    empty --runner only clears the insole's)."""
    try:
        parsed = parse_session(data, expect_id=sid)
    except SessionFileError as e:
        report.unreadable.append((sid, str(e)))
        return
    store.import_parsed(parsed, sha, runner or None, foot)
    report.imported.append(sid)
    report.placed.append((sid, store.runner_of(sid)))
    report.bytes += len(data)
    if parsed.damage:
        report.damaged.append((sid, parsed.damage))


def pull(store: Store, port: str, clear: bool = False, runner: str | None = None, foot: str | None = None,
         config_file: dict | None = None, set_clock: bool = True, restart: bool = True,
         quiet: bool = False, chunk_size: int = CHUNK) -> PullReport:
    insole = Insole(port)
    report = PullReport(device=insole.info["device"], port=port, stopped_run=insole.stopped_run,
                        flash_full=insole.info.get("flash_full"), config_errors=insole.info.get("config_errors", []))
    try:
        cfg = _new_config(insole.info["config"], runner, foot, config_file)  # validated before any write
        if set_clock:
            insole.call("set_clock(%d, %d, %d, %d, %d, %d)" % time.localtime()[:6])
        if cfg is not None:
            # UTF-8 bytes, not JSON escapes: the insole's json would turn \ud83c\udfc3 into surrogates
            answer = insole.call_json(f"write_config({json.dumps(cfg, ensure_ascii=False).encode()!r})")
            if not answer.get("ok"):
                raise UserError("the insole refused the config: " + "; ".join(answer.get("errors", [])))
            report.config_written = True
        listing = [(sid, size, sha or store.verified_sha(sid) or insole.call_json(f"sha({sid!r})"), synced)
                   for sid, size, sha, synced in insole.call_lines("sessions()")]  # synced ones come unhashed
        report.on_device = len(listing)
        todo = [(sid, size, sha) for sid, size, sha, _ in listing if not store.has_session(sid, sha)]
        progress = Progress(sum(size for _, size, _ in todo), stream=_Null() if quiet else sys.stderr)
        start = time.perf_counter()
        for sid, size, sha in todo:
            _take(store, report, sid, _fetch(insole, sid, size, sha, progress, chunk_size), sha, runner or None, foot)
        report.already = report.on_device - len(todo)
        report.seconds = time.perf_counter() - start
        if todo:
            progress.finish()
        fetched = {sid for sid, _, _ in todo}
        report.damaged += [(sid, why) for sid, _, sha, _ in listing
                           if sid not in fetched and (why := store.damage(sid))]
        verified = [(sid, sha) for sid, _, sha, _ in listing if store.verified(sid, sha)]
        marked = {sid for sid, _, _, synced in listing if synced}
        unmarked = [sid for sid, _ in verified if sid not in marked]
        for i in range(0, len(unmarked), MARK_BATCH):
            insole.call(f"mark_synced({unmarked[i:i + MARK_BATCH]!r})")
        if clear:
            for sid, sha in verified:
                if insole.call_json(f"delete({sid!r}, {sha!r})").get("deleted"):
                    report.cleared += 1
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
