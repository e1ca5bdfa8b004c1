"""The command-line arguments more than one command takes, declared once, and what they build.

``scnn-inpaint`` and ``scnn-finetune`` both pick weights and a device; ``scnn-inpaint`` also sets the
``InpaintOptions`` fields a user may choose. Both commands add them from here, so they spell, default
and explain them alike, and a bad value is refused with the same line.

Only argparse and the request type are imported: ``--help`` must print before torch loads.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .cpu_threads import MAX_THREADS, THREADS_ENV
from .errors import ScnnError
from .options import InpaintOptions

DEVICE_HELP = "auto, cpu, cuda, cuda:N or mps (default: auto = CUDA when present, else CPU)"


def add_model_arguments(parser: argparse.ArgumentParser, weights_help: str) -> None:
    """``--weights PATH``, ``--config NAME`` (the shipped weights when no PATH) and ``--device``.

    ``weights_help`` says what the weights are for in this command (the model to fill with, the
    base to start fine-tuning from).
    """
    parser.add_argument(
        "--weights", type=Path, default=None, help=f"{weights_help} (default: the shipped ones)"
    )
    parser.add_argument(
        "--config",
        default="default",
        help="which shipped weights when --weights is not given: default or paper "
        "(default: default)",
    )
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    """``--threads N``: the CPU threads torch may use; pass ``args.threads`` to
    ``cpu_threads.configure_threads`` first thing in ``main``, before torch loads."""
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="N",
        help=f"CPU threads for the network, 0-{MAX_THREADS}, 0 = automatic; idle ones sleep, so a "
        f"busy machine stays usable (default: ${THREADS_ENV}, else $OMP_NUM_THREADS, else the "
        "physical cores)",
    )


def add_inpaint_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``InpaintOptions`` a user sets, with its defaults: ``--timesteps``, ``--tile``,
    ``--overlap``, ``--adapt``, ``--views`` and ``--no-texture``."""
    defaults = InpaintOptions()
    parser.add_argument(
        "--timesteps",
        type=int,
        default=defaults.timesteps,
        help="LIF timesteps, 1-64 (default: as the weights were trained, 4 for the shipped ones)",
    )
    parser.add_argument(
        "--tile",
        type=int,
        default=defaults.tile,
        help=f"tile side in px, a multiple of 8, 64-2048 (default: {defaults.tile})",
    )
    parser.add_argument(
        "--overlap",
        type=int,
        default=defaults.overlap,
        help=f"tile overlap in px, 0 to tile/2 (default: {defaults.overlap})",
    )
    parser.add_argument(
        "--adapt",
        type=int,
        default=defaults.adapt,
        metavar="STEPS",
        help="first train a copy of the network for STEPS steps on the rest of each "
        f"photo (0-500, ~0.25 s a step on a 2-core CPU; default {defaults.adapt} = off)",
    )
    parser.add_argument(
        "--views",
        type=int,
        default=defaults.views,
        help=f"fill each window as it is and mirrored, 1-{InpaintOptions.MAX_VIEWS} views, and "
        f"average them (n views take n times the model time; default {defaults.views})",
    )
    parser.add_argument(
        "--no-texture",
        dest="texture",
        action="store_false",
        help="leave the network's fill smooth instead of completing it with the photo's own "
        "structure (grain, blades, ripples, fur) and continuing a repeating pattern (higher "
        "masked PSNR on most photos, a visible smudge in textured areas)",
    )


def inpaint_options(args: argparse.Namespace) -> InpaintOptions:
    """The request from arguments added by both functions above; a value out of range is a
    ``ScnnError`` naming the option and its range (one line for the user, no traceback)."""
    try:
        return InpaintOptions(
            tile=args.tile,
            overlap=args.overlap,
            timesteps=args.timesteps,
            device=args.device,
            adapt=args.adapt,
            views=args.views,
            texture=args.texture,
        )
    except ValueError as err:
        raise ScnnError(str(err)) from None


def weights_path(args: argparse.Namespace) -> Path:
    """``--weights``, or the shipped ``--config`` weights checked against their manifest
    (``WeightsError`` when missing or altered)."""
    from .weights import resolve_weights  # loads torch: only a run pays for it, never --help

    return resolve_weights(args.weights, args.config)
