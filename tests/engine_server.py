"""llama-cpp-python's own OpenAI-compatible server on 127.0.0.1, for the remote engine tests.

A real server (FastAPI, uvicorn, llama.cpp), not a stand-in: started as its own process
with a tiny generated model, waited for by polling /v1/models (no sleeps beyond that
poll), stopped with SIGTERM and, when a test wants it, SIGKILL mid-reply.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EngineServer:
    def __init__(self, model: Path, *, port: int | None = None, n_ctx: int = 4096,
                 alias: str | None = None, threads: int = 1) -> None:
        self.model = model
        self.threads = threads
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.alias = alias
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> EngineServer:
        args = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model),
                "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
                "--n_threads", str(self.threads), "--verbose", "False"]
        if self.alias:
            args += ["--model_alias", self.alias]
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"the engine server exited: {err[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/v1/models", timeout=1) as response:
                    json.loads(response.read())
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the engine server did not start in time")

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()

    def __enter__(self) -> EngineServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
