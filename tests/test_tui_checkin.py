"""Check-ins and "why" in the real app, with the real tiny model and a real vault."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from companion import paths
from companion.config import Settings
from companion.domain import SamplingParams
from companion.ui.app import CompanionApp
from companion.vault import Vault
from tests.conftest import PASSPHRASE
from tests.test_tui import SIZE, notice, send, wait_for


def _vault(home: Path) -> Vault:
    where = paths.resolve(home)
    where.ensure()
    if where.vault_db.exists():
        return Vault.unlock(where.vault_db, where.vault_key, PASSPHRASE)
    return Vault.create(where.vault_db, where.vault_key, PASSPHRASE)


async def test_a_due_commitment_opens_the_session_and_the_answer_is_kept(
        home: Path, tiny_model: Path) -> None:
    vault = _vault(home)
    due = vault.commitments.add("three walks this week",
                                (date.today() - timedelta(days=1)).isoformat())
    vault.commitments.add("see the dentist", (date.today() + timedelta(days=5)).isoformat())
    ana = vault.memories.add("person", "Sister Ana [bold]paints[/bold] in Porto")
    vault.close()
    settings = Settings(model=str(tiny_model), seed=4, sampling=SamplingParams(max_tokens=24))
    app = CompanionApp(paths.resolve(home), settings, passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        def asked() -> bool:
            return app.vault is not None and app.vault.commitments.get(due.id).checked_in_at
        await wait_for(pilot, asked)
        await wait_for(pilot, lambda: app.session.conversation_id is not None)
        first = app.session.messages()
        assert [m.role for m in first] == ["assistant"]
        assert first[0].provenance is not None  # phrased by the model, chosen by code
        await wait_for(pilot, lambda: any(not c.disabled for c in app.screen.query("#composer")))
        await send(pilot, "I managed two of them")
        await wait_for(pilot, lambda: len(app.session.messages()) >= 3 and
                       not app.screen.replying)
        assert app.vault.commitments.get(due.id).answer == "I managed two of them"

        await send(pilot, "How is my sister Ana doing?")
        await wait_for(pilot, lambda: len(app.session.messages()) >= 5 and
                       not app.screen.replying)
        await pilot.press("f2")
        await pilot.pause()
        shown = notice(app)
        assert f"memory #{ana.id}" in shown
        assert "[bold]paints[/bold]" in shown  # quoted as typed, never as markup
        await pilot.press("ctrl+q")


async def test_deleting_a_conversation_from_the_app(home: Path) -> None:
    vault = _vault(home)
    kept = vault.conversations.create()
    vault.conversations.add_message(kept.id, "user", "a conversation to keep")
    gone = vault.conversations.create()
    message = vault.conversations.add_message(gone.id, "user", "my secret about the garden")
    learned = vault.memories.add("fact", "has a garden", source_kind="message",
                                 source_id=message.id, conversation_id=gone.id)
    vault.state.set("current_conversation", str(gone.id))
    vault.close()
    app = CompanionApp(paths.resolve(home), Settings(), passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session is not None and
                       app.session.conversation_id == gone.id)
        app.screen.action_delete_conversation()
        await pilot.pause()
        await pilot.click("#confirm-no")  # "keep it" keeps it
        await pilot.pause()
        assert app.vault.conversations.get(gone.id) is not None
        app.screen.action_delete_conversation()
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: app.vault.conversations.get(gone.id) is None)
        assert app.vault.memories.get(learned.id) is None
        assert app.vault.conversations.get(kept.id) is not None
        assert app.session.conversation_id is None
        await pilot.press("ctrl+q")
