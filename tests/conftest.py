"""Shared fixtures: a real photograph, a realistic mask, and inpainters on real weights."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SAMPLES = Path(str(resources.files("scnn_plugin.samples")))


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    """A real 512x512 RGB photograph (NASA, public domain)."""
    with Image.open(SAMPLES / "astronaut.jpg") as im:
        return im.convert("RGB")


@pytest.fixture(scope="session")
def object_mask() -> Image.Image:
    """A hand-drawn L mask over an object in ``photo`` (nonzero = fill)."""
    with Image.open(SAMPLES / "astronaut_mask.png") as im:
        return im.convert("L")


@pytest.fixture(scope="session")
def stroke_mask() -> Image.Image:
    """A seeded medium free-form mask, as users paint with a brush."""
    from scnn_plugin.training.hole_masks import make_mask

    hole = make_mask("medium", 512, 512, np.random.default_rng(7))
    return Image.fromarray(hole.astype(np.uint8) * 255)


@pytest.fixture(scope="session")
def inpainter():
    """The shipped default weights on the CPU."""
    from scnn_plugin import Inpainter

    return Inpainter.from_pretrained(device="cpu")


@pytest.fixture(scope="session")
def paper_inpainter():
    """The shipped paper-configuration weights on the CPU."""
    from scnn_plugin import Inpainter

    return Inpainter.from_pretrained(device="cpu", config="paper")


@pytest.fixture(scope="session")
def default_weights(tmp_path_factory) -> Path:
    """The shipped default weights file, or, before any are published, an untrained default model.

    The untrained model's last layer is zero-initialised, so it is the classical push-pull fill: a
    real, deterministic fill that changes masked pixels.
    """
    from scnn_plugin.models import build_model
    from scnn_plugin.weights import save_weights, shipped_dir

    shipped = shipped_dir() / "default.safetensors"
    if shipped.is_file():
        return shipped
    path = tmp_path_factory.mktemp("weights") / "default.safetensors"
    save_weights(path, build_model("default"), "default", {}, "0.1.0")
    return path
