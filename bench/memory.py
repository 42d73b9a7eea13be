"""Memory at scale: recall, adding an entry and opening the vault, encrypted beside plain.

Run: .venv/bin/python -m bench.memory [MEMORIES] [JOURNAL]   (default 100000 10000)
The same rows (pseudo-random words, a seeded generator) go into the SQLCipher vault and
into a plain SQLite file with the same schema, so the ratio is the encryption tax.
Targets (issue 4): recall p95 < 20 ms, add < 5 ms, open (Argon2id included) < 1 s.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from companion.memory.recall import recall
from companion.vault import Vault
from companion.vault.migrations import migrate

PASSPHRASE = "bench passphrase"
QUERIES = 200


def words(rng: random.Random, vocabulary: list[str], n: int) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(n))


def fill(conn: object, memories: int, journal: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    common = [
        "sister",
        "work",
        "sleep",
        "mother",
        "walk",
        "tired",
        "happy",
        "anxious",
        "friend",
        "coffee",
    ]
    vocabulary = common + [
        "".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(3, 9)))
        for _ in range(6000)
    ]
    stamp = "2026-01-01T00:00:00.000+00:00"
    conn.execute("BEGIN")  # type: ignore[attr-defined]
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO memories (kind, content, importance, source_kind, created_at, updated_at)"
        " VALUES ('fact', ?, ?, 'manual', ?, ?)",
        (
            (words(rng, vocabulary, rng.randint(6, 18)), rng.random(), stamp, stamp)
            for _ in range(memories)
        ),
    )
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO journal (content, created_at) VALUES (?, ?)",
        ((words(rng, vocabulary, rng.randint(40, 120)), stamp) for _ in range(journal)),
    )
    conn.execute("COMMIT")  # type: ignore[attr-defined]
    return [words(rng, vocabulary, rng.randint(5, 20)) for _ in range(QUERIES)]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def measure(vault: Vault, queries: list[str]) -> dict[str, float]:
    recall(vault, queries[0])  # warm the page cache as a running app would have it
    times = []
    for query in queries:
        started = time.perf_counter()
        recall(vault, query)
        times.append(time.perf_counter() - started)
    adds = []
    for n in range(50):
        started = time.perf_counter()
        vault.journal.add(f"bench entry {n} about my sister and a walk")
        adds.append(time.perf_counter() - started)
    return {
        "recall_p50": statistics.median(times),
        "recall_p95": p95(times),
        "add_median": statistics.median(adds),
        "add_p95": p95(adds),
    }


def main() -> None:
    memories = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    journal = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        vault = Vault.create(root / "vault.db", root / "vault.key", PASSPHRASE)
        started = time.perf_counter()
        queries = fill(vault._conn, memories, journal)
        fill_s = time.perf_counter() - started
        encrypted = measure(vault, queries)
        vault.close()
        opens = []
        for _ in range(3):
            started = time.perf_counter()
            Vault.unlock(root / "vault.db", root / "vault.key", PASSPHRASE).close()
            opens.append(time.perf_counter() - started)

        import sqlcipher3  # the same SQLite build, without a key: a plain file

        plain_conn = sqlcipher3.connect(
            str(root / "plain.db"), isolation_level=None, check_same_thread=False
        )
        plain_conn.execute("PRAGMA journal_mode = WAL")
        plain_conn.execute("PRAGMA synchronous = FULL")
        migrate(plain_conn)
        fill(plain_conn, memories, journal)
        plain = measure(Vault(plain_conn, root / "plain.db"), queries)
        plain_conn.close()
    print(
        f"workload: {memories} memories, {journal} journal entries, {QUERIES} recall queries "
        f"(filled in {fill_s:.0f} s)"
    )
    print(f"{'':16}{'encrypted':>12}{'plain':>12}{'ratio':>8}")
    for key, label in (
        ("recall_p50", "recall p50"),
        ("recall_p95", "recall p95"),
        ("add_median", "add median"),
        ("add_p95", "add p95"),
    ):
        print(
            f"{label:16}{encrypted[key] * 1000:>10.2f}ms{plain[key] * 1000:>10.2f}ms"
            f"{encrypted[key] / plain[key]:>7.2f}x"
        )
    print(
        f"{'open vault':16}{statistics.median(opens) * 1000:>10.0f}ms"
        "   (Argon2id t=3, 64 MiB, p=4 included; a plain file has no key to derive)"
    )


if __name__ == "__main__":
    main()
