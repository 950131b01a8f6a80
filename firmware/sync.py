# The insole's side of a pull: small functions the host calls over the raw REPL
# (mpremote's transport), with the firmware loop stopped. Results are printed as one
# JSON line, or base64 for file data.
import binascii
import hashlib
import json
import os
import sys

from core import config, record, sessionlog

ROOT = "."  # as in app.py
PULL_IDLE_S = 60  # a host silent this long mid-pull has gone: the insole resets and records again
_WATCH_EVERY = 50  # sessions listed between re-arming that deadline (a long listing is not silence)


def _hal():
    if sys.platform == "esp32":
        from hal import esp32

        return esp32
    from hal import sim

    return sim


def _path(sid, suffix=sessionlog.SUFFIX):
    return sessionlog.path(ROOT, sid, suffix)


def _watch():
    _hal().watch_pull(PULL_IDLE_S)


def hold():
    """The host leaves the insole at its REPL on purpose (archcue pull --no-restart)."""
    _hal().watch_pull(0)
    print("ok")


def _sha256(path):
    h = hashlib.sha256()
    buf = bytearray(512)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(memoryview(buf)[:n])
    return binascii.hexlify(h.digest()).decode()


def version():
    """The handshake, the host's first call (and stable across releases): the firmware
    version, the session file format and step record version it writes, why and how long
    ago the chip last started ("power-on" with a short uptime: the port's opening reset it)."""
    _watch()
    from app import FIRMWARE_VERSION

    hal = _hal()
    print(json.dumps({"firmware": FIRMWARE_VERSION, "format": sessionlog.FORMAT_VERSION,
                      "record": record.RECORD_VERSION, "reset_cause": hal.reset_cause(),
                      "uptime_ms": hal.uptime_ms()}))


def info():
    """Device id, board, config (with what was wrong with config.json), free space, the
    cell's mV, whether USB power is in, and flash_full: {"session", "steps"} if logging
    stopped for lack of space since there was last room (session None: no room to start
    one), else null."""
    _watch()
    with open("board.json") as f:
        board = json.load(f)
    name = board.get("name")
    battery_mv, usb = _hal().power(board)
    board = None  # a full insole's pull runs on a board's heap
    cfg, errors = config.load("config.json")
    print(json.dumps({"device": _hal().device_id(), "board": name, "config": cfg,
                      "config_errors": errors, "free_bytes": sessionlog.free_bytes(ROOT),
                      "battery_mv": battery_mv, "usb_power": usb, "flash_full": sessionlog.full_note(ROOT)}))


def restart():
    """End the pull: a hard reset, so the firmware boots afresh and records (a soft reset
    would leave the watchdog armed with only boot.py's timer feeding it)."""
    _hal().restart()


def sessions():
    """One JSON line per session file: [id, size, SHA-256, synced]. Streamed, so memory
    stays flat however many sessions there are. A synced session (the host verified it:
    sealed, so it no longer changes) is not hashed again and its SHA is sent as null: a
    pull with nothing new hashes nothing, and its listing stays short on a slow line."""
    _watch()
    sessionlog.recover(ROOT, lambda m: None)  # a run cut by the pull itself is sealed first
    for i, sid in enumerate(sessionlog.iter_ids(ROOT)):
        if i % _WATCH_EVERY == _WATCH_EVERY - 1:
            _watch()
        path = _path(sid)
        synced = sessionlog.exists(_path(sid, sessionlog.SYNCED_SUFFIX))
        print(json.dumps([sid, os.stat(path)[6], None if synced else _sha256(path), synced]))


def sha(sid):
    """The SHA-256 of one session file, computed here."""
    _watch()
    print(json.dumps(_sha256(_path(sid))))


def read(sid, offset, n):
    """n bytes of a session file from offset, base64 (binary-safe over the REPL)."""
    _watch()
    with open(_path(sid), "rb") as f:
        f.seek(offset)
        data = f.read(n)
    sys.stdout.write(binascii.b2a_base64(data))


def mark_synced(ids):
    """The host verified and stored these sessions whole: flash-full reclaim may delete them."""
    _watch()
    for sid in ids:
        with open(_path(sid, sessionlog.SYNCED_SUFFIX), "w") as f:
            f.write("")
    print("ok")


def delete(sid, sha):
    """Delete a session only if it is still exactly what the host verified."""
    _watch()
    if _sha256(_path(sid)) != sha:
        print(json.dumps({"deleted": False, "reason": "changed since it was verified"}))
        return
    sessionlog.remove(ROOT, sid)
    print(json.dumps({"deleted": True}))


def write_config(data):
    """Replace config.json (UTF-8 JSON bytes, so names arrive exactly as the host sent
    them) after validating it here too."""
    _watch()
    text = data.decode()
    cfg, errors = config.validate(json.loads(text))
    if errors:
        print(json.dumps({"ok": False, "errors": errors}))
        return
    config.save("config.json", text)
    print(json.dumps({"ok": True}))


def set_clock(y, mo, d, h, mi, s):
    _watch()
    _hal().set_clock(y, mo, d, h, mi, s)
    print("ok")
