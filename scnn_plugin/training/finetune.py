"""Fine-tuning: adapt the active weights to a folder of the user's own photos (``scnn-finetune``,
whose command line is ``finetune_cli.py``, and the window's Image > Fine-tune).

It is the ``scnn-train`` pipeline (``Trainer``: generated holes, EMA, validation, early stopping,
atomic checkpoints, DDP under ``torchrun``) started from the active weights, with one promise on top:
the new weights are published only when they beat the base weights on photos held back from the
same folder, so fine-tuning can never leave the user worse off.

Files: the run's checkpoint lives in ``runs_dir()/<key>``, where the key covers the folder, its file
list and the base weights, so starting again on the same folder and weights resumes an interrupted or
cancelled run; a finished run removes it. The result goes to ``finetuned_dir()/<name>.safetensors``
(written atomically, so cancel or a crash keeps whatever was there) with its provenance in the
weights' ``training`` metadata under ``"finetune"``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import platformdirs

from ..errors import InputError, ScnnError
from ..models import InpaintNet
from ..version import __version__
from ..weights import file_sha256, finetuned_dir, load_weights, save_weights
from .config import TrainConfig
from .data import PHOTO_SUFFIXES, find_photos, load_photos
from .evalset import build_eval_set
from .finetune_budget import DEFAULT_STEPS, estimate_seconds
from .progress import TrainProgress, format_eta
from .trainer import Trainer

# The public fine-tuning API: front ends (the window, scripts) import these names from here and
# nothing from data.py or trainer.py, so those stay free to change.
__all__ = [
    "DEFAULT_STEPS",
    "PHOTO_SUFFIXES",
    "FinetuneConfig",
    "FinetuneJob",
    "FinetuneResult",
    "PhotoSplit",
    "TrainProgress",
    "estimate_seconds",
    "find_photos",
    "finetuned_dir",
    "format_eta",
    "has_unfinished_run",
    "runs_dir",
]

APP_NAME = "scnn-inpaint"  # platformdirs application name, shared with the desktop app's settings
# The loss each shipped config was trained with, for bases whose metadata does not say.
DEFAULT_LOSS = {"paper": "mse", "default": "hole"}


def runs_dir() -> Path:
    """Where unfinished fine-tuning runs keep their checkpoints until they finish."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "finetune-runs"


@dataclass(frozen=True)
class FinetuneConfig:
    """One fine-tuning request, as the dialog, the CLI and the tests build it."""

    photos_dir: Path  # searched recursively for jpg/png/webp/tiff/bmp
    base: Path  # the weights to start from: the user's active weights
    steps: int | None = None  # total optimiser steps of the run (a resumed run counts on) ...
    minutes: float | None = None  # ... and/or wall-clock minutes of this session
    device: str = "auto"
    batch: int = 8
    crop: int = 256  # training crop side in px
    lr: float = 2e-4  # a fifth of scnn-train's: nudge the weights, don't retrain them
    val_every: int = 25  # steps between validations on the held-back photos
    patience: int | None = 4  # stop after this many validations without improvement
    max_val_photos: int = 8  # held-back photos are scored at every validation: keep it quick
    val_side: int = 512  # side of the held-back views in px (scnn-eval's size)
    out_dir: Path | None = None  # None: finetuned_dir()
    work_dir: Path | None = None  # None: runs_dir()

    def __post_init__(self) -> None:
        if self.steps is None and self.minutes is None:
            raise ValueError("give a budget: steps, minutes or both")
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.minutes is not None and not self.minutes > 0:
            raise ValueError(f"minutes must be > 0, got {self.minutes}")
        for name, low in (("batch", 1), ("crop", 32), ("val_every", 1), ("val_side", 32)):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        if self.max_val_photos < 1:
            raise ValueError(f"max_val_photos must be >= 1, got {self.max_val_photos}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")


