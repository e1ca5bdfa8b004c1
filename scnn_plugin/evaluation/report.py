"""What ``scnn-eval`` shows: markdown tables of ``EvalResults`` and the pictures for the README.

Two pictures: a grid of whole samples (input with the hole tinted, the best classical fill, SC-NN,
the truth), and object removals at 1:1 with 2x crops beside PatchMatch and the best classical fill,
where a smudge or a copied seam shows as it does to a user.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..training.evalset import EvalSample
from .scoring import PHOTO_MARGINS_OF, EvalResults

# Side of one picture-grid cell (px); the eval images are downscaled to it to keep the PNG small.
GRID_CELL = 256
# Object crops: the window around a hole shown at 1:1, and the part of it shown again at 2x.
CROP = 192
ZOOM = 2
# Hole pixels in the input column: blended towards magenta so the mask reads on any photo.
HOLE_TINT = np.array([255, 0, 255], np.float32)
_HEAD = 18


def format_table(results: EvalResults, kind: str) -> str:
    """One kind's table: a row per method; the best classical fill bold; SC-NN's margins last."""
    best = results.best_classical.get(kind)
    head = ["method", "PSNR", "SSIM", "box SSIM", "detail", "bands b0/b1/b2/b3", "MSE×1e3", "s/img"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for name, m in results.methods.items():
        r = m.per_kind.get(kind)
        if m.status != "ok" or r is None:
            lines.append(f"| {name} | " + " | ".join(["—"] * (len(head) - 1)) + " |")
            continue
        cells = [
            f"{r.psnr:.2f}",
            f"{r.ssim:.3f}",
            f"{r.box_ssim:.3f}",
            f"{r.detail:.2f}",
            _bands(r.bands),
            f"{r.mse * 1e3:.3f}",
            _secs(r.seconds),
        ]
        if name == best:
            cells = [f"**{c}**" for c in cells]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, by_kind in results.margins.items():
        d = by_kind.get(kind)
        if d is None:
            continue
        lines.append(
            f"| {name} − {d.vs} | {d.psnr:+.2f} dB | {d.ssim:+.3f} | | {d.detail:+.2f} | "
            f"| {d.mse * 1e3:+.3f} | worst photo {d.worst:+.2f} dB ({d.worst_photo}) |"
        )
    return "\n".join(lines)


def format_summary(results: EvalResults) -> str:
    """Per SC-NN row and kind: mean margin over the best classical fill, worst photo, bands."""
    kinds = [k for k in results.kinds if k in results.best_classical]
    head = ["SC-NN row"] + [f"{k}: margin / worst photo / bands b0-b3" for k in kinds]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(kinds)]
    for name, by_kind in results.margins.items():
        cells = [name]
        for kind in kinds:
            d = by_kind[kind]
            bands = _bands(results.methods[name].per_kind[kind].bands)
            cells.append(f"{d.psnr:+.2f} / {d.worst:+.2f} / {bands}")
        lines.append("| " + " | ".join(cells) + " |")
    best = ", ".join(f"{k}: {results.best_classical[k]}" for k in kinds)
    return "\n".join(lines) + f"\n\nBest classical fill by mean PSNR: {best}."


def format_photo_margins(results: EvalResults) -> str:
    """Per photo: ``PHOTO_MARGINS_OF`` minus the best classical fill on that sample, worst first."""
    kinds = [k for k in results.kinds if any(k in v for v in results.photo_margins.values())]
    rows = sorted(results.photo_margins.items(), key=lambda kv: min(kv[1].values()))
    lines = ["| photo | " + " | ".join(kinds) + " |", "|---|" + "---:|" * len(kinds)]
    for photo, by_kind in rows:
        lines.append(f"| {photo} | " + " | ".join(f"{by_kind[k]:+.2f}" for k in kinds) + " |")
    return "\n".join(lines)


def _bands(ratios: list[float]) -> str:
    return " ".join(f"{r:.2f}" for r in ratios) if ratios else "—"


def _secs(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 1 else f"{seconds:.2f}"


def format_report(results: EvalResults) -> str:
    """results.md: setup, the summary, a table per kind, notes, spike rates, per-photo margins."""
    lines = [
        "# SC-NN vs classical fills",
        "",
        (
            f"{results.n_photos} held-out photos from `{results.photos_dir}`, {results.size} px "
            f"centre squares, one seeded hole per kind (seed {results.seed}); "
            f"{results.n_samples} samples. Device: {results.device}, "
            f"{results.torch_threads} torch threads."
        ),
        "",
        (
            "PSNR (dB) and SSIM over hole pixels; box SSIM over the hole's bounding box; detail = "
            "the fill's Laplacian energy on the hole (eroded 2 px) over the truth's (1.0 = as "
            "detailed as the photo; masked PSNR rewards blur, detail does not); bands = per "
            "difference of Gaussians of luminance (b0 sigma 1-2 px, b1 2-4, b2 4-8, b3 8-16), "
            "the fill's standard deviation on the hole (eroded 2 px) over the truth's, median "
            "over the samples (1.0 = as much structure at that scale as the photo); MSE over the whole "
            "image (the paper's metric); seconds per image. **Bold**: the best classical fill per "
            "kind by PSNR (`membrane`, the default model's own starting fill, never counts). "
            "Margins: SC-NN minus that fill; *worst photo*: the smallest margin over the best "
            "classical fill on each photo. *Ideal texture (oracle)*: the network's fill without "
            "texture plus the truth's own b0-b2 structure mirrored through the hole's centre, "
            "raised to the band target: structure of the right kind in the wrong place, the "
            "most a fill can expect to add where the photo does not say what the hole hid. It "
            "reads the truth, so it never counts."
        ),
        "",
        format_summary(results),
        "",
    ]
    for kind in results.kinds:
        lines += [f"## {kind} holes", "", format_table(results, kind), ""]
    notes = [f"- {n}: {m.status}" for n, m in results.methods.items() if m.status != "ok"]
    notes += [
        f"- {n}: " + ", ".join(f"{k} {v}" for k, v in m.info.items())
        for n, m in results.methods.items()
        if m.info
    ]
    if notes:
        lines += ["Notes:", "", *notes, ""]
    for name, rates in results.spike_rates.items():
        lines += [
            f"Spike rates of {name} (mean spikes per neuron per timestep):",
            "",
            "| layer | rate |",
            "|---|---|",
        ]
        lines += [f"| {layer} | {rate:.4f} |" for layer, rate in rates.items()]
        lines.append("")
    if results.photo_margins:
        lines += [
            (
                f"Per photo: {PHOTO_MARGINS_OF} minus the best classical fill on that photo, "
                "masked PSNR (dB), worst photo first:"
            ),
            "",
            format_photo_margins(results),
            "",
        ]
    for picture in (results.grid, results.objects_grid):
        if picture:
            lines += [f"![samples]({picture})", ""]
    return "\n".join(lines)


def grid_rows(n_rows: int, n_photos: int, kinds: list[str]) -> list[int]:
    """Sample indices for the grid: one kind after another, each from a different photo if possible."""
    return [
        (r % n_photos) * len(kinds) + r % len(kinds)
        for r in range(min(n_rows, n_photos * len(kinds)))
    ]


def _tinted(s: EvalSample) -> np.ndarray:
    tinted = s.image.astype(np.float32)
    tinted[s.hole] = 0.35 * tinted[s.hole] + 0.65 * HOLE_TINT
    return tinted.astype(np.uint8)


def _titled(n_columns: int, cell: int, n_rows: int, titles: list[str]):
    grid = Image.new("RGB", (cell * n_columns, _HEAD + cell * n_rows), "white")
    draw = ImageDraw.Draw(grid)
    for c, title in enumerate(titles):
        draw.text((c * cell + 4, 3), title, fill="black")
    return grid, draw


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
    grid, draw = _titled(len(titles), GRID_CELL, len(rows), titles)
    for r, i in enumerate(rows):
        s = samples[i]
        cells = [_tinted(s)] + [outs[i] for _, outs in columns] + [s.image]
        for c, cell in enumerate(cells):
            im = Image.fromarray(cell).resize((GRID_CELL, GRID_CELL), Image.LANCZOS)
            grid.paste(im, (c * GRID_CELL, _HEAD + r * GRID_CELL))
        label = (labels or {}).get(i, s.kind)
        draw.text(
            (4, _HEAD + r * GRID_CELL + 4), label, fill="white", stroke_width=2, stroke_fill="black"
        )
    return grid


def crop_box(hole: np.ndarray, side: int) -> tuple[int, int]:
    """Top-left corner of the ``side``-px window centred on the hole's bounding box, kept inside."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    cy, cx = (rows[0] + rows[-1]) // 2, (cols[0] + cols[-1]) // 2
    h, w = hole.shape
    return (
        int(np.clip(cy - side // 2, 0, max(0, h - side))),
        int(np.clip(cx - side // 2, 0, max(0, w - side))),
    )


def object_crops(
    samples: list[EvalSample],
    columns: list[tuple[str, dict[int, np.ndarray]]],
    rows: list[int],
) -> Image.Image:
    """Per sample two rows: a ``CROP`` px window around the hole at 1:1, then its centre at 2x
    (nearest neighbour, so every pixel of a fill is seen as it is)."""
    titles = ["input + hole"] + [t for t, _ in columns] + ["ground truth"]
    side = min([CROP] + [min(samples[i].hole.shape) for i in rows])
    grid, draw = _titled(len(titles), side, 2 * len(rows), titles)
    half = side // ZOOM
    for r, i in enumerate(rows):
        s = samples[i]
        y, x = crop_box(s.hole, side)
        cells = [_tinted(s)] + [outs[i] for _, outs in columns] + [s.image]
        for c, cell in enumerate(cells):
            window = cell[y : y + side, x : x + side]
            grid.paste(Image.fromarray(window), (c * side, _HEAD + 2 * r * side))
            centre = window[half // 2 : half // 2 + half, half // 2 : half // 2 + half]
            zoomed = Image.fromarray(centre).resize((side, side), Image.NEAREST)
            grid.paste(zoomed, (c * side, _HEAD + (2 * r + 1) * side))
        for row, text in ((2 * r, f"{Path(s.name).stem} 1:1"), (2 * r + 1, "2x")):
            draw.text(
                (4, _HEAD + row * side + 4),
                text,
                fill="white",
                stroke_width=2,
                stroke_fill="black",
            )
    return grid
