"""How fast a model would answer on this machine, estimated before anyone downloads it.

A recommendation that ignores speed sends a 2-core laptop a 2.5 GB model that types
three words a second. Measuring each model would mean downloading it, so the speed is
estimated from what decoding on a CPU is limited by:

* Each new token reads every weight once, so decoding is bound by memory bandwidth:
  tokens/s ≈ DECODE_EFFICIENCY * bandwidth / file size. The bandwidth is measured once
  per machine with a memcpy of buffers larger than the cache (under a second), then cached.
* With few cores the arithmetic, not the memory, can be the limit:
  tokens/s ≤ cores * DECODE_BYTES_PER_CORE / file size.
* The first reply of a session waits for the system text (SYSTEM_TOKENS) to be read in.
  Prompt processing is compute bound (matrix-matrix, all cores busy), so its rate is
  taken as cores * PROMPT_BYTES_PER_CORE / file size; the wait excludes loading the file.

The constants come from timing llama.cpp (llama-cpp-python 0.3.36) with Gemma 3 270M
Q4_K_M (253 MB) on a 2-core AMD EPYC (Zen 4) VM, each decode timed beside a memcpy so
both saw the same load: one thread read weights at 1.0-1.1 times the memcpy rate (up to
46 tokens/s = 11.6 GB/s) and a 300-token prompt at up to 330 tokens/s. One memcpy thread
is a conservative stand-in for what several decoding threads read, so on desktops with
many cores and memory channels the estimate errs low. Tests check the arithmetic with
injected machines; nothing there is timed.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

COMFORTABLE_TOKENS_PER_S = 8.0
"""About 6 words a second: a reply keeps ahead of the person reading it. Slower, and the
words trail the eye; the recommendation prefers models at or above this."""

DECODE_EFFICIENCY = 1.0
"""Weight bytes llama.cpp reads per second while decoding, per byte a memcpy copies."""

DECODE_BYTES_PER_CORE = 11.5e9
"""Weight bytes one core can multiply per second while decoding (the compute bound)."""

PROMPT_BYTES_PER_CORE = 80e9
"""Prompt reading (batched, so compute bound): tokens/s * file size, per core."""

SYSTEM_TOKENS = 500
"""About how long the persona and mode text is: what the first reply must read first."""

BANDWIDTH_ENV = "COMPANION_MEMORY_BANDWIDTH"
"""GB/s to use instead of measuring (tests, or a person who knows better)."""

CACHE_FILE = "machine-speed.json"
_BUFFER = 128 * 2**20
"""Larger than the last-level cache of ordinary CPUs, so the copy really goes to memory."""


@dataclass(frozen=True)
class Machine:
    """What the estimate needs to know about the computer."""

    bandwidth_gbs: float
    """Bytes one memcpy copies per second, in GB/s (read and write each count once)."""
    cores: int
    """The threads llama.cpp gets: one per physical core."""


@dataclass(frozen=True)
class Speed:
    tokens_per_s: float
    first_reply_s: float
    """Seconds from sending the first message of a session to the first word of the reply."""


def estimate(size_bytes: int, machine: Machine) -> Speed:
    """Pure: a GGUF of `size_bytes` on `machine`; no timing, so tests can drive it."""
    size = max(size_bytes, 1)
    cores = max(machine.cores, 1)
    decode_bytes = min(DECODE_EFFICIENCY * machine.bandwidth_gbs * 1e9,
                       cores * DECODE_BYTES_PER_CORE)
    tokens_per_s = decode_bytes / size
    prompt_per_s = cores * PROMPT_BYTES_PER_CORE / size
    return Speed(tokens_per_s, SYSTEM_TOKENS / prompt_per_s + 1 / tokens_per_s)


def rough(value: float) -> str:
    """Two significant figures at most: "~12", "~3.4", "~0.6"; more would claim precision."""
    return f"~{value:.2g}" if value < 99.5 else f"~{value:.0f}"


def measure_bandwidth(buffer_bytes: int = _BUFFER, rounds: int = 8) -> float:
    """GB/s of one memcpy (a memoryview slice assignment), the best of a few rounds.

    The best round, not the mean, because other programs only ever slow a round down.
    """
    source = b"\x5a" * buffer_bytes  # written, so not the kernel's one shared zero page
    target = bytearray(buffer_bytes)
    src, dst = memoryview(source), memoryview(target)
    dst[:] = src  # the first copy maps the target's pages; only later rounds count
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        dst[:] = src
        elapsed = time.perf_counter() - start
        best = max(best, buffer_bytes / max(elapsed, 1e-9))
    return best / 1e9


def machine_key() -> str:
    """Names this machine well enough that a cache copied to another one is not believed."""
    import platform

    import psutil

    return f"{platform.machine()} {os.cpu_count()} cpus {psutil.virtual_memory().total} bytes"


def physical_cores() -> int:
    from companion.engine.llama import physical_cores as cores  # the threads llama.cpp gets

    return cores()


def this_machine(cache_dir: Path | None) -> Machine:
    """The bandwidth from BANDWIDTH_ENV, else the cache, else measured now and cached."""
    cores = physical_cores()
    override = os.environ.get(BANDWIDTH_ENV, "").strip()
    if override:
        try:
            value = float(override)
        except ValueError:
            value = 0.0
        if value > 0:
            return Machine(value, cores)
    key = machine_key()
    cache = cache_dir / CACHE_FILE if cache_dir is not None else None
    cached = _read_cache(cache, key) if cache is not None else None
    if cached is not None:
        return Machine(cached, cores)
    bandwidth = measure_bandwidth()
    if cache is not None:
        _write_cache(cache, key, bandwidth)
    return Machine(bandwidth, cores)


def _read_cache(cache: Path, key: str) -> float | None:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        value = float(data["bandwidth_gbs"]) if data.get("machine") == key else 0.0
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return value if value > 0 else None


def _write_cache(cache: Path, key: str, bandwidth: float) -> None:
    """Best effort: a read-only cache folder only means measuring again next time."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = cache.with_suffix(".part")
        partial.write_text(json.dumps({"machine": key, "bandwidth_gbs": round(bandwidth, 2)}),
                           encoding="utf-8")
        partial.replace(cache)
    except OSError:
        pass
