"""Static int8 inference: the encoder's matrix products on 8-bit integers, batch-invariant.

torch's dynamic int8 quantisation (Grapevine before issue #14) takes one activation scale
per padded batch, so a text's labels moved with its neighbours. Here every Linear's input
range is fixed once, by calibration on training texts, and shipped with the weights
(``int8.json``). A token's 8-bit codes are then a function of its own values; the integer
products are exact (int32 sums do not depend on the order a kernel adds them in); and the
rescaling after the product is per element. So a text's logits do not depend on its
batch, as with bf16 — checked bit for bit by ``tests/nlp/test_invariance.py``.

Why it pays on this CPU (AVX-512 VNNI): oneDNN's u8 x s8 products run about twice as
fast as its bf16 products, and the products were three quarters of the bf16 forward pass.
The layers around them are arranged for the int8 products (``nlp.model._PackedLayer``,
revision 2): an fp32 residual stream, so codes come straight from it and each residual
is added in a product's epilogue (:meth:`Int8Linear.add`).

One Linear per layer needs care. The FFN's second Linear reads GELU outputs in which a
few channels run 10-70 times higher than the rest; one scale for all of them would give
the ordinary channels a handful of codes. Those channels (``Calibration.outliers``) keep
their bf16 product, a thin one added to the int8 product of the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

CALIBRATION_FILE = "int8.json"
LINEARS = ("qkv", "out", "up", "down")  # a packed encoder layer's four matrix products
OUTLIER_CHANNELS = 8  # per FFN output Linear, the input channels kept in bf16
CODES = 255  # uint8 activation codes 0..255
# The int8 forward's arithmetic, in the label version beside the calibration's digest:
# bump it whenever a change to the forward changes labels (r2: fp32 residual stream,
# residuals added in the products' epilogue, attention as batched products).
INT8_REVISION = 2


def available() -> bool:
    """Whether this torch build has oneDNN's static int8 Linear (x86 builds do)."""
    try:
        return bool(
            torch.backends.mkldnn.is_available()  # type: ignore[no-untyped-call]
            and hasattr(torch.ops.onednn, "qlinear_pointwise")
            and hasattr(torch.ops.onednn, "qlinear_prepack")
        )
    except (AttributeError, RuntimeError):
        return False


