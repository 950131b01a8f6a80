"""`archcue export --format parquet DIR`: the store as a Parquet dataset for a lab: DuckDB,
Polars, PyArrow and Spark read it as it is, on a laptop or a cluster.

    DIR/archcue-dataset.json                 what archcue needs to add to it later (below)
    DIR/schema.json, DIR/README.txt          every table's columns, types, units and meaning
    DIR/steps/runner=R/session=S/part-0.parquet    one row per step (the CSV export's columns)
    DIR/sessions/part-0.parquet              one row per session, its note as it stands
    DIR/runs/part-0.parquet                  each session's run (both insoles of one run) and the
                                             run's own verdict
    DIR/notes/part-0.parquet                 every note as written
    DIR/verdicts/part-0.parquet              each runner's verdict as `archcue report` gives it

Steps are partitioned Hive-style by runner and session: `runner` and `session` are columns
read from the path, not stored in the files (Spark refuses a column that is both). Names keep
any Unicode: ASCII other than letters, digits and . _ - is written %XX, as Hive escapes a
path, and every engine above decodes it. A session's steps are written once, never again. The
small tables (kilobytes per runner) are one file each, with a `runner` column: partitioned,
they would be thousands of one-row files; an export rewrites them with the rows of the runners
that changed (a new session, a note, a move) and keeps the others'. Exporting again adds only
what is new: the manifest lists each exported session and a digest of each runner's state.

--pseudonymize: runners, sessions, runs and devices become keyed hashes (HMAC-SHA-256 with a
key the coach keeps, by default beside the store: STORE.pseudonym-key, created on first use;
the same key gives the same pseudonyms on every export, so a lab can follow a runner over
time without a name), imported file names are left out and a drill named in the coach's own
words becomes `other`. A dataset is pseudonymized or not from its first export on.

Nothing is overwritten on bad input: a folder that is not an archcue dataset, a dataset of
another schema version or of another store, or a key that is not the dataset's is refused
before anything is written. Each file is written under a temporary name and renamed, and the
manifest last, so a kill leaves a dataset that the next export completes."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from firmware.core import record
from host.command import UserError
from host.hips_or_feet.answer import ARMS
from host.hips_or_feet.loading import arm_of_steps, in_toe_curl_view
from host.reports.export import FIELDS, TO_MS, step_table
from host.squad.summaries import CODE, Summary, all_summaries, key
from host.store.db import SessionRow, Store
from host.store.notes import DRILLS, Note
from host.verdict.analysis import Steps, judged, toe_judged
from host.verdict.rule import Rule

SCHEMA_VERSION = 2  # 2: steps' arm and in_verdict, sessions' kind; drill sessions hold no steps or runs
MANIFEST = "archcue-dataset.json"
VERSION_KEY = b"archcue.schema_version"  # in every file's key-value metadata too: mixed folders are found
PART = "part-0.parquet"


class DatasetError(UserError):
    pass


@dataclass(frozen=True)
class Col:
    name: str
    type: pa.DataType
    meaning: str


_FLAG_MEANINGS = {
    "collapse": "the arch took clearly more of the load than this runner's usual (counts when judged)",
    "toe_engaged": "the toes pressed in early in stance (counts when toe_judged)",
    "cued": "the insole buzzed on this landing",
    "cue_block": "the landing fell in a block with the buzz on",
    "sensor_fault": "a channel was faulty during the step (fault_channels_mask says which)",
    "calibrated": "the runner's usual was learnt: flags count",
    "saturated": "a channel hit the ADC ceiling in stance",
    "dropped": "the sampler missed frames in stance",
    "walking": "a walking step: not judged",
    "arch_uncertain": "the insole could not judge collapse (collapse is false)",
    "toe_uncertain": "the insole could not judge the toes (toe_engaged is false)",
}
assert set(_FLAG_MEANINGS) == set(record.FLAG_NAMES + record.STEP_NAMES)
_INT, _F64, _STR, _BOOL = pa.int64(), pa.float64(), pa.string(), pa.bool_()

STEPS = ([Col("foot", _STR, "left or right"), Col("ic_ms", _INT, FIELDS[0][4]), Col("to_ms", _INT, TO_MS)]
         + [Col(c, _F64 if decimals else _INT, meaning) for c, _, _, decimals, meaning in FIELDS[1:]]
         + [Col(n, _BOOL, _FLAG_MEANINGS[n]) for n in record.FLAG_NAMES + record.STEP_NAMES]
         + [Col("judged", _BOOL, "the landing's collapse flag counts: calibrated, running, judged, arch sensor "
                                 "healthy (host.verdict.analysis.judged)"),
            Col("toe_judged", _BOOL, "the landing's toe flag counts (host.verdict.analysis.toe_judged)"),
            Col("arm", _STR, "hips-or-feet protocol runs: the block's arm (none, feet, hips or sham); null in the "
                             "warm-up, past the rounds and in other runs"),
            Col("in_verdict", _BOOL, "the toe-curl verdict reads the landing: false in a protocol run's hips and "
                                     "sham blocks and past its rounds (host.hips_or_feet.loading.in_toe_curl_view)")])
SESSIONS = [Col("session", _STR, "session id (device id + counter)"),
            Col("kind", _STR, "run, or drills: a foot-drill session (its results are no steps; archcue drills)"),
            Col("device", _STR, "the insole's id"),
            Col("foot", _STR, "left or right"),
            Col("started_at", _STR, "insole clock at the start, ISO 8601 local time; null: clock not set"),
            Col("rate_hz", _INT, "sample rate, Hz"), Col("firmware", _STR, "firmware version"),
            Col("board", _STR, "board profile"), Col("steps", _INT, "landings stored"),
            Col("status", _STR, "ok, or damaged: fewer records came back than the file says"),
            Col("damage", _STR, "why it is damaged"), Col("recovered", _BOOL, "sealed after a power cut"),
            Col("sealed", _BOOL, "the run ended cleanly"),
            Col("imported_format", _STR, "archcue import: csv or moticon; null: pulled from an insole"),
            Col("imported_file", _STR, "archcue import: the file's name (left out when pseudonymized)"),
            Col("pain_during", _INT, "knee pain during the run, 0 (none) to 10 (worst), the note as it stands"),
            Col("pain_after", _INT, "knee pain after the run, 0-10"), Col("knee", _STR, "left, right or both"),
            Col("drill", _STR, "drill tried: toe-curl, hips-core, none, or the coach's words (other when "
                               "pseudonymized)")]
RUNS = [Col("session", _STR, "session id"),
        Col("run", _STR, "the run's first session: the two insoles of one run name the same"),
        Col("foot", _STR, "left or right"),
        Col("shift_ms", _INT, "the session's start after its run's start, ms"),
        Col("shift_blocks", _INT, "the same in protocol blocks: block + shift_blocks is the run's block (both "
                                  "feet's landings of it are one cluster)"),
        Col("run_verdict", _STR, "the run's own verdict (same rule)"), Col("minutes", _F64, "first to last landing"),
        Col("blocks_on", _INT, "blocks with the buzz"), Col("blocks_off", _INT, "blocks without")]
NOTES = [Col("session", _STR, "session id"), Col("entry", _INT, "the note's number: sessions noted in one command "
                                                                "share it"),
         Col("at", _STR, "when the note was written (computer clock)"), Col("pain_during", _INT, "0-10; null: not "
                                                                                                 "given"),
         Col("pain_after", _INT, "0-10"), Col("knee", _STR, "left, right or both"), Col("drill", _STR, "as above")]
_RATIO = "collapse rate ratio (below 1: fewer collapses)"
VERDICTS = ([Col("verdict", _STR, "stabilizes, no_clear_effect, inconclusive, destabilizes or insufficient_data"),
             Col("basis", _STR, "blocks (the protocol's randomized blocks) or engagement (observational)"),
             Col("sessions", _INT, "sessions pooled"), Col("runs", _INT, "runs (both insoles of one run count once)"),
             Col("minutes", _F64, "running time, each run once"), Col("steps", _INT, "landings"),
             Col("judged", _INT, "landings judged"), Col("first_run", _STR, "first dated session's start"),
             Col("latest_run", _STR, "latest dated session's start")]
            + [Col(f"{what}{end}", _F64, f"{words}: {_RATIO}{tail}")
               for what, words in (("buzz", "the buzz's effect"), ("curling", "curling's effect"),
                                   ("as_treated", "curled vs uncurled landings in the same minutes"))
               for end, tail in (("_ratio", ""), ("_low", ", 95% interval"), ("_high", ", 95% interval"))]
            + [Col("engaged_on", _F64, "share of landings with the toes engaged, with the buzz"),
               Col("engaged_off", _F64, "the same without the buzz"),
               Col("more_minutes", _INT, "inconclusive: minutes of blocks likely to settle it (null: over 120)"),
               Col("short", _STR, "insufficient_data: what fell short, comma-separated"),
               Col("margin", _F64, "the rule's margin (0.15: 15% either way)"),
               Col("equivalence", _STR, "what no_clear_effect rests on (itt+as-treated or complier)"),
               Col("analysis", _STR, "digest of the code that decided")])
_RUNNER = [Col("runner", _STR, "the runner's name (or pseudonym)")]
TABLES: dict[str, tuple[list[Col], tuple[str, ...]]] = {  # name: columns, partitioned by
    "steps": (STEPS, ("runner", "session")), "sessions": (_RUNNER + SESSIONS, ()), "runs": (_RUNNER + RUNS, ()),
    "notes": (_RUNNER + NOTES, ()), "verdicts": (_RUNNER + VERDICTS, ())}


def arrow_schema(cols: list[Col]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.type) for c in cols], metadata={VERSION_KEY: str(SCHEMA_VERSION)})


# ----------------------------------------------------------------------------------------- rows of each table


def step_rows(row: SessionRow, steps: np.ndarray, config: dict) -> pa.Table:
    """A session's steps in the dataset's columns: the CSV export's, flags as booleans, whether
    each landing's flags count, and its protocol arm (config: the session header's)."""
    values = step_table(steps)
    n = len(steps)
    n_flags = len(record.FLAG_NAMES + record.STEP_NAMES)
    cols = ([pa.array([str(row.foot)] * n, _STR)] + [pa.array(v) for v in values[:-n_flags]]
            + [pa.array(v.astype(bool)) for v in values[-n_flags:]]
            + [pa.array(judged(steps)), pa.array(toe_judged(steps)), pa.array(_arm_names(steps, config), _STR),
               pa.array(in_toe_curl_view(steps, config))])
    return pa.Table.from_arrays(cols, schema=arrow_schema(STEPS))


def _arm_names(steps: np.ndarray, config: dict) -> list[str | None]:
    """Each landing's protocol arm by name (None outside the rounds or without the protocol)."""
    return [ARMS[code] if code >= 0 else None for code in arm_of_steps(steps, config).tolist()]


