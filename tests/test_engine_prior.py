"""The image-wide prior: a window that lies inside a big hole sees (almost) no known pixel, so the
engine hands the model a low-resolution membrane fill of the whole image as context. On the shipped
weights that prior changes the centre of a big hole and brings it closer to the photo's truth."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scnn_plugin import InpaintOptions
from scnn_plugin.engine import Inpainter

SIDE, BOX = 1024, 300
# 256 px windows: the ones over the 300 px box are nearly all hole, the case the prior is for. The
# prior is the network's input, so the network's own fill is measured: deep in a big hole the
# texture stage lets the photo overrule the network's guess, prior or not.
OPTIONS = InpaintOptions(tile=256, overlap=64, texture=False)


@pytest.fixture(scope="module")
def big_hole(photo):
    """The sample photo at 1024 px with a 300 x 300 box cut from its middle."""
    image = photo.resize((SIDE, SIDE), Image.Resampling.BICUBIC)
    hole = np.zeros((SIDE, SIDE), bool)
    lo = (SIDE - BOX) // 2
    hole[lo : lo + BOX, lo : lo + BOX] = True
    return image, hole


def fill(inpainter, image, hole) -> np.ndarray:
    return np.asarray(inpainter.inpaint(image, Image.fromarray(hole))).astype(float)


def test_windows_inside_a_big_hole_get_the_prior(inpainter, big_hole):
    image, hole = big_hole
    priors = []

    def record(module, args, kwargs):
        priors.append(kwargs.get("prior"))

    handle = inpainter.model.register_forward_pre_hook(record, with_kwargs=True)
    try:
        inpainter.with_options(OPTIONS).inpaint(image, Image.fromarray(hole))
    finally:
        handle.remove()
    assert priors and all(p is not None for p in priors)
    assert all(p.shape[-2:] == (256 // 16, 256 // 16) for p in priors)  # one cell per 16 px


def test_prior_changes_the_centre_of_a_big_hole_towards_the_truth(inpainter, big_hole, monkeypatch):
    image, hole = big_hole
    job = inpainter.with_options(OPTIONS)
    with_prior = fill(job, image, hole)
    monkeypatch.setattr(Inpainter, "_needs_prior", lambda self, holes, tiles: False)
    without = fill(job, image, hole)
    truth = np.asarray(image).astype(float)
    middle = slice(SIDE // 2 - 50, SIDE // 2 + 50)
    centre = (middle, middle)
    assert np.abs(with_prior[centre] - without[centre]).mean() > 5
    error = {
        "with": np.abs(with_prior[hole] - truth[hole]).mean(),
        "without": np.abs(without[hole] - truth[hole]).mean(),
    }
    assert error["with"] < error["without"] - 2, error
    assert np.array_equal(with_prior[~hole], truth[~hole])
