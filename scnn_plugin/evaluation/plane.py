"""The perception-distortion plane: each fill as a point, realism across, masked PSNR up.

A fill is a trade between distortion and realism (Blau and Michaeli, *The Perception-Distortion
Tradeoff*, CVPR 2018), so one panel per hole kind places every method at x = the mean of its median
band ratios b0-b2 (1.0 = as much structure in the hole as the photo has there; the band target
0.7-1.25 is shaded) and y = its masked PSNR (dB). ``scnn-eval`` draws its rows into ``plane.png``;
``experiments/completion/plane.py`` draws tuning runs with the same function.

matplotlib (the ``eval`` extra) is imported when a plane is drawn, never at import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scoring import EvalResults

# The band target for b0-b2: at least 0.7 of the photo's structure, at most 1.25.
BAND_TARGET = (0.7, 1.25)
# How a point is drawn, by family: SC-NN rows in colour, fills users have grey, references
# (fills that read the truth or are our own base) hollow.
STYLE = {
    "sc-nn": {"color": "tab:blue", "marker": "o", "filled": True},
    "classical": {"color": "0.45", "marker": "s", "filled": True},
    "reference": {"color": "tab:purple", "marker": "D", "filled": False},
}
_LEGEND = {
    "sc-nn": "SC-NN",
    "classical": "classical fill",
    "reference": "reference (reads the truth, or our own base)",
}
# One panel, in inches at DPI: plane.png is columns x PANEL[0] wide, rows x PANEL[1] high.
PANEL = (7.0, 5.5)
DPI = 100
# Labels: small, and tried at these offsets (points) around their point, nearest first, so that
# they cover neither each other nor the points; a far one gets a leader line.
LABEL_SIZE = 7
_OFFSETS = [
    (dx * r, dy * r)
    for r in (1, 2, 3, 4.5)
    for dx, dy in ((5, 3), (5, -9), (-5, 3), (-5, -9), (0, 6), (0, -13), (9, -3), (-9, -3))
]
_RING = 8  # offsets from this one on are beyond the first ring around the point


@dataclass(frozen=True)
class PlanePoint:
    """One method on one kind's plane."""

    label: str
    realism: float  # mean of the median band ratios b0-b2; 1.0 = the photo's structure
    psnr: float  # masked PSNR, dB
    family: str  # a key of STYLE


def realism(bands: list[float]) -> float:
    """The plane's x: the mean of b0-b2 (grain to mid scales; b3, hole-sized layout, is left out
    as the PSNR already answers for it). NaN when fewer than three bands were measured."""
    return sum(bands[:3]) / 3 if len(bands) >= 3 else math.nan


def plane_points(results: EvalResults) -> dict[str, list[PlanePoint]]:
    """Kind -> a point per method of ``results`` that ran on that kind, in the table's order.

    A method that did not run (skipped, unavailable) has no point; neither has a score that is not
    finite (a perfect fill's PSNR is inf), which no axis can place."""
    panels: dict[str, list[PlanePoint]] = {kind: [] for kind in results.kinds}
    for name, method in results.methods.items():
        if method.status != "ok":
            continue
        for kind, scores in method.per_kind.items():
            point = PlanePoint(name, realism(scores.bands), scores.psnr, method.family)
            if kind in panels and math.isfinite(point.realism) and math.isfinite(point.psnr):
                panels[kind].append(point)
    return panels


