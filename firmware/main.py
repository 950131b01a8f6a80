# Boots the insole, after boot.py. A start that fails shows the fault blink before the
# error reaches the REPL, where a host can still pull the sessions or update the firmware.
try:
    import app

    app.main()
except Exception:
    import fault

    fault.show()
    raise
