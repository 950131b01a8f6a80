"""archcue: the coach's tool. Pull runs off an insole, keep them per runner, and answer:
does curling the toes at landing stabilize this runner's foot loading?"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from host.command import UserError, dispatch
from host.hips_or_feet.command import add_command as add_hips_or_feet
from host.plan import command as plan_command
from host.store.db import DEFAULT_STORE, UNASSIGNED, SessionRow, Store, StoreError
from host.store.notes import Note
from host.sync.device_link import find_port
from host.text import check_name, ljust, name_key, plural, rjust, shown
from host.verdict.rule import EQUIVALENCE

if TYPE_CHECKING:  # analysis imports numpy: only the commands that analyse pay for it
    from host.sources.importer import Imported
    from host.sync.pull import PullReport
    from host.verdict.analysis import Analysis

USER_ERRORS = (UserError,)


def _store(args: argparse.Namespace, create: bool = False) -> Store:
    """Only pull creates a store: a read-only command on a mistyped --store says so."""
    return Store(args.store, create=create)


def cmd_pull(args: argparse.Namespace) -> int:
    from host.insole_config import check_config, read_config
    from host.sync.pull import pull

    config_file = read_config(args.config) if args.config else None
    check_config({**(config_file or {}), **({"runner_id": args.runner} if args.runner is not None else {})})
    port = find_port(args.port)  # after the checks: bad input is refused without an insole
    print(f"pulling from {port} into {args.store} ...", file=sys.stderr)
    r = pull(_store(args, create=True), port, clear=args.clear, runner=args.runner, foot=args.foot,
             config_file=config_file, restart=not args.no_restart, clear_damaged=args.clear_damaged)
    _print_insole_state(r)
    if r.stopped_run:
        print(f"the insole was recording: run stopped and saved, {plural(r.stopped_run[1], 'step')} "
              f"(session {shown(r.stopped_run[0])})")
    clearing = args.clear or args.clear_damaged
    battery = f", battery {r.battery_mv / 1000:.2f} V" if isinstance(r.battery_mv, int) else ""
    print(f"insole {shown(r.device)}: {plural(r.on_device, 'session')} on the insole, {len(r.imported)} imported, "
          f"{r.already} already in the store" + (f", {r.cleared} cleared from the insole" if clearing else "")
          + battery)
    for sid, runner in r.placed:
        print(f"  {shown(sid)} -> {shown(runner)}")
    if r.imported:
        print(
            f"copied {r.bytes:,} bytes in {r.seconds:.1f} s ({r.rate / 1024:.1f} KiB/s), every file verified by SHA-256"
        )
    if r.config_written:
        print("config written to the insole (takes effect as it restarts)")
    elif r.config_errors:
        print("the insole's config.json has problems (" + "; ".join(map(shown, r.config_errors)) + "): "
              "write a good one with --config, --runner or --foot")
    if r.flash_full:
        where = r.flash_full.get("session")
        print("the insole's flash was full: logging stopped "
              + (f"in session {shown(where)} after {plural(r.flash_full.get('steps', 0), 'step')}" if where
                 else "before a run")
              + "; the sessions verified in the store make room as it restarts")
    _print_leftovers(r)
    return 1 if r.not_cleared else 0


def _print_insole_state(r: PullReport) -> None:
    """What the handshake told: firmware to update, and a reset the coach should know of."""
    if r.firmware.version is None:
        print("the insole's firmware predates the version handshake (it writes session format 1): "
              "update it with `make deploy PORT=...`")
    if r.firmware.reset_by_port:
        print("the insole restarted when the port opened (its run was cut; the steps before are in the session)")
    elif r.firmware.reset_cause == "watchdog":
        print("the insole was reset by its watchdog")


def _print_leftovers(r: PullReport) -> None:
    """What the pull did with sessions that were not simply whole, and what stays on the insole and why."""
    for sid in r.resealed:
        print(f"{shown(sid)}: its trailer was damaged, every record intact: stored whole, trailer rebuilt")
    if r.saved:
        print(f"{plural(len(r.saved), 'damaged or unreadable file')} copied byte for byte and deleted from the insole "
              "(the damaged sessions' valid records are in the store):")
        for sid, copy in r.saved:
            print(f"  {shown(sid)} -> {shown(copy)}")
    damaged = [(sid, why) for sid, why in r.damaged if sid not in r.removed]
    if damaged:
        print(f"{plural(len(damaged), 'damaged session')} stored with every valid record, kept on the insole "
              "(`archcue pull --clear-damaged` keeps a copy of each file beside the store and deletes it):")
        for sid, why in damaged:
            print(f"  {shown(sid)}: {shown(why)}")
    unreadable = [(sid, why) for sid, why in r.unreadable if sid not in r.removed]
    if unreadable:
        print(f"{plural(len(unreadable), 'unreadable session file')} kept on the insole:")
        for sid, why in unreadable:
            print(f"  {shown(sid)}: {shown(why)}")
    for sid, why in r.not_cleared:
        print(f"{shown(sid)}: not cleared ({shown(why)}); pull again")
    if r.kept or r.not_cleared:
        return
    print("nothing left on the insole that the store lacks" if r.on_device else "the insole holds no session")


def cmd_import(args: argparse.Namespace) -> int:
    from host.sources.importer import Options, import_recording

    opts = Options(args.recording, args.runner, args.foot, args.format, args.units, args.rate, args.config,
                   args.started_at, args.drill, args.eyes, args.ratings)
    done = import_recording(args.store, opts, note=lambda text: print(text, file=sys.stderr), progress=sys.stderr)
    if args.drill:
        return _imported_drill(args, done[0])
    both = len(done) > 1
    for r in done:
        what = f"{args.recording}" + (f" ({r.foot} foot)" if both else "")
        if not r.new:
            moved = ("" if name_key(r.runner) == name_key(args.runner)
                     else f"; `archcue assign {r.session} --runner ...` moves it")
            print(f"{what} is already in the store as session {shown(r.session)} ({shown(r.runner)}, "
                  f"{plural(r.steps, 'step')}): nothing added{moved}")
            continue
        started = shown(r.started_at or "at an unknown time (--started-at sets it)")
        print(f"imported {what}: session {shown(r.session)} -> {shown(r.runner)}, {r.foot} foot, "
              f"{plural(r.steps, 'step')}, started {started}")
        for old, steps, why in r.replaced:
            print(f"it replaces session {shown(old)} ({plural(steps, 'step')}), {why}: the run is counted once, the "
                  "notes on it moved over")
    if both:
        print("the two sessions are the two insoles of one run")
    if args.ratings and any(r.new for r in done):
        print(f"with the ratings of {args.ratings} as the runner's answers: next: archcue hips-or-feet --runner "
              f"{shown(done[0].runner)}")
    elif any(r.new for r in done):
        print(f"next: archcue report {shown(done[0].runner)}")
    return 0


def _imported_drill(args: argparse.Namespace, r: Imported) -> int:
    from host.drills.importer import summary

    figures = summary(_store(args).events(r.session))
    if not r.new:
        print(f"{args.recording} is already in the store as drill session {shown(r.session)} ({shown(r.runner)}, "
              f"{figures}): nothing added")
        return 0
    print(f"imported {args.recording}: drill session {shown(r.session)} -> {shown(r.runner)}, {r.foot} foot, "
          f"{args.drill}{' (eyes ' + (args.eyes or 'open') + ')' if args.drill == 'balance' else ''}: {figures}")
    print(f"next: archcue drills {shown(r.runner)}")
    return 0


def cmd_live(args: argparse.Namespace) -> int:
    from host.sync.live import watch

    return watch(find_port(args.port))


def cmd_runners(args: argparse.Namespace) -> int:
    rows = _store(args).runners()
    if not rows:
        print(f"no runners yet in {args.store}: plug an insole in and run `archcue pull`")
        return 0
    print(f"{'runner':<20} {'sessions':>8} {'steps':>8}")
    for name, sessions, steps in rows:
        print(f"{ljust(shown(name), 20)} {sessions:>8} {steps:>8}")
    return 0


def _last_move(moves: list[tuple]) -> str:
    """A session's latest move between runners (Store.histories), in words; "" if never moved."""
    if not moves:
        return ""
    at, was, _, _, _, how = moves[-1]
    return f"placed by {how} {at}" if was is None else f"moved from {was} by {how} {at}"


