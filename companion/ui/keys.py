"""Remappable keys: `[keys]` in config.toml maps binding ids to keys (Textual's keymap).

People who use a screen reader, another keyboard layout or a terminal that swallows F-keys
need other keys. Textual's keymap replaces a binding's keys by its id; what it does not
do is say when an id does not exist or when a new key is already taken on the same
screen, where one of the two would silently stop working. So the keymap is checked
against every binding of every screen first: an unknown id or a clash is one line in
the app, and only the remaps that are safe are applied.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding
from textual.dom import DOMNode


@dataclass(frozen=True)
class Bound:
    id: str
    keys: tuple[str, ...]
    description: str


def _keys(text: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in text.split(",") if k.strip())


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found += _subclasses(sub)
    return found


def _bindings_of(cls: type) -> list[Bound]:
    seen: list[Bound] = []
    for klass in reversed(cls.__mro__):
        for item in vars(klass).get("BINDINGS", []):
            binding = item if isinstance(item, Binding) else Binding(*item)
            seen.append(Bound(binding.id or "", _keys(binding.key),
                              binding.description or binding.action))
    return seen


def binding_table(app_class: type) -> dict[str, list[Bound]]:
    """Every screen and widget of the app with its bindings (the app's own apply on every
    screen, so they are listed with each). Imports all screens: run it off the UI thread."""
    import companion.ui.screens as screens
    import companion.ui.widgets as widgets

    for package in (screens, widgets):
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    app_bindings = _bindings_of(app_class)
    table = {"the app": app_bindings}
    for cls in _subclasses(DOMNode):
        if cls.__module__.startswith("companion.ui.") and vars(cls).get("BINDINGS"):
            table[cls.__name__] = app_bindings + _bindings_of(cls)
    return table


def check(keymap: dict[str, str], table: dict[str, list[Bound]]) -> tuple[dict[str, str],
                                                                          list[str]]:
    """The remaps that are safe to apply, and one sentence per problem."""
    known = {b.id: b for bindings in table.values() for b in bindings if b.id}
    problems = [f"config.toml [keys]: there is no key binding called {name!r}, so it was "
                "ignored; `companion keys` lists the names."
                for name in keymap if name not in known]
    safe = {name: keys for name, keys in keymap.items() if name in known}
    for name in sorted(safe):
        wanted = set(_keys(safe[name]))
        for where, bindings in table.items():
            if not any(b.id == name for b in bindings):
                continue
            taken = [b for b in bindings if b.id != name
                     and wanted & set(_keys(safe.get(b.id, ",".join(b.keys))))]
            if taken:
                other = taken[0]
                problems.append(
                    f"config.toml [keys]: {name} = {safe[name]!r} is already "
                    f"{other.description!r} ({other.id or 'built in'}) in {where}, so "
                    f"{name} keeps {', '.join(known[name].keys)}; choose another key.")
                safe.pop(name)
                break
    return safe, problems


def apply_keys(app: Any, keymap: dict[str, str]) -> None:
    """Check the person's keymap in a worker thread, then apply what is safe and say the
    rest in one line each."""
    if not keymap:
        return

    def work() -> None:
        safe, problems = check(keymap, binding_table(type(app)))

        def done() -> None:
            app.set_keymap(safe)
            for problem in problems:
                app.notify(problem, severity="warning", timeout=12)

        app.call_from_thread(done)

    app.run_worker(work, thread=True, group="keys", exit_on_error=False)
