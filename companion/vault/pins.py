"""The pin history: every model the companion was pinned to, newest last.

Rows are never rewritten: moving the pin adds a row, rolling back retires the newest
one, so the way back is always one step and the record of what ran stays whole.
The pin's fields are kept as JSON here; `companion.models.pin` gives them meaning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from companion.vault.connection import Connection, transaction


@dataclass(frozen=True)
class PinRow:
    id: int
    created_at: str
    data: dict[str, Any]
    retired_at: str | None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Pins:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _rows(self, where: str = "") -> list[PinRow]:
        rows = self._conn.execute(
            f"SELECT id, created_at, data, retired_at FROM pins {where} ORDER BY id"
        ).fetchall()
        return [PinRow(int(r[0]), str(r[1]), json.loads(r[2]), r[3]) for r in rows]

    def add(self, data: dict[str, Any]) -> PinRow:
        with transaction(self._conn):
            created = _now()
            cursor = self._conn.execute(
                "INSERT INTO pins (created_at, data) VALUES (?, ?)",
                (created, json.dumps(data, sort_keys=True)),
            )
        return PinRow(int(cursor.lastrowid or 0), created, data, None)

    def current(self) -> PinRow | None:
        active = self._rows("WHERE retired_at IS NULL")
        return active[-1] if active else None

    def previous(self) -> PinRow | None:
        """The pin a rollback returns to: the one in force before the current one."""
        active = self._rows("WHERE retired_at IS NULL")
        return active[-2] if len(active) >= 2 else None

    def history(self) -> list[PinRow]:
        return self._rows()

    def retire(self, pin_id: int) -> None:
        with transaction(self._conn):
            self._conn.execute("UPDATE pins SET retired_at = ? WHERE id = ?", (_now(), pin_id))

    def update(self, pin_id: int, data: dict[str, Any]) -> None:
        """Only for facts learned later about the same pin (a re-checked runtime)."""
        with transaction(self._conn):
            self._conn.execute("UPDATE pins SET data = ? WHERE id = ?",
                               (json.dumps(data, sort_keys=True), pin_id))
