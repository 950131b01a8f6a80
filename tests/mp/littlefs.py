# What the LittleFS tests (test_fw_sessionlog.py, test_fw_flashstall.py) share: vfs.VfsLfs2
# and the emulated flash (flashsim.py) exist only under MicroPython, so those tests skip
# under CPython (tests/test_firmware_mp.py runs them); and the session header they write.
import sys

MICROPYTHON = sys.implementation.name == "micropython"
HEADER = {"firmware": "test", "board": "esp32_devkitc", "foot": "left", "runner": "r1", "rate_hz": 200}


def needs_littlefs():
    """Skip under CPython: the test needs LittleFS on an emulated flash device."""
    if not MICROPYTHON:
        import pytest

        pytest.skip("needs vfs.VfsLfs2 (MicroPython); runs in tests/test_firmware_mp.py")