def _started(row: SessionRow) -> str:
    return shown(row.started_at.replace("T", " ")[:16]) if row.started_at else "date unknown"


def cmd_sessions(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.runner and not store.runner_exists(args.runner):
        raise StoreError(f"no runner {shown(args.runner)!r} in {args.store} (see `archcue runners`)")
    runs = store.runs(args.runner)  # oldest first, the two insoles of a run together
    shown_runs = [run for run in runs if args.all or not _leftover(run)]
    left_out = len(runs) - len(shown_runs)
    again = f"archcue sessions {shown(args.runner)} --all" if args.runner else "archcue sessions --all"
    some = f"{left_out} short session{'s' if left_out > 1 else ''}"
    if not shown_runs:
        print(f"no runs yet: {some} (`{again}` lists {'them' if left_out > 1 else 'it'})" if runs else
              "no sessions in the store yet")
        return 0
    ids = [row.id for run in runs for row in run]  # a query each for notes, headers and moves, however many
    notes = store.notes(ids, {row.id: run[0].id for run in runs for row in run})
    headers, moves = store.headers(ids), store.histories(ids)
    width = max([24] + [len(shown(row.id)) for run in shown_runs for row in run])
    print(f"{'session':<{width}} {'runner':<14} {'foot':<6} {'started':<16} {'minutes':>7} {'blocks':>6} "
          f"{'steps':>6}  note")
    for run in shown_runs:
        for k, s in enumerate(run):
            source = headers[s.id].get("imported")
            drills = s.kind != "run"
            parts = [(note_words(notes[run[0].id]) if run[0].id in notes else "") if k == 0  # most telling first
                     else f"same run as {shown(run[0].id)} (both feet)",
                     f"drill session: `archcue drills {shown(s.runner)}`" if drills else
                     f"short session, not counted: {s.shape.why_leftover()}" if s.shape and s.shape.leftover else "",
                     f"DAMAGED: {s.damage}" if s.status == "damaged" else "",
                     f"imported from {source.get('file')} ({source.get('format')})" if source else "",
                     _last_move(moves.get(s.id, [])),
                     "recovered after a power cut" if s.recovered else ("not sealed" if s.summary is None else ""),
                     "trailer rebuilt from its records" if s.summary and s.summary.get("rebuilt") else ""]
            note = "; ".join(p for p in parts if p)
            minutes, blocks = _minutes_blocks(s)
            print(f"{shown(s.id):<{width}} {ljust(shown(s.runner), 14)} {shown(s.foot):<6} {_started(s):<16} "
                  f"{rjust(minutes, 7)} {rjust(blocks, 6)} {s.n_steps:>6}  {shown(note)}".rstrip())
    if left_out:
        print(f"({some} not listed: too short to hold a block, or no running, as a pull before a run or a second "
              f"pull leaves; `{again}` lists {'them' if left_out > 1 else 'it'})")
    return 0


def _minutes_blocks(s: SessionRow) -> tuple[str, str]:
    """A session's minutes of landings and blocks, as listed ("-" for a drill session: none)."""
    if s.kind != "run":
        return "-", "-"
    return (f"{s.shape.minutes:.1f}", str(s.shape.blocks_on + s.shape.blocks_off)) if s.shape else ("?", "?")


def _leftover(run: list[SessionRow]) -> bool:
    """A short session the listing leaves out by default: not a damaged one (the pull sends the
    coach here to see those), nor a drill session (it has no landings to be short of)."""
    return all(row.kind == "run" and row.shape is not None and row.shape.leftover and row.status != "damaged"
               for row in run)


def cmd_assign(args: argparse.Namespace) -> int:
    check_name("runner", args.runner)
    store = _store(args)
    for sid, old, new in store.assign(args.session, args.runner, args.foot):
        print(f"{shown(sid)}: {shown(old)} -> {shown(new)}" + (f" ({args.foot} foot)" if args.foot else ""))
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    from host.store import notes

    values = dict(pain_during=notes.pain("--pain-during", args.pain_during),
                  pain_after=notes.pain("--pain-after", args.pain_after), knee=notes.knee(args.knee),
                  drill=notes.drill(args.drill, args.drill_other))
    if all(v is None for v in values.values()):
        raise UserError("nothing to note: give --pain-during, --pain-after, --knee and/or --drill")
    for run, n in _store(args).add_note(args.session, **values):
        both = " (one run, both feet)" if len(run) > 1 else ""
        print(f"{' + '.join(shown(row.id) for row in run)}{both}: {note_words(n)}")
        for row in run:
            if row.shape is not None and row.shape.leftover and row.id in args.session:
                print(f"note: {shown(row.id)} is a short session, not a run ({row.shape.why_leftover()}): "
                      f"reports leave it out; `archcue sessions {shown(row.runner)}` lists the runs", file=sys.stderr)
    return 0


def note_words(n: Note) -> str:
    """'pain 3 during, 5 after (right knee); drill toe-curl', as `note` and `sessions` print it."""
    def score(v: int | None) -> str:
        return "?" if v is None else str(v)
    knee = "both knees" if n.knee == "both" else f"{n.knee} knee"
    parts = []
    if n.pain_during is not None or n.pain_after is not None:
        parts.append(f"pain {score(n.pain_during)} during, {score(n.pain_after)} after"
                     + (f" ({knee})" if n.knee else ""))
    elif n.knee:
        parts.append(knee)
    if n.drill is not None:
        parts.append(f"drill {shown(n.drill)}")
    return "; ".join(parts)


def _pooling_warning(sessions: list) -> str:
    """Sessions no one named may be several runners' runs: say so when they come from more
    than one insole or day."""
    devices = {row.device for row, _ in sessions}
    days = {(row.started_at or "?")[:10] for row, _ in sessions}
    if len(devices) < 2 and len(days) < 2:
        return ""
    return (f"warning: '{UNASSIGNED}' pools {plural(len(sessions), 'session')} from "
            f"{plural(len(devices), 'insole')} over {plural(len(days), 'day')}, possibly of different runners; place "
            "them with `archcue assign SESSION... --runner NAME`\n")


def _runner_sessions(args: argparse.Namespace) -> tuple[Store, list]:
    """The runner's sessions with their steps; args.runner becomes the runner's name as the store
    shows it (`ANA` or ` ana` for `Ana`)."""
    store = _store(args)
    if not store.runners():
        raise StoreError(f"the store {args.store} is empty: pull an insole first (`archcue pull`)")
    name = store.runner_name(args.runner)
    if name is None:
        known = ", ".join(shown(name) for name, _, _ in store.runners())
        raise StoreError(f"no runner {shown(args.runner)!r} in the store (known: {known})")
    args.runner = name
    return store, store.runner_steps(name, runs_only=True)


def _select(args: argparse.Namespace, sessions: list) -> tuple[list, str]:
    """--since DATE / --session ID: the sessions a report or export covers, and a note saying so."""
    notes = []
    if args.session:
        missing = sorted(set(args.session) - {row.id for row, _ in sessions})
        if missing:
            raise StoreError(f"no session {', '.join(missing)} for {args.runner} "
                             f"(see `archcue sessions {args.runner}`)")
        sessions = [(row, st) for row, st in sessions if row.id in args.session]
        notes.append(f"only session{'s' if len(sessions) > 1 else ''} {', '.join(row.id for row, _ in sessions)}")
    if args.since:
        try:
            since = date.fromisoformat(args.since).isoformat()
        except ValueError:
            raise UserError(f"--since {args.since!r}: not a date like 2026-11-29") from None
        undated = sum(1 for row, _ in sessions if not row.started_at)
        sessions = [(row, st) for row, st in sessions if row.started_at and row.started_at[:10] >= since]
        notes.append(f"only sessions since {since}" + (f"; {undated} of unknown date left out" if undated else ""))
        if not sessions:
            raise StoreError(f"no session of {args.runner} since {since}" +
                             (f" ({undated} of unknown date)" if undated else ""))
    return sessions, (" (" + "; ".join(notes) + ")") if notes else ""


_EXTENSIONS = {".txt": "text", ".text": "text", ".md": "text", ".json": "json", ".html": "html", ".htm": "html"}


def _report_format(args: argparse.Namespace) -> str:
    """--format, or the --out file's extension; a mismatch is refused, never silently written."""
    suffix = Path(args.out).suffix.lower() if args.out else ""
    by_ext = _EXTENSIONS.get(suffix)
    if suffix and by_ext is None:
        raise UserError(f"--out {args.out}: archcue writes text (.txt), JSON (.json) or HTML (.html), not {suffix}")
    if args.format and by_ext and args.format != by_ext:
        raise UserError(f"--out {args.out} is a {by_ext} file name but --format is {args.format}")
    return args.format or by_ext or "text"


def cmd_report(args: argparse.Namespace) -> int:
    from host.hips_or_feet.command import report_section
    from host.hips_or_feet.loading import toe_curl_view
    from host.reports.report import text, to_html, to_json
    from host.verdict.analysis import Steps, analyse
    from host.verdict.rule import Rule

    if not 0 < args.margin < 100:
        raise UserError(f"--margin {args.margin:g}: give a percent between 0 and 100 (default 15)")
    fmt = _report_format(args)
    store, sessions = _runner_sessions(args)
    sessions, scope = _select(args, sessions)
    if name_key(args.runner) == UNASSIGNED:
        sys.stderr.write(_pooling_warning(sessions))
    if args.program:
        return _program_page(args, store, sessions, fmt)
    hof = report_section(store, sessions)  # None when no session ran the hips-or-feet protocol
    hof_blocks, hof_json = hof if hof else (None, None)
    sessions = toe_curl_view(store, sessions)  # a hips-or-feet run: its feet arm against no cue
    steps = Steps.from_sessions(sessions)
    sessions = [(row, records[:0].copy()) for row, records in sessions]  # columns hold it all: free the records
    a = analyse(args.runner, sessions, Rule(margin=args.margin / 100, equivalence=args.equivalence), steps=steps)
    notes = _run_notes(store, a)
    drills = _drills_since(store, args.runner, sessions) if a.verdict == "stabilizes" else None
    out = {"text": lambda: text(a, scope=scope, notes=notes, all_sessions=args.all, drills=drills,
                                hips_or_feet=hof_blocks),
           "json": lambda: to_json(a, notes, hof_json),
           "html": lambda: to_html(a, steps, scope=scope, notes=notes, all_sessions=args.all, drills=drills,
                                   hips_or_feet=hof_blocks)}[fmt]()
    _emit(out, args.out, f"{a.verdict}: report")
    return 0


def cmd_drills(args: argparse.Namespace) -> int:
    from host.drills import render, view

    fmt = _report_format(args)
    store = _store(args)
    if not store.runner_exists(args.runner):
        raise StoreError(f"no runner {shown(args.runner)!r} in {args.store} (see `archcue runners`)")
    v = view.build(store, store.runner_name(args.runner) or args.runner, date.today())
    out = {"text": render.text, "json": render.to_json, "html": render.to_html}[fmt](v)
    _emit(out, args.out, f"{plural(len(v.sets), 'drill set')}: drills")
    return 0


def _drills_since(store: Store, runner: str, sessions: list) -> dict[str, int]:
    """Drill sets per drill done since the latest run the report covers (its next steps name them)."""
    from host.drills.view import done_since

    dated = [row.started_at for row, _ in sessions if row.started_at]
    return done_since(store, runner, max(dated) if dated else None)


def _program_page(args: argparse.Namespace, store: Store, sessions: list, fmt: str) -> int:
    """archcue report RUNNER --program: the training program's page (host/program/page.py)."""
    from host.program.page import render
    from host.verdict.rule import Rule

    configs = {sid: h.get("config") or {} for sid, h in store.headers([row.id for row, _ in sessions]).items()}
    events = {row.id: store.events(row.id) for row, _ in sessions}
    out, verdict = render(args.runner, sessions, configs, fmt, Rule(margin=args.margin / 100), events,
                          (store.plan(args.runner) or {}).get("program"))
    _emit(out, args.out, f"retention {verdict}: program page")
    return 0


def _run_notes(store: Store, a: Analysis) -> dict[str, Note]:
    """Each reported run's note: the notes on every session of its run in the store (a note on the
    other insole's session counts even when --session chose one), by the run's first session."""
    reported = {sid: r.run for r in a.runs for sid in r.sessions}
    run_of = {}
    for run in store.runs(a.runner):
        heads = {reported[row.id] for row in run if row.id in reported}
        if len(heads) == 1:
            run_of.update({row.id: next(iter(heads)) for row in run})
    return store.notes(list(run_of), run_of)


def cmd_export(args: argparse.Namespace) -> int:
    from host.reports.export import export_csv

    if args.format == "parquet":
        return cmd_export_parquet(args)
    if args.runner is None or args.csv is None:
        raise UserError("usage: archcue export RUNNER --csv DIR (one runner), or archcue export --format parquet DIR "
                        "(every runner)")
    store, sessions = _runner_sessions(args)
    sessions, _ = _select(args, sessions)
    history = store.note_history([row.id for row, _ in sessions])
    try:
        steps_path, sessions_path = export_csv(args.runner, sessions, Path(args.csv), history)
    except OSError as e:
        raise UserError(f"--csv {args.csv}: cannot write ({e.strerror or e}); no half-written file left") from None
    print(f"wrote {steps_path}, {sessions_path}, notes.csv and README.txt (units) in {Path(args.csv)}")
    return 0


# ------------------------------------------------------------------ many runners: squad, dataset, cohort


def _emit(out: str, path: str | None, written: str) -> None:
    """A command's output to stdout, or whole to --out (then one line: `written` and where)."""
    from host.reports.export import write_atomic

    if not path:
        sys.stdout.write(out)
        return
    try:
        write_atomic(Path(path), lambda f: f.write(out))
    except OSError as e:
        raise UserError(f"--out {path}: cannot write ({e.strerror or e}); nothing was written") from None
    print(f"{written} written to {Path(path).resolve()}")


def _note(text: str) -> None:
    print(text, file=sys.stderr)


def cmd_squad(args: argparse.Namespace) -> int:
    from host.squad import beside, view
    from host.squad.summaries import all_summaries

    fmt = _report_format(args)
    if not args.weeks > 0:
        raise UserError(f"--weeks {args.weeks:g}: give a number of weeks above 0")
    store = _store(args)
    today = date.today()
    sessions = store.sessions()
    rows = view.squad_rows(all_summaries(store, note=_note), sessions, store.run_notes(), today, args.weeks,
                           {beside.DRILLS: beside.drills(store, sessions, today),
                            beside.HIPS_OR_FEET: beside.hips_or_feet(store, sessions)})
    out = {"text": view.text, "json": view.to_json, "html": view.to_html}[fmt](rows, today)
    _emit(out, args.out, f"{plural(len(rows), 'runner')}: squad")
    return 0


def cmd_export_parquet(args: argparse.Namespace) -> int:
    from host.reports.export_parquet import export_dataset

    if args.runner is None or args.csv or args.since or args.session:
        raise UserError("usage: archcue export --format parquet DIR [--pseudonymize [--key FILE]]: every runner, "
                        "every session (a lab filters in its own queries)")
    if args.key and not args.pseudonymize:
        raise UserError("--key is the pseudonym key: give it with --pseudonymize")
    folder = Path(args.runner)
    try:
        r = export_dataset(_store(args), folder, args.pseudonymize, args.key, note=_note)
    except OSError as e:
        raise UserError(f"{folder}: cannot write ({e.strerror or e}); every file is whole, the next export "
                        "completes it") from None
    print(f"{folder}: {plural(r.sessions, 'session')} added ({r.steps:,} steps), "
          f"{plural(r.runners, 'runner')} written, {r.unchanged} unchanged"
          + (f", {r.removed} moved between runners" if r.removed else ""))
    if r.key:
        print(f"runners, sessions and devices pseudonymized with the key in {r.key}: keep it private, and keep it "
              "for the next export (the same key gives the same pseudonyms)")
    return 0


def _parquet_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("csv", "parquet"), default="csv",
                   help="csv (default): one runner, --csv DIR; parquet: every runner as a dataset in DIR that DuckDB, "
                        "Polars, PyArrow and Spark read (exporting again adds only what is new)")
    p.add_argument("--pseudonymize", action="store_true",
                   help="parquet: runners, sessions and devices as keyed hashes; no file names, no drill in your "
                        "own words")
    p.add_argument("--key", type=Path, metavar="FILE",
                   help="the pseudonym key (default: beside the store, STORE.pseudonym-key, made on first use)")


