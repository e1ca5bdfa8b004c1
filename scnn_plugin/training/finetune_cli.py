"""``scnn-finetune``: the command line of fine-tuning (``finetune.py``); parsing and reporting only.

Only argparse at import: ``--help`` answers before torch loads; ``main`` imports the trainer after
parsing.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from ..arguments import add_model_arguments, add_threads_argument, weights_path
from ..cpu_threads import configure_threads
from ..errors import InputError, ScnnError
from .finetune_budget import DEFAULT_STEPS
from .progress import progress_line

DESCRIPTION = """\
Adapt the active weights to a folder of your own photos. A few of them are held back, and the new
weights are written only if they fill holes in those better than the weights you started from, so
fine-tuning never leaves you worse off. Run the same command again to resume an interrupted run."""

EXAMPLES = """\
examples:
  scnn-finetune ~/Pictures/holiday                    # 30 steps, the window's default budget
  scnn-finetune ~/Pictures/holiday --minutes 20       # or --steps 300
  scnn-finetune ~/Pictures/holiday --device cuda:0 --weights mine.safetensors"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scnn-finetune",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("photos_dir", type=Path, metavar="PHOTOS_DIR", help="folder of your photos")
    p.add_argument("--minutes", type=float, default=None, help="wall-clock budget")
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help=f"step budget (default {DEFAULT_STEPS} without --minutes, as in the window)",
    )
    add_model_arguments(p, "weights to start from")
    add_threads_argument(p)
    p.add_argument("--batch", type=int, default=8, help="crops per step (default 8)")
    p.add_argument(
        "--crop", type=int, default=256, help="side of a training crop in px (default 256)"
    )
    p.add_argument(
        "--lr",
        type=float,
        default=2e-4,
        help="learning rate (default 2e-4, a fifth of scnn-train's: nudge the weights, do not "
        "retrain them)",
    )
    p.add_argument(
        "--val-every",
        type=int,
        default=25,
        metavar="N",
        help="score the held-back photos and keep the best weights every N steps (default 25)",
    )
    p.add_argument(
        "--val-side", type=int, default=512, help="held-back view side in px (default 512)"
    )
    p.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where improved weights are written (default: the fine-tuned folder the window "
        "lists, in scnn-inpaint's user data folder)",
    )
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        configure_threads(args.threads)  # before torch loads: OpenMP reads the policy only then
    except InputError as err:
        print(f"scnn-finetune: {err}", file=sys.stderr)
        return 2
    # After parsing: --help and a mistyped option answer without loading torch.
    from .finetune import FinetuneConfig, FinetuneJob, TrainProgress

    rank0 = int(os.environ.get("RANK", "0")) == 0
    say = print if rank0 else (lambda *a, **k: None)
    try:
        cfg = FinetuneConfig(
            photos_dir=args.photos_dir,
            base=weights_path(args),
            steps=DEFAULT_STEPS if args.steps is None and args.minutes is None else args.steps,
            minutes=args.minutes,
            device=args.device,
            batch=args.batch,
            crop=args.crop,
            lr=args.lr,
            val_every=args.val_every,
            val_side=args.val_side,
            out_dir=args.out_dir,
        )
        job = FinetuneJob(cfg)
    except (ScnnError, ValueError) as err:
        print(f"scnn-finetune: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scnn-finetune: interrupted before training; nothing was changed", file=sys.stderr)
        return 130
    split = job.split
    for path, reason in split.skipped:
        say(f"skipped {path}: {reason}")
    say(
        f"fine-tuning {cfg.base} on {len(split.train)} photos, holding back {len(split.val)}; "
        f"{'resuming' if job.resuming else 'run folder'} {job.run_dir}",
        flush=True,
    )

    def report(p: TrainProgress) -> None:
        line = progress_line(p, "held-back", every=10, schedule=False)
        if line:
            say(line, flush=True)

    try:
        result = job.run(progress=report)
    except KeyboardInterrupt:
        kept = (
            "run the same command again to resume from its last checkpoint"
            if job.resuming
            else "no checkpoint was written yet, so a new run starts from the beginning"
        )
        print(f"scnn-finetune: interrupted; your weights are unchanged; {kept}", file=sys.stderr)
        return 130
    except (ScnnError, OSError, ValueError, FloatingPointError) as err:
        # Writes are atomic and the run folder stays until publishing: nothing earlier is lost.
        print(f"scnn-finetune: {err}", file=sys.stderr)
        return 1
    if not rank0:
        return 0
    if math.isnan(result.base_psnr):
        print("scnn-finetune: no score was measured", file=sys.stderr)
        return 1
    say(
        f"stopped by {result.stopped_by} at step {result.steps}; held-back masked PSNR: "
        f"base {result.base_psnr:.2f} dB, fine-tuned {result.psnr:.2f} dB"
    )
    if result.weights is not None:
        say(f"improved by {result.psnr - result.base_psnr:+.2f} dB; weights: {result.weights}")
    else:
        say("no improvement on the held-back photos; nothing written, keep your current weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