@dataclass(frozen=True)
class PhotoSplit:
    """The folder's readable photos split into training and held-back ones, and what was skipped."""

    train: list[np.ndarray]
    train_names: list[str]
    val: list[np.ndarray]
    val_names: list[str]
    skipped: list[tuple[str, str]]  # (path, reason)


@dataclass(frozen=True)
class FinetuneResult:
    """Before/after on the held-back photos; ``weights`` is set only when the run improved on them."""

    base_psnr: float  # masked PSNR (dB) of the base weights
    psnr: float  # of the best fine-tuned weights (== base_psnr when nothing beat it)
    weights: Path | None
    steps: int
    stopped_by: str  # "steps", "minutes", "patience", "cancel" (resumable)

    @property
    def improved(self) -> bool:
        return self.weights is not None


def split_photos(paths: list[Path], max_val: int = 8) -> PhotoSplit:
    """Decode ``paths`` and hold back about one photo in five (1 to ``max_val``) for validation.

    The choice is seeded and depends only on the file list, so a resumed run validates on the same
    photos it started with.
    """
    folder = load_photos(paths)
    n = len(folder.photos)
    if n < 2:
        raise InputError(
            f"fine-tuning needs at least 2 readable photos of 128 px or more; found {n}"
            + (f" ({len(folder.skipped)} skipped)" if folder.skipped else "")
        )
    n_val = min(max_val, max(1, round(n / 5)), n - 1)
    order = np.random.default_rng(0).permutation(n)
    held, kept = sorted(order[:n_val]), sorted(order[n_val:])
    return PhotoSplit(
        [folder.photos[i] for i in kept],
        [folder.names[i] for i in kept],
        [folder.photos[i] for i in held],
        [folder.names[i] for i in held],
        folder.skipped,
    )


def run_key(photos_dir: Path, paths: list[Path], base: Path) -> str:
    """Name of the run folder: the folder's name plus a digest of its file list and the base."""
    root = Path(photos_dir).resolve()
    h = hashlib.sha256(str(root).encode())
    for p in paths:
        h.update(b"\0" + str(Path(p).resolve().relative_to(root)).encode())
    h.update(b"\0" + file_sha256(base).encode())
    return f"{_slug(root.name)}-{h.hexdigest()[:12]}"


def has_unfinished_run(cfg: FinetuneConfig) -> bool:
    """True when starting ``cfg`` would resume a cancelled or interrupted run."""
    paths = find_photos(cfg.photos_dir)
    if not paths or not Path(cfg.base).is_file():
        return False
    key = run_key(cfg.photos_dir, paths, cfg.base)
    return (Path(cfg.work_dir or runs_dir()) / key / "checkpoint.pt").is_file()


