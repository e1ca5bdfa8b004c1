"""The held-out evaluation set: 512x512 views of validation photos, each with one seeded hole per kind.

Built the same way for training-time validation, ``scnn-eval`` and fine-tuning, so every number
reported anywhere is measured on the same kind of sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .hole_masks import MASK_KINDS, OBJECT_KIND, make_mask
from .object_masks import object_mask


@dataclass(frozen=True)
class EvalSample:
    name: str
    kind: str
    image: np.ndarray  # [S, S, 3] uint8
    hole: np.ndarray  # [S, S] bool


def square_view(photo: np.ndarray, size: int) -> np.ndarray:
    """Resize so the short side is ``size`` and take the centre square: the whole scene, 512 px wide."""
    im = Image.fromarray(photo)
    scale = size / min(im.size)
    im = im.resize(
        (max(size, round(im.width * scale)), max(size, round(im.height * scale))), Image.LANCZOS
    )
    left, top = (im.width - size) // 2, (im.height - size) // 2
    return np.asarray(im.crop((left, top, left + size, top + size)))


def build_eval_set(
    photos: list[np.ndarray],
    names: list[str],
    size: int = 512,
    kinds: tuple[str, ...] = tuple(MASK_KINDS),
    seed: int = 1234,
    shapes: list[np.ndarray] | None = None,
) -> list[EvalSample]:
    """One sample per (photo, kind); masks depend only on ``seed``, the photo's index and the kind.

    The ``OBJECT_KIND`` kind needs ``shapes`` (``object_masks.load_silhouettes``).
    """
    if OBJECT_KIND in kinds and not shapes:
        raise ValueError(f"the {OBJECT_KIND!r} hole kind needs silhouettes")
    samples = []
    for i, (photo, name) in enumerate(zip(photos, names)):
        view = square_view(photo, size)
        for k, kind in enumerate(kinds):
            rng = np.random.default_rng([seed, i, k])
            if kind == OBJECT_KIND:
                hole = object_mask(size, rng, shapes)
            else:
                hole = make_mask(kind, size, size, rng)
            samples.append(EvalSample(name, kind, view, hole))
    return samples
