"""The ideal-texture bound on a real lawn: structure of the photo's own kind at the band target,
in the wrong place, and what that costs in PSNR."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scnn_plugin import InpaintOptions
from scnn_plugin.evaluation.metrics import band_ratios, masked_psnr
from scnn_plugin.evaluation.texture_bound import TARGET_RATIO, ideal_texture


@pytest.fixture(scope="module")
def lawn() -> tuple[np.ndarray, np.ndarray]:
    """scikit-image's ``grass`` (public domain; blades at 2-16 px) and an object-sized hole."""
    data = pytest.importorskip("skimage.data")
    photo = np.asarray(Image.fromarray(data.grass()).convert("RGB"))
    mask = Image.new("L", (photo.shape[1], photo.shape[0]))
    ImageDraw.Draw(mask).ellipse((190, 170, 330, 300), fill=255)
    return photo, np.asarray(mask) > 0


def test_the_ideal_texture_brings_the_bands_to_the_target_and_costs_psnr(lawn, inpainter):
    """The network alone leaves the lawn a smudge; the bound raises b0-b2 to the target and, since
    its blades are the lawn's own but not the hidden ones, scores below the smudge. Were the
    truth's structure added in place instead of mirrored, PSNR would rise: the bound would leak
    the answer."""
    photo, hole = lawn
    smooth = inpainter.with_options(InpaintOptions(texture=False))
    mask = Image.fromarray(hole.astype(np.uint8) * 255)
    fill = np.asarray(smooth.inpaint(Image.fromarray(photo), mask))
    ideal = ideal_texture(fill, photo, hole)

    truth = photo / 255
    assert max(band_ratios(fill / 255, truth, hole)[:3]) < 0.5
    for ratio in band_ratios(ideal / 255, truth, hole)[:3]:
        assert ratio == pytest.approx(TARGET_RATIO, abs=0.05)
    cost = masked_psnr(fill / 255, truth, hole) - masked_psnr(ideal / 255, truth, hole)
    assert 0.3 < cost < 3.0
    assert np.array_equal(ideal[~hole], fill[~hole])


def test_a_fill_with_enough_structure_gets_none_added(lawn):
    """Bands already at or above the target take no gain: the truth itself comes back as it is."""
    photo, hole = lawn
    assert np.array_equal(ideal_texture(photo, photo, hole), photo)
