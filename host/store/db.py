"""The coach's store: SQLite, one file. Schema version 6:

    meta(key, value)                      schema_version
    runners(id, name, created_at, key)    one per runner: name as first given (trimmed), key
                                          its folded form (host.text.name_key, unique), so
                                          `Ana`, ` ana` and `ANA` are one runner
    devices(id, board, firmware, last_seen)
    sessions(id, runner_id, device_id, foot, rate_hz, started_at, imported_at, sha256,
             n_steps, recovered, header_json, summary_json,
             status, damage, gaps_json,   status 'ok', or 'damaged': fewer records came back
             shape_json)                  than the file says (damage says why, gaps_json
                                          lists the corrupt slots); never marked synced or
                                          cleared on the insole. shape_json: its landings'
                                          span, blocks and whether it is a leftover
                                          (host/store/runs.py), so listings need no steps
    steps(session_id, n_steps, records)   the session's verified 24-byte step records,
                                          byte for byte as on the insole (host/store/records.py
                                          decodes them with the firmware's definition)
    assignments(session_id, at, from_runner, to_runner, from_foot, to_foot, how)
                                          each session's moves between runners
    notes(session_id, entry, at, pain_during, pain_after, knee, drill)
                                          the coach's notes (archcue note), a history: every
                                          note is kept, and a session's note is, field by
                                          field, the latest value given (host/store/notes.py); entry
                                          numbers the command (sessions noted together); no
                                          foreign key, so a note outlives a re-import
    plans(runner_key, runner, plan_json, revision, updated_at)
                                          the coach's plan for a runner (host/plan/): drills, a
                                          training program or a protocol; its progress is not
                                          stored, it is read from the sessions' headers

Version 1-5 stores are migrated on opening, in one transaction (4 to 5: runners whose names fold
to one key become the first of them, each move kept in `assignments`; every session's shape is
found from its stored steps; 5 to 6: the plans table). A session is imported
in one transaction, keyed by its id (device id + counter): pulling it again stores nothing twice,
and a failed import leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware.core import sessionlog
from host.command import UserError
from host.store.notes import Note, check_knee_named, merged, standing
from host.store.records import Parsed, decode, decode_events, parse_session
from host.store.runs import Shape, group, shape, start_ms
from host.text import name_key

SCHEMA_VERSION = 6
UNASSIGNED = "unassigned"  # the runner of sessions no one named
DEFAULT_STORE = Path.home() / ".archcue" / "archcue.sqlite"

_ASSIGNMENTS = """
CREATE TABLE IF NOT EXISTS assignments (
    session_id TEXT NOT NULL, at TEXT NOT NULL, from_runner TEXT,
    to_runner TEXT NOT NULL, from_foot TEXT, to_foot TEXT, how TEXT NOT NULL);
"""
_NOTES = """
CREATE TABLE IF NOT EXISTS notes (
    session_id TEXT NOT NULL, entry INTEGER NOT NULL, at TEXT NOT NULL,
    pain_during INTEGER, pain_after INTEGER, knee TEXT, drill TEXT);
CREATE INDEX IF NOT EXISTS notes_by_session ON notes(session_id);
"""
_PLANS = """
CREATE TABLE IF NOT EXISTS plans (
    runner_key TEXT PRIMARY KEY, runner TEXT NOT NULL, plan_json TEXT NOT NULL,
    revision INTEGER NOT NULL, updated_at TEXT NOT NULL);
