"""Tune the completion on training photos only: each variant's masked PSNR and band ratios beside
the network alone and PyPatchMatch, and a sheet of crops to look at.

    python experiments/completion/tune.py --pool POOL --kind object --out OUT \
        [--set name key=value ...] [--photos N]

POOL is the training pool ``python -m scnn_plugin.training.photos`` builds (its ``train/`` split
only, never ``val/``); the photos are the first N of ``tuning_photos`` (listed in this folder's
README). Holes are seeded and differ from ``scnn-eval``'s (seed 4321, not 1234). The network's
fills and PatchMatch's are cached in OUT, so a variant costs only its completion.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from scnn_plugin import Inpainter, InpaintOptions
from scnn_plugin.evaluation.classical import fill_patchmatch
from scnn_plugin.evaluation.metrics import band_ratios, masked_psnr
from scnn_plugin.fill import completion, texture
from scnn_plugin.training.evalset import square_view
from scnn_plugin.training.hole_masks import make_mask
from scnn_plugin.training.object_masks import load_silhouettes, object_mask

SEED = 4321
# Natural photos of the training split, picked by name so the set is the same on every machine
# whose pool was built by the same recipe: every k-th photo of the sorted list, textures apart.
TEXTURES = 4


def tuning_photos(pool: Path, n: int) -> list[Path]:
    train = sorted((pool / "train").glob("*.png"))
    natural = [p for p in train if not p.name.startswith(("ufoai", "gnome"))]
    textures = [p for p in train if p.name.startswith("ufoai")]
    step = max(1, len(natural) // max(1, n - TEXTURES))
    picked = natural[::step][: n - TEXTURES]
    tstep = max(1, len(textures) // TEXTURES)
    return picked + textures[::tstep][:TEXTURES]


def samples(pool: Path, kind: str, n: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    shapes = load_silhouettes(pool / "silhouettes") if kind == "object" else None
    out = []
    for i, path in enumerate(tuning_photos(pool, n)):
        view = square_view(np.asarray(Image.open(path).convert("RGB")), 512)
        rng = np.random.default_rng([SEED, i])
        hole = object_mask(512, rng, shapes) if kind == "object" else make_mask(kind, 512, 512, rng)
        out.append((path.stem, view, hole))
    return out


def cached(path: Path, make) -> np.ndarray:
    if path.exists():
        return np.asarray(Image.open(path).convert("RGB"))
    image = make()
    Image.fromarray(image).save(path)
    return image


def ours(
    view: np.ndarray, hole: np.ndarray, net: np.ndarray, params, complete=None, seed: int = 0
) -> np.ndarray:
    """The texture stage on the network's fill, with ``params`` for the completion; ``complete``
    (``completion.complete``'s signature) stands in for the completion where a probe needs to."""
    photo = torch.from_numpy(view.copy()).permute(2, 0, 1).float() / 255
    fill = torch.from_numpy(net.copy()).permute(2, 0, 1).float() / 255
    known = torch.from_numpy(~hole)
    original = texture.complete
    texture.complete = complete or functools.partial(completion.complete, params=params)
    try:
        out = texture.add_texture(torch.where(known, photo, fill), known, seed)
    finally:
        texture.complete = original
    return (out.permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)


def crop(image: np.ndarray, hole: np.ndarray, side: int = 192) -> np.ndarray:
    ys, xs = np.nonzero(hole)
    cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
    y0 = int(np.clip(cy - side // 2, 0, image.shape[0] - side))
    x0 = int(np.clip(cx - side // 2, 0, image.shape[1] - side))
    return image[y0 : y0 + side, x0 : x0 + side]


def score(
    photo: str,
    view: np.ndarray,
    hole: np.ndarray,
    net: np.ndarray,
    pm: np.ndarray,
    mine: np.ndarray,
) -> dict:
    """One photo's row: masked PSNR and bands b0-b2 of the network, PatchMatch and ours."""
    truth = view / 255
    row: dict = {"photo": photo}
    for label, image in (("net", net), ("pm", pm), ("ours", mine)):
        row[label] = masked_psnr(image / 255, truth, hole)
        row[label + "_bands"] = band_ratios(image / 255, truth, hole)[:3]
    return row


def record(out: Path, name: str, kind: str, params: list[str], rows: list[dict]) -> None:
    """A run's means (PSNR), medians (bands) and worst photo against PatchMatch: printed in one
    line and appended with its rows to ``out/runs.jsonl``, which ``plane.py`` draws."""
    summary = {
        "name": name,
        "kind": kind,
        "params": params,
        "psnr": {k: float(np.mean([r[k] for r in rows])) for k in ("net", "pm", "ours")},
        "bands": {
            k: [float(np.nanmedian([r[k + "_bands"][b] for r in rows])) for b in range(3)]
            for k in ("net", "pm", "ours")
        },
        "worst_vs_pm": float(min(r["ours"] - r["pm"] for r in rows)),
    }
    b = summary["bands"]["ours"]
    print(
        f"{name:>14} {kind:6} ours {summary['psnr']['ours']:.2f} "
        f"(pm {summary['psnr']['pm']:.2f}, net {summary['psnr']['net']:.2f}) "
        f"bands {b[0]:.2f}/{b[1]:.2f}/{b[2]:.2f} worst-vs-pm {summary['worst_vs_pm']:+.2f} "
        f"{' '.join(params)}",
        flush=True,
    )
    with open(out / "runs.jsonl", "a") as f:
        f.write(json.dumps({**summary, "rows": rows}) + "\n")


def parse_params(pairs: list[str]) -> completion.CompletionParams:
    fields = {f.name: f for f in dataclasses.fields(completion.CompletionParams)}
    changes = {}
    for pair in pairs:
        key, value = pair.split("=", 1)
        kind = type(getattr(completion.DEFAULT, key)) if key in fields else None
        if kind is None:
            raise SystemExit(f"unknown parameter {key!r}")
        if kind is tuple:
            changes[key] = tuple(int(v) for v in value.split(","))
        elif kind is bool:
            changes[key] = value.lower() in ("1", "true", "yes")
        else:
            changes[key] = kind(value)
    return dataclasses.replace(completion.DEFAULT, **changes)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--pool", type=Path, required=True)
    p.add_argument("--kind", default="object")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--photos", type=int, default=16)
    p.add_argument("--name", default="main")
    p.add_argument("--set", nargs="*", default=[])
    p.add_argument("--sheet", action="store_true", help="write a sheet of crops")
    p.add_argument("--only", default="", help="only photos whose name contains this")
    p.add_argument("--busy", type=float, default=None, help="texture._BUSY for this run")
    p.add_argument("--seed", type=int, default=0, help="the fill's seed: how much a run is luck")
    args = p.parse_args(argv)
    params = parse_params(args.set)
    if args.busy is not None:
        texture._BUSY = args.busy
    cache = args.out / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    network = None
    rows, sheet = [], []
    for name, view, hole in samples(args.pool, args.kind, args.photos):
        if args.only not in name:
            continue
        # the hole is in the key: with another --photos a photo gets another hole
        key = f"{name}-{args.kind}-{zlib.crc32(np.packbits(hole).tobytes()):08x}"

        def run_net(view=view, hole=hole):
            nonlocal network
            if network is None:
                network = Inpainter.from_pretrained(options=InpaintOptions(texture=False))
            mask = Image.fromarray((hole * 255).astype(np.uint8))
            return np.asarray(network.inpaint(Image.fromarray(view), mask))

        net = cached(cache / f"{key}-net.png", run_net)
        pm = cached(
            cache / f"{key}-pm.png", lambda view=view, hole=hole: fill_patchmatch(view, hole)
        )
        mine = ours(view, hole, net, params, seed=args.seed)
        rows.append(score(name, view, hole, net, pm, mine))
        if args.sheet:
            sheet.append(np.concatenate([crop(x, hole) for x in (view, net, mine, pm)], 1))
    record(args.out, args.name, args.kind, args.set, rows)
    if sheet:
        Image.fromarray(np.concatenate(sheet, 0)).save(
            args.out / f"sheet-{args.kind}-{args.name}.png"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
