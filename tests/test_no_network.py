"""`companion say` opens no network socket: audited in-process, and under strace."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

AUDIT = r"""
import socket, sys
families = []
def hook(event, args):
    if event == "socket.__new__":
        families.append(int(args[1]))
sys.addaudithook(hook)
from companion.cli import main
code = main(sys.argv[1:])
bad = [f for f in families if f != socket.AF_UNIX]
sys.stderr.write(f"\nSOCKETS {len(families)} BAD {bad}\n")
sys.exit(code)
"""


def _args(home: Path, pf: Path, model: Path) -> list[str]:
    return ["--home", str(home), "--passphrase-file", str(pf), "--model", str(model),
            "--seed", "1", "say", "no network please"]


def test_no_socket_in_process(home: Path, passphrase_file: Path, tiny_model: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", AUDIT, *_args(home, passphrase_file, tiny_model)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"SOCKETS \d+ BAD \[\]", proc.stderr), proc.stderr


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_no_socket_under_strace(home: Path, passphrase_file: Path, tiny_model: Path,
                                tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    proc = subprocess.run(
        ["strace", "-f", "-e", "trace=socket,connect", "-o", str(trace),
         sys.executable, "-m", "companion", *_args(home, passphrase_file, tiny_model)],
        capture_output=True, text=True, check=False, env={**os.environ},
    )
    if "ptrace" in proc.stderr and proc.returncode != 0:
        pytest.skip("strace cannot trace in this sandbox")
    assert proc.returncode == 0, proc.stderr
    calls = [line for line in trace.read_text().splitlines() if "socket(" in line]
    assert all("AF_UNIX" in line for line in calls), calls


def test_model_commands_open_no_socket(home: Path, passphrase_file: Path, tiny_model: Path,
                                       other_tiny_model: Path) -> None:
    """Only `models install` may reach the network, and only when asked."""
    base = ["--home", str(home), "--passphrase-file", str(passphrase_file)]
    runs = [
        _args(home, passphrase_file, tiny_model),
        [*base, "models", "list"],
        [*base, "models", "import", str(other_tiny_model), "--id", "other"],
        [*base, "models", "verify"],
        [*base, "--seed", "1", "models", "try", "other", "--last", "1"],
        [*base, "models", "use", "other"],
        [*base, "models", "rollback"],
        [*base, "pin", "show"],
    ]
    for args in runs:
        proc = subprocess.run([sys.executable, "-c", AUDIT, *args],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, (args, proc.stderr)
        assert re.search(r"SOCKETS \d+ BAD \[\]", proc.stderr), (args, proc.stderr)
