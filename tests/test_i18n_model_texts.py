"""What the model layer returns, in the person's language: the progress line of a download
or a hash, the sentences of verify and remove, the notice of a first pin, and how long
the person has been here (care.boundaries.duration), all made by the real functions."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from companion import i18n
from companion.care.boundaries import duration
from companion.models import install
from companion.models.library import Library
from companion.models.progress import Progress, ProgressLine, human_duration
from companion.models.registry import load_registry
from tests.conftest import run_cli
from tests.tiny_model import write_tiny_gguf

Speak = Callable[[str], None]


@pytest.fixture
def speak() -> Iterator[Callable[[str], None]]:
    """Switch the language for one test and always come back to English."""
    yield i18n.use
    i18n.use("en")


def test_the_download_line_speaks_russian(speak: Speak) -> None:
    speak("ru")
    out = io.StringIO()
    line = ProgressLine("tiny.gguf", out)
    total = 1_100_000_000
    line.update(Progress(0, total, 4_300_000.0, total / 4_300_000, "downloading"))
    line.finish()
    assert out.getvalue().splitlines()[0] == (
        "tiny.gguf  0 B / 1.1 GB  4.3 MB/s  осталось 4 мин 16 с")  # noqa: RUF001 (Cyrillic)
    assert human_duration(3605) == "1 ч 00 мин" and human_duration(90_000) == "1 дн. 1 ч"


def test_the_hash_line_says_checking_in_korean(speak: Speak) -> None:
    speak("ko")
    out = io.StringIO()
    line = ProgressLine("check", out)
    line.bytes_done(0, 2_000_000)
    line.finish()
    assert out.getvalue().startswith("check  확인 중  0 B / 2.0 MB")


def test_verify_and_remove_say_what_they_did_in_german(speak: Speak, tmp_path: Path) -> None:
    library, registry = Library(tmp_path / "models"), load_registry(None)
    model = install.import_file(library, write_tiny_gguf(tmp_path / "mine.gguf", seed=3),
                                registry, model_id="mine")
    speak("de")
    result = install.verify(library, model, registry)
    assert result.ok
    assert result.sentence == (f"mine: unversehrt, sha256 {model.short_hash}, nicht geprüft "
                               "(steht nicht im Verzeichnis).")
    Path(model.path).unlink()
    missing = install.verify(library, model, registry)
    assert not missing.ok and missing.sentence.endswith("fehlt.")
    assert install.remove(library, model) == f"mine wurde entfernt und {model.path} gelöscht."


def test_remove_of_a_file_elsewhere_says_it_was_kept_in_french(speak: Speak,
                                                               tmp_path: Path) -> None:
    library, registry = Library(tmp_path / "models"), load_registry(None)
    outside = write_tiny_gguf(tmp_path / "elsewhere.gguf", seed=4)
    model = install.identify(library, outside, registry)
    speak("fr")
    sentence = install.remove(library, model)
    assert sentence.startswith(f"{model.id} est oublié ;") and "il a donc été conservé" in sentence
    assert outside.is_file()


@pytest.mark.parametrize(("code", "seconds", "text"), [
    ("ru", 90 * 60, "1 ч 30 мин"),
    ("ru", 12 * 60, "12 мин"),
    ("de", 60 * 60, "1 Stunde"),
    ("de", 150 * 60, "2 Stunden 30 Minuten"),
    ("ko", 45 * 60, "45분"),
])
def test_duration_in_the_persons_language(speak: Speak, code: str, seconds: int, text: str) -> None:
    speak(code)
    assert duration(seconds) == text


def test_the_first_pin_notice_in_russian(monkeypatch: pytest.MonkeyPatch, home: Path,
                                         passphrase_file: Path, tiny_model: Path,
                                         tmp_path: Path) -> None:
    copy = tmp_path / "tiny.gguf"
    shutil.copyfile(tiny_model, copy)
    monkeypatch.setenv("COMPANION_UI_LANGUAGE", "ru")
    result = run_cli("--home", home, "--passphrase-file", passphrase_file, "--model", copy,
                     "--seed", "7", "say", "привет", "--json")
    assert result.code == 0, result.err
    assert "Теперь ваш companion закреплён за" in result.err
    assert json.loads(result.out)  # the --json answer itself is not translated
