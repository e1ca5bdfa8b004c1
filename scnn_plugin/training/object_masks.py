"""Object-shaped holes: the silhouettes of real cut-outs, placed and sized as a user selects a thing.

Free-form strokes reward a blur: they are narrow, so every hole pixel is near a known one. What users
remove is an object (a spoon, a bush, a boat), a compact blob several tens of pixels deep. The shapes
come from Debian's ``tuxpaint-stamps-default`` (GPL-2, Bill Kendrick; its alpha channels are drawings
of animals, vehicles, household things and plants), fetched and cut out once by
``python -m scnn_plugin.training.object_masks`` into the pool's ``silhouettes/`` folder. Only the
binary shapes are kept; the drawings themselves are never shown or trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from ..errors import ScnnError
from .data import default_pool_dir
from .debian import extract_deb, fetch_deb, read_copyright

PACKAGE = "tuxpaint-stamps-default"
STAMPS = "usr/share/tuxpaint/stamps"
# A shape is kept if it fills this share of its bounding box: blobs and outlines of real things,
# not lines (too sparse) or near-rectangles (a box hole is already a stroke kind).
FILL_RANGE = (0.3, 0.85)
# Kept silhouettes are stored at most this many px on their long side; holes are smaller.
STORE_SIDE = 256
# Share of the image an object covers, and the selection margin a user leaves around it (px).
COVERAGE = (0.04, 0.12)
DILATE = 3


def silhouettes_dir(pool: Path | None = None) -> Path:
    return (pool or default_pool_dir()) / "silhouettes"


def cut_silhouette(rgba: Image.Image) -> np.ndarray | None:
    """The stamp's opaque area (alpha > 127) cropped to its box, or None if it is not blob-like."""
    alpha = np.asarray(rgba.convert("RGBA"))[..., 3] > 127
    rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    if rows.size < 32 or cols.size < 32:
        return None
    shape = alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if not FILL_RANGE[0] <= shape.mean() <= FILL_RANGE[1]:
        return None
    if max(shape.shape) > 4 * min(shape.shape):  # a pencil or a rope: a stroke, not an object
        return None
    return shape


def build_silhouettes(out: Path, debs: Path) -> int:
    """Fetch the stamps package, keep its blob-like silhouettes as 1-bit PNGs in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = extract_deb(fetch_deb(PACKAGE, debs), Path(tmp))
        kept = 0
        for path in sorted((root / STAMPS).rglob("*.png")):
            with Image.open(path) as im:
                shape = cut_silhouette(im)
            if shape is None:
                continue
            img = Image.fromarray(shape.astype(np.uint8) * 255)
            img.thumbnail((STORE_SIDE, STORE_SIDE), Image.LANCZOS)
            name = "-".join(path.relative_to(root / STAMPS).with_suffix("").parts)
            img.point(lambda v: 255 if v > 127 else 0).convert("1").save(out / f"{name}.png")
            kept += 1
        note = {"package": PACKAGE, "licence": "GPL-2", "kept": kept}
        note["copyright"] = read_copyright(root, PACKAGE)[:400]
        (out / "source.json").write_text(json.dumps(note, indent=1) + "\n")
    return kept


def load_silhouettes(folder: Path) -> list[np.ndarray]:
    """Every silhouette in ``folder`` as a bool array, in name order (empty if there is none)."""
    shapes = []
    for path in sorted(folder.glob("*.png")):
        with Image.open(path) as im:
            shapes.append(np.asarray(im.convert("L")) > 127)
    return shapes


def object_mask(size: int, rng: np.random.Generator, shapes: list[np.ndarray]) -> np.ndarray:
    """``[size, size]`` bool: one silhouette, mirrored at random, scaled to cover ``COVERAGE`` of
    the image, placed wholly inside it, grown by ``DILATE`` px as a selection is."""
    shape = shapes[int(rng.integers(len(shapes)))]
    if rng.random() < 0.5:
        shape = shape[:, ::-1]
    scale = np.sqrt(rng.uniform(*COVERAGE) * size * size / shape.sum())
    h = int(np.clip(round(shape.shape[0] * scale), 4, size - 2 * DILATE - 2))
    w = int(np.clip(round(shape.shape[1] * scale), 4, size - 2 * DILATE - 2))
    scaled = Image.fromarray(shape.astype(np.uint8) * 255).resize((w, h), Image.BILINEAR)
    canvas = Image.new("L", (size, size), 0)
    y = int(rng.integers(DILATE, size - h - DILATE + 1))
    x = int(rng.integers(DILATE, size - w - DILATE + 1))
    canvas.paste(scaled, (x, y))
    canvas = canvas.filter(ImageFilter.MaxFilter(2 * DILATE + 1))
    return np.asarray(canvas) > 127


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=None, help="default: the pool's silhouettes/")
    p.add_argument("--debs", type=Path, default=None, help="where .debs are kept or downloaded")
    args = p.parse_args(argv)
    out = args.out or silhouettes_dir()
    try:
        kept = build_silhouettes(out, args.debs or default_pool_dir() / "debs")
    except (ScnnError, OSError) as err:  # no dpkg or apt-get, no mirror, a damaged .deb
        print(f"scnn_plugin.training.object_masks: {err}", file=sys.stderr)
        return 1
    print(f"{kept} silhouettes in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
