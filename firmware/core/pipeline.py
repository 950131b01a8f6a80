# Per-frame processing: sensor health, re-zeroing, gait events, landing analysis, cue
# policy, and step records into a ring. STUB: the real implementation is in progress.
from . import record


class Pipeline:
    def __init__(self, cfg, lut, ring_records=64):
        self.cfg = cfg
        self.lut = lut
        self.fault_mask = 0
        self.steps = 0
        self._ring = bytearray(ring_records * record.SIZE)

    def process(self, frame, t_ms):
        """One frame of raw ADC counts (array('H', 6)) at t_ms since session start.
        Returns the haptic pulse length in ms to play now (0: none). Allocates nothing."""
        return 0

    def mark_dropped(self, frames):
        """The sampler missed `frames` frames (overrun); flags the current step."""

    def pop_record(self, buf):
        """Copy the oldest pending step record into buf (bytearray(record.SIZE)).
        Returns False when none is pending."""
        return False
