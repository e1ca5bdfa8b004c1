"""FillMask: one type, True = fill, from every front end to the engine, its checks in one place.

The painting rules themselves (half its range, alpha, GIF transparency) are in
``test_faults_masks.py``; these are the type, its checks and its way through the engine.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from scnn_plugin import InpaintOptions, InputError
from scnn_plugin.imaging import alpha_channel, open_canvas, transparent_pixels
from scnn_plugin.masks import FillMask, as_fill_mask, mask_array


def _noise(width: int, height: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), np.uint8)


def _box(width: int = 40, height: int = 30) -> np.ndarray:
    holes = np.zeros((height, width), bool)
    holes[8:20, 10:30] = True
    return holes


@pytest.mark.parametrize(
    "holes", [np.zeros((4, 5), np.uint8), np.zeros((1, 4, 5), bool), np.zeros(5, bool)]
)
def test_holes_that_are_not_a_2d_bool_array_are_refused_naming_what_they_are(holes):
    with pytest.raises(ValueError, match=rf"expected \[H, W\] bool holes, got {holes.dtype}"):
        FillMask(holes)


def test_holes_are_read_only_and_not_copied():
    holes = _box()
    fill = FillMask(holes)
    assert np.shares_memory(fill.holes, holes)
    with pytest.raises(ValueError, match="read-only"):
        fill.holes[0, 0] = True
    assert fill.size == (40, 30) and not fill.empty
    assert FillMask(np.zeros((3, 2), bool)).empty


def test_a_painted_mask_of_another_size_is_refused_naming_both_sizes_and_its_source():
    with pytest.raises(InputError, match="the mask m.png is 30x40 but the image is 40x30; they"):
        FillMask.painted(Image.new("L", (30, 40), 255), (40, 30), "the mask m.png")


def test_mask_array_is_the_painted_rule_as_an_array():
    mask = Image.fromarray(np.where(_box(), 200, 100).astype(np.uint8))
    assert np.array_equal(mask_array(mask, (40, 30)), _box())
    assert np.array_equal(FillMask.painted(mask, (40, 30)).holes, _box())


def test_the_transparent_pixels_are_the_mask_when_none_is_given():
    rgba = np.dstack([_noise(40, 30), np.where(_box(), 0, 255).astype(np.uint8)])
    fill = FillMask.transparent(Image.fromarray(rgba, "RGBA"))
    assert np.array_equal(fill.holes, _box()) and fill.source == "the image's transparency"
    with pytest.raises(InputError, match="no transparent pixels"):
        FillMask.transparent(Image.fromarray(_noise(40, 30)))


def test_an_empty_selection_is_refused_by_the_front_end_that_asks_naming_it():
    FillMask.selection(np.full((2, 2), 3, np.uint8)).require_holes()  # touched: fine
    empty = FillMask.selection(np.zeros((2, 2), np.uint8), "the selection inside the layer")
    with pytest.raises(InputError, match="^the selection inside the layer is empty: nothing to"):
        empty.require_holes()


@pytest.mark.parametrize("transparent", [False, True])
def test_nothing_left_to_fill_from_is_one_check_with_one_message(transparent):
    rgba = np.dstack([_noise(40, 30), np.full((30, 40), 255, np.uint8)])
    holes = np.ones((30, 40), bool)
    if transparent:  # the mask's holes and the transparent pixels cover the image together
        rgba[:, :10, 3] = 0
        holes[:, :10] = False
    image = Image.fromarray(rgba, "RGBA")
    with pytest.raises(InputError) as err:
        FillMask(holes, "the selection").network_holes(image)
    also = " with the image's fully transparent pixels" if transparent else ""
    assert str(err.value).startswith(
        f"nothing is left to fill from: the selection{also} covers the whole image; mask less"
    )
    with pytest.raises(InputError, match="nothing is left to fill from: the selection"):
        open_canvas(image, FillMask(holes, "the selection"))  # the canvas asks the same check


def test_the_network_fills_the_holes_and_the_fully_transparent_pixels():
    alpha = np.full((30, 40), 255, np.uint8)
    alpha[:, 35:] = 0
    alpha[0, 0] = 1  # nearly transparent is still context
    image = Image.fromarray(np.dstack([_noise(40, 30), alpha]), "RGBA")
    fill = FillMask(_box())
    expected = _box()
    expected[:, 35:] = True
    assert np.array_equal(fill.network_holes(image), expected)
    assert np.array_equal(open_canvas(image, fill).holes, expected)
    opaque = Image.fromarray(_noise(40, 30))
    assert np.array_equal(fill.network_holes(opaque), _box())
    with pytest.raises(InputError, match="the mask is 40x30 but the image is 30x40"):
        fill.network_holes(Image.fromarray(_noise(30, 40)))


def test_an_empty_mask_leaves_even_an_all_transparent_image_alone():
    image = Image.new("RGBA", (4, 3), (0, 0, 0, 0))
    assert FillMask(np.zeros((3, 4), bool)).network_holes(image).all()


def _keyed(mode: str) -> Image.Image:
    """A 3x2 image whose colour key makes its left column transparent."""
    if mode == "P":
        image = Image.new("P", (3, 2), 1)
        image.putpalette([0, 0, 0, 255, 255, 255] + [0, 0, 0] * 254)
        image.paste(0, (0, 0, 1, 2))
        image.info["transparency"] = 0
        return image
    key = 0 if mode == "L" else (0, 0, 0)
    image = Image.new(mode, (3, 2), 255 if mode == "L" else (255, 255, 255))
    image.paste(key, (0, 0, 1, 2))
    image.info["transparency"] = key
    return image


@pytest.mark.parametrize("mode", ["RGBA", "LA", "PA", "P", "L", "RGB"])
def test_one_helper_reads_alpha_from_a_channel_or_a_colour_key(mode):
    expected = np.array([[0, 255, 255], [0, 255, 255]], np.uint8)
    if mode in ("P", "L", "RGB"):
        image = _keyed(mode)
    else:
        colour = Image.new(mode[0] if mode != "RGBA" else "RGB", (3, 2), 255)
        image = colour.convert(mode) if mode != "PA" else Image.new("PA", (3, 2))
        image.putalpha(Image.fromarray(expected))
    assert np.array_equal(alpha_channel(image), expected)
    assert np.array_equal(transparent_pixels(image), expected == 0)


def test_an_image_without_transparency_has_no_alpha():
    assert alpha_channel(Image.new("RGB", (3, 2))) is None
    assert transparent_pixels(Image.new("L", (3, 2))) is None


def test_the_engine_takes_a_fill_mask_or_a_mask_image_and_fills_the_same(fast_inpainter):
    image = Image.fromarray(_noise(40, 30))
    painted = Image.fromarray(np.where(_box(), 255, 0).astype(np.uint8))
    from_image = fast_inpainter.inpaint(image, painted)
    from_fill = fast_inpainter.inpaint(image, FillMask(_box()))
    assert np.array_equal(np.asarray(from_image), np.asarray(from_fill))
    changed = (np.asarray(from_fill) != np.asarray(image)).any(axis=-1)
    assert changed.any() and not changed[~_box()].any()


def test_the_engine_refuses_a_fill_mask_of_another_size_or_another_type(fast_inpainter):
    image = Image.fromarray(_noise(40, 30))
    with pytest.raises(InputError, match="the selection is 30x40 but the image is 40x30"):
        fast_inpainter.inpaint(image, FillMask(np.ones((40, 30), bool), "the selection"))
    with pytest.raises(InputError, match="mask must be a FillMask or a PIL image, got ndarray"):
        fast_inpainter.inpaint(image, _box())
    with pytest.raises(InputError, match="mask must be a FillMask or a PIL image, got ndarray"):
        as_fill_mask(_box(), (40, 30))


def test_the_texture_step_gets_each_window_with_its_holes_as_the_known_pixels_fill_takes(
    fast_inpainter, monkeypatch
):
    """One polarity, True = fill, down to ``add_texture``, which still takes the known pixels."""
    from scnn_plugin import engine

    seen = []
    monkeypatch.setattr(engine, "add_texture", lambda fill, known: seen.append(known) or fill)
    image = Image.fromarray(_noise(40, 30))
    textured = fast_inpainter.with_options(InpaintOptions(device="cpu", texture=True))
    textured.inpaint(image, FillMask(_box()))
    [known] = seen  # one window
    assert known.shape == (30, 40) and np.array_equal(known.numpy(), ~_box())
    seen.clear()
    smooth = fast_inpainter.with_options(InpaintOptions(device="cpu", texture=False))
    smooth.inpaint(image, FillMask(_box()))
    assert seen == []


def test_the_package_serves_fill_mask_without_loading_torch():
    code = (
        "import sys, scnn_plugin\n"
        "from scnn_plugin import FillMask\n"
        "assert FillMask.__module__ == 'scnn_plugin.masks', FillMask\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
