# Runs at every boot, before main.py. Nothing here may fail.