def _table(cols: list[Col], rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=arrow_schema(cols))


def _interval(prefix: str, r) -> dict:
    return {f"{prefix}_ratio": r.estimate if r else None, f"{prefix}_low": r.low if r else None,
            f"{prefix}_high": r.high if r else None}


def verdict_row(s: Summary, rule: Rule, code: str) -> dict:
    return {"verdict": s.verdict, "basis": s.basis, "sessions": s.sessions, "runs": s.runs, "minutes": s.minutes,
            "steps": s.steps, "judged": s.judged, "first_run": s.first_run, "latest_run": s.latest_run,
            **_interval("buzz", s.buzz), **_interval("curling", s.curling), **_interval("as_treated", s.as_treated),
            "engaged_on": s.engaged_on, "engaged_off": s.engaged_off, "more_minutes": s.more_minutes,
            "short": ",".join(s.short) or None, "margin": rule.margin, "equivalence": rule.equivalence,
            "analysis": code}


# ----------------------------------------------------------------------------------------- names and pseudonyms


def path_value(value: str) -> str:
    """A partition value as a folder name: ASCII other than letters, digits and . _ - as %XX
    (Hive's escaping, which Spark, DuckDB, Polars and PyArrow all undo); other Unicode as is."""
    return "".join(c if not c.isascii() or c.isalnum() or c in "._-" else f"%{ord(c):02X}" for c in value)