def cmd_cohort(args: argparse.Namespace) -> int:
    import json

    from host.squad import cohort

    fmt = _report_format(args)
    if fmt == "html":
        raise UserError("archcue cohort writes text (.txt) or JSON (.json)")
    path = Path(args.source) if args.source else args.store
    if args.engine == "spark":
        if not path.is_dir():
            raise UserError(f"--engine spark reads a dataset folder (archcue export --format parquet DIR), not {path}")
        c = cohort.on_dataset_spark(path, _spark())
    else:
        c = cohort.open_source(path, note=_note)
    out = cohort.text(c) if fmt == "text" else json.dumps(cohort.to_json(c), indent=2, ensure_ascii=False) + "\n"
    _emit(out, args.out, f"cohort of {plural(c.runners, 'runner')}")
    return 0


def _spark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UserError("--engine spark needs pyspark (pip install -r requirements-bench.txt) and Java 17") from None
    return (SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[*]")).appName("archcue cohort")
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate())


def _add_drills_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("drills", help="a runner's foot drills: figures per drill and week, adherence",
                       description="The runner's drill sets (pulled drill sessions, `archcue import --drill`), per "
                                   "drill and week: one-foot balance (seconds held, touch-downs, sway, the toes' "
                                   "share), short-foot reps (toe curls reported, not counted), toe-waver cycles; "
                                   "each with its trial-to-trial spread and the smallest change that is more than "
                                   "noise for this runner; eyes open against closed, left against right; days a "
                                   "week against the plan, and the streak. The toe spreader is self-reported "
                                   "(archcue note SESSION --drill-other toe-spreader).")
    p.add_argument("runner", metavar="RUNNER")
    p.add_argument("--format", choices=("text", "json", "html"),
                   help="default: from --out's extension (.txt, .json, .html), else text; json: every trial")
    p.add_argument("--out", help="write to this file instead of the terminal (written whole or not at all)")
    p.set_defaults(func=cmd_drills)


