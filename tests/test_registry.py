"""The model registry: the shipped models.toml, a person's additions, and mistakes in either."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from companion.errors import UsageError
from companion.models.registry import (
    Registry,
    RegistryEntry,
    RegistryError,
    builtin_path,
    fits,
    load_registry,
    parse_registry,
)

SIX = {"qwen2.5-1.5b", "llama-3.2-1b", "llama-3.2-3b", "gemma-3-1b", "smollm2-1.7b", "phi-4-mini"}
SHA = "ab" * 32
REV = "c" * 40


def entry_toml(model_id: str = "mine", **overrides: str) -> str:
    """One [[model]] block; values are TOML literals, so tests can write broken ones."""
    keys = {
        "id": f'"{model_id}"',
        "name": '"My model"',
        "repo": '"someone/my-model-GGUF"',
        "revision": f'"{REV}"',
        "file": '"my-model-q4.gguf"',
        "sha256": f'"{SHA}"',
        "size": "1000",
        "params": '"1B"',
        "quant": '"Q4_K_M"',
        "context": "4096",
        "ram": "1.5",
        "languages": '["en", "fr"]',
        "licence": '"MIT"',
    }
    keys.update(overrides)
    body = "".join(f"{key} = {value}\n" for key, value in keys.items() if value is not None)
    return "[[model]]\n" + body


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing needle: the tests' own independent count."""
    hits = [n for n, line in enumerate(text.split("\n"), 1) if needle in line]
    return hits[occurrence - 1]


def load_user(tmp_path: Path, text: str) -> Registry:
    user = tmp_path / "models.toml"
    user.write_text(text, encoding="utf-8")
    return load_registry(user)


# The shipped file


def test_shipped_registry_has_the_six_models_with_well_formed_pins() -> None:
    registry = load_registry()
    assert {entry.id for entry in registry.entries} == SIX
    for entry in registry.entries:
        assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256), entry.id
        assert re.fullmatch(r"[0-9a-f]{40}", entry.revision), entry.id
        assert entry.file.endswith(".gguf")
        assert entry.size > 100_000_000
        assert entry.source == "built-in"
        assert entry.url is None
        # ram is the file plus about 0.6 GB, rounded up to a half
        assert entry.size / 1e9 + 0.5 <= entry.ram <= entry.size / 1e9 + 1.1, entry.id
        assert (entry.ram * 2).is_integer(), entry.id
    assert len({entry.sha256 for entry in registry.entries}) == len(SIX)


def test_builtin_path_is_the_repository_file_in_a_checkout() -> None:
    assert builtin_path() == Path(__file__).resolve().parent.parent / "models.toml"


def test_download_url_follows_hugging_face_and_a_mirror_replaces_the_base() -> None:
    qwen = load_registry().get("qwen2.5-1.5b")
    assert qwen.download_url() == (
        "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/"
        "91cad51170dc346986eccefdc2dd33a9da36ead9/qwen2.5-1.5b-instruct-q4_k_m.gguf"
    )
    assert qwen.download_url("http://mirror.lan:8080/hf/") == (
        "http://mirror.lan:8080/hf/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/"
        "91cad51170dc346986eccefdc2dd33a9da36ead9/qwen2.5-1.5b-instruct-q4_k_m.gguf"
    )


def test_as_dict_survives_json() -> None:
    phi = load_registry().get("phi-4-mini")
    data = json.loads(json.dumps(phi.as_dict()))
    assert data["languages"] == list(phi.languages)
    assert data["sha256"] == phi.sha256
    assert RegistryEntry(**{**data, "languages": tuple(data["languages"])}) == phi


# A person's own file


def test_user_entry_with_a_mirror_url_is_added_with_its_source(tmp_path: Path) -> None:
    url = "http://192.168.1.5:8000/models/Tiny%20Model-Q8_0.gguf"
    text = entry_toml(
        "tiny", repo=None, revision=None, file=None, url=f'"{url}"', sha256=f'"{"AB" * 32}"'
    )
    registry = load_user(tmp_path, text)
    tiny = registry.get("tiny")
    assert tiny.source == str(tmp_path / "models.toml")
    assert tiny.file == "Tiny Model-Q8_0.gguf"
    assert tiny.sha256 == "ab" * 32  # stored lowercase
    assert tiny.download_url() == url
    assert tiny.download_url("http://elsewhere") == url  # a full url is not re-based
    assert tiny.repo == "" and tiny.revision == ""
    assert {entry.id for entry in registry.entries} == SIX | {"tiny"}
    assert registry.entries[-1] is tiny  # built-ins first
    assert registry.by_sha256("AB" * 32) is tiny


