# ESP32 HAL: six FSRs on ADC1 at 11 dB, read through this chip's own ADC curve; a
# fixed-rate sampler that never drifts (the schedule advances by whole periods from a fixed
# origin), a PWM haptic motor behind a MOSFET (or a DRV2605L on I2C) whose pulses never
# block sampling, a debounced button, a status LED, battery and USB-power sense, light
# sleep between runs, and the watchdog. Pins come from /board.json.
import select
import sys
import time
from time import ticks_add, ticks_diff, ticks_us  # sample()'s calls: one lookup each, not two

import esp32
import machine
from machine import ADC, PWM, WDT, Pin

from core import adccal, cue
from core.mp import micropython
from core.power import cpu_mhz, drop_host_data

_LED_BLINK_MS = {"idle": 1000, "running": 0, "fault": 150, "safe": 500}
_DEBOUNCE_MS = 30
_IDLE_WAKE_MS = 60000  # nothing pending: look again after this long anyway
_CAL_READS = 64  # read_u16() / read_uv() pairs averaged for the chip's ADC curve at boot
_POWER_EVERY_MS = 60000  # the battery is read this often while running
_EMPTY_READS = 2  # consecutive readings under battery.empty_mv that end the run

# The console on MicroPython's ESP32 port: stdout goes to the UART REPL (UART0 behind the
# board's USB bridge: a write into its 128-byte FIFO waits in 10 ms RTOS ticks while the
# FIFO is full; the FIFO drains at the line rate whether or not the host reads, the bridge
# drops what nobody reads) and/or native USB CDC (TinyUSB: 256-byte buffer, a write waits up
# to 500 ms while a host holds the port open and does not read). poll() reports stdout
# always writable there, so console_write() keeps to the UART's drain itself, and
# core/live.py's credits keep the unread lines within the USB buffer.
_TX_FIFO = 128  # bytes (SOC_UART_FIFO_LEN)
_US_PER_BYTE = 87  # 10 bits at the REPL's 115200 baud


