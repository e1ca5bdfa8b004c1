"""``scnn-eval``: SC-NN against the classical fills users already have, on held-out photos.

One run measures, per hole kind (thin / medium / thick strokes and object silhouettes), each SC-NN
row (through ``Inpainter``, the product path: with and without the texture stage, and any variants
asked for) and each classical fill (``scoring.py``), then writes ``results.json``, ``results.md``
(``report.py``), a picture grid and object crops at 1:1 and 2x for the README.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

# Light imports only (numpy, Pillow): --help and a missing package of the eval extra answer before
# torch loads; main imports the scoring after parsing.
from ..arguments import add_threads_argument
from ..cpu_threads import configure_threads
from ..errors import InputError, ScnnError
from ..training.hole_masks import MASK_KINDS, OBJECT_KIND
from .classical import FILLS
from .extra import missing_line, packages_for_fills

if TYPE_CHECKING:
    from ..training.evalset import EvalSample

DESCRIPTION = """\
Measure SC-NN against the classical fills users already have (OpenCV Telea and Navier-Stokes,
FSR, biharmonic, PatchMatch) on held-out photos, per hole kind: thin, medium and thick strokes and
object silhouettes. Writes results.json, results.md (the tables), grid.png, objects.png and
plane.png (each row's masked PSNR against its realism, the mean band ratio b0-b2, per kind).
Needs the eval extra: pip install 'scnn-inpaint[eval]'."""

EXAMPLES = """\
examples:
  scnn-eval --out eval --threads 2                         # all held-out photos of the pool
  scnn-eval --photos DIR --kinds object --methods patchmatch --out eval-objects
  scnn-eval --out eval --weights-variant wide=runs/wide/best.safetensors --limit 8"""

KINDS = (*MASK_KINDS, OBJECT_KIND)
# Object removals shown in the crops figure: the most textured ones (by the truth's structure at
# 2-4 px in the hole), where a smudge or a copied seam shows.
OBJECT_ROWS = 12


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scnn-eval",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--photos",
        type=Path,
        default=None,
        help="held-out photos: a folder of images, or a pool whose val/ is used (default: the pool's val/)",
    )
    p.add_argument("--limit", type=int, default=None, help="use only the first N photos")
    p.add_argument(
        "--out", type=Path, required=True, help="folder for results.json, results.md, grid.png"
    )
    p.add_argument(
        "--weights-default", type=Path, default=None, help="default: the shipped weights"
    )
    p.add_argument("--weights-paper", type=Path, default=None, help="default: the shipped weights")
    p.add_argument(
        "--weights-variant",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="also score the weights file PATH, the network alone (no texture stage), as the row "
        "'SC-NN NAME, no texture', beside the shipped weights' rows; repeatable",
    )
    p.add_argument(
        "--methods",
        default=None,
        help=f"comma-separated classical fills (default: all of {', '.join(FILLS)}); 'none' for none",
    )
    p.add_argument("--size", type=int, default=512, help="eval image side; only 512 is comparable")
    p.add_argument("--grid-rows", type=int, default=3, help="samples in the picture grid")
    p.add_argument("--device", default="auto", help="SC-NN device: auto, cpu, cuda, mps")
    p.add_argument(
        "--adapt",
        type=int,
        default=0,
        metavar="STEPS",
        help="also score SC-NN default adapted to each photo for STEPS steps (default 0: not)",
    )
    p.add_argument(
        "--views",
        type=int,
        default=1,
        metavar="N",
        help="also score SC-NN default averaged over N flipped views (default 1: not)",
    )
    add_threads_argument(p)
    p.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help=f"comma-separated hole kinds (default: all of {', '.join(KINDS)})",
    )
    p.add_argument(
        "--silhouettes",
        type=Path,
        default=None,
        help="object shapes for the object kind (default: the pool's silhouettes/, built by "
        "python -m scnn_plugin.training.object_masks)",
    )
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return parser().parse_args(argv)


def textured_objects(samples: list[EvalSample], n: int) -> list[int]:
    """Indices of the ``n`` object samples whose truth has the most structure at 2-4 px in the
    hole, in sample order: where a fill that lacks it shows."""
    import numpy as np

    from .metrics import hole_bands

    objects = [i for i, s in enumerate(samples) if s.kind == OBJECT_KIND]
    texture = {i: hole_bands(samples[i].image / 255.0, samples[i].hole)[1] for i in objects}
    return sorted(sorted(objects, key=lambda i: -np.nan_to_num(texture[i]))[:n])


def weights_variants(given: list[str]) -> dict[str, Path]:
    """``NAME=PATH`` arguments as name -> path; a name must be new and not a config's own row."""
    variants: dict[str, Path] = {}
    for item in given:
        name, sep, path = item.partition("=")
        name = name.strip()
        if not sep or not name or not path:
            raise ValueError(f"--weights-variant takes NAME=PATH, not {item!r}")
        if name in ("default", "paper") or name in variants:
            raise ValueError(f"--weights-variant name {name!r} is already a row; pick another")
        variants[name] = Path(path).expanduser()
    return variants


def heldout_dir(photos: Path | None) -> Path:
    """The folder to read: ``photos`` itself, or its ``val/`` if it is a pool (never train/)."""
    from ..training.data import default_pool_dir

    root = photos or default_pool_dir()
    return root / "val" if (root / "val").is_dir() else root


def folder_label(folder: Path) -> str:
    """How the report names the photo folder, never by a path of the machine that ran it:
    ``POOL/val`` for the photo pool's, the path under the working folder as typed, else the
    folder's own name."""
    from ..training.data import default_pool_dir

    folder = Path(folder).absolute()
    for root, prefix in ((default_pool_dir().absolute(), Path("POOL")), (Path.cwd(), Path())):
        if folder.is_relative_to(root):
            return str(prefix / folder.relative_to(root))
    return folder.name


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        configure_threads(args.threads)  # before torch loads: OpenMP reads the policy only then
    except InputError as err:
        print(f"scnn-eval: {err}", file=sys.stderr)
        return 2
    names = (
        list(FILLS)
        if args.methods is None
        else [n for n in args.methods.split(",") if n not in ("", "none")]
    )
    absent = missing_line(
        "scnn-eval", packages_for_fills(names), "or leave its fills out of --methods"
    )
    if absent:
        print(absent, file=sys.stderr)
        return 2
    import numpy as np
    import torch

    from ..options import InpaintOptions
    from ..training.data import default_pool_dir, find_photos, load_photos
    from ..training.evalset import build_eval_set
    from ..training.object_masks import load_silhouettes, silhouettes_dir
    from .classical import FillUnavailable
    from .report import format_report, grid_rows, object_crops, picture_grid
    from .scoring import (
        PHOTO_MARGINS_OF,
        PLAIN,
        EvalResults,
        MethodResult,
        best_classical,
        classical_methods,
        ideal_texture_method,
        margins,
        measure,
        photo_margins,
        scnn_methods,
    )

    folder = heldout_dir(args.photos)
    found = load_photos(find_photos(folder)[: args.limit] if args.limit else find_photos(folder))
    for path, why in found.skipped:
        print(f"scnn-eval: skipped {path}: {why}", file=sys.stderr)
    if not found.photos:
        print(
            f"scnn-eval: no photos in {folder}; build the pool with "
            "python -m scnn_plugin.training.photos or pass --photos DIR",
            file=sys.stderr,
        )
        return 2
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        print(
            f"scnn-eval: unknown hole kind(s) {unknown}; known: {', '.join(KINDS)}", file=sys.stderr
        )
        return 2
    # Every argument is checked before the silhouettes' cache is read, so a typo is reported as
    # itself on any machine, with the cache or without it.
    try:
        asked = InpaintOptions(adapt=args.adapt, views=args.views)
        classical = classical_methods(names)
    except ValueError as err:
        print(f"scnn-eval: {err}", file=sys.stderr)
        return 2
    shapes = None
    if OBJECT_KIND in kinds:
        shapes = load_silhouettes(args.silhouettes or silhouettes_dir(default_pool_dir()))
        if not shapes:
            print(
                "scnn-eval: no silhouettes for the object kind; build them with "
                "python -m scnn_plugin.training.object_masks, pass --silhouettes DIR, "
                f"or leave {OBJECT_KIND} out of --kinds",
                file=sys.stderr,
            )
            return 2
    samples = build_eval_set(found.photos, found.names, args.size, tuple(kinds), shapes=shapes)

    try:
        weights = {"default": args.weights_default, "paper": args.weights_paper}
        # the plain row (what users get), the same without texture, each variant, then both
        variants = [PLAIN, InpaintOptions(texture=False)]
        variants += [InpaintOptions(adapt=asked.adapt)] if asked.adapt else []
        variants += [InpaintOptions(views=asked.views)] if asked.views > 1 else []
        variants += [asked] if asked.adapt and asked.views > 1 else []
        methods = scnn_methods("default", weights["default"], args.device, variants)
        network_alone = methods[1]  # without texture: the ideal texture's base
        for name, path in weights_variants(args.weights_variant).items():
            alone = [InpaintOptions(texture=False)]
            methods += scnn_methods("default", path, args.device, alone, label=name)
        methods += scnn_methods("paper", weights["paper"], args.device, [PLAIN])
        methods += classical
        # what any texture of the right kind in the wrong place costs: the bound on the band target
        methods += [ideal_texture_method(network_alone)]
    except (ScnnError, ValueError) as err:
        print(f"scnn-eval: {err}", file=sys.stderr)
        return 2

    grid = sorted(grid_rows(args.grid_rows, len(found.photos), kinds))
    objects = textured_objects(samples, OBJECT_ROWS)
    keep = set(grid) | set(objects)
    table: dict[str, MethodResult] = {}
    outputs: dict[str, dict[int, np.ndarray]] = {}
    spike_rates: dict[str, dict[str, float]] = {}
    for m in methods:
        entry = table[m.name] = MethodResult(m.name, m.family, m.status, m.info)
        if m.run is None:
            print(f"scnn-eval: {m.name}: {m.status}", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        try:
            entry.per_kind, entry.psnr_per_sample, outputs[m.name], rates = measure(
                m, samples, keep
            )
        except FillUnavailable as err:
            entry.status = f"unavailable: {err}"
            print(f"scnn-eval: {m.name}: {entry.status}", file=sys.stderr)
            continue
        if rates:
            spike_rates[m.name] = rates
        print(
            f"scnn-eval: {m.name}: {len(samples)} samples in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
            flush=True,
        )

    best = best_classical(table, kinds)
    plain_ran = table.get(PHOTO_MARGINS_OF) is not None and table[PHOTO_MARGINS_OF].status == "ok"
    results = EvalResults(
        photos_dir=folder_label(folder),
        photos=found.names,
        size=args.size,
        seed=1234,  # build_eval_set's default: the same masks as training-time validation
        kinds=kinds,
        device=next((m.info["device"] for m in methods if m.info), "cpu"),
        torch_threads=torch.get_num_threads(),
        methods=table,
        best_classical=best,
        margins=margins(table, best, samples),
        photo_margins=photo_margins(table, samples, PHOTO_MARGINS_OF) if plain_ran else {},
        spike_rates=spike_rates,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    columns = []
    if best:  # per row, the best classical fill for that row's kind
        columns.append(("best classical", {i: outputs[best[samples[i].kind]][i] for i in keep}))
    for name in ("SC-NN default, no texture", PHOTO_MARGINS_OF):
        if name in outputs:
            columns.append((name, outputs[name]))
    if grid:
        labels = {
            i: f"{samples[i].kind} hole; best classical: {best.get(samples[i].kind, '-')}"
            for i in grid
        }
        picture_grid(samples, columns, grid, labels).save(args.out / "grid.png")
        results.grid = "grid.png"
    if objects:
        crops = [c for c in columns if c[0] == PHOTO_MARGINS_OF]
        if "patchmatch" in outputs:
            crops.append(("patchmatch", outputs["patchmatch"]))
        if OBJECT_KIND in best and best[OBJECT_KIND] != "patchmatch":
            crops.append((f"best classical ({best[OBJECT_KIND]})", outputs[best[OBJECT_KIND]]))
        object_crops(samples, crops, objects).save(args.out / "objects.png")
        results.objects_grid = "objects.png"
    # Each row on the perception-distortion plane; the plane alone needs matplotlib.
    no_plot = missing_line("scnn-eval", ["matplotlib"], "plane.png is not drawn")
    if no_plot:
        print(no_plot, file=sys.stderr)
    else:
        from .plane import draw_plane, plane_points

        photos = f"{results.n_photos} photo" + ("s" if results.n_photos != 1 else "")
        title = f"{results.photos_dir}: {photos} at {results.size} px"
        draw_plane(plane_points(results), args.out / "plane.png", title=title)
    (args.out / "results.json").write_text(json.dumps(results.to_json(), indent=2) + "\n")
    report = format_report(results)
    (args.out / "results.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
