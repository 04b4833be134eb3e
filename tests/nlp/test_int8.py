"""Static int8 inference (``nlp.int8``): calibration, the int8 products, and the classifier
and commands that use them. Batch invariance is in ``test_invariance.py``."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import torch
from torch.nn import functional
from typer.testing import CliRunner

from grapevine.cli import app
from nlp import int8
from nlp.classify import ThreeHeadClassifier
from nlp.int8 import (
    CALIBRATION_FILE,
    Bf16Linear,
    Calibration,
    Int8FeedForward,
    Int8Linear,
    Observer,
)
from nlp.language import LanguageIdentifier
from nlp.train import calibrate_directory, calibration_texts
from tests.nlp.test_invariance import corpus

pytestmark = pytest.mark.skipif(not int8.has_ops(), reason="no oneDNN int8 in this torch")


@pytest.fixture(scope="module")
def tiny_int8_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with a calibration measured on the test corpus."""
    directory = tmp_path_factory.mktemp("tiny_int8") / "model"
    shutil.copytree(tiny_model_dir, directory)
    languages = LanguageIdentifier(("en", "de"), low_accuracy=True)
    bf16 = ThreeHeadClassifier(directory, int8=False, languages=languages)
    bf16.calibrate(corpus()).save(directory)
    return directory


def test_calibration_round_trips_and_rejects_broken_files(tmp_path: Path) -> None:
    calibration = Calibration({"0.qkv": (-1.5, 2.0), "0.down": (-0.17, 3.0)}, {"0.down": (4,)}, 9)
    assert Calibration.from_json(calibration.to_json()) == calibration
    assert calibration.digest() == Calibration.from_json(calibration.to_json()).digest()
    other = Calibration({"0.qkv": (-1.5, 2.5), "0.down": (-0.17, 3.0)}, {"0.down": (4,)}, 9)
    assert other.digest() != calibration.digest()
    assert Calibration.load(tmp_path) is None  # no file: bf16 runs
    calibration.save(tmp_path)
    assert Calibration.load(tmp_path) == calibration
    for broken in ("{", '{"ranges": {"0.qkv": [0.5, 2.0]}}', '{"ranges": {"0.qkv": [0, 0]}}'):
        (tmp_path / CALIBRATION_FILE).write_text(broken)
        with pytest.raises(ValueError, match="calibration"):
            Calibration.load(tmp_path)


def test_codes_round_to_the_nearest_step_and_clamp() -> None:
    torch.manual_seed(1)
    linear = Int8Linear.of(torch.randn(8, 4), torch.zeros(8), -1.0, 1.55)
    step, zero = linear.scale, linear.zero_point
    assert (step, zero) == pytest.approx((0.01, 100))
    x = torch.tensor([[0.0, 0.0149, -0.0151, 5.0], [-5.0, 1.0, -1.0, 0.004]]).bfloat16()
    expected = torch.clamp(torch.round(x.float() / step) + zero, 0, 255)
    assert torch.equal(linear.codes(x).long(), expected.long())
    assert linear.codes(x)[0, 3] == 255
    assert linear.codes(x)[1, 0] == 0


def test_codes_through_int16_equal_a_direct_uint8_conversion() -> None:
    """``codes`` converts through int16 for speed; every code must be what converting the
    same fp32 values straight to uint8 gives, boundaries included (k, k +- one ulp, k + 0.5)
    and values clamped at both ends, for fp32 and bf16 inputs, in a vector loop's body and
    its tail."""
    linear = Int8Linear.of(torch.randn(8, 4), torch.zeros(8), -2.0, 3.1)
    step, zero = linear.scale, linear.zero_point
    k = torch.arange(-3, 260, dtype=torch.float32)
    codes_at = torch.cat([k, k + 0.5, torch.nextafter(k, k - 1), torch.nextafter(k, k + 1)])
    values = (codes_at - zero - 0.5) * step  # inputs landing on and around code boundaries
    torch.manual_seed(2)
    for x in (values, values[:-3], torch.randn(4097) * 3, (torch.randn(1000) * 3).bfloat16()):
        y = x.float().mul(1.0 / step).add_(zero + 0.5).clamp_(0.0, 255.0)
        assert torch.equal(linear.codes(x), y.to(torch.uint8))


