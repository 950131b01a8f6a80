# archcue firmware core: pure logic, no `machine` import. Runs on MicroPython and CPython.
# Modules import each other relatively so the package works as `core` on the board and
# as `firmware.core` on the host.
