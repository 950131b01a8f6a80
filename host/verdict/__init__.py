"""Does curling the toes steady this runner's arch: the statistics and the rule."""
