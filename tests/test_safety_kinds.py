"""The crisis lexicon by kind of signal, in every language (issue 12).

People rarely write "I am suicidal": they write that they are a burden, that there is no
point waking up, that they gave their things away, or ask how many pills would be too
many. So every language file covers every kind (`safety.KINDS`) and adding a language is
a checklist this file enforces. The tuning set (tests/fixtures/crisis/tuning.toml) is
what the lexicon is fitted to and must pass fully; the held-out set (heldout.toml) was
written by someone else before the lexicon and is never tuned to, so its test only holds
a floor a little below what was measured, to catch regressions. `bench/crisis.py` prints
both per language and per kind. Run with `-s` to see the held-out figures.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from companion.care import safety
from companion.care.safety import KINDS, LexiconProblem, scan

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).parent / "fixtures" / "crisis"
LANGUAGES = ("en", "es", "pt", "fr", "de", "hi", "ko", "zh", "ru", "it", "ja", "ar", "tr",
             "id", "tl", "sw", "pcm", "vi", "pl", "uk", "bn", "ur")
HELDOUT_RECALL_FLOOR = 0.88
"""Measured 169/182 (92.9%) when the lexicon was reorganised by kind; see the issue."""
HELDOUT_FALSE_ALARM_CEILING = 0.05
"""Measured 1/100 (1%); the issue's bar is 8%."""
FILES = sorted(safety.LEXICON_DIR.glob("*.toml"))


def cases(name: str) -> dict[str, dict[str, list[str]]]:
    return tomllib.loads((FIXTURES / f"{name}.toml").read_text(encoding="utf-8"))


# the checklist --------------------------------------------------------------------------


def test_there_are_the_twenty_two_languages() -> None:
    assert set(LANGUAGES) <= {file.stem for file in FILES}
    assert set(LANGUAGES) <= set(safety.lexicon().languages)


@pytest.mark.parametrize("file", FILES, ids=lambda file: file.stem)
def test_every_language_file_loads_and_covers_every_kind(file: Path) -> None:
    words = safety.load_lexicon([file])
    assert words.languages == (file.stem,)
    assert {rule.kind for rule in words.rules} == set(KINDS), file.name
    assert words.benign, f"{file.name} has no benign idioms"
    for rule in words.rules + words.benign:
        assert rule.id.startswith(f"{file.stem}."), rule.id


def test_every_pattern_compiles_and_has_an_anchor() -> None:
    """Regexes are compiled on first use, so a broken one would only show in a scan."""
    found = safety.lexicon()
    for rule in found.rules + found.benign:
        for sources, anchors in rule.patterns:
            assert "" not in anchors, rule.id  # an anchorless pattern runs on every message
            for source in sources:
                assert isinstance(re.compile(source), re.Pattern)


def test_both_sets_cover_every_language_and_kind() -> None:
    tuning, heldout = cases("tuning"), cases("heldout")
    assert set(LANGUAGES) <= set(tuning) and set(LANGUAGES) <= set(heldout)
    for language in LANGUAGES:
        assert set(KINDS) | {"benign"} == set(tuning[language]), language
        assert set(KINDS) | {"benign"} == set(heldout[language]), language
    tuning_texts = {t for kinds in tuning.values() for texts in kinds.values() for t in texts}
    heldout_texts = {t for kinds in heldout.values() for texts in kinds.values() for t in texts}
    assert not tuning_texts & heldout_texts  # nothing is in both


# the sets -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_tuning_set_passes_fully(language: str) -> None:
    wrong = [(kind, text) for kind, texts in cases("tuning")[language].items()
             for text in texts if scan(text).fired != (kind != "benign")]
    assert not wrong


def test_the_heldout_set_stays_above_its_floor() -> None:
    risk = alarms = benign = found = 0
    for language, kinds in cases("heldout").items():
        for kind, texts in kinds.items():
            fired = sum(scan(text).fired for text in texts)
            if kind == "benign":
                alarms, benign = alarms + fired, benign + len(texts)
            else:
                found, risk = found + fired, risk + len(texts)
        assert language in LANGUAGES
    print(f"\nheld-out: {found}/{risk} risk messages fired, {alarms}/{benign} benign did")
    assert found / risk >= HELDOUT_RECALL_FLOOR
    assert alarms / benign <= HELDOUT_FALSE_ALARM_CEILING


@pytest.mark.parametrize(("text", "language"), [
    ("mujhe ab jeena nahi hai", "hi"),  # Hindi in Latin letters
    ("main khudkashi kar loon ga", "ur"),  # Urdu in Latin letters
    ("bidi moot", "ar"),  # the Arabic chat alphabet
    ("أريـــد أن أمـوت", "ar"),  # tatweel and hamza seats
    ("minh muon chet", "vi"),  # Vietnamese typed without its marks
    ("Olmek istiyorum", "tr"),  # Turkish without its letters
    ("nitajiua", "sw"),  # a Swahili verb with its prefixes
    ("magpapakamatay ako", "tl"),
])
def test_spellings_people_type(text: str, language: str) -> None:
    assert language in scan(text).languages


# pattern syntax -------------------------------------------------------------------------


def write(tmp_path: Path, patterns: list[str]) -> safety.Lexicon:
    lines = ", ".join(f'"{p}"' for p in patterns)
    file = tmp_path / "xx.toml"
    file.write_text(f'[[entry]]\nid = "xx.a"\nkind = "coded"\nlevel = "possible"\n'
                    f"patterns = [{lines}]\n", encoding="utf-8")
    return safety.load_lexicon([file])


def test_a_word_glued_to_a_group_and_a_short_gap(tmp_path: Path) -> None:
    words = write(tmp_path, ["짐{이야|일 뿐}", "没有我 ~ 更好"])
    assert scan("나는 짐일 뿐이야", words).fired
    assert scan("没有我他们会更好", words).fired
    assert not scan("没有我的帮助。他们也做得不错。更好的是", words).fired  # another clause


def test_a_word_ending_and_both_parts_near(tmp_path: Path) -> None:
    words = write(tmp_path, ["*jiua", "how high && fatal"])
    assert scan("nitajiua", words).fired and not scan("jiuana", words).fired
    assert scan("how high is it to be fatal", words).fired
    far = "how high is the tower? " + "we walked around the park for hours. " * 4 + "fatal"
    assert not scan(far, words).fired


def test_a_broken_group_is_named(tmp_path: Path) -> None:
    for bad in ("{a|b", "a|b", "a}"):
        with pytest.raises(LexiconProblem, match="brace"):
            write(tmp_path, [bad])
    with pytest.raises(LexiconProblem, match="kind"):
        (tmp_path / "yy.toml").write_text('[[entry]]\nid = "yy.a"\nlevel = "likely"\n'
                                          'patterns = ["x"]\n', encoding="utf-8")
        safety.load_lexicon([tmp_path / "yy.toml"])
