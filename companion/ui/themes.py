"""Looks as small TOML files turned into Textual themes.

Built-in themes ship with the package; the user's own live in the config folder's
themes/. A broken file is reported by name and skipped, so the app always starts.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App
from textual.theme import Theme

from companion.i18n import t

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_COLOR_KEYS = ("primary", "secondary", "accent", "foreground", "background", "surface",
               "panel", "boost", "success", "warning", "error")
DEFAULT_THEME = "calm-dark"


@dataclass(frozen=True)
class ThemeLoad:
    themes: list[Theme]
    problems: list[str]


def builtin_dir() -> Path:
    """Installed wheels carry themes/ inside the package; a source checkout has it at the root."""
    package = Path(__file__).resolve().parent.parent
    inside = package / "themes"
    return inside if inside.is_dir() else package.parent / "themes"


def _theme_from(path: Path) -> Theme:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    name = raw.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise ValueError("'name' must be a non-empty string")
    if "primary" not in raw:
        raise ValueError("'primary' colour is missing")
    allowed = set(_COLOR_KEYS) | {"name", "dark"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}")
    colors = {key: str(raw[key]) for key in _COLOR_KEYS if key in raw}
    theme = Theme(name=name.strip(), dark=bool(raw.get("dark", True)), **colors)
    theme.to_color_system()  # parses every colour now, so a bad one is caught here
    return theme


def load_themes(*folders: Path) -> ThemeLoad:
    themes: list[Theme] = []
    problems: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                themes.append(_theme_from(path))
            except Exception as exc:  # any defect in a theme file must not stop the app
                problems.append(t("themes.file_skipped", path=path, reason=exc))
    return ThemeLoad(themes, problems)


def apply_themes(app: App[Any], user_dir: Path, wanted: str) -> None:
    """Register the built-in and the person's themes and choose `wanted`; a broken file
    or an unknown name is a notification, never a failed start."""
    loaded = load_themes(builtin_dir(), user_dir)
    for theme in loaded.themes:
        app.register_theme(theme)
    for problem in loaded.problems:
        app.notify(problem, severity="warning", timeout=10)
    if wanted in app.available_themes:
        app.theme = wanted
    else:
        app.notify(t("themes.unknown", name=repr(wanted), default=DEFAULT_THEME),
                   severity="warning", timeout=10)
        app.theme = DEFAULT_THEME


__all__ = ["DEFAULT_THEME", "ThemeLoad", "apply_themes", "builtin_dir", "load_themes"]
