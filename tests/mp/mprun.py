# Runs the test_* functions of one test module under MicroPython (or CPython) and prints
# one line per test, then "N passed, N failed". Usage: micropython mprun.py MODULE [TEST]
import sys


def main(argv):
    module = __import__(argv[1])
    only = argv[2] if len(argv) > 2 else None
    passed = failed = 0
    for name in sorted(dir(module)):
        if not name.startswith("test_") or (only and name != only):
            continue
        try:
            getattr(module, name)()
        except Exception as e:  # report and go on: one failure must not hide the others
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            sys.print_exception(e) if hasattr(sys, "print_exception") else None
        else:
            passed += 1
            print("PASS %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


sys.exit(main(sys.argv))
