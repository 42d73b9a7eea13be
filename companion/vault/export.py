"""A plaintext export of everything in the vault, as Markdown or JSON.

The one place where the person's words leave the encryption on purpose, so the CLI asks
first. The file is written by `vault.private_files.write_new_file`: mode 0600 from the first
byte, complete or absent (never half written), and never over an existing file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from companion import __version__
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


_SPEAKERS = {"user": "You", "assistant": "Companion", "system": "System"}


def to_markdown(data: dict[str, Any]) -> str:
    out = ["# companion export", "",
           f"Exported {_when(data['exported_at'])} UTC by {data['app']}. This file is not "
           "encrypted: anyone who has it can read everything in it.", ""]
    titles = {c["id"]: c["title"] or "(untitled)" for c in data["conversations"]}
    out += ["## Conversations", ""]
    if not data["conversations"]:
        out += ["None.", ""]
    for c in data["conversations"]:
        out += [f"### Conversation {c['id']}: {titles[c['id']]}", "",
                f"Started {_when(c['created_at'])}, last message {_when(c['updated_at'])}.", ""]
        for m in c["messages"]:
            mark = " (stopped)" if m["stopped"] else ""
            out += [f"**{_SPEAKERS.get(m['role'], m['role'])}** · {_when(m['created_at'])}{mark}",
                    "", _quote(m["content"]), ""]
    out += ["## Journal", ""]
    if not data["journal"]:
        out += ["None.", ""]
    for e in data["journal"]:
        note = "" if e["remember"] else " (not recalled in conversation)"
        out += [f"### {_when(e['created_at'])}{note}", "", _quote(e["content"]), ""]
    out += ["## Memories", ""]
    for status, heading in (("accepted", "Accepted"), ("proposed", "Proposed, not yet reviewed")):
        items = [m for m in data["memories"] if m["status"] == status]
        out += [f"### {heading}", ""]
        out += [f"- [{status}] ({m['kind']}) {m['content']}" + _memory_source(m, titles)
                for m in items] or ["None."]
        out += [""]
    out += ["## Summaries", ""]
    if not data["summaries"]:
        out += ["None.", ""]
    for s in data["summaries"]:
        title = titles.get(s["conversation_id"], "")
        out += [f"### Conversation {s['conversation_id']}: {title}", "", _quote(s["content"]), ""]
    out += ["## Commitments", ""]
    out += [f"- [{c['status']}] {c['content']}" + (f" (due {c['due']})" if c["due"] else "")
            + (f"; answer: {c['answer']}" if c["answer"] else "")
            for c in data["commitments"]] or ["None."]
    out += ["", "## Moods", ""]
    out += [f"- {_when(m['created_at'])}: {m['score']}/5" + (f", {m['note']}" if m["note"] else "")
            for m in data["moods"]] or ["None."]
    return "\n".join(out) + "\n"


def _memory_source(memory: dict[str, Any], titles: dict[int, str]) -> str:
    where = memory["conversation_id"]
    if where is not None:
        return f" (from conversation {where}: {titles.get(where, '')})"
    return {"manual": " (added by you)", "journal": " (from your journal)"}.get(
        memory["source_kind"], f" (from a {memory['source_kind']})")


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
