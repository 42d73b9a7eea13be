"""Shared fixtures: a tiny real model, the real Gemma 3 270M, a home folder, and the CLI
run as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from companion import i18n
from tests.real_model import RealModelMissing, gemma_270m
from tests.tiny_model import write_tiny_gguf

# llama.cpp's OpenMP threads spin while they wait for each other. On a busy two-core
# machine a spinning thread holds the core its partner needs: Gemma 270M took ~1 s a token
# instead of ~40 ms. Passive waiting avoids that. OpenMP reads this once, when llama.cpp
# is first loaded, and nothing has loaded it yet when this file is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# The app's words follow $LANG when nothing else chooses (ui/i18n.py); the suite pins
# English so a developer's locale does not change snapshots. Tests of the choice set it.
os.environ["COMPANION_UI_LANGUAGE"] = "en"

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _english_again() -> Iterator[None]:
    """The app's language is one process-wide choice (companion/i18n.py): an app started
    in Hindi by one test would otherwise speak Hindi in every test after it."""
    yield
    i18n.use(i18n.SOURCE)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny.gguf", seed=0)


@pytest.fixture(scope="session")
def other_tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny-other.gguf", seed=1)


@pytest.fixture(scope="session")
def gemma_path() -> Path:
    """Gemma 3 270M with its chat template, assembled once per machine (tests/real_model.py)."""
    try:
        return gemma_270m()
    except RealModelMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    file = tmp_path / "passphrase.txt"
    file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return file


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str | os.PathLike[str], stdin: str | bytes | None = None,
            timeout: float = 120) -> Result:
    """Run `python -m companion` in a subprocess, exactly as a script would."""
    env = {k: v for k, v in os.environ.items() if k != "COMPANION_HOME"}
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "companion", *map(str, args)],
        input=data if data is not None else b"",
        capture_output=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                  proc.stderr.decode("utf-8", "replace"))


def snapshot_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def write_user_registry(home: Path, model: Path, *, model_id: str = "tiny",
                        sha256: str | None = None, **where: str) -> None:
    """A one-entry models.toml in the home's config folder describing `model`.

    `where` gives the location keys: `url=…`, or `repo=…, revision=…, file=…`.
    """
    import hashlib

    location = "\n".join(f'{key} = "{value}"' for key, value in where.items())
    digest = sha256 or hashlib.sha256(model.read_bytes()).hexdigest()
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "models.toml").write_text(f"""
[[model]]
id = "{model_id}"
name = "Tiny test model"
{location}
sha256 = "{digest}"
size = {model.stat().st_size}
params = "0.1M"
quant = "F32"
context = 4096
ram = 0.5
languages = ["en"]
licence = "test"
""", encoding="utf-8")
