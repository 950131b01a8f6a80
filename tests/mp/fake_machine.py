# A stand-in `machine` for timing the board HAL (hal/esp32.py) in the unix port: the
# per-frame methods are C builtins, as the real ones are, so the call costs are real and
# the hardware is not. Install with sys.modules["machine"] = Machine before importing it.
import time


class Machine:
    """Stand-in `machine`: per-frame methods are C builtins, as the real ones are."""

    class Pin:
        IN = OUT = PULL_UP = PULL_DOWN = 0
        value = staticmethod(int)

        def __init__(self, *a, **kw):
            pass

    class ADC:
        ATTN_11DB = 3
        read_u16 = staticmethod(time.ticks_ms)

        def __init__(self, *a, **kw):
            pass

    class PWM:
        duty_u16 = staticmethod(abs)

        def __init__(self, *a, **kw):
            pass

    class I2C:
        def __init__(self, *a, **kw):
            pass

        def scan(self):
            return []

    WDT = Timer = RTC = I2C

    @staticmethod
    def freq(hz=None):
        return 240000000
