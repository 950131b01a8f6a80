"""The simulator's commands (python -m simulator COMMAND), one module each: its argparse
registration and its run(args) handler; the work is done by the library modules in simulator/."""
