"""Finding what of the evaluated prompt can stay in llama.cpp's cache for the next one.

llama-cpp-python keeps only the longest common prefix. When `prompt.fit` has cut a block
of old turns out of the middle, the rest of the old prompt is still in the cache,
further on; this finds the span to remove so the engine can shift the rest back
instead of evaluating the whole window again.
"""

from __future__ import annotations

from collections.abc import Callable


def shifted_span(old: list[int], new: list[int], least: int = 16) -> tuple[int, int] | None:
    """The span [start, end) of `old` whose removal makes `new` continue from the cache.

    None when `new` simply extends the common prefix or when too little would be kept.
    """
    start = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        start += 1
    if start >= len(new) or start >= len(old):
        return None
    probe = new[start:start + least]
    if len(probe) < least:
        return None
    for end in range(start + 1, len(old) - least + 1):
        if old[end:end + least] == probe:
            return start, end
    return None


class TokenCache:
    """Token ids of pieces already tokenized: each turn re-tokenizes the whole history,
    and with a 262k vocabulary that took ~8 ms per count, several counts per reply once
    old turns are cut. Holds the person's words, so the engine empties it with the KV
    cache (`reset_cache`, which the lock calls)."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._ids: dict[tuple[str, bool], list[int]] = {}

    def get(self, text: str, special: bool, tokenize: Callable[[], list[int]]) -> list[int]:
        key = (text, special)
        found = self._ids.get(key)
        if found is None:
            if len(self._ids) >= self.limit:
                self._ids.clear()
            found = self._ids[key] = list(tokenize())
        return found

    def clear(self) -> None:
        self._ids.clear()