def key_path(store: Path) -> Path:
    return store.with_name(store.name + ".pseudonym-key")


def load_key(path: Path) -> bytes:
    """The coach's pseudonym key: 32 random bytes, hex, in a file only its owner reads; made on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    try:
        text = path.read_text().strip()
        k = bytes.fromhex(text)
    except (OSError, ValueError) as e:
        raise DatasetError(f"--key {path}: not a pseudonym key ({e})") from None
    if len(k) < 16:
        raise DatasetError(f"--key {path}: too short for a key ({len(k)} bytes; archcue makes 32)")
    return k


class Names:
    """What a name or id becomes in the dataset: itself, or a keyed hash with a letter first
    (so no engine reads it as a number)."""

    def __init__(self, k: bytes | None):
        self.k = k

    def __call__(self, kind: str, value: str | None) -> str | None:
        if value is None or self.k is None:
            return value
        return kind[0] + hmac.new(self.k, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:20]

    def digest(self, obj: object) -> str:
        """A digest of state that may hold names: keyed when pseudonymizing."""
        text = json.dumps(obj, sort_keys=True, default=str).encode()
        return (hashlib.sha256(text) if self.k is None else hmac.new(self.k, text, hashlib.sha256)).hexdigest()

    @property
    def check(self) -> str | None:
        """Tells a key from another without revealing it."""
        return None if self.k is None else hmac.new(self.k, b"archcue key check", hashlib.sha256).hexdigest()[:16]

    def drill(self, drill: str | None) -> str | None:
        return drill if self.k is None or drill is None or drill in DRILLS else "other"


# ----------------------------------------------------------------------------------------- the folder


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")  # hidden from every engine's listing
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_table(path: Path, table: pa.Table) -> None:
    _atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def _write_json(path: Path, obj: object) -> None:
    _atomic(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n"))


def read_manifest(folder: Path) -> dict:
    """The manifest of a dataset folder, checked; DatasetError (one line) for a folder that is
    not an archcue dataset or is of another schema version."""
    m = folder / MANIFEST
    if not folder.is_dir():
        raise DatasetError(f"{folder}: {'not a folder' if folder.exists() else 'no such folder'}")
    if not m.is_file():
        raise DatasetError(f"{folder} is not an archcue dataset (no {MANIFEST})")
    try:
        manifest = json.loads(m.read_text())
        version = manifest["schema_version"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DatasetError(f"{m}: not a readable archcue dataset manifest ({e})") from None
    if version != SCHEMA_VERSION:
        raise DatasetError(f"{folder}: dataset schema version {version}, this archcue reads and writes "
                           f"{SCHEMA_VERSION}; export to a new folder")
    return manifest


def file_versions(folder: Path) -> dict[str, list[str]]:
    """Schema version -> the Parquet files of the dataset written with it, from each file's
    footer (DuckDB reads the footers on every core; "none": a file without the key)."""
    import duckdb

    files = sorted(str(f) for table in TABLES for f in (folder / table).rglob("*.parquet"))
    if not files:
        return {}
    found = dict(duckdb.connect().execute(
        "SELECT file_name, decode(value) FROM parquet_kv_metadata(?) WHERE decode(key) = ?",
        [files, VERSION_KEY.decode()]).fetchall())
    out: dict[str, list[str]] = {}
    for f in files:
        out.setdefault(found.get(f, "none"), []).append(str(Path(f).relative_to(folder)))
    return out


def check_versions(folder: Path) -> None:
    """Every file of the dataset of this archcue's schema version; else name the odd one out."""
    versions = file_versions(folder)
    odd = {v: files for v, files in versions.items() if v != str(SCHEMA_VERSION)}
    if odd:
        v, files = next(iter(odd.items()))
        raise DatasetError(f"{folder}: mixed schema versions: {len(files)} file(s) of version {v} (e.g. {files[0]}) "
                           f"beside version {SCHEMA_VERSION}; a dataset holds one version")


