"""Adapting to the photo: learns from the photo's own known pixels, trains a copy, keeps it only
when it wins on held-back holes, and reports, cancels and fails like the rest of the engine."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from scnn_plugin import adapt
from scnn_plugin.errors import Cancelled
from scnn_plugin.evaluation.metrics import masked_psnr
from scnn_plugin.imaging import open_canvas
from scnn_plugin.masks import FillMask
from scnn_plugin.options import InpaintOptions


@pytest.fixture(scope="module")
def wired(photo) -> tuple[Image.Image, Image.Image]:
    """The photo with four parallel wires across it, and strokes laid along them in three places:
    structure the photo shows all along the wires, which the shipped weights break at a stroke."""
    image = photo.copy()
    draw = ImageDraw.Draw(image)
    for i in range(4):
        draw.line([(0, 60 + 12 * i), (511, 200 + 12 * i)], fill=(20, 20, 20), width=2)
    mask = Image.new("L", photo.size, 0)
    strokes = ImageDraw.Draw(mask)
    for x in (40, 200, 360):  # along the second wire, y = 72 + 140 x / 511
        strokes.line([(x, 72 + 140 * x / 511), (x + 90, 72 + 140 * (x + 90) / 511)], 255, 8)
    return image, mask


def _psnr(out: Image.Image, image: Image.Image, mask: Image.Image) -> float:
    hole = np.asarray(mask) > 0
    return masked_psnr(np.asarray(out) / 255.0, np.asarray(image) / 255.0, hole)


@pytest.mark.slow
def test_adapting_fills_the_photos_own_structure_better_and_changes_nothing_outside(
    inpainter, wired
):
    image, mask = wired
    before = {k: v.clone() for k, v in inpainter.model.state_dict().items()}
    # The network's own fills, compared without the texture stage's copied grain on top.
    plain = inpainter.with_options(InpaintOptions(device="cpu", texture=False)).inpaint(image, mask)
    smooth = InpaintOptions(adapt=40, device="cpu", texture=False)
    adapted = inpainter.with_options(smooth).inpaint(image, mask)
    assert _psnr(adapted, image, mask) > _psnr(plain, image, mask) + 0.1
    outside = np.asarray(mask) == 0
    assert np.array_equal(np.asarray(adapted)[outside], np.asarray(image)[outside])
    # A copy trained; the loaded weights, shared by every later job, are what they were.
    after = inpainter.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    again = inpainter.with_options(smooth).inpaint(image, mask)
    assert np.array_equal(np.asarray(again), np.asarray(adapted))  # seeded: same photo, same fill


def test_a_copy_that_does_worse_on_held_back_holes_is_dropped(inpainter, wired, monkeypatch):
    image, mask = wired
    monkeypatch.setattr(adapt, "LEARNING_RATE", 1.0)  # Adam at rate 1 wrecks the decoder
    holes = np.asarray(mask) > 0
    canvas = open_canvas(image, FillMask(holes))
    kept = adapt.adapt_model(inpainter.model, canvas, holes, 5, inpainter.timesteps)
    assert kept is inpainter.model
    out = inpainter.with_options(InpaintOptions(adapt=5, device="cpu")).inpaint(image, mask)
    assert np.array_equal(np.asarray(out), np.asarray(inpainter.inpaint(image, mask)))


def test_progress_counts_the_steps_then_the_tiles_and_cancel_stops_during_the_steps(
    inpainter, wired
):
    image, mask = wired
    job = inpainter.with_options(InpaintOptions(tile=256, overlap=32, adapt=3, device="cpu"))
    seen: list[tuple[int, int]] = []
    job.inpaint(image, mask, progress=lambda d, t: seen.append((d, t)))
    tiles = seen[-1][1] - 3
    assert [d for d, _ in seen] == list(range(1, 4 + tiles)) and tiles > 1
    assert {t for _, t in seen} == {3 + tiles}
    original = np.asarray(image).copy()
    with pytest.raises(Cancelled):
        job.inpaint(image, mask, cancel=lambda: len(seen) > 0)
    assert np.array_equal(np.asarray(image), original)


@pytest.mark.parametrize("size", [(20, 20), (2000, 12)])
def test_a_photo_too_small_to_learn_from_is_filled_without_adapting(inpainter, size):
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    holes = np.zeros((size[1], size[0]), bool)
    holes[size[1] // 2, ::3] = True
    assert (
        adapt.adapt_model(inpainter.model, open_canvas(image, FillMask(holes)), holes, 5, 4)
        is inpainter.model
    )
    out = inpainter.with_options(InpaintOptions(adapt=5, device="cpu")).inpaint(
        image, Image.fromarray(holes.astype(np.uint8) * 255)
    )
    assert np.array_equal(np.asarray(out)[~holes], np.asarray(image)[~holes])


@pytest.mark.parametrize(
    ("which", "fixed", "trained"),
    [
        ("inpainter", ("stem.", "down1.", "down2.", "blocks."), ("up1.", "refine.", "out.")),
        ("paper_inpainter", ("snn.",), ("convs.",)),
    ],
)
def test_only_the_layers_after_the_spiking_encoder_adapt(
    request, wired, monkeypatch, which, fixed, trained
):
    image, mask = wired
    model = request.getfixturevalue(which).model
    scores = iter([1.0, 0.0])  # held-back loss before, after: keep the copy whatever it learnt
    monkeypatch.setattr(adapt, "_score", lambda *a: next(scores))
    holes = np.asarray(mask) > 0
    copy = adapt.adapt_model(model, open_canvas(image, FillMask(holes)), holes, 3, 4)
    old, new = model.state_dict(), copy.state_dict()
    assert copy is not model
    assert all(torch.equal(old[k], new[k]) for k in old if k.startswith(fixed))
    assert all(
        not torch.equal(old[k], new[k])
        for k in old
        if k.startswith(trained) and k.endswith("weight")
    )


@pytest.mark.parametrize("steps", [-1, 501])
def test_adapt_steps_outside_0_to_500_are_refused(steps):
    with pytest.raises(ValueError, match="adapt"):
        InpaintOptions(adapt=steps)


def test_fully_transparent_pixels_are_never_learnt_from(inpainter, photo, monkeypatch):
    """Issue 25: adapting took the colour under alpha 0 (a stand-in for it) as known pixels."""
    rgb = np.array(photo.resize((256, 256)))
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:, 150:200] = 0
    rgb[:, 150:200] = (255, 0, 255)  # under alpha 0: a colour the photo has nowhere else
    image = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    holes = np.zeros(alpha.shape, bool)
    holes[100:140, 110:150] = True
    batches = []
    loss = adapt._loss
    monkeypatch.setattr(adapt, "_loss", lambda m, b, t: batches.append(b) or loss(m, b, t))
    canvas = open_canvas(image, FillMask(holes))
    adapt.adapt_model(inpainter.model, canvas, holes, 2, 1)
    hidden_seen = 0
    for pixels, inputs, target in batches:
        hidden = (pixels[:, 0] == 1) & (pixels[:, 1] == 0) & (pixels[:, 2] == 1)
        hidden_seen += int(hidden.sum())
        assert bool((inputs[:, 0][hidden] == 1).all()) and bool((target[:, 0][hidden] == 0).all())
    assert hidden_seen > 0
