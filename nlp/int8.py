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

import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.nn import functional

from nlp import ONEDNN_ISA

log = logging.getLogger(__name__)

CALIBRATION_FILE = "int8.json"
LINEARS = ("qkv", "out", "up", "down")  # a packed encoder layer's four matrix products
OUTLIER_CHANNELS = 8  # per FFN output Linear, the input channels kept in bf16
# On a CPU with AMX, uncapped (``nlp.ONEDNN_ISA``), oneDNN runs a "small" int8 product on
# AVX-512 VNNI and the rest on the AMX tiles, which apply the scales in another order: a
# short text alone got other bits than in a batch. oneDNN's rule (brgemm matmul, "small
# shapes"): at most 32 rows with rows x outputs <= 256, or at most 16 inputs; a shape rule,
# not a thread or cache one. So every product runs on at least MIN_ROWS rows (zero codes
# appended) and the outlier channels' product computes at least SPIKE_OUTPUTS outputs (zero
# weights appended): 32 x 16 = 512, and every other product of the model has 384 or more
# outputs, so all take the tiles at any size (measured up to 3,000 rows, every layer). The
# padding changes no bit where the kernels do not change with the size (``kernels_agree``
# checks that they do not).
MIN_ROWS = 32
SPIKE_OUTPUTS = 16
CODES = 255  # uint8 activation codes 0..255
ROWS = 512  # the largest product kernels_agree compares smaller ones with
# The int8 forward's arithmetic, in the label version beside the calibration's digest:
# bump it whenever a change to the forward changes labels (r2: fp32 residual stream,
# residuals added in the products' epilogue, attention as batched products).
INT8_REVISION = 2


@functools.cache
def weight_levels() -> int:
    """The int8 weight codes' range, +-levels: 127 where the CPU has VNNI, 63 elsewhere.

    Without VNNI (an AVX2-only CPU, or AVX-512 before Cascade Lake) oneDNN sums pairs of
    u8 x s8 products in int16, which saturates: 255 x 127 x 2 > 32,767, and measured here
    a third of a random product's outputs came out wrong, by up to 1.5. With 7-bit
    weights a pair stays within int16 (255 x 63 x 2 = 32,130), the int32 sums are exact
    again, and labels batch-invariant; they are other labels than 8-bit weights give, so
    the precision in the label version says ``w7`` (:func:`precision`)."""
    try:
        vnni = bool(torch.cpu._is_vnni_supported())
    except (AttributeError, RuntimeError):
        vnni = False
    return 127 if vnni else 63


def precision() -> str:
    """The int8 arithmetic in a label version: its revision, ``w7`` where the weights are
    7-bit (no VNNI) and ``amx`` where the products run on AMX tiles: each changes labels."""
    bits = "" if weight_levels() == 127 else "w7"
    return f"int8r{INT8_REVISION}{bits}{'amx' if amx() else ''}"


@functools.cache
def amx() -> bool:
    """Whether oneDNN runs the products on AMX tiles here (Intel Sapphire Rapids and
    later), unless ``ONEDNN_MAX_CPU_ISA`` caps it below them. The tiles round an int8
    product's rescaling, and sum a bf16 product, otherwise than AVX-512 VNNI does (an AMD
    Zen 4, or this CPU capped), so their labels are other labels (and come about 1.3x as
    fast: docs/nlp.md, "CPUs with AMX")."""
    try:
        tiles = bool(torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):
        return False
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "ALL").upper()
    return tiles and (cap == "ALL" or "AMX" in cap)


def has_ops() -> bool:
    """Whether this torch build has oneDNN's static int8 Linear (x86 builds do)."""
    try:
        return bool(
            torch.backends.mkldnn.is_available()  # type: ignore[no-untyped-call]
            and hasattr(torch.ops.onednn, "qlinear_pointwise")
            and hasattr(torch.ops.onednn, "qlinear_prepack")
        )
    except (AttributeError, RuntimeError):
        return False


