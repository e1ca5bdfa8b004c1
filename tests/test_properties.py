"""Properties over random sizes, modes and masks: the promises that hold for every input.

- the output has the input's size and mode;
- every pixel outside the mask is bit-identical to the input (alpha, palette indices, 16-bit, float);
- the inputs are never modified;
- a file saved and loaded again gives back the same pixels, for every mode PNG stores exactly.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from scnn_plugin.errors import InputError
from scnn_plugin.image_io import load_image, save_image
from scnn_plugin.masks import mask_array

MODES = ["1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr", "I;16", "I", "F"]
PROPERTY = settings(
    max_examples=25,
    derandomize=True,  # every run draws the same cases: a failure reproduces, a pass means the same
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def make_image(mode: str, width: int, height: int, seed: int) -> Image.Image:
    """Random pixels in ``mode``, including its full value range (16-bit, negative ints, floats)."""
    rng = np.random.default_rng(seed)
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16))
    if mode == "I":
        return Image.fromarray(rng.integers(-1000, 70000, (height, width), dtype=np.int32))
    if mode == "F":
        return Image.fromarray(rng.normal(0, 100, (height, width)).astype(np.float32))
    rgba = Image.fromarray(rng.integers(0, 256, (height, width, 4), dtype=np.uint8), "RGBA")
    if mode == "PA":
        pa = Image.frombytes(
            "PA",
            (width, height),
            rng.integers(0, 256, (height, width, 2), dtype=np.uint8).tobytes(),
        )
        pa.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tolist())
        return pa
    return rgba if mode == "RGBA" else rgba.convert("RGB").convert(mode)


@st.composite
def masks(draw, width: int, height: int) -> Image.Image:
    """A box, scattered pixels, nothing or everything, in the modes users hand in."""
    kind = draw(st.sampled_from(["box", "scatter", "empty", "full"]))
    hole = np.zeros((height, width), bool)
    if kind == "box":
        x0, y0 = draw(st.integers(0, width - 1)), draw(st.integers(0, height - 1))
        hole[y0 : y0 + draw(st.integers(1, height)), x0 : x0 + draw(st.integers(1, width))] = True
    elif kind == "scatter":
        hole = np.random.default_rng(draw(st.integers(0, 999))).random((height, width)) < 0.1
    elif kind == "full":
        hole[:] = True
    as_mode = draw(st.sampled_from(["L", "1", "RGBA", "F"]))
    if as_mode == "1":
        return Image.fromarray(hole)
    if as_mode == "RGBA":  # white strokes on a transparent layer
        layer = np.zeros((height, width, 4), np.uint8)
        layer[hole] = 255
        return Image.fromarray(layer, "RGBA")
    if as_mode == "F":
        return Image.fromarray(np.where(hole, 0.7, -1.0).astype(np.float32))
    values = np.random.default_rng(1).integers(1, 256, (height, width))
    return Image.fromarray(np.where(hole, values, 0).astype(np.uint8))  # soft, non-binary


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pixel: every channel bit-identical (the generated float images hold no NaN)."""
    equal = a == b
    return equal.reshape(equal.shape[0], equal.shape[1], -1).all(axis=-1)


@PROPERTY
@given(
    mode=st.sampled_from(MODES),
    width=st.integers(1, 150),
    height=st.integers(1, 110),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_outside_mask_identical_and_size_and_mode_kept(
    fast_inpainter, mode, width, height, seed, data
):
    image = make_image(mode, width, height, seed)
    mask = data.draw(masks(width, height))
    before_image, before_mask = image.tobytes(), mask.tobytes()
    try:
        out = fast_inpainter.inpaint(image, mask)
    except InputError as err:  # nothing known to fill from: refused, never a made-up fill
        assert "nothing is left to fill from" in str(err)
        assert image.tobytes() == before_image and mask.tobytes() == before_mask
        return
    assert out.size == image.size and out.mode == image.mode
    hole = mask_array(mask, image.size)
    assert _same(np.asarray(out), np.asarray(image))[~hole].all()
    if mode in ("LA", "PA", "RGBA"):  # alpha is never written, even inside the mask
        assert np.array_equal(np.asarray(out)[..., -1], np.asarray(image)[..., -1])
    if mode == "P":
        assert out.getpalette() == image.getpalette()
    assert image.tobytes() == before_image and mask.tobytes() == before_mask


@PROPERTY
@given(
    mode=st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]),
    width=st.integers(1, 40),
    height=st.integers(1, 40),
    seed=st.integers(0, 2**16),
)
def test_png_save_and_load_round_trip_exactly(tmp_path, mode, width, height, seed):
    image = make_image(mode, width, height, seed)
    path = tmp_path / f"{mode.replace(';', '_')}-{width}x{height}.png"
    save_image(image, path)
    loaded = load_image(path)
    assert loaded.size == image.size and loaded.mode == image.mode
    assert np.array_equal(np.asarray(loaded), np.asarray(image))
