# MicroPython built-ins that CPython lacks, so core runs unchanged on both.
try:
    from micropython import const  # pyright: ignore[reportAssignmentType]
except ImportError:

    def const(expr):
        return expr
