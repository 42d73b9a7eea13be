"""Damage and a full disk: found at open or mid-command, said in one sentence each."""

from __future__ import annotations

import errno
from pathlib import Path

import sqlcipher3

from companion.errors import DiskFull, VaultDamaged
from companion.vault.connection import explain
from tests.conftest import run_cli, snapshot_files


def test_a_damaged_page_is_found_at_open_in_one_line(home: Path, passphrase_file: Path) -> None:
    base = ("--home", home, "--passphrase-file", passphrase_file)
    for n in range(30):
        assert run_cli(*base, "journal", "add", f"entry {n} " + "words " * 200).code == 0
    db = home / "data" / "vault.db"
    data = bytearray(db.read_bytes())
    assert len(data) > 8 * 4096
    middle = (len(data) // 4096 // 2) * 4096 + 100
    data[middle:middle + 64] = b"\xff" * 64
    db.write_bytes(bytes(data))
    before = snapshot_files(home / "data")
    # a command that reads only the first pages still finds the damage at open
    result = run_cli(*base, "history")
    assert result.code == 5, result.err
    assert result.err.count("\n") == 1 and result.err.startswith("companion: ")
    assert str(db) in result.err and "companion restore" in result.err
    assert snapshot_files(home / "data") == before


def test_full_disk_and_damage_mid_command_are_named() -> None:
    full = explain(sqlcipher3.OperationalError("database or disk is full"))
    assert isinstance(full, DiskFull) and "disk is full" in str(full)
    assert isinstance(explain(OSError(errno.ENOSPC, "No space left on device")), DiskFull)
    damaged = explain(sqlcipher3.DatabaseError("database disk image is malformed"))
    assert isinstance(damaged, VaultDamaged) and damaged.exit_code == 5
    assert explain(ValueError("something else")) is None


CREATE = """
import sys, time
from pathlib import Path
from companion.vault import Vault
folder = Path(sys.argv[1])
print("start", flush=True)
started = time.perf_counter()
Vault.create(folder / "vault.db", folder / "vault.key", "a passphrase long enough").close()
print(time.perf_counter() - started, flush=True)
"""


def test_a_kill_during_creation_leaves_no_vault_or_a_whole_one(tmp_path: Path) -> None:
    import random
    import subprocess
    import sys
    import time

    from companion.vault import Vault, VaultStatus, vault_status

    def start(folder: Path) -> subprocess.Popen[bytes]:
        folder.mkdir()
        proc = subprocess.Popen([sys.executable, "-c", CREATE, str(folder)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"start"
        return proc

    whole = start(tmp_path / "whole")  # how long one creation takes on this machine
    assert whole.stdout is not None
    took = float(whole.stdout.readline())
    whole.wait()
    rng = random.Random(4)
    outcomes = set()
    for attempt in range(12):
        folder = tmp_path / f"try{attempt}"
        proc = start(folder)
        time.sleep(rng.uniform(0.0, took))  # a moment inside the creation itself
        proc.kill()
        proc.wait()
        db, key = folder / "vault.db", folder / "vault.key"
        status = vault_status(db, key)  # never "incomplete"
        outcomes.add(status)
        if status is VaultStatus.EXISTS:
            Vault.unlock(db, key, "a passphrase long enough").close()
        else:
            Vault.create(db, key, "a passphrase long enough").close()
            assert not (folder / ".vault-new").exists()
    assert VaultStatus.NEW in outcomes  # the kills did land mid-creation


def test_a_move_cut_in_two_is_finished(tmp_path: Path) -> None:
    from companion.vault import Vault, VaultStatus, vault_status
    from companion.vault.status import staging_folder

    db, key = tmp_path / "vault.db", tmp_path / "vault.key"
    Vault.create(db, key, "a passphrase long enough").close()
    staging_folder(db).mkdir()
    key.rename(staging_folder(db) / key.name)  # stopped between the two moves
    assert vault_status(db, key) is VaultStatus.EXISTS
    Vault.unlock(db, key, "a passphrase long enough").close()
