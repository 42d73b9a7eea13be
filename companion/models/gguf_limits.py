"""Reading a GGUF header under hard limits, before anything else touches the file.

A model file is untrusted input. The `gguf` package and llama.cpp both trust the
lengths written in a header: an array that claims 2^31 items made `GGUFReader` allocate
gigabytes, and `block_count = 1000000` ended the process inside llama.cpp with an
assertion. This reader parses the header itself with `struct`, reading only the bytes
it walks over, and refuses (`HeaderRefused`, with a short reason) as soon as a length,
a count or a hyperparameter leaves a sane range, so the time and memory it takes are
bounded by the limits below, never by what the file claims.

The limits are far above any real model (a 262k-token vocabulary is ~15 MB of header)
and at or below what llama.cpp itself asserts on (512 layers, 1024 experts).
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

MAX_HEADER = 64 * 2**20  # metadata and tensor infos together
MAX_STRING = 2**20
MAX_TEMPLATE = 256 * 2**10  # tokenizer.chat_template and its named variants
MAX_KEY = 1024
MAX_ARRAY = 1_000_000
MAX_ARRAY_ITEMS = 4_000_000  # all arrays together: the walk over them stays short
MAX_KV = 16_384
MAX_TENSORS = 100_000
MAX_DIMS = 4
MAX_TENSOR_NAME = 63  # GGML_MAX_NAME is 64 with the terminating NUL
KEPT_ARRAY = 4096  # numeric arrays this short keep their values (per-layer hyperparameters)
_CHUNK = 1 << 20

# value type → (struct format, size); 8 is a string, 9 an array
_SCALARS: dict[int, tuple[str, int]] = {
    0: ("<B", 1), 1: ("<b", 1), 2: ("<H", 2), 3: ("<h", 2), 4: ("<I", 4), 5: ("<i", 4),
    6: ("<f", 4), 7: ("<B", 1), 10: ("<Q", 8), 11: ("<q", 8), 12: ("<d", 8),
}
_STRING, _ARRAY, _BOOL = 8, 9, 7
_INTEGERS = {0, 1, 2, 3, 4, 5, 10, 11}
_FLOATS = {6, 12}

# `<arch>.KEY` → the inclusive range of every value (a scalar, or one per layer)
HYPERPARAMETERS: dict[str, tuple[int, int]] = {
    "block_count": (1, 512),  # LLAMA_MAX_LAYERS
    "context_length": (1, 16 * 2**20),
    "embedding_length": (1, 65_536),
    "feed_forward_length": (0, 2**20),
    "expert_feed_forward_length": (0, 2**20),
    "attention.head_count": (0, 4096),
    "attention.head_count_kv": (0, 4096),
    "attention.key_length": (0, 65_536),
    "attention.value_length": (0, 65_536),
    "rope.dimension_count": (0, 65_536),
    "expert_count": (0, 1024),  # LLAMA_MAX_EXPERTS
    "expert_used_count": (0, 1024),
    "vocab_size": (1, MAX_ARRAY),
}
_ARCH = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


class HeaderRefused(Exception):
    """The header broke a limit; `str()` is a short reason, no full stop."""


@dataclass(frozen=True)
class ArrayInfo:
    """An array value: its item type and length; short numeric arrays keep their items."""

    item_type: int
    length: int
    items: tuple[int | float, ...] | None = None


Value = int | float | bool | str | ArrayInfo


@dataclass(frozen=True)
class Header:
    version: int
    metadata: dict[str, Value] = field(repr=False)
    tensor_count: int
    parameters: int
    data_offset: int

    def text(self, key: str) -> str | None:
        value = self.metadata.get(key)
        return value if isinstance(value, str) else None

    def integer(self, key: str) -> int | None:
        value = self.metadata.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Cursor:
    """Sequential reads from the file, never past its end or past MAX_HEADER."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self._handle = handle
        self._size = size
        self._buf = b""
        self._at = 0
        self.pos = 0
        self.array_items = 0

    def take(self, n: int) -> bytes:
        if n > self._size - self.pos:
            raise HeaderRefused("the file ends in the middle of its header")
        if self.pos + n > MAX_HEADER:
            raise HeaderRefused("its header is larger than 64 MiB")
        if self._at + n > len(self._buf):
            rest = self._buf[self._at:]
            more = self._handle.read(max(n - len(rest), _CHUNK))
            self._buf, self._at = rest + more, 0
            if len(self._buf) < n:
                raise HeaderRefused("the file ends in the middle of its header")
        out = self._buf[self._at:self._at + n]
        self._at += n
        self.pos += n
        return out

    def unpack(self, fmt: str, size: int) -> int | float:
        value: int | float = struct.unpack(fmt, self.take(size))[0]
        return value

    def u32(self) -> int:
        return int(self.unpack("<I", 4))

    def u64(self) -> int:
        return int(self.unpack("<Q", 8))

    def raw_string(self, limit: int, what: str) -> bytes:
        length = self.u64()
        if length > limit:
            raise HeaderRefused(f"{what} is {length} bytes long, over the limit of {limit}")
        return self.take(length)


