"""Textures nobody here chose: scikit-image's gravel, grass and brick (and its coffee cup), each
with an object-sized hole (about 7 % of the picture), ours beside PatchMatch at 1:1 and 2x.

    python experiments/completion/textures.py OUT.png

Columns: the photo with its hole, SC-NN (the shipped default), PatchMatch, then both again at 2x
around the hole's centre. Also prints each fill's masked PSNR and its luminance contrast in the
hole over the photo's around it.
"""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from scnn_plugin import Inpainter
from scnn_plugin.evaluation.classical import fill_patchmatch
from scnn_plugin.evaluation.metrics import masked_psnr

# An irregular blob, like a selection drawn around a thing: 7 % of a 512 px picture.
OUTLINE = [(190, 170), (300, 150), (345, 215), (330, 300), (255, 345), (185, 310), (165, 240)]


def photos() -> dict[str, np.ndarray]:
    from skimage import data

    grey = {name: getattr(data, name)() for name in ("gravel", "grass", "brick")}
    out = {name: np.repeat(im[..., None], 3, 2) for name, im in grey.items()}
    coffee = Image.fromarray(data.coffee()).resize((683, 512), Image.LANCZOS)
    out["coffee"] = np.asarray(coffee)[:, 85:597]
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    inpainter = Inpainter.from_pretrained(device="cpu")
    mask = Image.new("L", (512, 512))
    ImageDraw.Draw(mask).polygon(OUTLINE, fill=255)
    hole = np.asarray(mask) > 0
    ring = (np.asarray(mask.filter(ImageFilter.MaxFilter(49))) > 127) & ~hole
    ys, xs = np.nonzero(hole)
    cy, cx = int(ys.mean()), int(xs.mean())
    rows = []
    for name, photo in photos().items():
        ours = np.asarray(inpainter.inpaint(Image.fromarray(photo), mask))
        pm = fill_patchmatch(photo, hole)
        shown = photo.copy()
        shown[hole] = (shown[hole] * 0.3 + np.array([255, 0, 255]) * 0.7).astype(np.uint8)
        luma = [np.asarray(Image.fromarray(x).convert("L"), float) for x in (photo, ours, pm)]
        contrast = [x[hole].std() / luma[0][ring].std() for x in luma[1:]]
        psnr = [masked_psnr(x / 255, photo / 255, hole) for x in (ours, pm)]
        print(
            f"{name:7} SC-NN {psnr[0]:.2f} dB, contrast {contrast[0]:.2f}; "
            f"PatchMatch {psnr[1]:.2f} dB, contrast {contrast[1]:.2f}"
        )

        def zoom(x: np.ndarray) -> np.ndarray:
            y0, x0 = np.clip(cy - 64, 0, 384), np.clip(cx - 64, 0, 384)
            part = Image.fromarray(x[y0 : y0 + 128, x0 : x0 + 128])
            return np.asarray(part.resize((256, 256), Image.NEAREST))

        def crop(x: np.ndarray) -> np.ndarray:
            y0, x0 = np.clip(cy - 128, 0, 256), np.clip(cx - 128, 0, 256)
            return x[y0 : y0 + 256, x0 : x0 + 256]

        gap = np.full((256, 6, 3), 255, np.uint8)
        tiles = [crop(shown), crop(ours), crop(pm), zoom(ours), zoom(pm)]
        rows.append(np.concatenate([t for tile in tiles for t in (tile, gap)][:-1], 1))
        rows.append(np.full((6, rows[-1].shape[1], 3), 255, np.uint8))
    Image.fromarray(np.concatenate(rows[:-1], 0)).save(argv[0], quality=90)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
