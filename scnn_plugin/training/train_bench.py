"""Training throughput: samples/s of ``scnn-train``'s step, operator calls per step, and the crops/s
the data feed alone delivers with N loader workers. Speed targets live here, not in timed tests.

``python -m scnn_plugin.training.train_bench step`` trains the shipped ``default`` on a pool's photos
through the public ``Trainer`` (the run is cancelled after the measured steps, so nothing is kept),
timing the steps between progress events after a warm-up, and profiles a few of them with
``torch.profiler``: every ATen operator call counts, which on a GPU is about one kernel launch each.
``... feed --workers 0,1,2`` times the loader alone (no model): crops out of ``Trainer.loader``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import torch

from .config import TrainConfig
from .data import default_pool_dir, find_photos, load_photos
from .evalset import build_eval_set
from .trainer import Trainer


def bench_step(
    photos: list,
    val: list,
    cfg_fields: dict,
    warmup: int,
    steps: int,
    profile_steps: int,
) -> dict:
    """Samples/s over ``steps`` steps after ``warmup``, then operator calls per step over
    ``profile_steps`` more; the run lives in a temporary folder and is cancelled at the end."""
    stamps: list[float] = []
    prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
    last = warmup + steps + profile_steps

    def progress(_p) -> None:
        stamps.append(time.perf_counter())
        if len(stamps) == warmup + steps:
            prof.start()
        elif len(stamps) == last:
            prof.stop()

    with tempfile.TemporaryDirectory() as tmp:
        fields = {"val_every": 10**9, **cfg_fields}
        cfg = TrainConfig(run_dir=Path(tmp), **fields)
        Trainer(cfg, photos, val).run(progress=progress, cancel=lambda: len(stamps) >= last)
    seconds = stamps[warmup + steps - 1] - stamps[warmup - 1]
    ops = [e for e in prof.events() if e.name.startswith("aten::")]
    # Only the outermost calls: an op another op calls runs inside it, not as a launch of its own.
    top = [e for e in ops if e.cpu_parent is None or not e.cpu_parent.name.startswith("aten::")]
    names = Counter(e.name for e in top)
    return {
        "samples_per_s": cfg.batch * steps / seconds,
        "seconds_per_step": seconds / steps,
        "aten_calls_per_step": len(ops) / profile_steps,
        "top_level_ops_per_step": len(top) / profile_steps,
        "most_called": {n: c / profile_steps for n, c in names.most_common(8)},
    }


def bench_feed(photos: list, workers: int, batch: int, crop: int, seconds: float) -> dict:
    """Crops/s out of the trainer's loader with ``workers`` processes, after its first batches:
    8-bit batches as they reach the training process (a GPU converts them to float itself)."""
    cfg = TrainConfig(
        run_dir=Path("unused"), batch=batch, crop=crop, workers=workers, objects=0.25, cables=0.3
    )
    batches = iter(Trainer(cfg, photos, [object()]).loader(step=0))
    for _ in range(max(2, 2 * workers)):  # workers started and their first batches made
        next(batches)
    n, t0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        n += len(next(batches)[0])
    elapsed, used = time.perf_counter() - t0, time.process_time() - cpu0
    del batches  # shuts the workers down
    # The training process's own CPU per crop: all of the work without workers, only receiving
    # the batches with them.
    return {
        "workers": workers,
        "crops_per_s": n / elapsed,
        "crops": n,
        "main_cpu_ms_per_crop": 1000 * used / max(1, n),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m scnn_plugin.training.train_bench", description=__doc__
    )
    p.add_argument("what", choices=["step", "feed"])
    p.add_argument("--photos", type=Path, default=None, help="pool (default: the cached pool)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--threads", type=int, default=1, help="torch threads of the training process")
    p.add_argument("--steps", type=int, default=20, help="timed steps (step)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first (step)")
    p.add_argument("--profile-steps", type=int, default=3, help="profiled steps (step)")
    p.add_argument("--loss-every", type=int, default=1, help="(step) read the loss every N steps")
    p.add_argument("--workers", default="0,1,2", help="(feed) comma-separated worker counts")
    p.add_argument("--seconds", type=float, default=20.0, help="(feed) seconds per count")
    p.add_argument("--init", type=Path, default=None, help="(step) weights to train")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    pool = args.photos or default_pool_dir()
    photos = load_photos(find_photos(pool / "train")).photos
    if not photos:
        print(f"train_bench: no photos in {pool}/train", file=sys.stderr)
        return 2
    if args.what == "feed":
        for workers in (int(w) for w in args.workers.split(",")):
            row = bench_feed(photos, workers, args.batch, args.crop, args.seconds)
            print(json.dumps(row), flush=True)
        return 0
    val = build_eval_set(photos[:1], ["v"], size=64)  # scored once before the clock starts
    fields = {"batch": args.batch, "crop": args.crop, "device": "cpu", "warmup": 0}
    fields |= {"loss_every": args.loss_every} if args.loss_every != 1 else {}
    fields |= {"init": args.init} if args.init else {}
    row = bench_step(photos, val, fields, args.warmup, args.steps, args.profile_steps)
    print(json.dumps({"threads": args.threads, **fields, **row}, default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
