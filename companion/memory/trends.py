"""How I've been: moods, time spent and topics over the last 7, 30 or 90 days, each
with one sentence that says in words what its picture shows.

Pure data: no Textual, no plotting library, no model. The screen (`ui/screens/trends.py`)
and `companion mood chart` draw from these numbers, and both show the same sentence (the
`reading`), because a screen reader cannot read a line chart and some people simply
prefer words; the sentence is the picture's equal, not its caption. The empty case is a
sentence too ("No moods recorded in the last 7 days."), never a blank chart.

Days are the person's local days (the zone of `now`), as the time-spent records are.
Usage is read through the vault (`vault.usage`), never through `care.boundaries`: care
and memory are sibling layers.

Topics are a plain keyword count per week over accepted memories and conversation
summaries, not a model's reading, on purpose: a count can be checked against the words
it came from ("sleep: 4" means four items say "sleep"), it is the same every time, costs
nothing, works with no model loaded, and never invents a theme the person did not
bring; asking a model would also hand the person's words to it once more for a picture.
Its limits are those of counting: English filler words are dropped, other languages'
are not, and scripts written without spaces count whole phrases.

The readings are in the person's language (`[trends]` in the i18n catalogues), built when
the trends are read, not at import. Counted words ("2 entries") take the plural form the
language needs: one key per form (`_one`, `_few`, `_many`), chosen by `i18n.plural_form`, since
Russian has three and a sentence cannot always be rephrased around them. Dates use the
catalogue's day and month names, not the C locale's, and numbers stay plain numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from companion import i18n
from companion.i18n import t

if TYPE_CHECKING:
    from companion.domain import Mood
    from companion.vault import Vault

RANGES = (7, 30, 90)
"""The spans the screen offers, in days."""
TOP_TOPICS = 5
MAX_WORD = 24
"""Longer "words" are runs of a script written without spaces, or noise: not topics."""

_FILLER = """
about above after again against also although always among another anything around
because been before being below between both came cannot come comes could didn does
doing done down during each either else even ever every felt feel feels feeling from
further going gone have having here hers herself himself into itself just keep kept know
knows like made make makes many maybe more most much must myself never next often only
other others ought ourselves over quite rather really said same says seem seems should
since some something sometimes still such take takes talk talked talking tell than that
their theirs them themselves then there these they thing things think this those though
through time times today together told under until upon very want wanted wants well
went were what whatever when where whether which while whom whose will with within
without would year years yesterday your yours yourself yourselves
person person's user companion conversation conversations said asked shared mentioned
discussed summary summarised summarized prefers likes
"""
STOPWORDS = frozenset(_FILLER.split())
"""Filler words that would top every count; plus the words summaries are made of."""

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


@dataclass(frozen=True)
class MoodDay:
    day: date
    score: float
    """The average of the day's moods (1 to 5)."""
    count: int


@dataclass(frozen=True)
class MoodTrend:
    days: int
    first: date
    last: date
    points: tuple[MoodDay, ...]
    """Only the days with a mood, oldest first: a missing day is not a middling one."""
    entries: int
    reading: str


@dataclass(frozen=True)
class TimeTrend:
    days: int
    per_day: tuple[tuple[date, float], ...]
    """Every day of the span, oldest first, today last; seconds (0 for a day away)."""
    reading: str


@dataclass(frozen=True)
class TopicWeek:
    first: date
    last: date
    counts: dict[str, int]
    """Word → how many memories or summaries of this week mention it."""


@dataclass(frozen=True)
class TopicTrend:
    days: int
    weeks: tuple[TopicWeek, ...]
    """Seven-day stretches ending today, oldest first; the oldest may be shorter."""
    top: tuple[tuple[str, int], ...]
    """The most mentioned words over the whole span, most first."""
    sources: int
    reading: str


@dataclass(frozen=True)
class Trends:
    days: int
    mood: MoodTrend
    time: TimeTrend
    topics: TopicTrend


# shared small steps ---------------------------------------------------------------------


