"""The top-k moved before the repetition penalties: when it applies, and that it changes
nothing (a model of llama.cpp's penalty and top-k on random logits; the real model's
replies are compared in tests/test_real_model.py)."""

from __future__ import annotations

import random

import pytest

from companion.engine.sampling import prefilter_k

VOCAB = 262_144
CHAIN = {"top_k": 40, "temp": 0.7, "repeat_penalty": 1.1, "frequency_penalty": 0.0,
         "presence_penalty": 0.0, "mirostat_mode": 0, "grammar": None,
         "logits_processor": None}


def test_the_app_s_chain_gets_top_k_plus_the_penalty_window() -> None:
    assert prefilter_k(CHAIN, 64, VOCAB) == 104


@pytest.mark.parametrize("change", [
    {"grammar": object()},            # a grammar must see every token
    {"logits_processor": [print]},
    {"mirostat_mode": 2},
    {"repeat_penalty": 1.0},          # no penalties: top-k is already first
    {"repeat_penalty": 0.9},          # raises logits: a token can come from anywhere
    {"frequency_penalty": -0.5},
    {"presence_penalty": -0.5},
    {"temp": -1.0},                   # a plain draw over everything, no top-k
    {"top_k": 0},
    {"top_k": VOCAB},
])
def test_no_prefilter_where_it_could_change_the_draw(change: dict) -> None:
    assert prefilter_k({**CHAIN, **change}, 64, VOCAB) == 0


def test_no_window_no_prefilter() -> None:
    assert prefilter_k(CHAIN, 0, VOCAB) == 0


def test_greedy_wants_one_candidate_past_the_window() -> None:
    assert prefilter_k({**CHAIN, "temp": 0.0}, 64, VOCAB) == 65


# llama.cpp's arithmetic, in Python -------------------------------------------------------


def penalise(cands: list[tuple[int, float]], recent: list[int], repeat: float, freq: float,
             present: float) -> list[tuple[int, float]]:
    """llama_sampler_penalties_apply."""
    counts: dict[int, int] = {}
    for token in recent:
        counts[token] = counts.get(token, 0) + 1
    out = []
    for token, logit in cands:
        count = counts.get(token, 0)
        if count:
            logit = logit * repeat if logit <= 0 else logit / repeat
            logit -= count * freq + present
        out.append((token, logit))
    return out


def top_k(cands: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
    return sorted(cands, key=lambda c: -c[1])[:k]


def draw(seed: int, repeat: float, freq: float, present: float, k: int, last_n: int,
         prefilter: bool) -> list[tuple[int, float]]:
    rng = random.Random(seed)
    logits = [(t, rng.gauss(0, 3)) for t in range(1000)]
    best = [t for t, _ in top_k(logits, 3 * k)]
    recent = [rng.choice(best) for _ in range(last_n)]  # the penalties hit the leaders
    if prefilter:
        logits = top_k(logits, k + last_n)
    return top_k(penalise(logits, recent, repeat, freq, present), k)


@pytest.mark.parametrize("seed", range(40))
def test_the_same_candidates_in_the_same_order(seed: int) -> None:
    rng = random.Random(seed)
    repeat, freq, present = 1 + rng.random() * 2, rng.random(), rng.random()
    k, last_n = rng.choice([1, 5, 40]), rng.choice([8, 64])
    chain = {**CHAIN, "top_k": k, "repeat_penalty": repeat, "frequency_penalty": freq,
             "presence_penalty": present}
    assert prefilter_k(chain, last_n, VOCAB) == k + last_n
    assert (draw(seed, repeat, freq, present, k, last_n, prefilter=True)
            == draw(seed, repeat, freq, present, k, last_n, prefilter=False))


def test_a_penalty_below_one_could_change_them() -> None:
    """Why prefilter_k refuses it: a boosted token can come from far down the list."""
    assert any(draw(seed, 0.2, 0.0, 0.0, 5, 8, prefilter=True)
               != draw(seed, 0.2, 0.0, 0.0, 5, 8, prefilter=False) for seed in range(40))
