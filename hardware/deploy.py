"""python -m hardware.deploy --port PORT [--board NAME]   (make deploy PORT=... [BOARD=...])

Puts the archcue firmware on a board that already runs MicroPython, so that a deploy cut
at any point (a cable pulled, a crash, a power cut) leaves a board that boots the old
firmware or the new, never a mix:
  1. build: every firmware module compiled to .mpy with `mpy-cross -march=xtensawin` (boot.py,
     main.py and fault.py stay source: MicroPython runs the first two by name, and fault.py
     must load when nothing else does; the simulator's HAL stays off the board), plus
     board.json (the merged board dict, hardware/board_data.py), a default config.json and
     firmware.json (version, formats, file list), under build/deploy/BOARD/;
  2. probe (read-only): the board's MicroPython must load this .mpy (version, and for native
     code its sub-version and arch); the installed firmware's version; a config.json already
     there; free flash for a second copy; old files the new firmware drops;
  3. stage: the new files copied into .staged/ (config.json only if the device has none: a
     coach's settings survive an update); the running firmware is untouched;
  4. commit: the staged sizes checked, boot.py replaced (one rename: it runs any firmware),
     then the journal renamed to update.json: from that rename on, boot.py finishes the
     switch at every boot until it is done (renames over the old files, old files dropped);
     here it is done at once and checked;
  5. a hard reset (machine.reset()): the new firmware boots with the watchdog off.
Every mpremote call starts with `resume`: mpremote then never soft-resets the board (a
soft reset keeps a running firmware's watchdog armed while the timer that fed it is gone:
the board would reset mid-copy); its Ctrl-C stops the run, whose session is sealed, and
the firmware's close() keeps the watchdog fed at the REPL.

--build-only does step 1 without a board. --frozen is for a board flashed with the custom
MicroPython build of hardware/manifest.py: the modules are in its flash, so only boot.py,
main.py, fault.py, board.json, config.json and firmware.json go on the filesystem, and
module copies that would shadow the frozen ones (the filesystem comes first on sys.path)
are dropped."""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from firmware.core import config as fw_config
from firmware.core import record, sessionlog
from hardware.board_data import DEFAULT_BOARD, BoardError, board_names, load_board, on_insole

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE = ROOT / "firmware"
BIN = Path(sys.executable).parent
MARCH = {"esp32": "xtensawin", "esp32s3": "xtensawin"}
KEEP_SOURCE = {"boot.py", "main.py", "fault.py"}
SIM_ONLY = {"hal/sim.py"}  # the simulator's HAL: never on a board
PROBE_TAG = "ARCHCUE-PROBE "
COMMIT_TAG = "ARCHCUE-COMMIT "
TIMEOUT_S = 120
# The board side of the switch (firmware/boot.py reads the same names)
STAGED = ".staged"
JOURNAL = "update.json"
MANIFEST = "firmware.json"
MODULE_DIRS = ("core", "hal")
FREE_MARGIN = 16 * 1024  # LittleFS metadata and copy-on-write blocks while the copy is staged


class DeployError(RuntimeError):
    """Deploying failed; the message says why and what to do."""


def _tool(name: str) -> str:
    """A tool from the venv next to this interpreter, else from PATH."""
    local = BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise DeployError(f"{name} not found: run `make setup` (it installs {name} into .venv)")
    return found


MPREMOTE: str | None = None  # tests point this at a stand-in; None: the real mpremote


def firmware_files() -> list[Path]:
    """Every firmware source (boot.py, main.py, fault.py, app.py, sync.py, core/, hal/): the
    one list the deploy, the virtual insole and `make check` build from."""
    return sorted(p for p in FIRMWARE.rglob("*.py") if "__pycache__" not in p.parts)


def board_files() -> list[Path]:
    """What goes on a board: firmware_files() less the simulator's HAL."""
    return [p for p in firmware_files() if p.relative_to(FIRMWARE).as_posix() not in SIM_ONLY]


def modules() -> list[str]:
    """The firmware modules a board imports (not boot.py, main.py, fault.py), as paths
    relative to firmware/."""
    return [p.relative_to(FIRMWARE).as_posix() for p in board_files() if p.name not in KEEP_SOURCE]


