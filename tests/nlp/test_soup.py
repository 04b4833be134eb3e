"""Weight averages of model directories (``nlp.soup``): what the shipped r3 is made of."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from nlp.model import META_FILE, WEIGHTS_FILE
from nlp.soup import average, make_soup


def _shifted(source: Path, target: Path, shift: float, **extra: object) -> Path:
    """A copy of ``source`` whose every stored tensor is ``shift`` larger."""
    shutil.copytree(source, target)
    state = load_file(str(target / WEIGHTS_FILE))
    save_file(
        {k: (v.float() + shift).to(v.dtype) for k, v in state.items()}, str(target / WEIGHTS_FILE)
    )
    meta = json.loads((target / META_FILE).read_text())
    meta["version"] = "t2-dtest"
    meta["extra"] = {**meta.get("extra", {}), **extra}
    (target / META_FILE).write_text(json.dumps(meta))
    return target


def test_a_soup_is_the_weighted_mean_and_names_its_ingredients(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    other = _shifted(tiny_model_dir, tmp_path / "other", 1.0)
    meta = make_soup(tmp_path / "soup", [(tiny_model_dir, 3.0), (other, 1.0)], "r3")
    base = load_file(str(tiny_model_dir / WEIGHTS_FILE))
    soup = load_file(str(tmp_path / "soup" / WEIGHTS_FILE))
    assert set(soup) == set(base)
    for name, tensor in base.items():
        assert soup[name].dtype == torch.float16
        assert torch.allclose(soup[name].float(), tensor.float() + 0.25, atol=2e-3), name
    assert meta.version.startswith("r3-dtest-w")
    assert meta.extra["soup"] == [
        {"version": "t1-dtest", "weight": 3.0},
        {"version": "t2-dtest", "weight": 1.0},
    ]
    again = make_soup(tmp_path / "again", [(tiny_model_dir, 3.0), (other, 1.0)], "r3")
    assert again.version == meta.version  # the weights' digest names them


def test_a_soup_refuses_ingredients_it_cannot_average(tiny_model_dir: Path, tmp_path: Path) -> None:
    folded = _shifted(tiny_model_dir, tmp_path / "folded", 0.0, offsets={"sentiment": [0.5]})
    with pytest.raises(ValueError, match="offsets"):
        average([(tiny_model_dir, 1.0), (folded, 1.0)])
    with pytest.raises(ValueError, match="weights"):
        average([(tiny_model_dir, 0.0)])
    with pytest.raises(ValueError, match="ingredient"):
        average([])
    assert torch.equal(
        average([(tiny_model_dir, 2.0)])["sentiment.weight"],
        load_file(str(tiny_model_dir / WEIGHTS_FILE))["sentiment.weight"].float(),
    )
