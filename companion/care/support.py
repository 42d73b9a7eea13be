"""What the support panel shows when a message shows signs of crisis.

The person's own safety plan and trusted contacts come first (they chose them, in a
calmer moment), then crisis lines for their country. A crisis line is only ever shown
with the page that confirms it and the date that page was checked: a wrong number in a
crisis is worse than none, so the file refuses lines without a source. Where no line is
known the panel says so plainly, gives the local emergency number if known, and
explains how the person can add a line they trust.

No Textual here: the TUI draws `SupportPanel`, `companion say --json` prints
`as_dict()` under `support`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from companion.care.lines import (
    LINES_FILE,
    USER_LINES_NAME,
    CrisisLine,
    Directory,
    Emergency,
    LinesProblem,
    builtin_directory,
    directory,
    parse_line,
    read_directory,
    user_lines_file,
)
from companion.i18n import t
from companion.vault.care import SAFETY_PLAN_SECTIONS

if TYPE_CHECKING:
    from companion.config import Settings
    from companion.vault import Vault

SECTION_TITLES: dict[str, tuple[str, str]] = {
    "warning_signs": ("Warning signs",
                      "Thoughts, moods or situations that tell me a crisis may be coming"),
    "things_that_help": ("Things I can do on my own",
                         "What takes my mind off things, without anyone else"),
    "people_and_places": ("People and places",
                          "People and places that help me feel better or distracted"),
    "professionals": ("Professionals I can contact",
                      "My doctor, therapist or a service, with how to reach them"),
    "making_safe": ("Making my surroundings safe",
                    "What I can put away or ask someone to keep for now"),
    "reasons_for_living": ("My reasons for living", "What matters most to me"),
}
"""Titles and hints of the six Stanley-Brown safety plan sections, in their order, in
English (`--json` output); `section_words` gives them in the person's language."""


__all__ = [  # the crisis-lines names are re-exported: callers need only this module
    "LINES_FILE", "SECTION_TITLES", "USER_LINES_NAME",
    "CrisisLine", "Directory", "Emergency", "LinesProblem", "PlanSection", "SupportPanel",
    "TrustedContact", "builtin_directory", "directory", "emergency_text", "line_text",
    "panel", "parse_line", "read_directory", "section_words", "user_lines_file",
]


def section_words(key: str) -> tuple[str, str]:
    """A safety plan section's title and hint in the person's language (care.plan_<key>,
    care.plan_<key>_hint), read when shown: the language is chosen after import."""
    return t(f"care.plan_{key}"), t(f"care.plan_{key}_hint")


# the panel ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSection:
    key: str
    title: str
    hint: str
    content: str

    @property
    def empty(self) -> bool:
        return not self.content.strip()


@dataclass(frozen=True)
class TrustedContact:
    name: str
    how: str
    note: str


@dataclass(frozen=True)
class SupportPanel:
    """Everything the support panel shows, in the order it is shown."""

    country: str
    plan: tuple[PlanSection, ...]
    contacts: tuple[TrustedContact, ...]
    lines: tuple[CrisisLine, ...]
    emergency: Emergency | None
    notice: str
    """Said when no line can be shown: why, and how to add one."""
    problems: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data for `companion say --json` (the `support` key)."""
        return {
            "country": self.country,
            "safety_plan": [{"section": s.key, "title": SECTION_TITLES[s.key][0],
                             "text": s.content,
                             "empty": s.empty} for s in self.plan],
            "contacts": [asdict(c) for c in self.contacts],
            "crisis_lines": [{**asdict(line), "languages": list(line.languages)}
                             for line in self.lines],
            "emergency": asdict(self.emergency) if self.emergency else None,
            "notice": self.notice,
            "problems": list(self.problems),
        }

    def as_text(self) -> str:
        """The panel as plain text, for a terminal or the TUI, in the person's language."""
        out = [t("support.plan")]
        for section in self.plan:
            out.append(f"  {section.title}: {section.content.strip() or t('care.plan_empty')}")
        out.append(t("support.contacts"))
        out += [f"  {c.name}" + (f" - {c.how}" if c.how else "") for c in self.contacts]
        if not self.contacts:
            out.append("  " + t("care.no_contacts"))
        out.append(t("support.lines"))
        out += [f"  {line_text(line)}" for line in self.lines]
        if self.notice:
            out.append(f"  {self.notice}")
        if self.emergency:
            out.append(emergency_text(self.emergency))
        return "\n".join(out)


def emergency_text(emergency: Emergency) -> str:
    return t("care.emergency", number=emergency.number) + (
        f" {emergency.note}" if emergency.note else "")


def line_text(line: CrisisLine) -> str:
    """One line with its hours, languages and where it was checked, on one line."""
    how = " · ".join(part for part in (line.number and t("care.call", number=line.number),
                                       line.text, line.online) if part)
    extra = " · ".join(part for part in (line.hours, ", ".join(line.languages), line.note)
                       if part)
    mine = t("care.added_by_you") if line.origin == "your file" else ""
    return (f"{line.name}: {how}" + (f" ({extra})" if extra else "")
            + " - " + t("care.checked", source=line.source, verified=line.verified) + mine)


def _notice(country: str, user_file: Path | None) -> str:
    where = str(user_file) if user_file else t("care.in_config", name=USER_LINES_NAME)
    first = t("care.no_country") if not country else t("care.no_line", country=country)
    return first + " " + t("care.add_line", file=where)


def panel(vault: Vault, settings: Settings, user_file: Path | None = None) -> SupportPanel:
    """What the support panel shows now: the person's plan and contacts from the vault,
    lines for `settings.country` (from the built-in file and `user_file`)."""
    with vault.lock:
        plan = vault.safety_plan.get()
        contacts = vault.contacts.list()
    from companion.care.countries import country_code
    from companion.care.profile import choices, read_profile

    with vault.lock:  # a country given at onboarding counts; config.toml wins if set
        country = country_code(choices(settings, read_profile(vault)).country or "")
    found = directory(user_file)
    lines = found.for_country(country) if country else ()
    return SupportPanel(
        country=country,
        plan=tuple(PlanSection(key, *section_words(key), plan.get(key, ""))
                   for key in SAFETY_PLAN_SECTIONS),
        contacts=tuple(TrustedContact(c.name, c.how, c.note) for c in contacts),
        lines=lines,
        emergency=found.emergency.get(country) if country else None,
        notice="" if lines else _notice(country, user_file),
        problems=found.problems,
    )
