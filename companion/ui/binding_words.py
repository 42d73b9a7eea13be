"""Key hints in the person's language.

Textual reads a binding's description (the footer, the keys panel) from the `BINDINGS`
class constants, written in English when the code loads, before anyone has chosen a
language. Rather than translate constants (a screen imported before unlock would keep the
words of the moment it loaded), every screen of the app answers `active_bindings` with the
descriptions looked up by binding id at the time of asking (`keys.<id>` in the catalogue),
so a change of language reaches the footer at the next refresh. The English text in the
catalogue and the one in the code are the same words (tests/test_i18n_app.py checks each).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.binding import Binding

from companion import i18n

if TYPE_CHECKING:
    from textual.binding import ActiveBinding

BUILT_IN = {"quit": "quit", "command_palette": "command_palette"}
"""Textual's own bindings the footer can show, by action: their catalogue ids."""


def catalogue_id(binding: Binding) -> str | None:
    """The catalogue key of a binding's description, when it has one."""
    name = binding.id or BUILT_IN.get(binding.action)
    return f"keys.{name}" if name else None


def worded(binding: Binding) -> Binding:
    """The binding with its description in the current language (unchanged without a key)."""
    key = catalogue_id(binding)
    if key is None or not binding.description:
        return binding
    text = i18n.t(key)
    return binding if text in (key, binding.description) else replace(binding, description=text)


class Worded:
    """Mixed into every screen: its active bindings, described in the person's language."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        found: dict[str, ActiveBinding] = super().active_bindings  # type: ignore[misc]
        return {key: active._replace(binding=worded(active.binding))
                for key, active in found.items()}
