"""The offline crisis scan: fixtures in nine languages, normalisation, the model check.

Run with `-s` to see the fixture figures (they go in the issue note).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.care import safety
from companion.care.safety import LexiconProblem, Signal, normalise, scan
from companion.care.second_opinion import SECOND_OPINION, refine

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).parent / "fixtures" / "crisis"
LANGUAGES = ("en", "es", "pt", "fr", "de", "hi", "ko", "zh", "ru")
MAX_BENIGN_RATE = 0.05
"""The issue's bar: every positive fires and no more than 5% of benign messages do."""


def fixtures(language: str) -> dict[str, list[str]]:
    return tomllib.loads((FIXTURES / f"{language}.toml").read_text(encoding="utf-8"))


def figures() -> dict[str, tuple[int, int, int, int]]:
    """language → (positives fired, positives, benign fired, benign)."""
    out = {}
    for language in LANGUAGES:
        found = fixtures(language)
        positive = [scan(t).fired for t in found["positive"]]
        benign = [scan(t).fired for t in found["benign"]]
        out[language] = (sum(positive), len(positive), sum(benign), len(benign))
    return out


def test_every_language_has_enough_fixtures() -> None:
    for language in LANGUAGES:
        found = fixtures(language)
        least = (20, 40) if language == "en" else (8, 15)
        assert len(found["positive"]) >= least[0], language
        assert len(found["benign"]) >= least[1], language
    hindi = " ".join(fixtures("hi")["positive"])
    assert any("\u0900" <= c <= "\u097f" for c in hindi)  # Devanagari
    assert any(c.isascii() and c.isalpha() for c in hindi)  # and Latin letters


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_positive_fires(language: str) -> None:
    missed = [text for text in fixtures(language)["positive"] if not scan(text).fired]
    assert not missed


@pytest.mark.parametrize("language", LANGUAGES)
def test_benign_messages_rarely_fire(language: str) -> None:
    benign = fixtures(language)["benign"]
    fired = [text for text in benign if scan(text).fired]
    assert len(fired) / len(benign) <= MAX_BENIGN_RATE, fired


def test_figures_overall() -> None:
    table = figures()
    print("\ncrisis scan fixtures: positives fired / total, benign fired / total")
    for language, (pos, pos_n, ben, ben_n) in table.items():
        print(f"  {language}: positives {pos}/{pos_n}, benign {ben}/{ben_n}")
    totals = [sum(row[i] for row in table.values()) for i in range(4)]
    print(f"  all: positives {totals[0]}/{totals[1]}, benign {totals[2]}/{totals[3]} "
          f"({100 * totals[2] / totals[3]:.1f}%)")
    assert totals[0] == totals[1]
    assert totals[2] / totals[3] <= MAX_BENIGN_RATE


# normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Ça VA très BIEN", "ca va tres bien"),
    ("I w4nt t0 d13!!!", "i want to die"),
    ("$u1c1d3", "suicide"),
    ("k i l l  m y s e l f", "kilmyself"),
    ("diiiiie", "die"),
    ("don't", "dont"),
    ("self-harm", "self harm"),
    ("I ran 5 kms", "i ran 5 kms"),  # numbers on their own are not leetspeak
    ("Ёлка, йога", "елка иога"),
    ("\uff2b\uff29\uff2c\uff2c", "kil"),  # full-width KILL
])
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_normalise_keeps_devanagari_hangul_and_han() -> None:
    assert normalise("मैं मरना चाहता हूँ") == "मैं मरना चाहता हूं"  # vowel signs kept
    assert normalise("ज़िंदगी") == normalise("जिंदगी")  # a nukta left out is the same word
    assert normalise("죽고 싶어") == "죽고 싶어"
    assert normalise("我想自殺。") == "我想自殺"


def test_the_scan_tells_levels_and_languages() -> None:
    assert scan("I want to kill myself").level == "likely"
    assert scan("kms").level == "possible"
    assert scan("quiero morir").languages == ("es",)
    assert scan("Good morning!") == safety.NOTHING
    for nothing in ("", "   ", "🙂🙂", "....", "12345"):
        assert not scan(nothing).fired


def test_matched_names_entries_never_the_persons_words() -> None:
    signal = scan("My secret name is Zanzibar and I want to die")
    assert signal.matched == ("en.want_to_die",)
    assert all("zanzibar" not in m.casefold() for m in signal.matched)


def test_a_benign_idiom_masks_only_the_words_it_covers() -> None:
    assert not scan("I could die of embarrassment").fired
    assert scan("I could die of embarrassment, and honestly I want to kill myself").fired
    assert not scan("Suicide Squad was fun").fired
    assert scan("Suicide Squad was fun but I think about suicide every day").fired


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_can_be_scanned(text: str) -> None:
    assert scan(text).level in safety.LEVELS


