# Boots the insole, after boot.py. A start that fails shows the fault blink before the
# error reaches the REPL, where a host can still pull the sessions or update the firmware.
try:
    from core import fsr

    lut = fsr.new_lut()  # 8 KiB in one piece, before the imports fragment the heap
    import app

    app.main(lut)
except Exception:
    import fault

    fault.show()
    raise
