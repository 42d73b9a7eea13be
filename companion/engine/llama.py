"""The one place llama.cpp is touched (through llama-cpp-python).

One `Llama` stays alive for the whole session so its KV cache carries over between
turns: llama-cpp-python keeps the longest common prefix of the previous prompt, which
the prompt layout keeps stable, so each turn evaluates only the new tokens.
`_CountingLlama` counts what was really evaluated. No disk cache is ever set: it
would write conversations in plaintext.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import io
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from companion.domain import ModelInfo, SamplingParams, TurnStats
from companion.engine import chat_shape
from companion.engine.base import ChatMessage, PromptView
from companion.engine.prompt import fit
from companion.engine.reuse import TokenCache, shifted_span
from companion.engine.sampling import prefilter_k
from companion.engine.threads import AnyOf, physical_cores
from companion.errors import ModelError
from companion.i18n import t

log = logging.getLogger("companion.llama")

_LEVELS = {3: logging.WARNING, 4: logging.ERROR}  # ggml: 2 info, 3 warn, 4 error
_log_callback: Any = None  # kept alive for as long as llama.cpp may call it


def _route_llama_logs() -> None:
    """Send llama.cpp's warnings and errors to the app's log file, never to the terminal.

    Only lines at warning level and above are kept; llama.cpp does not put prompt text
    in those.
    """
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def _callback(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
        py_level = _LEVELS.get(level)
        if py_level is not None and log.isEnabledFor(py_level):
            log.log(py_level, "%s", text.decode("utf-8", errors="replace").rstrip())

    _log_callback = _callback
    llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))


def runtime_version() -> str:
    """Names the llama.cpp build: its Python binding's version and a hash of its build flags.

    The same weights can answer differently under another build (new kernels, other CPU
    features), so the pin records this and a change triggers the behaviour probe.
    """
    import hashlib

    import llama_cpp

    info = llama_cpp.llama_print_system_info()
    flags = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    build = hashlib.sha256(flags.encode("utf-8")).hexdigest()[:12]
    return f"llama-cpp-python {llama_cpp.__version__} (build {build})"


def gpu_offload_supported() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


@contextlib.contextmanager
def _quiet_python_stderr() -> Iterator[None]:
    """Swallow llama-cpp-python's own prints while loading (they describe the model only).

    llama-cpp-python's `verbose=False` would instead point file descriptors 1 and 2 at
    /dev/null while loading, which blanks a running TUI, so it is not used.
    """
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        yield


class LlamaEngine:
    """A loaded model that streams chat replies; not thread-safe, used by one worker."""

    def __init__(self, model: ModelInfo, llm: Any, formatter: Any, context_tokens: int) -> None:
        self.model = model
        self._llm = llm
        self._formatter = formatter
        self.context_tokens = context_tokens
        self.last_stats = TurnStats()
        self.gpu_offload = False
        self.shape = chat_shape.TemplateShape()
        self._in_use, self._closing = threading.RLock(), threading.Event()
        self._token_ids = TokenCache()

    @classmethod
    def load(cls, model: ModelInfo, *, context_tokens: int = 4096, gpu_layers: int = -1,
             embedding: bool = False, threads: int | None = None,
             flash_attn: bool = False) -> LlamaEngine:
        try:
            import llama_cpp
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelError(t("engine_errors.llama_not_installed", detail=exc)) from None
        _route_llama_logs()
        offload = gpu_offload_supported()

        class _CountingLlama(Llama):  # type: ignore[misc, valid-type]
            """Counts the tokens llama.cpp really evaluates (prompt suffix + generated)."""

            prompt_evaluated: int | None = None
            prompt_tokens = evaluated_total = sampled_total = shifted_total = 0

            def generate(self, tokens: Any, *args: Any, **kwargs: Any) -> Any:
                self.prompt_tokens = len(tokens)
                self.prompt_evaluated = None
                self.shift_to(list(tokens))
                return super().generate(tokens, *args, **kwargs)

            def shift_to(self, tokens: list[int]) -> None:
                """After `fit` cut old turns out, remove that span from the cache and shift
                the rest back (llama.cpp's context shift; see engine/reuse.py)."""
                old = list(self._input_ids[: self.n_tokens])
                span = shifted_span(old, tokens)
                if span is None or not llama_cpp.llama_memory_can_shift(self._ctx.memory):
                    return
                start, end = span
                if not self._ctx.kv_cache_seq_rm(0, start, end):
                    return
                self._ctx.kv_cache_seq_shift(0, end, self.n_tokens, start - end)
                kept = old[end:]
                self.input_ids[start:start + len(kept)] = kept
                self.n_tokens = start + len(kept)
                self.shifted_total += 1

            def prefill(self, tokens: list[int], cancel: threading.Event) -> None:
                """Evaluate `tokens` into the cache ahead of the next reply, a batch at a time
                so a reply that arrives first takes over within one batch."""
                self.shift_to(tokens)
                same = 0
                for a, b in zip(self._input_ids[: self.n_tokens], tokens, strict=False):
                    if a != b:
                        break
                    same += 1
                same = min(same, len(tokens) - 1)
                if same <= 0:
                    self.reset()
                    same = 0
                elif not self._ctx.kv_cache_seq_rm(-1, same, -1):
                    return
                self.n_tokens = same
                self._requires_eval = True
                for start in range(same, len(tokens), 64):
                    if cancel.is_set():
                        return
                    self.eval(tokens[start:start + 64])

            def eval(self, tokens: Any) -> None:
                if self.prompt_evaluated is None:
                    self.prompt_evaluated = len(tokens)
                self.evaluated_total += len(tokens)
                super().eval(tokens)

            def _init_sampler(self, **kwargs: Any) -> Any:
                """llama-cpp-python's chain with a wider top-k put first (engine/sampling.py)."""
                sampler = super()._init_sampler(**kwargs)
                k = prefilter_k(kwargs, self.last_n_tokens_size, self._n_vocab)
                if k:
                    chain = sampler.sampler
                    rest = [llama_cpp.llama_sampler_chain_remove(chain, 0)
                            for _ in range(llama_cpp.llama_sampler_chain_n(chain))]
                    for part in (llama_cpp.llama_sampler_init_top_k(k), *rest):
                        llama_cpp.llama_sampler_chain_add(chain, part)
                return sampler

            def sample(self, *args: Any, **kwargs: Any) -> Any:
                self.sampled_total += 1
                return super().sample(*args, **kwargs)

        try:
            with _quiet_python_stderr():
                llm = _CountingLlama(
                    model_path=model.path,
                    n_ctx=context_tokens,
                    n_threads=threads or physical_cores(), flash_attn=flash_attn,
                    n_gpu_layers=gpu_layers if offload else 0,
                    embedding=embedding,
                    verbose=True,
                )
        except (ValueError, RuntimeError, OSError):
            raise ModelError(t("engine_errors.llama_cannot_load", path=model.path)) from None
        llm.verbose = False
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(t("engine_errors.no_chat_template", path=model.path))
        eos_id = llm.token_eos()
        bos_id = llm.token_bos()
        formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=llm._model.token_get_text(eos_id) if eos_id != -1 else "",
            bos_token=llm._model.token_get_text(bos_id) if bos_id != -1 else "",
            stop_token_ids=[eos_id],
        )
        engine = cls(model, llm, formatter, llm.n_ctx())
        engine.gpu_offload = offload and gpu_layers != 0
        try:
            engine.shape = chat_shape.probe(engine._render_text)
        except ModelError:
            llm.close()
            raise
        return engine

    def reset_cache(self) -> None:
        """Forget the evaluated prompt, and wipe its KV data too (the lock relies on it)."""
        with self._in_use:
            self._llm.reset()
            self._llm._ctx.kv_cache_clear()
            self._token_ids.clear()

    def close(self) -> None:
        """Free the weights now (`try` loads two), once other threads let go of them."""
        self._closing.set()
        with self._in_use:
            self._llm.close()

    # prompt ---------------------------------------------------------------------------

    def _render_text(self, messages: list[ChatMessage]) -> str:
        return str(self._formatter(messages=messages).prompt)

    def _pieces(self, messages: list[ChatMessage]) -> list[tuple[str, bool]]:
        return chat_shape.pieces(self._render_text, chat_shape.normalise(messages, self.shape))

    def _tokenize(self, pieces: list[tuple[str, bool]]) -> list[int]:
        """The template's markup with special tokens; every message's words as plain text,
        so `<|im_start|>` typed in a journal stays characters, never a control token."""
        tokens: list[int] = []
        with self._in_use:
            if self._closing.is_set():
                raise ModelError(t("engine_errors.model_closed"))
            for text, is_content in pieces:
                tokens += self._token_ids.get(text, not is_content, lambda t=text, c=is_content:
                                              self._llm.tokenize(t.encode(), False, not c))
        return tokens

    def tokens_for(self, messages: list[ChatMessage]) -> list[int]:
        return self._tokenize(self._pieces(messages))

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return len(self.tokens_for(messages))

    def count_text(self, text: str) -> int:
        return len(self._tokenize([(text, True)]))

    def _fitted(self, messages: list[ChatMessage], budget: int) -> list[ChatMessage]:
        return fit(messages, budget, self.count_tokens, self.count_text)

    def view(self, messages: list[ChatMessage], max_tokens: int) -> PromptView:
        """Exactly what the model would be given for these messages."""
        import llama_cpp

        fitted = self._fitted(messages, self._budget(max_tokens))
        pieces = self._pieces(fitted)
        tokens = self._tokenize(pieces)
        vocab = self._llm._model.vocab
        control = sum(1 for t in tokens if llama_cpp.llama_vocab_is_control(vocab, t))
        return PromptView("".join(text for text, _ in pieces), len(tokens), control,
                          self.shape.as_dict())

    def warm(self, messages: list[ChatMessage], cancel: threading.Event,
             max_tokens: int = 256) -> int:
        """Evaluate the stable prefix of the next prompt now, while the person types, so
        the next reply evaluates only the newest message; returns the tokens cached."""
        with self._in_use:
            tokens = self.tokens_for(self._fitted(messages, self._budget(max_tokens)))
            before = self._llm.evaluated_total
            self._llm.prefill(tokens, AnyOf(cancel, self._closing))
        self.last_stats.extra["warmed_tokens"] = float(self._llm.evaluated_total - before)
        return int(self._llm.n_tokens)

    def _budget(self, max_tokens: int) -> int:
        budget = self.context_tokens - max_tokens
        return budget if budget >= 16 else self.context_tokens // 2

    def stream(
        self,
        messages: list[ChatMessage],
        params: SamplingParams,
        seed: int,
        cancel: threading.Event,
    ) -> Iterator[str]:
        started = time.perf_counter()  # first-token time includes rendering and tokenizing
        tokens = self.tokens_for(self._fitted(messages, self._budget(params.max_tokens)))
        if len(tokens) >= self.context_tokens:
            raise ModelError(t("engine_errors.message_too_long"))
        max_tokens = min(params.max_tokens, self.context_tokens - len(tokens))
        yield from self._generate(tokens, params, seed, max_tokens, cancel, started)

    def complete_json(self, messages: list[ChatMessage], schema: dict[str, Any], *,
                      seed: int, max_tokens: int = 1024,
                      cancel: threading.Event | None = None) -> Any:
        """A reply constrained by a JSON-schema grammar, parsed.

        The grammar guarantees well-formed JSON token by token, even from a small model;
        the schema's maxLength/maxItems keep it short enough to finish within max_tokens.
        """
        import json

        from llama_cpp.llama_grammar import LlamaGrammar

        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        params = SamplingParams(temperature=0.3, max_tokens=max_tokens)
        tokens = self.tokens_for(self._fitted(messages, self._budget(max_tokens)))
        text = "".join(self._generate(tokens, params, seed, max_tokens,
                                      cancel or threading.Event(), time.perf_counter(),
                                      grammar=grammar))
        try:
            # Grammar strings may hold raw control characters, which strict JSON refuses.
            return json.loads(text, strict=False)
        except ValueError:
            raise ModelError(t("engine_errors.structured_cut_short")) from None

    def _generate(self, tokens: list[int], params: SamplingParams, seed: int,
                  max_tokens: int, cancel: threading.Event, started: float,
                  grammar: Any = None) -> Iterator[str]:
        """Sample token by token and decode UTF-8 incrementally: llama-cpp-python's own
        streaming re-detokenizes the whole completion on every
        token (quadratic or worse in the reply length), so the loop is done here: one
        token in, at most one piece of text out, and a check of `cancel` in between.
        """
        import llama_cpp

        if self._closing.is_set():
            raise ModelError(t("engine_errors.model_closed"))
        self._in_use.acquire()  # released below; close() waits for it and stops us
        cancel = AnyOf(cancel, self._closing)  # type: ignore[assignment]
        llm = self._llm
        vocab = llm._model.vocab
        stats = TurnStats()
        self.last_stats = stats
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        evaluated_before, sampled_before = llm.evaluated_total, llm.sampled_total
        llm.set_seed(seed)
        tokens_out = llm.generate(
            tokens,
            top_k=params.top_k,
            top_p=params.top_p,
            min_p=params.min_p,
            temp=params.temperature,
            repeat_penalty=params.repeat_penalty,
            grammar=grammar,
        )
        produced = 0
        try:
            for token in tokens_out:
                if produced == 0:
                    stats.first_token_s = time.perf_counter() - started
                    stats.prompt_tokens = llm.prompt_tokens
                    stats.evaluated_tokens = llm.prompt_evaluated or 0
                    stats.reused_tokens = stats.prompt_tokens - stats.evaluated_tokens
                if cancel.is_set() or llama_cpp.llama_vocab_is_eog(vocab, token):
                    break
                produced += 1
                text = decoder.decode(llm.detokenize([token]))
                if text:
                    yield text
                if produced >= max_tokens or cancel.is_set():
                    break
            tail = decoder.decode(b"", final=True)
            if tail and not cancel.is_set():
                yield tail
        finally:
            tokens_out.close()
            self._in_use.release()
            stats.total_s = time.perf_counter() - started
            stats.generated_tokens = llm.sampled_total - sampled_before
            stats.extra["evaluated_total"] = float(llm.evaluated_total - evaluated_before)
