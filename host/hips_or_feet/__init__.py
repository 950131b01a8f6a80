"""Hips or feet: which cue eases this runner's knee pain while it is used (issue 27)."""
