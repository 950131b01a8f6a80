"""Recordings from elsewhere (CSV, Moticon) replayed through the real firmware and imported."""