@functools.cache
def available() -> bool:
    """Whether static int8 runs here: the ops exist and, on this CPU, give exact integer
    sums (``products_exact``). A CPU whose kernels fail that (or raise) labels with bf16
    products instead (``-bf16``) rather than with wrong or crashing int8 ones."""
    if not has_ops():
        return False
    try:
        exact = products_exact()
    except RuntimeError as error:
        log.warning("static int8 does not run on this CPU (%s): using bf16 products", error)
        return False
    if not exact:
        log.warning("static int8 sums are not exact on this CPU: using bf16 products")
    return exact


def products_exact() -> bool:
    """One small product at the extremes (every code 255 or 0, weights at +-levels, a
    BERT FFN's width) against its exact value: what saturating kernels get wrong."""
    generator = torch.Generator().manual_seed(5)
    weight = torch.randn(16, 1536, generator=generator)
    linear = Int8Linear.of(weight, torch.zeros(16), -1.0, 1.0)
    codes = torch.randint(0, 256, (4, 1536), dtype=torch.uint8, generator=generator)
    codes[:, ::2] = 255
    residual = torch.zeros(4, 16)
    got = linear.add_codes(codes, residual).double()
    levels = weight_levels()
    weight_codes = torch.round(weight / linear.weight_scales[:, None]).clamp(-levels, levels)
    inputs = (codes.double() - linear.zero_point) * linear.scale
    exact = inputs @ (weight_codes.double() * linear.weight_scales.double()[:, None]).T
    return bool(torch.allclose(got, exact, rtol=1e-5, atol=1e-4))


@functools.cache
def kernels_agree() -> bool:
    """Whether the int8 layers' products give a row the same bits in a batch of 1, 12, 20,
    40, 200 and 512 rows: the batch invariance every int8 label relies on, checked once on
    this CPU (a fraction of a second, once per process).

    It runs a feed-forward part as the model does (an int8 product with GELU giving codes,
    one adding the residual, the outlier channels' thin int8 and bf16 products) and a
    query/key/value-shaped one. It fails where oneDNN picks kernels that round otherwise by
    product size and the padding (``MIN_ROWS``, ``SPIKE_OUTPUTS``) does not steer every
    size to one kernel: on a CPU with AMX it failed at 12-20 rows before that padding."""
    generator = torch.Generator().manual_seed(7)
    x = torch.randn(ROWS, 384, generator=generator)
    residual = torch.randn(ROWS, 384, generator=generator)
    feed_forward = Int8FeedForward.of(
        (torch.randn(1536, 384, generator=generator) / 20, torch.randn(1536, generator=generator)),
        (torch.randn(384, 1536, generator=generator) / 40, torch.randn(384, generator=generator)),
        (-6.0, 6.0),
        (-0.2, 3.0),
        outliers=range(0, 1536, 192),
    )
    qkv = Int8Linear.of(torch.randn(1152, 384, generator=generator) / 20, torch.zeros(1152), -6, 6)
    # the outlier channels' product's shape with an fp32 output: its bf16 output hides
    # most last-bit differences
    thin = Int8Linear.of(
        torch.randn(SPIKE_OUTPUTS, 384, generator=generator), torch.zeros(SPIKE_OUTPUTS), -4, 4
    )
    zeros = torch.zeros(ROWS, SPIKE_OUTPUTS)
    return _agree(
        lambda n: feed_forward.add(x[:n].clone(), residual[:n].clone()),
        lambda n: qkv(x[:n].clone()),
        lambda n: thin.add(x[:n].clone(), zeros[:n].clone()),
    )


@functools.cache
def bf16_kernels_agree() -> bool:
    """:func:`kernels_agree` for the bf16 layers' products (``[nlp] int8 = false``): a bf16
    product with the FFN's 1,536 inputs. Uncapped on a CPU with AMX it fails (at 40 and
    200 rows); with ``ONEDNN_MAX_CPU_ISA`` at ``nlp.ONEDNN_ISA`` it passes."""
    if not bf16_prepack_available():
        return True  # torch's own products, row by row (see ``Bf16Linear``)
    generator = torch.Generator().manual_seed(7)
    wide = torch.randn(ROWS, 1536, generator=generator).to(torch.bfloat16)
    down = Bf16Linear.of(
        torch.randn(384, 1536, generator=generator).to(torch.bfloat16),
        torch.zeros(384, dtype=torch.bfloat16),
    )
    return _agree(lambda n: down(wide[:n].clone()))


