"""Session bookkeeping when an engine fails part-way (stand-in engines; the real one is
covered in test_engine.py, test_cli.py and test_tui.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from companion.config import Settings
from companion.conversation.session import Session
from companion.domain import ModelInfo, TurnStats
from companion.errors import ModelError
from companion.vault import Vault
from tests.conftest import PASSPHRASE


class Failing:
    model = ModelInfo(path="x", sha256="a" * 64, name="failing", size=1)

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces
        self.last_stats = TurnStats()

    def stream(self, messages, params, seed, cancel: threading.Event):
        yield from self.pieces
        raise ModelError("the model broke")

    def reset_cache(self) -> None:
        pass


@pytest.mark.parametrize(("pieces", "stored"), [([], []), (["half a ", "reply"], ["half a reply"])])
def test_failure_keeps_the_message_and_only_real_text(tmp_path: Path, pieces, stored) -> None:
    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    session = Session(vault, Settings(), Failing(pieces))
    with pytest.raises(ModelError):
        session.turn("my words")
    messages = session.messages()
    assert messages[0].content == "my words"
    assert [m.content for m in messages[1:]] == stored
    assert all(m.stopped for m in messages[1:])
    vault.close()
