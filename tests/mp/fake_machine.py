# A stand-in `machine` (and `esp32`) for timing the board HAL (hal/esp32.py) in the unix
# port: the per-frame methods are C builtins, as the real ones are, so the call costs are
# real and the hardware is not. Install with sys.modules["machine"] = Machine and
# sys.modules["esp32"] = Esp32 before importing it.
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
        read_uv = staticmethod(lambda: 1950000)  # the battery pin: a 3.9 V cell

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

    class Timer:
        def __init__(self, *a, **kw):
            pass

        def init(self, *a, **kw):
            pass

        def deinit(self):
            pass

    WDT = RTC = EMPTY_BUS = I2C  # EMPTY_BUS: no DRV2605L answers (a test may put one on I2C)

    @staticmethod
    def freq(hz=None):
        return 240000000

    @staticmethod
    def lightsleep(ms=0):
        pass

    deepsleep = lightsleep


class Esp32:
    """Stand-in `esp32`: the sleep wake-up sources, ignored."""

    WAKEUP_ALL_LOW = False
    WAKEUP_ANY_HIGH = True

    @staticmethod
    def wake_on_ext0(pin, level):
        pass

    @staticmethod
    def wake_on_ext1(pins, level):
        pass
