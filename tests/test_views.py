"""Averaged flipped views: the fill of a mirrored photo is the mirror of its fill, the average fills
better than one view, and nothing outside the mask changes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from scnn_plugin.evaluation.metrics import masked_psnr
from scnn_plugin.options import InpaintOptions
from scnn_plugin.training.hole_masks import make_mask


def _box_mask() -> Image.Image:
    """A box over 64 % of the photo: the window is mostly hole, so the image-wide prior is used."""
    mask = Image.new("L", (512, 512), 0)
    mask.paste(255, (51, 51, 461, 461))
    return mask


def _fill(inpainter, views: int, image: Image.Image, mask: Image.Image) -> np.ndarray:
    # The network's fills: the copied grain on top is seeded per window, not mirror-symmetric.
    options = InpaintOptions(views=views, device="cpu", texture=False)
    out = inpainter.with_options(options).inpaint(image, mask)
    return np.asarray(out).astype(int)


@pytest.mark.parametrize("mask_of", ["strokes", "box"])
@pytest.mark.slow
def test_four_views_fill_a_mirrored_photo_as_the_mirror_of_its_fill(
    inpainter, photo, stroke_mask, mask_of
):
    mask = stroke_mask if mask_of == "strokes" else _box_mask()
    fill = _fill(inpainter, 4, photo, mask)
    for mirror, undo in ((ImageOps.mirror, np.fliplr), (ImageOps.flip, np.flipud)):
        mirrored = undo(_fill(inpainter, 4, mirror(photo), mirror(mask)))
        diff = np.abs(mirrored - fill)
        # The same four fills, summed in another order: at most a rounding step apart.
        assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
    # One view is not mirror-symmetric: the property above is the averaging's, not the model's.
    one = np.abs(
        np.fliplr(_fill(inpainter, 1, ImageOps.mirror(photo), ImageOps.mirror(mask)))
        - _fill(inpainter, 1, photo, mask)
    )
    assert one.max() > 10


@pytest.mark.slow
def test_four_views_fill_thin_strokes_better_and_change_nothing_outside(inpainter, photo):
    hole = make_mask("thin", 512, 512, np.random.default_rng(7))
    mask = Image.fromarray(hole.astype(np.uint8) * 255)
    image = np.asarray(photo)
    scores = {}
    for views in (1, 4):
        fill = _fill(inpainter, views, photo, mask)
        assert np.array_equal(fill[~hole], image[~hole])
        scores[views] = masked_psnr(fill / 255.0, image / 255.0, hole)
    assert scores[4] > scores[1] + 0.1  # measured +0.25 dB


@pytest.mark.parametrize("views", [0, 5, True, 2.0])
def test_views_outside_one_to_four_are_refused(views):
    with pytest.raises(ValueError, match=r"views must be an integer in \[1, 4\]"):
        InpaintOptions(views=views)


def test_the_request_type_owns_the_views_bound_and_views_has_one_flip_for_each():
    from scnn_plugin.options import MAX_VIEWS
    from scnn_plugin.views import FLIPS, averaged

    assert len(FLIPS) == MAX_VIEWS == 4 and len(set(FLIPS)) == MAX_VIEWS
    InpaintOptions(views=MAX_VIEWS)
    x = torch.zeros(1, 3, 8, 8)
    with pytest.raises(ValueError, match=r"views must be in \[1, 4\], got 5"):
        averaged(lambda i, m, p: i, x, x[:, :1], None, MAX_VIEWS + 1)