def draw_plane(
    panels: dict[str, list[PlanePoint]], path: Path, title: str | None = None
) -> dict[str, list[tuple[str, float, float]]]:
    """Draw one panel per kind (two to a row) into the PNG ``path``.

    Points at the same place share one label ("a; b"). Returns, per kind, what the axes hold:
    (label, x, y) of every labelled point, read back from the drawn annotations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not panels:
        raise ValueError("no hole kind to draw a plane for")
    columns = min(2, len(panels))
    rows = math.ceil(len(panels) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(PANEL[0] * columns, PANEL[1] * rows), dpi=DPI, squeeze=False
    )
    drawn: dict[str, list[tuple[str, float, float]]] = {}
    try:
        for ax, (kind, points) in zip(axes.flat, panels.items()):
            _draw_panel(ax, kind, points)
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_visible(False)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize="small")
        if title:
            fig.suptitle(title)
        # Room at the foot for the legend; a fixed layout keeps the PNG's size exact. Labels go on
        # after the layout, as they are placed in pixels.
        fig.tight_layout(rect=(0, 0.04, 1, 0.97 if title else 1))
        for ax, (kind, points) in zip(axes.flat, panels.items()):
            drawn[kind] = _label(ax, points)
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)
    return drawn


def _draw_panel(ax, kind: str, points: list[PlanePoint]) -> None:
    ax.axvspan(*BAND_TARGET, color="tab:green", alpha=0.08, label="band target 0.7-1.25")
    ax.axvline(1.0, color="0.3", linestyle="--", linewidth=1, label="the photo's structure")
    for family, style in STYLE.items():
        mine = [p for p in points if p.family == family]
        if not mine:
            continue
        ax.scatter(
            [p.realism for p in mine],
            [p.psnr for p in mine],
            zorder=3,
            **_marker(style),
        )
    # Legend entries once per family, drawn or not, so every panel's legend is the same.
    for family, style in STYLE.items():
        ax.scatter([], [], label=_LEGEND[family], **_marker(style))
    ax.set_title(f"{kind} holes ({len(points)} points)")
    ax.set_xlabel("realism: mean band ratio b0-b2 (1.0 = as much structure as the photo)")
    ax.set_ylabel("masked PSNR (dB)")
    ax.grid(alpha=0.3)
    _set_limits(ax, points)


def _marker(style: dict) -> dict:
    """Scatter arguments for a family: filled marks get a white rim so that neighbours part."""
    if style["filled"]:
        return {
            "marker": style["marker"],
            "s": 30,
            "c": style["color"],
            "edgecolors": "white",
            "linewidths": 0.6,
        }
    return {
        "marker": style["marker"],
        "s": 34,
        "facecolors": "none",
        "edgecolors": style["color"],
        "linewidths": 1.3,
    }


def _set_limits(ax, points: list[PlanePoint]) -> None:
    """The band target always in view, and room around the points for their labels."""
    xs = [p.realism for p in points] + [0.6, BAND_TARGET[1]]
    low, high = min(xs), max(xs)
    ax.set_xlim(low - 0.08 * (high - low), high + 0.08 * (high - low))
    if points:
        ys = [p.psnr for p in points]
        spread = max(max(ys) - min(ys), 1.0)
        ax.set_ylim(min(ys) - 0.1 * spread, max(ys) + 0.1 * spread)


def _label(ax, points: list[PlanePoint]) -> list[tuple[str, float, float]]:
    """Label every point, one label for points at the same place, each where it covers the least
    of the labels already placed and of the points; returns (label, x, y) as drawn."""
    places: dict[tuple[float, float], list[str]] = {}
    for p in points:  # rounded to what the picture can tell apart: one label where marks coincide
        key = (round(p.realism, 4), round(p.psnr, 3))
        places.setdefault(key, [p.realism, p.psnr]).append(p.label)
    renderer = ax.figure.canvas.get_renderer()
    to_pixels = ax.transData.transform
    marks = [_box(*to_pixels(xy), 4) for xy in places]
    frame = ax.get_window_extent(renderer)
    placed: list[tuple[float, float, float, float]] = []
    # Crowded points first: they have the fewest free places.
    order = sorted(places, key=lambda xy: -sum(_near(to_pixels(xy), to_pixels(o)) for o in places))
    for key in order:
        xy, label = tuple(places[key][:2]), "; ".join(places[key][2:])
        text = ax.annotate(label, xy, fontsize=LABEL_SIZE, zorder=4)
        text.set_in_layout(False)
        best = None
        for i, (dx, dy) in enumerate(_OFFSETS):
            _place(text, dx, dy)
            extent = text.get_window_extent(renderer)
            box = (extent.x0, extent.y0, extent.x1, extent.y1)
            cost = sum(_overlap(box, b) for b in placed) + sum(_overlap(box, m) for m in marks)
            cost += (extent.width * extent.height) * (not _inside(box, frame))
            if best is None or cost < best[0] - 1e-9:
                best = (cost, i, box)
            if cost == 0:
                break
        _, i, box = best
        dx, dy = _OFFSETS[i]
        _place(text, dx, dy)
        if i >= _RING:
            # away from its point: a thin line says whose label it is
            text.remove()
            text = ax.annotate(
                label,
                xy,
                fontsize=LABEL_SIZE,
                zorder=4,
                arrowprops={"arrowstyle": "-", "color": "0.6", "linewidth": 0.5, "shrinkA": 1},
            )
            text.set_in_layout(False)
            _place(text, dx, dy)
        placed.append(box)
    return [(t.get_text(), float(t.xy[0]), float(t.xy[1])) for t in ax.texts if t.get_text()]


def _place(text, dx: float, dy: float) -> None:
    text.set_position((dx, dy))
    text.set_anncoords("offset points")
    text.set_horizontalalignment("left" if dx > 0 else "right" if dx < 0 else "center")


def _box(x: float, y: float, half: float) -> tuple[float, float, float, float]:
    return (x - half, y - half, x + half, y + half)


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _inside(box, frame) -> bool:
    return box[0] >= frame.x0 and box[1] >= frame.y0 and box[2] <= frame.x1 and box[3] <= frame.y1


def _near(a, b, radius: float = 40.0) -> bool:
    return math.hypot(a[0] - b[0], a[1] - b[1]) < radius
