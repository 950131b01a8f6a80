"""The training program: its evidence (evidence.py) across runs."""
