# The six FSR channels, in frame order. hardware/boards/*.json lists them in this order.
from .mp import const

HEEL = const(0)
ARCH = const(1)  # medial midfoot
MET1 = const(2)
MET5 = const(3)
HALLUX = const(4)
TOES = const(5)
COUNT = const(6)
NAMES = ("heel", "arch", "met1", "met5", "hallux", "toes")  # index i names channel i
ADC_MAX = const(4095)  # every channel is read by the 12-bit ADC: its ceiling (saturation)
