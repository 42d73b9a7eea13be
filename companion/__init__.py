"""companion: a local-first, offline companion for journaling and emotional support."""

__version__ = "0.1.0"
