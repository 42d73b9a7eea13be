"""What checking the pinned file costs at start: the quick check (size and mtime unchanged
since the last full hash) beside a full sha256, on a model-sized file.

Run: .venv/bin/python -m bench.pin_check [SIZE_MB]   (default 512)
The file is the tiny test model padded with zeros to SIZE_MB; figures are medians.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from companion.domain import SamplingParams
from companion.models.install import record_file
from companion.models.library import Library
from companion.models.pin import Pin
from companion.models.pinning import check_pinned_file
from companion.models.registry import load_registry
from tests.tiny_model import write_tiny_gguf


def median_time(job, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        job()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "models"
        folder.mkdir()
        model = write_tiny_gguf(folder / "big.gguf", seed=0)
        with model.open("ab") as handle:  # llama.cpp is not run here; only bytes matter
            block = b"\0" * (1 << 20)
            for _ in range(size_mb):
                handle.write(block)
        library = Library(folder)
        registry = load_registry(None)
        record = record_file(library, model, registry, source="path")
        pin = Pin(record.id, record.name, record.sha256, record.path, record.size, "",
                  SamplingParams(), "", "", "")
        quick = median_time(lambda: check_pinned_file(library, pin, registry), 20)
        full = median_time(lambda: check_pinned_file(library, pin, registry, force=True), 3)
    print(f"pinned file {size_mb} MB: quick check {quick * 1000:.2f} ms, "
          f"full sha256 {full * 1000:.0f} ms, ratio full/quick {full / quick:.0f}x")


if __name__ == "__main__":
    main()