def firmware_version() -> str:
    m = re.search(r'^FIRMWARE_VERSION = "([^"]+)"', (FIRMWARE / "app.py").read_text(), re.M)
    if not m:
        raise DeployError("firmware/app.py: no FIRMWARE_VERSION")
    return m.group(1)


def build(board_name: str, out: Path, frozen: bool = False) -> list[Path]:
    """Compile into `out` the tree that goes onto the board; returns its files, in order:
    modules, then board.json, config.json and firmware.json. frozen: the source files only."""
    try:
        board = load_board(board_name)
    except BoardError as e:
        raise DeployError(str(e)) from None
    mpy_cross = _tool("mpy-cross")
    if out.exists():
        shutil.rmtree(out)
    files = []
    for src in board_files():
        rel = src.relative_to(FIRMWARE)
        if frozen and rel.name not in KEEP_SOURCE:
            continue
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if rel.name in KEEP_SOURCE:
            shutil.copyfile(src, dst)
        else:
            dst = dst.with_suffix(".mpy")
            # the name embedded is the file's on the board, not this host's path
            r = subprocess.run([mpy_cross, f"-march={MARCH[board['mcu']]}", "-s", rel.as_posix(), "-o", str(dst),
                                str(src)], capture_output=True, text=True)
            if r.returncode != 0:
                raise DeployError(f"mpy-cross failed on firmware/{rel.as_posix()}:\n{r.stderr.strip()}")
        files.append(dst)
    (out / "board.json").write_text(json.dumps(on_insole(board), separators=(",", ":")))
    (out / "config.json").write_text(json.dumps(fw_config.defaults()))
    files += [out / "board.json", out / "config.json"]
    manifest = {"version": firmware_version(), "format": sessionlog.FORMAT_VERSION, "record": record.RECORD_VERSION,
                "board": board_name, "frozen": frozen, "files": [f.relative_to(out).as_posix() for f in files]}
    (out / MANIFEST).write_text(json.dumps(manifest))
    return files + [out / MANIFEST]


def mpy_header(path: Path) -> tuple[int, int, int]:
    """(.mpy version, native architecture or 0, sub-version) of a compiled file."""
    head = path.read_bytes()[:3]
    if len(head) < 3 or head[:1] != b"M":
        raise DeployError(f"{path}: not a .mpy file")
    return head[1], head[2] >> 2, head[2] & 3


