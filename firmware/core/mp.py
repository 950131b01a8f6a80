# MicroPython built-ins that CPython lacks, so core runs unchanged on both.
try:
    from micropython import const
except ImportError:

    def const(expr):  # pyright: ignore[reportAssignmentType]
        return expr
