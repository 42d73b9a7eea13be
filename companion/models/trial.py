"""The first load of a model file happens in a child process; the app loads only what passed.

The bounded header check (`gguf_limits`) refuses what it can see, but llama.cpp still
parses the rest in C and ends the whole process on a failed assertion, and a chat
template can loop for as long as it likes in Jinja. So the first time a file's sha256
is seen (under this llama.cpp build), `engine.trial` loads it in a child process with
limits on address space, CPU time and wall-clock time, runs the same template probe the
app runs, and reports. A crash, a timeout or a refusal there is one sentence here
(ModelError, exit 4); the child's stderr (llama.cpp's backtraces) goes to the log file,
never to the terminal. Passed verdicts are remembered by sha256 in
`<cache>/model-trials.json`, so later starts cost nothing; failures are not remembered,
so a machine that was only busy can try again.

After a pass, the app's own process renders the same template with other messages. A
render there cannot be interrupted (threads cannot be killed), so the time limit lives
here: a template that renders the probe's small conversations within RENDER_LIMIT_S is
the one admitted, and the same bytes (the hash covers the template) are loaded after.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from companion import i18n
from companion.domain import ModelInfo
from companion.errors import ModelError
from companion.i18n import t
from companion.models.files import checked_header

log = logging.getLogger("companion.models.trial")

VERDICTS_FILE = "model-trials.json"
TRIAL_CONTEXT = 256
RENDER_LIMIT_S = 5.0
_PASSED, _REFUSED, _TEMPLATE_SLOW = 0, 3, 5  # engine.trial's exit codes
_SLOW_SIGNALS = {getattr(signal, name, 0) for name in ("SIGKILL", "SIGXCPU")} - {0}
_MEMORY_WORDS = (b"bad_alloc", b"MemoryError", b"Unable to allocate", b"failed to allocate",
                 b"Cannot allocate memory")


@dataclass(frozen=True)
class Budget:
    """What one trial may take: wall-clock and CPU seconds, and bytes of address space."""

    wall_s: float
    cpu_s: int
    memory: int


def budget_for(size: int, vocab: int) -> Budget:
    """Limits that scale with the file: loading reads it, so a big model gets longer.

    Memory: the weights mapped and perhaps copied once (repacked for the CPU), the logits
    arrays llama-cpp-python and llama.cpp size by batch times vocabulary, and 1 GiB to spare.
    """
    wall = min(300.0, 30.0 + 20.0 * size / 2**30)
    memory = 2 * size + 2 * TRIAL_CONTEXT * max(vocab, 1) * 4 + 2**30
    # CPU time is the backstop for a child whose parent died (it has its own session).
    return Budget(wall, int(2 * wall) + 1, memory)


def ensure_tried(info: ModelInfo, cache: Path, runtime: str) -> None:
    """Return if this file passed a trial under `runtime`, else run one; ModelError if not."""
    if _passed(cache).get(info.sha256) == runtime:
        return
    path = Path(info.path)
    header = checked_header(path)
    tokens = header.metadata.get("tokenizer.ggml.tokens")
    vocab = getattr(tokens, "length", 0)
    size = path.stat().st_size
    budget = budget_for(size, vocab)
    request = {"path": str(path), "size": size, "memory": budget.memory,
               "cpu": budget.cpu_s, "render_s": RENDER_LIMIT_S, "context": TRIAL_CONTEXT,
               "language": i18n.current()}  # the child's refusal reads in this language
    code, out, err = _run_child(request, budget.wall_s, cache)
    if code == _PASSED and b'"passed"' in out:
        _remember(cache, info.sha256, runtime)
        return
    log.warning("model trial of %s failed (exit %s): %s", path, code,
                err[-2000:].decode("utf-8", "replace"))
    raise _refusal(path, code, out, err, budget)


def _refusal(path: Path, code: int | None, out: bytes, err: bytes,
             budget: Budget) -> ModelError:
    """One sentence for what the trial saw."""
    if code == _REFUSED:
        sentence = _sentence(out)
        if sentence:
            return ModelError(sentence)
    if code == _TEMPLATE_SLOW:
        return ModelError(t("model_errors.trial_template_slow", path=path,
                            seconds=f"{RENDER_LIMIT_S:g}"))
    if code is None or (code < 0 and -code in _SLOW_SIGNALS):
        return ModelError(t("model_errors.trial_slow", path=path,
                            seconds=f"{budget.wall_s:.0f}"))
    if any(word in err for word in _MEMORY_WORDS):
        return ModelError(t("model_errors.trial_memory", path=path))
    how = signal.Signals(-code).name if code < 0 and -code in signal.valid_signals() else (
        t("model_errors.exit_status", code=code))
    return ModelError(t("model_errors.trial_crashed", how=how, path=path))


def _sentence(out: bytes) -> str:
    """The refusal sentence the child printed (our own ModelError text), if it is one."""
    try:
        verdict = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return ""
    sentence = verdict.get("sentence") if isinstance(verdict, dict) else None
    if not isinstance(sentence, str) or len(sentence) > 600 or "\n" in sentence:
        return ""
    return sentence


def _run_child(request: dict[str, object], wall_s: float,
               cache: Path) -> tuple[int | None, bytes, bytes]:
    """Run `engine.trial` in its own session (its own process group, off the terminal).

    stdout and stderr go to temporary files, so a flood of output can neither block the
    child nor fill this process's memory; None as the code means it ran out of time.
    """
    import companion

    root = str(Path(companion.__file__).resolve().parent.parent)
    env = {**os.environ, "GGML_NO_BACKTRACE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "companion.engine.trial", json.dumps(request)]
    cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                     cwd=cache, env=env, start_new_session=True)
        except OSError as exc:
            raise ModelError(t("model_errors.trial_not_started",
                               reason=exc.strerror)) from None
        try:
            code: int | None = child.wait(timeout=wall_s)
        except subprocess.TimeoutExpired:
            code = None
        finally:  # also on Ctrl+C: the child never outlives the question
            if child.poll() is None:
                _kill(child)
        out.seek(0)
        err.seek(max(0, err.seek(0, os.SEEK_END) - 8192))
        return code, out.read()[-8192:], err.read()


def _kill(child: subprocess.Popen[bytes]) -> None:
    """The child and anything it started (its own process group, where there are groups)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(child.pid, signal.SIGKILL)
        else:  # pragma: no cover - no process groups on this system
            child.kill()
    except ProcessLookupError:
        pass
    child.wait()


def _file(cache: Path) -> Path:
    return cache / VERDICTS_FILE


def _passed(cache: Path) -> dict[str, str]:
    """sha256 → the runtime it passed under; a missing or damaged file means none yet."""
    try:
        data = json.loads(_file(cache).read_text(encoding="utf-8"))
        passed = data["passed"]
        return {str(k): str(v["runtime"]) for k, v in passed.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _remember(cache: Path, sha256: str, runtime: str) -> None:
    """Best effort, atomic: a cache that cannot be written only means another trial later."""
    try:
        data = json.loads(_file(cache).read_text(encoding="utf-8"))
        passed = data["passed"] if isinstance(data.get("passed"), dict) else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        passed = {}
    passed[sha256] = {"runtime": runtime,
                      "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=".trials-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"passed": passed}, handle, indent=1, sort_keys=True)
        os.replace(tmp, _file(cache))
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        log.warning("could not remember the model trial in %s (%s)", cache, exc.strerror)
