"""Personas as TOML files, the profile's precedence, and the stable system text."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion import paths
from companion.care import personas
from companion.care.persona import (
    SAFETY_CORE,
    language_name,
    profile_of,
    system_prompt,
    system_prompt_for,
)
from companion.care.profile import (
    ONBOARDING_KEY,
    choices,
    needs_onboarding,
    read_profile,
    save_profile,
)
from companion.config import Settings
from companion.conversation import pinned_model
from companion.conversation import unlock as startup
from companion.conversation.session import Session
from companion.domain import SamplingParams
from companion.models import pinning
from companion.models.pin import text_hash
from tests.conftest import PASSPHRASE

MINE = """\
name = "abuela"
title = "Like my grandmother"
voice = "You are warm and wise, like a grandmother who has seen a lot."
listens = "You listen without hurrying, and you tell small stories when they help."
avoids = "Modern jargon."
language = "es"
repertoire = ["una oración", "un té con la familia"]
"""


@pytest.fixture(autouse=True)
def _no_user_folder():
    """The module remembers the open vault's config folder; start and end each test clean."""
    personas.use_config_folder(None)
    yield
    personas.use_config_folder(None)


def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "config" / "personas"
    folder.mkdir(parents=True)
    return folder


# the files --------------------------------------------------------------------------


def test_builtin_personas_load() -> None:
    known = personas.load_personas()
    assert known.problems == ()
    assert {"companion", "faith", "family", "plain"} <= set(known.names())
    for persona in known.personas.values():
        assert persona.builtin and persona.voice and persona.listens
    assert any("prayer" in item for item in known.get("faith").repertoire)
    assert "therapy" in known.get("plain").avoids.lower()
    assert "family" in known.get("family").voice.lower()


