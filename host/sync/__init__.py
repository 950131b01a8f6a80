"""The insole's side of the cable: finding the port, the pull, the live view."""