def schema_doc() -> dict:
    return {"format": "archcue dataset", "schema_version": SCHEMA_VERSION,
            "tables": {name: {"partitioned_by": list(parts),
                              "path": "/".join([name, *(f"{p}=..." for p in parts), PART]),
                              "columns": [{"name": c.name, "type": str(c.type), "meaning": c.meaning} for c in cols]}
                       for name, (cols, parts) in TABLES.items()}}


README = """archcue dataset (schema version {version}{pseudo})

Parquet files. steps/ is in Hive-style folders: `runner` and `session` are columns read from
the folder names (%XX escapes decoded), not stored in the files; the other tables are one file
each with a `runner` column. Read it as it is:

  DuckDB   SELECT * FROM read_parquet('DIR/steps/**/*.parquet', hive_partitioning = true,
                                      hive_types = {{'runner': VARCHAR, 'session': VARCHAR}})
  Polars   pl.scan_parquet('DIR/steps/', hive_partitioning=True)
  PyArrow  pyarrow.dataset.dataset('DIR/steps', format='parquet', partitioning='hive')
  Spark    spark.read.parquet('DIR/steps')   (set spark.sql.sources.partitionColumnTypeInference.enabled
           to false if a runner's name looks like a number)

A landing counts for collapse when `judged`, for the toes when `toe_judged`. A run's block is
steps.block + runs.shift_blocks (join runs on runner and session): the two insoles' landings of
one block are one cluster. schema.json lists every column with its type; the meanings:
{tables}"""


