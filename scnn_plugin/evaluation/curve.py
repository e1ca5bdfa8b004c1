"""Validation PSNR against CPU-hours: the model card's table rows and a picture of the curve.

Training appends one row per validation to ``curve.csv`` in its run folder (a cycle started from
``--init`` weights counts its steps and CPU-hours on from theirs, so its rows continue their curve).
Whether more time, more data or a different model is what is missing shows in how that curve bends,
so it is drawn from the same files anyone's rerun writes::

    python -m scnn_plugin.evaluation.curve default=runs/default/curve.csv \\
        "LIF -> leaky ReLU=docs/curves/default-leaky-relu.csv" --every 2000 --out curve.png
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from ..training.hole_masks import MASK_KINDS

KINDS = tuple(MASK_KINDS)
COLUMNS = ("step", "cpu_hours", *KINDS, "mean")


def read_curve(path: Path) -> list[dict[str, float]]:
    """The rows of one ``curve.csv``, oldest first; a file without the columns training writes is
    refused by name rather than drawn wrong."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path} is not a training curve (no {', '.join(missing)} column)")
        rows = [{c: float(r[c]) for c in COLUMNS} for r in reader]
    if not rows:
        raise ValueError(f"{path} has no validation rows yet")
    return rows


def table_rows(label: str, rows: list[dict[str, float]], every: int) -> list[str]:
    """Markdown rows at every ``every`` steps, and always the last (the run's newest weights)."""
    picked = [r for r in rows if int(r["step"]) % every == 0]
    if picked[-1:] != rows[-1:]:
        picked.append(rows[-1])
    return [
        f"| {label} | {r['cpu_hours']:.2f} | {int(r['step'])} | "
        + " | ".join(f"{r[k]:.2f}" for k in KINDS)
        + f" | {r['mean']:.3f} |"
        for r in picked
    ]


def plot(curves: dict[str, list[dict[str, float]]], path: Path) -> None:
    """Mean and per-kind validation PSNR against CPU-hours, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # tab20's strong shades, then its light ones: up to 20 runs, no two alike.
    shades = plt.get_cmap("tab20").colors
    colours = shades[0::2] + shades[1::2]
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.6))
    for ax, column in zip(axes, ("mean", *KINDS)):
        for i, (label, rows) in enumerate(curves.items()):
            ax.plot(
                [r["cpu_hours"] for r in rows],
                [r[column] for r in rows],
                label=label,
                color=colours[i % len(colours)],
            )
        ax.set_title(f"{column} holes" if column in KINDS else "mean of the three kinds")
        ax.set_xlabel("CPU-hours")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("validation masked PSNR (dB)")
    # Beside the plots, not over the curves.
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m scnn_plugin.evaluation.curve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runs", nargs="+", metavar="LABEL=CURVE.CSV")
    p.add_argument(
        "--every", type=int, default=2000, help="table rows every N steps (and the last)"
    )
    p.add_argument("--out", type=Path, default=None, help="also draw the curve into this PNG")
    args = p.parse_args(argv)
    if args.every < 1:
        p.error(f"--every must be at least 1, not {args.every}")
    curves = {}
    for spec in args.runs:
        label, sep, path = spec.rpartition("=")
        if not sep or not label:
            p.error(f"{spec!r} is not LABEL=CURVE.CSV")
        try:
            curves[label] = read_curve(Path(path))
        except (OSError, ValueError) as err:
            print(f"curve: {err}", file=sys.stderr)
            return 2
    print(f"| run | CPU-hours | steps | {' | '.join(KINDS)} | mean |")
    print("|---|" + "---:|" * (len(KINDS) + 3))
    for label, rows in curves.items():
        print("\n".join(table_rows(label, rows, args.every)))
    if args.out is not None:
        plot(curves, args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
