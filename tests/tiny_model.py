"""A throwaway llama-architecture GGUF model that tests build on the fly.

Tests must exercise the real llama.cpp runtime (loading, tokenizing, chat
templating, streaming, sampling, grammars, embeddings) but cannot download a
model. The model written here is random noise, yet structurally complete: a
byte-level BPE vocabulary that can encode any UTF-8 text, ChatML control
tokens and chat template, and llama weights small enough (~0.5 MB) to write
and run in milliseconds.
"""

from __future__ import annotations

import pathlib
from typing import Final

import gguf
import numpy as np

N_EMBD: Final = 64
N_LAYER: Final = 2
N_HEAD: Final = 4
N_HEAD_KV: Final = 2
N_FF: Final = 128
HEAD_DIM: Final = N_EMBD // N_HEAD

# A handful of merges, so the tokenizer really runs BPE rather than emitting
# only single-byte tokens. "Ġ" is the GPT-2 stand-in for a space byte.
MERGES: Final = (
    "Ġ t",
    "h e",
    "i n",
    "Ġ a",
    "e r",
    "o n",
    "r e",
    "Ġt he",
    "a n",
    "Ġ s",
)
CONTROL_TOKENS: Final = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

# The ChatML template as shipped with Qwen models (minus the default system
# prompt, which callers supply themselves).
CHAT_TEMPLATE: Final = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map.

    llama.cpp's BPE tokenizer looks tokens up by these characters, so every
    byte must appear in the vocabulary under its mapped form for arbitrary
    UTF-8 to round-trip.
    """
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def vocabulary(special: tuple[str, ...] = CONTROL_TOKENS) -> list[str]:
    """Token texts in id order: 256 byte tokens, merged tokens, control tokens."""
    byte_tokens = [_bytes_to_unicode()[b] for b in range(256)]
    return byte_tokens + [m.replace(" ", "") for m in MERGES] + list(special)


def _tensors(
    rng: np.random.Generator, n_vocab: int, control_ids: list[int]
) -> dict[str, np.ndarray]:
    """Random llama weights in GGUF (numpy row-major, i.e. reversed ggml) shapes."""

    def mat(rows: int, cols: int, std: float) -> np.ndarray:
        return rng.normal(0.0, std, size=(rows, cols)).astype(np.float32)

    ones = np.ones(N_EMBD, dtype=np.float32)
    out = mat(n_vocab, N_EMBD, 0.3)
    # Zeroing the control-token rows pins their logits at 0 while ordinary
    # tokens spread over roughly +-5, so the model almost never ends a reply
    # by itself; callers bound replies with max_tokens instead. Grammar
    # sampling can still select <|im_end|> once it is the only legal token.
    out[control_ids] = 0.0
    tensors = {
        "token_embd.weight": mat(n_vocab, N_EMBD, 1.0),
        "output_norm.weight": ones,
        "output.weight": out,
    }
    kv_dim = N_HEAD_KV * HEAD_DIM
    for i in range(N_LAYER):
        tensors |= {
            f"blk.{i}.attn_norm.weight": ones,
            f"blk.{i}.attn_q.weight": mat(N_EMBD, N_EMBD, 0.2),
            f"blk.{i}.attn_k.weight": mat(kv_dim, N_EMBD, 0.2),
            f"blk.{i}.attn_v.weight": mat(kv_dim, N_EMBD, 0.2),
            f"blk.{i}.attn_output.weight": mat(N_EMBD, N_EMBD, 0.1),
            f"blk.{i}.ffn_norm.weight": ones,
            f"blk.{i}.ffn_gate.weight": mat(N_FF, N_EMBD, 0.2),
            f"blk.{i}.ffn_up.weight": mat(N_FF, N_EMBD, 0.2),
            f"blk.{i}.ffn_down.weight": mat(N_EMBD, N_FF, 0.1),
        }
    return tensors


def write_tiny_gguf(path: pathlib.Path, *, seed: int = 0, n_ctx: int = 4096,
                    chat_template: str = CHAT_TEMPLATE,
                    special: tuple[str, ...] = CONTROL_TOKENS,
                    bos: str = "<|endoftext|>", eos: str = "<|im_end|>",
                    eot: str = "<|im_end|>", ascii_only: bool = False) -> pathlib.Path:
    """Write a tiny random llama model to ``path`` and return ``path``.

    `ascii_only` gives the byte tokens 0x80-0xFF the control tokens' zero logits, so the
    model (almost) never writes broken UTF-8: servers that hold text back until it
    decodes (llama-cpp-python's) then stream it as they would a real model's.

    By default it speaks ChatML; `chat_template`, `special` (its control tokens) and
    the `bos`/`eos`/`eot` texts let a test carry a real model's template and markup.
    The output is a pure function of the arguments: equal arguments give
    byte-identical files, different seeds give different weights (and a different
    ``general.name``), which lets tests tell two "models" apart.
    """
    path = pathlib.Path(path)
    tokens = vocabulary(special)
    control_ids = [tokens.index(t) for t in special]
    quiet_ids = control_ids + (list(range(0x80, 0x100)) if ascii_only else [])
    types = [gguf.TokenType.NORMAL] * (len(tokens) - len(special))
    types += [gguf.TokenType.CONTROL] * len(special)

    writer = gguf.GGUFWriter(path, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_name(f"tiny-test-{seed}")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_context_length(n_ctx)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_vocab_size(len(tokens))
    # Without a pooling type, Llama.embed() returns one vector per token;
    # mean pooling makes it return a single n_embd vector like a real
    # embedding model does. Generation ignores it.
    writer.add_pooling_type(gguf.PoolingType.MEAN)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(list(MERGES))
    writer.add_bos_token_id(tokens.index(bos))
    writer.add_eos_token_id(tokens.index(eos))
    writer.add_eot_token_id(tokens.index(eot))
    writer.add_pad_token_id(tokens.index(bos))
    writer.add_add_bos_token(False)
    writer.add_chat_template(chat_template)

    rng = np.random.default_rng(seed)
    for name, data in _tensors(rng, len(tokens), quiet_ids).items():
        writer.add_tensor(name, data)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
