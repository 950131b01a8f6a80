# Integer helpers for the per-sample path: floats allocate on MicroPython and ESP32
# small ints are 31-bit, so everything here stays integer and below 2**30.
from .mp import micropython


@micropython.native
def ratio_1e4(part, whole):
    """part / whole in 1e-4 units, without overflowing a 31-bit small int."""
    while whole > 100000 or part > 100000 or part < -100000:
        part >>= 1
        whole >>= 1
    if whole <= 0:
        return 0
    return part * 10000 // whole


@micropython.native
def sort_prefix(values, n):
    """Insertion sort of values[0:n] in place (n is small: allocation-free)."""
    for i in range(1, n):
        v = values[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = v


@micropython.native
def median_of(src, n, scratch):
    """Median of src[0:n] using scratch (len >= n) as workspace; 0 when n == 0."""
    if n == 0:
        return 0
    for i in range(n):
        scratch[i] = src[i]
    sort_prefix(scratch, n)
    if n & 1:
        return scratch[n >> 1]
    return (scratch[(n >> 1) - 1] + scratch[n >> 1]) >> 1


@micropython.native
def clamp(v, low, high):
    return low if v < low else (high if v > high else v)


@micropython.viper  # called a few times per landing, with a loop of up to ~17 shifts
def ilog2_x32(x: int) -> int:
    """log2(x) in 1/32 octave (piecewise linear between powers of two, monotonic); 0 for x <= 1."""
    if x <= 1:
        return 0
    b = 0
    while (x >> b) > 1:
        b += 1
    # x * 32 >> b, without shifting x up (a machine word on the board holds 32 bits)
    top = x >> (b - 5) if b >= 5 else x << (5 - b)
    return b * 32 + top - 32
