"""``scnn-inpaint``: argument parsing and reporting around ``Inpainter``; no pipeline logic here."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .arguments import (
    add_inpaint_arguments,
    add_model_arguments,
    add_threads_argument,
    inpaint_options,
    weights_path,
)
from .cpu_threads import configure_threads
from .errors import InputError, ScnnError
from .image_io import check_folder_writable, check_output, load_image, read_header, save_image
from .masks import FillMask
from .version import __version__

if TYPE_CHECKING:  # the engine loads torch: only a run pays for it, never --help or --version
    from .engine import Inpainter

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif"}


USAGE = """\
scnn-inpaint IMAGE [--mask MASK] -o OUTPUT [options]
       scnn-inpaint FOLDER --mask-dir MASKS -o OUTPUT_FOLDER [options]
       scnn-inpaint --demo [-o OUTPUT]"""

EXAMPLES = """\
examples:
  scnn-inpaint photo.jpg --mask mask.png -o filled.jpg   # the mask's white strokes are filled
  scnn-inpaint photos/ --mask-dir masks/ -o out/         # a folder; masks matched by file name
  scnn-inpaint photo.jpg --mask mask.png -o filled.jpg --threads 2   # leave cores to other work

A mask pixel is filled where it is at least half white (so a JPEG's faint halo is not), and at least
half opaque if the mask has alpha. With no --mask, the transparent pixels of IMAGE are filled. The
input is never overwritten; a request that could not be saved is refused before the model loads."""


def build_parser() -> argparse.ArgumentParser:
    """Every option of ``scnn-inpaint``, each with its help line."""
    # Only argparse here: --help and --version print before anything heavy (torch) is imported.
    p = argparse.ArgumentParser(
        prog="scnn-inpaint",
        usage=USAGE,
        description="Fill the masked parts of photos with the SC-NN hybrid spiking network.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", nargs="?", type=Path, help="image file, or a folder with --mask-dir")
    p.add_argument(
        "--mask",
        type=Path,
        help="mask image of the same size as IMAGE; at least half white = fill",
    )
    p.add_argument(
        "--mask-dir", type=Path, help="folder of masks named like the images (batch mode)"
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        help="output file, required with one IMAGE; its extension picks the format, and the "
        "folder of a single OUTPUT must exist. With a FOLDER of images, the output folder: "
        "batch mode creates the output folder (and says so) when it is missing "
        "(default with --demo: scnn-inpaint-demo.png)",
    )
    p.add_argument("--demo", action="store_true", help="inpaint the bundled sample photo")
    add_model_arguments(p, "weights file to fill with")
    add_inpaint_arguments(p)
    add_threads_argument(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = build_parser()
    args = p.parse_args(argv)
    if not args.demo and args.image is None:
        p.error("give an IMAGE (or a folder with --mask-dir), or --demo")
    if args.demo and args.image is not None:
        p.error("--demo takes no IMAGE")
    return args


class ProgressBar:
    """A one-line text bar on stderr, only when stderr is a terminal or forced."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.label, self.enabled, self.start = label, enabled, time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total == 0:
            return
        width = 30
        filled = width * done // total
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done == total else ""
        print(f"\r{self.label} [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)


def _jobs(args: argparse.Namespace) -> list[tuple[Path, Path | None, Path]]:
    """(image, mask or None, output) for every file to process."""
    if args.demo:
        samples = resources.files("scnn_plugin.samples")
        out = args.output or Path("scnn-inpaint-demo.png")
        return [
            (Path(str(samples / "astronaut.jpg")), Path(str(samples / "astronaut_mask.png")), out)
        ]
    if args.image.is_dir():
        if args.mask_dir is None or args.output is None:
            raise ScnnError("a folder of images needs --mask-dir and -o OUTPUT_FOLDER")
        images = sorted(p for p in args.image.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise ScnnError(f"{args.image}: no image files found")
        jobs = []
        for image in images:
            masks = sorted(args.mask_dir.glob(image.stem + ".*"))
            if not masks:
                raise ScnnError(f"{image.name}: no mask named {image.stem}.* in {args.mask_dir}")
            jobs.append((image, masks[0], args.output / image.name))
        return jobs
    if args.mask is not None and args.mask.is_dir():
        raise InputError(
            f"{args.mask}: is a folder, not a mask image; a folder of masks goes with "
            "--mask-dir and a folder of images (scnn-inpaint FOLDER --mask-dir MASKS -o OUT)"
        )
    if args.output is None:
        raise ScnnError("give -o OUTPUT (the input is never overwritten in place)")
    return [(args.image, args.mask, args.output)]


def refuse_outputs_that_are_inputs(jobs: list[tuple[Path, Path | None, Path]]) -> None:
    """``InputError`` before any work when an output would replace any job's image or mask.

    Paths are compared resolved (symlinks, ``..``) and, for files that exist, by ``samefile``, so
    a hard link or another spelling of the mask is caught too.
    """
    inputs = [p for image, mask, _ in jobs for p in (image, mask) if p is not None]
    resolved = {p.resolve(): p for p in inputs}
    for _, _, out in jobs:
        hit = resolved.get(out.resolve())
        if hit is None and out.exists():
            hit = next((p for p in inputs if p.exists() and out.samefile(p)), None)
        if hit is not None:
            raise InputError(f"{out}: refusing to overwrite the input {hit}; choose another -o")


def check_output_folder(folder: Path) -> bool:
    """Batch mode: ``InputError`` unless ``folder`` is, or can be made, a folder this process can
    write in; True when it must be made."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: is a file; in batch mode -o names the output folder")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{existing}: is a file, not a folder")
    check_folder_writable(existing)
    return existing != folder


def check_job(image: Path, mask: Path | None, out: Path, folder_checked: bool) -> None:
    """``InputError`` for what can be known from the files' headers: an input that cannot be read
    or has several frames, an output that could not be saved (``image_io.check_output``)."""
    header = read_header(image)
    if mask is not None:
        read_header(mask)
    check_output(out, header, check_folder=not folder_checked)


def run(args: argparse.Namespace) -> int:
    """Process every job; 0 when all succeeded, 1 when any image failed (one line each).

    Everything that can be checked without the model is checked for every job first, so a request
    that cannot be saved is refused in milliseconds, not after the fill.
    """
    jobs = _jobs(args)
    refuse_outputs_that_are_inputs(jobs)
    options = inpaint_options(args)  # a bad value is one line before the model loads
    batch = args.image is not None and args.image.is_dir()
    make_folder = check_output_folder(args.output) if batch else False
    failures = 0
    ready = []
    for job in jobs:
        try:
            check_job(*job, folder_checked=batch)
        except InputError as err:
            if len(jobs) == 1:
                raise
            _report(err, args.verbose)  # batch mode: the rest of the folder still runs
            failures += 1
        else:
            ready.append(job)
    if not ready:
        return 1
    weights = weights_path(args)
    from .engine import Inpainter

    inpainter = Inpainter.from_pretrained(weights, options=options)
    if make_folder:
        args.output.mkdir(parents=True, exist_ok=True)
        print(f"scnn-inpaint: created the output folder {args.output}", file=sys.stderr)
    show = not args.quiet and sys.stderr.isatty()
    for image_path, mask_path, out_path in ready:
        try:
            _inpaint_file(inpainter, image_path, mask_path, out_path, show)
        except InputError as err:
            if len(jobs) == 1:
                raise
            # Batch mode: one bad image must not cost the user the rest of the folder.
            _report(err, args.verbose)
            failures += 1
    return 1 if failures else 0


def _inpaint_file(
    inpainter: Inpainter, image_path: Path, mask_path: Path | None, out_path: Path, show: bool
) -> None:
    image = load_image(image_path)
    mask = load_image(mask_path) if mask_path else None
    start = time.monotonic()
    try:
        # Parsed here, once: the engine fills exactly this FillMask and checks it.
        if mask is None:
            fill = FillMask.transparent(image)
        else:
            fill = FillMask.painted(mask, image.size, f"the mask {mask_path}")
        result = inpainter.inpaint(image, fill, progress=ProgressBar(image_path.name, show))
    except InputError as err:
        raise InputError(f"{image_path}: {err}") from None
    save_image(result, out_path)
    if fill.empty:  # the engine returned a copy; say so rather than report a fill
        what = (
            f"the mask {mask_path} is empty (no pixel is at least half white)"
            if mask_path
            else "no pixel is transparent"
        )
        print(
            f"scnn-inpaint: {image_path}: {what}, nothing to fill; {out_path} is an unchanged copy",
            file=sys.stderr,
        )
        return
    print(
        f"{image_path} -> {out_path.resolve()} ({time.monotonic() - start:.2f} s on "
        f"{inpainter.device_name}, T={inpainter.timesteps})"
    )


def _report(err: BaseException, verbose: bool) -> None:
    """One line on stderr; the traceback above it with ``--verbose``."""
    if verbose:
        traceback.print_exception(err)
    print(f"scnn-inpaint: error: {err}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="scnn-inpaint: %(message)s")
    try:
        configure_threads(args.threads)  # before torch loads: OpenMP reads the policy only then
        return run(args)
    except (ScnnError, OSError) as err:
        _report(err, args.verbose)
        return 1
    except KeyboardInterrupt:
        print(
            "scnn-inpaint: interrupted; no output was written for the image in progress",
            file=sys.stderr,
        )
        return 130
    except Exception as err:  # noqa: BLE001 - a bug still ends in one line, not a traceback
        if args.verbose:
            traceback.print_exc()
        print(
            f"scnn-inpaint: internal error: {type(err).__name__}: {err} "
            "(run with --verbose for the traceback and report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
