"""`companion say`: one message answered without the TUI, for scripts and quick use.

The person's words are saved before anything that can fail (loading the model, the
check-in, the reply); signs of crisis bring the support text before anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from companion.care.modes import MODES
from companion.errors import CompanionError, UsageError
from companion.i18n import t

if TYPE_CHECKING:
    from companion.care.boundaries import Decision
    from companion.care.safety import Signal
    from companion.care.support import SupportPanel
    from companion.conversation.session import Reply, Session
    from companion.memory.checkin import CheckIn
    from companion.paths import Paths


def add_parsers(sub: Any) -> None:
    say = sub.add_parser("say", help=t("cli_help.say"))
    say.add_argument("text", metavar="TEXT", nargs="?", help=t("cli_help.say_text"))
    say.add_argument("--new", action="store_true", help=t("cli_help.say_new"))
    say.add_argument("--json", action="store_true", help=t("cli_help.say_json"))
    say.add_argument("--mode", choices=MODES, help=t("cli_help.say_mode"))
    say.add_argument("--role", metavar="NAME", help=t("cli_help.say_role"))
    say.add_argument("--scene", metavar="TEXT", default="", help=t("cli_help.say_scene"))
    say.add_argument("--voices", metavar="A,B,C", help=t("cli_help.say_voices"))
    say.add_argument("--exercise", metavar="ID", help=t("cli_help.say_exercise"))
    say.add_argument("--continue-anyway", action="store_true",
                     help=t("cli_help.say_continue"))
    say.add_argument("--end", action="store_true", help=t("cli_help.say_end"))


def _read_message(text: str) -> str:
    if text != "-":
        return text
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(t("cli_say.not_utf8")) from None


def _mode_request(args: argparse.Namespace) -> tuple[str, dict[str, object] | None] | None:
    """The mode (and its setup) asked for on the command line, if any."""
    mode = args.mode
    if mode is None and (args.role or args.voices or args.exercise):
        mode = "rehearse" if args.role else "room" if args.voices else "exercise"
    if mode is None:
        return None
    if mode == "rehearse" and args.role:
        return mode, {"role": args.role, "scene": args.scene}
    if mode == "room" and args.voices:
        return mode, {"voices": args.voices.split(",")}
    if mode == "exercise" and args.exercise:
        return mode, {"exercise": args.exercise}
    return mode, None


def _say_json(session: Session, reply: Reply, check_in: CheckIn | None) -> dict[str, object]:
    message = reply.message
    labelled = [f"{m.speaker}: {m.content}" if m.speaker else m.content for m in reply.parts]
    status = reply.exercise or session.exercise_status()
    out: dict[str, object] = {
        "conversation_id": session.conversation_id,
        "message_id": message.id if message else None,
        "reply": "\n\n".join(labelled),
        "stopped": reply.stopped,
        "provenance": message.provenance.as_dict() if message and message.provenance else None,
        "recalled": [{"kind": r.kind, "id": r.item_id, "source": r.source,
                      "score": r.score} for r in reply.recalled],
        "check_in": {"commitment_id": check_in.commitment.id,
                     "message_id": check_in.message.id,
                     "text": check_in.message.content} if check_in else None,
        "stats": {
            "prompt_tokens": reply.stats.prompt_tokens,
            "evaluated_tokens": reply.stats.evaluated_tokens,
            "generated_tokens": reply.stats.generated_tokens,
            "first_token_s": round(reply.stats.first_token_s, 4),
            "tokens_per_second": round(reply.stats.tokens_per_second, 2),
        },
        "mode": reply.mode,
        "mode_now": session.mode().name,
        "model_calls": reply.model_calls
        + (1 if check_in is not None and session.engine is not None else 0),
        "speaker": message.speaker if message else None,
        "messages": [{"id": m.id, "speaker": m.speaker, "text": m.content}
                     for m in reply.parts],
    }
    if reply.mode == "room":
        out["voices"] = [{"voice": m.speaker, "text": m.content} for m in reply.parts]
    if reply.mode == "coach":
        out["steps"] = list(reply.steps) or session.proposed_steps()
    if reply.commitments:
        out["commitments"] = [{"id": c.id, "text": c.content, "due": c.due}
                              for c in reply.commitments]
    if status is not None:
        out["exercise"] = {"id": status.exercise.id, "title": status.exercise.title,
                           "step": status.step + 1, "steps": len(status.exercise.steps),
                           "finished": status.finished}
    return out


def _check_in_due(session: Session) -> bool:
    """Whether a new conversation will open with a check-in (`Session.check_in`'s test),
    so the person's words have to come after the question."""
    from companion.memory import checkin

    return checkin.choose(session.vault) is not None and session.mode().name != "journal"


def _support(where: Paths, session: Session,
             signal: Signal | None = None) -> SupportPanel | None:
    """What the support panel shows, when the newest message shows signs of crisis."""
    from companion.care import support

    if not (signal or session.crisis_signal()).fired:
        return None
    return support.panel(session.vault, session.settings,
                         support.user_lines_file(where.config))


def cmd_say(args: argparse.Namespace) -> int:
    from companion.cli.steps import open_vault, overrides, settings_for
    from companion.conversation import pinned_model
    from companion.conversation.session import Session

    where, settings = settings_for(args)
    text = _read_message(args.text) if args.text is not None else None
    if text is None and not (args.end or args.exercise):
        raise UsageError(t("cli_say.no_text"))
    if text is not None and not text.strip():
        raise UsageError(t("cli_say.empty"))
    requested = _mode_request(args)
    vault = open_vault(args, where)
    try:
        session = Session(vault, settings)
        starting = args.new or session.conversation_id is None
        if args.new:
            session.start_blank()
        if requested is not None:
            session.set_mode(*requested)
        if args.end and session.mode().name != "rehearse":
            raise UsageError(t("cli_say.no_rehearsal"))
        # The words are saved before any model is touched (llama.cpp can end a process).
        # Only when a check-in will open the new conversation do they wait, as the draft
        # (in the vault all the same), until the question is posted.
        early = text is not None and not (starting and _check_in_due(session))
        if early:
            session.add_user_message(text)
        elif text is not None:
            session.save_draft(text)
        try:
            loaded = pinned_model.load(where, vault, settings, cli_model=args.model,
                                       overrides=overrides(args))
            if loaded is not None:
                for notice in loaded.notices:
                    print(f"companion: {notice}", file=sys.stderr)
                session.engine = loaded.engine
                session.settings = replace(settings, sampling=loaded.sampling)
            # A new conversation opens with a check-in on a commitment that fell due.
            check_in = session.check_in() if starting and not early else None
        finally:
            if text is not None and not early:  # whatever happened above, the words are saved
                session.add_user_message(text)
        if check_in is not None and not args.json:
            print(check_in.message.content + "\n")
        support = _support(where, session) if text is not None else None
        if support is not None and not args.json:
            print(support.as_text(), file=sys.stderr)  # before anything else can fail
        if loaded is None and not (args.end or args.exercise) and session.needs_model():
            if support is not None and args.json:
                print(support.as_text(), file=sys.stderr)
            raise _no_model()
        limits = _limits(session, args, crisis=support is not None)
        reminder = _reminder(session, crisis=support is not None)
        if reminder and not args.json:
            print(f"companion: {reminder}", file=sys.stderr)
        if limits is not None and limits.hold:
            if args.json:
                print(json.dumps({"conversation_id": session.conversation_id, "reply": None,
                                  "held": True, "notice": limits.notice}, ensure_ascii=False))
            return 0
        cancel = threading.Event()
        started = [False]

        def show(piece: str) -> None:
            if not args.json:
                sys.stdout.write(piece)
                sys.stdout.flush()

        def part(speaker: str | None, _colour: str | None) -> None:
            """Room voices and rehearsal roles are labelled; parts are a blank line apart."""
            show(("\n\n" if started[0] else "") + (f"[{speaker}] " if speaker else ""))
            started[0] = True

        try:
            if args.end:
                reply = session.end_rehearsal(show, cancel, part)
            elif text is None:
                reply = session.start_exercise(args.exercise, show, cancel, part)
            else:
                reply = session.reply(show, cancel, part)
        except KeyboardInterrupt:
            if not args.json:
                sys.stdout.write("\n")
            print(f"companion: {t('cli_say.stopped')}", file=sys.stderr)
            return 130
        checked = session.second_opinion() if text is not None else None  # after the reply
        raised = checked is not None and checked.fired and support is None  # by the model
        if raised:
            support = _support(where, session, checked)
            if support is not None and not args.json:
                print(("\n" if started[0] else "") + support.as_text(), file=sys.stderr)
        if args.json:
            out = _say_json(session, reply, check_in)
            if checked is not None:
                out["second_opinion"] = {"level": checked.level, "checked": checked.checked,
                                         "raised": raised}
            if support is not None:
                out["support"] = support.as_dict()
            if limits is not None and limits.notice:
                out["notice"] = limits.notice
            if reminder:
                out["reminder"] = reminder
            print(json.dumps(out, ensure_ascii=False))
        elif started[0]:
            sys.stdout.write("\n")
        return 0
    finally:
        vault.close()


def _limits(session: Session, args: argparse.Namespace, *, crisis: bool) -> Decision | None:
    """The limits the person set apply here too: a pause after the daily limit holds the
    reply (the message is saved) unless they say to continue; a crisis is never held."""
    from companion.care.boundaries import Boundaries

    limits = Boundaries(session.settings, session.vault)
    if args.continue_anyway:
        limits.continue_anyway()
    decision = limits.before_reply(crisis=crisis)
    if decision.notice and not args.json:
        print(f"companion: {decision.notice}", file=sys.stderr)
    return decision


def _reminder(session: Session, *, crisis: bool) -> str | None:
    """"A program, not a person", at a start and every three hours of use
    (`care/ai_reminder.py`); never beside a crisis reply."""
    from datetime import datetime

    from companion.care import ai_reminder

    now = datetime.now().astimezone()
    return ai_reminder.check(session.vault, session.settings, now, crisis=crisis)


def _no_model() -> CompanionError:
    from companion.errors import ModelError

    return ModelError(t("cli_say.no_model"))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"say": cmd_say}