def span(now: datetime, days: int) -> tuple[date, date]:
    """The first and last local day of the last `days` days, today included."""
    if days < 1:
        raise ValueError("days must be 1 or more")
    today = _aware(now).date()
    return today - timedelta(days=days - 1), today


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.astimezone()


def local_day(stamp: str, now: datetime) -> date:
    """The local day (in `now`'s zone) of a stored UTC timestamp."""
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:  # stored stamps carry +00:00; be safe with older ones
        moment = moment.replace(tzinfo=datetime.now().astimezone().tzinfo)
    tz = _aware(now).tzinfo
    return moment.astimezone(tz).date()


def counted(noun: str, count: int) -> str:
    """"2 entries": `trends.<noun>_<form>` with the count in it."""
    return t(f"trends.{noun}_{i18n.plural_form(count)}", count=count)


def last_days(days: int) -> str:
    """The span as the readings name it; in English "the last 7 days" (the sentence adds
    "in" or "over"), in other languages the whole phrase with its preposition."""
    if days == 1:
        return t("trends.span_single")
    return t(f"trends.span_{i18n.plural_form(days)}", days=days)


def number(value: float) -> str:
    """3, 3.5: a mood as a person writes it (one decimal at most)."""
    return f"{round(value, 1):g}"


def spoken_duration(seconds: float) -> str:
    """45 minutes, 1 hour 30 minutes. The same words as `care.boundaries.duration`, which
    this layer may not import (care and memory are siblings)."""
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    parts = [counted("hours", hours)] if hours else []
    if rest or not hours:
        parts.append(counted("minutes", rest))
    return " ".join(parts)


def _names(key: str, index: int) -> str:
    return t(key).split()[index]


def day_name(day: date) -> str:
    """Mon 10 Mar, in the catalogue's words and order (not the C locale's)."""
    return t("trends.date_day", weekday=_names("trends.weekdays", day.weekday()),
             day=day.day, month=_names("trends.months", day.month - 1))


def short_date(day: date) -> str:
    """10 Mar: the axes, the topic weeks and the week a topic came up most."""
    return t("trends.date_short", day=day.day, month=_names("trends.months", day.month - 1))


# mood -------------------------------------------------------------------------------------


def mood_trend(moods: Iterable[Mood], now: datetime, days: int) -> MoodTrend:
    """The day-by-day average mood over the span, and its reading."""
    first, last = span(now, days)
    by_day: dict[date, list[int]] = {}
    for mood in moods:
        day = local_day(mood.created_at, now)
        if first <= day <= last:
            by_day.setdefault(day, []).append(mood.score)
    points = tuple(MoodDay(day, sum(s) / len(s), len(s)) for day, s in sorted(by_day.items()))
    entries = sum(p.count for p in points)
    return MoodTrend(days, first, last, points, entries, mood_reading(points, days))


def mood_reading(points: tuple[MoodDay, ...], days: int) -> str:
    """One sentence: where the mood started and ended, its lowest and highest if they lie
    outside those two, and how many moods it rests on."""
    span_words = last_days(days)
    if not points:
        return t("trends.mood_none", span=span_words)
    entries = counted("entries", sum(p.count for p in points))
    start, end = points[0].score, points[-1].score
    if len(points) == 1:
        return t("trends.mood_single", score=number(start), day=day_name(points[0].day),
                 span=span_words, entries=entries)
    way = ("rose" if round(end, 1) > round(start, 1)
           else "fell" if round(end, 1) < round(start, 1) else "same")
    said = t(f"trends.mood_{way}", start=number(start), end=number(end), span=span_words)
    scores = [p.score for p in points]
    extremes = []
    if round(min(scores), 1) < round(min(start, end), 1):
        extremes.append(t("trends.lowest", score=number(min(scores))))
    if round(max(scores), 1) > round(max(start, end), 1):
        extremes.append(t("trends.highest", score=number(max(scores))))
    between = f" ({', '.join(extremes)})" if extremes else ""
    return t("trends.mood_summary", said=said, between=between, entries=entries,
             days=counted("days", len(points)))


# time spent -------------------------------------------------------------------------------


