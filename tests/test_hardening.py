"""The process that holds the data key: no core dumps, not dumpable, private files."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

CHECK = """
import json, os, resource, sys
from companion.cli import main
from companion.vault.hardening import is_dumpable
before = [resource.getrlimit(resource.RLIMIT_CORE)[0], is_dumpable()]
main(["--home", sys.argv[1], "paths", "--json"])
umask = os.umask(0)
print(json.dumps({"before": before, "core": resource.getrlimit(resource.RLIMIT_CORE),
                  "dumpable": is_dumpable(), "umask": umask}))
"""


@linux_only
def test_every_command_turns_core_dumps_off(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", "import resource; resource.setrlimit("
                           "resource.RLIMIT_CORE, (resource.RLIM_INFINITY,) * 2)\n" + CHECK,
                           str(tmp_path)], capture_output=True, text=True, check=True,
                          timeout=60)
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["before"][1] is True  # dumpable before companion starts
    assert seen["core"] == [0, 0] and seen["dumpable"] is False
    assert seen["umask"] == 0o077


def test_vault_files_are_private(home: Path, passphrase_file: Path) -> None:
    assert run_cli("--home", home, "--passphrase-file", passphrase_file, "say",
                   "--mode", "journal", "a private line").code == 0
    data = home / "data"
    names = [p for p in data.iterdir() if p.name.startswith("vault")]
    assert {p.name for p in names} >= {"vault.db", "vault.key"}
    for path in names:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    # a vault an older version left readable by others is made private at the next open
    (data / "vault.db").chmod(0o644)
    assert run_cli("--home", home, "--passphrase-file", passphrase_file, "history").code == 0
    assert stat.S_IMODE((data / "vault.db").stat().st_mode) == 0o600
