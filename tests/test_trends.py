"""How I've been: the numbers and readings of companion.memory.trends on a real vault, and
`companion mood chart` run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from companion.memory import trends
from companion.memory.trends import trends as read_trends
from companion.vault import Vault
from companion.vault.connection import transaction
from tests.conftest import PASSPHRASE, run_cli

ZONE = timezone(timedelta(hours=2))
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=ZONE)
"""Monday 10 March 2025, noon, two hours east of UTC."""


@pytest.fixture
def vault(tmp_path: Path):
    opened = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    yield opened
    opened.close()


def stamp(days_ago: float, hour: int = 12) -> str:
    """A stored (UTC) timestamp `days_ago` local days before NOW, at a local hour."""
    local = NOW.replace(hour=hour) - timedelta(days=days_ago)
    return local.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def backdate(vault: Vault, table: str, item_id: int, when: str) -> None:
    with transaction(vault._conn):
        vault._conn.execute(f"UPDATE {table} SET created_at = ? WHERE id = ?", (when, item_id))


def mood(vault: Vault, score: int, days_ago: float, hour: int = 12) -> None:
    backdate(vault, "moods", vault.moods.add(score).id, stamp(days_ago, hour))


# mood -------------------------------------------------------------------------------------


def test_no_moods_is_a_sentence_not_a_blank(vault: Vault) -> None:
    found = read_trends(vault, NOW, 7)
    assert found.mood.points == ()
    assert found.mood.reading == "No moods recorded in the last 7 days."
    assert found.time.reading == "No time recorded here in the last 7 days."
    assert found.topics.reading == ("No memories or conversation summaries from the last "
                                    "7 days to find topics in.")


def test_the_mood_rises_day_by_day_averages_and_the_span_is_kept(vault: Vault) -> None:
    mood(vault, 5, 40)  # outside 30 days
    mood(vault, 1, 29)  # the first day of the span
    mood(vault, 3, 29)
    mood(vault, 1, 10)
    mood(vault, 4, 0)
    mood(vault, 4, 0, hour=8)
    found = read_trends(vault, NOW, 30).mood
    assert found.first == date(2025, 2, 9) and found.last == date(2025, 3, 10)
    assert [(p.day, p.score, p.count) for p in found.points] == [
        (date(2025, 2, 9), 2.0, 2), (date(2025, 2, 28), 1.0, 1), (date(2025, 3, 10), 4.0, 2)]
    assert found.entries == 5
    assert found.reading == ("Your mood rose from 2 to 4 over the last 30 days (lowest 1); "
                             "5 entries on 3 days.")
    # 90 days reaches the 5 of forty days ago: now the mood fell
    assert read_trends(vault, NOW, 90).mood.reading == (
        "Your mood fell from 5 to 4 over the last 90 days (lowest 1); 6 entries on 4 days.")
    assert read_trends(vault, NOW, 7).mood.reading == (
        "Your mood was 4 on Mon 10 Mar, the only day with a mood in the last 7 days; "
        "2 entries.")


def test_a_level_mood_and_half_points(vault: Vault) -> None:
    mood(vault, 3, 6)
    mood(vault, 4, 3)
    mood(vault, 5, 3)
    mood(vault, 3, 1)
    assert read_trends(vault, NOW, 7).mood.reading == (
        "Your mood was 3 at the start and the end of the last 7 days (highest 4.5); "
        "4 entries on 3 days.")


def test_days_are_the_person_s_local_days() -> None:
    from companion.domain import Mood

    # 23:30 UTC on 9 March is 01:30 on 10 March two hours east: today, not yesterday
    late = Mood(1, 2, "", "2025-03-09T23:30:00.000+00:00")
    found = trends.mood_trend([late], NOW, 1)
    assert [p.day for p in found.points] == [date(2025, 3, 10)]
    assert found.reading.endswith("in the last day; 1 entry.")
    with pytest.raises(ValueError):
        trends.span(NOW, 0)


# time spent -------------------------------------------------------------------------------


def test_time_per_day_every_day_of_the_span(vault: Vault) -> None:
    vault.usage.add("2025-03-10", 12 * 60)
    vault.usage.add("2025-03-08", 90 * 60)
    vault.usage.add("2025-02-20", 20 * 60)
    vault.usage.add("2025-01-01", 500 * 60)  # older than 30 days
    found = read_trends(vault, NOW, 30).time
    assert len(found.per_day) == 30
    assert found.per_day[0] == (date(2025, 2, 9), 0.0)
    assert found.per_day[-1] == (date(2025, 3, 10), 720.0)
    assert found.reading == ("You spent 2 hours 2 minutes here over the last 30 days, on "
                             "3 days; the most was 1 hour 30 minutes on Sat 08 Mar.")
    assert read_trends(vault, NOW, 90).time.reading.startswith(
        "You spent 10 hours 22 minutes here over the last 90 days, on 4 days; the most "
        "was 8 hours 20 minutes on Wed 01 Jan.")
    assert read_trends(vault, NOW, 1).time.reading == (
        "You spent 12 minutes here over the last day, on 1 day; the most was 12 minutes "
        "on Mon 10 Mar.")


def test_seconds_that_round_to_no_minute_are_said_as_such(vault: Vault) -> None:
    vault.usage.add("2025-03-10", 10)  # the bar shows them, so the words must not deny them
    assert read_trends(vault, NOW, 7).time.reading == (
        "Less than a minute here in the last 7 days.")


# topics -----------------------------------------------------------------------------------


def test_topics_are_counted_per_week_from_memories_and_summaries(vault: Vault) -> None:
    def memory(text: str, days_ago: float, status: str = "accepted") -> None:
        backdate(vault, "memories", vault.memories.add("fact", text, status=status).id,
                 stamp(days_ago))

    def summary(text: str, days_ago: float) -> None:
        conversation = vault.conversations.create()
        put = vault.summaries.put(conversation.id, text, 0)
        backdate(vault, "summaries", put.id, stamp(days_ago))

    memory("Work is heavy: work, work, WORK.", 1)  # one item, one mention
    memory("Their sister's visit went well.", 2)
    memory("Work deadlines again", 4)
    summary("The person talked about work and about sleep.", 9)
    summary("Sleep was short; the sister called.", 16)
    memory("Wants to change work", 3, status="proposed")  # not accepted: not counted
    memory("Work again", 60)  # outside 30 days
    found = read_trends(vault, NOW, 30).topics
    assert found.sources == 5
    assert found.top == (("work", 3), ("sister", 2), ("sleep", 2), ("called", 1),
                         ("deadlines", 1))
    assert [(w.first, w.last) for w in found.weeks] == [
        (date(2025, 2, 9), date(2025, 2, 10)), (date(2025, 2, 11), date(2025, 2, 17)),
        (date(2025, 2, 18), date(2025, 2, 24)), (date(2025, 2, 25), date(2025, 3, 3)),
        (date(2025, 3, 4), date(2025, 3, 10))]
    assert [w.counts.get("work", 0) for w in found.weeks] == [0, 0, 0, 1, 2]
    assert [w.counts.get("sleep", 0) for w in found.weeks] == [0, 0, 1, 1, 0]
    assert found.reading == ("What came up most in the last 30 days: work (3), sister (2), "
                             "sleep (2), called (1), deadlines (1); from 5 memories and "
                             "summaries; work most in the week from 04 Mar.")
    seven = read_trends(vault, NOW, 7).topics
    assert len(seven.weeks) == 1
    assert seven.reading == ("What came up most in the last 7 days: work (2), deadlines (1), "
                             "heavy (1), sister (1), visit (1); from 3 memories and summaries.")


def test_a_tie_between_weeks_names_no_week(vault: Vault) -> None:
    for days_ago in (1, 9):
        backdate(vault, "memories", vault.memories.add("fact", "garden").id, stamp(days_ago))
    assert read_trends(vault, NOW, 30).topics.reading == (
        "What came up most in the last 30 days: garden (2); from 2 memories and summaries.")


def test_filler_alone_is_nothing_that_stood_out(vault: Vault) -> None:
    vault.memories.add("fact", "They said that it was what they had.")
    found = read_trends(vault, datetime.now().astimezone(), 7).topics
    assert found.reading == "Nothing stood out in the 1 memory or summary from the last 7 days."


def test_words_skip_filler_short_words_and_possessives() -> None:
    assert trends.words("Mum\u2019s garden, mum's cat; the 2024 plans and THE Garden") == {
        "garden", "plans"}
    assert trends.spoken_duration(3600) == "1 hour" and trends.number(3.25) == "3.2"


# the command line -------------------------------------------------------------------------


def test_mood_chart_draws_the_line_and_says_it(home: Path, passphrase_file: Path) -> None:
    base = ("--home", home, "--passphrase-file", passphrase_file)
    assert run_cli(*base, "journal", "add", "a vault first").code == 0
    empty = run_cli(*base, "mood", "chart", "--days", "7")
    assert empty.code == 0, empty.err
    assert empty.out == "No moods recorded in the last 7 days.\n"
    assert run_cli(*base, "mood", "add", "2").code == 0
    assert run_cli(*base, "mood", "add", "5", "better").code == 0
    drawn = run_cli(*base, "mood", "chart")
    assert drawn.code == 0, drawn.err
    lines = drawn.out.splitlines()
    assert "\x1b[" not in drawn.out  # a pipe gets no colour codes
    assert "●" in drawn.out and lines[0].lstrip().startswith("┌")
    assert [line[0] for line in lines if line[:1].isdigit()] == ["5", "4", "3", "2", "1"]
    today = datetime.now().astimezone().date()
    assert lines[-1] == (f"Your mood was 3.5 on {today:%a %d %b}, the only day with a mood "
                         "in the last 30 days; 2 entries.")
    # `mood list --json` is as it was
    listed = run_cli(*base, "mood", "list", "--json")
    assert [(m["score"], m["note"]) for m in json.loads(listed.out)] == [(5, "better"), (2, "")]
    assert set(json.loads(listed.out)[0]) == {"id", "score", "note", "created_at",
                                              "conversation_id"}
    bad = run_cli(*base, "mood", "chart", "--days", "0")
    assert bad.code == 2 and "--days must be between 1 and 3650" in bad.err


def test_mood_chart_imports_no_textual(home: Path, passphrase_file: Path) -> None:
    assert run_cli("--home", home, "--passphrase-file", passphrase_file, "mood", "add",
                   "3").code == 0
    code = ("import sys\nfrom companion.cli import main\n"
            f"code = main(['--home', {str(home)!r}, '--passphrase-file', "
            f"{str(passphrase_file)!r}, 'mood', 'chart', '--days', '7'])\n"
            "print([m for m in ('textual', 'llama_cpp') if m in sys.modules], code, "
            "file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stderr.strip().splitlines()[-1] == "[] 0"
    assert "●" in out.stdout
