"""Where to fill: ``FillMask``, parsed once at the front end from what the user painted or selected.

One type travels from every front end to the engine: a ``[H, W]`` bool array, True = fill, with
its checks (size, empty, something left to fill from) here and nowhere else, one message each.

One rule for a painted mask, whatever its mode: a pixel is painted where its value is at least half
its range (128 of 255, 32768 of 65535, 0.5 of 1.0), and, when the mask has an alpha channel, where
it is at least half opaque too. Half, not "nonzero": a mask saved as JPEG carries a faint halo of
compression noise around every stroke, which filled as much as a fifth more than was painted.
A selection's coverage is no painted mask: ``FillMask.selection`` keeps every pixel it touches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .errors import InputError
from .imaging import NUMERIC_MODES, alpha_channel, decode, numeric_range, transparent_pixels


@dataclass(frozen=True, eq=False)  # eq=False: compared and hashed by identity, as arrays are not
class FillMask:
    """The pixels to fill in one image: ``holes``, ``[H, W]`` bool, True = fill.

    Build it with ``painted``, ``selection`` or ``transparent`` (or from an array the caller
    computed). ``holes`` is a read-only view of the array given, not a copy: a 100 MP mask is not
    duplicated. ``source`` names what it came from in every message ("the mask", "the selection").
    """

    holes: np.ndarray
    source: str = "the mask"

    def __post_init__(self) -> None:
        holes = np.asarray(self.holes)
        if holes.ndim != 2 or holes.dtype != bool:
            raise ValueError(f"expected [H, W] bool holes, got {holes.dtype} {list(holes.shape)}")
        frozen = holes.view()
        frozen.flags.writeable = False
        object.__setattr__(self, "holes", frozen)

    @classmethod
    def painted(
        cls, mask: Image.Image, size: tuple[int, int], source: str = "the mask"
    ) -> FillMask:
        """The painted pixels of ``mask`` for an image of ``size`` (width, height).

        Painted = at least half the mode's range (see the module). A colour mask counts its
        brightest channel, so red strokes fill as white ones do. A mask with an alpha channel or a
        transparent colour (white strokes on a transparent layer, a GIF) fills where it is painted
        and at least half opaque, so its transparent background never counts. ``InputError`` when
        the sizes differ or the mask cannot be decoded.
        """
        decode(mask, "mask")
        _check_size(source, mask.size, size)
        return cls(_painted(mask), source)

    @classmethod
    def selection(cls, coverage: np.ndarray, source: str = "the selection") -> FillMask:
        """Every pixel a selection's ``[H, W]`` uint8 coverage (GIMP's) touches at all.

        GIMP blends the result by the coverage, so a feathered edge fades into the fill only if the
        whole feather was filled.
        """
        return cls(np.asarray(coverage) > 0, source)

    @classmethod
    def transparent(cls, image: Image.Image) -> FillMask:
        """The fully transparent pixels of ``image``: the mask when the user gives none.
        ``InputError`` when it has none."""
        hidden = transparent_pixels(image)
        if hidden is None:
            raise InputError("no mask given and the image has no transparent pixels to fill")
        return cls(hidden, "the image's transparency")

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), as Pillow gives an image's."""
        return self.holes.shape[1], self.holes.shape[0]

    @property
    def empty(self) -> bool:
        """No pixel to fill: the engine gives back a copy of the image."""
        return not self.holes.any()

    def require_holes(self) -> None:
        """``InputError`` when there is nothing to fill, for front ends that refuse that."""
        if self.empty:
            raise InputError(f"{self.source} is empty: nothing to fill")

    def network_holes(self, image: Image.Image) -> np.ndarray:
        """``[H, W]`` bool, True = the network fills it: these holes and the fully transparent
        pixels of ``image``, whose colour is no context (often black after a resize or rotation).
        Only ``holes`` are written; a transparent pixel outside them keeps its colour and alpha.

        ``InputError`` when the sizes differ, and when nothing is left to fill from: holes and
        transparency cover the whole image (a whole-layer selection, an all-white mask), which
        would come back flat grey.
        """
        _check_size(self.source, self.size, image.size)
        hidden = transparent_pixels(image)
        holes = self.holes if hidden is None else self.holes | hidden
        if not self.empty and holes.all():
            also = " with the image's fully transparent pixels" if not self.holes.all() else ""
            raise InputError(
                f"nothing is left to fill from: {self.source}{also} covers the whole image; mask "
                "less, so some of the photo around what is filled stays known"
            )
        return holes


def _check_size(source: str, mask_size: tuple[int, int], size: tuple[int, int]) -> None:
    if mask_size != size:
        raise InputError(
            f"{source} is {mask_size[0]}x{mask_size[1]} but the image is {size[0]}x{size[1]}; "
            "they must match"
        )


def as_fill_mask(mask: FillMask | Image.Image, size: tuple[int, int]) -> FillMask:
    """``mask`` itself, or a mask image parsed by ``FillMask.painted`` for an image of ``size``
    (width, height), as every front end's painted masks are."""
    if isinstance(mask, FillMask):
        return mask
    if isinstance(mask, Image.Image):
        return FillMask.painted(mask, size)
    raise InputError(f"the mask must be a FillMask or a PIL image, got {type(mask).__name__}")


def mask_array(mask: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """``FillMask.painted(mask, size).holes``: the painted rule as a plain array (the window's
    document keeps its mask as painting, not as a ``FillMask``)."""
    return FillMask.painted(mask, size).holes


def _painted(mask: Image.Image) -> np.ndarray:
    alpha = alpha_channel(mask)
    if alpha is not None:
        rgb = mask.convert("RGBA") if mask.mode in ("P", "L", "RGB") else mask  # keyed colour
        return _at_least_half(alpha) & _brightest_at_least_half(rgb.convert("RGB"))
    if mask.mode == "1":
        return np.asarray(mask, bool)
    if mask.mode == "L":
        return _at_least_half(np.asarray(mask))
    if mask.mode in NUMERIC_MODES:
        lo, hi = numeric_range(mask)
        values = np.asarray(mask, np.float64)
        return np.nan_to_num(values, nan=lo) >= (lo + hi) / 2
    return _brightest_at_least_half(mask if mask.mode == "RGB" else mask.convert("RGB"))


def _at_least_half(values: np.ndarray) -> np.ndarray:
    return values >= 128  # of 0..255


def _brightest_at_least_half(rgb: Image.Image) -> np.ndarray:
    return _at_least_half(np.asarray(rgb).max(axis=-1))
