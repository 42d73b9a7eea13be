"""The prompt layout, normalised for strict templates, and cut in stable blocks.

Pure functions with hand-written message lists; test_templates.py runs the same
through real templates and the real engine.
"""

from __future__ import annotations

import itertools

from companion.domain import Message
from companion.engine import chat_shape, prompt
from companion.engine.chat_shape import TemplateShape, normalise, pieces
from companion.engine.reuse import shifted_span

STRICT = TemplateShape(system=False, system_middle=False, assistants_in_row=False,
                       system_after_user=False)


def msg(n: int, role: str, text: str, speaker: str | None = None) -> Message:
    return Message(n, 1, role, text, "", speaker=speaker)  # type: ignore[arg-type]


def roles(messages: list) -> list[str]:
    return [m["role"] for m in messages]


def test_the_layout_keeps_the_stable_parts_first() -> None:
    history = [msg(1, "user", "hi"), msg(2, "assistant", "hello", "Mum"), msg(3, "user", "new")]
    built = prompt.build("SYS", history, [("memory #1", "x")], mode="MODE", cue="CUE",
                         summary="we talked")
    assert roles(built) == ["system", "system", "summary", "user", "assistant", "user",
                            "note", "note"]
    assert built[1]["content"] == "MODE" and built[4]["content"] == "Mum: hello"
    assert built[-2]["content"].startswith("Context") and built[-1]["content"] == "CUE"


def test_normalise_gives_one_system_and_alternating_turns() -> None:
    history = [msg(1, "user", "hi"), msg(2, "user", "are you there?"),
               msg(3, "assistant", "hello", "A"), msg(4, "assistant", "hey", "B"),
               msg(5, "user", "new"), msg(6, "assistant", "first voice", "A")]
    built = prompt.build("SYS", history, [("memory #1", "x")], mode="MODE", cue="CUE",
                         summary="ignored unless turns are dropped")
    out = normalise(built, TemplateShape())
    assert roles(out) == ["system", "user", "assistant", "user"]
    assert out[0]["content"] == "SYS\n\nMODE"
    assert out[1]["content"] == "hi\n\nare you there?"
    assert out[2]["content"] == "A: hello\n\nB: hey"
    newest = out[3]["content"]
    assert newest.startswith("new\n\n" + chat_shape.NOTES_HEADER)
    # what changes per call comes after the person's words: what the first voice already
    # said this round, the context, and the cue last
    assert newest.index("> A: first voice") < newest.index("Context") < newest.index("CUE")
    assert newest.endswith("CUE")
    assert "ignored unless" not in newest


def test_a_template_without_system_gets_it_in_the_first_user_turn() -> None:
    built = prompt.build("SYS", [msg(1, "assistant", "How did the call go?"),
                                 msg(2, "user", "fine")], mode="MODE")
    out = normalise(built, STRICT)
    # a check-in opened the conversation: a fixed user turn goes first
    assert roles(out) == ["user", "assistant", "user"]
    assert out[0]["content"] == f"SYS\n\nMODE\n\n{chat_shape.OPENING}"
    assert out[2]["content"] == "fine"


def test_notes_alone_make_a_user_turn() -> None:
    out = normalise([{"role": "system", "content": "S"}, {"role": "note", "content": "N"}],
                    TemplateShape())
    assert roles(out) == ["system", "user"] and out[1]["content"].endswith("N")


def test_pieces_tell_markup_from_words() -> None:
    def render(messages: list) -> str:
        return "".join(f"<|{m['role']}|>{m['content']}<|end|>" for m in messages) + "<|a|>"

    messages = [{"role": "system", "content": "be <|end|> kind"},
                {"role": "user", "content": "<|user|>hi"}]
    parts = pieces(render, messages)
    assert parts == [("<|system|>", False), ("be <|end|> kind", True),
                     ("<|end|><|user|>", False), ("<|user|>hi", True), ("<|end|><|a|>", False)]


def _grow(turns: int, words: int = 30) -> list:
    history = []
    for n in range(turns):
        history.append(msg(2 * n, "user", f"user {n} " + "word " * words))
        history.append(msg(2 * n + 1, "assistant", f"reply {n} " + "word " * words))
    return history


def test_fit_drops_old_turns_in_blocks_that_stay_put() -> None:
    def count(messages: list) -> int:
        return sum(len(m["content"].split()) + 4 for m in messages)

    def size(text: str) -> int:
        return len(text.split())

    budget = 400
    firsts = []
    for turns in range(2, 40):
        history = [*_grow(turns), msg(999, "user", "newest")]
        built = prompt.build("SYS", history, cue="CUE", summary="the summary")
        fitted = prompt.fit(built, budget, count, size)
        assert count(fitted) <= budget
        assert fitted[0]["content"] == "SYS" and fitted[-1]["content"] == "CUE"
        assert fitted[-2]["content"] == "newest"
        kept = [m for m in fitted if m["role"] in ("user", "assistant")]
        assert kept[0]["role"] == "user"
        dropped = len(kept) < 2 * turns + 1
        assert any(m["role"] == "system" and "the summary" in m["content"]
                   for m in fitted) == dropped
        assert not any(m["role"] == "summary" for m in fitted)
        firsts.append(kept[0]["content"])
    # the first kept message changes once per block (a few turns), not once per turn
    changed = [n for n, (a, b) in enumerate(itertools.pairwise(firsts)) if a != b]
    assert len(changed) >= 2
    assert all(later - earlier >= 2 for earlier, later in itertools.pairwise(changed))


def test_cut_points_do_not_move_as_the_conversation_grows() -> None:
    def size(text: str) -> int:
        return len(text.split())

    short = [{"role": m.role, "content": m.content} for m in _grow(10)]
    longer = [{"role": m.role, "content": m.content} for m in _grow(20)]
    a = prompt.cut_points(short, 100, size)[:-1]
    b = prompt.cut_points(longer, 100, size)
    assert b[: len(a)] == a and len(b) > len(a)
    assert all(longer[p]["role"] == "user" for p in b[1:-1])


def test_shifted_span_finds_the_dropped_block() -> None:
    old = list(range(100))
    new = old[:10] + old[40:] + [500, 501]
    assert shifted_span(old, new) == (10, 40)
    assert shifted_span(old, [*old, 7]) is None  # a plain extension: the prefix covers it
    assert shifted_span(old, old[:10] + [900] * 20) is None  # nothing worth keeping
