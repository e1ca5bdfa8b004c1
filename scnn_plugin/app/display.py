"""Pillow images and masks as Qt images for the screen; the saved file never passes through here.

Why a separate path: the document keeps the image in its own mode (16-bit, CMYK, palette...) so saving
loses nothing; only what is drawn is converted to 8-bit RGBA.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from PyQt6.QtGui import QImage

# Mask overlay colour, premultiplied RGBA: a translucent blue, since red vanishes on skin and warm
# colours, the most common things photographers mask.
_OVERLAY_ALPHA = 140
_OVERLAY = np.array([40, 110, 255], np.uint32) * _OVERLAY_ALPHA // 255
_OVERLAY_LUT = np.zeros((256, 4), np.uint8)
_OVERLAY_LUT[1:, :3] = _OVERLAY
_OVERLAY_LUT[1:, 3] = _OVERLAY_ALPHA


def image_to_qimage(image: Image.Image) -> QImage:
    """An independent 8-bit RGBA ``QImage`` of ``image`` in any Pillow mode."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # Pillow's 16-bit -> 8-bit conversion clips instead of scaling; scale for display.
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if values.max() > 255 else 255.0
        image = Image.fromarray(np.clip(values * (255.0 / top), 0, 255).astype(np.uint8), "L")
    rgba = np.ascontiguousarray(np.asarray(image.convert("RGBA")))
    height, width = rgba.shape[:2]
    return QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


class MaskOverlay:
    """A translucent colour layer over the mask's pixels, updated region by region while painting."""

    def __init__(self, width: int, height: int) -> None:
        self._pixels = np.zeros((height, width, 4), np.uint8)
        # Shares ``_pixels``' memory, so updating the array updates what is drawn.
        self.qimage = QImage(
            self._pixels.data, width, height, 4 * width, QImage.Format.Format_RGBA8888_Premultiplied
        )

    def update(self, mask: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> None:
        """Recolour the box (x1/y1 exclusive) from ``mask``, the document's ``[H, W]`` uint8 mask
        (``FILL`` = fill, 0 = keep)."""
        self._pixels[y0:y1, x0:x1] = _OVERLAY_LUT[mask[y0:y1, x0:x1]]
