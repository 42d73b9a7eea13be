"""`companion models …` and `companion pin show`: the model, chosen deliberately.

Listing, installing, importing and verifying need no passphrase (they touch only model
files); moving the pin, rolling back and comparing do, because the pin lives in the
vault. Long jobs show a progress line on stderr; stdout stays for results.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from companion.errors import ModelError, UsageError

if TYPE_CHECKING:
    from companion.models.pin import Pin
    from companion.models.progress import ProgressLine


def add_parsers(sub: Any) -> None:
    models = sub.add_parser("models", help="list, install, verify and choose models")
    verbs = models.add_subparsers(dest="verb", metavar="ACTION", required=True)
    listing = verbs.add_parser("list", help="every model companion knows, and which fit here")
    listing.add_argument("--json", action="store_true", help="print JSON")
    install = verbs.add_parser("install", help="download a model from the registry")
    install.add_argument("id", metavar="ID")
    install.add_argument("--mirror", metavar="URL",
                         help="download from this base URL instead of Hugging Face")
    imp = verbs.add_parser("import", help="copy a model file in (from a USB stick, say)")
    imp.add_argument("path", metavar="PATH")
    imp.add_argument("--id", dest="model_id", metavar="ID", help="the id to give it")
    verify = verbs.add_parser("verify", help="re-hash model files and check them")
    verify.add_argument("id", metavar="ID", nargs="?")
    remove = verbs.add_parser("remove", help="delete a model file")
    remove.add_argument("id", metavar="ID")
    remove.add_argument("--yes", action="store_true", help="do not ask")
    use = verbs.add_parser("use", help="pin the companion to this model (ID `engine`: to how "
                                       "your own engine answers now)")
    use.add_argument("id", metavar="ID")
    verbs.add_parser("rollback", help="go back to the previous pin")
    try_ = verbs.add_parser("try", help="compare a model's answers with the pinned one")
    try_.add_argument("id", metavar="ID")
    try_.add_argument("--conversation", type=int, metavar="ID", help="replay this conversation")
    try_.add_argument("--last", type=int, default=3, metavar="N",
                      help="how many of your latest messages to replay (default 3)")
    try_.add_argument("--json", action="store_true", help="print JSON")
    pin = sub.add_parser("pin", help="what the companion is pinned to")
    pin_verbs = pin.add_subparsers(dest="verb", metavar="ACTION", required=True)
    show = pin_verbs.add_parser("show", help="print the pin and its history")
    show.add_argument("--json", action="store_true", help="print JSON")


def _hash_progress(line: ProgressLine, total: int) -> Callable[[int], None]:
    done = 0

    def step(chunk: int) -> None:
        nonlocal done
        done += chunk
        line.bytes_done(done, total)

    return step


def _library_and_registry(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    from companion.cli.steps import settings_for
    from companion.models.library import Library
    from companion.models.registry import load_registry

    where, settings = settings_for(args)
    return where, settings, Library(where.models), load_registry(where.user_registry)


def cmd_models(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "list": _list, "install": _install, "import": _import, "verify": _verify,
        "remove": _remove, "use": _use, "rollback": _rollback, "try": _try,
    }
    return handlers[args.verb](args)


def _list(args: argparse.Namespace) -> int:
    from companion.models.catalog import catalog
    from companion.models.speed import COMFORTABLE_TOKENS_PER_S, rough

    where, settings, library, registry = _library_and_registry(args)
    view = catalog(registry, library, settings.language, cache_dir=where.cache)
    if args.json:
        print(json.dumps(view.as_dict(), ensure_ascii=False))
        return 0
    print(f"This computer has {view.memory_gb:.1f} GB of memory.")
    print(f"Speeds are estimates for its {view.machine.cores} cores and memory that copies "
          f"{view.machine.bandwidth_gbs:.1f} GB/s. The recommended model is the largest "
          f"estimated at {COMFORTABLE_TOKENS_PER_S:g} tokens/s or more (else the fastest).")
    for row in view.rows:
        marks = [m for m, on in (("pinned", row.pinned), ("installed", row.installed),
                                 ("recommended", row.recommended)) if on]
        fit = "fits" if row.fits else "needs more memory"
        verified = "" if row.verified else ", unverified"
        print(f"\n{row.id}  {row.name}{'  [' + ', '.join(marks) + ']' if marks else ''}")
        print(f"    {row.size / 1e9:.2f} GB file, {row.ram:g} GB memory ({fit}){verified}")
        print(f"    {rough(row.est_tokens_per_s)} tok/s here, first reply after "
              f"{rough(row.est_first_reply_s)} s")
        if row.languages:
            print(f"    languages: {' '.join(row.languages)}; licence: {row.licence}")
    return 0


def _install(args: argparse.Namespace) -> int:
    from companion.models import install
    from companion.models.download import DownloadCancelled
    from companion.models.progress import ProgressLine

    _where, settings, library, registry = _library_and_registry(args)
    entry = registry.get(args.id)
    line = ProgressLine(f"Downloading {entry.id}")
    cancel = threading.Event()
    try:
        model = install.install(library, entry, registry, mirror=args.mirror or settings.mirror,
                                progress=line.update, cancel=cancel)
    except (KeyboardInterrupt, DownloadCancelled):
        line.finish()
        print(f"companion: the download of {entry.id} was stopped; what arrived is kept, and "
              "running the same command again resumes it.", file=sys.stderr)
        return 130
    except ModelError:
        line.finish()
        raise
    line.finish(f"Installed {model.id} ({model.short_hash}, verified). "
                f"`companion models use {model.id}` pins your companion to it.")
    return 0


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from companion.models import install
    from companion.models.progress import ProgressLine

    _where, _settings, library, registry = _library_and_registry(args)
    source = Path(args.path).expanduser()
    line = ProgressLine(f"Copying and checking {source.name}")
    size = source.stat().st_size if source.is_file() else 0
    try:
        model = install.import_file(library, source, registry, model_id=args.model_id,
                                    progress=_hash_progress(line, size))
    except BaseException:
        line.finish()
        raise
    if model.verified:
        text = f"Imported {model.id}: its sha256 matches the registry, so it is verified."
    else:
        meta = model.metadata
        template = "has" if meta.get("has_chat_template") else "has NO"
        text = (f"Imported {model.id} as an unverified model (its sha256 {model.short_hash} is not "
                f"in the registry): {meta.get('architecture')}, {meta.get('parameters'):,} "
                f"parameters, context {meta.get('context')}, {template} chat template.")
    line.finish(text + f" `companion models use {model.id}` pins your companion to it.")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from companion.models import install
    from companion.models.pinning import resolve_local
    from companion.models.progress import ProgressLine

    _where, _settings, library, registry = _library_and_registry(args)
    targets = [resolve_local(library, registry, args.id)] if args.id else library.all()
    if not targets:
        print("No models are installed yet; `companion models list` shows what is available.")
        return 0
    problems = 0
    for model in targets:
        line = ProgressLine(f"Checking {model.id}")
        result = install.verify(library, model, registry, _hash_progress(line, model.size))
        line.finish()
        print(result.sentence)
        problems += not result.ok
    return 4 if problems else 0


def _remove(args: argparse.Namespace) -> int:
    from companion.models import install
    from companion.models.pinning import resolve_local

    _where, _settings, library, registry = _library_and_registry(args)
    model = resolve_local(library, registry, args.id)
    pinned = model.sha256 in library.pinned
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"Removing {model.id} needs a yes: add --yes to confirm.")
        warning = (" Your companion is pinned to it (now or in its history); without it, "
                   "companion cannot start with that pin until you install it again."
                   if pinned else "")
        answer = input(f"Delete {model.id} ({model.size / 1e9:.2f} GB)?{warning} [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was deleted.")
            return 0
    print(install.remove(library, model))
    return 0


def _describe(pin: Pin) -> str:
    return f"{pin.model_name} ({pin.model_id}, {pin.short_hash})"


def _with_vault(args: argparse.Namespace, job: Callable[[Any, Any, Any], int],
                create: bool = False) -> int:
    """Open the vault for a job; only `use` may create it (a first pin on a new machine)."""
    from companion.cli.steps import open_vault, settings_for
    from companion.conversation import unlock

    where, settings = settings_for(args)
    if not create and unlock.needs_new_vault(where):
        raise UsageError(f"There is no vault in {where.data} yet; start companion once with "
                         "--model PATH to create it.")
    vault = open_vault(args, where)
    try:
        return job(where, settings, vault)
    finally:
        vault.close()


def _use(args: argparse.Namespace) -> int:
    from companion.conversation import pinned_model
    from companion.models import pinning

    if args.id == "engine":
        return _with_vault(args, _accept_engine)
    _where, _settings, library, registry = _library_and_registry(args)
    pinning.resolve_local(library, registry, args.id)  # an unknown id needs no passphrase

    def job(where: Any, settings: Any, vault: Any) -> int:
        pin, before = pinned_model.use(where, vault, settings, args.id)
        back = f" `companion models rollback` returns to {_describe(before)}." if before else ""
        print(f"Your companion is now pinned to {_describe(pin)}.{back}")
        return 0

    return _with_vault(args, job, create=True)


def _accept_engine(_where: Any, settings: Any, vault: Any) -> int:
    from companion.conversation import pinned_model

    pin, before = pinned_model.accept_engine(vault, settings)
    back = f" `companion models rollback` returns to {_describe(before)}." if before else ""
    print(f"Your companion is now pinned to how {pin.model_name} on your engine at "
          f"{pin.engine_url} answers ({pin.short_hash}).{back}")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from companion.models import pinning

    def job(where: Any, _settings: Any, vault: Any) -> int:
        now, left = pinning.rollback(where, vault)
        print(f"Your companion is pinned to {_describe(now)} again (instead of "
              f"{_describe(left)}, whose file is kept).")
        return 0

    return _with_vault(args, job)


def _try(args: argparse.Namespace) -> int:
    from companion.conversation.pinned_model import replay
    from companion.models import pinning

    if args.last < 1:
        raise UsageError("--last must be 1 or more.")
    _where, _settings, library, registry = _library_and_registry(args)
    pinning.resolve_local(library, registry, args.id)  # an unknown id needs no passphrase

    def job(where: Any, settings: Any, vault: Any) -> int:
        result = replay(where, vault, settings, args.id, conversation_id=args.conversation,
                        last=args.last, step=lambda text: print(text, file=sys.stderr))
        if args.json:
            print(json.dumps({
                "pinned": {"id": result.pin.model_id, "sha256": result.pin.model_sha256},
                "candidate": {"id": result.candidate_id, "sha256": result.candidate_sha256},
                "seed": result.seed,
                "pairs": [{"message": p.user_text, "pinned": p.pinned, "candidate": p.candidate}
                          for p in result.pairs],
            }, ensure_ascii=False))
            return 0
        for n, pair in enumerate(result.pairs, start=1):
            print(f"── {n}. You wrote ──\n{pair.user_text}\n")
            print(f"── pinned: {result.pin.model_id} ──\n{pair.pinned}\n")
            print(f"── candidate: {result.candidate_id} ──\n{pair.candidate}\n")
        print(f"Nothing was saved. `companion models use {result.candidate_id}` switches to it.")
        return 0

    return _with_vault(args, job)


def cmd_pin(args: argparse.Namespace) -> int:
    from companion.models.pin import Pin

    def job(_where: Any, _settings: Any, vault: Any) -> int:
        with vault.lock:
            rows = vault.pins.history()
            current = vault.pins.current()
        if args.json:
            print(json.dumps({
                "pin": current.data if current else None,
                "history": [{"id": r.id, "created_at": r.created_at, "retired_at": r.retired_at,
                             "current": current is not None and r.id == current.id, **r.data}
                            for r in rows],
            }, ensure_ascii=False))
            return 0
        if current is None:
            print("Nothing is pinned yet; the first model you start companion with is pinned.")
            return 0
        pin = Pin.from_dict(current.data)
        print(f"Pinned since {current.created_at}: {_describe(pin)}")
        if pin.remote:
            print(f"  engine           {pin.engine_url} (checked by behaviour at every start)")
        else:
            print(f"  model sha256     {pin.model_sha256}")
            print(f"  file             {pin.model_path}")
        print(f"  chat template    {pin.chat_template_sha256[:12] or '(none)'}")
        print(f"  persona          {pin.persona_sha256[:12]}")
        print(f"  runtime          {pin.runtime}")
        print(f"  fingerprint      {pin.fingerprint[:12]}")
        sampling = ", ".join(f"{k}={v}" for k, v in pin.sampling.as_dict().items())
        print(f"  sampling         {sampling}")
        earlier = [r for r in rows if r.id != current.id]
        if earlier:
            print(f"{len(earlier)} earlier pin(s); `companion models rollback` returns to the "
                  "previous one.")
        return 0

    return _with_vault(args, job)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"models": cmd_models,
                                                            "pin": cmd_pin}
