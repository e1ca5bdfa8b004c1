"""Losses (the core's hole loss, training's registry) on a real photograph with training's masks."""

import numpy as np
import pytest
import torch

from scnn_plugin.fill import membrane_fill
from scnn_plugin.losses import hole_loss
from scnn_plugin.training.hole_masks import make_mask
from scnn_plugin.training.losses import get_loss, mse_loss

SIDE = 128


@pytest.fixture(scope="module")
def batch(photo):
    """Two crops of the astronaut, a thin hole and a thick one, membrane-filled."""
    rgb = np.asarray(photo.convert("RGB"), dtype=np.float32) / 255
    crops = [rgb[y : y + SIDE, x : x + SIDE] for y, x in ((100, 150), (250, 200))]
    target = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2)
    rng = np.random.default_rng(3)
    hole = torch.stack(
        [
            torch.from_numpy(make_mask(kind, SIDE, SIDE, rng))[None].float()
            for kind in ("thin", "thick")
        ]
    )
    return membrane_fill(target, 1 - hole), target, hole


def test_each_sample_weighs_the_same_whatever_its_hole_size(batch):
    pred, target, hole = batch
    assert hole[1].sum() > 3 * hole[0].sum()  # the thick hole is much larger
    thin, thick = (
        float(hole_loss(pred[i : i + 1], target[i : i + 1], hole[i : i + 1])) for i in range(2)
    )
    assert thin != pytest.approx(thick, rel=0.05)
    assert float(hole_loss(pred, target, hole)) == pytest.approx((thin + thick) / 2, rel=1e-5)


def test_the_hole_loss_sees_only_the_hole(batch):
    pred, target, hole = batch
    assert hole_loss(target, target, hole) == 0
    assert hole_loss(pred, target, hole) > 0
    outside_wrong = pred + (1 - hole) * 0.5  # garbage outside the hole is composited away
    expected = float(hole_loss(pred, target, hole))
    assert float(hole_loss(outside_wrong, target, hole)) == pytest.approx(expected)


def test_the_papers_loss_is_the_whole_image_mse(batch):
    pred, target, hole = batch
    assert mse_loss(pred, target, hole) == pytest.approx(float(((pred - target) ** 2).mean()))
    assert get_loss("mse") is mse_loss and get_loss("hole") is hole_loss
    for removed in ("l2", "hole-log"):  # hole-log: an unpublished experiment, removed
        with pytest.raises(ValueError, match=f"unknown loss '{removed}'"):
            get_loss(removed)
