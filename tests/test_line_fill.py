"""Line continuation: lines across a thin hole are rejoined; everything else is left to the base."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from scnn_plugin.fill import membrane_fill
from scnn_plugin.line_fill import REACH, line_fill
from scnn_plugin.training.hole_masks import make_mask
from scnn_plugin.training.metrics import masked_psnr


def _tensors(rgb: np.ndarray, hole: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    image = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255
    return image, torch.from_numpy(~hole)[None, None].float()


def _psnr(filled: torch.Tensor, rgb: np.ndarray, hole: np.ndarray) -> float:
    return masked_psnr(filled[0].permute(1, 2, 0).numpy(), rgb / 255.0, hole)


@pytest.fixture(scope="module")
def cabled(photo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 256 px crop of the astronaut with two dark cables drawn across it, a 7 px stroke hole
    crossing both, and where the cables run inside the hole."""
    crop = photo.convert("RGB").crop((0, 0, 256, 256))
    lines = Image.new("L", crop.size, 0)
    draw = ImageDraw.Draw(lines)
    for x0 in (40, 52):
        draw.line([(x0, 0), (x0 + 150, 255)], fill=255, width=2)
    rgb = np.asarray(crop).copy()
    on_line = np.asarray(lines) > 0
    rgb[on_line] = (20, 25, 40)
    stroke = Image.new("L", crop.size, 0)
    ImageDraw.Draw(stroke).line([(0, 150), (255, 120)], fill=255, width=7)
    hole = np.asarray(stroke) > 0
    return rgb, hole, hole & on_line


def test_cables_across_a_thin_stroke_are_rejoined(cabled):
    rgb, hole, cable_in_hole = cabled
    image, known = _tensors(rgb, hole)
    membrane = membrane_fill(image, known)
    joined = line_fill(membrane, known)
    assert cable_in_hole.sum() > 20
    # The membrane greys the cables out where the stroke crosses them (no cable pixel stays dark);
    # the line fill keeps most of them dark (measured 20 of 30; the rest fall between directions).
    cable = torch.from_numpy(cable_in_hole)
    assert int((membrane[0][:, cable].mean(0) < 0.2).sum()) == 0
    assert (joined[0][:, cable].mean(0) < 0.2).float().mean() > 0.5
    # Over the whole stroke: measured +1.24 dB.
    assert _psnr(joined, rgb, hole) - _psnr(membrane, rgb, hole) > 1.0


def test_known_pixels_and_deep_hole_pixels_keep_their_values(photo):
    rgb = np.asarray(photo.convert("RGB").crop((100, 100, 228, 228)))
    hole = np.zeros((128, 128), bool)
    hole[20:110, 20:110] = True  # 90 px box: its centre is farther than REACH from anything known
    image, known = _tensors(rgb, hole)
    base = membrane_fill(image, known)
    out = line_fill(base, known)
    assert torch.equal(out[known.expand_as(out) > 0], image[known.expand_as(image) > 0])
    deep = slice(20 + REACH + 1, 110 - REACH - 1)
    assert torch.equal(out[..., deep, deep], base[..., deep, deep])
    assert not torch.equal(out[..., 20:25, 20:110], base[..., 20:25, 20:110])


@pytest.mark.slow
def test_seeded_thin_holes_on_the_photo_score_above_the_membrane_on_average(photo):
    # Alone it is a base fill, not a finished one: per hole it ranges from -0.04 to +0.49 dB here
    # (measured +0.23 on average); the network on top is what has to win everywhere.
    rgb = np.asarray(photo.convert("RGB"))
    gains = []
    for seed in range(4):
        hole = make_mask("thin", *rgb.shape[:2], np.random.default_rng(seed))
        image, known = _tensors(rgb, hole)
        membrane = membrane_fill(image, known)
        joined = line_fill(membrane, known)
        gains.append(_psnr(joined, rgb, hole) - _psnr(membrane, rgb, hole))
    assert np.mean(gains) > 0.1


def test_batch_members_are_filled_independently_and_the_dtype_is_kept(photo):
    rgb = np.asarray(photo.convert("RGB").resize((96, 96)))
    hole = make_mask("thin", 96, 96, np.random.default_rng(5))
    image, known = _tensors(rgb, hole)
    other = image.flip(-1)
    base = membrane_fill(torch.cat([other, image]), known.expand(2, -1, -1, -1))
    both = line_fill(base, known.expand(2, -1, -1, -1))
    alone = line_fill(base[1:], known)
    assert torch.allclose(both[1:], alone, atol=1e-6)
    wide = line_fill(base[1:].double(), known.double())
    assert wide.dtype == torch.float64


def test_an_image_without_holes_comes_back_unchanged(photo):
    rgb = np.asarray(photo.convert("RGB").resize((64, 64)))
    image, known = _tensors(rgb, np.zeros((64, 64), bool))
    assert torch.equal(line_fill(image, known), image)
