"""16 bits per colour channel (48/64-bit PNG, 48-bit TIFF): kept through the CLI, never cut to 8.

Pillow opens these files as 8-bit RGB/RGBA without a word; the files here are written and read back
with OpenCV, independently of the code under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scnn_plugin.cli import main

cv2 = pytest.importorskip("cv2")  # the eval extra, installed by installer/dev-env.sh


def _deep_photo(photo: Image.Image, channels: int) -> np.ndarray:
    """A real photo spread over 16 bits with noise in the low byte, so a cut to 8 bits shows."""
    rgb = np.asarray(photo.convert("RGB").resize((96, 80))).astype(np.uint16) * 257
    rgb ^= np.random.default_rng(0).integers(0, 256, rgb.shape, dtype=np.uint16)
    if channels == 4:
        alpha = np.full(rgb.shape[:2] + (1,), 65535 - 4321, np.uint16)
        rgb = np.concatenate([rgb, alpha], axis=2)
    return rgb


def _write(path: Path, values: np.ndarray) -> None:
    bgr = values[..., [2, 1, 0, 3][: values.shape[2]]]
    assert cv2.imwrite(str(path), bgr)


def _read(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return bgr[..., [2, 1, 0, 3][: bgr.shape[2]]]


def _mask(path: Path) -> np.ndarray:
    hole = np.zeros((80, 96), bool)
    hole[30:50, 40:60] = True
    Image.fromarray(hole).save(path)
    return hole


@pytest.mark.parametrize("channels, suffix", [(3, ".png"), (4, ".png"), (3, ".tif")])
def test_sixteen_bit_colour_keeps_sixteen_bits_outside_and_inside_the_mask(
    tmp_path, photo, channels, suffix
):
    src = _deep_photo(photo, channels)
    _write(tmp_path / f"in{suffix}", src)
    hole = _mask(tmp_path / "m.png")
    args = [str(tmp_path / f"in{suffix}"), "--mask", str(tmp_path / "m.png")]
    assert main([*args, "-o", str(tmp_path / "out.png"), "--device", "cpu"]) == 0
    out = _read(tmp_path / "out.png")
    assert out.dtype == np.uint16 and out.shape == src.shape
    assert np.array_equal(out[~hole], src[~hole])  # every sample, all 16 bits
    fill = out[hole][:, :3]
    changed = (fill != src[hole][:, :3]).any(axis=1)
    assert changed.mean() > 0.9  # filled (a pixel whose fill is its own 8-bit value may stay)
    assert np.all(fill[changed] % 257 == 0)  # the fill written at 16 bits, 8-bit value x 257
    if channels == 4:
        assert np.array_equal(out[..., 3], src[..., 3])  # alpha untouched, at 16 bits


def test_sixteen_bit_colour_to_a_format_that_would_cut_it_is_refused(tmp_path, photo, capsys):
    _write(tmp_path / "in.png", _deep_photo(photo, 3))
    _mask(tmp_path / "m.png")
    args = [str(tmp_path / "in.png"), "--mask", str(tmp_path / "m.png"), "--device", "cpu"]
    assert main([*args, "-o", str(tmp_path / "out.tif")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "16 bits per channel" in err[0] and ".png" in err[0]
    assert not (tmp_path / "out.tif").exists()
    assert main([*args, "-o", str(tmp_path / "out.jpg")]) == 0  # JPEG is 8-bit by choice
