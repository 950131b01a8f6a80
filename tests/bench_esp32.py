"""`make bench` rows for the real board (issue 10): an ESP32 estimate of the per-frame
cost, the flash-stall model's effect on sampling and landings, and the heap after boot.
Everything here is measured on the MicroPython unix port; the ESP32 figures are
estimates from published ratios, labelled so."""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from firmware.core.channels import COUNT
from hardware.board_data import load_board
from host.sources.engine import MICROPYTHON
from simulator.device import ROOT
from simulator.scenario import load_scenario
from simulator.synth import generate

Row = tuple[str, str, str]

# ESP32 time / unix-port time for MicroPython bytecode. misc_pystone (integer arithmetic,
# attribute access and calls: the firmware's per-frame mix): ESP32 1,801.87 pystones/s at
# 160 MHz (TinyPICO, GENERIC build, IDF 4.2.2: micropython commit 549448e8bb, 2021-09-24,
# "esp32: Enable optimisations and move code to iRAM") against 184,127/s on this machine's
# unix port (v1.29-preview, tests/perf_bench, 2026-11-24; ../shared/notes/esp32_numbers.md
# section 1.1). Across 11 perf_bench tests the ratio spans 64-106x (geomean 87x).
RATIO_160 = 184127 / 1801.87  # 102x
RATIO_RANGE = "64-112x"
# 240 MHz: the same commit message says fft, pidigits and aes run 50% faster at 240 MHz and
# the rest less (flash-cache bound): 1.25-1.5x assumed, 1.35 central [estimate].
SPEEDUP_240 = 1.35
# The core's hot path is @micropython.native / @micropython.viper machine code. The ratio
# above is for bytecode, and a unix-port (x64) native time does not carry over to
# xtensawin: the two code generators differ, and x64 native even lost to bytecode on
# pystone (micropython issue #4268). No xtensawin native/viper A/B has been published (notes
# section 1.4), so the estimate times the same core as bytecode (decorators stripped) and
# divides by the one clean native/bytecode measurement on a microcontroller: pystone on a
# PYBv1.0 (Thumb-2), 3,078 native (micropython d4d53e9e11) against 2,405-2,496 bytecode
# (f2040bfc7e), 1.23-1.28x; 1.23 taken, for the core and for the HAL's native sample().
# Viper's gain (the channel loop with the frame's mode, the gait's step, ilog2) is larger on
# the devices where it was measured (2-10x, anecdotal) but unknown here: not counted. In
# the bytecode copy the viper casts ptr16(x) / ptr32(x) become plain (x), as bytecode would
# be written (they are no calls in machine code); one int() cast of a constant a frame
# stays (pessimistic).
NATIVE_SPEEDUP = 1.23
_DIRECTIVE = re.compile(r"^[ \t]*@micropython\.(native|viper)[ \t]*$", re.M)
_NATIVE = re.compile(r"^[ \t]*@micropython\.native[ \t]*$", re.M)
_PTR_CAST = re.compile(r"(?<!def )\bptr(16|32)\(")
# One ADC1 conversion in the driver (the Python call is in the HAL figure): MicroPython's
# esp32 port turns read_u16(), read() and read_uv() alike into one ESP-IDF
# adc_oneshot_read() (ports/esp32/adc.c: lock, critical section, channel setup, a polled
# SAR conversion), read_uv() adding a calibration curve on top; so no cheaper read exists
# through machine.ADC (read() only saves the Python `>> 4`: ~4 us a frame here). Published
# times: ~35 us a sample through MicroPython 1.15 (micropython issue #7495), 36.8 us for
# IDF 3 adc1_get_raw at 240 MHz (labfruits "ESP32 ADC speed"), 54 us through Arduino's IDF
# driver against 9.5 us with direct register access (arduino-esp32 issue #7689), ~10 us
# low-level (simplefoc docs issue #29); notes section 2. 15-40 us, 25 central [estimate].
ADC_C_US = 25
# The 32-bit board's heap from the unix port's (64-bit): byte buffers keep their size,
# other objects are pointer-sized words and 32-byte GC blocks that halve to 4 bytes and
# 16-byte blocks. Frozen bytecode (hardware/manifest.py) stays in flash: only the
# function objects (4 words), classes (~64 bytes) and dict slots (2 words at 3/4 load)
# the modules define are in RAM.
FUNC_32 = 16
CLASS_32 = 64
SLOT_32 = 8 * 4 // 3
BOARD_HEAP_KB = 110  # ESP32 without PSRAM: MicroPython's heap
BAR_HZ = 1000  # issue 10's CPU bar: <= 50% at 240 MHz at this rate


