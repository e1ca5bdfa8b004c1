"""``scnn-eval``: SC-NN against the classical fills users already have, on held-out photos.

One run measures, per mask kind (thin / medium / thick), the masked-region PSNR and SSIM, the whole-image
MSE (the paper's metric) and the seconds per 512 px image of each SC-NN configuration (through
``Inpainter``, the product path) and each classical fill; it prints a markdown table, marks the best
classical fill per kind and SC-NN's margin over it, and writes ``results.json``, ``results.md`` and a
picture grid for the README. It also reports each spiking layer's mean spike rate.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Self

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import nn

from ..engine import Inpainter
from ..errors import ScnnError
from ..options import InpaintOptions
from ..snn import SNNConv2d
from .classical import FILLS, REFERENCE_FILLS, FillUnavailable
from .data import default_pool_dir, find_photos, load_photos
from .evalset import EvalSample, build_eval_set
from .hole_masks import MASK_KINDS
from .metrics import image_mse, masked_psnr, masked_ssim

# The options of the plain SC-NN rows: the engine's defaults, what users get unless they ask.
PLAIN = InpaintOptions()
# The row whose per-photo margins the report lists: the network users get.
PHOTO_MARGINS_OF = "SC-NN default"
# Side of one picture-grid cell (px); the eval images are downscaled to it to keep the PNG small.
GRID_CELL = 256
# Hole pixels in the grid's input column: blended towards magenta so the mask reads on any photo.
HOLE_TINT = np.array([255, 0, 255], np.float32)

RunFill = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Method:
    """One row of the table: a name, its family, how to run it, and whether it ran."""

    name: str
    family: str  # "sc-nn", "classical" (users have it) or "reference" (our own base fill)
    run: RunFill | None
    status: str = "ok"  # "ok", "unavailable: <why>" or "skipped: <why>"
    model: nn.Module | None = None  # SC-NN only: hooked for spike rates
    info: dict = field(default_factory=dict)


class SpikeMeter:
    """Mean spike rate of every rate-read-out ``SNNConv2d`` in a model, gathered by forward hooks.

    A rate read-out's output *is* each neuron's mean spike count per timestep, so the hook takes its
    mean; the core is not touched. Use as a context manager: hooks go away on exit.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self._handles: list = []

    def __enter__(self) -> Self:
        for name, module in self.model.named_modules():
            if isinstance(module, SNNConv2d) and module.readout == "rate":
                self._handles.append(module.register_forward_hook(self._hook(name)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _hook(self, name: str):
        def record(_module: nn.Module, _inputs, output: torch.Tensor) -> None:
            self.sums[name] = self.sums.get(name, 0.0) + float(output.detach().float().mean())
            self.counts[name] = self.counts.get(name, 0) + 1

        return record

    def rates(self) -> dict[str, float]:
        """Layer name -> mean spikes per neuron per timestep over every forward seen, in [0, 1]."""
        return {name: self.sums[name] / self.counts[name] for name in self.sums}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scnn-eval", description=__doc__.split("\n\n")[0])
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
        "--methods",
        default=None,
        help=f"comma-separated classical fills (default: all of {', '.join(FILLS)}); 'none' for none",
    )
    p.add_argument("--size", type=int, default=512, help="eval image side; only 512 is comparable")
    p.add_argument("--grid-rows", type=int, default=3, help="samples in the picture grid")
    p.add_argument("--device", default="auto", help="SC-NN device: auto, cpu, cuda, mps")
    p.add_argument(
        "--adapt", type=int, default=0, metavar="STEPS",
        help="also score SC-NN default adapted to each photo for STEPS steps (default 0: not)",
    )
    p.add_argument(
        "--views", type=int, default=1, metavar="N",
        help="also score SC-NN default averaged over N flipped views (default 1: not)",
    )
    p.add_argument(
        "--threads", type=int, default=None, help="CPU threads (default: torch's choice)"
    )
    return p.parse_args(argv)


def heldout_dir(photos: Path | None) -> Path:
    """The folder to read: ``photos`` itself, or its ``val/`` if it is a pool (never train/)."""
    root = photos or default_pool_dir()
    return root / "val" if (root / "val").is_dir() else root


def scnn_methods(
    config: str, weights: Path | None, device: str, variants: list[InpaintOptions]
) -> list[Method]:
    """One SC-NN row per options in ``variants`` (adapted to each photo, averaged over views), all
    on one loaded model; a config whose weights do not exist is skipped with a note, not fatal."""
    names = [_row_name(config, options) for options in variants]
    if weights is not None and not weights.is_file():
        return [Method(n, "sc-nn", None, f"skipped: no weights file at {weights}") for n in names]
    try:
        loaded = Inpainter.from_pretrained(weights=weights, device=device, config=config)
    except ScnnError as err:
        if weights is None:  # no shipped weights for this config (yet)
            return [Method(n, "sc-nn", None, f"skipped: {err}") for n in names]
        raise
    return [
        _scnn_row(name, loaded.with_options(replace(options, device=device)), options)
        for name, options in zip(names, variants)
    ]


def _row_name(config: str, options: InpaintOptions) -> str:
    name = f"SC-NN {config}" + (f" + adapt {options.adapt}" if options.adapt else "")
    return name + (f" + {options.views} views" if options.views > 1 else "")


def _scnn_row(name: str, inpainter: Inpainter, options: InpaintOptions) -> Method:
    def run(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        mask = Image.fromarray(hole.astype(np.uint8) * 255)
        return np.asarray(inpainter.inpaint(Image.fromarray(rgb), mask).convert("RGB"))

    info = {
        "weights": str(inpainter.info.path),
        "timesteps": inpainter.timesteps,
        "device": inpainter.device_name,
        "trained": bool(inpainter.info.training),
    }
    info |= {"adapt steps": options.adapt} if options.adapt else {}
    info |= {"views": options.views} if options.views > 1 else {}
    # Spike rates come from the plain rows. An adapted row fills with per-photo copies that keep
    # the loaded spiking encoder, and hooks on the loaded model would only see it score test holes;
    # averaged views run the same encoder on mirrored inputs.
    model = inpainter.model if options == PLAIN else None
    return Method(name, "sc-nn", run, model=model, info=info)


def classical_methods(names: list[str]) -> list[Method]:
    unknown = [n for n in names if n not in FILLS]
    if unknown:
        raise ValueError(f"unknown classical fill(s) {unknown}; known: {sorted(FILLS)}")
    return [
        Method(n, "reference" if n in REFERENCE_FILLS else "classical", FILLS[n]) for n in names
    ]


def measure(
    method: Method, samples: list[EvalSample], keep: set[int]
) -> tuple[dict[str, dict[str, float]], list[float], dict[int, np.ndarray], dict[str, float]]:
    """Run ``method`` on every sample: per-kind means, each sample's masked PSNR (in sample order),
    the outputs of samples ``keep``, spike rates.

    The first sample runs once untimed first, so one-off library, allocator and thread-pool start-up
    is not billed to it; that call also finds fills whose library is unavailable.
    """
    method.run(samples[0].image, samples[0].hole)

    scores: dict[str, dict[str, list[float]]] = {}
    kept: dict[int, np.ndarray] = {}
    psnrs: list[float] = []
    meter = SpikeMeter(method.model) if method.model is not None else None
    with meter or contextlib.nullcontext():
        for i, s in enumerate(samples):
            t0 = time.perf_counter()
            out = method.run(s.image, s.hole)
            seconds = time.perf_counter() - t0
            pred, target = out / 255.0, s.image / 255.0
            row = scores.setdefault(s.kind, {"psnr": [], "ssim": [], "mse": [], "seconds": []})
            psnrs.append(masked_psnr(pred, target, s.hole))
            row["psnr"].append(psnrs[-1])
            row["ssim"].append(masked_ssim(pred, target, s.hole))
            row["mse"].append(image_mse(pred, target))
            row["seconds"].append(seconds)
            if i in keep:
                kept[i] = out
    per_kind = {
        kind: {metric: float(np.mean(v)) for metric, v in row.items()} | {"n": len(row["psnr"])}
        for kind, row in scores.items()
    }
    return per_kind, psnrs, kept, meter.rates() if meter else {}


def best_classical(methods: dict[str, dict], kinds: list[str]) -> dict[str, str]:
    """Kind -> name of the classical method users have with the highest masked PSNR."""
    best = {}
    for kind in kinds:
        ran = [
            (m["per_kind"][kind]["psnr"], n)
            for n, m in methods.items()
            if m["family"] == "classical" and m["status"] == "ok"
        ]
        if ran:
            best[kind] = max(ran)[1]
    return best


def margins(
    methods: dict[str, dict], best: dict[str, str]
) -> dict[str, dict[str, dict[str, float]]]:
    """SC-NN row -> kind -> its PSNR (dB), SSIM and MSE differences from the best classical fill.

    Positive PSNR/SSIM margins and negative MSE margins mean SC-NN is better.
    """
    result: dict[str, dict[str, dict[str, float]]] = {}
    for name, m in methods.items():
        if m["family"] != "sc-nn" or m["status"] != "ok":
            continue
        result[name] = {}
        for kind, ref in best.items():
            mine, theirs = m["per_kind"][kind], methods[ref]["per_kind"][kind]
            result[name][kind] = {
                "vs": ref,
                "psnr": mine["psnr"] - theirs["psnr"],
                "ssim": mine["ssim"] - theirs["ssim"],
                "mse": mine["mse"] - theirs["mse"],
            }
    return result


def photo_margins(
    methods: dict[str, dict], best: dict[str, str], samples: list[EvalSample], name: str
) -> dict[str, dict[str, float]]:
    """Photo -> kind -> ``name``'s masked PSNR minus the best classical fill's on that sample (dB).

    The mean margin hides where a method loses: one photo whose structure a classical fill continues
    well (straight cables across thin strokes, say) can cost more than the other photos win.
    """
    mine = methods[name]["psnr_per_sample"]
    result: dict[str, dict[str, float]] = {}
    for i, s in enumerate(samples):
        if s.kind in best:
            theirs = methods[best[s.kind]]["psnr_per_sample"][i]
            result.setdefault(Path(s.name).stem, {})[s.kind] = mine[i] - theirs
    return result


def format_photo_margins(results: dict) -> str:
    """The per-photo margins table, worst photo first (by its smallest margin)."""
    kinds = [k for k in results["kinds"] if k in results["best_classical"]]
    rows = sorted(results["photo_margins"].items(), key=lambda kv: min(kv[1].values()))
    head = ["photo"] + [f"{k} (vs {results['best_classical'][k]})" for k in kinds]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(kinds)]
    for photo, by_kind in rows:
        lines.append(f"| {photo} | " + " | ".join(f"{by_kind[k]:+.2f}" for k in kinds) + " |")
    return "\n".join(lines)


def format_table(results: dict) -> str:
    """The markdown table: rows = methods, four columns per kind; best classical bold, margins last.

    MSE is whole-image and shown x1000; seconds are per 512 px image on ``results["device"]``.
    """
    kinds = results["kinds"]
    methods, best = results["methods"], results["best_classical"]
    head = ["method"] + [f"{k} {c}" for k in kinds for c in ("PSNR", "SSIM", "MSE×1e3", "s/img")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, m in methods.items():
        if m["status"] != "ok":
            lines.append(f"| {name} | " + " | ".join(["—"] * (len(head) - 1)) + " |")
            continue
        cells = [name]
        for kind in kinds:
            r = m["per_kind"][kind]
            vals = [
                f"{r['psnr']:.2f}",
                f"{r['ssim']:.3f}",
                f"{r['mse'] * 1e3:.3f}",
                _secs(r["seconds"]),
            ]
            cells += [f"**{v}**" for v in vals] if best.get(kind) == name else vals
        lines.append("| " + " | ".join(cells) + " |")
    for name, by_kind in results["margins"].items():
        cells = [f"{name} − best classical"]
        for kind in kinds:
            d = by_kind.get(kind)
            cells += (
                [
                    f"{d['psnr']:+.2f} dB",
                    f"{d['ssim']:+.3f}",
                    f"{d['mse'] * 1e3:+.3f}",
                    f"vs {d['vs']}",
                ]
                if d
                else ["—"] * 4
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _secs(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 1 else f"{seconds:.2f}"


def format_report(results: dict) -> str:
    """results.md: setup, the table, what is bold, skipped methods, spike rates."""
    lines = [
        "# SC-NN vs classical fills",
        "",
        (
            f"{results['n_photos']} held-out photos from `{results['photos_dir']}`, {results['size']} "
            f"px centre squares, one seeded hole per kind (seed {results['seed']}); "
            f"{results['n_samples']} samples. Device: {results['device']}, "
            f"{results['torch_threads']} torch threads."
        ),
        "",
        (
            "PSNR (dB) and SSIM over hole pixels; MSE over the whole image (the paper's metric); "
            "seconds per image. **Bold**: the best classical fill per kind by PSNR (`membrane`, the "
            "default model's own starting fill, is shown for reference and never counts). "
            "Margin rows: SC-NN minus that fill (PSNR/SSIM up and MSE down are better for SC-NN; "
            "the last cell names it)."
        ),
        "",
        format_table(results),
        "",
    ]
    notes = [f"- {n}: {m['status']}" for n, m in results["methods"].items() if m["status"] != "ok"]
    notes += [
        f"- {n}: " + ", ".join(f"{k} {v}" for k, v in m["info"].items())
        for n, m in results["methods"].items()
        if m["info"]
    ]
    if notes:
        lines += ["Notes:", "", *notes, ""]
    for name, rates in results["spike_rates"].items():
        lines += [
            f"Spike rates of {name} (mean spikes per neuron per timestep):",
            "",
            "| layer | rate |",
            "|---|---|",
        ]
        lines += [f"| {layer} | {rate:.4f} |" for layer, rate in rates.items()]
        lines.append("")
    if results.get("photo_margins"):
        lines += [
            (
                f"Per photo: {PHOTO_MARGINS_OF} minus the best classical fill of each kind, "
                "masked PSNR (dB), worst photo first:"
            ),
            "",
            format_photo_margins(results),
            "",
        ]
    if results.get("grid"):
        lines += [f"![samples]({results['grid']})", ""]
    return "\n".join(lines)


def grid_rows(n_rows: int, n_photos: int, kinds: list[str]) -> list[int]:
    """Sample indices for the grid: one kind after another, each from a different photo if possible."""
    return [
        (r % n_photos) * len(kinds) + r % len(kinds)
        for r in range(min(n_rows, n_photos * len(kinds)))
    ]


def picture_grid(
    samples: list[EvalSample],
    columns: list[tuple[str, dict[int, np.ndarray]]],
    rows: list[int],
    labels: dict[int, str] | None = None,
) -> Image.Image:
    """Rows = samples; columns = input with the hole tinted, then each ``(title, outputs)``, then truth.

    ``labels`` (sample index -> text) is written on each row's first cell; default: the mask kind.
    """
    titles = ["input + hole"] + [t for t, _ in columns] + ["ground truth"]
    head = 18
    grid = Image.new("RGB", (GRID_CELL * len(titles), head + GRID_CELL * len(rows)), "white")
    draw = ImageDraw.Draw(grid)
    for c, title in enumerate(titles):
        draw.text((c * GRID_CELL + 4, 3), title, fill="black")
    for r, i in enumerate(rows):
        s = samples[i]
        tinted = s.image.astype(np.float32)
        tinted[s.hole] = 0.35 * tinted[s.hole] + 0.65 * HOLE_TINT
        cells = [tinted.astype(np.uint8)] + [outs[i] for _, outs in columns] + [s.image]
        for c, cell in enumerate(cells):
            im = Image.fromarray(cell).resize((GRID_CELL, GRID_CELL), Image.LANCZOS)
            grid.paste(im, (c * GRID_CELL, head + r * GRID_CELL))
        label = (labels or {}).get(i, s.kind)
        draw.text(
            (4, head + r * GRID_CELL + 4), label, fill="white", stroke_width=2, stroke_fill="black"
        )
    return grid


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # a perfect fill's PSNR is inf; JSON has no inf
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
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
    kinds = list(MASK_KINDS)
    samples = build_eval_set(found.photos, found.names, size=args.size, kinds=tuple(kinds))

    names = (
        list(FILLS)
        if args.methods is None
        else [n for n in args.methods.split(",") if n not in ("", "none")]
    )
    try:
        weights = {"default": args.weights_default, "paper": args.weights_paper}
        asked = InpaintOptions(adapt=args.adapt, views=args.views)  # refuses bad values first
        variants = [PLAIN]  # the plain row, then each variant asked for, then both
        variants += [InpaintOptions(adapt=asked.adapt)] if asked.adapt else []
        variants += [InpaintOptions(views=asked.views)] if asked.views > 1 else []
        variants += [asked] if asked.adapt and asked.views > 1 else []
        methods = scnn_methods("default", weights["default"], args.device, variants)
        methods += scnn_methods("paper", weights["paper"], args.device, [PLAIN])
        methods += classical_methods(names)
    except (ScnnError, ValueError) as err:
        print(f"scnn-eval: {err}", file=sys.stderr)
        return 2

    keep = set(grid_rows(args.grid_rows, len(found.photos), kinds))
    table: dict[str, dict] = {}
    outputs: dict[str, dict[int, np.ndarray]] = {}
    spike_rates: dict[str, dict[str, float]] = {}
    for m in methods:
        entry = {"family": m.family, "status": m.status, "info": m.info, "per_kind": {}}
        table[m.name] = entry
        if m.run is None:
            print(f"scnn-eval: {m.name}: {m.status}", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        try:
            entry["per_kind"], entry["psnr_per_sample"], outputs[m.name], rates = measure(
                m, samples, keep
            )
        except FillUnavailable as err:
            entry["status"] = f"unavailable: {err}"
            print(f"scnn-eval: {m.name}: {entry['status']}", file=sys.stderr)
            continue
        if rates:
            spike_rates[m.name] = rates
        print(
            f"scnn-eval: {m.name}: {len(samples)} samples in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
            flush=True,
        )

    best = best_classical(table, kinds)
    results = {
        "photos_dir": str(folder),
        "photos": found.names,
        "n_photos": len(found.photos),
        "n_samples": len(samples),
        "size": args.size,
        "seed": 1234,  # build_eval_set's default: the same masks as training-time validation
        "kinds": kinds,
        "device": next((m.info["device"] for m in methods if m.info), "cpu"),
        "torch_threads": torch.get_num_threads(),
        "methods": table,
        "best_classical": best,
        "margins": margins(table, best),
        "photo_margins": (
            photo_margins(table, best, samples, PHOTO_MARGINS_OF)
            if table.get(PHOTO_MARGINS_OF, {}).get("status") == "ok"
            else {}
        ),
        "spike_rates": spike_rates,
        "grid": None,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    columns = []
    if best:  # per row, the best classical fill for that row's kind
        columns.append(("best classical", {i: outputs[best[samples[i].kind]][i] for i in keep}))
    if "SC-NN default" in outputs:
        columns.append(("SC-NN default", outputs["SC-NN default"]))
    if keep:
        labels = {
            i: f"{samples[i].kind} hole; best classical: {best.get(samples[i].kind, '-')}"
            for i in keep
        }
        picture_grid(samples, columns, sorted(keep), labels).save(args.out / "grid.png")
        results["grid"] = "grid.png"
    (args.out / "results.json").write_text(json.dumps(_json_safe(results), indent=2) + "\n")
    report = format_report(results)
    (args.out / "results.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