def time_trend(stored: dict[str, float], now: datetime, days: int) -> TimeTrend:
    """Seconds per local day over the span (`stored`: ISO day → seconds, as in
    `vault.usage`), and its reading."""
    first, _last = span(now, days)
    per_day = tuple((day, float(stored.get(day.isoformat(), 0.0)))
                    for day in (first + timedelta(days=n) for n in range(days)))
    return TimeTrend(days, per_day, time_reading(per_day, days))


def time_reading(per_day: tuple[tuple[date, float], ...], days: int) -> str:
    total = sum(seconds for _day, seconds in per_day)
    if total <= 0:
        return t("trends.time_none", span=last_days(days))
    if total < 30:  # rounds to no minute at all, but the bar shows it
        return t("trends.time_little", span=last_days(days))
    used = [(day, seconds) for day, seconds in per_day if seconds >= 30]
    most_day, most = max(used, key=lambda item: (item[1], item[0]))
    return t("trends.time_spent", total=spoken_duration(total), span=last_days(days),
             days=counted("days", len(used)), most=spoken_duration(most),
             day=day_name(most_day))


# topics -----------------------------------------------------------------------------------


def words(text: str) -> set[str]:
    """The words of one item that may be a topic, each once: an item that says "work"
    five times is still one mention."""
    found = set()
    for word in _WORD.findall(text.casefold()):
        word = word.replace("\u2019", "'")
        if word.endswith("'s"):
            word = word[:-2]
        if 4 <= len(word) <= MAX_WORD and word not in STOPWORDS:
            found.add(word)
    return found


def topic_trend(items: Iterable[tuple[str, str]], now: datetime, days: int) -> TopicTrend:
    """`items`: (created_at, text) of accepted memories and conversation summaries."""
    first, last = span(now, days)
    starts = [max(first, last - timedelta(days=6 + 7 * n)) for n in range((days + 6) // 7)]
    starts.reverse()
    counters = [Counter[str]() for _ in starts]
    sources = 0
    for stamp, text in items:
        day = local_day(stamp, now)
        if not first <= day <= last:
            continue
        sources += 1
        week = max(i for i, start in enumerate(starts) if start <= day)
        counters[week].update(words(text))
    weeks = tuple(TopicWeek(start, (starts[i + 1] - timedelta(days=1)
                                    if i + 1 < len(starts) else last), dict(counters[i]))
                  for i, start in enumerate(starts))
    total = sum(counters, Counter[str]())
    top = tuple(sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TOPICS])
    return TopicTrend(days, weeks, top, sources, topic_reading(weeks, top, sources, days))


def topic_reading(weeks: tuple[TopicWeek, ...], top: tuple[tuple[str, int], ...],
                  sources: int, days: int) -> str:
    if not sources:
        return t("trends.topics_none", span=last_days(days))
    things = counted("sources", sources)
    if not top:
        return t("trends.topics_nothing", things=things, span=last_days(days))
    listed = ", ".join(f"{word} ({count})" for word, count in top)
    word, total = top[0]
    per_week = sorted(weeks, key=lambda w: -w.counts.get(word, 0))
    most = per_week[0].counts.get(word, 0)
    if most < total and (len(per_week) < 2 or per_week[1].counts.get(word, 0) < most):
        return t("trends.topics_most_week", span=last_days(days), listed=listed,
                 things=things, word=word, date=short_date(per_week[0].first))
    return t("trends.topics_most", span=last_days(days), listed=listed, things=things)


# all three --------------------------------------------------------------------------------


def trends(vault: Vault, now: datetime, days: int) -> Trends:
    """The three pictures for the last `days` days, read from the vault under its lock."""
    first, _last = span(now, days)
    with vault.lock:  # each picture keeps only its own days, by the local day of `now`
        moods = vault.moods.list()
        usage = vault.usage.since(first.isoformat())
        items = [(m.created_at, m.content) for m in vault.memories.list("accepted")]
        items += [(s.created_at, s.content) for s in vault.summaries.list()]
    return Trends(days, mood_trend(moods, now, days), time_trend(usage, now, days),
                  topic_trend(items, now, days))
