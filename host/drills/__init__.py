"""The foot drills on the host: measuring a recording through the firmware's drill code
(measure.py) and the coach's view of them."""
