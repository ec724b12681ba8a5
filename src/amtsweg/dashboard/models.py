"""OZG progress: no tables of its own yet."""