def readme(pseudonymized: bool) -> str:
    parts = []
    for name, (cols, parts_by) in TABLES.items():
        parts.append(f"\n{name}/" + (f" (partitioned by {', '.join(parts_by)})" if parts_by else "") + ":")
        parts += [f"  {c.name:<22}{c.meaning}" for c in cols]
    return README.format(version=SCHEMA_VERSION, pseudo="; pseudonymized: runners, sessions and devices are keyed "
                         "hashes" if pseudonymized else "", tables="\n".join(parts)) + "\n"


# ----------------------------------------------------------------------------------------- the export


@dataclass
class Exported:
    runners: int  # runners written (new or changed)
    sessions: int  # sessions whose steps were written
    steps: int
    unchanged: int  # runners left as they were
    removed: int  # sessions moved away from their old partition
    key: Path | None


def _open(folder: Path, names: Names, store_ids: set[str]) -> dict:
    """The manifest of an existing dataset (checked against this export), or a new one for an
    absent or empty folder."""
    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        return {"schema_version": SCHEMA_VERSION, "pseudonymized": names.k is not None, "key_check": names.check,
                "sessions": {}, "runners": {}}
    manifest = read_manifest(folder)
    check_versions(folder)
    if manifest.get("pseudonymized") != (names.k is not None):
        raise DatasetError(f"{folder} is {'' if manifest.get('pseudonymized') else 'not '}pseudonymized; export "
                           f"{'with' if manifest.get('pseudonymized') else 'without'} --pseudonymize, or to a new "
                           "folder")
    if manifest.get("key_check") != names.check:
        raise DatasetError(f"{folder} was pseudonymized with another key; give its key (--key) or export to a new "
                           "folder")
    foreign = sorted(set(manifest.get("sessions", {})) - store_ids)
    if foreign:
        raise DatasetError(f"{folder} holds {len(foreign)} session(s) this store does not have (e.g. {foreign[0]}): "
                           "it was exported from another store; export to a new folder")
    return manifest


