# What the LittleFS tests (test_fw_sessionlog.py, test_fw_flashstall.py) share: vfs.VfsLfs2
# and the emulated flash (flashsim.py) exist only under MicroPython, so those tests skip
# under CPython (tests/test_firmware_mp.py runs them); the session header they write; and
# the power-cut sweep.
import sys

MICROPYTHON = sys.implementation.name == "micropython"
HEADER = {"firmware": "test", "board": "esp32_devkitc", "foot": "left", "runner": "r1", "rate_hz": 200}


def needs_littlefs():
    """Skip under CPython: the test needs LittleFS on an emulated flash device."""
    if not MICROPYTHON:
        import pytest

        pytest.skip("needs vfs.VfsLfs2 (MicroPython); runs in tests/test_firmware_mp.py")


def cut_sweep(flash, setup, action, check, samples=0):
    """Power dies at every flash program/erase of action() (or at `samples` of them spread
    evenly), after setup() on a fresh flash; check(root, state, done) runs on the flash as
    it comes back."""
    import flashsim
    from core import sessionlog

    flash.data[:] = b"\xff" * len(flash.data)
    root = flashsim.power_up(flash)
    state = setup(root)
    image = bytearray(flash.data)
    flash.ops = 0
    action(root, state)
    total = flash.ops
    cuts = 0
    for cut in range(1, total + 1, max(1, total // samples) if samples else 1):
        flash.data[:] = image
        root = flashsim.power_up(flash)
        flash.cut_at = cut
        done = False
        try:
            action(root, state)
            done = True
        except flashsim.PowerCut:
            pass
        finally:
            flash.cut_at = 0
        root = flashsim.power_up(flash)
        sessionlog.recover(root, lambda m: None)
        check(root, state, done)
        cuts += 1
    assert total > 0 and cuts > 0
    return cuts
