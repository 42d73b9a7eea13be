"""The companion's system text, kept stable so the KV cache and its character hold.

`system_prompt_for(settings, profile)` builds it from the chosen persona (a TOML file,
see `companion.care.personas`), the person's own extra words (`persona` in
config.toml), their preferred style, the reply language and what the person told
onboarding (name, country). Same inputs, same text: nothing that changes during a
session (time, memories) belongs here. Which choice wins where config.toml and the
vault profile differ is written in `companion.care.profile`.

Whatever persona speaks, the same safety core is part of the text: a persona shapes
the voice, never whether the companion stays with someone in danger.
"""

from __future__ import annotations

from typing import Any

from companion.care import personas as persona_files
from companion.care.profile import choices, read_profile
from companion.config import Settings
from companion.i18n import t

HERE = "You run only on this person's own computer."
ON_THEIR_SERVER = "You run on a machine of this person's own, not on anyone else's."
"""Said instead of HERE when the person's own server answers (`engine`): the local text,
and so every local pin's persona hash, stays as it was."""
SAFETY_CORE = (
    f"{HERE} You are not a therapist and you cannot "
    "diagnose; say so if asked. You can be wrong, and it is fine to say you are not sure. "
    "If the person may be in danger, stay with them, ask kindly and directly about their "
    "safety, and encourage them to reach a person they trust or a local crisis line."
)

DEFAULT_PERSONA = (
    "You are a warm, patient companion for journaling and emotional support. "
    "Listen first: reflect what you hear, keep replies short, and ask before giving "
    f"advice. {SAFETY_CORE}"
)
"""The voice used when no persona file can be read at all (kept for `system_prompt`)."""

LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", "English"),
    "es": ("Spanish", "español"),
    "pt": ("Portuguese", "português"),
    "fr": ("French", "français"),
    "de": ("German", "Deutsch"),
    "it": ("Italian", "italiano"),
    "nl": ("Dutch", "Nederlands"),
    "pl": ("Polish", "polski"),
    "tr": ("Turkish", "Türkçe"),
    "ru": ("Russian", "русский"),
    "uk": ("Ukrainian", "українська"),
    "ar": ("Arabic", "العربية"),
    "fa": ("Persian", "فارسی"),
    "he": ("Hebrew", "עברית"),
    "hi": ("Hindi", "हिन्दी"),
    "bn": ("Bengali", "বাংলা"),
    "ur": ("Urdu", "اردو"),
    "ta": ("Tamil", "தமிழ்"),
    "zh": ("Chinese", "中文"),
    "ja": ("Japanese", "日本語"),
    "ko": ("Korean", "한국어"),
    "vi": ("Vietnamese", "Tiếng Việt"),
    "id": ("Indonesian", "Bahasa Indonesia"),
    "tl": ("Filipino", "Filipino"),
    "sw": ("Swahili", "Kiswahili"),
    "yo": ("Yoruba", "Yorùbá"),
    "ha": ("Hausa", "Hausa"),
    "ig": ("Igbo", "Igbo"),
    "am": ("Amharic", "አማርኛ"),
}
"""ISO 639-1 codes → (English name, the language's own name)."""


def language_code(value: str) -> str:
    """"pt_BR", "pt-br", "PT" → "pt"."""
    return value.strip().replace("_", "-").split("-")[0].lower()


def language_name(value: str) -> str:
    """A language code as words a model understands: "es" → "Spanish (español)"."""
    code = language_code(value)
    if code not in LANGUAGES:
        return f"the language with the code {code!r}" if code else ""
    english, native = LANGUAGES[code]
    return english if english == native else f"{english} ({native})"


def language_instruction(value: str) -> str:
    if not language_code(value):
        return "Answer in the language the person writes in."
    name = language_name(value)
    return (f"Always answer in {name}, even when these instructions or quoted notes are "
            "in another language, unless the person asks for a different language.")


def _persona_text(persona: persona_files.Persona | None) -> list[str]:
    if persona is None:
        return [DEFAULT_PERSONA]
    parts = [persona.voice, f"How you listen: {persona.listens}"]
    if persona.avoids:
        parts.append(f"What you avoid: {persona.avoids}")
    if persona.repertoire:
        ways = "; ".join(persona.repertoire)
        parts.append("Ways of coping you may suggest, only when the person wants "
                     f"suggestions and when they fit: {ways}.")
    parts.append(SAFETY_CORE)
    return parts


def resolve_persona(settings: Settings, profile: dict[str, Any] | None = None,
                    known: persona_files.PersonaLoad | None = None,
                    ) -> tuple[persona_files.Persona | None, str | None]:
    """The persona that speaks, and a sentence when the chosen one is not there."""
    known = known if known is not None else persona_files.load_current()
    wanted = choices(settings, profile).persona
    found = known.get(wanted)
    if found is not None:
        return found, None
    fallback = known.get(persona_files.DEFAULT_PERSONA)
    return fallback, t("care_errors.no_persona", name=repr(wanted),
                        command=t("palette.persona"))


def system_prompt_for(settings: Settings, profile: dict[str, Any] | None = None, *,
                      known: persona_files.PersonaLoad | None = None) -> str:
    """The stable head of every prompt: persona, the person, style and reply language.

    `profile` is the vault's (see `profile_of`); `known` defaults to the built-in
    personas plus the person's own for the vault that is open.
    """
    chosen = choices(settings, profile)
    persona, _problem = resolve_persona(settings, profile, known)
    parts = _persona_text(persona)
    about = []
    if chosen.name:
        about.append(f"The person's name is {chosen.name}.")
    if chosen.country:
        about.append(f"They live in {chosen.country}; keep suggestions and any services "
                     "you mention fitting for where they live.")
    if about:
        parts.append(" ".join(about))
    if chosen.style:
        parts.append(f"How the person likes replies, in their words: {chosen.style}")
    extra = settings.persona.strip()
    if extra:
        parts.append(extra)
    language = chosen.language or (persona.language if persona is not None else "")
    parts.append(language_instruction(language))
    text = "\n\n".join(parts)
    return text.replace(HERE, ON_THEIR_SERVER) if settings.engine else text


def profile_of(vault: Any) -> dict[str, str]:
    """The vault's profile, for `system_prompt_for` (session, pin and `models try`)."""
    return read_profile(vault)


def system_text_of(settings: Settings, vault: Any) -> str:
    """The stable system text for this vault's person; the session speaks with it and
    the pin records its hash, so both must get it from here."""
    return system_prompt_for(settings, profile_of(vault))


def system_prompt(extra: str = "") -> str:
    """The default persona's text with extra words (no profile, no language choice)."""
    return system_prompt_for(Settings(persona=extra), known=persona_files.load_personas())
