# The firmware's heap after boot in the unix port, split into what the board's figure
# depends on: imported code (bytecode in RAM unless frozen), the objects the code
# defines (functions, classes, dict entries: what stays in RAM when frozen), byte
# buffers (same size on any port) and the other live objects (pointer-sized words).
# Usage: micropython bench_heap.py BOARD.json      Prints one JSON line.
import gc
import json
import sys


def _used():
    gc.collect()
    return gc.mem_alloc()


def _defined(modules):
    """Functions, classes and dict entries the firmware's modules define."""
    funcs = classes = entries = 0
    for m in modules:
        for v in m.__dict__.values():
            entries += 1
            if isinstance(v, type):
                classes += 1
                for w in v.__dict__.values():
                    entries += 1
                    funcs += 1 if callable(w) else 0
            elif callable(v) and not isinstance(v, type(sys)):
                funcs += 1
    return funcs, classes, entries


def main(board_path):
    from fake_machine import Esp32, Machine

    sys.modules["machine"] = Machine
    sys.modules["esp32"] = Esp32
    m0 = _used()
    import app
    from core import (
        adccal,
        channels,
        config,
        cue,
        fsr,
        gait,
        health,
        intmath,
        landing,
        pipeline,
        power,
        record,
        ring,
        sessionlog,
    )
    from hal import esp32

    modules = (app, config, fsr, record, sessionlog, cue, gait, health, intmath, landing, pipeline, ring, esp32,
               adccal, power)
    code = _used() - m0
    funcs, classes, entries = _defined(modules)
    m1 = _used()
    with open(board_path) as f:
        board = json.load(f)
    cfg, _ = config.validate({})
    hal = esp32.Board(board, cfg["rate_hz"])
    lut = fsr.build_lut(board)
    board = None  # as app.main does once the HAL and the LUT are built
    pipe = pipeline.Pipeline(cfg, lut)
    from array import array

    frame = array("H", [0] * channels.COUNT)
    rec = bytearray(record.SIZE)
    log_buf = bytearray(record.SIZE * sessionlog._CHUNK_RECORDS)
    data = _used() - m1
    buffers = len(lut) * 2 + len(pipe.records.buf) + len(frame) * 2 + len(rec) + len(log_buf)
    print(json.dumps({"after_boot": code + data, "code": code, "data": data, "buffers": buffers,
                      "functions": funcs, "classes": classes, "entries": entries, "hal": hal is not None}))


main(sys.argv[1])
