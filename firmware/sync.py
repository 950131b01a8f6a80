# The insole's side of a pull: small functions the host calls over the raw REPL
# (mpremote's transport), with the firmware loop stopped. Results are printed as one
# JSON line, or base64 for file data.
import binascii
import hashlib
import json
import os
import sys

from core import config, sessionlog

ROOT = "."  # as in app.py


def _hal():
    if sys.platform == "esp32":
        from hal import esp32

        return esp32
    from hal import sim

    return sim


def _path(sid, suffix=sessionlog.SUFFIX):
    return "%s/%s/%s%s" % (ROOT, sessionlog.DIR, sid, suffix)


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


def info():
    """Device id, firmware, board, config and free space."""
    with open("board.json") as f:
        board = json.load(f).get("name")
    cfg, errors = config.load("config.json")
    print(json.dumps({"device": _hal().device_id(), "board": board, "config": cfg, "config_errors": errors,
                      "free_bytes": sessionlog.free_bytes(ROOT)}))


def sessions():
    """Every session file: id, size, SHA-256 computed here, and whether the host has it."""
    sessionlog.recover(ROOT, lambda m: None)  # a run cut by the pull itself is sealed first
    out = []
    for sid in sessionlog.session_ids(ROOT):
        path = _path(sid)
        out.append([sid, os.stat(path)[6], _sha256(path), sessionlog.exists(_path(sid, sessionlog.SYNCED_SUFFIX))])
    print(json.dumps(out))


def read(sid, offset, n):
    """n bytes of a session file from offset, base64 (binary-safe over the REPL)."""
    with open(_path(sid), "rb") as f:
        f.seek(offset)
        data = f.read(n)
    sys.stdout.write(binascii.b2a_base64(data))


def mark_synced(sid):
    """The host verified and stored this session: flash-full reclaim may delete it."""
    with open(_path(sid, sessionlog.SYNCED_SUFFIX), "w") as f:
        f.write("")
    print("ok")


def delete(sid, sha):
    """Delete a session only if it is still exactly what the host verified."""
    path = _path(sid)
    if _sha256(path) != sha:
        print(json.dumps({"deleted": False, "reason": "changed since it was verified"}))
        return
    os.remove(path)
    if sessionlog.exists(_path(sid, sessionlog.SYNCED_SUFFIX)):
        os.remove(_path(sid, sessionlog.SYNCED_SUFFIX))
    print(json.dumps({"deleted": True}))


def write_config(text):
    """Replace config.json atomically after validating it here too."""
    cfg, errors = config.validate(json.loads(text))
    if errors:
        print(json.dumps({"ok": False, "errors": errors}))
        return
    with open("config.json.tmp", "w") as f:
        f.write(text)
    os.rename("config.json.tmp", "config.json")
    print(json.dumps({"ok": True}))


def set_clock(y, mo, d, h, mi, s):
    _hal().set_clock(y, mo, d, h, mi, s)
    print("ok")
