"""Building blocks the generator plugins share (no plugin lives here; none is registered)."""