class FinetuneJob:
    """A prepared run: photos decoded and split, base weights checked; ``run`` trains and publishes.

    Preparing is separate so a front end can show what was found (and skipped) before training.
    """

    def __init__(self, cfg: FinetuneConfig) -> None:
        self.cfg = cfg
        paths = find_photos(cfg.photos_dir)
        if not paths:
            raise InputError(f"no photos (jpg, png, webp, tiff) under {cfg.photos_dir}")
        _, self.base_info = load_weights(Path(cfg.base))  # refuse a broken base before any work
        self.split = split_photos(paths, cfg.max_val_photos)
        self.run_dir = Path(cfg.work_dir or runs_dir()) / run_key(cfg.photos_dir, paths, cfg.base)
        self.rank = int(os.environ.get("RANK", "0"))

    @property
    def resuming(self) -> bool:
        return (self.run_dir / "checkpoint.pt").is_file()

    def run(
        self,
        progress: Callable[[TrainProgress], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> FinetuneResult:
        """Train; publish the best weights if they beat the base; tidy up unless cancelled."""
        cfg, info = self.cfg, self.base_info
        base_train = info.training.get("train_config", {})
        train_cfg = TrainConfig.from_args(  # steps, minutes, batch, crop, lr, val_every, ...
            cfg,
            run_dir=self.run_dir,
            config=info.config,
            model_kwargs=info.model_kwargs,
            init=Path(cfg.base),
            warmup=10,  # the base is already trained: only Adam's first noisy steps need taming
            ema=0.98,  # a short run: the average must follow within tens of steps, not thousands
            loss=base_train.get("loss") or DEFAULT_LOSS.get(info.config, "hole"),
            validate_at_end=True,
        )
        val_set = build_eval_set(self.split.val, self.split.val_names, size=cfg.val_side)
        result = Trainer(train_cfg, self.split.train, val_set).run(progress, cancel)
        published = None
        if self.rank == 0 and result.stopped_by != "cancel":
            if result.best_path is not None and result.best_psnr > result.base_psnr:
                published = self._publish(result.best_path, result.base_psnr, result.best_psnr)
            shutil.rmtree(self.run_dir, ignore_errors=True)
        return FinetuneResult(
            result.base_psnr,
            result.best_psnr,
            published,
            result.steps,
            result.stopped_by,
        )

    def _publish(self, best: Path, base_psnr: float, psnr: float) -> Path:
        model, info = load_weights(best)
        root = Path(self.cfg.photos_dir).resolve()
        now = datetime.now(UTC)
        provenance = {
            "base_weights": str(Path(self.cfg.base).resolve()),
            "base_tensors_sha256": self.base_info.tensors_sha256,
            "photos_dir": str(root),
            "train_photos": [_relative(n, root) for n in self.split.train_names],
            "val_photos": [_relative(n, root) for n in self.split.val_names],
            "skipped": [_relative(n, root) for n, _ in self.split.skipped],
            "date": now.isoformat(timespec="seconds"),
            "base_psnr": round(base_psnr, 3),
            "psnr": round(psnr, 3),
        }
        training = {**info.training, "finetune": provenance}
        stem = f"{_slug(root.name)}-{now.astimezone():%Y%m%d-%H%M%S}"
        folder = Path(self.cfg.out_dir or finetuned_dir())
        try:
            # First: in the loop below, a file in the folder's place would read as taken names.
            folder.mkdir(parents=True, exist_ok=True)
            return _publish_new(folder, stem, model, info.config, info.model_kwargs, training)
        except OSError as err:
            # The run folder is kept (the caller tidies only after publishing), so nothing is lost.
            reason = "a file, not a folder" if folder.is_file() else err.strerror or err
            raise ScnnError(
                f"{folder}: cannot write the fine-tuned weights there ({reason}); "
                "the run is kept: start it again with a writable output folder to publish them"
            ) from None


# Runs published in the same second get -2, -3, ...; this many names taken means something is wrong.
_MAX_SAME_NAME = 1000


def _publish_new(
    folder: Path,
    stem: str,
    model: InpaintNet,
    config: str,
    model_kwargs: dict,
    training: dict,
) -> Path:
    """Save under ``folder/stem.safetensors``, or ``stem-2``, ``stem-3``... if taken: never replace.

    Each name is claimed by an exclusive create, so two runs finishing at once (two windows, the CLI
    and the window) both keep their weights.
    """
    for n in range(1, _MAX_SAME_NAME + 1):
        path = folder / (f"{stem}.safetensors" if n == 1 else f"{stem}-{n}.safetensors")
        try:
            save_weights(path, model, config, model_kwargs, __version__, training, exclusive=True)
        except FileExistsError:
            continue
        return path
    raise ScnnError(f"{folder}: {_MAX_SAME_NAME} weights files named {stem}*; clear some out")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "photos"


def _relative(name: str, root: Path) -> str:
    try:
        return str(Path(name).resolve().relative_to(root))
    except ValueError:
        return name


if __name__ == "__main__":  # python -m scnn_plugin.training.finetune, as under torchrun
    from .finetune_cli import main

    sys.exit(main())