"""
_RUNNER_KEYS = "CREATE UNIQUE INDEX IF NOT EXISTS runners_by_key ON runners(key);"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runners (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, key TEXT);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY, board TEXT, firmware TEXT, last_seen TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, runner_id INTEGER NOT NULL REFERENCES runners(id),
    device_id TEXT NOT NULL REFERENCES devices(id), foot TEXT, rate_hz INTEGER,
    started_at TEXT, imported_at TEXT NOT NULL, sha256 TEXT NOT NULL, n_steps INTEGER NOT NULL,
    recovered INTEGER NOT NULL, header_json TEXT NOT NULL, summary_json TEXT,
    status TEXT NOT NULL DEFAULT 'ok', damage TEXT, gaps_json TEXT, shape_json TEXT);
CREATE TABLE IF NOT EXISTS steps (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id), n_steps INTEGER NOT NULL,
    records BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_by_runner ON sessions(runner_id);
""" + _ASSIGNMENTS + _NOTES + _RUNNER_KEYS + _PLANS
_MIGRATE_1_TO_2 = """
ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE sessions ADD COLUMN damage TEXT;
ALTER TABLE sessions ADD COLUMN gaps_json TEXT;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
"""
_MIGRATE_2_TO_3 = _ASSIGNMENTS + "UPDATE meta SET value = '3' WHERE key = 'schema_version';"
_MIGRATE_3_TO_4 = _NOTES + "UPDATE meta SET value = '4' WHERE key = 'schema_version';"
# 4 to 5: runners.key and sessions.shape_json, filled by _to_5 (Python), in the same transaction
_MIGRATE_4_TO_5 = "UPDATE meta SET value = '5' WHERE key = 'schema_version';"
_MIGRATE_5_TO_6 = _PLANS + "UPDATE meta SET value = '6' WHERE key = 'schema_version';"
_STEPS = (_MIGRATE_1_TO_2, _MIGRATE_2_TO_3, _MIGRATE_3_TO_4, _MIGRATE_4_TO_5, _MIGRATE_5_TO_6)
_MIGRATIONS = {version: "".join(_STEPS[version - 1:]) for version in range(1, SCHEMA_VERSION)}
FOLDED = "one runner, one name"  # how a move made by the 4-to-5 migration is recorded


class StoreError(UserError):
    pass


@dataclass
class SessionRow:
    id: str
    runner: str
    device: str
    foot: str
    started_at: str | None
    n_steps: int
    recovered: bool
    summary: dict | None
    status: str = "ok"
    damage: str | None = None
    imported_at: str | None = None  # when it was pulled or imported (computer clock)
    imported: str | None = None  # a recording's format (archcue import); None: an insole's run
    shape: Shape | None = None  # host/store/runs.py
    kind: str = "run"  # the header's kind: "drills" for a drill session (host/drills/), else a run

    @property
    def when(self) -> str | None:
        """When it ran: the insole clock, else (clock not set) when it was pulled or imported."""
        return self.started_at or self.imported_at


Move = tuple[str, str | None, str, str | None, str | None, str]  # at, from/to runner, from/to foot, how


def _oldest_first(row: SessionRow) -> tuple[bool, int, str]:
    t = start_ms(row.when)
    return t is None, t or 0, row.id


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


