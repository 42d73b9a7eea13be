"""What the person set up to keep themselves safe and well: their safety plan, trusted
contacts, progress through guided exercises, and time spent (for their own limits).

All of it is as private as their words, so it lives in the encrypted vault.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from companion.vault.connection import Connection, transaction
from companion.vault.records import now

SAFETY_PLAN_SECTIONS: tuple[str, ...] = (
    "warning_signs", "things_that_help", "people_and_places", "professionals",
    "making_safe", "reasons_for_living",
)
"""The sections of a Stanley-Brown style safety plan, in the order it is read."""


@dataclass(frozen=True)
class Contact:
    id: int
    name: str
    how: str
    """How to reach them (a phone number, an address), as the person wrote it."""
    note: str
    created_at: str


@dataclass(frozen=True)
class Progress:
    id: int
    conversation_id: int | None
    exercise: str
    step: int
    answers: list[Any]
    started_at: str
    updated_at: str
    finished_at: str | None


class SafetyPlan:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self) -> dict[str, str]:
        rows = self._conn.execute("SELECT section, content FROM safety_plan").fetchall()
        found = {str(r[0]): str(r[1]) for r in rows}
        return {section: found.get(section, "") for section in SAFETY_PLAN_SECTIONS}

    def set(self, section: str, content: str) -> None:
        if section not in SAFETY_PLAN_SECTIONS:
            raise ValueError(f"unknown safety plan section {section!r}")
        with transaction(self._conn):
            self._conn.execute(
                "INSERT INTO safety_plan (section, content, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (section) DO UPDATE SET content = excluded.content,"
                " updated_at = excluded.updated_at", (section, content, now()))


class Contacts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, name: str, how: str = "", note: str = "") -> Contact:
        created = now()
        with transaction(self._conn):
            cur = self._conn.execute(
                "INSERT INTO contacts (name, how, note, created_at) VALUES (?, ?, ?, ?)",
                (name, how, note, created))
        return Contact(int(cur.lastrowid), name, how, note, created)

    def list(self) -> list[Contact]:
        rows = self._conn.execute(
            "SELECT id, name, how, note, created_at FROM contacts ORDER BY id").fetchall()
        return [Contact(*r) for r in rows]

    def delete(self, contact_id: int) -> bool:
        with transaction(self._conn):
            cur = self._conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
        return bool(cur.rowcount)


class Exercises:
    """Saved progress, so an exercise resumes at its step after a restart."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _rows(self, where: str, params: tuple[Any, ...]) -> list[Progress]:
        rows = self._conn.execute(
            "SELECT id, conversation_id, exercise, step, answers, started_at, updated_at,"
            f" finished_at FROM exercise_progress {where} ORDER BY id", params).fetchall()
        return [Progress(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7])
                for r in rows]

    def start(self, exercise: str, conversation_id: int | None) -> Progress:
        stamp = now()
        with transaction(self._conn):
            cur = self._conn.execute(
                "INSERT INTO exercise_progress (conversation_id, exercise, started_at,"
                " updated_at) VALUES (?, ?, ?, ?)", (conversation_id, exercise, stamp, stamp))
        return self._rows("WHERE id = ?", (int(cur.lastrowid),))[0]

    def get(self, progress_id: int) -> Progress | None:
        found = self._rows("WHERE id = ?", (progress_id,))
        return found[0] if found else None

    def unfinished(self, conversation_id: int | None = None) -> list[Progress]:
        if conversation_id is None:
            return self._rows("WHERE finished_at IS NULL", ())
        return self._rows("WHERE finished_at IS NULL AND conversation_id = ?",
                          (conversation_id,))

    def advance(self, progress_id: int, step: int, answers: list[Any],
                finished: bool = False) -> None:
        with transaction(self._conn):
            self._conn.execute(
                "UPDATE exercise_progress SET step = ?, answers = ?, updated_at = ?,"
                " finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE id = ?",
                (step, json.dumps(answers), now(), int(finished), now(), progress_id))


class Usage:
    """Seconds spent in conversation per local day; no more detail than a limit needs."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, day: str, seconds: float) -> None:
        with transaction(self._conn):
            self._conn.execute(
                "INSERT INTO usage (day, seconds) VALUES (?, ?) ON CONFLICT (day)"
                " DO UPDATE SET seconds = seconds + excluded.seconds", (day, seconds))

    def day(self, day: str) -> float:
        row = self._conn.execute("SELECT seconds FROM usage WHERE day = ?", (day,)).fetchone()
        return float(row[0]) if row else 0.0

    def since(self, first_day: str) -> dict[str, float]:
        rows = self._conn.execute("SELECT day, seconds FROM usage WHERE day >= ? ORDER BY day",
                                  (first_day,)).fetchall()
        return {str(r[0]): float(r[1]) for r in rows}
