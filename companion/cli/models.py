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

from companion.cli.steps import confirmed
from companion.errors import ModelError, UsageError
from companion.i18n import t

if TYPE_CHECKING:
    from companion.models.pin import Pin
    from companion.models.progress import ProgressLine


def add_parsers(sub: Any) -> None:
    models = sub.add_parser("models", help=t("cli_help.models"))
    verbs = models.add_subparsers(dest="verb", metavar="ACTION", required=True)
    listing = verbs.add_parser("list", help=t("cli_help.models_list"))
    listing.add_argument("--json", action="store_true", help=t("cli_help.json"))
    install = verbs.add_parser("install", help=t("cli_help.models_install"))
    install.add_argument("id", metavar="ID")
    install.add_argument("--mirror", metavar="URL", help=t("cli_help.models_mirror"))
    imp = verbs.add_parser("import", help=t("cli_help.models_import"))
    imp.add_argument("path", metavar="PATH")
    imp.add_argument("--id", dest="model_id", metavar="ID", help=t("cli_help.models_id"))
    verify = verbs.add_parser("verify", help=t("cli_help.models_verify"))
    verify.add_argument("id", metavar="ID", nargs="?")
    remove = verbs.add_parser("remove", help=t("cli_help.models_remove"))
    remove.add_argument("id", metavar="ID")
    remove.add_argument("--yes", action="store_true", help=t("cli_help.yes"))
    use = verbs.add_parser("use", help=t("cli_help.models_use"))
    use.add_argument("id", metavar="ID")
    verbs.add_parser("rollback", help=t("cli_help.models_rollback"))
    try_ = verbs.add_parser("try", help=t("cli_help.models_try"))
    try_.add_argument("id", metavar="ID")
    try_.add_argument("--conversation", type=int, metavar="ID",
                      help=t("cli_help.models_conversation"))
    try_.add_argument("--last", type=int, default=3, metavar="N",
                      help=t("cli_help.models_last"))
    try_.add_argument("--json", action="store_true", help=t("cli_help.json"))
    pin = sub.add_parser("pin", help=t("cli_help.pin"))
    pin_verbs = pin.add_subparsers(dest="verb", metavar="ACTION", required=True)
    show = pin_verbs.add_parser("show", help=t("cli_help.pin_show"))
    show.add_argument("--json", action="store_true", help=t("cli_help.json"))


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
    print(t("cli_models.memory", gb=f"{view.memory_gb:.1f}"))
    print(t("cli_models.speeds", cores=view.machine.cores,
            bandwidth=f"{view.machine.bandwidth_gbs:.1f}",
            comfortable=f"{COMFORTABLE_TOKENS_PER_S:g}"))
    for row in view.rows:
        marks = [t(f"cli_models.mark_{m}") for m, on in (("pinned", row.pinned),
                                                     ("installed", row.installed),
                                                     ("recommended", row.recommended)) if on]
        fit = t("cli_models.fits") if row.fits else t("cli_models.needs_memory")
        verified = "" if row.verified else t("cli_models.unverified")
        print(f"\n{row.id}  {row.name}{'  [' + ', '.join(marks) + ']' if marks else ''}")
        print("    " + t("cli_models.sizes", size=f"{row.size / 1e9:.2f}", ram=f"{row.ram:g}",
                          fit=fit, verified=verified))
        print("    " + t("cli_models.speed", tokens=rough(row.est_tokens_per_s),
                          first=rough(row.est_first_reply_s)))
        if row.languages:
            print("    " + t("cli_models.languages", languages=" ".join(row.languages),
                              licence=row.licence))
    return 0


