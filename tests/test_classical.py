"""The classical fills SC-NN is compared with: one contract, real results on a real photograph."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from scnn_plugin.evaluation.classical import (
    FILLS,
    FillUnavailable,
    fill_patchmatch,
    fill_status,
    get_fill,
)
from scnn_plugin.evaluation.metrics import masked_psnr

# Crops of the astronaut photo (top, left; 128 px): a smooth wall and the textured flag corner.
SMOOTH, TEXTURED = (96, 288), (0, 0)


def _crop(photo, at: tuple[int, int]) -> np.ndarray:
    y, x = at
    return np.ascontiguousarray(np.asarray(photo)[y : y + 128, x : x + 128])


def _hole() -> np.ndarray:
    """A 16 px bar and a 20 px blob: the size of a scratch or a small object on a 128 px crop."""
    hole = np.zeros((128, 128), bool)
    hole[40:56, 30:100] = True
    yy, xx = np.mgrid[:128, :128]
    return hole | ((yy - 90) ** 2 + (xx - 70) ** 2 < 10**2)


def _flat_fill(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The crudest useful fill: every hole pixel gets the mean known colour."""
    out = rgb.copy()
    out[hole] = np.rint(rgb[~hole].mean(0)).astype(np.uint8)
    return out


def _require(name: str) -> None:
    status = fill_status(name)
    if status != "ok":
        pytest.skip(f"{name} {status}")


def test_registry_names_every_classical_fill():
    assert list(FILLS) == [
        "telea",
        "navier-stokes",
        "fsr-fast",
        "biharmonic",
        "patchmatch",
        "membrane",
    ]
    assert get_fill("telea") is FILLS["telea"]


def test_unknown_fill_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="known: .*'patchmatch'.*'telea'"):
        get_fill("lama")


@pytest.mark.parametrize("name", list(FILLS))
def test_pixels_outside_the_hole_are_untouched_and_inputs_unchanged(photo, name):
    _require(name)
    rgb, hole = _crop(photo, TEXTURED), _hole()
    rgb_before, hole_before = rgb.copy(), hole.copy()
    out = FILLS[name](rgb, hole)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~hole], rgb[~hole])
    np.testing.assert_array_equal(rgb, rgb_before)
    np.testing.assert_array_equal(hole, hole_before)
    assert out is not rgb


@pytest.mark.parametrize("name", list(FILLS))
def test_smooth_region_is_filled_close_to_the_truth(photo, name):
    """Every method lands within a few levels of the real wall; a flat mean colour is ~21 dB."""
    _require(name)
    rgb, hole = _crop(photo, SMOOTH), _hole()
    damaged = rgb.copy()
    damaged[hole] = 0  # the fill must not see the truth through the hole
    truth = rgb / 255.0
    psnr = masked_psnr(FILLS[name](damaged, hole) / 255.0, truth, hole)
    flat = masked_psnr(_flat_fill(damaged, hole) / 255.0, truth, hole)
    assert 20 < flat < 23
    assert psnr > 30, f"{name}: {psnr:.2f} dB"
    assert psnr > flat + 8


@pytest.mark.parametrize("name", list(FILLS))
def test_textured_region_beats_a_flat_fill(photo, name):
    _require(name)
    rgb, hole = _crop(photo, TEXTURED), _hole()
    damaged = rgb.copy()
    damaged[hole] = 0
    truth = rgb / 255.0
    psnr = masked_psnr(FILLS[name](damaged, hole) / 255.0, truth, hole)
    flat = masked_psnr(_flat_fill(damaged, hole) / 255.0, truth, hole)
    assert psnr > flat + 5, f"{name}: {psnr:.2f} dB vs flat {flat:.2f} dB"


@pytest.mark.parametrize("name", list(FILLS))
def test_no_hole_returns_an_equal_copy(photo, name):
    _require(name)
    rgb = _crop(photo, SMOOTH)
    out = FILLS[name](rgb, np.zeros(rgb.shape[:2], bool))
    np.testing.assert_array_equal(out, rgb)


@pytest.mark.parametrize(
    ("rgb", "hole", "match"),
    [
        (np.zeros((8, 8), np.uint8), np.zeros((8, 8), bool), r"rgb must be \[H, W, 3\] uint8"),
        (np.zeros((8, 8, 3), np.float32), np.zeros((8, 8), bool), "rgb must be"),
        (
            np.zeros((8, 8, 3), np.uint8),
            np.zeros((8, 9), bool),
            r"hole must be \[H, W\] = \(8, 8\)",
        ),
        (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8), "bool, got"),
    ],
)
def test_wrong_shapes_or_types_name_expected_and_actual(rgb, hole, match):
    with pytest.raises(ValueError, match=match):
        FILLS["membrane"](rgb, hole)


def test_missing_library_reports_unavailable_instead_of_crashing(monkeypatch):
    monkeypatch.setitem(sys.modules, "patchmatch", None)  # import patchmatch -> ImportError
    with pytest.raises(FillUnavailable, match="pypatchmatch is not installed"):
        fill_patchmatch(np.zeros((8, 8, 3), np.uint8), np.ones((8, 8), bool))
    assert fill_status("patchmatch").startswith("unavailable: pypatchmatch is not installed")


def test_installed_fills_report_ok():
    """OpenCV-contrib, scikit-image and the membrane fill are in the dev environment: all run."""
    for name in ("telea", "navier-stokes", "fsr-fast", "biharmonic", "membrane"):
        assert fill_status(name) == "ok", name