def test_a_missing_user_file_means_only_the_builtins(tmp_path: Path) -> None:
    assert {e.id for e in load_registry(tmp_path / "absent.toml").entries} == SIX


def test_url_without_a_file_name_needs_file(tmp_path: Path) -> None:
    text = entry_toml(repo=None, revision=None, file=None, url='"https://mirror.example/dl/"')
    with pytest.raises(RegistryError) as caught:
        parse_registry(text, "u.toml")
    expected = f"u.toml, line {line_of(text, 'url = ')}, entry 'mine': 'file' must"
    assert str(caught.value).startswith(expected)
    assert "give 'file'" in str(caught.value)
    ok = parse_registry(entry_toml(file='"x.gguf"', url='"https://m.example/dl/"'), "u.toml")
    assert ok[0].file == "x.gguf"


def test_without_url_the_location_is_required() -> None:
    with pytest.raises(RegistryError, match=r"u\.toml, line 1, entry 'mine': 'revision' missing"):
        parse_registry(entry_toml(revision=None), "u.toml")


# Mistakes are named by file, line and key


def test_duplicate_id_within_one_file_names_the_second_entry(tmp_path: Path) -> None:
    text = entry_toml("twice") + "\n" + entry_toml("twice")
    with pytest.raises(RegistryError) as caught:
        load_user(tmp_path, text)
    message = str(caught.value)
    second_id_line = line_of(text, 'id = "twice"', 2)
    assert message.startswith(f"{tmp_path / 'models.toml'}, line {second_id_line}, ")
    assert "entry 'twice'" in message
    assert f"entry at line {line_of(text, '[[model]]', 1)}" in message


def test_user_entry_may_not_redefine_a_builtin(tmp_path: Path) -> None:
    text = "# mine\n\n" + entry_toml("other") + "\n" + entry_toml("llama-3.2-1b")
    with pytest.raises(RegistryError) as caught:
        load_user(tmp_path, text)
    message = str(caught.value)
    expected = line_of(text, 'id = "llama-3.2-1b"')
    assert message.startswith(f"{tmp_path / 'models.toml'}, line {expected}, entry 'llama-3.2-1b'")
    assert "built-in" in message
    assert isinstance(caught.value, UsageError) and caught.value.exit_code == 2


def test_malformed_sha256_names_its_line(tmp_path: Path) -> None:
    text = entry_toml("good") + "\n" + entry_toml("bad", sha256='"1234"')
    with pytest.raises(RegistryError) as caught:
        load_user(tmp_path, text)
    expected = line_of(text, 'sha256 = "1234"')
    assert str(caught.value) == (
        f"{tmp_path / 'models.toml'}, line {expected}, entry 'bad': "
        "'sha256' must be 64 hexadecimal characters."
    )


def test_unknown_key_names_its_line_and_suggests(tmp_path: Path) -> None:
    text = entry_toml("a") + "\n" + entry_toml("b", sha265=f'"{SHA}"')
    with pytest.raises(RegistryError) as caught:
        load_user(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'models.toml'}, line {line_of(text, 'sha265')}, ")
    assert "entry 'b'" in message and "'sha265'" in message and "'sha256'" in message


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = entry_toml() + 'name = "oops\n'
    with pytest.raises(RegistryError) as caught:
        load_user(tmp_path, text)
    message = str(caught.value)
    expected = line_of(text, '"oops')
    assert message.startswith(f"{tmp_path / 'models.toml'}, line {expected}: ")
    assert "not valid TOML" in message


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("size", '"1000"', "'size' must be a positive whole number"),
        ("size", "true", "'size' must be a positive whole number"),
        ("context", "0", "'context' must be a positive whole number"),
        ("ram", "-1.0", "'ram' must be a positive number"),
        ("ram", "nan", "'ram' must be a positive number"),
        ("languages", '"en"', "'languages' must be a list"),
        ("languages", "[1, 2]", "'languages' must be a list"),
        ("languages", "[]", "'languages' must name at least one"),
        ("languages", '["english"]', "'english' is not an ISO 639"),
        ("revision", '"main"', "'revision' must be a 40-character commit"),
        ("id", '"My Model"', "'id' may hold only"),
        ("id", '"-x"', "'id' may hold only"),
        ("id", '""', "'id' must be a non-empty string"),
        ("url", '"ftp://host/x.gguf"', "'url' must be a full http"),
        ("file", '"../../evil.gguf"', "'file' must be a plain file name"),
        ("repo", '"not a repo"', "'repo' must look like"),
        ("name", "3", "'name' must be a non-empty string"),
    ],
)
def test_bad_values_name_their_key_and_line(key: str, value: str, problem: str) -> None:
    text = "\n" + entry_toml(**{key: value})
    with pytest.raises(RegistryError) as caught:
        parse_registry(text, "/x/models.toml")
    assert str(caught.value).startswith(f"/x/models.toml, line {line_of(text, f'{key} = ')}, ")
    assert problem in str(caught.value)