class Board:
    def __init__(self, board, rate_hz):
        drop_host_data(board)
        # the lowest clock the rate allows (the CPU's current is most of the power budget)
        machine.freq(cpu_mhz(board, rate_hz) * 1000000)
        adcs = [ADC(Pin(ch["pin"]), atten=ADC.ATTN_11DB) for ch in board["channels"]]
        # sample() reads channel by channel, unrolled, through these bound methods (no
        # per-frame method lookup); unpacking six fails at boot on a board with another count
        self.r0, self.r1, self.r2, self.r3, self.r4, self.r5 = [adc.read_u16 for adc in adcs]
        self.period_us = 1000000 // rate_hz
        self.step_ms, self.step_us = divmod(self.period_us, 1000)
        self.due = ticks_us()
        # Sample-clock time as whole ms + leftover us: every value stays below 2**30 (an
        # ESP32 small int) for 12 days, where samples * period_us passed it after 17.9 min.
        # Pulses, patterns and the LED run on this clock too (ms is read as an attribute).
        self.ms = 0
        self.us = 0
        self.wake = 0  # sample-clock ms when _service() has something to do
        self.rearm = True  # the app may restart the clock until a run's first step (app.run)
        hap = board["haptic"]
        self.motor = PWM(Pin(hap["pin"]), freq=hap["pwm_hz"], duty_u16=0)
        self.motor_duty = hap["duty_pct"] * 65535 // 100
        self.drv = _drv2605l(board.get("drv2605l"))
        self.pulse_end = 0
        self.pulsing = False
        self.steps = b""  # the pattern being played: its pulse codes (core/cue.py)
        self.step_i = 0
        self.next_at = 0  # when the next pattern pulse starts
        btn = board["button"]
        self.button = Pin(btn["pin"], Pin.IN, Pin.PULL_UP if btn["active_low"] else Pin.PULL_DOWN)
        self.button_active = 0 if btn["active_low"] else 1
        self.button_since = time.ticks_add(time.ticks_ms(), -_DEBOUNCE_MS)  # held at boot counts
        self.button_last = self.button.value()
        self.led_pin = Pin(board["led"]["pin"], Pin.OUT, value=0)
        self.led_state = "idle"
        bat = board["battery"]
        self.battery = ADC(Pin(bat["pin"]), atten=ADC.ATTN_11DB)
        self.battery_milli = int(bat["divider_ratio"] * 1000)  # integer math: no float per read
        self.low_mv = bat["low_mv"]
        self.empty_mv = bat["empty_mv"]
        self.power_at = time.ticks_ms()  # the next battery reading (ticks: runs' clocks restart)
        self.low = False
        self.empty_reads = 0
        self.empty = False
        self.usb_pin = Pin(board["usb_sense"]["pin"], Pin.IN)
        # This chip's ADC curve replaces the nominal one in board["adc"], where the app's
        # fsr.build_lut() takes it: the battery pin sits in the linear range and holds still
        self.vref_mv = chip_curve(board, self.battery, bat["adc_unit"])
        self.sleep_ms = board["sleep"]["wake_ms"]
        esp32.wake_on_ext0(self.button, self.button_active == 1)  # True: esp32.WAKEUP_ANY_HIGH
        esp32.wake_on_ext1((self.usb_pin,), esp32.WAKEUP_ANY_HIGH)
        self.wdt_ms = board.get("wdt_ms", 5000)
        self.wdt = None  # started by the first feed: safe mode must not be reset by it
        self.console_in = select.poll()
        self.console_in.register(sys.stdin, select.POLLIN)
        self.inbyte = bytearray(1)
        self.tx_idle_at = time.ticks_us()  # when the UART FIFO has sent all we wrote
        self._power_on_check()

    def start(self):
        """A session begins: its clock (ms) starts at 0 and the sample grid now (the boot,
        the wait for the button, are not frames the sampler missed). What is due on the
        clock (a pattern's pulses, the LED) keeps its distance."""
        self.due = ticks_us()
        shift = self.ms
        self.ms = 0
        self.us = 0
        self.wake -= shift
        self.pulse_end -= shift
        self.next_at -= shift

    @micropython.native
    def sample(self, frame):
        """The run loop's one HAL call a frame: wait for the next tick of a fixed grid, read
        the channels into frame (array('H'), 12-bit counts), then do what fell due (a
        pulse's end, a pattern's next pulse, the LED). Returns the ticks missed before this
        one (an overrun: the grid skips them)."""
        period = self.period_us
        due = ticks_add(self.due, period)
        late = ticks_diff(ticks_us(), due)
        missed = 0
        if late > period:
            missed = late // period  # missed * period < 2**29: ticks_diff's range
            due = ticks_add(due, missed * period)
            self._skip(missed * period)
        while late < 0:  # idle until the tick
            late = ticks_diff(ticks_us(), due)
        self.due = due
        us = self.us + self.step_us
        ms = self.ms + self.step_ms
        if us >= 1000:
            us -= 1000
            ms += 1
        self.us = us
        self.ms = ms
        frame[0] = self.r0() >> 4
        frame[1] = self.r1() >> 4
        frame[2] = self.r2() >> 4
        frame[3] = self.r3() >> 4
        frame[4] = self.r4() >> 4
        frame[5] = self.r5() >> 4
        if ms >= self.wake:
            self._service(ms)
        return missed

    def _skip(self, us):
        """The sample clock moves over the skipped ticks."""
        us += self.us
        self.ms += us // 1000
        self.us = us % 1000

    def now_ms(self):
        return self.ms

    def haptic(self, pulse_ms):
        self.wake = self.ms  # the next sample sets the wake-up (a pattern's next pulse too)
        if self.drv:
            self.drv.play(pulse_ms)  # the chip plays and ends it by itself
            return
        self.motor.duty_u16(self.motor_duty)
        self.pulsing = True
        self.pulse_end = self.ms + pulse_ms

    def pattern(self, name):
        self.steps = cue.PATTERNS[name]  # played by _service() without blocking the sampler
        self.step_i = 0
        self._next_step(self.ms)

    def _next_step(self, ms):
        steps = self.steps
        i = self.step_i
        if i >= len(steps):
            self.steps = b""
            return
        on = cue.on_ms(steps[i])
        self.step_i = i + 1
        self.haptic(on)
        self.next_at = ms + on + (cue.GAP_MS if i + 1 < len(steps) else 0)

    def _service(self, ms):
        """What is due at sample-clock ms: end a pulse, start a pattern's next pulse, set the
        LED; then when to look again."""
        if self.pulsing and ms >= self.pulse_end:
            self.motor.duty_u16(0)
            self.pulsing = False
        if self.steps and not self.pulsing and ms >= self.next_at:
            self._next_step(ms)
        blink = _LED_BLINK_MS[self.led_state]
        wake = ms + _IDLE_WAKE_MS
        if blink:
            self.led_pin.value((ms // blink) & 1)
            wake = (ms // blink + 1) * blink
        else:
            self.led_pin.value(1)
        if self.pulsing and self.pulse_end < wake:
            wake = self.pulse_end
        if self.steps and self.next_at < wake:
            wake = self.next_at
        self.wake = wake

    def button_pressed(self):
        v = self.button.value()
        now = time.ticks_ms()
        if v != self.button_last:
            self.button_last = v
            self.button_since = now
        return v == self.button_active and time.ticks_diff(now, self.button_since) >= _DEBOUNCE_MS

    def led(self, state):
        self.led_state = state
        self.wake = self.ms

    def battery_mv(self):
        return _battery_mv(self.battery, self.battery_milli)

    def usb(self):
        """USB power is in (a host, a charger): the cell is charging, and the chip never
        sleeps, so a host's Ctrl-C always reaches it."""
        return self.usb_pin.value() == 1

    def power_check(self):
        """The run loop's call every 50 ms (allocation-free): the battery, read once a minute
        with the motor off. The first time the cell is low the battery_low pattern plays and
        the run goes on; once it is nearly empty (two readings in a row) this returns True:
        the app ends the run and seals its session now, before a brown-out, and close()
        then puts the chip to deep sleep. On USB power nothing is low."""
        now = time.ticks_ms()
        if self.pulsing or time.ticks_diff(now, self.power_at) < 0:
            return self.empty
        self.power_at = time.ticks_add(now, _POWER_EVERY_MS)
        if self.usb():
            self.empty_reads = 0
            self.empty = False
            return False
        mv = self.battery_mv()
        if mv < self.empty_mv:
            self.empty_reads += 1
            self.empty = self.empty_reads >= _EMPTY_READS
        else:
            self.empty_reads = 0
            if mv < self.low_mv and not self.low:
                self.low = True
                self.pattern("battery_low")
        return self.empty

    def idle(self, frame):
        """One tick of waiting while stopped (between runs). On the cell, with nothing to
        play and the button up: light sleep until the button, USB power or sleep.wake_ms
        (the app feeds the watchdog between sleeps), LED off: the idle state of the power
        budget (hardware/README.md). Otherwise one sample tick, as in a run (the LED blinks,
        a pattern plays, a host's Ctrl-C arrives)."""
        if self.usb() or self.pulsing or self.steps or self.button.value() == self.button_active:
            return self.sample(frame)
        self.led_pin.value(0)
        t0 = ticks_us()
        machine.lightsleep(self.sleep_ms)
        self._skip(ticks_diff(ticks_us(), t0))  # the sample clock counts the sleep
        return 0
        self.due = ticks_us()  # the grid starts again: a sleep is not frames missed
        self.wake = self.ms

    def _power_on_check(self):
        """An empty cell at boot (the button woke a chip that had sealed its run): three
        blinks, back to deep sleep before any session opens."""
        if self.usb() or self.battery_mv() >= self.empty_mv:
            return
        for _ in range(3):
            self.led_pin.value(1)
            time.sleep_ms(100)
            self.led_pin.value(0)
            time.sleep_ms(100)
        machine.deepsleep()

    def wdt_feed(self):
        if self.wdt is None:
            machine.Timer(0).deinit()  # boot.py's feeder after a soft reset: the loop feeds now
            self.wdt = WDT(timeout=self.wdt_ms)
        self.wdt.feed()

    def _feed_from_timer(self, _timer):
        if self.wdt is not None:
            self.wdt.feed()

    def device_id(self):
        return device_id()

    def clock_iso(self):
        t = time.localtime()
        if t[0] < 2024:  # the RTC was never set by the host
            return None
        return "%04d-%02d-%02dT%02d:%02d:%02d" % t[:6]

    def check_interrupt(self):
        pass  # USB Ctrl-C raises KeyboardInterrupt by itself on the board

    def console_byte(self):
        for _ in self.console_in.ipoll(0):
            sys.stdin.buffer.readinto(self.inbyte)  # one byte is there: no wait
            return self.inbyte[0]
        return -1

    def console_write(self, buf):
        now = time.ticks_us()
        queued = time.ticks_diff(self.tx_idle_at, now)  # us of bytes still in the FIFO
        if queued < 0 or queued > _TX_FIFO * _US_PER_BYTE:  # drained; or so long ago the ticks wrapped
            queued = 0
        n = len(buf)
        if queued // _US_PER_BYTE + n > _TX_FIFO:
            return False
        sys.stdout.buffer.write(buf)
        self.tx_idle_at = time.ticks_add(now, queued + n * _US_PER_BYTE)
        return True

    def flash_op(self, op, nbytes):
        pass  # the real flash stalls the CPU by itself

    def close(self):
        """Motor and LED off. After a run the empty cell ended (its session sealed),
        deep sleep until USB power or the button. A started watchdog cannot be stopped: a
        timer keeps feeding it while the loop is stopped on purpose (the host's pull at the
        REPL); a soft reset clears the timer, and boot.py starts another."""
        self.motor.duty_u16(0)
        self.led_pin.value(0)
        if self.empty and not self.usb():
            machine.deepsleep()
        if self.wdt is not None:
            machine.Timer(0).init(period=1000, callback=self._feed_from_timer)


def watch_pull(seconds):
    """A pull is in progress: reset (and so record again) unless the host calls again
    within `seconds`; 0 stops watching. A host that dies mid-pull cannot leave the
    insole stopped at its REPL."""
    timer = machine.Timer(1)  # Timer(0) feeds the watchdog while the loop is stopped
    if seconds:
        timer.init(mode=machine.Timer.ONE_SHOT, period=seconds * 1000, callback=_reset)
    else:
        timer.deinit()


def _reset(_timer):
    machine.reset()


def set_clock(y, mo, d, h, mi, s):
    """Set the RTC (the host does, at every pull): session headers then carry wall time."""
    machine.RTC().datetime((y, mo, d, 0, h, mi, s, 0))


def device_id():
    return "".join("%02x" % b for b in machine.unique_id())


def reset_cause():
    """Why the chip last started: "power-on" (also the EN pin: a USB bridge's DTR/RTS),
    "hard" (machine.reset(), a panic), "watchdog", "deep sleep" or "soft"."""
    m = machine
    names = {m.PWRON_RESET: "power-on", m.HARD_RESET: "hard", m.WDT_RESET: "watchdog",
             m.DEEPSLEEP_RESET: "deep sleep", m.SOFT_RESET: "soft"}
    return names.get(m.reset_cause(), "unknown")


def uptime_ms():
    """ms since the chip started (wraps after 12 days: ticks_ms)."""
    return time.ticks_ms()


def restart():
    """A hard reset: the firmware boots afresh, the watchdog off (a soft reset would keep
    it armed with nothing feeding it but boot.py)."""
    machine.reset()


def power(board):
    """(battery mV, USB power in) for a host at the REPL (sync.info)."""
    bat = board["battery"]
    mv = _battery_mv(ADC(Pin(bat["pin"]), atten=ADC.ATTN_11DB), int(bat["divider_ratio"] * 1000))
    return mv, Pin(board["usb_sense"]["pin"], Pin.IN).value() == 1


def _battery_mv(adc, milli):
    """The cell's mV from its divider (ratio x 1000): the chip's calibrated read, ints only."""
    return adc.read_uv() // 1000 * milli // 1000


def chip_curve(board, adc, unit):
    """Places this chip's ADC between the board's bounding curves (adc.vref_curves) from
    read_u16() / read_uv() pairs on a steady pin, and puts its curve in board["adc"]:
    loads then read right whatever the chip's reference (1000-1200 mV on an ESP32).
    Returns the chip's reference, mV."""
    counts = uv = 0
    for _ in range(_CAL_READS):
        counts += adc.read_u16() >> 4
        uv += adc.read_uv()
    vref, curve = adccal.chip_curve(board, unit, counts / _CAL_READS, uv / _CAL_READS / 1e6)
    adc = dict(board["adc"], curve_v_counts=curve)  # a new dict: the nominal one may be shared
    del adc["vref_curves"]  # used: the heap gets it back before the lookup table is built
    board["adc"] = adc
    return vref


class _Drv2605l:
    """TI DRV2605L haptic driver: internal trigger, ERM library, one waveform per cue."""

    def __init__(self, i2c, address):
        self.i2c = i2c
        self.address = address
        self.buf = bytearray(1)  # every register write goes through it: a cue allocates nothing
        self._w(0x01, 0x00)  # MODE: internal trigger, out of standby
        self._w(0x03, 0x01)  # LIBRARY: ERM library A

    def _w(self, reg, value):
        self.buf[0] = value
        self.i2c.writeto_mem(self.address, reg, self.buf)

    def play(self, pulse_ms):
        # strong click (1) for short cues, long buzz (47, ~200 ms) for severe ones
        self._w(0x04, 1 if pulse_ms < 150 else 47)
        self._w(0x05, 0)
        self._w(0x0C, 1)  # GO: the chip plays it; nothing here waits


def _drv2605l(spec):
    if not spec:
        return None
    i2c = machine.I2C(0, sda=Pin(spec["sda"]), scl=Pin(spec["scl"]), freq=400000)
    if spec["address"] not in i2c.scan():
        return None  # optional part not fitted: the PWM motor is used
    return _Drv2605l(i2c, spec["address"])
