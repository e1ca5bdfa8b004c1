"""What defines a training run, checked when it is made, and the learning rate it implies per step.

A ``TrainConfig`` is stored in the run's checkpoint and in its weights' training summary, so a run
can be resumed and its weights traced to the recipe that made them.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .losses import LOSSES

FINAL_LR = 0.05  # the decay ends at this fraction of the peak learning rate


@dataclass
class TrainConfig:
    """Everything that defines a run; stored in the checkpoint and the weights' training summary."""

    run_dir: Path
    config: str = "default"  # model config name (models.MODELS)
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    init: Path | None = None  # start from these weights instead of from scratch
    # ... or from these weights widened to ``model_kwargs`` (widen.py): the same function at first
    widen_from: Path | None = None
    steps: int | None = None  # stop after this many optimiser steps ...
    # ... or after this much wall-clock time in this process; with ``decay_share``, in the whole
    # run (a resumed run finishes the budget its schedule was made for)
    minutes: float | None = None
    batch: int = 8
    crop: int = 256  # training crop side in px
    lr: float = 1e-3
    warmup: int = 100  # linear learning-rate warm-up steps
    # Cosine decay of the learning rate to FINAL_LR over the last ``decay`` steps of ``steps``:
    # Adam's steady-state noise costs quality that an annealed finish recovers.
    decay: int = 0
    # ... or over the last ``decay_share`` (0-1) of the budget: of ``steps``, or of ``minutes`` of
    # training time in all sessions, whichever ends first (a wall-clock budget on a lent GPU).
    decay_share: float = 0.0
    ema: float = 0.999  # decay of the weight average that is validated and shipped
    loss: str = "hole"  # losses.LOSSES: "hole" (ours) or "mse" (the paper's)
    cables: float = 0.0  # chance a training crop gets thin straight lines drawn across it
    objects: float = 0.0  # chance a training crop's hole is an object-like blob (blob_masks.py)
    workers: int = 0  # DataLoader worker processes making crops (0: in the training process)
    bf16: bool = False  # run the forward under bfloat16 autocast (CUDA; on CPU only for tests)
    tf32: bool = False  # let CUDA matmuls and convolutions use TF32
    compile: bool = False  # CUDA only: capture the model with torch.compile and CUDA graphs
    loss_every: int = 1  # read the loss back from the device (and check it) every N steps
    val_every: int = 250  # steps between validations / checkpoints
    patience: int | None = None  # stop after this many validations without improvement
    # Validate once more when the budget ends between validations, so a short run's last steps
    # count (fine-tuning); scnn-train leaves it off and keeps validating on the val_every grid only.
    validate_at_end: bool = False
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.decay and self.steps is None:
            raise ValueError("a learning-rate decay needs a step budget (steps) to end at")
        if self.decay and self.decay_share:
            raise ValueError(
                "give the decay in steps (decay) or as a share (decay_share), not both"
            )
        if not 0 <= self.decay_share < 1:
            raise ValueError(f"decay_share is a share from 0 to below 1, not {self.decay_share}")
        if self.decay_share and self.steps is None and self.minutes is None:
            raise ValueError("a decay_share needs a budget (steps or minutes) to end at")
        if self.minutes is not None and not self.minutes > 0:
            raise ValueError(f"minutes must be > 0, not {self.minutes}")
        if self.init is not None and self.widen_from is not None:
            raise ValueError("start from init weights or widen_from weights, not both")
        if self.workers < 0 or self.loss_every < 1:
            raise ValueError(
                f"workers must be >= 0 and loss_every >= 1, not {self.workers} and "
                f"{self.loss_every}"
            )
        if not 0 <= self.decay <= (self.steps or 0):
            raise ValueError(
                f"decay must be 0 to steps ({self.steps}) steps long, not {self.decay}"
            )
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {sorted(LOSSES)}")
        if not 0 <= self.cables <= 1:
            raise ValueError(f"cables is a chance from 0 to 1, not {self.cables}")
        if not 0 <= self.objects <= 1:
            raise ValueError(f"objects is a chance from 0 to 1, not {self.objects}")

    @classmethod
    def from_args(cls, args: object, **overrides: Any) -> TrainConfig:
        """The one builder from a command line: each field ``args`` has by name, then ``overrides``.

        ``args`` is an ``argparse.Namespace`` (scnn-train) or a request such as ``FinetuneConfig``;
        attributes that are no field (``--photos``, ``--threads``) are ignored, and ``overrides``
        give what a command derives or fixes (a parsed JSON, a default that depends on the config).
        """
        values = {f: getattr(args, f) for f in cls.__dataclass_fields__ if hasattr(args, f)}
        return cls(**{**values, **overrides})

    def learning_rate(self, step: int, seconds: float = 0.0) -> float:
        """The rate for optimiser step ``step`` (0-based), after ``seconds`` of training in all:
        warm-up, constant, then cosine decay to ``FINAL_LR`` of the peak."""
        rate = self.lr * min(1.0, (step + 1) / max(1, self.warmup))
        t = None
        if self.decay and self.steps is not None:
            t = (step + 1 - (self.steps - self.decay)) / self.decay
        elif self.decay_share:
            done = max(
                (step + 1) / self.steps if self.steps else 0.0,
                seconds / (60 * self.minutes) if self.minutes else 0.0,
            )  # the share of the budget spent, by whichever budget ends first
            t = (done - (1 - self.decay_share)) / self.decay_share
        if t is not None:
            t = min(1.0, max(0.0, t))
            rate *= FINAL_LR + (1 - FINAL_LR) * 0.5 * (1 + math.cos(math.pi * t))
        return rate

    def to_json(self) -> str:
        d = asdict(self)
        d["run_dir"], d["init"] = str(self.run_dir), str(self.init) if self.init else None
        d["widen_from"] = str(self.widen_from) if self.widen_from else None
        return json.dumps(d)