def test_a_user_persona_loads_beside_the_builtin_ones(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    (folder / "abuela.toml").write_text(MINE, encoding="utf-8")
    known = personas.load_personas(folder)
    mine = known.get("abuela")
    assert mine is not None and not mine.builtin and mine.source == str(folder / "abuela.toml")
    assert mine.language == "es"
    assert mine.repertoire == ("una oración", "un té con la familia")
    assert known.get("companion").builtin


@pytest.mark.parametrize(("text", "key", "line", "words"), [
    ('name = "x"\nvoice = "v"\nlistens = "l"\nrepertoir = ["a"]\n', "repertoir", 4,
     "did you mean 'repertoire'"),
    ('name = "x"\nvoice = 3\nlistens = "l"\n', "voice", 2, "must be text"),
    ('name = "x"\nvoice = "v"\nlistens = "l"\nrepertoire = "pray"\n', "repertoire", 4,
     "must be a list"),
    ('name = "x"\nvoice = "v"\n\nlistens = "l"\nlanguage = "Spanish"\n', "language", 5,
     "not a language code"),
    ('name = "Not OK!"\nvoice = "v"\nlistens = "l"\n', "name", 1, "lowercase"),
    ('name = "x"\nvoice = "v"\nlistens = "   "\n', "listens", 3, "must not be empty"),
    ('name = "x"\nvoice = "v"\n', "listens", None, "missing"),
    ('name = "x"\nvoice = "v\nlistens = "l"\n', None, 2, "not valid TOML"),
])
def test_a_bad_user_persona_is_named_by_file_line_and_key(tmp_path: Path, text: str,
                                                          key: str | None, line: int | None,
                                                          words: str) -> None:
    folder = user_folder(tmp_path)
    bad = folder / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    (folder / "abuela.toml").write_text(MINE, encoding="utf-8")
    known = personas.load_personas(folder)  # never raises for a file of the person's own
    assert known.get("abuela") is not None  # the good one is still there
    assert len(known.problems) == 1
    problem = known.problems[0]
    assert str(bad) in problem and words in problem
    if key is not None:
        assert repr(key) in problem
    if line is not None:
        assert f"line {line}:" in problem
    with pytest.raises(personas.PersonaError) as raised:
        personas.load_file(bad)
    assert str(raised.value) in problem


def test_a_user_persona_may_not_take_a_builtin_name(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    (folder / "mine.toml").write_text('\nname = "faith"\nvoice = "v"\nlistens = "l"\n')
    known = personas.load_personas(folder)
    assert known.get("faith").builtin
    assert len(known.problems) == 1
    assert "mine.toml, line 2" in known.problems[0] and "'name'" in known.problems[0]


def test_saving_a_persona_writes_a_file_that_reads_back(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "personas"
    fields = {"name": "Mine", "title": "Mine", "voice": 'Say "hi"\\ and\x7fthen',
              "listens": "Slowly.\nKindly.", "avoids": "", "language": "PT",
              "repertoire": "prayer\n\n a walk \nprayer\n"}
    saved = personas.save_user_persona(folder, fields)
    path = folder / "mine.toml"
    assert saved.source == str(path) and path.stat().st_mode & 0o777 == 0o600
    again = personas.load_file(path)
    assert again == saved
    assert again.voice == 'Say "hi"\\ and\x7fthen' and again.language == "pt"
    assert again.repertoire == ("prayer", "a walk")

    with pytest.raises(personas.PersonaError, match="'name' 'plain' is already a built-in"):
        personas.save_user_persona(folder, {**fields, "name": "plain"})
    with pytest.raises(personas.PersonaError, match="'voice' must not be empty"):
        personas.save_user_persona(folder, {**fields, "voice": "  "})
    assert sorted(p.name for p in folder.iterdir()) == ["mine.toml"]


# the system text ----------------------------------------------------------------------


def test_system_text_has_persona_person_style_and_language_and_is_stable() -> None:
    settings = Settings(persona_name="faith", language="es", style="short and gentle",
                        persona="Call me by my nickname.")
    profile = {"name": "Ada", "country": "ng"}
    text = system_prompt_for(settings, profile)
    assert text == system_prompt_for(settings, dict(profile))  # same inputs, same text
    faith = personas.load_personas().get("faith")
    for part in (faith.voice, faith.listens, faith.avoids, "prayer", SAFETY_CORE, "Ada",
                 "NG", "short and gentle", "Call me by my nickname."):
        assert part in text
    assert "Always answer in Spanish (español)" in text
    assert text.rstrip().endswith("unless the person asks for a different language.")

    plain = system_prompt_for(Settings(persona_name="plain"))
    assert personas.load_personas().get("plain").voice in plain
    assert faith.voice not in plain and "Ada" not in plain
    assert "Answer in the language the person writes in." in plain
    assert SAFETY_CORE in plain  # every persona keeps the safety core


@pytest.mark.parametrize(("code", "name"), [
    ("en", "English"), ("es", "Spanish (español)"), ("pt_BR", "Portuguese (português)"),
    ("fr", "French (français)"), ("de", "German (Deutsch)"), ("hi", "Hindi (हिन्दी)"),
    ("ko", "Korean (한국어)"), ("zh-Hans", "Chinese (中文)"), ("ru", "Russian (русский)"),
])
def test_language_codes_become_names(code: str, name: str) -> None:
    assert language_name(code) == name
    assert f"Always answer in {name}," in system_prompt_for(Settings(language=code))


def test_precedence_settings_then_profile_then_persona(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    (folder / "abuela.toml").write_text(MINE, encoding="utf-8")
    personas.use_config_folder(tmp_path / "config")
    profile = {"language": "fr", "country": "BR", "style": "direct", "persona": "abuela"}

    # the profile decides what config.toml leaves unset
    mine = choices(Settings(), profile)
    assert (mine.language, mine.country, mine.style, mine.persona) == ("fr", "BR", "direct",
                                                                        "abuela")
    assert mine.from_settings == ()
    text = system_prompt_for(Settings(), profile)
    assert "You are warm and wise" in text and "Always answer in French" in text

    # config.toml wins where it is set
    settings = Settings(language="de", country="PT", style="gentle", persona_name="plain")
    theirs = choices(settings, profile)
    assert (theirs.language, theirs.country, theirs.style, theirs.persona) == (
        "de", "PT", "gentle", "plain")
    assert set(theirs.from_settings) == {"language", "country", "style", "persona"}
    assert "Always answer in German" in system_prompt_for(settings, profile)

    # the persona's own language is used only when nobody chose one
    assert "Always answer in Spanish" in system_prompt_for(Settings(), {"persona": "abuela"})


def test_an_unknown_persona_falls_back_to_the_default() -> None:
    text = system_prompt_for(Settings(persona_name="nobody"))
    assert text == system_prompt_for(Settings())
    assert text == system_prompt()
    assert personas.load_personas().get("companion").voice in text


# the vault profile, the session and the pin ------------------------------------------


def test_profile_in_the_vault_reaches_session_and_pin(home: Path, tiny_model: Path) -> None:
    where = paths.resolve(home)
    vault = startup.create_vault(where, PASSPHRASE)
    try:
        assert needs_onboarding(vault) and read_profile(vault) == {}
        save_profile(vault, {"name": " Ada\nLovelace ", "language": "KO", "country": "kr",
                             "unknown": "dropped"}, onboarding="done")
        assert not needs_onboarding(vault) and vault.state.get(ONBOARDING_KEY) == "done"
        assert read_profile(vault) == {"name": "Ada Lovelace", "language": "ko",
                                       "country": "KR"}
        settings = Settings(model=str(tiny_model), sampling=SamplingParams(max_tokens=8))
        session = Session(vault, settings)
        system = session._system
        assert "Ada Lovelace" in system and "Always answer in Korean (한국어)" in system
        assert system == system_prompt_for(settings, profile_of(vault))

        loaded = pinned_model.load(where, vault, settings)
        assert loaded.pin.persona_sha256 == text_hash(system)
        assert not any("persona" in n for n in loaded.notices)
        pinning.close_engine(loaded.engine)

        # a different persona moves the system text, and the pin notices
        save_profile(vault, {**read_profile(vault), "persona": "plain"})
        loaded = pinned_model.load(where, vault, settings)
        assert any("persona text has changed" in n for n in loaded.notices)
        pinning.close_engine(loaded.engine)
    finally:
        vault.close()


def test_the_vault_that_is_opened_brings_its_own_personas(home: Path, tmp_path: Path) -> None:
    where = paths.resolve(home)
    user = personas.user_dir(where.config)
    user.mkdir(parents=True)
    (user / "abuela.toml").write_text(MINE, encoding="utf-8")
    assert "You are warm and wise" not in system_prompt_for(Settings(persona_name="abuela"))
    startup.create_vault(where, PASSPHRASE).close()
    assert personas.current_user_dir() == user
    assert "You are warm and wise" in system_prompt_for(Settings(persona_name="abuela"))


def test_cli_lists_personas_and_names_a_bad_file(home: Path) -> None:
    import json

    from tests.conftest import run_cli

    user = personas.user_dir(paths.resolve(home).config)
    user.mkdir(parents=True)
    (user / "abuela.toml").write_text(MINE, encoding="utf-8")
    (user / "bad.toml").write_text('name = "bad"\nvoice = "v"\nlistens = "l"\nmood = "x"\n')
    listed = run_cli("--home", home, "personas", "list", "--json")
    assert listed.code == 0, listed.err
    data = json.loads(listed.out)
    names = [p["name"] for p in data["personas"]]
    assert {"companion", "faith", "family", "plain", "abuela"} <= set(names)
    assert "bad" not in names
    assert str(user / "bad.toml") in listed.err and "line 4" in listed.err
    assert "'mood'" in listed.err
    text = run_cli("--home", home, "personas", "list")
    assert text.code == 0 and "abuela" in text.out and "Faith-inclusive" in text.out


def test_with_the_person_s_own_server_the_persona_does_not_say_it_runs_here() -> None:
    from companion.care.persona import HERE, ON_THEIR_SERVER, system_prompt_for

    local = system_prompt_for(Settings())
    served = system_prompt_for(Settings(engine="http://127.0.0.1:8080"))
    assert HERE in local and ON_THEIR_SERVER not in local  # every local pin's hash as before
    assert ON_THEIR_SERVER in served and HERE not in served
    assert served.replace(ON_THEIR_SERVER, HERE) == local
