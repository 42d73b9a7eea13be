"""Care: who the companion is and how it listens (personas, modes, safety)."""
