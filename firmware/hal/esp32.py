# ESP32 HAL: six FSRs on ADC1 at 11 dB, a fixed-rate sampler that never drifts (the
# schedule advances by whole periods from a fixed origin), a PWM haptic motor behind a
# MOSFET (or a DRV2605L on I2C) whose pulses never block sampling, a debounced button,
# a status LED, battery sense and the watchdog. Pins come from /board.json.
import select
import sys
import time
from time import ticks_add, ticks_diff, ticks_us  # sample()'s calls: one lookup each, not two

import machine
from machine import ADC, PWM, WDT, Pin

from core.mp import micropython

_PATTERNS = {  # (on ms, off ms) pairs, played by _service() without blocking
    "ready": ((60, 80), (60, 0)),
    "flash_full": ((300, 150), (300, 150), (300, 0)),
    "fault": ((40, 60), (40, 60), (40, 60), (40, 0)),
}
_LED_BLINK_MS = {"idle": 1000, "running": 0, "fault": 150, "safe": 500}
_DEBOUNCE_MS = 30
_IDLE_WAKE_MS = 60000  # nothing pending: look again after this long anyway

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
        # MicroPython's ESP32 port boots at 160 MHz; the sampler needs the headroom of 240
        machine.freq(board.get("cpu_mhz", 240) * 1000000)
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
        self.steps = ()  # pattern being played: (on, off) pairs
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
        self.battery_ratio = bat["divider_ratio"]
        self.wdt_ms = board.get("wdt_ms", 5000)
        self.wdt = None  # started by the first feed: safe mode must not be reset by it
        self.console_in = select.poll()
        self.console_in.register(sys.stdin, select.POLLIN)
        self.inbyte = bytearray(1)
        self.tx_idle_at = time.ticks_us()  # when the UART FIFO has sent all we wrote

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
        if self.drv:
            self.drv.play(pulse_ms)
            return
        self.motor.duty_u16(self.motor_duty)
        self.pulsing = True
        self.pulse_end = self.ms + pulse_ms
        self.wake = self.ms  # the next sample sets the wake-up

    def pattern(self, name):
        self.steps = _PATTERNS[name]
        self.step_i = 0
        self._next_step(self.ms)

    def _next_step(self, ms):
        if self.step_i >= len(self.steps):
            self.steps = ()
            return
        on, off = self.steps[self.step_i]
        self.step_i += 1
        self.haptic(on)
        self.next_at = ms + on + off

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
        return int(self.battery.read_uv() * self.battery_ratio // 1000)

    def wdt_feed(self):
        if self.wdt is None:
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
        """Motor and LED off. A started watchdog cannot be stopped: a timer keeps feeding it
        while the loop is stopped on purpose (the host's pull at the REPL); a soft reset
        clears the timer along with everything else."""
        self.motor.duty_u16(0)
        self.led_pin.value(0)
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


class _Drv2605l:
    """TI DRV2605L haptic driver: internal trigger, ERM library, one waveform per cue."""

    def __init__(self, i2c, address):
        self.i2c = i2c
        self.address = address
        self._w(0x01, 0x00)  # MODE: internal trigger, out of standby
        self._w(0x03, 0x01)  # LIBRARY: ERM library A

    def _w(self, reg, value):
        self.i2c.writeto_mem(self.address, reg, bytes((value,)))

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