def test_integer_products_are_exact_on_this_cpu() -> None:
    """Extreme codes and full-range weights over a BERT FFN's width: the int32 sums must be
    exact whatever the CPU (without VNNI, 8-bit weights saturate oneDNN's int16 pair sums;
    ``weight_levels`` then gives 7-bit ones). On an x86 CPU with the ops, int8 must run:
    a failing self-check would silently move every label to bf16."""
    assert int8.products_exact()
    int8.available.cache_clear()
    assert int8.available()


def test_a_cpu_with_wrong_or_failing_products_falls_back_to_bf16(
    monkeypatch: pytest.MonkeyPatch, tiny_int8_dir: Path, languages: LanguageIdentifier
) -> None:
    exact_add = Int8Linear.add_codes

    def off_by_one(self: Int8Linear, codes: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return exact_add(self, codes, residual).add_(1.0)

    def crashing(self: Int8Linear, codes: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("no kernel for this CPU")

    try:
        for broken in (off_by_one, crashing):
            monkeypatch.setattr(Int8Linear, "add_codes", broken)
            int8.available.cache_clear()
            assert not int8.available()
            classifier = ThreeHeadClassifier(tiny_int8_dir, languages=languages)
            assert classifier.version.endswith("-bf16amx" if int8.amx() else "-bf16")
            assert classifier.classify(["it works"])[0].sentiment in (
                "negative",
                "neutral",
                "positive",
            )
        monkeypatch.undo()
    finally:
        int8.available.cache_clear()
    assert int8.available()


def test_kernels_round_a_row_alike_whatever_the_product_size_on_this_cpu() -> None:
    """The batch invariance every int8 label relies on, at the kernel level, on whatever CPU
    runs the tests: AMX tiles included (padded, ``MIN_ROWS``), with no ``ONEDNN_MAX_CPU_ISA``
    needed. bf16 products agree too, except uncapped on AMX (checked capped in
    ``tests/nlp/test_invariance.py``)."""
    int8.kernels_agree.cache_clear()
    assert int8.kernels_agree()
    if not int8.amx():
        int8.bf16_kernels_agree.cache_clear()
        assert int8.bf16_kernels_agree()


@pytest.mark.skipif(not int8.amx(), reason="no AMX tiles in use on this CPU")
def test_amx_products_need_the_padding(monkeypatch: pytest.MonkeyPatch) -> None:
    """What uncapped AMX did before the padding (docs/nlp.md, "CPUs with AMX"): a short
    text's rows, alone in a product, got other bits than among more rows."""
    monkeypatch.setattr(int8, "MIN_ROWS", 1)
    monkeypatch.setattr(int8, "SPIKE_OUTPUTS", 8)
    try:
        int8.kernels_agree.cache_clear()
        assert not int8.kernels_agree()
    finally:
        monkeypatch.undo()
        int8.kernels_agree.cache_clear()
    assert int8.kernels_agree()


def test_kernels_that_round_small_products_otherwise_fail_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A product of a few rows a last bit away from the same rows in a larger one (as
    AMX's AVX-512 fallback made them) fails the check, for each kind of product it runs."""
    run, add, linear = Int8Linear.run, Int8Linear.add_codes, Bf16Linear.__call__

    def few_rows_off(result: torch.Tensor, rows: int) -> torch.Tensor:
        if rows >= 64:
            return result
        return result.add(1e-3) if result.is_floating_point() else result.bitwise_xor(1)

    checks = [
        (int8.kernels_agree, Int8Linear, "add_codes",
         lambda self, c, r: few_rows_off(add(self, c, r), len(c))),
        (int8.kernels_agree, Int8Linear, "run",
         lambda self, c, padded=False: few_rows_off(run(self, c, padded=padded), len(c))),
        (int8.bf16_kernels_agree, Bf16Linear, "__call__",
         lambda self, x: few_rows_off(linear(self, x), len(x))),
    ]  # fmt: skip
    if not int8.bf16_prepack_available():
        checks = checks[:2]  # no bf16 product to check on this CPU
    try:
        for check, cls, name, broken in checks:
            monkeypatch.setattr(cls, name, broken)
            check.cache_clear()
            assert not check(), name
            monkeypatch.undo()
    finally:
        int8.kernels_agree.cache_clear()
        int8.bf16_kernels_agree.cache_clear()
    assert int8.kernels_agree()


@pytest.mark.parametrize("int8_products", [True, False])
def test_kernels_that_disagree_are_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, int8_products: bool
) -> None:
    monkeypatch.setattr(int8, "kernels_agree", lambda: not int8_products)
    monkeypatch.setattr(int8, "bf16_kernels_agree", lambda: int8_products)
    int8.check_kernels.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="nlp.int8"):
            int8.check_kernels(int8_products)
            int8.check_kernels(int8_products)
            int8.check_kernels(not int8_products)  # the other kind agrees: no warning
    finally:
        int8.check_kernels.cache_clear()
    warnings = [r.getMessage() for r in caplog.records if "depend on the batch" in r.getMessage()]
    assert len(warnings) == 1
    assert ("int8" if int8_products else "bf16") in warnings[0]
    assert "ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16" in warnings[0]


def test_int8_linear_is_close_to_the_float_product() -> None:
    torch.manual_seed(2)
    weight, bias = torch.randn(48, 64) * 0.1, torch.randn(48) * 0.1
    x = torch.randn(200, 64).clamp(-3, 3)
    exact = functional.linear(x, weight, bias)
    got = Int8Linear.of(weight, bias, -3.0, 3.0)(x.bfloat16()).float()
    error = (got - exact).abs().mean() / exact.abs().mean()
    assert error < 0.02
    gelu = Int8Linear.of(weight, bias, -3.0, 3.0, gelu=True)(x.bfloat16()).float()
    assert (gelu - functional.gelu(exact)).abs().max() < 0.1


def test_outlier_channels_keep_the_feed_forward_accurate() -> None:
    """A GELU channel 50x larger than the rest would squeeze every other channel into a
    few codes; run apart in bf16 it costs the others nothing."""
    torch.manual_seed(3)
    up_w, up_b = torch.randn(32, 16) * 0.3, torch.zeros(32)
    up_w[5] = 0.0
    up_b[5] = 60.0  # channel 5: GELU output 60, the others around 0..2
    down_w, down_b = torch.randn(16, 32) * 0.2, torch.zeros(16)
    x = torch.randn(300, 16).clamp(-3, 3)
    exact = functional.linear(functional.gelu(functional.linear(x, up_w, up_b)), down_w, down_b)
    hidden = functional.gelu(functional.linear(x, up_w, up_b))
    spiky = Int8FeedForward.of((up_w, up_b), (down_w, down_b), (-3, 3), (-0.17, 60.5))
    rest_max = float(hidden[:, [i for i in range(32) if i != 5]].max())
    split = Int8FeedForward.of((up_w, up_b), (down_w, down_b), (-3, 3), (-0.17, rest_max), (5,))
    residual = torch.randn(300, 16)
    kept = residual.clone()
    error_spiky = (spiky.add(x, residual) - residual - exact).abs().mean()
    error_split = (split.add(x, residual) - residual - exact).abs().mean()
    assert error_split < error_spiky / 3
    assert torch.equal(residual, kept)  # the residual is read, not written


def test_residual_adds_in_the_epilogue_and_fp32_inputs_stay_untouched() -> None:
    """The int8 layers' fp32 residual stream: ``add`` gives residual + product in fp32
    without touching either input, and fp32 inputs get the codes their values call for."""
    torch.manual_seed(4)
    linear = Int8Linear.of(torch.randn(24, 32) * 0.1, torch.randn(24) * 0.1, -3.0, 3.0)
    x, residual = torch.randn(50, 32).clamp(-3, 3), torch.randn(50, 24)
    x_kept, residual_kept = x.clone(), residual.clone()
    summed = linear.add(x, residual)
    assert summed.dtype == torch.float32
    assert torch.equal(x, x_kept)
    assert torch.equal(residual, residual_kept)
    product = linear.run(linear.codes(x)).float()
    assert (summed - residual - product).abs().max() < 0.05  # bf16 rounding of the product
    wide = x.bfloat16().float()
    assert torch.equal(linear.codes(wide), linear.codes(wide.bfloat16()))


def test_observers_summarise_into_ranges_and_outliers() -> None:
    up, down = Observer(lambda x: x), Observer(lambda x: x)
    up(torch.tensor([[-2.0, 1.0, 0.5], [0.0, 3.0, 0.1]]))
    down(torch.tensor([[-0.1, 40.0, 0.5, 1.0], [0.2, 0.0, 2.0, 30.0]]))
    calibration = int8.summarise({"0.up": up, "0.down": down}, texts=2, outlier_channels=2)
    assert calibration.ranges["0.up"] == (-2.0, 3.0)
    assert calibration.outliers == {"0.down": (1, 3)}
    assert calibration.ranges["0.down"] == pytest.approx((-0.1, 2.0))  # without 1 and 3
    assert calibration.texts == 2


def test_calibrating_a_model_covers_every_layer(tiny_int8_dir: Path) -> None:
    calibration = Calibration.load(tiny_int8_dir)
    assert calibration is not None
    assert set(calibration.ranges) == {f"{i}.{name}" for i in range(2) for name in int8.LINEARS}
    assert all(low <= 0 <= high and low < high for low, high in calibration.ranges.values())
    assert set(calibration.outliers) == {"0.down", "1.down"}
    assert calibration.texts == len(corpus())


def test_the_version_names_the_precision_and_calibration(
    tiny_model_dir: Path, tiny_int8_dir: Path, languages: LanguageIdentifier
) -> None:
    quantised = ThreeHeadClassifier(tiny_int8_dir, languages=languages)
    calibration = Calibration.load(tiny_int8_dir)
    assert calibration is not None
    weights = "" if int8.weight_levels() == 127 else "w7"
    tiles = "amx" if int8.amx() else ""
    expected = f"t1-dtest-int8r{int8.INT8_REVISION}{weights}{tiles}-{calibration.digest()[:8]}"
    assert quantised.version == expected
    bf16 = ThreeHeadClassifier(tiny_int8_dir, int8=False, languages=languages)
    assert bf16.version == f"t1-dtest-bf16{tiles}"
    uncalibrated = ThreeHeadClassifier(tiny_model_dir, languages=languages)
    assert uncalibrated.version == f"t1-dtest-bf16{tiles}"
    fp32 = ThreeHeadClassifier(tiny_int8_dir, quantised=False, languages=languages)
    assert fp32.version == "t1-dtest-fp32"
    # int8 and bf16 label alike on most texts, but not bit for bit: hence the versions
    texts = corpus()
    a, b = quantised.classify(texts), bf16.classify(texts)
    assert sum(x.sentiment == y.sentiment for x, y in zip(a, b, strict=True)) >= 0.8 * len(texts)
    assert a != b


def test_the_calibrate_command_writes_the_models_calibration(
    tiny_model_dir: Path, data_root: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "model"
    shutil.copytree(tiny_model_dir, directory)
    (data_root / "README.md").write_text("test data\n")
    result = CliRunner().invoke(
        app, ["calibrate", "--data", str(data_root), "--weights", str(directory)]
    )
    assert result.exit_code == 0, result.output
    written = json.loads((directory / CALIBRATION_FILE).read_text())
    assert written["texts"] > 0
    assert "0.qkv" in written["ranges"]
    assert "int8 calibration" in result.output


def test_calibration_texts_are_a_fixed_sample_of_training_texts() -> None:
    from nlp.data import Example

    examples = [Example(f"t{i}", "xlmt", "en", "train") for i in range(50)]
    examples += [Example(f"v{i}", "xlmt", "en", "val") for i in range(50)]
    texts = calibration_texts(examples, count=20)
    assert len(texts) == 20
    assert all(t.startswith("t") for t in texts)
    assert calibration_texts(list(reversed(examples)), count=20) == texts


def test_calibrate_directory_replaces_an_old_calibration(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    from nlp.data import Example

    directory = tmp_path / "model"
    shutil.copytree(tiny_model_dir, directory)
    Calibration({"0.qkv": (-1.0, 1.0)}, {}, 1).save(directory)
    examples = [Example(text, "xlmt", "en", "train") for text in corpus()]
    calibration = calibrate_directory(directory, examples)
    assert Calibration.load(directory) == calibration
    assert len(calibration.ranges) == 8
