"""Memory: recall, summaries, proposed memories and check-ins (not built yet)."""
