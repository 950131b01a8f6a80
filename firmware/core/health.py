# Sensor health, judged once per step from per-channel evidence gathered each frame: the
# highest raw count during stance and the lowest during swing (the pipeline's channel loop
# writes hi / lo directly), and spike / dropout reversals (jump()). A channel is faulty
# after several bad steps in a row and healthy again after more good ones, so one odd
# step neither trips nor clears a fault.
# Only unambiguous evidence excludes a channel (`mask`): open (never loads while the
# others step) or shorted (never unloads). A noisy channel rises and falls with the steps
# and stays in the sums (the median filter and the re-zeroing absorb noise and spikes);
# it is only marked (`noisy`). A false verdict costs that channel, never the steps.
from array import array

from .channels import ADC_MAX, COUNT
from .mp import const, micropython

OPEN_COUNTS = const(30)  # stance maximum at or below this: open lead / dead sensor
SHORT_COUNTS = const(4000)  # swing minimum at or above this: shorted / saturated
JUMP_COUNTS = const(400)  # a frame-to-frame change this large is a candidate spike
REVERSAL_FRAMES = const(10)  # ... a spike if an opposite jump follows within this many frames
SPIKES_BAD = const(2)  # spikes in one step cycle that make the step bad for a channel
BAD_TO_FAULT = const(4)  # consecutive bad steps that flag a channel
GOOD_TO_CLEAR = const(8)  # consecutive good steps that clear it

OPEN = const(1)
SHORTED = const(2)
NOISY = const(3)


class SensorHealth:
    def __init__(self):
        # arrays, not lists: the pipeline's viper loop writes them through their memory
        self.hi = array("H", [0] * COUNT)  # stance max, raw counts
        self.lo = array("H", [ADC_MAX] * COUNT)  # swing min, raw counts
        self.spikes = [0] * COUNT  # reversals this step cycle
        self.jump_dir = [0] * COUNT  # direction of the last large jump (0: none pending)
        self.jump_frame = [0] * COUNT  # ... and its frame number
        self.bad = [0] * COUNT
        self.good = [0] * COUNT
        self.kind = [0] * COUNT  # OPEN / SHORTED / NOISY while faulty, else 0
        self.mask = 0  # bit i: channel i excluded (open or shorted)
        self.noisy = 0  # bit i: channel i noisy (kept in the sums)

    def jump(self, i, d, frame_no):
        """Channel i changed by d counts (more than JUMP_COUNTS) at frame_no; an opposite
        jump soon after is a spike or a dropout."""
        direction = 1 if d > 0 else -1
        if self.jump_dir[i] == -direction and frame_no - self.jump_frame[i] <= REVERSAL_FRAMES:
            self.spikes[i] += 1
            self.jump_dir[i] = 0
        else:
            self.jump_dir[i] = direction
            self.jump_frame[i] = frame_no

    def _verdict(self, i):
        if self.lo[i] >= SHORT_COUNTS:
            return SHORTED
        if self.hi[i] <= OPEN_COUNTS:
            return OPEN
        if self.spikes[i] >= SPIKES_BAD:
            return NOISY
        return 0

    @micropython.native
    def end_step(self):
        """Judge each channel on the step just finished; returns True if the mask changed."""
        old = self.mask
        for i in range(COUNT):
            verdict = self._verdict(i)
            if verdict:
                self.good[i] = 0
                self.bad[i] += 1
                if self.bad[i] >= BAD_TO_FAULT:
                    self.kind[i] = verdict
                    if verdict == NOISY:
                        self.noisy |= 1 << i
                    else:
                        self.mask |= 1 << i
            else:
                self.bad[i] = 0
                self.good[i] += 1
                if self.good[i] >= GOOD_TO_CLEAR:
                    self.kind[i] = 0
                    self.mask &= ~(1 << i)
                    self.noisy &= ~(1 << i)
            self.hi[i] = 0
            self.lo[i] = ADC_MAX
            self.spikes[i] = 0
        return self.mask != old

    @micropython.native
    def saturated(self):
        """Some healthy channel reached the ADC ceiling during the last stance."""
        for i in range(COUNT):
            if self.hi[i] >= ADC_MAX and not (self.mask >> i) & 1:
                return True
        return False
