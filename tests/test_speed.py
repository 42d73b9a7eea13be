"""Speed estimates and the recommendation that uses them, on injected machines.

Nothing here times anything: the estimate is arithmetic on a Machine, and the one test
that really measures memory only checks that an answer comes back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from companion.models import speed
from companion.models.catalog import catalog
from companion.models.library import Library
from companion.models.registry import load_registry
from companion.models.speed import (
    COMFORTABLE_TOKENS_PER_S,
    DECODE_BYTES_PER_CORE,
    DECODE_EFFICIENCY,
    PROMPT_BYTES_PER_CORE,
    SYSTEM_TOKENS,
    Machine,
    estimate,
    rough,
)
from tests.conftest import run_cli

GB = 1_000_000_000
NOWHERE = Path("/nonexistent/companion-models")  # an empty library: nothing installed


def reading(bytes_per_s: float, cores: int = 64) -> Machine:
    """A machine whose decode reads `bytes_per_s` of weights (memory bound: many cores)."""
    return Machine(bytes_per_s / DECODE_EFFICIENCY / GB, cores)


# The estimate


def test_decode_is_bound_by_memory_bandwidth() -> None:
    machine = reading(10 * GB)
    assert estimate(GB, machine).tokens_per_s == pytest.approx(10)
    assert estimate(2 * GB, machine).tokens_per_s == pytest.approx(5)
    assert estimate(GB, reading(20 * GB)).tokens_per_s == pytest.approx(20)


def test_few_cores_cap_the_decode_speed() -> None:
    capped = Machine(bandwidth_gbs=10_000, cores=1)
    assert estimate(GB, capped).tokens_per_s == pytest.approx(DECODE_BYTES_PER_CORE / GB)
    assert estimate(GB, Machine(20_000, 1)).tokens_per_s == estimate(GB, capped).tokens_per_s
    assert estimate(GB, Machine(10_000, 2)).tokens_per_s > estimate(GB, capped).tokens_per_s


def test_the_first_reply_reads_the_system_text_first() -> None:
    machine = reading(10 * GB, cores=4)
    wait = estimate(GB, machine)
    prompt_per_s = 4 * PROMPT_BYTES_PER_CORE / GB
    assert wait.first_reply_s == pytest.approx(SYSTEM_TOKENS / prompt_per_s + 1 / 10)
    assert estimate(GB, reading(10 * GB, cores=8)).first_reply_s < wait.first_reply_s
    assert estimate(2 * GB, machine).first_reply_s > wait.first_reply_s


def test_odd_inputs_give_numbers_not_errors() -> None:
    result = estimate(0, Machine(bandwidth_gbs=10, cores=0))
    assert result.tokens_per_s > 0 and result.first_reply_s > 0


def test_rough_numbers_claim_no_precision() -> None:
    assert [rough(v) for v in (0.04, 0.6, 3.45, 9.96, 12.4, 1600)] == [
        "~0.04", "~0.6", "~3.5", "~10", "~12", "~1600"]


# The machine: override, cache, measurement


def test_the_environment_overrides_the_measurement(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setattr(speed, "measure_bandwidth", lambda: pytest.fail("measured"))
    monkeypatch.setenv(speed.BANDWIDTH_ENV, "12.5")
    machine = speed.this_machine(tmp_path)
    assert machine.bandwidth_gbs == 12.5 and machine.cores >= 1
    assert not (tmp_path / speed.CACHE_FILE).exists()


@pytest.mark.parametrize("value", ["fast", "-3", "0", ""])
def test_a_useless_override_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       value: str) -> None:
    monkeypatch.setattr(speed, "measure_bandwidth", lambda: 7.0)
    monkeypatch.setenv(speed.BANDWIDTH_ENV, value)
    assert speed.this_machine(tmp_path).bandwidth_gbs == 7.0


def test_the_measurement_is_cached_per_machine(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.delenv(speed.BANDWIDTH_ENV, raising=False)
    calls: list[int] = []
    monkeypatch.setattr(speed, "measure_bandwidth", lambda: calls.append(1) or 7.0)
    cache = tmp_path / "cache"
    assert speed.this_machine(cache).bandwidth_gbs == 7.0
    assert speed.this_machine(cache).bandwidth_gbs == 7.0
    assert len(calls) == 1
    stored = json.loads((cache / speed.CACHE_FILE).read_text(encoding="utf-8"))
    assert stored == {"machine": speed.machine_key(), "bandwidth_gbs": 7.0}

    # A cache from another machine, or a damaged one, is measured again.
    (cache / speed.CACHE_FILE).write_text(json.dumps({"machine": "other", "bandwidth_gbs": 99}))
    assert speed.this_machine(cache).bandwidth_gbs == 7.0
    (cache / speed.CACHE_FILE).write_text("{not json")
    assert speed.this_machine(cache).bandwidth_gbs == 7.0
    assert len(calls) == 3
    assert speed.this_machine(None).bandwidth_gbs == 7.0  # no cache folder: measure


def test_measuring_memory_answers_a_positive_rate() -> None:
    assert speed.measure_bandwidth(buffer_bytes=2**20, rounds=1) > 0


# The recommendation on machines of different speeds


def recommended(machine: Machine, memory_gb: float = 16, language: str = "en") -> str:
    view = catalog(load_registry(None), Library(NOWHERE), language, memory_gb=memory_gb,
                   machine=machine)
    chosen = [row.id for row in view.rows if row.recommended]
    assert len(chosen) == 1
    return chosen[0]


def test_a_slow_machine_gets_the_smallest_model() -> None:
    registry = load_registry(None)
    smallest = min(registry.entries, key=lambda e: e.size)
    assert recommended(reading(2 * GB)) == smallest.id


def test_a_fast_machine_gets_the_best_model_that_fits() -> None:
    assert recommended(reading(100 * GB)) == "phi-4-mini"
    assert recommended(reading(100 * GB), memory_gb=4) == "llama-3.2-3b"


def test_a_middling_machine_gets_the_largest_comfortable_model() -> None:
    machine = reading(12 * GB)  # 1.1 GB → ~11 tok/s, 2.0 GB → ~6 tok/s
    choice = recommended(machine)
    registry = load_registry(None)
    entry = registry.get(choice)
    assert estimate(entry.size, machine).tokens_per_s >= COMFORTABLE_TOKENS_PER_S
    assert all(estimate(e.size, machine).tokens_per_s < COMFORTABLE_TOKENS_PER_S
               for e in registry.entries if e.ram > entry.ram)
    assert choice == "qwen2.5-1.5b"


def test_each_row_carries_its_estimate_and_where_it_comes_from() -> None:
    machine = reading(12 * GB, cores=2)
    view = catalog(load_registry(None), Library(NOWHERE), "en",
                   memory_gb=16, machine=machine)
    data = view.as_dict()
    assert data["cores"] == 2 and data["comfortable_tokens_per_s"] == COMFORTABLE_TOKENS_PER_S
    qwen = next(m for m in data["models"] if m["id"] == "qwen2.5-1.5b")
    assert qwen["repo"] == "Qwen/Qwen2.5-1.5B-Instruct-GGUF"
    assert qwen["revision"] == "91cad51170dc346986eccefdc2dd33a9da36ead9"
    assert qwen["file"] == "qwen2.5-1.5b-instruct-q4_k_m.gguf"
    assert qwen["est_tokens_per_s"] == round(estimate(qwen["size"], machine).tokens_per_s, 1)
    assert qwen["est_first_reply_s"] > 0
    json.dumps(data)  # plain JSON all the way down


def test_models_list_shows_speeds_and_recommends_by_them(home: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    slow = 2 / DECODE_EFFICIENCY  # GB/s copied: every model well under 8 tok/s
    monkeypatch.setenv(speed.BANDWIDTH_ENV, str(slow))
    listed = run_cli("--home", home, "models", "list", "--json")
    assert listed.code == 0, listed.err
    data = json.loads(listed.out)
    assert data["memory_bandwidth_gbs"] == round(slow, 1)
    for row in data["models"]:
        assert {"est_tokens_per_s", "repo", "revision", "file"} <= row.keys()
    smallest = min(data["models"], key=lambda m: m["size"])
    assert [m["id"] for m in data["models"] if m["recommended"]] == [smallest["id"]]

    text = run_cli("--home", home, "models", "list")
    assert text.code == 0, text.err
    assert "tok/s here, first reply after" in text.out
    assert f"{smallest['id']}  {smallest['name']}  [recommended]" in text.out
    assert not (home / "cache" / speed.CACHE_FILE).exists()  # the override was used
