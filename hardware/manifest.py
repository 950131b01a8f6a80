# MicroPython manifest: the archcue firmware frozen into a custom ESP32 build, so its
# bytecode runs from flash instead of taking the ~110 KB heap (the board then keeps only
# the objects the modules create). Build (hardware/README.md, "A frozen build"):
#   make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/archcue/hardware/manifest.py
# then `make deploy PORT=... FROZEN=1` copies only boot.py, main.py, fault.py (sources),
# board.json, config.json and firmware.json (and removes module copies that would shadow
# the frozen ones).
# base_path is relative to this file.
include("$(PORT_DIR)/boards/manifest.py")  # the port's own frozen modules (_boot, inisetup, ...)
module("app.py", base_path="../firmware")
module("sync.py", base_path="../firmware")
module("drillapp.py", base_path="../firmware")
package("core", base_path="../firmware")
package("hal", files=("__init__.py", "esp32.py"), base_path="../firmware")  # not the simulator's HAL
