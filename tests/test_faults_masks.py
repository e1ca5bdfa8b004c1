"""Masks as users give them: wrong size, empty, full, soft or odd-mode values, alpha and GIF transparency.

``test_engine.py`` covers a mismatched size, an empty and a full mask on the shipped weights and RGBA
strokes; these add the cases around them.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from scnn_plugin import Inpainter, InpaintOptions, InputError
from scnn_plugin.image_io import load_image
from scnn_plugin.masks import FillMask


def _painted(mask: Image.Image, size: tuple[int, int]) -> np.ndarray:
    return FillMask.painted(mask, size).holes


def _noise(size: tuple[int, int], mode: str = "RGB", seed: int = 0) -> Image.Image:
    rgb = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), np.uint8)
    return Image.fromarray(rgb).convert(mode)


def _changed(a: Image.Image, b: Image.Image) -> np.ndarray:
    d = np.asarray(a) != np.asarray(b)
    return d.reshape(d.shape[0], d.shape[1], -1).any(axis=-1)


def test_transposed_mask_is_refused_naming_both_sizes(fast_inpainter):
    with pytest.raises(InputError, match="mask is 30x40 but the image is 40x30"):
        fast_inpainter.inpaint(_noise((40, 30)), Image.new("L", (30, 40), 255))


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "I;16", "F"])
def test_all_zero_mask_returns_the_input_quickly_without_the_model(fast_inpainter, mode):
    image = _noise((3000, 2000), "L" if mode in ("I;16", "F") else "RGB").convert(mode)
    model = fast_inpainter.model

    def never(*args, **kwargs):
        raise AssertionError("the model ran on an empty mask")

    model.forward, start = never, time.monotonic()
    try:
        out = fast_inpainter.inpaint(image, Image.new("L", image.size, 0))
    finally:
        del model.forward
    assert time.monotonic() - start < 3  # 6 MP: a copy, no tiles
    assert out.mode == image.mode and np.array_equal(np.asarray(out), np.asarray(image))


@pytest.fixture(scope="module")
def small_tiles(default_weights) -> Inpainter:
    """The default model, untrained or shipped: a real fill, small tiles so 96x72 spans four."""
    options = InpaintOptions(tile=64, overlap=16, timesteps=1)
    return Inpainter.from_pretrained(default_weights, device="cpu", options=options)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA", "I;16", "F"])
def test_a_mask_leaving_no_known_pixel_is_refused_in_every_mode(small_tiles, photo, mode):
    """Issue 25: an all-set mask came back as flat grey 128, reported as success."""
    small = photo.resize((96, 72))
    image = small.convert("L").convert(mode) if mode in ("I;16", "F") else small.convert(mode)
    with pytest.raises(InputError, match="nothing is left to fill from"):
        small_tiles.inpaint(image, Image.new("L", image.size, 255))


def test_a_mask_whose_surroundings_are_all_transparent_is_refused(small_tiles, photo):
    image = photo.resize((96, 72)).convert("RGBA")
    alpha = np.zeros((72, 96), np.uint8)
    alpha[20:40, 30:60] = 255  # the object is the only visible thing, and it is to be removed
    image.putalpha(Image.fromarray(alpha))
    with pytest.raises(InputError, match="nothing is left to fill from"):
        small_tiles.inpaint(image, Image.fromarray(alpha))
    alpha[0, 0] = 255  # one visible pixel outside the mask is enough context to fill from
    image.putalpha(Image.fromarray(alpha))
    mask = alpha.copy()
    mask[0, 0] = 0
    assert small_tiles.inpaint(image, Image.fromarray(mask)).size == image.size


def _values(hole: np.ndarray, painted, background, dtype) -> Image.Image:
    return Image.fromarray(np.where(hole, painted, background).astype(dtype))


@pytest.mark.parametrize(
    "make_mask",
    [
        pytest.param(lambda h: _values(h, 128, 127, np.uint8), id="L-just-above-half"),
        pytest.param(lambda h: _values(h, 255, 60, np.uint8), id="L-grey-halo"),
        pytest.param(lambda h: Image.fromarray(h), id="mode-1"),
        pytest.param(lambda h: _values(h, 32768, 32767, np.uint16), id="I;16"),
        pytest.param(lambda h: _values(h, 40000, 1000, np.int32), id="I-sixteen-bit-values"),
        pytest.param(lambda h: _values(h, 0.5, 0.49, np.float32), id="F-zero-to-one"),
        pytest.param(lambda h: _values(h, 0.25, -1.0, np.float32), id="F-negative-background"),
        pytest.param(lambda h: _values(h, 0.5, np.nan, np.float32), id="F-nan"),
        pytest.param(
            lambda h: _values(h[..., None], [200, 0, 0], [90, 90, 90], np.uint8),
            id="RGB-red-strokes-on-grey",
        ),
    ],
)
def test_a_mask_fills_where_it_is_at_least_half_its_range_and_nowhere_else(
    fast_inpainter, make_mask
):
    """Issue 43: every nonzero value filled, so a JPEG's compression halo did too."""
    hole = np.zeros((40, 50), bool)
    hole[8:20, 10:35] = True
    hole[30, 45] = True
    mask = make_mask(hole)
    assert np.array_equal(_painted(mask, (50, 40)), hole)
    image = _noise((50, 40))
    assert not _changed(image, fast_inpainter.inpaint(image, mask))[~hole].any()


