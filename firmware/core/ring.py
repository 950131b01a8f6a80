# Step records waiting for the app to drain them: a fixed ring of record.SIZE-byte slots,
# allocated once. When the app stops draining, new records are dropped and counted: the
# older ones (already due for the log) are kept. Allocation-free after construction.
from . import record


class RecordRing:
    def __init__(self, capacity):
        self.buf = bytearray(capacity * record.SIZE)
        self.cap = capacity
        self.head = 0  # slot of the oldest pending record
        self.count = 0
        self.lost = 0  # records dropped because the ring was full

    def reserve(self):
        """Byte offset of a free slot for the next record, or -1 (counted lost) when full.
        The record is pending once the caller has packed it and called commit()."""
        if self.count == self.cap:
            self.lost += 1
            return -1
        return ((self.head + self.count) % self.cap) * record.SIZE

    def commit(self):
        self.count += 1

    def pop(self, out):
        """Copy the oldest pending record into out (bytearray(record.SIZE)).
        Returns False when none is pending."""
        if not self.count:
            return False
        off = self.head * record.SIZE
        buf = self.buf
        for i in range(record.SIZE):
            out[i] = buf[off + i]
        self.head = (self.head + 1) % self.cap
        self.count -= 1
        return True
