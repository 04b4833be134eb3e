"""``grapevine label --device``: CPU by default; CUDA only where torch sees a GPU (none
here, so the GPU path is checked through its CPU-equivalent wrapper)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nlp.classify import ThreeHeadClassifier
from nlp.labeller import GPU_BATCH_SIZE, _moved, _OnDevice, on_device


def test_cpu_leaves_the_classifier_alone(tiny_model_dir: Path) -> None:
    classifier = ThreeHeadClassifier(tiny_model_dir, quantised=False)
    model = classifier.model
    assert on_device(classifier, "cpu") is classifier
    assert classifier.model is model


def test_cuda_without_a_gpu_is_refused_in_words(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    classifier = ThreeHeadClassifier(tiny_model_dir, quantised=False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        on_device(classifier, "cuda")
    with pytest.raises(ValueError, match="unknown device"):
        on_device(classifier, "tpu")


def test_labels_made_on_a_gpu_carry_its_device_and_precision(tiny_model_dir: Path) -> None:
    """GPU kernels give other last bits than the CPU's: their labels are another version,
    so a store never mixes them with the CPU's (``grapevine label`` relabels once)."""
    classifier = ThreeHeadClassifier(tiny_model_dir, quantised=False)
    assert classifier.version.endswith("-fp32")  # never the bare version of old int8 labels
    cpu_version = classifier.version.removesuffix("-fp32")
    moved = _moved(classifier, torch.device("cpu"), torch.bfloat16)
    assert moved.version == f"{cpu_version}-cpu-bf16"
    half = _moved(
        ThreeHeadClassifier(tiny_model_dir, quantised=False), torch.device("cpu"), torch.float16
    )
    assert half.version == f"{cpu_version}-cpu-fp16"
    assert moved.batch_size >= GPU_BATCH_SIZE


def test_the_device_wrapper_gives_the_same_labels(tiny_model_dir: Path) -> None:
    texts = ["great order", "awful, never arrived", "love it!", "hate"]
    plain = ThreeHeadClassifier(tiny_model_dir, quantised=False)
    moved = ThreeHeadClassifier(tiny_model_dir, quantised=False)
    moved.model = _OnDevice(moved.model, torch.device("cpu"), torch.float32)
    assert [x.sentiment for x in moved.classify(texts)] == [
        x.sentiment for x in plain.classify(texts)
    ]
    for (s1, c1, q1), (s2, c2, q2) in zip(moved.scores(texts), plain.scores(texts), strict=True):
        assert s1 == pytest.approx(s2)
        assert c1 == pytest.approx(c2)
        assert q1 == pytest.approx(q2)
