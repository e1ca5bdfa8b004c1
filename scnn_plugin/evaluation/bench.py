"""``scnn-bench``: seconds and peak memory of SC-NN against OpenCV Telea, in one run.

Each case runs in a fresh process (so peak resident memory is that case's alone) with the model loaded
before the clock starts; times are medians over repeats. Shows that the cost follows the masked area:
the number of masked tiles, not the image size. Needs the ``eval`` extra (OpenCV, matplotlib).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# Light imports only: --help and a missing package of the eval extra answer before torch loads;
# the cases import the engine in their own processes.
from ..cpu_threads import configure_threads
from ..errors import InputError
from ..options import InpaintOptions
from .extra import missing_line

if TYPE_CHECKING:
    from PIL import Image

    from ..training.data import PhotoFolder

DESCRIPTION = """\
Time SC-NN against OpenCV Telea (and PatchMatch, when asked) on the bundled photo at sizes from
512 px to 50 MP, with a selection of 1 % or 10 %: seconds per image and peak memory. Each case runs
in a fresh process with the model loaded before the clock starts; times are medians over repeats.
The cost follows the masked area, the number of masked tiles, not the image size. With --load N,
every case is timed again beside N busy processes, and each method's slowdown is shown beside
PatchMatch's. Needs the eval extra: pip install 'scnn-inpaint[eval]'."""

EXAMPLES = """\
examples:
  scnn-bench --photos POOL --out bench                   # every case, then the timesteps sweep
  scnn-bench --methods telea,patchmatch,default --cases "512² object,12 MP 1 %" --sweep ''
  scnn-bench --methods default --cases "512² object" --load 2 --sweep ''   # a busy machine"""
# A busy process beside the timed case: one core kept spinning until the bench kills it.
SPIN = "while True: pass"

# (label, width, height, selection share); a 512x512 with a medium free-form mask comes first, then
# one with an object-sized selection (8 %), where the texture stage does the most work.
CASES = [
    ("512² medium", 512, 512, None),
    ("512² object", 512, 512, 0.08),
    ("2 MP 1 %", 1732, 1155, 0.01),
    ("2 MP 10 %", 1732, 1155, 0.10),
    ("12 MP 1 %", 4243, 2828, 0.01),
    ("12 MP 10 %", 4243, 2828, 0.10),
    ("50 MP 1 %", 8660, 5773, 0.01),
    ("50 MP 10 %", 8660, 5773, 0.10),
]


@dataclass
class Row:
    case: str
    method: str
    seconds: float
    peak_rss_mb: float
    masked_tiles: int
    masked_mpix: float
    load: int = 0  # busy processes that ran beside it


def scene(width: int, height: int, share: float | None) -> tuple[Image.Image, Image.Image]:
    """The bundled photo scaled to ``width`` x ``height`` and a selection covering ``share`` of it.

    A selection is what a user draws with a lasso: one blob (an ellipse here) off-centre. With no share,
    a seeded medium free-form mask as in the evaluation.
    """
    from importlib import resources

    import numpy as np
    from PIL import Image, ImageDraw

    from ..training.hole_masks import make_mask

    with Image.open(resources.files("scnn_plugin.samples") / "astronaut.jpg") as im:
        photo = im.convert("RGB").resize((width, height), Image.BICUBIC)
    if share is None:
        hole = make_mask("medium", height, width, np.random.default_rng(0))
        return photo, Image.fromarray(hole.astype(np.uint8) * 255)
    mask = Image.new("L", (width, height), 0)
    a = np.sqrt(share * width * height / np.pi * 1.5)  # ellipse with axes a and a / 1.5
    b = a / 1.5
    cx, cy = width * 0.62, height * 0.4
    ImageDraw.Draw(mask).ellipse((cx - a, cy - b, cx + a, cy + b), fill=255)
    return photo, mask


def _run_case(method: str, case: tuple, repeats: int, threads: int, queue, load: int = 0) -> None:
    """Child process: build the scene, load the model, time ``repeats`` runs, report peak memory.
    ``load`` is only recorded: the busy processes are the parent's (``busy_processes``)."""
    import cv2
    import numpy as np
    import torch

    from ..tiling import plan_tiles

    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    label, width, height, share = case
    photo, mask = scene(width, height, share)
    hole = np.asarray(mask) > 0
    tiles = len(plan_tiles(hole, InpaintOptions.tile, InpaintOptions.overlap))
    if method == "telea":
        rgb, mask8 = np.asarray(photo), np.asarray(mask)

        def once() -> None:
            cv2.inpaint(rgb, mask8, 5, cv2.INPAINT_TELEA)

    elif method == "patchmatch":  # the fill users compare object removals with
        from .classical import fill_patchmatch

        rgb = np.asarray(photo)

        def once() -> None:
            fill_patchmatch(rgb, hole)

    else:
        from ..engine import Inpainter

        config, options = scnn_options(method)
        inp = Inpainter.from_pretrained(device="cpu", options=options, config=config)

        def once() -> None:
            inp.inpaint(photo, mask)

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mpix = float(hole.sum()) / 1e6
    queue.put(Row(label, method, statistics.median(times), peak, tiles, mpix, load))


