"""What the coach has kept: the SQLite store, the session files it imports, the coach's notes."""