def _mp(script: str, *args: str, heap: str = "8M", firmware: Path = ROOT / "firmware") -> dict:
    env = dict(os.environ, MICROPYPATH=f"{firmware}:{ROOT / 'tests' / 'mp'}:{ROOT / 'hardware'}")
    out = subprocess.run([str(MICROPYTHON), "-X", f"heapsize={heap}", str(ROOT / "tests" / "mp" / script), *args],
                         capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _inputs(work: Path, rate: int) -> tuple[Path, Path]:
    run = generate(load_scenario("rearfoot_easy"), seed=1, rate_hz=rate, seconds=60)
    frames = work / f"frames-{rate}.bin"
    frames.write_bytes(run.counts.astype("<u2").tobytes())
    board = work / "board.json"
    board.write_text(json.dumps(load_board()))
    return frames, board


def _as_bytecode(work: Path, viper: bool = False) -> Path:
    """A copy of firmware/ as bytecode: the native directives removed and, unless `viper`,
    the viper ones too with their pointer casts dropped (as bytecode would be written)."""
    out = work / ("firmware-viper" if viper else "firmware-bytecode")
    for src in (ROOT / "firmware").rglob("*.py"):
        dst = out / src.relative_to(ROOT / "firmware")
        dst.parent.mkdir(parents=True, exist_ok=True)
        text = _NATIVE.sub("", src.read_text())
        dst.write_text(text if viper else _PTR_CAST.sub("(", _DIRECTIVE.sub("", text)))
    return out


def _viper_needed(b: dict, v: dict, rate: int) -> Row:
    """The gain over bytecode the viper functions (channel loop, gait step) need on xtensawin for
    50% CPU at 240 MHz."""
    ratio = RATIO_160 / SPEEDUP_240
    loop = b["core_us"] - v["core_us"]  # less the loop's x64 machine code: a lower bound
    rest = (b["core_us"] - loop + b["hal_us"]) * ratio / NATIVE_SPEEDUP + COUNT * ADC_C_US
    room = 0.5e6 / rate - rest
    need = f"the viper code {loop * ratio / room:.1f}x faster than as bytecode" if room > 0 else \
        "out of reach even with free viper code"
    return (f"ESP32 @ 240 MHz, {rate} Hz: 50% CPU needs", need,
            f"estimate: the viper code is {loop:.2f} of the core's {b['core_us']:.2f} us as bytecode in the unix port "
            f"(the bytecode build less the one with only the viper functions compiled); the rest as above. No "
            f"published figure gives viper's gain on xtensawin: the board check's pipeline per frame measures it")


def cpu_estimate(work: Path) -> list[Row]:
    rows: list[Row] = []
    bytecode = _as_bytecode(work)
    viper = _as_bytecode(work, viper=True)
    for rate in (200, 1000):
        frames, board = _inputs(work, rate)
        r: dict = {}
        b: dict = {}
        v: dict = {}
        for _ in range(2):  # alternately, so the builds see the same machine load; the best of each
            for best, firmware in ((r, ROOT / "firmware"), (b, bytecode), (v, viper)):
                m = _mp("bench_esp32_frame.py", str(frames), str(rate), str(board), firmware=firmware)
                if not best or m["core_us"] < best["core_us"]:
                    best.update(m)
        rows.append((f"unix port per frame @ {rate} Hz: core + board HAL",
                     f"{r['core_us']:.2f} + {r['hal_us']:.2f} us (as bytecode {b['core_us']:.2f} + "
                     f"{b['hal_us']:.2f} us)",
                     f"core: each 200-frame chunk at its best of 15 passes; HAL: loaded and bare loops each at "
                     f"their best of 60 passes; calibration "
                     f"workload {r['calib_us']:.3f} / {r['calib_after_us']:.3f} us per loop before / after (the "
                     f"spread is this machine's noise)"))
        for mhz, ratio in ((160, RATIO_160), (240, RATIO_160 / SPEEDUP_240)):
            adc = COUNT * ADC_C_US
            bytecode_us = (b["core_us"] + b["hal_us"]) * ratio
            us = bytecode_us / NATIVE_SPEEDUP + adc
            as_unix_us = (r["core_us"] + r["hal_us"]) * ratio + adc
            rows.append((f"ESP32 estimate @ {mhz} MHz, {rate} Hz", f"{us:,.0f} us/frame = {us * rate / 1e4:.0f}% CPU",
                         f"estimate: (core + HAL as bytecode) / {NATIVE_SPEEDUP} native gain x {ratio:.0f} (pystone "
                         f"ratio, range {RATIO_RANGE}) + {COUNT} x {ADC_C_US} us ADC conversions; frame budget "
                         f"{1e6 / rate:,.0f} us. No native gain at all: {(bytecode_us + adc) * rate / 1e4:.0f}%; if "
                         f"xtensawin kept the unix port's native gain (unknown): {as_unix_us * rate / 1e4:.0f}%"))
        if rate == BAR_HZ:
            rows.append(_viper_needed(b, v, rate))
    return rows


def flash_stalls() -> list[Row]:
    from simulator.device import run_synth
    from simulator.flashstall import stall_effect

    run = generate(load_scenario("responder"), seed=1, seconds=1800)
    rows: list[Row] = []
    for mode in ("typical", "worst"):
        with tempfile.TemporaryDirectory() as tmp:
            result = run_synth(run, load_board(), {"cue_mode": "blocks"}, Path(tmp), flash_stall=mode)
        effect = stall_effect(result.stalls, result.truth, run.rate_hz, len(run.counts), 60)
        rows.append((f"flash stalls ({mode} SPI NOR times), 30 min at 200 Hz", effect.describe(),
                     "responder, the simulator's flash-stall model (W25Q32JV tSE/tPP) on the session log's "
                     "writes; a landing window is hit when a sample in its first 60 ms is lost"))
        m = re.search(r"longest loop stall .*", result.log)
        rows.append((f"app's own log ({mode} flash stalls)", m.group(0) if m else "not reported",
                     "gc.collect() in swing after each sync, timed with ticks_us in the unix port"))
    return rows


def heap(board: Path) -> list[Row]:
    h = _mp("bench_heap.py", str(board), heap="2M")
    other = h["data"] - h["buffers"]
    frozen = h["functions"] * FUNC_32 + h["classes"] * CLASS_32 + h["entries"] * SLOT_32
    board_kb = (frozen + h["buffers"] + other / 2) / 1024
    return [
        (
            "heap after boot, unix port (64-bit)",
            f"{h['after_boot'] / 1024:.1f} KB",
            f"gc.mem_alloc(): imported code {h['code'] / 1024:.1f} KB, data {h['data'] / 1024:.1f} KB "
            f"(byte buffers {h['buffers'] / 1024:.1f} KB)",
        ),
        (
            "heap after boot, ESP32 estimate (frozen firmware)",
            f"{board_kb:.1f} KB = {100 * board_kb / BOARD_HEAP_KB:.0f}% of {BOARD_HEAP_KB} KB",
            f"estimate: buffers as measured, other data halved (32-bit words and 16-byte GC blocks), code in "
            f"flash except {h['functions']} functions, {h['classes']} classes, {h['entries']} dict entries",
        ),
        (
            "heap after boot, ESP32 estimate (.mpy on the filesystem)",
            f"{(board_kb * 1024 - frozen + h['code'] / 2) / 1024:.1f}-"
            f"{(board_kb * 1024 - frozen + h['code']) / 1024:.1f} KB",
            "estimate: as above with the imported code in RAM, from halved (all pointers) to unchanged (all "
            "bytecode); MicroPython's own boot allocations come on top of both (the board check includes them)",
        ),
    ]


def esp32() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = cpu_estimate(work)
        rows += heap(work / "board.json")
    return rows + flash_stalls()


if __name__ == "__main__":
    for row in esp32():
        print(" | ".join(row))