def _install(args: argparse.Namespace) -> int:
    from companion.models import install
    from companion.models.download import DownloadCancelled
    from companion.models.progress import ProgressLine

    _where, settings, library, registry = _library_and_registry(args)
    entry = registry.get(args.id)
    line = ProgressLine(t("cli_models.downloading", id=entry.id))
    cancel = threading.Event()
    try:
        model = install.install(library, entry, registry, mirror=args.mirror or settings.mirror,
                                progress=line.update, cancel=cancel)
    except (KeyboardInterrupt, DownloadCancelled):
        line.finish()
        print(f"companion: {t('cli_models.download_stopped', id=entry.id)}", file=sys.stderr)
        return 130
    except ModelError:
        line.finish()
        raise
    line.finish(t("cli_models.installed_model", id=model.id, hash=model.short_hash) + " "
                + t("cli_models.use_hint", id=model.id))
    return 0


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from companion.models import install
    from companion.models.progress import ProgressLine

    _where, _settings, library, registry = _library_and_registry(args)
    source = Path(args.path).expanduser()
    line = ProgressLine(t("cli_models.copying", name=source.name))
    size = source.stat().st_size if source.is_file() else 0
    try:
        model = install.import_file(library, source, registry, model_id=args.model_id,
                                    progress=_hash_progress(line, size))
    except BaseException:
        line.finish()
        raise
    if model.verified:
        text = t("cli_models.imported", id=model.id)
    else:
        meta = model.metadata
        text = t("cli_models.imported_unverified" if meta.get("has_chat_template") else
                 "cli_models.imported_unverified_no_template", id=model.id,
                 hash=model.short_hash, architecture=meta.get("architecture"),
                 parameters=f"{meta.get('parameters'):,}", context=meta.get("context"))
    line.finish(text + " " + t("cli_models.use_hint", id=model.id))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from companion.models import install
    from companion.models.pinning import resolve_local
    from companion.models.progress import ProgressLine

    _where, _settings, library, registry = _library_and_registry(args)
    targets = [resolve_local(library, registry, args.id)] if args.id else library.all()
    if not targets:
        print(t("cli_models.none_installed"))
        return 0
    problems = 0
    for model in targets:
        line = ProgressLine(t("cli_models.checking", id=model.id))
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
            raise UsageError(t("cli_models.remove_needs_yes", id=model.id))
        question = t("cli_models.remove_question_pinned" if pinned else
                     "cli_models.remove_question", id=model.id, size=f"{model.size / 1e9:.2f}")
        if not confirmed(input(f"{question} [y/N] ")):
            print(t("cli_models.nothing_deleted"))
            return 0
    print(install.remove(library, model))
    return 0


def _describe(pin: Pin) -> str:
    return f"{pin.model_name} ({pin.model_id}, {pin.short_hash})"


def _back(before: Pin | None) -> str:
    """The way back, after a new pin (nothing for a first one)."""
    return " " + t("cli_models.rollback_hint", model=_describe(before)) if before else ""


def _field(name: str, value: object) -> None:
    """One line of `pin show`: the label in the person's language, values lined up (wide
    scripts take two cells a character)."""
    from rich.cells import cell_len

    label = t(f"cli_models.field_{name}")
    print(f"  {label}{' ' * max(1, 17 - cell_len(label))}{value}")


def _with_vault(args: argparse.Namespace, job: Callable[[Any, Any, Any], int],
                create: bool = False) -> int:
    """Open the vault for a job; only `use` may create it (a first pin on a new machine)."""
    from companion.cli.steps import open_vault, settings_for
    from companion.conversation import unlock

    where, settings = settings_for(args)
    if not create and unlock.needs_new_vault(where):
        raise UsageError(t("cli_models.no_vault", folder=where.data))
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
        print(t("cli_models.pinned_to", model=_describe(pin)) + _back(before))
        return 0

    return _with_vault(args, job, create=True)


def _accept_engine(_where: Any, settings: Any, vault: Any) -> int:
    from companion.conversation import pinned_model

    pin, before = pinned_model.accept_engine(vault, settings)
    print(t("cli_models.pinned_to_engine", name=pin.model_name, url=pin.engine_url,
            hash=pin.short_hash) + _back(before))
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from companion.models import pinning

    def job(where: Any, _settings: Any, vault: Any) -> int:
        now, left = pinning.rollback(where, vault)
        print(t("cli_models.rolled_back", model=_describe(now), left=_describe(left)))
        return 0

    return _with_vault(args, job)


def _try(args: argparse.Namespace) -> int:
    from companion.conversation.pinned_model import replay
    from companion.models import pinning

    if args.last < 1:
        raise UsageError(t("cli_models.last"))
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
            print(f"── {t('cli_models.you_wrote', n=n)} ──\n{pair.user_text}\n")
            print(f"── {t('cli_models.pinned_one', id=result.pin.model_id)} ──\n"
                  f"{pair.pinned}\n")
            print(f"── {t('cli_models.candidate', id=result.candidate_id)} ──\n"
                  f"{pair.candidate}\n")
        print(t("cli_models.tried", id=result.candidate_id))
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
            print(t("cli_models.nothing_pinned"))
            return 0
        pin = Pin.from_dict(current.data)
        print(t("cli_models.pinned_since", since=current.created_at, model=_describe(pin)))
        if pin.remote:
            _field("engine", t("cli_models.engine_checked", url=pin.engine_url))
        else:
            _field("model_sha256", pin.model_sha256)
            _field("file", pin.model_path)
        _field("chat_template", pin.chat_template_sha256[:12] or t("cli_models.none"))
        _field("persona", pin.persona_sha256[:12])
        _field("runtime", pin.runtime)
        _field("fingerprint", pin.fingerprint[:12])
        _field("sampling", ", ".join(f"{k}={v}" for k, v in pin.sampling.as_dict().items()))
        earlier = [r for r in rows if r.id != current.id]
        if earlier:
            print(t("cli_models.earlier_pins", n=len(earlier)))
        return 0

    return _with_vault(args, job)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"models": cmd_models,
                                                            "pin": cmd_pin}