def _string(cursor: _Cursor, limit: int, what: str) -> str:
    return cursor.raw_string(limit, what).decode("utf-8", "replace")


def _value(cursor: _Cursor, kind: int, key: str) -> Value:
    if kind in _SCALARS:
        value = cursor.unpack(*_SCALARS[kind])
        if kind == _BOOL:
            if value not in (0, 1):
                raise HeaderRefused(f"the value of {key} is not a boolean")
            return bool(value)
        return value
    if kind == _STRING:
        if key.startswith("tokenizer.chat_template"):
            raw = cursor.raw_string(MAX_TEMPLATE, f"the value of {key}")
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise HeaderRefused(f"the value of {key} is not UTF-8 text") from None
        return _string(cursor, MAX_STRING, f"the value of {key}")
    if kind == _ARRAY:
        return _array(cursor, key)
    raise HeaderRefused(f"the value of {key} has an unknown type ({kind})")


def _array(cursor: _Cursor, key: str) -> ArrayInfo:
    item_type = cursor.u32()
    length = cursor.u64()
    if item_type == _ARRAY:
        raise HeaderRefused(f"{key} is an array of arrays")
    if item_type != _STRING and item_type not in _SCALARS:
        raise HeaderRefused(f"{key} is an array of an unknown type ({item_type})")
    if length > MAX_ARRAY:
        raise HeaderRefused(f"{key} claims {length} items, over the limit of {MAX_ARRAY}")
    cursor.array_items += length
    if cursor.array_items > MAX_ARRAY_ITEMS:
        raise HeaderRefused(f"its arrays hold more than {MAX_ARRAY_ITEMS} items together")
    if item_type == _STRING:
        for _ in range(length):
            cursor.raw_string(MAX_STRING, f"an item of {key}")
        return ArrayInfo(item_type, length)
    fmt, size = _SCALARS[item_type]
    data = cursor.take(size * length)
    if length > KEPT_ARRAY:
        return ArrayInfo(item_type, length)
    items = tuple(v for (v,) in struct.iter_unpack(fmt, data))
    return ArrayInfo(item_type, length, items)


