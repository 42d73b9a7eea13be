"""The child side of a model's trial run: `python -m companion.engine.trial REQUEST_JSON`.

llama.cpp parses a model file in C and ends the process on a failed assertion; a hostile
chat template can loop for hours in Jinja. So the first time the app meets a file
(`models.trial`), this module loads it here, in a short-lived child process under
limits, with the same `LlamaEngine.load` (and template probe) the app uses; whatever
goes wrong ends this process, never the person's.

Limits, set before llama.cpp reads the file: address space (or, with a GPU build, whose
driver reserves huge address ranges, the data segment), CPU seconds, no core file; the
template probe also runs under a timer (SIGALRM interrupts Jinja, which is Python, so a
template that loops is told apart from a load that hangs). The parent adds a wall-clock
timeout and kills the process group.

The last line on stdout is the verdict as JSON; the exit code says the same:
0 passed, 3 refused with a sentence (`ModelError`), 5 the template took too long.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from typing import Any

PASSED, REFUSED, TEMPLATE_SLOW = 0, 3, 5


class _TemplateTooSlow(BaseException):
    """A BaseException: the probe counts any Exception from a template as "does not render"."""


def _vm_size() -> int:
    """This process's address space now (bytes): the limit is set on top of it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit(name: str, value: int) -> None:
    """Lower the soft and hard limit to `value` (never raise them: an unprivileged process
    cannot, and the person's own limits stay in force). A system without the limit keeps
    the others and the parent's wall-clock timeout."""
    try:
        import resource

        kind = getattr(resource, name)
        _soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))
    except (ImportError, AttributeError, ValueError, OSError) as exc:
        print(f"companion trial: {name} not set ({type(exc).__name__})", file=sys.stderr)


def set_limits(memory_bytes: int, cpu_seconds: int, gpu_build: bool) -> None:
    """Bound what the load may take; `memory_bytes` comes on top of what is mapped now.

    A GPU build's driver reserves huge address ranges (not memory), so there the data
    segment is limited instead of the address space. Where the address space in use
    cannot be read (no /proc), no memory limit is set rather than one that is too low.
    """
    _limit("RLIMIT_CORE", 0)
    _limit("RLIMIT_CPU", cpu_seconds)  # then SIGXCPU, and SIGKILL at the hard limit
    mapped = _vm_size()
    if mapped:
        _limit("RLIMIT_DATA" if gpu_build else "RLIMIT_AS", mapped + memory_bytes)


def _timed(probe: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    """The template probe, interrupted after `seconds` (Jinja runs Python bytecode)."""
    def run(*args: Any, **kwargs: Any) -> Any:
        def expire(_signum: int, _frame: Any) -> None:
            raise _TemplateTooSlow

        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return probe(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    return run


def _say(verdict: dict[str, object]) -> None:
    sys.stdout.write("\n" + json.dumps(verdict) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    request = json.loads(argv[0])
    from companion import i18n
    from companion.domain import ModelInfo
    from companion.engine import chat_shape
    from companion.engine.llama import LlamaEngine, gpu_offload_supported
    from companion.errors import ModelError

    i18n.use(str(request.get("language", i18n.SOURCE)))
    set_limits(int(request["memory"]), int(request["cpu"]), gpu_offload_supported())
    # Only this throwaway process sees the wrapped probe; LlamaEngine.load calls it through
    # the module, so the app's own loading code is what is tried.
    chat_shape.probe = _timed(chat_shape.probe, float(request["render_s"]))
    info = ModelInfo(path=str(request["path"]), sha256="", name="trial",
                     size=int(request["size"]), chat_template_sha256="")
    try:
        engine = LlamaEngine.load(info, context_tokens=int(request["context"]), gpu_layers=0,
                                  threads=1)
    except _TemplateTooSlow:
        _say({"verdict": "template_slow"})
        return TEMPLATE_SLOW
    except ModelError as exc:
        _say({"verdict": "refused", "sentence": str(exc)})
        return REFUSED
    engine.close()
    _say({"verdict": "passed"})
    return PASSED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
