"""Many runners at once: the squad view (summaries.py, view.py) and the cohort answer
(cohort.py, pooling.py)."""
