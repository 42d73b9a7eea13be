"""The safety plan editor: six sections in the person's own words, and people they trust.

A safety plan is written in a calmer moment to be read in a hard one; the support
panel shows it beside the chat when a message shows signs of crisis. Everything is
kept in the encrypted vault. Leaving the screen saves, so no words are lost.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static, TextArea

from companion.care.support import section_words
from companion.i18n import t
from companion.ui.binding_words import Worded
from companion.vault.care import SAFETY_PLAN_SECTIONS, Contact

_SURROGATE = re.compile("[\ud800-\udfff]")


class SafetyPlanScreen(Worded, Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="close_safety_plan"),
        Binding("ctrl+s", "save", "Save", id="save_safety_plan", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._saved: dict[str, str] = {}

    @property
    def vault(self) -> Any:
        """The app's open vault (typed loosely: importing the app would be a cycle)."""
        return getattr(self.app, "vault", None)

    def compose(self) -> ComposeResult:
        yield Static(t("safety_plan.intro"), id="plan-intro", markup=False)
        with VerticalScroll(id="plan-scroll"):
            for key in SAFETY_PLAN_SECTIONS:
                title, hint = section_words(key)
                yield Static(Text(title, style="bold"), classes="plan-title")
                yield Static(hint, classes="plan-hint", markup=False)
                yield TextArea(id=f"plan-{key}", classes="plan-text", soft_wrap=True)
            yield Static(Text(t("safety_plan.people"), style="bold"), classes="plan-title")
            yield Static(t("safety_plan.people_hint"), classes="plan-hint", markup=False)
            yield Vertical(id="plan-contacts")
            with Horizontal(id="contact-form"):
                yield Input(placeholder=t("safety_plan.name"), id="contact-name")
                yield Input(placeholder=t("safety_plan.how"), id="contact-how")
                yield Input(placeholder=t("safety_plan.note"), id="contact-note")
                yield Button(t("safety_plan.add"), id="contact-add")
        with Horizontal(classes="pane-buttons"):
            yield Button(t("safety_plan.save"), id="plan-save", variant="primary")
            yield Button(t("safety_plan.close"), id="plan-close")
        yield Static("", id="plan-message", markup=False)
        yield Footer()

    async def on_mount(self) -> None:
        with self.vault.lock:
            self._saved = self.vault.safety_plan.get()
        for key, content in self._saved.items():
            self.query_one(f"#plan-{key}", TextArea).load_text(content)
        self.query_one(f"#plan-{SAFETY_PLAN_SECTIONS[0]}", TextArea).focus()
        await self.show_contacts()

    def say(self, text: str) -> None:
        self.query_one("#plan-message", Static).update(text)

    # sections -------------------------------------------------------------------------

    def save(self) -> int:
        """Store the sections that changed; how many did."""
        vault = self.vault
        if vault is None:  # the app is closing and the vault is already shut
            return 0
        changed = 0
        for key in SAFETY_PLAN_SECTIONS:
            text = self.query_one(f"#plan-{key}", TextArea).text
            if _SURROGATE.search(text):  # not text: bytes that were not valid UTF-8
                self.say(t("safety_plan.not_text"))
                continue
            if text != self._saved.get(key, ""):
                with vault.lock:
                    vault.safety_plan.set(key, text)
                self._saved[key] = text
                changed += 1
        return changed

    @on(Button.Pressed, "#plan-save")
    def action_save(self) -> None:
        changed = self.save()
        self.say(t("safety_plan.saved") if changed else t("safety_plan.nothing_new"))

    @on(Button.Pressed, "#plan-close")
    def action_close(self) -> None:
        self.save()
        self.dismiss()

    # contacts -------------------------------------------------------------------------

    async def show_contacts(self) -> None:
        with self.vault.lock:
            contacts: list[Contact] = self.vault.contacts.list()
        box = self.query_one("#plan-contacts", Vertical)
        await box.remove_children()
        rows = []
        for contact in contacts:
            words = contact.name + (f" - {contact.how}" if contact.how else "") + (
                f" ({contact.note})" if contact.note else "")
            rows.append(Horizontal(
                Static(words, classes="contact-text", markup=False),
                Button(t("safety_plan.remove"), id=f"contact-remove-{contact.id}",
                       classes="contact-remove"),
                classes="contact-row"))
        if not rows:
            rows.append(Static(t("safety_plan.no_one"), classes="plan-hint", markup=False))
        await box.mount_all(rows)

    @on(Button.Pressed, "#contact-add")
    @on(Input.Submitted, "#contact-form Input")
    async def add_contact(self) -> None:
        fields = {name: self.query_one(f"#contact-{name}", Input)
                  for name in ("name", "how", "note")}
        name = fields["name"].value.strip()
        if not name:
            self.say(t("safety_plan.needs_name"))
            fields["name"].focus()
            return
        with self.vault.lock:
            self.vault.contacts.add(name, fields["how"].value.strip(),
                                    fields["note"].value.strip())
        for field in fields.values():
            field.value = ""
        fields["name"].focus()
        self.say(t("safety_plan.added", name=name))
        await self.show_contacts()

    @on(Button.Pressed, ".contact-remove")
    async def remove_contact(self, event: Button.Pressed) -> None:
        contact_id = int(str(event.button.id).rsplit("-", 1)[1])
        with self.vault.lock:
            self.vault.contacts.delete(contact_id)
        self.say(t("safety_plan.removed"))
        await self.show_contacts()