@dataclass(frozen=True)
class Calibration:
    """What static int8 needs beyond the weights: per encoder layer and Linear
    (``"3.up"``), the range of the inputs seen on the calibration texts, and for each FFN
    output Linear the input channels run in bf16."""

    ranges: dict[str, tuple[float, float]]
    outliers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    texts: int = 0  # how many texts it was measured on (for the record)

    def to_json(self) -> str:
        body = {
            "texts": self.texts,
            "ranges": {k: list(v) for k, v in sorted(self.ranges.items())},
            "outliers": {k: list(v) for k, v in sorted(self.outliers.items())},
        }
        return json.dumps(body, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        body = json.loads(text)
        ranges = {k: (float(v[0]), float(v[1])) for k, v in body["ranges"].items()}
        if any(not low <= 0.0 <= high or low == high for low, high in ranges.values()):
            raise ValueError("a calibration range must contain 0 and not be empty")
        outliers = {k: tuple(int(c) for c in v) for k, v in body.get("outliers", {}).items()}
        return cls(ranges, outliers, int(body.get("texts", 0)))

    def digest(self) -> str:
        """Part of the label version: another calibration gives other labels."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def save(self, directory: Path) -> None:
        (directory / CALIBRATION_FILE).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Calibration | None:
        """The directory's calibration, or None where it ships none (then bf16 runs)."""
        path = directory / CALIBRATION_FILE
        if not path.exists():
            return None
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise ValueError(
                f"{path} is not a calibration file ({error}); rebuild it with "
                "`grapevine calibrate`, or set [nlp] int8 = false"
            ) from error


@dataclass(frozen=True)
class Int8Linear:
    """A Linear on uint8 activation codes (fixed scale and zero point) and int8 weights
    (one scale per output row), run by oneDNN. It gives bf16, or with ``output`` the codes
    of the next Linear's input (requantised in the product's epilogue); ``gelu`` applies
    GELU (erf) in the epilogue first."""

    packed: torch.Tensor  # oneDNN's prepacked int8 weight
    weight_scales: torch.Tensor  # fp32 [out]
    weight_zero_points: torch.Tensor  # zeros [out]: symmetric weights
    bias: torch.Tensor  # fp32 [out]
    scale: float  # activation code step
    zero_point: int  # the code of 0.0
    gelu: bool
    output: tuple[float, int] | None  # (scale, zero point) of uint8 output codes

    @classmethod
    def of(
        cls,
        weight: torch.Tensor,
        bias: torch.Tensor,
        low: float,
        high: float,
        *,
        gelu: bool = False,
        output: tuple[float, int] | None = None,
        zero_columns: Sequence[int] = (),
    ) -> Int8Linear:
        """``zero_columns``: input channels whose product runs elsewhere (outliers)."""
        weight = weight.detach().float()
        if zero_columns:
            weight = weight.index_fill(1, torch.tensor(sorted(zero_columns)), 0.0)
        row_scales = (weight.abs().amax(1) / 127).clamp(min=1e-12)
        codes = torch.round(weight / row_scales[:, None]).clamp(-127, 127).to(torch.int8)
        scale, zero_point = codes_of(low, high)
        return cls(
            packed=torch.ops.onednn.qlinear_prepack(codes.contiguous(), None),
            weight_scales=row_scales.contiguous(),
            weight_zero_points=torch.zeros(weight.shape[0], dtype=torch.long),
            bias=bias.detach().float().contiguous(),
            scale=scale,
            zero_point=zero_point,
            gelu=gelu,
            output=output,
        )

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 codes of ``x``: floor(x / scale + zero point + 0.5), clamped to 0..255.

        Separate single-rounding steps on purpose: each is exactly rounded whether torch
        runs an element in its vector loop or its scalar tail, so an element's code never
        depends on where it falls in the tensor (a fused multiply-add might). In fp32 (a
        bf16 input is widened first, exactly): mixed bf16 x fp32 arithmetic takes a slow
        casting path. The codes go through int16: torch converts fp32 to int16 in its vector
        loop but to uint8 element by element (3.6x as slow here), and both truncate, so the
        codes are the same."""
        step = 1.0 / self.scale
        y = x.mul(step) if x.dtype == torch.float32 else x.float().mul_(step)
        y = y.add_(self.zero_point + 0.5).clamp_(0.0, float(CODES))
        return y.to(torch.int16).to(torch.uint8)

    def _product(self, codes: torch.Tensor) -> tuple[object, ...]:
        """oneDNN's first arguments: the input codes with their scale, the weights with theirs."""
        return (
            codes,
            self.scale,
            self.zero_point,
            self.packed,
            self.weight_scales,
            self.weight_zero_points,
        )

    def run(self, codes: torch.Tensor) -> torch.Tensor:
        """The product on input codes (``codes``, or an earlier Linear's ``output``)."""
        out_scale, out_zero_point = self.output or (1.0, 0)
        out: torch.Tensor = torch.ops.onednn.qlinear_pointwise(
            *self._product(codes),
            self.bias,
            out_scale,
            out_zero_point,
            torch.uint8 if self.output else torch.bfloat16,
            "gelu" if self.gelu else "none",
            [],
            "none" if self.gelu else "",
        )
        return out

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(self.codes(x))

    def add(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """``residual`` + the product of ``x``, in fp32: the residual is added in the
        product's epilogue (one pass over the output, an exact per-element fp32 sum) and
        ``residual`` is left as it was."""
        return self.add_codes(self.codes(x), residual)

    def add_codes(self, codes: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """:meth:`add` on input codes."""
        out: torch.Tensor = torch.ops.onednn.qlinear_pointwise.binary(
            *self._product(codes),
            residual,
            self.bias,
            1.0,
            0,
            torch.float32,
            1.0,
            0,
            "add",
            1.0,
            "none",
            [],
            "",
        )
        return out


def codes_of(low: float, high: float) -> tuple[float, int]:
    """(scale, zero point) of uint8 codes spanning low..high (a range around 0)."""
    scale = (high - low) / CODES
    return scale, round(-low / scale)


@dataclass(frozen=True)
class Int8FeedForward:
    """A BERT layer's feed-forward part in int8: up with GELU, giving down's input codes
    directly (no bf16 tensor of 1,536 channels in between), then down.

    The few GELU channels that run far above the rest (``Calibration.outliers``) would
    squeeze every other channel into a handful of codes; their weights in ``down`` are 0,
    and they run apart: ``spikes`` computes just those channels (the same input codes,
    GELU, bf16) and a thin bf16 product adds them in."""

    up: Int8Linear
    down: Int8Linear
    spikes: Int8Linear | None
    spike_weight: torch.Tensor | None  # prepacked bf16 [out, k]
    spike_bias: torch.Tensor | None  # bf16 zeros [out]

    @classmethod
    def of(
        cls,
        up: tuple[torch.Tensor, torch.Tensor],
        down: tuple[torch.Tensor, torch.Tensor],
        up_range: tuple[float, float],
        down_range: tuple[float, float],
        outliers: Sequence[int] = (),
    ) -> Int8FeedForward:
        down_codes = codes_of(*down_range)
        spikes = spike_weight = spike_bias = None
        if outliers:
            index = torch.tensor(sorted(outliers))
            spikes = Int8Linear.of(
                up[0].index_select(0, index), up[1].index_select(0, index), *up_range, gelu=True
            )
            thin = down[0].detach().index_select(1, index).to(torch.bfloat16).contiguous()
            spike_weight = torch.ops.mkldnn._reorder_linear_weight(thin)
            spike_bias = torch.zeros(down[0].shape[0], dtype=torch.bfloat16)
        return cls(
            up=Int8Linear.of(*up, *up_range, gelu=True, output=down_codes),
            down=Int8Linear.of(*down, *down_range, zero_columns=outliers),
            spikes=spikes,
            spike_weight=spike_weight,
            spike_bias=spike_bias,
        )

    def add(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """``residual`` + the feed-forward part of ``x``, in fp32 (see ``Int8Linear.add``)."""
        codes = self.up.codes(x)
        out = self.down.add_codes(self.up.run(codes), residual)
        if self.spikes is not None:
            spikes = torch.ops.mkldnn._linear_pointwise(
                self.spikes.run(codes), self.spike_weight, self.spike_bias, "none", [], ""
            )
            out.add_(spikes)
        return out


@dataclass
class Observer:
    """Wraps one bf16 Linear during calibration and records what its input spans."""

    linear: Callable[[torch.Tensor], torch.Tensor]
    low: float = 0.0
    high: float = 0.0
    channel_max: torch.Tensor | None = None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        values = x.float()
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))
        peaks = values.abs().amax(0)
        self.channel_max = (
            peaks if self.channel_max is None else torch.maximum(self.channel_max, peaks)
        )
        return self.linear(x)

    def outliers(self, count: int) -> tuple[int, ...]:
        if self.channel_max is None or count <= 0:
            return ()
        count = min(count, self.channel_max.numel() - 1)  # at least one channel stays int8
        return tuple(sorted(int(c) for c in torch.topk(self.channel_max, count).indices))

    def range_without(self, outliers: Sequence[int]) -> tuple[float, float]:
        """(low, high), the high end taken over the channels that stay int8. GELU outputs
        are never below about -0.17, so the low end needs no such care."""
        if not outliers or self.channel_max is None:
            return self.low, max(self.high, 1e-6)
        rest = self.channel_max.clone()
        rest[list(outliers)] = 0.0
        return self.low, max(float(rest.max()), 1e-6)


def summarise(observers: dict[str, Observer], texts: int, outlier_channels: int) -> Calibration:
    """The calibration the observers' records give."""
    ranges: dict[str, tuple[float, float]] = {}
    outliers: dict[str, tuple[int, ...]] = {}
    for key, observer in sorted(observers.items()):
        if key.endswith(".down") and outlier_channels > 0:
            outliers[key] = observer.outliers(outlier_channels)
            ranges[key] = observer.range_without(outliers[key])
        else:
            ranges[key] = (observer.low, max(observer.high, 1e-6))
    return Calibration(ranges, outliers, texts)
