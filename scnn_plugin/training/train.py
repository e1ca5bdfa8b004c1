"""``scnn-train``: train a configuration on the photo pool; argument parsing and reporting only."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from .data import default_pool_dir, find_photos, load_photos
from .evalset import build_eval_set
from .trainer import TrainConfig, Trainer, TrainProgress, format_eta


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scnn-train", description=__doc__)
    p.add_argument("--config", default="default", help="model config: default or paper")
    p.add_argument("--model-kwargs", default="{}", help="JSON, e.g. '{\"spiking\": false}'")
    p.add_argument(
        "--photos", type=Path, default=None, help="pool with train/ and val/ (photos.py)"
    )
    p.add_argument("--run-dir", type=Path, required=True, help="checkpoint, best weights, curve")
    p.add_argument("--init", type=Path, default=None, help="start from these weights")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--minutes", type=float, default=None)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument(
        "--decay",
        type=int,
        default=0,
        help="cosine-decay the learning rate over the last N of --steps",
    )
    p.add_argument("--loss", default=None, help="hole (default) or mse (paper default)")
    p.add_argument(
        "--cables",
        type=float,
        default=0.0,
        help="chance (0-1) that a training crop gets thin straight lines, like cables, "
        "drawn across it before the hole is cut (default 0)",
    )
    p.add_argument("--val-every", type=int, default=250)
    p.add_argument("--val-photos", type=int, default=None, help="use only the first N val photos")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--threads", type=int, default=None, help="CPU threads (default: torch's choice)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        cfg = TrainConfig.from_args(
            args,
            model_kwargs=json.loads(args.model_kwargs),
            loss=args.loss or ("mse" if args.config == "paper" else "hole"),
        )
    except ValueError as err:
        print(f"scnn-train: {err}", file=sys.stderr)
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
        if p.val_psnr is not None:
            print(
                f"step {p.step}: loss {p.loss:.4f} val PSNR {p.val_psnr:.2f} dB "
                f"(best {p.best_psnr:.2f}) eta {format_eta(p.eta_s)}",
                flush=True,
            )
        elif p.step % 25 == 0:
            print(
                f"step {p.step}: loss {p.loss:.4f} {p.elapsed_s / 60:.1f} min "
                f"eta {format_eta(p.eta_s)}",
                flush=True,
            )

    result = Trainer(cfg, train.photos, val_set).run(progress=report)
    print(
        f"stopped by {result.stopped_by} at step {result.steps}: base {result.base_psnr:.2f} dB, "
        f"best {result.best_psnr:.2f} dB, {result.cpu_hours:.2f} CPU-hours; best weights "
        f"{result.best_path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