def _add_squad_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("squad", help="every runner on one page, the ones who need the coach first",
                       description="One row per runner: the verdict of their report (all runs pooled) and the "
                                   "latest run's date, runs and minutes, curling's effect, the knee-pain trend "
                                   "from your notes, and what is due (pain rising, stop the cue, a second run, "
                                   "a retest, not seen for a while), most pressing first. Verdicts are cached "
                                   "beside the store (STORE.verdicts.sqlite), so only runners with new sessions "
                                   "are analysed again.")
    p.add_argument("--format", choices=("text", "json", "html"),
                   help="default: from --out's extension (.txt, .json, .html), else text")
    p.add_argument("--out", help="write to this file instead of the terminal (written whole or not at all)")
    p.add_argument("--weeks", type=float, default=6, metavar="N",
                   help="flag runners whose latest run is N weeks old or more (default %(default)g)")
    p.set_defaults(func=cmd_squad)
    p = sub.add_parser("cohort", help="across runners: verdict counts, pooled effects, share of responders",
                       description="For a club or a lab: how many runners get each verdict; the pooled effect of "
                                   "the buzz and of curling across runners (random effects: the mean, the spread "
                                   "between runners and the range a new runner's effect likely falls in); and the "
                                   "share of runners for whom curling cuts collapses by the margin or more, with "
                                   "its interval. Landings are summed in SQL (DuckDB, embedded) per runner and block, "
                                   "never loaded all at once.")
    p.add_argument("source", nargs="?", metavar="STORE|DATASET",
                   help="a store file or a folder from `archcue export --format parquet` (default: the store)")
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="duckdb (default, embedded) or spark (a dataset folder; $SPARK_MASTER, default local[*])")
    p.add_argument("--format", choices=("text", "json"), help="default: from --out's extension, else text")
    p.add_argument("--out", help="write to this file instead of the terminal")
    p.set_defaults(func=cmd_cohort)


