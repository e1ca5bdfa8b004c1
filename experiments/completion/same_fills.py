"""Check that a change leaves every fill bit for bit the same: save the fills of fixed cases at one
commit, compare at another.

    python experiments/completion/same_fills.py save DIR [--pool POOL]
    python experiments/completion/same_fills.py compare DIR [--pool POOL]

The cases: the bundled photo with its mask; the bench's 512 px object and medium scenes; its 12 MP
scene with a 1 % selection (the hole's box only: the one case whose finest level is too large to
search); and, given the training pool, four training photos with medium and thick strokes. A
speed-up that changes no pixel needs no new quality run; ``compare`` prints each case's largest
difference and exits 1 if any pixel differs.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image

from scnn_plugin.cpu_threads import configure_threads


def cases(pool: Path | None):
    """(name, photo, mask) pairs, built the same way on every machine."""
    from scnn_plugin.evaluation.bench import scene
    from scnn_plugin.training.hole_masks import make_mask

    samples = resources.files("scnn_plugin.samples")
    yield (
        "demo",
        Image.open(str(samples / "astronaut.jpg")).convert("RGB"),
        Image.open(str(samples / "astronaut_mask.png")),
    )
    yield "object-512", *scene(512, 512, 0.08)
    yield "medium-512", *scene(512, 512, None)
    yield "selection-12mp", *scene(4243, 2828, 0.01)
    if pool is None:
        return
    for i, path in enumerate(sorted((pool / "train").glob("*.png"))[:40:10]):
        image = Image.open(path).convert("RGB")
        w, h = image.size
        side = min(w, h, 512)
        left, top = (w - side) // 2, (h - side) // 2
        image = image.crop((left, top, left + side, top + side))
        for kind in ("medium", "thick"):
            hole = make_mask(kind, side, side, np.random.default_rng(i))
            yield f"{path.stem}-{kind}", image, Image.fromarray(hole.astype(np.uint8) * 255)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("save", "compare"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--pool", type=Path, help="the training pool, for four more photos")
    args = parser.parse_args(argv)
    configure_threads(2)  # before torch loads: fills are compared at one thread count
    from scnn_plugin.engine import Inpainter

    inpainter = Inpainter.from_pretrained(device="cpu")
    args.folder.mkdir(parents=True, exist_ok=True)
    differs = False
    for name, photo, mask in cases(args.pool):
        out = np.asarray(inpainter.inpaint(photo, mask))
        ys, xs = np.nonzero(np.asarray(mask.convert("L")) > 127)
        out = out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]  # the hole's box
        path = args.folder / f"{name}.npy"
        if args.mode == "save":
            np.save(path, out)
            print(f"{name}: saved")
            continue
        before = np.load(path, allow_pickle=False)
        gap = int(np.abs(before.astype(np.int16) - out.astype(np.int16)).max())
        changed = int((before != out).any(-1).sum())
        differs |= gap > 0
        print(f"{name}: largest difference {gap}, {changed} pixels changed")
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
