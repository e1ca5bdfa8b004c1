"""Training samples: random multi-scale crops of real photos with generated holes.

A few hundred photos become millions of distinct samples: each sample picks a photo, a crop scale
(1:1 for detail, downscaled for structure), a flip, a mild colour jitter, on request cables drawn
across it (cables.py), and a fresh hole mask of a kind drawn uniformly, or on request an object-like
blob (blob_masks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..imaging import to_tensor
from .blob_masks import make_blob
from .cables import draw_cables
from .hole_masks import MASK_KINDS, make_mask

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"}
MAX_ZOOM_OUT = 3.0  # the widest crop scale: a 3x larger window downscaled, for structure
JITTER = 0.1  # brightness, contrast and saturation each vary by up to +-10 %
_KINDS = tuple(MASK_KINDS)  # hole kinds, drawn uniformly


def default_pool_dir() -> Path:
    """Where ``python -m scnn_plugin.training.photos`` caches the training and validation photos."""
    return Path(platformdirs.user_cache_dir("scnn-inpaint")) / "photos"


@dataclass
class PhotoFolder:
    """Photos found under a folder: those that decode, and the ones skipped with the reason."""

    photos: list[np.ndarray]
    names: list[str]
    skipped: list[tuple[str, str]]


def find_photos(root: Path) -> list[Path]:
    """Image files under ``root``, recursively, in a stable order."""
    return sorted(
        p for p in Path(root).rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file()
    )


def load_photos(paths: list[Path], min_side: int = 128, max_side: int = 1024) -> PhotoFolder:
    """Decode ``paths`` to RGB uint8 arrays (EXIF orientation applied, short side <= ``max_side``).

    Files that fail to decode or are smaller than ``min_side`` are skipped and listed, never fatal.
    """
    photos, names, skipped = [], [], []
    for path in paths:
        try:
            with Image.open(path) as im:
                im = ImageOps.exif_transpose(im)
                im = im.convert("RGB")
                if min(im.size) < min_side:
                    skipped.append((str(path), f"smaller than {min_side} px"))
                    continue
                scale = max_side / min(im.size)
                if scale < 1:
                    im = im.resize(
                        (round(im.width * scale), round(im.height * scale)), Image.LANCZOS
                    )
                photos.append(np.asarray(im))
                names.append(str(path))
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as err:
            skipped.append((str(path), str(err) or type(err).__name__))
    return PhotoFolder(photos, names, skipped)


class CropSampler(torch.utils.data.IterableDataset):
    """Endless ``(image [3, S, S], hole [1, S, S])`` float samples from ``photos``; seeded per worker."""

    def __init__(
        self,
        photos: list[np.ndarray],
        size: int = 256,
        seed: int = 0,
        cables: float = 0.0,
        objects: float = 0.0,
    ) -> None:
        if not photos:
            raise ValueError("no photos to sample from")
        self.photos, self.size, self.seed = photos, size, seed
        self.cables = cables  # chance a sample gets cables drawn across it
        self.objects = objects  # chance its hole is an object-like blob instead of strokes

    def __iter__(self):
        # One stream per (seed, rank, loader worker): seed sequences that differ in any entry give
        # independent generators, so no two workers or ranks draw the same samples.
        info = torch.utils.data.get_worker_info()
        rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
        rng = np.random.default_rng([self.seed, rank, info.id if info else 0])
        while True:
            yield self.sample(rng)

    def sample(self, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        photo = self.photos[rng.integers(len(self.photos))]
        crop = self._crop(photo, rng)
        image = to_tensor(crop)[0]
        image = self._jitter(image, rng)
        # No random draw at 0, so runs without cables keep their sample sequence.
        if self.cables and rng.random() < self.cables:
            image = draw_cables(image, rng)
        # Likewise no draw at 0, so runs without blobs keep theirs.
        if self.objects and rng.random() < self.objects:
            hole = make_blob(self.size, rng)
        else:
            kind = _KINDS[rng.integers(len(_KINDS))]
            hole = make_mask(kind, self.size, self.size, rng)
        return image, torch.from_numpy(hole)[None].float()

    def _crop(self, photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        h, w = photo.shape[:2]
        s = self.size
        # Half the samples at 1:1 (detail), half zoomed out up to MAX_ZOOM_OUT (structure).
        zoom = 1.0 if rng.random() < 0.5 else rng.uniform(1.0, MAX_ZOOM_OUT)
        side = int(min(h, w, round(s * zoom)))
        y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        patch = photo[y : y + side, x : x + side]
        if side != s:
            patch = np.asarray(
                Image.fromarray(patch).resize((s, s), Image.BILINEAR if side < s else Image.BOX)
            )
        if rng.random() < 0.5:
            patch = patch[:, ::-1]
        return np.array(patch)  # a writable copy: torch tensors must not alias read-only photos

    def _jitter(self, image: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        j = JITTER
        brightness, contrast, saturation = rng.uniform(1 - j, 1 + j, size=3)
        grey = image.mean(0, keepdim=True)
        image = grey + (image - grey) * saturation
        image = image.mean() + (image - image.mean()) * contrast
        return (image * brightness).clamp(0, 1)
