"""One sentence for each way settings and folders can be wrong, with the right exit code."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_cli


def write_config(home: Path, text: str) -> Path:
    (home / "config").mkdir(parents=True, exist_ok=True)
    path = home / "config" / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "line", "key"), [
    ('theme = "calm-dark"\ncontext_tokens = "big"\n', 2, "context_tokens"),
    ('seed = "x"\n', 1, "seed"),
    ('mode = "journal"\n[sampling]\ntemperature = "hot"\n', 3, "temperature"),
    ("journal_acknowledge = 1\n", 1, "journal_acknowledge"),
])
def test_a_value_of_the_wrong_type_names_file_line_and_key(home: Path, passphrase_file: Path,
                                                          text: str, line: int,
                                                          key: str) -> None:
    path = write_config(home, text)
    result = run_cli("--home", home, "--passphrase-file", passphrase_file, "history")
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1 and result.err.startswith("companion: ")
    assert f"{path}, line {line}: {key} must be" in result.err


def test_a_file_that_is_not_toml_names_the_line(home: Path, passphrase_file: Path) -> None:
    path = write_config(home, 'theme = "calm-dark"\nmode = \n')
    result = run_cli("--home", home, "--passphrase-file", passphrase_file, "history")
    assert result.code == 2 and f"{path}, line 2" in result.err and "not valid TOML" in result.err


def test_an_unknown_key_is_a_warning_and_the_rest_counts(home: Path, passphrase_file: Path,
                                                        tiny_model: Path) -> None:
    path = write_config(home, 'mode = "journal"\nmood_colour = "blue"\n')
    result = run_cli("--home", home, "--passphrase-file", passphrase_file, "--model",
                     tiny_model, "say", "--json", "only for the page")
    assert result.code == 0, result.err
    assert f"{path}, line 2: unknown setting 'mood_colour' is ignored" in result.err
    out = json.loads(result.out)
    assert out["mode"] == "journal" and out["model_calls"] == 0 and out["reply"] == ""


def test_a_home_that_is_a_file_or_cannot_be_made(tmp_path: Path, passphrase_file: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli("--home", blocker, "--passphrase-file", passphrase_file, "history")
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"{blocker} is a file, not a folder" in result.err
    nowhere = run_cli("--home", "/proc/companion-home", "--passphrase-file", passphrase_file,
                      "history")
    assert nowhere.code == 2 and "cannot create /proc/companion-home" in nowhere.err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder")
def test_a_read_only_home(tmp_path: Path, passphrase_file: Path) -> None:
    home = tmp_path / "ro"
    run_cli("--home", home, "--passphrase-file", passphrase_file, "history")
    (home / "data").chmod(0o500)
    try:
        result = run_cli("--home", home, "--passphrase-file", passphrase_file, "history")
    finally:
        (home / "data").chmod(0o700)
    assert result.code == 2 and "cannot write in" in result.err