def _mpremote(port: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [MPREMOTE or _tool("mpremote"), "connect", port, "resume", *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise DeployError(f"{port}: mpremote gave no answer in {TIMEOUT_S} s (is it a MicroPython board? "
                          "is another program using the port?)") from None


def _check(r: subprocess.CompletedProcess, port: str, what: str) -> str:
    if r.returncode != 0:
        detail = (r.stderr.strip() or r.stdout.strip() or f"exit status {r.returncode}").splitlines()[-1]
        raise DeployError(f"{port}: {what} failed: {detail}")
    return r.stdout


def _tagged(out: str, tag: str, port: str, what: str) -> dict:
    for line in out.splitlines():
        if line.startswith(tag):
            return json.loads(line[len(tag):])
    raise DeployError(f"{port}: {what}: the board did not answer like MicroPython (got {out.strip()[:200]!r})")


# The code below runs ON the board (mpremote exec), and in the tests' stand-in for mpremote
# under CPython: MicroPython's os and json only.
_HELPERS = """import os, json
def isdir(p):
    try:
        return os.stat(p)[0] & 0x4000 != 0
    except OSError:
        return False
def size(p):
    try:
        return os.stat(p)[6]
    except OSError:
        return -1
def rmtree(p):
    for n in os.listdir(p):
        q = p + '/' + n
        rmtree(q) if isdir(q) else os.remove(q)
    os.rmdir(p)
"""


def _probe_code() -> str:
    return _HELPERS + (
        "import sys\n"
        "def listing(d):\n"
        "    return [(d + '/' if d != '.' else '') + n for n in os.listdir(d) if n.endswith(('.py', '.mpy'))] "
        "if isdir(d) else []\n"
        "try:\n"
        "    manifest = json.load(open(%r))\n"
        "except (OSError, ValueError):\n"
        "    manifest = None\n"
        "st = os.statvfs('.')\n"
        "print(%r + json.dumps({'mpy': getattr(sys.implementation, '_mpy', None), 'config': size('config.json') >= 0,"
        " 'free': st[0] * st[3], 'manifest': manifest,"
        " 'present': [p for d in ('.',) + %r for p in listing(d)]}))\n" % (MANIFEST, PROBE_TAG, MODULE_DIRS))


def _prepare_code() -> str:
    """A journal a cut left behind is finished first (the staged files it names must not
    be removed before); then an empty staging folder and the module folders."""
    return _HELPERS + (
        "if size(%r) >= 0:\n"
        "    exec(open('boot.py').read(), {'__name__': 'boot'})\n"
        "if isdir(%r):\n"
        "    rmtree(%r)\n"
        "for d in %r:\n"
        "    if not isdir(d):\n"
        "        os.mkdir(d)\n" % (JOURNAL, STAGED, STAGED, [STAGED] + [f"{STAGED}/{d}" for d in MODULE_DIRS]
                                   + list(MODULE_DIRS)))


def _commit_code(sizes: dict[str, int]) -> str:
    """On the board: every staged file whole, else stop (the old firmware runs on); boot.py
    replaced; the journal renamed into place (the commit); the switch done by boot.py's own
    code, as a boot after a cut would; then checked."""
    return _HELPERS + (
        "want = %r\n"
        "short = [p for p, n in want.items() if size(%r + '/' + p) != n]\n"
        "if short:\n"
        "    print(%r + json.dumps({'staged_short': short}))\n"
        "else:\n"
        "    if 'boot.py' in want:\n"
        "        os.rename(%r + '/boot.py', 'boot.py')\n"
        "    os.rename(%r + '/' + %r, %r)\n"
        "    exec(open('boot.py').read(), {'__name__': 'boot'})\n"
        "    wrong = [p for p, n in want.items() if size(p) != n]\n"
        "    print(%r + json.dumps({'pending': size(%r) >= 0, 'wrong': wrong}))\n"
        % (sizes, STAGED, COMMIT_TAG, STAGED, STAGED, JOURNAL, JOURNAL, COMMIT_TAG, JOURNAL))


def check_mpy(device_mpy: int | None, mpys: list[Path]) -> None:
    """The board must load what mpy-cross made: the same .mpy version, and for native code
    (read from a module that has some) the same sub-version and architecture."""
    if device_mpy is None or not mpys:
        return  # a build without .mpy info (the import on the board will tell), or a frozen deploy
    headers = [mpy_header(p) for p in mpys]
    version, arch, sub = next((h for h in headers if h[1]), headers[0])
    dev_version, dev_sub, dev_arch = device_mpy & 0xFF, (device_mpy >> 8) & 3, device_mpy >> 10
    if dev_version != version or (arch and (dev_arch, dev_sub) != (arch, sub)):
        raise DeployError(f"the board's MicroPython loads .mpy version {dev_version}.{dev_sub} (arch {dev_arch}), "
                          f"mpy-cross makes version {version}.{sub} (arch {arch}): flash a MicroPython release "
                          f"matching `{_tool('mpy-cross')} --version`")


def _drops(present: list[str], new: set[str], old_manifest: dict | None) -> list[str]:
    """Files on the board that belong to a firmware (modules under core/ and hal/, the root
    modules of this, any or the previous firmware) and are not in the new one: stale
    modules, a .py shadowing its new .mpy, the simulator's HAL, module copies shadowing a
    frozen build; a user's own scripts stay."""
    own = {Path(p).stem for p in [*new, *modules(), *(old_manifest or {}).get("files", [])] if "/" not in p}
    return sorted(p for p in present if p not in new and (p.split("/")[0] in MODULE_DIRS or Path(p).stem in own))


def plan(rel: list[str], probe: dict, version: str) -> dict:
    """What the switch does: stage (the files copied; config.json only if the board has
    none), put (renamed from the staging folder at the commit; boot.py apart: it goes
    first), drop, rmdir (the emptied staging folders)."""
    staged = [r for r in rel if not (r == "config.json" and probe["config"])]
    return {"version": version, "staged": staged, "put": [r for r in staged if r != "boot.py"],
            "drop": _drops(probe.get("present", []), set(rel), probe.get("manifest")),
            "rmdir": [f"{STAGED}/{d}" for d in MODULE_DIRS] + [STAGED]}


def deploy(port: str, board_name: str, out: Path | None = None, log=print, frozen: bool = False) -> None:
    if not port:
        raise DeployError("no port given: pass --port (e.g. /dev/ttyUSB0); `mpremote connect list` "
                          "lists the boards plugged in")
    if not Path(port).exists():
        raise DeployError(f"{port}: no such port (is the board plugged in? `mpremote connect list` lists the "
                          "boards it sees)")
    out = out or ROOT / "build" / "deploy" / board_name
    files = build(board_name, out, frozen)
    rel = [f.relative_to(out).as_posix() for f in files]
    info = _tagged(_check(_mpremote(port, "exec", _probe_code()), port, "talking to the board (mpremote exec)"),
                   PROBE_TAG, port, "the probe")
    check_mpy(info.get("mpy"), [out / r for r in rel if r.endswith(".mpy")])
    step = plan(rel, info, json.loads((out / MANIFEST).read_text())["version"])
    _say_versions(info.get("manifest"), step["version"], info["config"], log)
    need = sum((out / r).stat().st_size for r in step["staged"]) + FREE_MARGIN
    if info["free"] < need:
        raise DeployError(f"{port}: the update needs {need // 1024} KiB of free flash for its staged copy, the board "
                          f"has {info['free'] // 1024} KiB: pull the sessions with `archcue pull --clear` first")
    (out / JOURNAL).write_text(json.dumps({k: step[k] for k in ("version", "put", "drop", "rmdir")}))
    args = ["exec", _prepare_code()]
    for d, names in sorted(_by_dir(step["staged"] + [JOURNAL]).items()):
        args += ["+", "fs", "cp", *(str(out / n) for n in names), f":{STAGED}/{d + '/' if d else ''}"]
    _check(_mpremote(port, *args), port, "copying the firmware (mpremote fs cp)")
    sizes = {r: (out / r).stat().st_size for r in step["staged"]}
    done = _tagged(_check(_mpremote(port, "exec", _commit_code(sizes)), port, "switching to the new firmware"),
                   COMMIT_TAG, port, "the switch")
    if done.get("staged_short"):
        raise DeployError(f"{port}: the copy on the board is incomplete ({', '.join(done['staged_short'])}): "
                          "nothing was switched, the old firmware runs on; deploy again")
    if done["pending"] or done["wrong"]:
        raise DeployError(f"{port}: the switch did not finish ({', '.join(done['wrong']) or JOURNAL}); the board "
                          "finishes it at its next boot: reset it, then deploy again to check")
    _check(_mpremote(port, "reset"), port, "resetting the board (machine.reset)")
    for r in step["staged"]:
        log(f"  {r}")
    for r in step["drop"]:
        log(f"  removed {r}")
    log(f"deployed archcue {step['version']} ({board_name}, {len(step['staged'])} files) to {port}; "
        "the board is restarting")


def _by_dir(paths: list[str]) -> dict[str, list[str]]:
    by: dict[str, list[str]] = {}
    for r in paths:
        by.setdefault(r.rpartition("/")[0], []).append(r)
    return by


def _say_versions(old: dict | None, new: str, keep_config: bool, log) -> None:
    if old:
        log(f"replacing archcue {old.get('version', '?')} (session format {old.get('format', '?')}) with {new} "
            f"(session format {sessionlog.FORMAT_VERSION})")
    else:
        log(f"installing archcue {new} (no archcue firmware.json on the board: a first install, or a release "
            "before it)")
    if keep_config:
        log("the board has a config.json: kept (delete it on the board to get the defaults)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hardware.deploy", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", default="", help="serial port of the board, e.g. /dev/ttyUSB0 or /dev/ttyACM0")
    p.add_argument("--board", default=DEFAULT_BOARD, choices=board_names(),
                   help="board profile from hardware/boards (default: %(default)s)")
    p.add_argument("--build-only", action="store_true", help="compile into --out and stop (no board needed)")
    p.add_argument("--out", type=Path, default=None, help="build folder (default: build/deploy/BOARD)")
    p.add_argument("--frozen", action="store_true",
                   help="the board runs the custom build of hardware/manifest.py: copy no modules")
    args = p.parse_args(argv)
    try:
        if args.build_only:
            out = args.out or ROOT / "build" / "deploy" / args.board
            files = build(args.board, out, args.frozen)
            print(f"built {len(files)} files for {args.board} in {out}")
        else:
            deploy(args.port, args.board, args.out, frozen=args.frozen)
    except DeployError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