def _agree(*products: Callable[[int], torch.Tensor]) -> bool:
    for product in products:
        full = product(ROWS)
        if not all(torch.equal(product(n), full[:n]) for n in (1, 12, 20, 40, 200)):
            return False
    return True


@functools.cache
def check_kernels(int8: bool) -> None:
    """Log, once per process and kind of product, where this CPU's kernels would make
    labels depend on the batch (:func:`kernels_agree`, :func:`bf16_kernels_agree`):
    nothing else tells a user their labels moved."""
    if not has_ops() or (kernels_agree() if int8 else bf16_kernels_agree()):
        return
    log.warning(
        "oneDNN rounds %s products of different sizes differently on this CPU: labels may "
        "depend on the batch a text is in. Set ONEDNN_MAX_CPU_ISA=%s in the environment",
        "int8" if int8 else "bf16",
        ONEDNN_ISA,
    )


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
        levels = weight_levels()
        weight = weight.detach().float()
        if zero_columns:
            weight = weight.index_fill(1, torch.tensor(sorted(zero_columns)), 0.0)
        row_scales = (weight.abs().amax(1) / levels).clamp(min=1e-12)
        codes = torch.round(weight / row_scales[:, None]).clamp(-levels, levels).to(torch.int8)
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

    def run(self, codes: torch.Tensor, *, padded: bool = False) -> torch.Tensor:
        """The product on input codes (``codes``, or an earlier Linear's ``output``), on at
        least MIN_ROWS rows; ``padded`` keeps the padding rows in the result."""
        count = len(codes)
        codes = at_least(codes, MIN_ROWS)
        out_scale, out_zero_point = self.output or (1.0, 0)
        # Where oneDNN has no bf16 kernels (AVX2), a bf16 output takes its reference path,
        # 2,000x as slow as an fp32 one: there the product gives fp32, rounded to bf16 after.
        native = self.output is not None or bf16_prepack_available()
        out: torch.Tensor = torch.ops.onednn.qlinear_pointwise(
            *self._product(codes),
            self.bias,
            out_scale,
            out_zero_point,
            torch.uint8 if self.output else torch.bfloat16 if native else torch.float32,
            "gelu" if self.gelu else "none",
            [],
            "none" if self.gelu else "",
        )
        out = out if native else out.to(torch.bfloat16)
        return out if padded else out[:count]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(self.codes(x))

    def add(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """``residual`` + the product of ``x``, in fp32: the residual is added in the
        product's epilogue (one pass over the output, an exact per-element fp32 sum) and
        ``residual`` is left as it was."""
        return self.add_codes(self.codes(x), residual)

    def add_codes(self, codes: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """:meth:`add` on input codes, on at least MIN_ROWS rows."""
        count = len(codes)
        out: torch.Tensor = torch.ops.onednn.qlinear_pointwise.binary(
            *self._product(at_least(codes, MIN_ROWS)),
            at_least(residual, MIN_ROWS),
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
        return out[:count]


def codes_of(low: float, high: float) -> tuple[float, int]:
    """(scale, zero point) of uint8 codes spanning low..high (a range around 0)."""
    scale = (high - low) / CODES
    return scale, round(-low / scale)


@functools.cache
def bf16_prepack_available() -> bool:
    """Whether oneDNN runs bf16 products on this CPU (AVX-512 BF16/BW, or AVX-NE-CONVERT).
    Elsewhere (an AVX2-only CPU) a bf16 Linear falls back to ``functional.linear``, whose
    products are row-independent too, so labels stay batch-invariant there."""
    try:
        return bool(
            torch.backends.mkldnn.is_available()  # type: ignore[no-untyped-call]
            and torch.ops.mkldnn._is_mkldnn_bf16_supported()
            and hasattr(torch.ops.mkldnn, "_linear_pointwise")
        )
    except (AttributeError, RuntimeError):
        return False


@dataclass(frozen=True)
class Bf16Linear:
    """A Linear whose weight oneDNN has reordered into its blocked layout once, instead of
    on every call, with the bias added inside the matrix product (no copy of the bias into
    the output first, as ``addmm`` does). Same oneDNN kernel, same bits as
    ``functional.linear`` (measured on the 1,024 benchmark texts)."""

    weight: torch.Tensor
    bias: torch.Tensor
    prepacked: bool

    @classmethod
    def of(cls, weight: torch.Tensor, bias: torch.Tensor) -> Bf16Linear:
        weight, bias = weight.detach().contiguous(), bias.detach().contiguous()
        if weight.dtype == torch.bfloat16 and bf16_prepack_available():
            return cls(torch.ops.mkldnn._reorder_linear_weight(weight), bias, True)
        return cls(weight, bias, False)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.prepacked:
            out: torch.Tensor = torch.ops.mkldnn._linear_pointwise(
                x, self.weight, self.bias, "none", [], ""
            )
            return out
        return functional.linear(x, self.weight, self.bias)


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
    spike_down: Callable[[torch.Tensor], torch.Tensor] | None  # bf16 [k] -> [out]
    outliers: int  # k: the first k of ``spikes``' outputs (the rest are padding)

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
        spikes = spike_down = None
        if outliers:
            index = torch.tensor(sorted(outliers))
            extra = max(0, SPIKE_OUTPUTS - len(index))  # zero outputs, not input rows
            spikes = Int8Linear.of(
                functional.pad(up[0].detach().index_select(0, index), (0, 0, 0, extra)),
                functional.pad(up[1].detach().index_select(0, index), (0, extra)),
                *up_range,
                gelu=True,
            )
            thin = down[0].detach().index_select(1, index).to(torch.bfloat16)
            spike_down = (
                Bf16Linear.of(thin, torch.zeros(len(thin), dtype=torch.bfloat16))
                if bf16_prepack_available()
                else ThinProduct(thin.float().T.contiguous())
            )
        return cls(
            up=Int8Linear.of(*up, *up_range, gelu=True, output=down_codes),
            down=Int8Linear.of(*down, *down_range, zero_columns=outliers),
            spikes=spikes,
            spike_down=spike_down,
            outliers=len(outliers),
        )

    def add(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """``residual`` + the feed-forward part of ``x``, in fp32 (see ``Int8Linear.add``)."""
        codes = self.up.codes(x)
        out = self.down.add_codes(self.up.run(codes), residual)
        if self.spikes is not None and self.spike_down is not None:
            # the thin bf16 product on the padded rows too (MIN_ROWS)
            spikes = self.spikes.run(codes, padded=True)[:, : self.outliers]
            out.add_(self.spike_down(spikes.contiguous())[: len(codes)])
        return out


def at_least(rows: torch.Tensor, count: int) -> torch.Tensor:
    """``rows`` with zero rows appended up to ``count`` rows (itself if it has as many)."""
    missing = count - len(rows)
    return functional.pad(rows, (0, 0, 0, missing)) if missing > 0 else rows


@dataclass(frozen=True)
class ThinProduct:
    """The outlier channels' bf16 product where oneDNN has no bf16 kernel (AVX2): the same
    bf16 operands in fp32, rounded to bf16 as the oneDNN product's output is. torch's
    fallback bf16 product is 30x as slow as the rest of the layer, and an fp32 GEMM summed
    a row another way for a batch of one text than for 32 (measured here). Channel by
    channel in fp32, in a fixed order, every element is summed alike whatever the batch."""

    columns: torch.Tensor  # fp32 [k, out]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        out = x[:, :1] * self.columns[0]
        for k in range(1, len(self.columns)):
            out.addcmul_(x[:, k : k + 1], self.columns[k])
        return out.to(torch.bfloat16)


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