@pytest.mark.parametrize("quality", [50, 75])
def test_a_mask_saved_as_jpeg_fills_what_was_painted_not_its_halo(tmp_path, object_mask, quality):
    painted = np.asarray(object_mask) > 0
    object_mask.save(tmp_path / "mask.jpg", quality=quality)
    loaded = load_image(tmp_path / "mask.jpg")
    assert (np.asarray(loaded) > 0).sum() > 1.03 * painted.sum()  # the halo is really there
    holes = _painted(loaded, object_mask.size)
    assert abs(int(holes.sum()) - int(painted.sum())) < 0.01 * painted.sum()
    assert (holes != painted).sum() < 0.01 * painted.sum()  # the same pixels, up to the edge


def test_a_faint_stroke_on_a_transparent_layer_does_not_fill():
    """Alpha counts the same way: a stroke at less than half opacity is not painted."""
    hole = np.zeros((20, 30), bool)
    hole[5:9, 3:25] = True
    alpha = np.where(hole, 255, 0).astype(np.uint8)
    alpha[5:9, 20:25] = 100  # the tail of the stroke, mostly transparent
    white = np.full_like(alpha, 255)
    expected = hole.copy()
    expected[5:9, 20:25] = False
    assert np.array_equal(
        _painted(Image.fromarray(np.stack([white, alpha], -1), "LA"), (30, 20)), expected
    )


def test_a_gimp_selection_fills_every_pixel_it_touches():
    """A selection's coverage is not a painted mask: GIMP blends the fill by coverage, so the whole
    feather must be filled for the edge to fade in."""
    coverage = np.array([[0, 1, 127], [128, 255, 0]], np.uint8)
    assert FillMask.selection(coverage).holes.tolist() == [[False, True, True], [True, True, False]]


def _transparent_background(mode: str, hole: np.ndarray) -> Image.Image:
    """White strokes on a background that is white too but fully transparent."""
    alpha = np.where(hole, 255, 0).astype(np.uint8)
    white = np.full_like(alpha, 255)
    if mode == "LA":
        return Image.fromarray(np.stack([white, alpha], axis=-1), "LA")
    if mode == "PA":  # index 0 of a white palette, built directly: LA -> PA conversion drops alpha
        index = np.zeros_like(alpha)
        image = Image.frombytes("PA", alpha.shape[::-1], np.stack([index, alpha], -1).tobytes())
        image.putpalette([255, 255, 255] * 256)
        return image
    raise ValueError(mode)


@pytest.mark.parametrize("mode", ["LA", "PA"])
def test_mask_with_alpha_fills_only_opaque_strokes(mode):
    hole = np.zeros((20, 30), bool)
    hole[5:9, 3:25] = True
    assert np.array_equal(_painted(_transparent_background(mode, hole), (30, 20)), hole)


