"""A plaintext export of everything in the vault, as Markdown or JSON.

The one place where the person's words leave the encryption on purpose, so the CLI asks
first. The file is written by `vault.private_files.write_new_file`: mode 0600 from the first
byte, complete or absent (never half written), and never over an existing file. The
Markdown is for reading, so its headings and labels are in the person's language; the JSON
is data, the same bytes in every language (its values, "accepted", "goal", stay English).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from companion import __version__, i18n
from companion.i18n import t
from companion.vault import Vault
from companion.vault.private_files import write_new_file

FORMAT_VERSION = 1
FORMATS = ("markdown", "json")
SECTIONS = ("conversations", "journal", "memories", "summaries", "commitments", "moods")
COMMITMENT_STATUSES = ("proposed", "open", "done", "dropped")


def collect(vault: Vault) -> dict[str, Any]:
    """Every record as plain data, oldest first; the JSON export is exactly this."""
    with vault.lock:
        conversations = []
        for c in sorted(vault.conversations.list(), key=lambda c: c.id):
            conversations.append({
                "id": c.id, "title": c.title, "created_at": c.created_at,
                "updated_at": c.updated_at,
                "messages": [
                    {"id": m.id, "role": m.role, "content": m.content,
                     "created_at": m.created_at, "stopped": m.stopped,
                     "provenance": m.provenance.as_dict() if m.provenance else None}
                    for m in vault.conversations.messages(c.id)
                ],
            })
        memories = vault.memories.list("accepted") + vault.memories.list("proposed")
        data = {
            "version": FORMAT_VERSION,
            "app": f"companion {__version__}",
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "conversations": conversations,
            "journal": [asdict(e) for e in sorted(vault.journal.list(), key=lambda e: e.id)],
            "memories": [asdict(m) for m in sorted(memories, key=lambda m: m.id)],
            "summaries": [asdict(s) for s in sorted(vault.summaries.list(),
                                                    key=lambda s: s.id)],
            "commitments": [asdict(c) for c in sorted(
                vault.commitments.list(COMMITMENT_STATUSES), key=lambda c: c.id)],
            "moods": [asdict(m) for m in sorted(vault.moods.list(), key=lambda m: m.id)],
        }
    return data


def counts(data: dict[str, Any]) -> dict[str, int]:
    return {section: len(data[section]) for section in SECTIONS}


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _when(stamp: str | None) -> str:
    return (stamp or "")[:16].replace("T", " ")


def _quote(text: str) -> str:
    """Quoted, so a person's '# heading' stays their words and not the file's structure."""
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines() or [""])


def _word(key: str, stored: str) -> str:
    """A stored value (a kind, a status, a role) in the reader's words where the catalogue
    names it, else as stored: the Markdown is for reading, while the JSON keeps the value."""
    return t(key) if i18n.lookup(i18n.SOURCE, key) is not None else stored


def _speaker(role: str) -> str:
    """The chat's own labels; "Companion" is the app's name, the same in every language."""
    if role == "user":
        return t("widgets.you")
    return "Companion" if role == "assistant" else _word(f"export.role_{role}", role)


def _section(name: str, lines: list[str], gap: bool = True) -> list[str]:
    """A heading and its lines, or "None."; `gap` ends an empty one with a blank line."""
    return [f"## {t(f'export.{name}')}", "", *(lines or [t("export.none"), *([""] if gap else [])])]


def to_markdown(data: dict[str, Any]) -> str:
    """The export for reading, in the person's language. Their own words (messages, entries,
    memories, titles, notes) stay exactly as they wrote them; stored values are named."""
    titles = {c["id"]: c["title"] or t("cli.untitled") for c in data["conversations"]}
    out = [f"# {t('export.title')}", "",
           t("export.warning", when=_when(data["exported_at"]), app=data["app"]), ""]
    out += _section("conversations", _conversations(data["conversations"], titles))
    out += _section("journal", [line for e in data["journal"] for line in (
        f"### {_when(e['created_at'])}"
        + ("" if e["remember"] else f" {t('export.not_recalled')}"),
        "", _quote(e["content"]), "")])
    out += [f"## {t('export.memories')}", ""]
    for status in ("accepted", "proposed"):
        items = [m for m in data["memories"] if m["status"] == status]
        out += [f"### {t(f'export.{status}')}", ""]
        out += [_memory(m, titles) for m in items] or [t("export.none")]
        out += [""]
    out += _section("summaries", [line for s in data["summaries"] for line in (
        "### " + t("export.conversation", id=s["conversation_id"],
                   title=titles.get(s["conversation_id"], "")),
        "", _quote(s["content"]), "")])
    out += _section("commitments", [_commitment(c) for c in data["commitments"]], gap=False)
    out += [""]
    out += _section("moods", [f"- {_when(m['created_at'])}: {m['score']}/5"
                              + (f", {m['note']}" if m["note"] else "")
                              for m in data["moods"]], gap=False)
    return "\n".join(out) + "\n"


def _conversations(conversations: list[dict[str, Any]], titles: dict[int, str]) -> list[str]:
    out: list[str] = []
    for c in conversations:
        out += ["### " + t("export.conversation", id=c["id"], title=titles[c["id"]]), "",
                t("export.started", started=_when(c["created_at"]),
                  last=_when(c["updated_at"])), ""]
        for m in c["messages"]:
            mark = t("cli.stopped_mark") if m["stopped"] else ""
            out += [f"**{_speaker(m['role'])}** · {_when(m['created_at'])}{mark}",
                    "", _quote(m["content"]), ""]
    return out


def _memory(memory: dict[str, Any], titles: dict[int, str]) -> str:
    status = t(f"export.status_{memory['status']}")
    kind = _word(f"memories.kind_{memory['kind']}", memory["kind"])
    return f"- [{status}] ({kind}) {memory['content']}" + _memory_source(memory, titles)


def _memory_source(memory: dict[str, Any], titles: dict[int, str]) -> str:
    """Where a memory came from, in the export's own words (vault may not ask memory)."""
    where = memory["conversation_id"]
    if where is not None:
        return f" ({t('export.from_conversation', id=where, title=titles.get(where, ''))})"
    key = {"manual": "added_by_you", "journal": "from_journal", "message": "from_message",
           "summary": "from_summary"}.get(memory["source_kind"], "from_other")
    return f" ({t(f'export.{key}', kind=memory['source_kind'])})"


def _commitment(commitment: dict[str, Any]) -> str:
    status = commitment["status"]
    named = (t("export.commitment_proposed") if status == "proposed"
             else _word(f"commitments.status_{status}", status))
    due = f" ({t('export.due', due=commitment['due'])})" if commitment["due"] else ""
    answer = f"; {t('export.answer', answer=commitment['answer'])}" if commitment["answer"] else ""
    return f"- [{named}] {commitment['content']}{due}{answer}"


def export(vault: Vault, out: Path, fmt: str) -> dict[str, int]:
    """Write the export to OUT (a new file) and return how many records of each kind."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    data = collect(vault)
    body = (to_json(data) if fmt == "json" else to_markdown(data)).encode("utf-8")

    def write(handle: IO[bytes]) -> None:
        handle.write(body)

    write_new_file(out, write)
    return counts(data)
