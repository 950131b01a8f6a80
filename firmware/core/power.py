# Power facts of the board data that the firmware acts on and hardware/generate.py's
# power budget assumes, defined once; and the board data only the host reads.

HOST_ONLY = ("insole", "power", "running_load")  # the drawings' and the budget's: no firmware reads them


def drop_host_data(board):
    """The HALs' first step: the host-only parts of board.json go back to the heap before
    the lookup table needs 8 KiB of it in one piece (a board has ~110 KB)."""
    for key in HOST_ONLY:
        board.pop(key, None)



def cpu_mhz(board, rate_hz):
    """The clock for this sample rate: the first of the board's [rate Hz, MHz] pairs whose
    rate covers it (the CPU's current is most of the power budget); 240 MHz without any."""
    table = board.get("cpu_mhz", [[rate_hz, 240]])
    for hz, mhz in table:
        if rate_hz <= hz:
            return mhz
    return table[-1][1]