def test_gif_mask_with_a_transparent_background_fills_only_its_strokes(tmp_path):
    """GIF has no alpha channel, only a transparent palette entry: it must count as unpainted."""
    hole = np.zeros((20, 30), bool)
    hole[4:12, 6:20] = True
    mask = Image.new("P", (30, 20), 0)
    mask.putpalette([255, 255, 255, 255, 0, 0] + [0, 0, 0] * 254)  # 0: white, transparent; 1: red
    mask.paste(1, (6, 4, 20, 12))
    mask.save(tmp_path / "strokes.gif", transparency=0)
    loaded = load_image(tmp_path / "strokes.gif")
    assert np.array_equal(_painted(loaded, (30, 20)), hole)


def test_inputs_are_never_modified(fast_inpainter):
    image, mask = (
        _noise((70, 50), "RGBA"),
        _transparent_background("LA", np.eye(50, 70, dtype=bool)),
    )
    before = image.tobytes(), mask.tobytes(), dict(image.info)
    fast_inpainter.inpaint(image, mask)
    assert (image.tobytes(), mask.tobytes(), dict(image.info)) == before


def _with_hidden_band(photo: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    """A cut-out: a band of fully transparent pixels beside the hole, ``colour`` under them."""
    rgb = np.array(photo.resize((128, 96)).convert("RGB"))
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:, 70:90] = 0
    rgb[:, 70:90] = colour  # what a resize or rotation leaves under alpha 0: often black
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


def test_colour_under_fully_transparent_pixels_is_never_context(small_tiles, photo):
    """Issue 25: the colour hidden under alpha 0 was used as context (a black streak)."""
    hole = np.zeros((96, 128), bool)
    hole[30:60, 50:70] = True  # right against the transparent band
    fills = []
    for colour in ((0, 0, 0), (255, 255, 255), (255, 0, 255)):
        image = _with_hidden_band(photo, colour)
        out = np.asarray(small_tiles.inpaint(image, Image.fromarray(hole)))
        src = np.asarray(image)
        assert np.array_equal(out[~hole], src[~hole])  # hidden pixels too, colour and alpha
        fills.append(out[hole])
    assert np.array_equal(fills[0], fills[1]) and np.array_equal(fills[0], fills[2])


def _rotated(photo: Image.Image) -> tuple[Image.Image, np.ndarray]:
    """A 128 px crop of ``photo`` turned 45 degrees as an editor turns a layer (its corners fully
    transparent, black under them), and a hole in the photo right against the upper-left corner."""
    crop = photo.crop((160, 120, 288, 248)).convert("RGBA")
    image = crop.rotate(45, resample=Image.Resampling.BICUBIC, expand=True)  # 182x182
    hidden = np.asarray(image)[..., 3] == 0
    hole = np.zeros(hidden.shape, bool)
    hole[50:80, 44:74] = True
    assert not (hole & hidden).any() and hidden[50:80, 40:74].any()  # beside it, not in it
    return image, hole


def test_fully_transparent_pixels_are_unknown_to_the_fill_as_if_masked(inpainter, photo):
    """Issue 25: fully transparent pixels reached the network (and the prior and the texture
    stage) as known context, with a stand-in colour; they must be unknown, exactly as if masked."""
    image, hole = _rotated(photo)
    src = np.asarray(image)
    hidden = src[..., 3] == 0
    out = np.asarray(inpainter.inpaint(image, Image.fromarray(hole)))
    assert np.array_equal(out[~hole], src[~hole])  # hidden pixels too, colour and alpha
    assert np.array_equal(out[..., 3], src[..., 3])
    # The same photo opaque, its transparent corners masked: one 182 px window either way, so
    # the network, the prior (over half the window is unknown) and the texture see the same.
    masked = np.asarray(inpainter.inpaint(image.convert("RGB"), Image.fromarray(hole | hidden)))
    assert np.array_equal(out[hole][:, :3], masked[hole])


def test_the_network_is_told_fully_transparent_pixels_are_unknown(fast_inpainter, photo):
    image, hole = _rotated(photo)
    hidden = np.asarray(image)[..., 3] == 0
    masks = []
    one_window = fast_inpainter.with_options(InpaintOptions(tile=192, overlap=16, timesteps=1))
    handle = one_window.model.register_forward_pre_hook(lambda m, args: masks.append(args[1]))
    try:
        one_window.inpaint(image, Image.fromarray(hole))
    finally:
        handle.remove()
    assert len(masks) == 1
    seen = masks[0][0, 0, :182, :182].numpy()
    assert np.array_equal(seen, (hole | hidden).astype(np.float32))
