# An emulated NOR flash for LittleFS (vfs.VfsLfs2) with power cuts. Geometry of a 4 MB
# ESP32's filesystem partition: 512 blocks of 4096 bytes.
#
# Each power-up mounts the flash through a fresh BlockDevice; a power cut kills the
# current one, so file objects left from before the cut (whose finalizers may still run
# and write) can no longer touch the flash, as on a real board. The callbacks may run from a
# finalizer while the heap is locked: there they copy byte by byte (slices allocate) and
# raise a preallocated exception.
import vfs

BLOCK_SIZE = 4096
BLOCK_COUNT = 512


class PowerCut(Exception):
    pass


class Flash:
    def __init__(self, block_size=BLOCK_SIZE, block_count=BLOCK_COUNT):
        self.bs = block_size
        self.n = block_count
        self.data = bytearray(b"\xff" * (block_size * block_count))
        self.view = memoryview(self.data)
        self.erased = b"\xff" * block_size
        self.ops = 0  # program + erase operations since the last power-up
        self.cut_at = 0  # 0: never; else the operation number that loses power
        self.device = None
        self.cut = PowerCut()


def _cut(flash):
    try:
        return PowerCut()
    except MemoryError:  # heap locked (a finalizer): the preallocated one
        return flash.cut


class BlockDevice:
    def __init__(self, flash):
        self.flash = flash
        self.alive = True

    def _powered_op(self):
        """Count one program/erase; False (and power off) if this one is cut."""
        fl = self.flash
        fl.ops += 1
        if fl.cut_at and fl.ops >= fl.cut_at:
            self.alive = False
            return False
        return True

    def readblocks(self, block, buf, off=0):
        a = block * self.flash.bs + off
        try:
            buf[:] = self.flash.view[a:a + len(buf)]
        except MemoryError:  # heap locked: no slice
            d = self.flash.data
            for i in range(len(buf)):
                buf[i] = d[a + i]

    def writeblocks(self, block, buf, off=0):
        if not self.alive:
            raise _cut(self.flash)
        d = self.flash.data
        a = block * self.flash.bs + off
        n = len(buf)
        ok = self._powered_op()
        if not ok:
            n >>= 1  # torn: power fails halfway through programming
        try:  # NOR flash programs 1 -> 0 only: the old bits AND the new
            old = int.from_bytes(d[a:a + n], "big")
            d[a:a + n] = (old & int.from_bytes(buf[:n], "big")).to_bytes(n, "big")
        except MemoryError:  # heap locked: byte by byte, allocating nothing
            for i in range(n):
                d[a + i] &= buf[i]
        if not ok:
            raise _cut(self.flash)

    def ioctl(self, op, arg):
        fl = self.flash
        if op == 4:  # block count
            return fl.n
        if op == 5:  # block size
            return fl.bs
        if op == 6:  # erase
            if not self.alive or not self._powered_op():
                raise _cut(fl)
            a = arg * fl.bs
            fl.data[a:a + fl.bs] = fl.erased  # a slice store allocates nothing
        return 0


def power_up(flash, point="/flash"):
    """Mount the flash through a new device (formatting a blank one); returns the mount point."""
    if flash.device:
        flash.device.alive = False
    try:
        vfs.umount(point)
    except OSError:
        pass
    dev = BlockDevice(flash)
    flash.device = dev
    flash.ops = 0
    try:
        fs = vfs.VfsLfs2(dev)
    except OSError:
        vfs.VfsLfs2.mkfs(dev)
        fs = vfs.VfsLfs2(dev)
    vfs.mount(fs, point)
    return point
