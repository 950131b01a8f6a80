# MicroPython built-ins that CPython lacks, so core runs unchanged on both.
# `@micropython.native` / `@micropython.viper` are compiler directives: MicroPython's
# compiler recognises that exact spelling and emits machine code (x64 on the unix port,
# xtensawin on the ESP32); under CPython the stand-ins below leave the function as it is.
# Inside a viper function ptr16(buf) / ptr32(buf) are compiler casts to raw pointers and
# never look up these names; elsewhere (CPython) they hand back the buffer, which indexes
# the same.
try:
    import micropython  # pyright: ignore[reportAssignmentType]
    from micropython import const  # pyright: ignore[reportAssignmentType]
except ImportError:

    def const(expr):
        return expr

    def _as_is(func):
        return func

    class micropython:
        native = staticmethod(_as_is)
        viper = staticmethod(_as_is)


def ptr16(buf):
    return buf


def ptr32(buf):
    return buf
