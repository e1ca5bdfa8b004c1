"""``scnn-train``: train a configuration on the photo pool; argument parsing and reporting only.

Only argparse at import: ``--help`` answers before torch loads; ``main`` imports the trainer after
parsing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..arguments import add_threads_argument
from ..cpu_threads import configure_threads
from ..errors import InputError

DESCRIPTION = """\
Train a model configuration on the photo pool (python -m scnn_plugin.training.photos builds it),
validating on its held-out photos. The run folder keeps a checkpoint, the best weights so far and
their validation curve; the same command resumes an interrupted run.

The recipe for a lent GPU (how issue 34's candidates were made, docs/training.md): crops from
loader workers, a quarter of the holes object-like blobs, bf16 autocast and TF32, a wall-clock
budget whose last 40 % decays the rate, the loss read back every 50 steps, and optionally a network
widened from the shipped weights (--widen-from)."""

EXAMPLES = """\
examples:
  scnn-train --photos POOL --run-dir runs/default --minutes 120      # resumable; --config paper
  scnn-train --photos POOL --run-dir runs/more --init weights/default.safetensors \\
      --steps 6000 --decay 3000                                       # one more cycle, annealed
  scnn-train --photos POOL --run-dir runs/gpu --init weights/default.safetensors --device cuda \\
      --workers 12 --objects 0.25 --bf16 --minutes 60 --decay-share 0.4 --loss-every 50"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scnn-train",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", default="default", help="model config: default or paper")
    p.add_argument("--model-kwargs", default="{}", help="JSON, e.g. '{\"spiking\": false}'")
    p.add_argument(
        "--photos", type=Path, default=None, help="pool with train/ and val/ (photos.py)"
    )
    p.add_argument("--run-dir", type=Path, required=True, help="checkpoint, best weights, curve")
    p.add_argument("--init", type=Path, default=None, help="start from these weights")
    p.add_argument(
        "--widen-from",
        type=Path,
        default=None,
        metavar="WEIGHTS",
        help="start from these weights widened to --model-kwargs (e.g. '{\"width\": 32}'): "
        "new channels first read zeros, so the wide network fills exactly as the narrow one",
    )
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps in all")
    p.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="stop after this much wall-clock time in this session (with --decay-share: in the "
        "whole run, so a resumed run finishes its schedule)",
    )
    p.add_argument("--batch", type=int, default=8, help="crops per optimiser step (default 8)")
    p.add_argument(
        "--crop", type=int, default=256, help="side of a training crop in px (default 256)"
    )
    p.add_argument(
        "--lr", type=float, default=1e-3, help="peak learning rate, after warm-up (default 1e-3)"
    )
    p.add_argument(
        "--decay",
        type=int,
        default=0,
        help="cosine-decay the learning rate over the last N of --steps",
    )
    p.add_argument(
        "--decay-share",
        type=float,
        default=0.0,
        metavar="F",
        help="cosine-decay the learning rate over the last share F (0-1) of the budget: of "
        "--steps or of --minutes, whichever ends first (e.g. 0.4 for a GPU's wall-clock budget)",
    )
    p.add_argument("--loss", default=None, help="hole (default) or mse (paper default)")
    p.add_argument(
        "--cables",
        type=float,
        default=0.0,
        help="chance (0-1) that a training crop gets thin straight lines, like cables, "
        "drawn across it before the hole is cut (default 0)",
    )
    p.add_argument(
        "--objects",
        type=float,
        default=0.0,
        help="chance (0-1) that a training crop's hole is an object-like blob made from smooth "
        "noise instead of brush strokes (default 0; the GPU recipe: 0.25)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes making training crops, each with its own random stream (default 0: "
        "in the training process); a GPU needs a dozen or more",
    )
    p.add_argument(
        "--bf16",
        action="store_true",
        help="run the forward under bfloat16 autocast (for CUDA; on CPU it works but is slower)",
    )
    p.add_argument(
        "--tf32",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="let CUDA matmuls and convolutions use TF32 (default on; no effect on CPU)",
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="CUDA only: capture the model with torch.compile and CUDA graphs (fewer launches)",
    )
    p.add_argument(
        "--loss-every",
        type=int,
        default=1,
        metavar="N",
        help="read the loss back from the device every N steps (default 1; on a GPU, 50: each "
        "read waits for the GPU to finish)",
    )
    p.add_argument(
        "--val-every",
        type=int,
        default=250,
        metavar="N",
        help="validate, keep the best weights and write a checkpoint every N steps (default 250)",
    )
    p.add_argument("--val-photos", type=int, default=None, help="use only the first N val photos")
    p.add_argument("--seed", type=int, default=0, help="random seed of weights and crops")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda or mps")
    add_threads_argument(p)
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        configure_threads(args.threads)  # before torch loads: OpenMP reads the policy only then
    except InputError as err:
        print(f"scnn-train: {err}", file=sys.stderr)
        return 2
    # After parsing: --help and a mistyped option answer without loading torch.

    from ..devices import resolve_device
    from .config import TrainConfig
    from .data import default_pool_dir, find_photos, load_photos
    from .evalset import build_eval_set
    from .progress import TrainProgress, progress_line
    from .trainer import Trainer

    try:
        cfg = TrainConfig.from_args(
            args,
            model_kwargs=json.loads(args.model_kwargs),
            loss=args.loss or ("mse" if args.config == "paper" else "hole"),
        )
    except ValueError as err:
        print(f"scnn-train: {err}", file=sys.stderr)
        return 2
    if cfg.compile and resolve_device(cfg.device).type != "cuda":
        print(
            f"scnn-train: --compile captures CUDA graphs and needs a CUDA device, not "
            f"{resolve_device(cfg.device)}",
            file=sys.stderr,
        )
        return 2
    pool = args.photos or default_pool_dir()
    train = load_photos(find_photos(pool / "train"))
    val = load_photos(find_photos(pool / "val"))
    if not train.photos or not val.photos:
        print(
            f"scnn-train: no photos in {pool}/train or {pool}/val; build the pool first with "
            "python -m scnn_plugin.training.photos",
            file=sys.stderr,
        )
        return 2
    n_val = args.val_photos or len(val.photos)
    val_set = build_eval_set(val.photos[:n_val], val.names[:n_val])
    print(
        f"training {cfg.config} on {len(train.photos)} photos, validating on {len(val_set)} "
        f"samples from {n_val} held-out photos; run dir {cfg.run_dir}",
        flush=True,
    )

    def report(p: TrainProgress) -> None:
        line = progress_line(p, "val", every=25, schedule=True)
        if line:
            print(line, flush=True)

    try:
        result = Trainer(cfg, train.photos, val_set).run(progress=report)
    except ValueError as err:  # weights that do not fit the asked run (--init, --widen-from)
        print(f"scnn-train: {err}", file=sys.stderr)
        return 2
    print(
        f"stopped by {result.stopped_by} at step {result.steps}: base {result.base_psnr:.2f} dB, "
        f"best {result.best_psnr:.2f} dB, {result.cpu_hours:.2f} CPU-hours; best weights "
        f"{result.best_path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