class Store:
    """create=False (read-only commands): a missing store is an error, never a new empty one."""

    def __init__(self, path: Path | str = DEFAULT_STORE, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise StoreError(f"no store at {self.path} (pull an insole first, or check --store)")
        if create:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"{self.path}: cannot make its folder ({e.strerror})") from None
        try:
            self.db = sqlite3.connect(self.path)
            self.db.execute("PRAGMA foreign_keys = ON")
            version = self._version(create)
        except sqlite3.OperationalError as e:  # the disk or a permission, not the file's content
            raise StoreError(f"{self.path}: cannot open or create the store ({e}): is its folder writable?") from None
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a readable archcue store ({e})") from None
        if version in _MIGRATIONS:
            self._migrate(version)
        elif version != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {version}, this archcue reads {SCHEMA_VERSION}")

    def _version(self, create: bool) -> int:
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            if tables:
                raise StoreError(f"{self.path}: an SQLite file, but not an archcue store")
            if not create:  # made by a pull killed before its first write: nothing is stored yet
                raise StoreError(f"{self.path}: an empty store (a pull stopped before it stored anything): "
                                 "pull an insole first")
            self.db.executescript(f"BEGIN; {_SCHEMA} INSERT OR IGNORE INTO meta VALUES ('schema_version', "
                                  f"'{SCHEMA_VERSION}'); COMMIT;")  # a kill leaves no half-made store
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:  # made by archcue before this one, killed between its tables and its version
            columns = {r[1] for r in self.db.execute("PRAGMA table_info(sessions)")}
            row = ("6" if "plans" in tables else "5" if "shape_json" in columns else "4" if "notes" in tables
                   else "3" if "assignments" in tables else "2" if "status" in columns else "1",)
            with self.db:
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", row)
        try:
            return int(row[0])
        except ValueError:
            raise StoreError(f"{self.path}: no readable schema version ({row[0]!r})") from None

    def _migrate(self, version: int) -> None:
        """All or nothing: the SQL steps from `version`, then the ones Python computes."""
        try:
            self.db.executescript("BEGIN;" + _MIGRATIONS[version])  # the transaction stays open
            self._to_5()
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise

    def _to_5(self) -> None:
        for table, column in (("runners", "key"), ("sessions", "shape_json")):
            if column not in {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
        self._fold_runners()
        self._fill_shapes()

    def _fold_runners(self) -> None:
        """Runners whose names fold to one key become the first made of them (its spelling is shown)."""
        kept: dict[str, tuple[int, str]] = {}
        for rid, name in self.db.execute("SELECT id, name FROM runners ORDER BY id").fetchall():
            key = name_key(name)
            if key not in kept:
                kept[key] = (rid, name)
                self.db.execute("UPDATE runners SET key = ? WHERE id = ?", (key, rid))
                continue
            to_id, to_name = kept[key]
            for sid, foot in self.db.execute("SELECT id, foot FROM sessions WHERE runner_id = ?", (rid,)).fetchall():
                self._record(sid, name, to_name, foot, foot, FOLDED)
            self.db.execute("UPDATE sessions SET runner_id = ? WHERE runner_id = ?", (to_id, rid))
            self.db.execute("DELETE FROM runners WHERE id = ?", (rid,))
        self._drop_empty_runners()
        self.db.execute(_RUNNER_KEYS)

    def _fill_shapes(self) -> None:
        for sid, header, blob in self.db.execute("SELECT s.id, s.header_json, t.records FROM sessions s "
                                                 "JOIN steps t ON t.session_id = s.id WHERE s.shape_json IS NULL"
                                                 ).fetchall():
            found = shape(decode(blob), json.loads(header).get("config"))
            self.db.execute("UPDATE sessions SET shape_json = ? WHERE id = ?", (found.to_json(), sid))

    def close(self) -> None:
        self.db.close()

    def has_session(self, session_id: str, sha256: str | None = None) -> bool:
        row = self.db.execute("SELECT sha256 FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return row is not None and (sha256 is None or row[0] == sha256)

    def verified(self, session_id: str, sha256: str) -> bool:
        """Stored whole and sealed from exactly this file: the insole may mark it synced and clear it."""
        return self.verified_sha(session_id) == sha256

    def verified_sha(self, session_id: str) -> str | None:
        """The SHA-256 of the whole, sealed copy stored, or None."""
        row = self.db.execute("SELECT sha256 FROM sessions WHERE id = ? AND status = 'ok' "
                              "AND summary_json IS NOT NULL", (session_id,)).fetchone()
        return row[0] if row else None

    def damage(self, session_id: str) -> str | None:
        row = self.db.execute("SELECT damage FROM sessions WHERE id = ? AND status = 'damaged'",
                              (session_id,)).fetchone()
        return row[0] if row else None

    def import_session(self, data: bytes, sha256: str, expect_id: str | None = None,
                       replaces: list[str] | tuple[str, ...] = ()) -> tuple[str, bool]:
        """Import one pulled session file. Returns (session id, newly imported). A session
        already stored whole is left as is; a whole copy replaces an unsealed or damaged one
        pulled earlier (also the same file, when this archcue reads it whole). Every CRC-valid record is stored; a
        session with fewer than its file says is stored as damaged. replaces: sessions this one
        supersedes (archcue import of a recording imported before it was finished), removed in
        the same transaction, their notes moved to this one."""
        return self.import_parsed(parse_session(data, expect_id), sha256, replaces=replaces)

    def import_device(self, device: Path) -> list[str]:
        """Import every session file of a device folder (a simulated insole's flash) as a pull
        does, file by file. Returns the session ids newly imported."""
        new = []
        for sid in sessionlog.session_ids(str(device)):
            data = Path(sessionlog.path(str(device), sid)).read_bytes()
            if self.import_session(data, hashlib.sha256(data).hexdigest(), sid)[1]:
                new.append(sid)
        return new

    def import_parsed(self, parsed: Parsed, sha256: str, runner: str | None = None,
                      foot: str | None = None, replaces: list[str] | tuple[str, ...] = ()) -> tuple[str, bool]:
        """runner/foot: where the coach said a session that carries no runner goes (pull
        --runner); recorded in its history. A session that names its runner keeps it."""
        header, blob, trailer = parsed.header, parsed.records, parsed.trailer
        sid = header["session"]
        old = self.db.execute("SELECT sha256, summary_json, status FROM sessions WHERE id = ?", (sid,)).fetchone()
        if old is not None and (old[1] is not None and old[2] == "ok" or old[0] == sha256 and parsed.damage):
            return sid, False  # stored whole already, or this same file read no better than before
        prior = self.db.execute("SELECT to_runner, to_foot FROM assignments WHERE session_id = ? "
                                "ORDER BY rowid DESC LIMIT 1", (sid,)).fetchone()
        placed = not header.get("runner") and runner is not None and prior is None
        if prior is not None:  # a better copy of a session the coach already placed stays where it was put
            runner, foot = prior
        elif not placed:
            runner, foot = header.get("runner") or UNASSIGNED, header.get("foot")
        steps = decode(blob)  # the step records (events apart): counted and shaped once
        found = shape(steps, header.get("config"))
        with self.db:  # one transaction: all of it or nothing
            runner_id = self._runner_id(runner)
            self.db.execute(
                "INSERT INTO devices (id, board, firmware, last_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET board = excluded.board, firmware = excluded.firmware, "
                "last_seen = excluded.last_seen",
                (header.get("device", "unknown"), header.get("board"), header.get("firmware"), _now()))
            self.db.execute("DELETE FROM steps WHERE session_id = ?", (sid,))
            self.db.execute("DELETE FROM sessions WHERE id = ?", (sid,))
            self.db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, runner_id, header.get("device", "unknown"), foot or header.get("foot"), header.get("rate_hz"),
                 header.get("started_at"), _now(), sha256, len(steps),
                 int(bool(trailer and trailer.get("recovered"))), json.dumps(header),
                 json.dumps(trailer) if trailer is not None else None,
                 "damaged" if parsed.damage else "ok", parsed.damage, json.dumps(parsed.gaps), found.to_json()))
            self.db.execute("INSERT INTO steps VALUES (?, ?, ?)", (sid, len(steps), blob))
            if placed:
                self._record(sid, None, runner, header.get("foot"), foot or header.get("foot"), "pull --runner")
            for old_sid in replaces:
                self._supersede(old_sid, sid, runner, foot or header.get("foot"))
            self._drop_empty_runners()  # the copy replaced may have been under another runner
        return sid, True

    def _supersede(self, old_sid: str, sid: str, runner: str, foot: str | None) -> None:
        """Inside an import's transaction: old_sid gives way to sid, its notes moving over."""
        row = self.db.execute("SELECT r.name, s.foot FROM sessions s JOIN runners r ON r.id = s.runner_id "
                              "WHERE s.id = ?", (old_sid,)).fetchone()
        if row is None:
            return
        self.db.execute("UPDATE notes SET session_id = ? WHERE session_id = ?", (sid, old_sid))
        self.db.execute("DELETE FROM steps WHERE session_id = ?", (old_sid,))
        self.db.execute("DELETE FROM sessions WHERE id = ?", (old_sid,))
        self._record(sid, row[0], runner, row[1], foot, f"import, replacing {old_sid}")

    def _runner_id(self, name: str) -> int:
        """The runner whose name folds as this one does; a new one (named as given, trimmed) if none."""
        key = name_key(name)
        self.db.execute("INSERT OR IGNORE INTO runners (name, created_at, key) VALUES (?, ?, ?)",
                        (name.strip(), _now(), key))
        return self.db.execute("SELECT id FROM runners WHERE key = ?", (key,)).fetchone()[0]

    def runner_name(self, name: str) -> str | None:
        """The runner's name as the store shows it (first given), for any spelling that folds to it."""
        row = self.db.execute("SELECT name FROM runners WHERE key = ?", (name_key(name),)).fetchone()
        return row[0] if row else None

    def _record(self, sid: str, old: str | None, new: str, old_foot: str | None, new_foot: str | None,
                how: str) -> None:
        self.db.execute("INSERT INTO assignments VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (sid, _now(), old, new, old_foot, new_foot, how))

    def assign(self, session_ids: list[str], runner: str, foot: str | None = None) -> list[tuple[str, str, str]]:
        """Move sessions to a runner (and foot), all in one transaction or none: a session
        id not in the store refuses the lot. Each move goes into the session's history;
        a runner left with no session is dropped. Returns (session, from runner, to runner)."""
        rows = {r[0]: r[1:] for r in self.db.execute(
            f"SELECT s.id, r.name, s.foot FROM sessions s JOIN runners r ON r.id = s.runner_id "
            f"WHERE s.id IN ({', '.join('?' * len(session_ids))})", session_ids)}
        missing = [sid for sid in session_ids if sid not in rows]
        if missing:
            raise StoreError(f"no session {', '.join(missing)} in {self.path}; nothing was moved "
                             "(see `archcue sessions`)")
        moves = []
        with self.db:
            runner_id = self._runner_id(runner)
            for sid in dict.fromkeys(session_ids):
                old, old_foot = rows[sid]
                new_foot = foot or old_foot
                self.db.execute("UPDATE sessions SET runner_id = ?, foot = ? WHERE id = ?", (runner_id, new_foot, sid))
                self._record(sid, old, runner, old_foot, new_foot, "assign")
                moves.append((sid, old, runner))
            self._drop_empty_runners()
        return moves

    def _drop_empty_runners(self) -> None:
        self.db.execute("DELETE FROM runners WHERE id NOT IN (SELECT runner_id FROM sessions)")

    def histories(self, session_ids: list[str]) -> dict[str, list[Move]]:
        """Each moved session's moves, oldest first; a session never moved has no entry. One query
        for any number of sessions."""
        moves: dict[str, list[Move]] = {}
        for sid, *move in self._rows_for("SELECT session_id, at, from_runner, to_runner, from_foot, to_foot, how "
                                         "FROM assignments ORDER BY rowid", session_ids):
            moves.setdefault(sid, []).append(tuple(move))
        return moves

    def runners(self) -> list[tuple[str, int, int]]:
        """(name, sessions, steps) per runner."""
        return self.db.execute(
            "SELECT r.name, COUNT(s.id), COALESCE(SUM(s.n_steps), 0) FROM runners r "
            "LEFT JOIN sessions s ON s.runner_id = r.id GROUP BY r.id ORDER BY r.key").fetchall()

    def sessions(self, runner: str | None = None) -> list[SessionRow]:
        """A runner's sessions (or all), oldest first: by insole clock, undated ones by when they
        were pulled or imported."""
        sql = ("SELECT s.id, r.name, s.device_id, s.foot, s.started_at, s.n_steps, s.recovered, s.summary_json, "
               "s.status, s.damage, s.imported_at, json_extract(s.header_json, '$.imported.format'), s.shape_json, "
               "COALESCE(json_extract(s.header_json, '$.kind'), 'run') "
               "FROM sessions s JOIN runners r ON r.id = s.runner_id")
        args: tuple = ()
        if runner is not None:
            sql += " WHERE r.key = ?"
            args = (name_key(runner),)
        rows = [SessionRow(r[0], r[1], r[2], r[3] or "?", r[4], r[5], bool(r[6]), json.loads(r[7]) if r[7] else None,
                           r[8], r[9], r[10], r[11], Shape.from_json(r[12]) if r[12] else None, r[13])
                for r in self.db.execute(sql, args)]
        return sorted(rows, key=_oldest_first)

    def runs(self, runner: str | None = None) -> list[list[SessionRow]]:
        """A runner's (or every runner's) runs, oldest first, each its sessions oldest first
        (host/store/runs.py: both insoles of the same minutes are one run; a leftover, and an
        undated session, is alone; so is a drill session, never paired with a run)."""
        mine: dict[str, list[SessionRow]] = {}
        for row in self.sessions(runner):
            mine.setdefault(row.runner, []).append(row)
        out: list[list[SessionRow]] = []
        for rows in mine.values():
            ran = [r for r in rows if r.kind == "run"]
            runs: dict[int, list[SessionRow]] = {}
            for row, placed in zip(ran, group([(r.foot, start_ms(r.started_at), r.shape) for r in ran])):
                runs.setdefault(placed.run, []).append(row)
            out += runs.values()
            out += [[r] for r in rows if r.kind != "run"]
        return sorted(out, key=lambda run: _oldest_first(run[0]))

    def runner_of(self, session_id: str) -> str:
        return self.db.execute("SELECT r.name FROM sessions s JOIN runners r ON r.id = s.runner_id WHERE s.id = ?",
                               (session_id,)).fetchone()[0]

    def headers(self, session_ids: list[str]) -> dict[str, dict]:
        """Each session's header as the insole (or `archcue import`) wrote it, in one query."""
        return {sid: json.loads(text) for sid, text in self._rows_for("SELECT id, header_json FROM sessions",
                                                                      session_ids)}

    def runner_exists(self, runner: str) -> bool:
        return self.runner_name(runner) is not None

    def steps(self, session_id: str) -> np.ndarray:
        row = self.db.execute("SELECT records FROM steps WHERE session_id = ?", (session_id,)).fetchone()
        if row is None:
            raise StoreError(f"no session {session_id!r} in {self.path}")
        return decode(row[0])

    def events(self, session_id: str) -> list[dict]:
        """A session's event records (a drill session's results), decoded: records.decode_events."""
        row = self.db.execute("SELECT records FROM steps WHERE session_id = ?", (session_id,)).fetchone()
        if row is None:
            raise StoreError(f"no session {session_id!r} in {self.path}")
        return decode_events(row[0])

    def runner_steps(self, runner: str, runs_only: bool = False) -> list[tuple[SessionRow, np.ndarray]]:
        """Every session of a runner with its steps, oldest first; runs_only: its drill sessions
        left out (what analyses runs: a drill session holds drill results, no landings)."""
        return [(s, self.steps(s.id)) for s in self.sessions(runner) if not runs_only or s.kind == "run"]

    # ------------------------------------------------------------------------------ the coach's plans

    def plan(self, runner: str) -> dict | None:
        """The runner's plan ({section: value}, host/plan/), or None if the coach set none."""
        row = self.db.execute("SELECT plan_json FROM plans WHERE runner_key = ?", (name_key(runner),)).fetchone()
        return json.loads(row[0]) if row else None

    def plan_revision(self, runner: str) -> int:
        """How many times the runner's plan was saved (0: never)."""
        row = self.db.execute("SELECT revision FROM plans WHERE runner_key = ?", (name_key(runner),)).fetchone()
        return row[0] if row else 0

    def save_plan(self, runner: str, plan: dict) -> int:
        """Replace the runner's plan (an empty plan removes it); returns its new revision."""
        key = name_key(runner)
        revision = self.plan_revision(runner) + 1
        with self.db:
            if not plan:
                self.db.execute("DELETE FROM plans WHERE runner_key = ?", (key,))
                return 0
            self.db.execute("INSERT INTO plans VALUES (?, ?, ?, ?, ?) ON CONFLICT(runner_key) DO UPDATE SET "
                            "plan_json = excluded.plan_json, revision = excluded.revision, "
                            "updated_at = excluded.updated_at",
                            (key, self.runner_name(runner) or runner.strip(), json.dumps(plan), revision, _now()))
        return revision

    # ------------------------------------------------------------------------------ the coach's notes

    def add_note(self, session_ids: list[str], pain_during: int | None = None, pain_after: int | None = None,
                 knee: str | None = None, drill: str | None = None) -> list[tuple[list[SessionRow], Note]]:
        """Note pain / knee / drill on sessions, one transaction for all or none: an unknown
        session id, or a pain above 0 with no knee named (now or before, on any session of its
        run), refuses the lot. A note on a session is its run's (host/store/notes.py). Returns each
        run noted (its sessions) with its note as it now stands."""
        missing = [sid for sid in session_ids if not self.has_session(sid)]
        if missing:
            raise StoreError(f"no session {', '.join(missing)} in {self.path}; nothing was noted "
                             "(see `archcue sessions`)")
        wanted = set(session_ids)
        runs = [run for runner in {self.runner_of(sid) for sid in wanted} for run in self.runs(runner)
                if wanted & {row.id for row in run}]
        run_of = {row.id: run[0].id for run in runs for row in run}
        before = standing(self.note_history(list(run_of)), run_of)
        out = []
        with self.db:
            entry = self.db.execute("SELECT COALESCE(MAX(entry), 0) + 1 FROM notes").fetchone()[0]
            for run in sorted(runs, key=lambda run: _oldest_first(run[0])):
                head = run[0].id
                now = merged(before.get(head), Note(head, pain_during, pain_after, knee, drill, _now(), entry))
                check_knee_named([now.pain_during, now.pain_after], now.knee)  # raises inside: nothing written
                for sid in dict.fromkeys(sid for sid in session_ids if run_of[sid] == head):
                    self.db.execute("INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    (sid, entry, now.at, pain_during, pain_after, knee, drill))
                out.append((run, now))
        return out

    def notes(self, session_ids: list[str] | None = None, run_of: dict[str, str] | None = None) -> dict[str, Note]:
        """Each noted session's note as it stands (the history merged, oldest first); with run_of
        (session -> its run's first session), each run's."""
        return standing(self.note_history(session_ids), run_of)

    def run_notes(self) -> dict[str, Note]:
        """Every run's note as it stands (a note on either insole's session is the run's), by the
        run's first session."""
        run_of = {row.id: run[0].id for run in self.runs() for row in run}
        return self.notes(list(run_of), run_of)

    def note_history(self, session_ids: list[str] | None = None) -> list[tuple]:
        """Every note as written, oldest first: rows of host.store.notes.NOTE_COLUMNS."""
        sql = "SELECT session_id, entry, at, pain_during, pain_after, knee, drill FROM notes ORDER BY rowid"
        return self.db.execute(sql).fetchall() if session_ids is None else list(self._rows_for(sql, session_ids))

    def _rows_for(self, sql: str, session_ids: list[str]) -> Iterator[tuple]:
        """The rows of `sql` whose first column is one of session_ids: filtered here, not with
        SQL IN (...), since a listing or a report may name more sessions than SQLite takes
        variables."""
        wanted = set(session_ids)
        return (row for row in self.db.execute(sql) if row[0] in wanted)
