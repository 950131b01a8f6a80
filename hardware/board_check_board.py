# Runs ON the insole, imported by board_check_device.py (copied as bc_board.py by `make
# board-check`) only where a board HAL runs: the figures only a board has. Kept apart so
# the unix port behind the virtual insole never compiles it (its heap stands for a board's).
import machine


def figures(hal, board, pipeline_us, best_us):
    """The pipeline at 1 kHz's clock, this chip's ADC calibration with a two-point check,
    the power figures, the executable RAM in use."""
    out = {"freq_mhz": machine.freq() // 1000000}
    machine.freq(240000000)
    out["frame_us_240"] = pipeline_us()
    machine.freq(out["freq_mhz"] * 1000000)
    out["adc_cal"] = calibration_check(hal, board)
    out["power"] = power_figures(hal, board, best_us)
    out["exec_ram"] = exec_ram()
    return out


def calibration_check(hal, board):
    """The chip's ADC reference the HAL found at boot, and a two-point check of the curve it
    built the lookup table on: at the battery pin (~1.9 V, in the linear range) and the USB
    sense pin (~3.0 V with the cable in, above it), the curve's volts for the mean raw count
    against the chip's own calibrated read_uv() (mean of 64 each). [pin, uv volts, curve
    volts] per point."""
    from machine import ADC, Pin

    from core import fsr

    points = []
    for key in ("battery", "usb_sense"):
        adc = ADC(Pin(board[key]["pin"]), atten=ADC.ATTN_11DB)
        raw = uv = 0
        for _ in range(64):
            raw += adc.read_u16() >> 4
            uv += adc.read_uv()
        points.append([key, uv / 64e6, fsr.counts_to_volts(raw / 64, board)])
    return {"vref_mv": hal.vref_mv, "points": points}


def power_figures(hal, board, best_us):
    """What the power budget rests on: the clock at 200 Hz, the awake time of an idle wake
    (a light sleep's exit and entry, the button and console checks; measured on the classic
    ESP32 only: the S3's native USB drops in light sleep), the cell and USB power."""
    wake_us = None
    if board["mcu"] == "esp32":
        def idle_tick():  # the watchdog's feed left out: a C call, and the check's own feeder runs
            machine.lightsleep(10)
            hal.button_pressed()
            hal.check_interrupt()

        wake_us = best_us(idle_tick, 20) - 10000
    return {"mhz_200hz": machine.freq() // 1000000, "wake_us": wake_us, "battery_mv": hal.battery_mv(),
            "usb": hal.usb()}


def exec_ram():
    """Executable RAM: native code loaded from .mpy files lives there, outside the GC heap
    (gc.mem_free() does not see it). [total, free, largest free block] over its regions,
    with the firmware loaded; None off an ESP32."""
    try:
        import esp32
    except ImportError:
        return None
    regions = esp32.idf_heap_info(esp32.HEAP_EXEC)
    return [sum(r[0] for r in regions), sum(r[1] for r in regions), max(r[2] for r in regions)]
