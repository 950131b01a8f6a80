# The integer helpers' machine-code versions (core/intmath.py) against their plain
# definitions, under MicroPython and CPython.
from core.intmath import ilog2_x32


def _ilog2_x32(x):
    """The definition: 32 x floor(log2 x) plus the linear part, x * 32 >> b - 32."""
    if x <= 1:
        return 0
    b = 0
    while (x >> b) > 1:
        b += 1
    return b * 32 + ((x << 5) >> b) - 32


def test_ilog2_x32_matches_its_definition():
    xs = list(range(-40, 3000)) + [(1 << k) + d for k in range(12, 30) for d in (-1, 0, 1, 12345 % (1 << k))]
    bad = [x for x in xs if ilog2_x32(x) != _ilog2_x32(x)]
    assert not bad, bad[:5]
