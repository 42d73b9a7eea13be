"""Model files are untrusted input: malformed and hostile GGUF files are refused in one
sentence (exit 4), in bounded time and memory, and the person's words are kept.

The fuzz part makes a few hundred variants of the tiny model in memory (truncations,
flipped bytes, huge lengths and counts, nested and unknown types, absurd
hyperparameters) and runs each through the app's header check. The trial part uses
files that pass the header check but crash llama.cpp or loop in their chat template,
which only the child-process trial (`models.trial`) can catch.
"""

from __future__ import annotations

import json
import os
import random
import struct
import time
import tracemalloc
from pathlib import Path

import gguf
import pytest

from companion.domain import ModelInfo
from companion.errors import ModelError
from companion.models import trial
from companion.models.files import check_file, read_metadata, sha256_of
from tests.conftest import run_cli
from tests.tiny_model import CHAT_TEMPLATE, write_tiny_gguf

U32, U64 = "<I", "<Q"


def _layout(path: Path) -> tuple[dict[str, list[int]], list[list[int]]]:
    """Where each part of each key/value and tensor info starts in the clean file."""
    reader = gguf.GGUFReader(path)

    def starts(field: gguf.ReaderField) -> list[int]:
        at, out = field.offset, []
        for part in field.parts:
            out.append(at)
            at += part.nbytes
        return out

    fields = {k: starts(f) for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    return fields, [starts(t.field) for t in reader.tensors]


def _patched(data: bytes, at: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, at, value)
    return bytes(out)


def _renamed(data: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new)
    at = data.index(old)
    return data[:at] + new + data[at + len(new):]


def variants(clean: bytes, fields: dict[str, list[int]],
             tensors: list[list[int]]) -> list[tuple[str, bytes]]:
    """Malformed copies of `clean`, each with a label saying what was broken."""
    out: list[tuple[str, bytes]] = []
    header_end = max(max(p) for p in tensors) + 16
    rng = random.Random(11)
    for cut in sorted({*range(0, header_end, max(1, header_end // 60)),
                       *rng.sample(range(header_end, len(clean)), 10), len(clean) - 1}):
        out.append((f"truncated at {cut}", clean[:cut]))
    for n in range(100):
        flipped = bytearray(clean)
        for _ in range(rng.randint(1, 4)):
            flipped[rng.randrange(header_end)] ^= 1 << rng.randrange(8)
        out.append((f"flipped bytes #{n}", bytes(flipped)))
    for name, value in (("version 1", 1), ("version 4", 4), ("big-endian", 3 << 24)):
        out.append((name, _patched(clean, 4, U32, value)))
    for count in (2**31 + 1, 2**63, 2**64 - 1, 10**6):
        out.append((f"tensor count {count}", _patched(clean, 8, U64, count)))
        out.append((f"kv count {count}", _patched(clean, 16, U64, count)))
    huge = (2**31 + 1, 2**40, 2**64 - 1, 2**20 + 1)
    for key, parts in fields.items():
        kind = struct.unpack_from(U32, clean, parts[2])[0]
        for length in huge[:2]:
            out.append((f"{key}: key length {length}", _patched(clean, parts[0], U64, length)))
        for bad_type in (13, 99, 2**32 - 1):
            out.append((f"{key}: value type {bad_type}", _patched(clean, parts[2], U32, bad_type)))
        if kind == 8:  # a string: its length
            for length in huge:
                out.append((f"{key}: string length {length}",
                            _patched(clean, parts[3], U64, length)))
        if kind == 9:  # an array: nested, unknown item type, absurd counts
            out.append((f"{key}: array of arrays", _patched(clean, parts[3], U32, 9)))
            out.append((f"{key}: array of type 77", _patched(clean, parts[3], U32, 77)))
            for length in (*huge, 1_000_001):
                out.append((f"{key}: array length {length}",
                            _patched(clean, parts[4], U64, length)))
    for key, values in (("llama.block_count", (0, 513, 1_000_000, 2**32 - 1)),
                        ("llama.context_length", (0, 2**31)),
                        ("llama.embedding_length", (0, 10**6)),
                        ("llama.attention.head_count", (10**5, 2**32 - 1)),
                        ("llama.vocab_size", (0, 7, 2**32 - 1))):
        for value in values:
            out.append((f"{key} = {value}", _patched(clean, fields[key][3], U32, value)))
    out.append(("expert_count 5000", _patched(_renamed(
        clean, b"llama.pooling_type", b"llama.expert_count"), fields["llama.pooling_type"][3],
        U32, 5000)))
    for n, parts in enumerate(tensors[:4]):
        name_len, _, n_dims, dims, kind, offset = parts
        out += [(f"tensor {n}: name length 2^40", _patched(clean, name_len, U64, 2**40)),
                (f"tensor {n}: 5 dimensions", _patched(clean, n_dims, U32, 5)),
                (f"tensor {n}: 0 dimensions", _patched(clean, n_dims, U32, 0)),
                (f"tensor {n}: dimension 2^62", _patched(clean, dims, U64, 2**62)),
                (f"tensor {n}: dimension 0", _patched(clean, dims, U64, 0)),
                (f"tensor {n}: type 99", _patched(clean, kind, U32, 99)),
                (f"tensor {n}: offset 2^63", _patched(clean, offset, U64, 2**63)),
                (f"tensor {n}: offset +32", _patched(
                    clean, offset, U64, struct.unpack_from(U64, clean, offset)[0] + 32))]
    return out


def test_malformed_variants_are_refused_quickly_in_one_sentence(tmp_path: Path) -> None:
    source = write_tiny_gguf(tmp_path / "tiny.gguf")
    clean = source.read_bytes()
    fields, tensors = _layout(source)
    cases = variants(clean, fields, tensors)
    assert len(cases) >= 300
    target = tmp_path / "variant.gguf"
    refused = 0
    slowest = 0.0
    tracemalloc.start()
    started = time.perf_counter()
    try:
        for label, data in cases:
            target.write_bytes(data)
            tracemalloc.reset_peak()
            began = time.perf_counter()
            try:
                read_metadata(target)
            except ModelError as exc:  # anything else fails the test
                refused += 1
                sentence = str(exc)
                assert "\n" not in sentence and sentence.endswith("."), (label, sentence)
                assert len(sentence) < 400, (label, sentence)
            slowest = max(slowest, time.perf_counter() - began)
            assert tracemalloc.get_traced_memory()[1] < 8 * 2**20, label  # never gigabytes
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    # Flipped bytes inside token texts or float values may leave a valid file; everything
    # with a broken length, count, type or hyperparameter is refused.
    assert refused >= len(cases) - 100, (refused, len(cases))
    assert slowest < 1.0
    assert elapsed < 30, elapsed
    print(f"{len(cases)} variants, {refused} refused, {elapsed:.2f} s, slowest {slowest:.3f} s")


@pytest.mark.parametrize("label", ["token_type 2^31+1", "block_count 1000000",
                                   "nested array", "chat template over 256 KiB"])
def test_named_attacks_are_refused_with_their_reason(tmp_path: Path, label: str) -> None:
    source = write_tiny_gguf(tmp_path / "tiny.gguf")
    clean = source.read_bytes()
    fields, _ = _layout(source)
    if label == "chat template over 256 KiB":
        data = write_tiny_gguf(tmp_path / "big.gguf",
                               chat_template=CHAT_TEMPLATE + " " * 2**18).read_bytes()
        reason = "tokenizer.chat_template is"
    else:
        key, at, fmt, value, reason = {
            "token_type 2^31+1": ("tokenizer.ggml.token_type", 4, U64, 2**31 + 1,
                                  "claims 2147483649 items"),
            "block_count 1000000": ("llama.block_count", 3, U32, 1_000_000,
                                    "llama.block_count is 1000000, outside 1..512"),
            "nested array": ("tokenizer.ggml.merges", 3, U32, 9, "array of arrays"),
        }[label]
        data = _patched(clean, fields[key][at], fmt, value)
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(data)
    with pytest.raises(ModelError, match="damaged or unsafe") as caught:
        read_metadata(bad)
    assert reason in str(caught.value)


def test_real_vocabularies_pass_the_limits(tiny_model: Path) -> None:
    meta = read_metadata(tiny_model)
    assert (meta.architecture, meta.name, meta.context) == ("llama", "tiny-test-0", 4096)
    assert meta.parameters == sum(int(t.n_elements) for t in gguf.GGUFReader(tiny_model).tensors)
    assert meta.has_chat_template and len(meta.chat_template_sha256) == 64


# the trial in a child process ----------------------------------------------------------

def _say(home: Path, pf: Path, model: Path, text: str, *extra: str):
    return run_cli("--home", home, "--passphrase-file", pf, "--model", model, "say", *extra,
                   text, timeout=90)


def _history(home: Path, pf: Path) -> list[str]:
    listing = run_cli("--home", home, "--passphrase-file", pf, "history", "--json")
    out = []
    for conversation in json.loads(listing.out):
        shown = run_cli("--home", home, "--passphrase-file", pf, "history", "--conversation",
                        str(conversation["id"]), "--json")
        out += [m["content"] for m in json.loads(shown.out)["messages"] if m["role"] == "user"]
    return out


def _crashing_model(tmp_path: Path) -> Path:
    """Passes every header limit, but llama.cpp asserts (one expert, none used) and aborts."""
    clean = write_tiny_gguf(tmp_path / "tiny.gguf").read_bytes()
    path = tmp_path / "crashes.gguf"
    path.write_bytes(_renamed(clean, b"llama.pooling_type", b"llama.expert_count"))
    read_metadata(path)  # the header check lets it through: only the trial can see it
    return path


LOOPING = ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
           + CHAT_TEMPLATE)


@pytest.mark.parametrize("kind", ["absurd block_count", "llama.cpp aborts", "template loops"])
def test_say_with_a_hostile_model_exits_4_in_one_line_and_keeps_the_words(
        home: Path, passphrase_file: Path, tmp_path: Path, kind: str) -> None:
    if kind == "absurd block_count":
        clean = write_tiny_gguf(tmp_path / "tiny.gguf")
        model = tmp_path / "blocks.gguf"
        model.write_bytes(_patched(clean.read_bytes(), _layout(clean)[0]["llama.block_count"][3],
                                   U32, 1_000_000))
        words = "outside 1..512"
    elif kind == "llama.cpp aborts":
        model, words = _crashing_model(tmp_path), "crashed (SIGABRT)"
    else:
        model = write_tiny_gguf(tmp_path / "loops.gguf", chat_template=LOOPING)
        words = "took longer than 5 seconds to render"
    began = time.perf_counter()
    result = _say(home, passphrase_file, model, f"my words with a {kind} model")
    took = time.perf_counter() - began
    assert result.code == 4, result.err
    assert words in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err and "GGML" not in result.err
    assert took < 60
    assert _history(home, passphrase_file) == [f"my words with a {kind} model"]
    assert not (home / "cache" / trial.VERDICTS_FILE).exists()  # failures are not remembered
    if kind == "llama.cpp aborts":  # the backtrace went to the log file
        assert "GGML_ASSERT" in (home / "log" / "companion.log").read_text(encoding="utf-8")


def test_a_due_check_in_does_not_lose_the_words_either(home: Path, passphrase_file: Path,
                                                      tmp_path: Path) -> None:
    added = run_cli("--home", home, "--passphrase-file", passphrase_file, "commitments", "add",
                    "Water the plants", "--due", "today")
    assert added.code == 0, added.err
    result = _say(home, passphrase_file, _crashing_model(tmp_path), "a new page", "--new")
    assert result.code == 4 and "crashed" in result.err
    assert _history(home, passphrase_file) == ["a new page"]


def test_a_passed_trial_is_remembered_by_sha256(tiny_model: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    info = ModelInfo(path=str(tiny_model), sha256=sha256_of(tiny_model), name="tiny",
                     size=tiny_model.stat().st_size)
    cache = tmp_path / "cache"
    trial.ensure_tried(info, cache, "runtime A")
    saved = json.loads((cache / trial.VERDICTS_FILE).read_text(encoding="utf-8"))
    assert saved["passed"][info.sha256]["runtime"] == "runtime A"

    def no_child(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a remembered verdict must not start a trial")

    monkeypatch.setattr(trial, "_run_child", no_child)
    trial.ensure_tried(info, cache, "runtime A")
    with pytest.raises(AssertionError):  # another llama.cpp build is tried again
        trial.ensure_tried(info, cache, "runtime B")


@pytest.mark.parametrize(("code", "err", "words"), [
    (None, b"", "took longer than"),
    (-9, b"", "took longer than"),
    (-24, b"", "took longer than"),
    (-11, b"", "crashed (SIGSEGV)"),
    (-6, b"terminate called after throwing an instance of 'std::bad_alloc'", "more memory"),
    (1, b"MemoryError", "more memory"),
    (1, b"", "crashed (exit status 1)"),
    (3, b"", "crashed (exit status 3)"),  # refused, but without a readable sentence
    (5, b"", "took longer than 5 seconds to render"),
])
def test_every_trial_outcome_is_one_sentence(code: int | None, err: bytes, words: str) -> None:
    budget = trial.budget_for(2**30, 150_000)
    sentence = str(trial._refusal(Path("/m/x.gguf"), code, b"", err, budget))
    assert words in sentence
    assert "\n" not in sentence and sentence.endswith(".")
    assert sentence.count(". ") == 0  # one sentence


def test_pipes_and_devices_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "model.gguf"
    os.mkfifo(fifo)  # opening it would wait for a writer forever
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(ModelError, match="not a regular file"):
            check_file(path)