def export_dataset(store: Store, folder: Path, pseudonymize: bool = False, key_file: Path | None = None,
                   rule: Rule = Rule(), note: Callable[[str], None] | None = None) -> Exported:
    kpath = (key_file or key_path(store.path)) if pseudonymize else None
    names = Names(load_key(kpath) if kpath else None)
    rows = store.sessions()
    manifest = _open(folder, names, {str(names("session", r.id)) for r in rows})
    by_runner: dict[str, list[SessionRow]] = {}
    for r in rows:
        by_runner.setdefault(r.runner, []).append(r)
    notes_of: dict[str, list[tuple]] = {}
    for n in store.note_history():
        notes_of.setdefault(n[0], []).append(n)
    state = {names("runner", runner): names.digest([key(runner, rs, rule), [notes_of.get(r.id, []) for r in rs]])
             for runner, rs in by_runner.items()}
    changed = [r for r in by_runner if manifest["runners"].get(names("runner", r)) != state[names("runner", r)]]
    redo = {names("runner", r) for r in changed} | (set(manifest["runners"]) - set(state))  # the latter: moved away
    summaries = all_summaries(store, rule, note=note) if changed else {}
    ids = [r.id for r in rows if r.runner in set(changed)]
    ctx = _Context(store, folder, names, rule, manifest, store.headers(ids), store.notes(ids), notes_of)
    done = Exported(len(changed), 0, 0, len(by_runner) - len(changed), 0, kpath)
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / "schema.json", schema_doc())
    _atomic(folder / "README.txt", lambda tmp: tmp.write_text(readme(names.k is not None)))
    new: dict[str, list[dict]] = {t: [] for t in _SMALL}
    for runner in changed:
        for table, more in _export_runner(ctx, runner, by_runner[runner], summaries[runner], done).items():
            new[table] += more
    for table, more in new.items():  # each small table: the unchanged runners' rows kept, the rest anew
        _write_table(folder / table / PART, _replace_rows(folder / table / PART, TABLES[table][0], redo, more))
    manifest["runners"] = state
    manifest["exported_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    _write_json(folder / MANIFEST, manifest)
    return done


@dataclass
class _Context:
    store: Store
    folder: Path
    names: Names
    rule: Rule
    manifest: dict
    headers: dict[str, dict]
    standing: dict[str, Note]
    notes_of: dict[str, list[tuple]]


_SMALL = ("sessions", "runs", "notes", "verdicts")


def _replace_rows(path: Path, cols: list[Col], runners: set, rows: list[dict]) -> pa.Table:
    new = _table(cols, rows)
    if not path.exists():
        return new
    old = pq.read_table(path, schema=arrow_schema(cols))
    keep = pc.invert(pc.is_in(old["runner"], pa.array(sorted(runners), _STR)))
    return pa.concat_tables([old.filter(keep), new])


def _export_runner(ctx: _Context, runner: str, rows: list[SessionRow], summary: Summary,
                   done: Exported) -> dict[str, list[dict]]:
    """A changed runner: the steps of its sessions not yet in the dataset (or moved here, or
    replaced by a better copy); returns its rows of the small tables."""
    names, manifest = ctx.names, ctx.manifest
    who = str(names("runner", runner))
    sessions = ctx.store.runner_steps(runner, runs_only=True)  # a drill session: a sessions row only
    for row, steps in sessions:
        sid = str(names("session", row.id))
        content = [who, names.digest([row.n_steps, row.status, row.summary])]
        was = manifest["sessions"].get(sid)
        if was == content:
            continue
        _write_table(_steps_path(ctx.folder, who, sid), step_rows(row, steps, ctx.headers[row.id].get("config") or {}))
        if was is not None and was[0] != who:  # moved to this runner since the last export
            old = _steps_path(ctx.folder, was[0], sid)
            old.unlink(missing_ok=True)
            for empty in (old.parent, old.parent.parent):  # the session's folder, and the runner's if it was the last
                if empty.is_dir() and not any(empty.iterdir()):
                    empty.rmdir()
            done.removed += 1
        manifest["sessions"][sid] = content
        done.sessions += 1
        done.steps += len(steps)
    s = Steps.from_sessions(sessions)
    runs = summary.by_session
    return {
        "sessions": [_session_row(who, r, ctx.headers[r.id], ctx.standing.get(r.id), names) for r in rows],
        "runs": [{"runner": who, "session": names("session", r.id), "run": names("session", runs[r.id].run),
                  "foot": r.foot, "shift_ms": int(s.shift_ms[i]), "shift_blocks": int(s.shift_blocks[i]),
                  "run_verdict": runs[r.id].verdict, "minutes": runs[r.id].minutes,
                  "blocks_on": runs[r.id].blocks_on, "blocks_off": runs[r.id].blocks_off}
                 for i, (r, _) in enumerate(sessions)],
        "notes": [{"runner": who, "session": names("session", n[0]), "entry": n[1], "at": n[2], "pain_during": n[3],
                   "pain_after": n[4], "knee": n[5], "drill": names.drill(n[6])}
                  for r in rows for n in ctx.notes_of.get(r.id, [])],
        "verdicts": [{"runner": who, **verdict_row(summary, ctx.rule, CODE)}]}


def _steps_path(folder: Path, runner: str, session: str) -> Path:
    return folder / "steps" / f"runner={path_value(runner)}" / f"session={path_value(session)}" / PART


def _session_row(who: str, r: SessionRow, header: dict, note: Note | None, names: Names) -> dict:
    imported = header.get("imported") or {}
    return {"runner": who, "session": names("session", r.id), "kind": r.kind, "device": names("device", r.device),
            "foot": r.foot,
            "started_at": r.started_at, "rate_hz": header.get("rate_hz"), "firmware": header.get("firmware"),
            "board": header.get("board"), "steps": r.n_steps, "status": r.status, "damage": r.damage,
            "recovered": r.recovered, "sealed": r.summary is not None, "imported_format": imported.get("format"),
            "imported_file": None if names.k else imported.get("file"),
            "pain_during": note.pain_during if note else None, "pain_after": note.pain_after if note else None,
            "knee": note.knee if note else None, "drill": names.drill(note.drill) if note else None}
