"""Pixels outside the mask are never written, even when the model's output there is wrong.

The shipped networks hand back the photo at known pixels, and the texture stage puts it back
too, so a test on them cannot tell "only the holes were written" from "a bigger area was written
with the photo's own values". A stub network that answers ``1 - image`` everywhere can: growing
the written area by one pixel changes the output there (issue 35: such a mutant passed 32 of 34
tests on 8-bit images).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from scnn_plugin.engine import Inpainter
from scnn_plugin.models.base import InpaintNet
from scnn_plugin.options import InpaintOptions
from scnn_plugin.weights import WeightsInfo


class InvertingNet(InpaintNet):
    """Answers the photo's negative at every pixel, known or not."""

    multiple = 8
    accepts_prior = False
    adapt_modules = ()

    def __init__(self) -> None:
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))  # the engine reads the device from a parameter
        self.timesteps = 1

    def forward(self, image, mask, timesteps=None, prior=None):
        return 1.0 - image + self.anchor


@pytest.fixture
def inverting() -> Inpainter:
    info = WeightsInfo(Path("stub"), "stub", {}, 1, "0", "")
    options = InpaintOptions(tile=64, overlap=16, timesteps=1, device="cpu", texture=False)
    return Inpainter(InvertingNet(), info, options)


def _holes(height: int, width: int) -> np.ndarray:
    """A box across a tile seam, a lone pixel, a one-pixel line and a hole at the image's edge."""
    hole = np.zeros((height, width), bool)
    hole[40:70, 50:90] = True
    hole[10, 10] = True
    hole[100, 20:120] = True
    hole[:, width - 1] = True
    return hole


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_a_model_wrong_everywhere_changes_only_the_masked_pixels(inverting, mode):
    rng = np.random.default_rng(35)
    rgb = rng.integers(0, 256, (120, 150, 3), dtype=np.uint8)
    image = Image.fromarray(rgb).convert(mode)
    hole = _holes(120, 150)
    out = np.asarray(inverting.inpaint(image, Image.fromarray(hole)))
    src = np.asarray(image)
    assert np.array_equal(out[~hole], src[~hole])  # not one known pixel off, by even one level
    # ... while every hole pixel took the model's answer, so the model did run there
    negative = 255 - src[hole].astype(int)
    assert np.abs(out[hole].astype(int) - negative).max() <= 1