def _selection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="DATE", help="only sessions started on or after DATE (YYYY-MM-DD)")
    p.add_argument("--session", action="append", metavar="ID", help="only this session (repeat for more)")


def version_line() -> str:
    """The host's release (pyproject's) and the insole formats it reads, as --version prints it."""
    from importlib.metadata import version

    from firmware.core import record, sessionlog

    return (f"archcue {version('archcue')} (reads session format up to {sessionlog.FORMAT_VERSION}, "
            f"step records up to version {record.RECORD_VERSION})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="archcue", description=__doc__)
    parser.add_argument("--version", action="version", version=version_line())
    parser.add_argument("--store", type=Path, default=Path(os.environ.get("ARCHCUE_STORE", DEFAULT_STORE)),
                        help="SQLite store (default $ARCHCUE_STORE or %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("pull", help="copy new sessions off an insole into the store",
                       description="Find the insole on USB (or --port), stop its run (the session is sealed), "
                                   "copy every session the store lacks, verify each against a SHA-256 computed "
                                   "on the insole, import it, set the insole's clock, and restart it. Nothing "
                                   "is deleted from the insole unless --clear, and then only what is verified "
                                   "in the store.")
    p.add_argument("--port", help="serial port (default: the single ESP32 USB device plugged in)")
    p.add_argument("--clear", action="store_true", help="delete sessions from the insole once verified in the store")
    p.add_argument("--clear-damaged", action="store_true",
                   help="also delete damaged and unreadable session files (every valid record of a damaged one "
                        "is in the store first); each file is saved byte for byte in damaged/ beside the store")
    p.add_argument("--runner", help="store the sessions this pull imports that name no runner under this "
                                    "runner, and write it to the insole (its next sessions carry it)")
    p.add_argument("--foot", choices=("left", "right"),
                   help="which foot this insole is on: for the same sessions, and written to the insole")
    p.add_argument("--config", help="write this config.json to the insole (validated first)")
    p.add_argument("--no-restart", action="store_true", help="leave the insole at its REPL afterwards")
    p.set_defaults(func=cmd_pull)
    p = sub.add_parser("assign", help="move sessions to a runner (and foot), all or none",
                       description="Place sessions under a runner, e.g. the ones pulled before the insole "
                                   "knew its runner. One transaction: an unknown session id moves nothing. "
                                   "Each move is kept in the session's history in the store.")
    p.add_argument("session", nargs="+", metavar="SESSION")
    p.add_argument("--runner", required=True)
    p.add_argument("--foot", choices=("left", "right"), help="also say which foot these sessions were on")
    p.set_defaults(func=cmd_assign)
    p = sub.add_parser("note", help="note the runner's knee pain and the drill tried, per session",
                       description="The runner's side of the question: knee pain during and after the run "
                                   "(0 none to 10 worst), which knee, and the drill tried (toe-curl, hips-core, "
                                   "none, or your own words). Give any of them; a later note adds to or "
                                   "overrides an earlier one field by field, and every note is kept. Several "
                                   "sessions (both insoles of one run) are noted together, all or none.")
    p.add_argument("session", nargs="+", metavar="SESSION")
    p.add_argument("--pain-during", metavar="N", help="knee pain during the run, 0-10")
    p.add_argument("--pain-after", metavar="N", help="knee pain after the run (e.g. the next morning), 0-10")
    p.add_argument("--knee", metavar="left|right|both", help="which knee hurts")
    drill = p.add_mutually_exclusive_group()
    drill.add_argument("--drill", metavar="NAME", help="the drill tried: toe-curl, hips-core or none")
    drill.add_argument("--drill-other", metavar="NAME", help="a drill of your own, by your own name for it")
    p.set_defaults(func=cmd_note)
    p = sub.add_parser(
        "import", help="run a recording from another device through the firmware into the store",
        description="Run a recording (a lab CSV, or a Moticon OpenGo text export) through the insole's own\n"
                    "firmware with your config (its block protocol included) and store the session under\n"
                    "RUNNER as if an insole had recorded it: `archcue report RUNNER` then covers it. A Moticon\n"
                    "export holds both insoles: one import stores both feet as the two insoles of one run.\n"
                    "The session keeps the file's name and SHA-256; importing the same file the same way\n"
                    "again adds nothing. A file with an error is refused whole (FILE:LINE: what is wrong)\n"
                    "and the store is left as it was.\n"
                    "With --ratings (a hips-or-feet run in pain mode, rated beside the treadmill) the run is\n"
                    "stored as an insole stores one it recorded: the ratings' protocol in its config, the\n"
                    "ratings as the runner's answers. The recording's time 0 (its first sample) is the start\n"
                    "of the warm-up: each block's pain goes in that block's last 30 s.",
        epilog="examples: archcue import run.csv --runner ana --units newton --config blocks.json\n"
               "          archcue import 230927_102114.txt --runner ana              (Moticon: both feet)\n"
               "          archcue import 230927_102114.txt --runner ana --foot left  (Moticon: one foot)\n"
               "          archcue import lab.txt --runner ana --ratings lab.json    (hips or feet: a pain-mode run)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recording", type=Path, metavar="RECORDING")
    p.add_argument("--runner", required=True, help="whose run this is")
    p.add_argument("--foot", choices=("left", "right"),
                   help="which foot: for moticon, import only this side of the export (default: both); "
                        "for csv, the foot it was on (default: the config's, else right)")
    p.add_argument("--format", choices=("csv", "moticon"),
                   help="default: recognised from the file (a Moticon export by its '#' header, else csv). "
                        "csv: a header with t_ms and any of heel, arch, met1, met5, hallux, toes; "
                        "moticon: an OpenGo text export, 16 cells per foot mapped to the six regions")
    p.add_argument("--units", choices=("newton", "adc"),
                   help="csv only, required: forces in newtons, or the insole's raw ADC counts (0..4095)")
    p.add_argument("--rate", type=int, metavar="HZ", help="firmware sample rate (default: the recording's own)")
    p.add_argument("--config", type=Path, metavar="C.json",
                   help="the insole config to run with, e.g. {\"cue_mode\": \"blocks\"} (default: the "
                        "firmware's defaults, which are the block protocol)")
    p.add_argument("--started-at", metavar="ISO", help="when the run started, e.g. 2026-11-29T07:30 (default: "
                                                        "the Moticon export's start time; unknown for csv)")
    p.add_argument("--drill", metavar="DRILL",
                   help="a foot-drill set, not a run: balance, short-foot or toe-waver (with --foot); it is "
                        "measured by the insole's drill code and stored as a drill session (archcue drills RUNNER)")
    p.add_argument("--eyes", metavar="open|closed", help="balance: eyes open (default) or closed")
    p.add_argument("--ratings", type=Path, metavar="R.json",
                   help="the run's ratings file (hips or feet, pain mode: see README): its protocol becomes the "
                        "run's config (3 min blocks, its rounds' arm order; --config may set the rest, e.g. "
                        "warmup_s) and its ratings the runner's answers, each block's pain in its last 30 s, "
                        "time 0 being the start of the warm-up; both feet's sessions hold them, the run counts "
                        "them once. The same ratings again add nothing; other ratings (a corrected file) are "
                        "another session, which replaces the import with the earlier ones")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("live", help="watch the insole's landings while it records (Ctrl-C leaves it recording)",
                       description="While the insole records (on a treadmill, say), show each landing as it "
                                   "happens: time, stance, arch and toe share of the load, collapse, toes "
                                   "engaged, buzz; the rates over the last minute, the protocol block and the "
                                   "time left in it, sensor health, battery and the session id. Ctrl-C closes "
                                   "the view and leaves the insole recording, its session untouched; "
                                   "`archcue pull` afterwards stops the run and copies it. A view that falls "
                                   "behind skips landings (it says how many), the insole never waits for it.")
    p.add_argument("--port", help="serial port (default: the single ESP32 USB device plugged in)")
    p.set_defaults(func=cmd_live)
    p = sub.add_parser("runners", help="list runners with their sessions and steps")
    p.set_defaults(func=cmd_runners)
    p = sub.add_parser("sessions", help="list sessions, of one runner or all, oldest first",
                       description="Each session with its minutes and blocks, oldest first, the two insoles of a "
                                   "run together and the run's note on its first line. Short sessions (too short "
                                   "to hold a block, or no running: a pull before a run leaves one) are counted "
                                   "at the end; --all lists them too.")
    p.add_argument("runner", nargs="?")
    p.add_argument("--all", action="store_true", help="list the short sessions (leftovers) too")
    p.set_defaults(func=cmd_sessions)
    p = sub.add_parser("report", help="the verdict for a runner, with its evidence",
                       description="Does curling the toes at landing stabilize this runner's foot loading? "
                                   "stabilizes, no_clear_effect, inconclusive (with the minutes still needed), "
                                   "destabilizes or insufficient_data, with the numbers, intervals and figures "
                                   "behind it. Block sessions pool into one verdict.")
    p.add_argument("runner")
    p.add_argument("--format", choices=("text", "json", "html"),
                   help="default: from --out's extension (.txt, .json, .html), else text")
    p.add_argument("--out", help="write to this file instead of the terminal (written whole or not at all)")
    p.add_argument("--margin", type=float, default=15, metavar="PCT",
                   help="smallest change in collapses that matters, either way (default %(default)g%%)")
    p.add_argument("--equivalence", choices=EQUIVALENCE, default=EQUIVALENCE[0],
                   help="what 'no difference that matters' must show: the buzz's effect and curled vs uncurled "
                        "landings in the same minutes (itt+as-treated, default), or curling's effect among the "
                        "landings the buzz made curl (complier: no assumption about when the runner curls, far "
                        "more minutes)")
    _selection_options(p)
    p.add_argument("--all", action="store_true", help="also list the short sessions left out (leftovers: too "
                                                      "short to hold a block, or no running); they never count")
    p.add_argument("--program", action="store_true", help="the training program's page: collapses per run without "
                                                          "the buzz, and whether the training was kept")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("export", help="a runner's steps and sessions as CSV, or the whole store as a Parquet dataset",
                       epilog="examples: archcue export ana --csv ana/\n"
                              "          archcue export --format parquet squad/ [--pseudonymize]",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runner", nargs="?", metavar="RUNNER|DIR", help="the runner (CSV), or the dataset folder (parquet)")
    p.add_argument("--csv", metavar="DIR", help="folder for steps.csv, sessions.csv and README.txt")
    _selection_options(p)
    _parquet_options(p)
    p.set_defaults(func=cmd_export)
    _add_squad_commands(sub)
    _add_drills_command(sub)
    add_hips_or_feet(sub)
    plan_command.add_parser(sub)
    return parser


# what the disk or the system did to the store (sqlite3.OperationalError's words), for the coach
_STORE_TROUBLE = {
    "database or disk is full": "the disk is full: free some space and try again",
    "readonly database": "the store cannot be written (a read-only disk or mount, or no permission)",
    "unable to open database file": "the store cannot be opened (is its folder there and writable?)",
    "database is locked": "another archcue is writing to the store: try again in a moment",
    "disk I/O error": "the disk failed a read or a write",
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func = args.func

    def guarded(a: argparse.Namespace) -> int:
        try:
            return func(a)
        except sqlite3.OperationalError as e:
            why = next((words for cause, words in _STORE_TROUBLE.items() if cause in str(e)), None)
            if why is None:  # our SQL: a bug
                raise
            raise StoreError(f"{a.store}: {why} ({e}); nothing was changed") from None
        except sqlite3.DatabaseError as e:
            if type(e) is not sqlite3.DatabaseError:  # IntegrityError etc.: our SQL, a bug
                raise
            raise StoreError(f"{a.store}: the store is damaged ({e})") from None

    args.func = guarded
    return dispatch(args, USER_ERRORS, "archcue", 1, "interrupted; nothing partial was stored")


if __name__ == "__main__":
    sys.exit(main())
