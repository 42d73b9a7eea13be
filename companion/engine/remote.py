"""The person's own llama.cpp server (or Ollama, or llama-cpp-python's) as the engine.

It speaks the OpenAI-compatible chat API that all three serve, through the same
`ChatEngine` interface as the local model, so every mode, recall, consolidation and
`companion prompt` work unchanged. What differs, and why:

- The server renders its own chat template and tokenizes the whole prompt itself, so
  words cannot be kept apart from markup by token type as `engine/llama.py` does.
  Instead every message's words are defused (`defuse`): a zero-width word joiner after
  the `<` or `[` of anything shaped like template markup, so `<|im_end|>` typed in a
  journal reaches the tokenizer as characters. The stored words are never changed.
- The app's layout is normalised into the one shape every template accepts
  (`chat_shape.normalise`); a server whose template refuses the system role says so
  in its error, and the system text then goes into the first user turn.
- Old turns are dropped by `prompt.fit` against the server's context (from `/props`
  where the server reports it), counting a token per three UTF-8 bytes: generous for
  most scripts, so a fitted prompt does not overflow.
- `cache_prompt` keeps the shared prefix on llama-server; llama-cpp-python's server
  keeps the longest common prefix by itself.
- Before each reply the server's model id is asked again (one small request); a
  different id calls `on_model_change`, which re-runs the pin's behaviour probe.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from companion.domain import ModelInfo, SamplingParams, TurnStats
from companion.engine import chat_shape
from companion.engine.base import ChatMessage, PromptView
from companion.engine.prompt import MESSAGE_OVERHEAD, fit
from companion.engine.remote_address import Endpoint, Resolver, check_engine_url, system_resolver
from companion.engine.remote_http import EngineFailure, Http
from companion.errors import ModelError, UsageError
from companion.i18n import t

JOINER = "\u2060"
_MARKUP = re.compile(
    r"<(?=\|)"  # <|im_start|>, <|eot_id|>, <|end|>
    r"|<(?=/?[A-Za-z_][A-Za-z0-9_.:-]{0,40}>)"  # <start_of_turn>, </s>, <bos>
    r"|\[(?=/?(?:INST|SYS|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\])"  # Mistral, Llama 2
    r"|<<(?=/?SYS>>)"
)


def defuse(text: str) -> str:
    """Words that look like template markup, made unable to open or close a turn."""
    return _MARKUP.sub(lambda m: m.group(0) + JOINER, text)


def _count(text: str) -> int:
    return len(text.encode("utf-8")) // 3 + 1


def _pick_model(data: Any, wanted: str, url: str) -> str:
    ids = [str(m.get("id", "")) for m in (data or {}).get("data", []) if isinstance(m, dict)]
    ids = [i for i in ids if i]
    if wanted:
        if wanted in ids or not ids:
            return wanted
        raise UsageError(t("engine_errors.engine_no_such_model", url=url, wanted=repr(wanted),
                           offered=", ".join(ids[:5])))
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise ModelError(t("engine_errors.engine_no_model", url=url))
    raise UsageError(t("engine_errors.engine_several_models", url=url,
                       offered=", ".join(ids[:5])))


class RemoteEngine:
    """Replies from the person's own server; one request at a time, like the local one."""

    def __init__(self, endpoint: Endpoint, http: Http, model_id: str, *, pick: str = "",
                 context_tokens: int = 4096, template: str = "") -> None:
        self.endpoint = endpoint
        self.http = http
        self.pick = pick
        self.context_tokens = context_tokens
        self.template = template
        self.model = ModelInfo(
            path=endpoint.url, sha256="", name=model_id, size=0,
            chat_template_sha256=hashlib.sha256(template.encode()).hexdigest() if template
            else "", engine_url=endpoint.url)
        self.last_stats = TurnStats()
        self.shape = chat_shape.TemplateShape()
        self.gpu_offload = False
        self.on_model_change: Callable[[str], None] | None = None
        self._fresh = False
        self._checking = threading.Lock()

    @classmethod
    def connect(cls, url: str, *, allow_plain_lan: bool = False, context_tokens: int = 4096,
                model: str = "", resolve: Resolver = system_resolver) -> RemoteEngine:
        """Check the address, then ask the server which model it serves and its context."""
        endpoint = check_engine_url(url, allow_plain_lan=allow_plain_lan, resolve=resolve)
        http = Http(endpoint)
        model_id = _pick_model(http.json("/v1/models"), model, endpoint.url)
        props = http.json("/props", missing_ok=True)
        props = props if isinstance(props, dict) else {}
        template = str(props.get("chat_template") or "")
        settings = props.get("default_generation_settings")
        n_ctx = settings.get("n_ctx") if isinstance(settings, dict) else None
        context = int(n_ctx) if isinstance(n_ctx, int) and n_ctx > 0 else context_tokens
        return cls(endpoint, http, model_id, pick=model, context_tokens=context,
                   template=template)

    # what the ChatEngine protocol asks ------------------------------------------------

    def reset_cache(self) -> None:
        """The next request evaluates from scratch (`cache_prompt: false` on llama-server),
        so the behaviour probe is computed the same way every time."""
        self._fresh = True

    def close(self) -> None:
        """Nothing is held open between requests."""

    def served_model(self) -> str:
        return _pick_model(self.http.json("/v1/models"), self.pick, self.endpoint.url)

    def _check_model(self) -> None:
        """Ask the server which model it serves now; a change is for the pin to judge."""
        if not self._checking.acquire(blocking=False):
            return  # the pin's own probe, running inside on_model_change
        try:
            now = self.served_model()
            if now == self.model.name:
                return
            if self.on_model_change is None:
                raise ModelError(t("engine_errors.engine_model_changed", url=self.endpoint.url,
                                   was=self.model.name, now=now))
            self.on_model_change(now)
            self.model = ModelInfo(path=self.model.path, sha256="", name=now, size=0,
                                   chat_template_sha256=self.model.chat_template_sha256,
                                   engine_url=self.endpoint.url)
        finally:
            self._checking.release()

    def _fitted(self, messages: list[ChatMessage], max_tokens: int) -> list[ChatMessage]:
        budget = self.context_tokens - max_tokens
        budget = budget if budget >= 16 else self.context_tokens // 2

        def count(fitted: list[ChatMessage]) -> int:
            return sum(_count(m["content"]) + MESSAGE_OVERHEAD for m in fitted)

        return fit(messages, budget, count, _count)

    def wire_messages(self, messages: list[ChatMessage], max_tokens: int) -> list[ChatMessage]:
        """The messages as sent: fitted, in the one accepted shape, words defused."""
        shaped = chat_shape.normalise(self._fitted(messages, max_tokens), self.shape)
        return [{"role": m["role"], "content": defuse(m["content"])} for m in shaped]

    def view(self, messages: list[ChatMessage], max_tokens: int) -> PromptView:
        """The prompt as the server renders it where it can say (llama-server's
        /apply-template), else the messages as sent; tokens as the server counts them."""
        wire = self.wire_messages(messages, max_tokens)
        applied = self.http.json("/apply-template", {"messages": wire}, missing_ok=True)
        if isinstance(applied, dict) and isinstance(applied.get("prompt"), str):
            text = applied["prompt"]
        else:
            text = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in wire)
        tokens = self._server_tokens(text)
        shape = {**self.shape.as_dict(), "remote": True}
        return PromptView(text, tokens if tokens is not None else _count(text), 0, shape)

    def _server_tokens(self, text: str) -> int | None:
        for path, body in (("/tokenize", {"content": text}), ("/extras/tokenize",
                                                              {"input": text})):
            try:
                data = self.http.json(path, body, missing_ok=True)
            except EngineFailure:
                continue
            if isinstance(data, dict) and isinstance(data.get("tokens"), list):
                return len(data["tokens"])
        return None

    def warm(self, messages: list[ChatMessage], cancel: threading.Event,
             max_tokens: int = 256) -> int:
        """Nothing ahead of time: the server keeps the prefix from the last reply."""
        return 0

    def _body(self, wire: list[ChatMessage], params: SamplingParams, seed: int,
              max_tokens: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": wire, "stream": True, "max_tokens": max_tokens, "n_predict": max_tokens,
            "temperature": params.temperature, "top_p": params.top_p, "top_k": params.top_k,
            "min_p": params.min_p, "repeat_penalty": params.repeat_penalty, "seed": seed,
            "cache_prompt": not self._fresh,
        }
        if self.pick:
            body["model"] = self.pick
        self._fresh = False
        return body

    def stream(self, messages: list[ChatMessage], params: SamplingParams, seed: int,
               cancel: threading.Event) -> Iterator[str]:
        yield from self._run(messages, params, seed, cancel, {})

    def _run(self, messages: list[ChatMessage], params: SamplingParams, seed: int,
             cancel: threading.Event, extra: dict[str, Any]) -> Iterator[str]:
        started = time.perf_counter()
        self._check_model()
        stats = TurnStats()
        self.last_stats = stats
        body = self._body(self.wire_messages(messages, params.max_tokens), params, seed,
                          params.max_tokens) | extra
        produced = 0
        try:
            for event in self._events(body, messages, params, cancel):
                timings = event.get("timings")
                if isinstance(timings, dict):
                    stats.prompt_tokens = int(timings.get("prompt_n", 0) or 0)
                    stats.reused_tokens = int(timings.get("cache_n", 0) or 0)
                    stats.evaluated_tokens = stats.prompt_tokens
                    stats.prompt_tokens += stats.reused_tokens
                for choice in event.get("choices") or []:
                    delta = choice.get("delta") or {}
                    text = delta.get("content") if isinstance(delta, dict) else None
                    if text:
                        if produced == 0:
                            stats.first_token_s = time.perf_counter() - started
                        produced += 1
                        yield str(text)
                if cancel.is_set():
                    return
        finally:
            stats.total_s = time.perf_counter() - started
            stats.generated_tokens = produced

    def _events(self, body: dict[str, Any], messages: list[ChatMessage],
                params: SamplingParams, cancel: threading.Event) -> Iterator[dict[str, Any]]:
        try:
            yield from self.http.events("/v1/chat/completions", body, cancel)
        except EngineFailure as exc:
            refused_system = exc.status >= 400 and "system" in exc.detail.lower()
            if not (refused_system and self.shape.system):
                raise
            self.shape = chat_shape.TemplateShape(system=False, system_middle=False,
                                                  system_after_user=False)
            body = body | {"messages": self.wire_messages(messages, params.max_tokens)}
            yield from self.http.events("/v1/chat/completions", body, cancel)

    def complete_json(self, messages: list[ChatMessage], schema: dict[str, Any], *,
                      seed: int, max_tokens: int = 1024,
                      cancel: threading.Event | None = None) -> Any:
        """A reply held to `schema` by the server's own grammar support."""
        params = SamplingParams(temperature=0.3, max_tokens=max_tokens)
        extra = {"response_format": {"type": "json_object", "schema": schema},
                 "json_schema": schema}
        try:
            text = "".join(self._run(messages, params, seed, cancel or threading.Event(),
                                     extra))
        except EngineFailure as exc:
            if 400 <= exc.status < 500 and re.search(r"schema|response_format|grammar",
                                                     exc.detail, re.IGNORECASE):
                raise ModelError(t("engine_errors.engine_no_schema",
                                   url=self.endpoint.url)) from None
            raise
        try:
            return json.loads(text, strict=False)
        except ValueError:
            raise ModelError(t("engine_errors.engine_structured_bad")) from None
