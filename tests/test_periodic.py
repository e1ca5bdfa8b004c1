"""Regular patterns: a hole in tiling is filled by the tiling's next period, and photos that do not
repeat are left to the grain transfer."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from scnn_plugin import InpaintOptions
from scnn_plugin.evaluation.metrics import masked_psnr
from scnn_plugin.fill.periodic import Lattice, copy_along, find_lattice


def _tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image, np.float32) / 255).permute(2, 0, 1).contiguous()


@pytest.fixture(scope="module")
def tiling(photo) -> Image.Image:
    """A wall of tiles: a 28 x 40 px crop of a real photo repeated, then saved as a JPEG as a
    camera would (so no two periods are bit-identical)."""
    tile = np.asarray(photo)[100:128, 200:240]
    wall = Image.fromarray(np.tile(tile, (19, 13, 1))[:512, :512])
    buffer = io.BytesIO()
    wall.save(buffer, "JPEG", quality=90)
    with Image.open(buffer) as im:
        return im.convert("RGB")


def test_the_period_of_a_tiling_is_found(tiling, object_mask):
    known = torch.from_numpy(np.asarray(object_mask) == 0)
    lattice = find_lattice(_tensor(tiling), known)
    assert lattice is not None
    assert lattice.mismatch < 0.1
    vectors = {lattice.first, lattice.second}
    assert {tuple(abs(v) for v in d) for d in vectors if d} == {(28, 0), (0, 40)}


@pytest.mark.parametrize("name", ["astronaut", "rocket", "coffee"])
def test_photos_that_do_not_repeat_have_no_lattice(name, photo, object_mask):
    """A false lattice copies the wrong thing into the hole (a signboard's letters, -6 dB), so
    real photos without a period must be refused, the sample photo's object hole included."""
    if name == "astronaut":
        image = photo
    else:
        data = pytest.importorskip("skimage.data")
        image = Image.fromarray(getattr(data, name)()).resize((512, 512))
    known = torch.from_numpy(np.asarray(object_mask) == 0)
    assert find_lattice(_tensor(image), known) is None


def test_a_hole_in_tiling_is_filled_with_the_tiles(tiling, object_mask, inpainter):
    """The object hole (about 9 % of the picture) is filled within JPEG noise of the truth, where
    the network alone smears the pattern; nothing outside the hole changes."""
    assert inpainter.options.texture
    hole = np.asarray(object_mask) > 127
    truth = np.asarray(tiling)
    out = np.asarray(inpainter.inpaint(tiling, object_mask))
    smooth = np.asarray(
        inpainter.with_options(InpaintOptions(texture=False)).inpaint(tiling, object_mask)
    )
    repeated = masked_psnr(out / 255, truth / 255, hole)
    assert repeated > 30
    assert repeated > masked_psnr(smooth / 255, truth / 255, hole) + 8
    assert np.array_equal(out[~hole], truth[~hole])


def test_copy_along_takes_the_nearest_known_repeat_or_gives_up(tiling):
    image = _tensor(tiling)
    known = torch.ones(512, 512, dtype=torch.bool)
    known[200:230, 100:150] = False
    out = copy_along(image, known, Lattice((28, 0), None, 0.0))
    assert out is not None
    assert torch.equal(out[:, known], image[:, known])
    assert torch.equal(out[:, 200:228, 100:150], image[:, 172:200, 100:150])  # one period up
    assert torch.equal(out[:, 228:230, 100:150], image[:, 256:258, 100:150])  # or down
    known[100:400, 100:150] = False  # taller than two periods up and down can reach
    assert copy_along(image, known, Lattice((28, 0), None, 0.0)) is None