def test_a_long_message_is_scanned() -> None:
    text = "a calm day at the park. " * 2000 + "I want to die"
    assert scan(text).level == "likely"


# the lexicon ---------------------------------------------------------------------------


def test_the_lexicon_covers_the_languages_and_every_pattern_has_an_anchor() -> None:
    found = safety.lexicon()
    assert set(LANGUAGES) <= set(found.languages)
    for rule in found.rules + found.benign:
        assert rule.id.split(".")[0] == rule.language
        for _regex, anchors in rule.patterns:
            assert "" not in anchors, rule.id  # an anchorless pattern runs on every message


def test_a_bad_lexicon_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "xx.toml"
    bad.write_text('[[entry]]\nid = "xx.a"\nlevel = "maybe"\npatterns = ["x"]\n')
    with pytest.raises(LexiconProblem, match=r"xx\.toml"):
        safety.load_lexicon([bad])
    bad.write_text('[[entry]]\nid = "xx.a"\nkind = "intent"\nlevel = "likely"\n'
                   'patterns = ["{|}"]\n')
    with pytest.raises(LexiconProblem, match="no words"):
        safety.load_lexicon([bad])


def test_a_custom_lexicon_is_used(tmp_path: Path) -> None:
    words = tmp_path / "xx.toml"
    words.write_text('language = "xx"\n[[entry]]\nid = "xx.storm"\nkind = "coded"\n'
                     'level = "possible"\n'
                     'patterns = ["{big|huge} storm* ahead"]\n'
                     '[[benign]]\nid = "xx.film"\npatterns = ["storm ahead the film"]\n')
    lexicon = safety.load_lexicon([words])
    assert scan("a HUGE st0rmy ahead", lexicon).matched == ("xx.storm",)
    assert not scan("big storm ahead the film", lexicon).fired


def test_nothing_is_compiled_at_import() -> None:
    code = ("import companion.care.safety as s; import sys; "
            "print(s.lexicon.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "0"


# the optional model check -------------------------------------------------------------


def test_refine_asks_only_about_borderline_messages() -> None:
    asked: list[str] = []

    def yes(question: str) -> bool:
        asked.append(question)
        return True

    likely = scan("I want to end my life")
    assert refine(likely, "I want to end my life", yes) is likely
    assert refine(safety.NOTHING, "hello", yes) is safety.NOTHING
    assert not asked

    possible = scan("kms")
    assert refine(possible, "kms", None) is possible
    confirmed = refine(possible, "kms", yes)
    assert confirmed.level == "likely" and confirmed.checked
    assert confirmed.matched == (*possible.matched, SECOND_OPINION)  # the model raised it
    assert "kms" in asked[0] and "yes or no" in asked[0]

    # The check runs after the reply, so a "no" cannot take back support already shown,
    # and doubt falls on the side of showing it: no never lowers the signal.
    kept = refine(possible, "kms", lambda _q: False)
    assert kept.level == "possible" and kept.checked and kept.fired


def test_distress_without_crisis_words_is_asked_about_and_raised_by_a_yes() -> None:
    text = "I feel like I'm falling apart and I can't cope"
    distress = scan(text)
    assert distress.distress and not distress.fired  # the word list alone shows nothing
    assert refine(distress, text, lambda _q: False).level == "none"
    raised = refine(distress, text, lambda _q: True)
    assert raised.level == "possible" and raised.fired and raised.checked
    assert SECOND_OPINION in raised.matched


@pytest.mark.parametrize("text", [
    "no aguanto más", "je n'en peux plus", "ich kann nicht mehr", "non ce la faccio più",
    "não aguento mais", "я больше не могу", "我真的受不了了", "もう無理", "너무 외로워",
    "main toot gaya hu", "I had a panic attack at work", "I can't stop crying",
])
def test_distress_in_several_languages_never_fires_by_itself(text: str) -> None:
    signal = scan(text)
    assert signal.distress and signal.level == "none" and not signal.fired


@pytest.mark.parametrize("text", [
    "I am dying of laughter", "this traffic is killing me", "hello there",
    "we had a lovely day at the beach",
])
def test_ordinary_words_are_not_distress(text: str) -> None:
    assert not scan(text).distress


def test_a_failing_model_check_keeps_the_signal() -> None:
    def broken(_question: str) -> bool:
        raise RuntimeError("model went away")

    possible = scan("I just want to sleep forever")
    assert refine(possible, "I just want to sleep forever", broken) == possible
    assert Signal("possible").fired