def scnn_options(method: str) -> tuple[str, InpaintOptions]:
    """``"default+adapt30+views4"``: the default weights, adapted to the photo for 30 steps first,
    each window averaged over 4 flipped views."""
    config, *extras = method.split("+")
    values = {}
    for extra in extras:
        name = extra.rstrip("0123456789")
        if name not in ("adapt", "views") or name == extra:
            raise ValueError(f"unknown method option {extra!r} in {method!r}: adaptN or viewsN")
        values[name] = int(extra[len(name) :])
    return config, InpaintOptions(**values)


def run_isolated(method: str, case: tuple, repeats: int, threads: int, load: int = 0) -> Row:
    """Time ``method`` on ``case`` in a fresh process, beside ``load`` busy processes."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run_case, args=(method, case, repeats, threads, queue, load))
    with busy_processes(load):
        proc.start()
        row = queue.get()
        proc.join()
    return row


@contextlib.contextmanager
def busy_processes(n: int) -> Iterator[list[subprocess.Popen]]:
    """``n`` Python processes spinning on a core each for the duration of the block: the other
    work of a busy machine (GIMP, a browser, another fill). They are killed on the way out, however
    the block ends."""
    spinners: list[subprocess.Popen] = []
    try:
        for _ in range(n):
            spinners.append(subprocess.Popen([sys.executable, "-c", SPIN]))
        yield spinners
    finally:
        for p in spinners:
            p.kill()
        for p in spinners:
            p.wait()


def sweep_photos(photos_dir: Path | None) -> PhotoFolder:
    """The held-out photos the timesteps sweep fills; ``InputError`` when there are none, so
    ``main`` can say so before any timing starts (the sweep runs last)."""
    from ..training.data import default_pool_dir, find_photos, load_photos

    folder = (photos_dir or default_pool_dir()) / "val"
    pool = load_photos(find_photos(folder))
    if not pool.photos:
        raise InputError(
            f"the timesteps sweep needs held-out photos in {folder}; build the pool first "
            "(python -m scnn_plugin.training.photos), pass --photos POOL, or --sweep ''"
        )
    return pool


def timestep_sweep(steps: tuple[int, ...], threads: int, pool: PhotoFolder) -> list[dict]:
    """Time and masked PSNR of the default model at each T on held-out 512² samples of ``pool``."""
    import numpy as np
    import torch
    from PIL import Image

    from ..engine import Inpainter
    from ..training.evalset import build_eval_set
    from .metrics import masked_psnr

    torch.set_num_threads(threads)
    samples = build_eval_set(pool.photos[:6], pool.names[:6], kinds=("medium",))
    base = Inpainter.from_pretrained(device="cpu")
    rows = []
    for t in steps:
        inp = base.with_options(InpaintOptions(timesteps=t, device="cpu"))
        times, scores = [], []
        for s in samples:
            start = time.perf_counter()
            out = inp.inpaint(Image.fromarray(s.image), Image.fromarray(s.hole))
            times.append(time.perf_counter() - start)
            scores.append(masked_psnr(np.asarray(out) / 255, s.image / 255, s.hole))
        rows.append(
            {
                "timesteps": t,
                "seconds": statistics.median(times),
                "masked_psnr": float(np.mean(scores)),
            }
        )
    return rows


def markdown(rows: list[Row]) -> str:
    """The quiet runs: seconds per image, against Telea on the same case, and peak memory."""
    rows = [r for r in rows if not r.load]
    telea = {r.case: r.seconds for r in rows if r.method == "telea"}
    lines = [
        "| case | method | masked tiles | s / image | × Telea | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r.seconds / telea[r.case]:.1f}" if telea.get(r.case) else "–"  # not timed
        lines.append(
            f"| {r.case} | {r.method} | {r.masked_tiles} | {r.seconds:.3f} | "
            f"{ratio} | {r.peak_rss_mb:.0f} |"
        )
    return "\n".join(lines)


def slowdown_table(rows: list[Row]) -> str:
    """Each method's time beside busy processes over its quiet time, and PatchMatch's on the same
    case: how much a busy machine costs us against the fill users compare us with."""
    quiet = {(r.case, r.method): r.seconds for r in rows if not r.load}
    loaded = [r for r in rows if r.load]
    slowdown = {(r.case, r.method): r.seconds / quiet[r.case, r.method] for r in loaded}
    lines = [
        "| case | method | busy processes | s quiet | s busy | slowdown | PatchMatch's |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in loaded:
        theirs = slowdown.get((r.case, "patchmatch"), float("nan"))
        lines.append(
            f"| {r.case} | {r.method} | {r.load} | {quiet[r.case, r.method]:.3f} | "
            f"{r.seconds:.3f} | {slowdown[r.case, r.method]:.2f}x | {theirs:.2f}x |"
        )
    return "\n".join(lines)


def plot(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if not r.load]
    fig, ax = plt.subplots(figsize=(6, 4))
    for method in dict.fromkeys(r.method for r in rows):
        pts = sorted((r.masked_tiles, r.seconds, r.case) for r in rows if r.method == method)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=method)
    ax.set_xlabel("masked tiles (512 px)")
    ax.set_ylabel("seconds per image (CPU)")
    ax.set_title("Cost follows the mask, not the image size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scnn-bench",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--methods",
        default="telea,default,paper",
        help="comma-separated: telea, patchmatch, default, paper; +adaptN (N steps first) and "
        "+viewsN (N flipped views) after a config, e.g. default+adapt30+views4",
    )
    p.add_argument(
        "--cases",
        default=None,
        # argparse formats help with %: the labels' "1 %" is written %%
        help="comma-separated case labels (default: all of "
        + ", ".join(c[0] for c in CASES).replace("%", "%%")
        + ")",
    )
    p.add_argument(
        "--repeats", type=int, default=3, help="timed runs per case; the median counts (default 3)"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=2,
        help="CPU threads of each timed fill, idle ones asleep as in every front end (default 2)",
    )
    p.add_argument("--sweep", default="1,2,4,8", help="timesteps to sweep ('' to skip)")
    p.add_argument("--photos", type=Path, default=None, help="photo pool for the sweep")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("bench-results"),
        help="folder for results.md, results.json and cost.png (default: bench-results)",
    )
    p.add_argument(
        "--load",
        type=int,
        default=0,
        metavar="N",
        help="also time every case beside N busy processes (spinning Python loops the bench "
        "starts and kills) and show each method's slowdown beside PatchMatch's, which is "
        "timed too (default 0: quiet only)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    methods = args.methods.split(",")
    for method in methods:
        if method not in ("telea", "patchmatch"):
            try:
                scnn_options(method)
            except ValueError as err:  # before any timing starts
                p.error(str(err))
    if args.load < 0:
        p.error(f"--load is a number of busy processes, 0 or more, not {args.load}")
    try:
        configure_threads(args.threads)  # inherited by the cases: idle threads sleep
    except InputError as err:
        print(f"scnn-bench: {err}", file=sys.stderr)
        return 2
    if args.load and "patchmatch" not in methods:
        methods.append("patchmatch")  # the slowdown we are compared with
    # OpenCV in every case (its threads are set, Telea is the baseline), matplotlib for the plot
    packages = ["opencv-contrib-python-headless", "matplotlib"]
    packages += ["pypatchmatch"] if "patchmatch" in methods else []
    absent = missing_line("scnn-bench", packages)
    if absent:
        print(absent, file=sys.stderr)
        return 2
    try:
        pool = sweep_photos(args.photos) if args.sweep else None
    except InputError as err:
        print(f"scnn-bench: {err}", file=sys.stderr)
        return 2
    wanted = set(args.cases.split(",")) if args.cases else None
    cases = [c for c in CASES if wanted is None or c[0] in wanted]
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for case in cases:
        for method in methods:
            for load in (0, args.load) if args.load else (0,):
                row = run_isolated(method, case, args.repeats, args.threads, load)
                rows.append(row)
                busy = f", beside {load} busy" if load else ""
                print(
                    f"{row.case:>12} {row.method:>8}: {row.seconds:7.3f} s, "
                    f"{row.masked_tiles:3d} tiles, peak {row.peak_rss_mb:6.0f} MB{busy}",
                    flush=True,
                )
    table = markdown(rows)
    if args.load:
        table += "\n\n" + slowdown_table(rows)
    sweep = (
        timestep_sweep(tuple(int(t) for t in args.sweep.split(",")), args.threads, pool)
        if pool is not None
        else []
    )
    if sweep:
        table += "\n\n| T | s / 512² image | masked PSNR dB |\n|---:|---:|---:|\n" + "\n".join(
            f"| {r['timesteps']} | {r['seconds']:.3f} | {r['masked_psnr']:.2f} |" for r in sweep
        )
    print(table)
    (args.out / "results.md").write_text(table + "\n")
    (args.out / "results.json").write_text(
        json.dumps({"rows": [asdict(r) for r in rows], "sweep": sweep}, indent=1)
    )
    plot(rows, args.out / "cost.png")
    print(f"wrote {args.out}/results.md, results.json, cost.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
