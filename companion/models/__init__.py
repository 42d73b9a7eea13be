"""Model files: checking, hashing and (later) the registry and the pin."""