def test_shipped_file_is_parsed_with_its_own_path_in_errors() -> None:
    bad = 'ram = "lots"'
    broken = builtin_path().read_text(encoding="utf-8").replace("ram = 3.5", bad)
    with pytest.raises(RegistryError) as caught:
        parse_registry(broken, str(builtin_path()))
    expected = f"{builtin_path()}, line {line_of(broken, bad)}, entry 'phi-4-mini': 'ram'"
    assert str(caught.value).startswith(expected)


# Lookup and recommendation


def test_get_of_a_typo_names_the_close_match() -> None:
    registry = load_registry()
    with pytest.raises(UsageError) as caught:
        registry.get("qwen2.5-1.5")
    assert "'qwen2.5-1.5b'" in str(caught.value)
    assert "companion models list" in str(caught.value)
    assert registry.find("qwen2.5-1.5") is None
    assert registry.find("Qwen2.5-1.5B") is registry.get("qwen2.5-1.5b")


def test_recommend_scales_with_memory() -> None:
    registry = load_registry()
    small, large = registry.recommend(4), registry.recommend(16)
    assert small is not None and large is not None
    assert large.ram > small.ram
    assert fits(small, 4) and fits(large, 16)
    assert registry.recommend(0.5) is None


def test_recommend_respects_the_language_when_it_can() -> None:
    registry = load_registry()
    hindi = registry.recommend(16, "hi")
    assert hindi is not None and "hi" in hindi.languages
    assert hindi.id != "qwen2.5-1.5b"
    assert registry.recommend(16, "hi_IN") == hindi
    # At ~2.7 GB the 2.0 GB models (qwen, smollm2) fit but lack Hindi: the language wins.
    assert registry.recommend(2.0 / 0.75, None).ram == 2.0
    assert registry.recommend(2.0 / 0.75, "hi").id in {"llama-3.2-1b", "gemma-3-1b"}
    assert registry.recommend(2.0 / 0.75, "ko").id == "qwen2.5-1.5b"


def test_a_language_no_fitting_model_lists_is_ignored() -> None:
    registry = load_registry()
    assert registry.recommend(16, "sv").id == "phi-4-mini"  # the only Swedish one
    # At 4 GB phi-4-mini does not fit: the best fitting model, not nothing.
    four = registry.recommend(4)
    assert four is not None and four.id == "llama-3.2-3b"
    assert registry.recommend(4, "sv") == four
    assert registry.recommend(16, "el") == registry.recommend(16)


def test_fits_leaves_a_quarter_of_memory_free() -> None:
    entry = load_registry().get("llama-3.2-3b")  # needs 3.0 GB
    assert fits(entry, 4.0)
    assert not fits(entry, 3.9)
    assert not fits(entry, 3.0)


def test_recommend_prefers_the_largest_model_that_is_quick_enough() -> None:
    registry = load_registry()

    def speed(entry: RegistryEntry) -> float:  # 10 GB of weights read per second
        return 10e9 / entry.size

    chosen = registry.recommend(16, None, speed, comfortable=8.0)
    assert chosen is not None and chosen.id == "qwen2.5-1.5b"  # 1.12 GB: ~9 tok/s
    assert all(speed(e) < 8.0 for e in registry.entries if e.ram > chosen.ram)
    # Every model quick enough: the memory rule alone decides, as before.
    assert registry.recommend(16, None, lambda e: 1000.0, 8.0) == registry.recommend(16)
    # None quick enough: the fastest (smallest) one rather than the largest.
    slow = registry.recommend(16, None, lambda e: 1e9 / e.size, 8.0)
    assert slow is not None and slow.size == min(e.size for e in registry.entries)
    # Memory still comes first: a model that does not fit is never chosen for speed.
    assert registry.recommend(0.5, None, speed, 8.0) is None


def test_the_language_counts_before_speed() -> None:
    registry = load_registry()
    # phi-4-mini is the only Swedish model: slow, but it speaks Swedish.
    assert registry.recommend(16, "sv", lambda e: 1e9 / e.size, 8.0).id == "phi-4-mini"
    hindi = registry.recommend(16, "hi", lambda e: 10e9 / e.size, 8.0)
    assert hindi is not None and "hi" in hindi.languages and 10e9 / hindi.size >= 8.0
