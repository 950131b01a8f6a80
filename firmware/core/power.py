# Power facts of the board data that the firmware acts on and hardware/generate.py's
# power budget assumes, defined once.


def cpu_mhz(board, rate_hz):
    """The clock for this sample rate: the first of the board's [rate Hz, MHz] pairs whose
    rate covers it (the CPU's current is most of the power budget); 240 MHz without any."""
    table = board.get("cpu_mhz", [[rate_hz, 240]])
    for hz, mhz in table:
        if rate_hz <= hz:
            return mhz
    return table[-1][1]