def read_header(handle: BinaryIO, size: int) -> Header:
    """Parse and check the header of the GGUF file open as `handle` (`size` bytes long)."""
    cursor = _Cursor(handle, size)
    if cursor.take(4) != b"GGUF":
        raise HeaderRefused("it does not start with the GGUF magic bytes")
    version = cursor.u32()
    if version not in (2, 3):
        raise HeaderRefused(f"it is GGUF version {version}, and only versions 2 and 3 are read")
    tensor_count, kv_count = cursor.u64(), cursor.u64()
    if tensor_count > MAX_TENSORS:
        raise HeaderRefused(f"it claims {tensor_count} tensors, over the limit of {MAX_TENSORS}")
    if kv_count > MAX_KV:
        raise HeaderRefused(f"it claims {kv_count} metadata keys, over the limit of {MAX_KV}")
    if tensor_count * 33 + kv_count * 14 > size:  # the smallest possible entries
        raise HeaderRefused("its counts of keys and tensors do not fit in the file")
    metadata: dict[str, Value] = {}
    for _ in range(kv_count):
        raw = cursor.raw_string(MAX_KEY, "a metadata key")
        try:
            key = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise HeaderRefused("a metadata key is not UTF-8 text") from None
        if key in metadata:
            raise HeaderRefused(f"the key {key} appears twice")
        metadata[key] = _value(cursor, cursor.u32(), key)
    alignment = metadata.get("general.alignment", 32)
    if (not isinstance(alignment, int) or isinstance(alignment, bool) or alignment <= 0
            or alignment & (alignment - 1) or alignment > 2**20):
        raise HeaderRefused("its general.alignment is not a power of two up to 1 MiB")
    parameters, end = _tensors(cursor, tensor_count, alignment)
    data_offset = -(-cursor.pos // alignment) * alignment if tensor_count else cursor.pos
    if data_offset + end > size:
        raise HeaderRefused("its tensors reach past the end of the file")
    header = Header(version, metadata, tensor_count, parameters, data_offset)
    check_hyperparameters(header)
    return header


def _tensors(cursor: _Cursor, count: int, alignment: int) -> tuple[int, int]:
    """Walk the tensor infos: (total elements, end of the last tensor's data)."""
    from gguf.constants import GGML_QUANT_SIZES

    sizes = {int(kind): size for kind, size in GGML_QUANT_SIZES.items()}
    names: set[str] = set()
    parameters = expected = end = 0
    for _ in range(count):
        name = _string(cursor, MAX_TENSOR_NAME, "a tensor name")
        if not name or name in names:
            raise HeaderRefused(f"the tensor name {name!r} is empty or appears twice")
        names.add(name)
        n_dims = cursor.u32()
        if not 1 <= n_dims <= MAX_DIMS:
            raise HeaderRefused(f"the tensor {name} has {n_dims} dimensions")
        elements = 1
        dims = [cursor.u64() for _ in range(n_dims)]
        for dim in dims:
            if dim < 1 or elements * dim >= 2**62:
                raise HeaderRefused(f"the tensor {name} has an impossible shape")
            elements *= dim
        kind, offset = cursor.u32(), cursor.u64()
        if kind not in sizes:
            raise HeaderRefused(f"the tensor {name} has an unknown type ({kind})")
        block, type_size = sizes[kind]
        if dims[0] % block:
            raise HeaderRefused(f"the tensor {name} does not fill whole blocks of its type")
        nbytes = elements // block * type_size
        if offset != expected:
            raise HeaderRefused(f"the data of the tensor {name} is not where it should be")
        end = offset + nbytes
        expected = -(-end // alignment) * alignment
        parameters += elements
    return parameters, end


def _numbers(value: Value, key: str) -> tuple[int | float, ...]:
    """A hyperparameter's values: a scalar, or a short numeric array (one per layer)."""
    if isinstance(value, ArrayInfo):
        if value.items is None:
            raise HeaderRefused(f"{key} is not a number or a short list of numbers")
        return value.items
    if isinstance(value, bool | str):
        raise HeaderRefused(f"{key} is not a number")
    return (value,)


def check_hyperparameters(header: Header) -> None:
    """The numbers llama.cpp sizes its buffers by must be in ranges real models use."""
    meta = header.metadata
    arch = header.text("general.architecture")
    if arch is None or not _ARCH.fullmatch(arch):
        raise HeaderRefused("its general.architecture is missing or not a plain name")
    prefix = arch + "."
    for key, value in meta.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        if isinstance(value, float) and not math.isfinite(value):
            raise HeaderRefused(f"{key} is not a finite number")
        if name not in HYPERPARAMETERS:
            continue
        low, high = HYPERPARAMETERS[name]
        for number in _numbers(value, key):
            if isinstance(number, float) or not low <= number <= high:
                raise HeaderRefused(f"{key} is {number}, outside {low}..{high}")
    if f"{prefix}block_count" not in meta:
        raise HeaderRefused(f"{prefix}block_count is missing")
    experts = header.integer(f"{prefix}expert_count") or 0
    used = _numbers(meta.get(f"{prefix}expert_used_count", 0), f"{prefix}expert_used_count")
    if any(n > experts for n in used):
        raise HeaderRefused("it uses more experts per token than it has")
    _check_vocabulary(header, prefix)


def _check_vocabulary(header: Header, prefix: str) -> None:
    meta = header.metadata
    tokens = meta.get("tokenizer.ggml.tokens")
    if tokens is None:
        return
    if not isinstance(tokens, ArrayInfo) or tokens.item_type != _STRING or not tokens.length:
        raise HeaderRefused("tokenizer.ggml.tokens is not a list of token texts")
    for key in ("tokenizer.ggml.scores", "tokenizer.ggml.token_type"):
        other = meta.get(key)
        if other is not None and (not isinstance(other, ArrayInfo)
                                  or other.length != tokens.length):
            raise HeaderRefused(f"{key} does not have one entry per token")
    size = header.integer(f"{prefix}vocab_size")
    if size is not None and size != tokens.length:
        raise HeaderRefused(f"{prefix}vocab_size says {size} tokens but it lists {tokens.length}")
