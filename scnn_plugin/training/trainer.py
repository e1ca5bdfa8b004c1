"""The trainer behind ``scnn-train`` and fine-tuning: resumable, atomic, validated, optionally distributed.

A run lives in one folder: ``checkpoint.pt`` (latest state, rewritten atomically), ``best.safetensors``
(EMA weights with the best validation PSNR so far) and ``curve.csv`` (validation PSNR against CPU-hours).
A run started from ``init`` weights continues their history: the steps and CPU-hours in its weights'
summary and in ``curve.csv`` count from the init weights' own totals, so a cycle started from the
shipped weights reports what the weights cost in all, not only what this cycle added.
Killing the process at any moment loses at most the steps since the last checkpoint.
Crops come from a ``DataLoader`` over ``CropSampler``, in ``workers`` processes when asked (each with
its own random stream); on CUDA a step can run under bf16 autocast with TF32, and the loss is read
back from the device only every ``loss_every`` steps, so a GPU is not stopped to report it.
Under ``torchrun`` (WORLD_SIZE > 1) it trains with DistributedDataParallel: gloo on CPU, NCCL on GPU;
rank 0 validates and writes files.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader

from .. import __version__
from ..atomic import atomic_write
from ..devices import resolve_device
from ..errors import WeightsError
from ..models import build_model
from ..weights import load_weights, save_weights
from .data import CropSampler
from .evalset import EvalSample
from .losses import LOSSES, get_loss
from .validation import evaluate_psnr
from .widen import widen

# The trainer's clock: wall-clock seconds, read through this name so a test can run a time budget
# on a clock of its own.
monotonic = time.monotonic

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


@dataclass
class TrainProgress:
    """One progress event: ``eta_s`` is None when the budget is open-ended."""

    step: int
    total_steps: int | None
    loss: float | None  # None until the first read-back under --loss-every
    elapsed_s: float
    eta_s: float | None
    val_psnr: float | None = None
    best_psnr: float | None = None
    lr: float | None = None  # the learning rate of the step just taken


@dataclass
class TrainResult:
    best_path: Path | None
    base_psnr: float
    best_psnr: float
    steps: int
    cpu_hours: float
    stopped_by: str  # "steps", "minutes", "patience", "cancel"
    history: list[dict[str, float]]


@dataclass
class _Run:
    """One run's moving parts and counters, in one place instead of loose arguments."""

    model: nn.Module  # what the optimiser trains (unwrapped: DDP wraps it for the forward only)
    ema: nn.Module  # the weight average that is validated and saved
    opt: torch.optim.Optimizer
    device: torch.device
    kwargs: dict[str, Any]  # the model's builder arguments, saved with its weights
    lineage: dict[str, float]  # steps and CPU-hours already in the init weights
    step: int  # optimiser steps taken, a resumed run's included
    first_step: int  # where this session started (0, or the resumed checkpoint's step)
    history: list[dict[str, float]]  # one row per validation
    cpu_before: float  # CPU seconds of earlier sessions of this run
    best: float | None  # best validation PSNR so far (None until the base is scored)
    base: float | None  # validation PSNR of the starting weights
    bad_vals: int = 0  # validations in a row without improvement
    running: float | None = None  # smoothed training loss
    wall_before: float = 0.0  # training wall-clock seconds of earlier sessions of this run
    start_wall: float = 0.0  # monotonic() at this session's first step
    start_cpu: float = 0.0  # time.process_time() at this session's first step
    # The EMA's tensors and the model's, listed once for the fused update.
    ema_params: tuple[list[torch.Tensor], list[torch.Tensor]] | None = None
    ema_buffers: tuple[list[torch.Tensor], list[torch.Tensor]] | None = None
    # Losses of the steps since the last read-back, on the device, and the first one's step.
    pending: list[torch.Tensor] = field(default_factory=list)
    pending_from: int = 0

    def cpu_seconds(self) -> float:
        """CPU seconds of the whole run so far: earlier sessions plus this one."""
        return self.cpu_before + time.process_time() - self.start_cpu

    def session_seconds(self) -> float:
        """Wall-clock seconds this session has trained (setting up and the base score excluded)."""
        return monotonic() - self.start_wall

    def train_seconds(self) -> float:
        """Wall-clock seconds of training in the whole run: earlier sessions plus this one."""
        return self.wall_before + self.session_seconds()

    def in_all(self, row: dict[str, float]) -> dict[str, float]:
        """A history row with step and CPU-hours counted from the init weights' totals."""
        return {
            **row,
            "step": self.lineage["steps"] + row["step"],
            "cpu_hours": self.lineage["cpu_hours"] + row["cpu_hours"],
        }


class Trainer:
    """Train ``config.config`` on ``photos`` (RGB uint8 arrays), validating on ``val``."""

    def __init__(
        self, config: TrainConfig, photos: list[np.ndarray], val: list[EvalSample]
    ) -> None:
        if not val:
            raise ValueError("a validation set is required to pick the best weights")
        self.cfg = config
        self.photos = photos
        self.val = val
        self.run_dir = Path(config.run_dir)
        self.distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        self.rank = int(os.environ.get("RANK", "0"))

    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / "checkpoint.pt"

    @property
    def best_path(self) -> Path:
        return self.run_dir / "best.safetensors"

    def run(
        self,
        progress: Callable[[TrainProgress], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> TrainResult:
        """Train until the budget, patience or ``cancel()`` stops it; resumes a checkpointed run."""
        run = self._start()
        stopped_by = self._loop(run, progress, cancel)
        cpu_s = run.cpu_seconds()
        if self.rank == 0 and run.step > run.first_step:
            unvalidated = not run.history or run.history[-1]["step"] < run.step
            if self.cfg.validate_at_end and stopped_by != "cancel" and unvalidated:
                self._validate(run, cpu_s)
            self._save_checkpoint(run, cpu_s)
        if self.distributed:
            # Gloo's worker threads free each finished collective's tensors under the GIL; waiting
            # here hands them the GIL, else a rank that exits at once can abort in finalisation.
            dist.barrier()
            dist.destroy_process_group()
        return TrainResult(
            self.best_path if self.best_path.exists() else None,
            run.base if run.base is not None else float("nan"),
            run.best if run.best is not None else float("nan"),
            run.step,
            cpu_s / 3600,
            stopped_by,
            run.history,
        )

    def _loop(
        self,
        run: _Run,
        progress: Callable[[TrainProgress], None] | None,
        cancel: Callable[[], bool] | None,
    ) -> str:
        """Optimiser steps, validations and checkpoints; returns what stopped them."""
        cfg = self.cfg
        train_model = self._wrap(run.model, run.device)
        if cfg.compile:
            # CUDA graphs replay the whole forward as one launch; shapes are fixed (batch, crop).
            train_model = torch.compile(train_model, mode="reduce-overhead")
        loss_fn = get_loss(cfg.loss)
        batches = iter(self.loader(run.step, run.device))
        # The clocks start here: setting up and scoring the base weights are not training time.
        run.start_wall, run.start_cpu = monotonic(), time.process_time()
        while True:
            stop = self._stop_reason(run, cancel)
            if stop is not None:
                self._read_losses(run)  # a non-finite loss must never reach a checkpoint
                return stop
            self._train_step(run, train_model, loss_fn, batches)
            val = None
            if self._validates_at(run.step):
                cpu_s = run.cpu_seconds()
                if self.rank == 0:
                    val, improved = self._validate(run, cpu_s)
                    run.bad_vals = 0 if improved else run.bad_vals + 1
                    self._save_checkpoint(run, cpu_s)
                if self._any_rank(cfg.patience is not None and run.bad_vals >= cfg.patience):
                    return "patience"
            if progress is not None and self.rank == 0:
                progress(self._progress(run, val))

    def loader(self, step: int = 0, device: torch.device | None = None) -> DataLoader:
        """Batches ``(images [B, 3, S, S], holes [B, 1, S, S])`` from ``cfg.workers`` processes.

        Seeded by the step, so a resumed run draws new samples instead of repeating the first;
        each worker (and rank) draws from its own stream (``CropSampler``).
        """
        cfg = self.cfg
        sampler = CropSampler(
            self.photos,
            cfg.crop,
            seed=cfg.seed + 7919 * step,
            cables=cfg.cables,
            objects=cfg.objects,
        )
        feed: dict[str, Any] = {}
        if cfg.workers:
            feed = {"persistent_workers": True, "prefetch_factor": 4}
        return DataLoader(
            sampler,
            batch_size=cfg.batch,
            collate_fn=pack_batch,
            num_workers=cfg.workers,
            pin_memory=device is not None and device.type == "cuda",
            **feed,
        )

    def _validates_at(self, step: int) -> bool:
        cfg = self.cfg
        return step % cfg.val_every == 0 or (cfg.steps is not None and step == cfg.steps)

    def _stop_reason(self, run: _Run, cancel: Callable[[], bool] | None) -> str | None:
        """ "steps", "minutes", "cancel", "peer" (another rank stopped) or None to go on."""
        cfg = self.cfg
        if cfg.steps is not None and run.step >= cfg.steps:
            return "steps"  # every rank counts the same steps: no vote needed
        stop = None
        # A decay over a time budget ends at the run's total; a plain budget is per session.
        spent = run.train_seconds() if cfg.decay_share else run.session_seconds()
        if cfg.minutes is not None and spent >= cfg.minutes * 60:
            stop = "minutes"
        elif cancel is not None and cancel():
            stop = "cancel"
        if self._any_rank(stop is not None):
            return stop or "peer"
        return None

    def _train_step(self, run: _Run, train_model: nn.Module, loss_fn, batches) -> None:
        cfg = self.cfg
        x, m = unpack_batch(*next(batches), run.device)
        train_model.train()
        for group in run.opt.param_groups:
            group["lr"] = cfg.learning_rate(run.step, run.train_seconds())
        with torch.autocast(run.device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            pred = train_model(x, m)
        loss = loss_fn(pred.float(), x, m)
        if not run.pending:
            run.pending_from = run.step
        run.pending.append(loss.detach())
        # Read back (a device sync) only every loss_every steps and before any validation, so a
        # non-finite loss is caught before it reaches a checkpoint; at 1, before this step applies.
        if (run.step + 1) % cfg.loss_every == 0 or self._validates_at(run.step + 1):
            self._read_losses(run)
        run.opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(run.model.parameters(), 1.0)
        run.opt.step()
        self._update_ema(run, cfg.ema if run.step >= cfg.warmup else 0.0)
        run.step += 1

    @staticmethod
    def _read_losses(run: _Run) -> None:
        """Fetch the pending losses in one transfer, check them, fold them into the running mean."""
        if not run.pending:
            return
        values = torch.stack(run.pending).cpu().tolist()
        first, run.pending = run.pending_from, []
        for i, value in enumerate(values):
            if not math.isfinite(value):
                raise FloatingPointError(f"loss became {value} at step {first + i}; lower --lr")
            run.running = value if run.running is None else 0.98 * run.running + 0.02 * value

    # -- set-up ---------------------------------------------------------------------------------

    def _start(self) -> _Run:
        """Device, model, EMA and optimiser, resumed from the checkpoint when there is one."""
        cfg = self.cfg
        device = self._setup_device()
        if cfg.compile and device.type != "cuda":
            raise ValueError(f"compile captures CUDA graphs and needs a CUDA device, not {device}")
        if cfg.bf16 and device.type not in ("cuda", "cpu"):
            raise ValueError(f"bf16 autocast runs on CUDA (or CPU, for tests), not {device}")
        if cfg.tf32 and device.type == "cuda":
            # Process-wide: the trainer's own process (scnn-train), where nothing else runs.
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        torch.manual_seed(cfg.seed + self.rank)
        model, kwargs, lineage = self._initial_model()
        model.to(device)
        ema = copy.deepcopy(model).requires_grad_(False)
        # One multi-tensor update instead of one per tensor: fused (one kernel) on CUDA, foreach
        # elsewhere. Set after resuming too: a checkpoint's param groups carry the old choice.
        multi = {"fused": True, "foreach": None} if device.type == "cuda" else {"foreach": True}
        trained = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.Adam(trained, lr=cfg.lr, **multi)
        state = self._resume(model, ema, opt, lineage)
        for group in opt.param_groups:
            group.update(multi)
        run = _Run(
            model,
            ema,
            opt,
            device,
            kwargs,
            state["lineage"],
            step=state["step"],
            first_step=state["step"],
            history=state["history"],
            cpu_before=state["cpu_seconds"],
            best=state["best"],
            base=state["base"],
            wall_before=state["train_seconds"],
        )
        if run.base is None and self.rank == 0:
            run.base = run.best = evaluate_psnr(ema, self.val, device)["mean"]
        return run

    def _setup_device(self) -> torch.device:
        if not self.distributed:
            return resolve_device(self.cfg.device)
        local = int(os.environ.get("LOCAL_RANK", "0"))
        use_cuda = torch.cuda.is_available() and self.cfg.device != "cpu"
        if not dist.is_initialized():
            dist.init_process_group("nccl" if use_cuda else "gloo")
        if use_cuda:
            torch.cuda.set_device(local)
            return torch.device("cuda", local)
        return torch.device("cpu")

    def _initial_model(self) -> tuple[nn.Module, dict[str, Any], dict[str, float]]:
        """The model to train, its builder arguments, and the steps / CPU-hours already in it."""
        cfg = self.cfg
        start = cfg.init if cfg.init is not None else cfg.widen_from
        if start is not None:
            model, info = load_weights(Path(start))
            flag = "--init" if cfg.init is not None else "--widen-from"
            if info.config != cfg.config:
                raise ValueError(f"{flag} weights are config {info.config!r}, not {cfg.config!r}")
            lineage = {
                "steps": int(info.training.get("steps", 0)),
                "cpu_hours": cpu_hours_in(info.training),
            }
            if cfg.widen_from is not None:
                kwargs = {**info.model_kwargs, **cfg.model_kwargs}
                if kwargs == info.model_kwargs:
                    raise ValueError(
                        "--widen-from needs --model-kwargs that make the network wider, "
                        "e.g. '{\"width\": 32}'"
                    )
                return widen(model, build_model(cfg.config, **kwargs)), kwargs, lineage
            if cfg.model_kwargs and cfg.model_kwargs != info.model_kwargs:
                raise ValueError(
                    f"--init weights were built with model arguments {info.model_kwargs}, not "
                    f"{cfg.model_kwargs}; leave --model-kwargs out to continue them"
                )
            return model, info.model_kwargs, lineage
        model = build_model(cfg.config, **cfg.model_kwargs)
        return model, dict(cfg.model_kwargs), {"steps": 0, "cpu_hours": 0.0}

    def _wrap(self, model: nn.Module, device: torch.device) -> nn.Module:
        if not self.distributed:
            return model
        ids = [device.index] if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def _resume(
        self,
        model: nn.Module,
        ema: nn.Module,
        opt: torch.optim.Optimizer,
        lineage: dict[str, float],
    ) -> dict[str, Any]:
        fresh = {
            "step": 0,
            "history": [],
            "cpu_seconds": 0.0,
            "train_seconds": 0.0,
            "best": None,
            "base": None,
            "lineage": lineage,
        }
        if not self.checkpoint_path.exists():
            return fresh
        # One line for the user: torch's own reasons run to a paragraph and suggest unsafe loading.
        damaged = WeightsError(
            f"{self.checkpoint_path} is unreadable (damaged, or not a checkpoint of this run); "
            "delete it to start the run again"
        )
        try:
            ckpt = torch.load(self.checkpoint_path, map_location="cpu", weights_only=True)
        except OSError as err:
            raise WeightsError(
                f"{self.checkpoint_path} is unreadable ({err.strerror or err}); "
                "delete it to start the run again"
            ) from None
        except (RuntimeError, pickle.UnpicklingError, EOFError, ValueError):
            raise damaged from None
        if not isinstance(ckpt, dict):
            raise damaged
        if ckpt.get("config_name") != self.cfg.config:
            raise ValueError(
                f"{self.checkpoint_path} belongs to config {ckpt.get('config_name')!r}"
            )
        try:
            model.load_state_dict(ckpt["model"])
            ema.load_state_dict(ckpt["ema"])
            opt.load_state_dict(ckpt["optim"])
            optional = ("lineage", "train_seconds")  # absent from older runs' checkpoints
            state = {k: ckpt[k] for k in fresh if k not in optional}
            state["train_seconds"] = float(ckpt.get("train_seconds", 0.0))
        except (KeyError, RuntimeError, TypeError, ValueError):
            raise damaged from None
        # Fixed when the run started (the init file may since have been published over); a run
        # checkpointed before lineages were recorded takes the one its init file gives now.
        state["lineage"] = ckpt.get("lineage", lineage)
        return state

    # -- steps ----------------------------------------------------------------------------------

    @staticmethod
    @torch.no_grad()
    def _update_ema(run: _Run, decay: float) -> None:
        """EMA of the parameters, copy of the buffers: two fused calls, not two per tensor."""
        if run.ema_params is None:
            run.ema_params = (list(run.ema.parameters()), list(run.model.parameters()))
            run.ema_buffers = (list(run.ema.buffers()), list(run.model.buffers()))
        if run.ema_params[0]:
            torch._foreach_lerp_(*run.ema_params, 1 - decay)
        if run.ema_buffers[0]:  # a network without BatchNorm has none
            torch._foreach_copy_(*run.ema_buffers)

    def _validate(self, run: _Run, cpu_s: float) -> tuple[dict[str, float], bool]:
        """Score the EMA weights, log them, keep them as best.safetensors if they beat the best."""
        val = evaluate_psnr(run.ema, self.val, run.device)
        run.history.append(
            {"step": run.step, "cpu_hours": cpu_s / 3600, "loss": run.running, **val}
        )
        improved = val["mean"] > run.best
        if improved:
            run.best = val["mean"]
            self._save_best(run)
        return val, improved

    def _any_rank(self, flag: bool) -> bool:
        if not self.distributed:
            return flag
        t = torch.tensor([1.0 if flag else 0.0])
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)

    def _progress(self, run: _Run, val: dict | None) -> TrainProgress:
        step = run.step
        elapsed = run.session_seconds()
        per_step = elapsed / max(1, step - run.first_step)
        cfg = self.cfg
        etas = []
        if cfg.steps is not None:
            etas.append((cfg.steps - step) * per_step)
        if cfg.minutes is not None:
            spent = run.train_seconds() if cfg.decay_share else elapsed
            etas.append(max(0.0, cfg.minutes * 60 - spent))
        return TrainProgress(
            step,
            cfg.steps,
            run.running,
            elapsed,
            min(etas) if etas else None,
            val["mean"] if val else None,
            run.best,
            run.opt.param_groups[0]["lr"],
        )

    # -- files ----------------------------------------------------------------------------------

    def _save_best(self, run: _Run) -> None:
        last = run.in_all(run.history[-1])
        summary = {
            "train_config": json.loads(self.cfg.to_json()),
            "steps": int(last["step"]),  # in all, the init weights' steps included
            "cpu_hours": round(last["cpu_hours"], 4),
            "init": run.lineage if self.cfg.init is not None else None,
            "val": {k: round(v, 3) for k, v in last.items() if k not in ("step", "loss")},
            "photos": len(self.photos),
        }
        save_weights(self.best_path, run.ema, self.cfg.config, run.kwargs, __version__, summary)

    def _save_checkpoint(self, run: _Run, cpu_s: float) -> None:
        ckpt = {
            "config_name": self.cfg.config,
            "train_config": self.cfg.to_json(),
            "step": run.step,
            "model": run.model.state_dict(),
            "ema": run.ema.state_dict(),
            "optim": run.opt.state_dict(),
            "history": run.history,
            "cpu_seconds": cpu_s,
            "train_seconds": run.train_seconds(),
            "best": run.best,
            "base": run.base,
            "lineage": run.lineage,
        }
        atomic_write(self.checkpoint_path, lambda tmp: torch.save(ckpt, tmp))
        self._write_curve(run)

    def _write_curve(self, run: _Run) -> None:
        if not run.history:
            return
        keys = list(run.history[-1])

        def write(tmp: Path) -> None:
            with open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
                w.writeheader()
                w.writerows(run.in_all(row) for row in run.history)

        atomic_write(self.run_dir / "curve.csv", write)


def pack_batch(
    samples: list[tuple[torch.Tensor, torch.Tensor]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``CropSampler`` samples as 8-bit images and holes, as photos are: a quarter of the
    bytes a loader worker passes to the training process (and the training process to a GPU)."""
    images, holes = zip(*samples)
    x = torch.stack(images).mul_(255).round_().to(torch.uint8)
    return x, torch.stack(holes).to(torch.uint8)


def unpack_batch(
    x: torch.Tensor, m: torch.Tensor, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """``pack_batch``'s images ``[B, 3, S, S]`` in [0, 1] and holes ``[B, 1, S, S]`` (1 = fill),
    float on ``device``; converted there, so a GPU does the conversion."""
    x = x.to(device, non_blocking=True).float().div_(255)
    return x, m.to(device, non_blocking=True).float()


def cpu_hours_in(training: dict[str, Any]) -> float:
    """CPU-hours a weights file's training summary says went into it. A cycle trained on a GPU
    (the shipped ``default`` since issue 34) records steps but no CPU-hours: its CPU-hours are
    those of the weights it started from, so a later cycle's curve does not restart at zero."""
    if "cpu_hours" in training:
        return float(training["cpu_hours"])
    start = training.get("init")
    return float(start.get("cpu_hours", 0.0)) if isinstance(start, dict) else 0.0


def format_eta(seconds: float | None) -> str:
    if seconds is None or math.isnan(seconds):
        return "?"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def progress_line(p: TrainProgress, held_out: str, every: int, schedule: bool) -> str | None:
    """What ``scnn-train`` and ``scnn-finetune`` print for ``p``: every validation (``held_out``
    names what was scored), and every ``every`` steps between, with the learning rate and the
    minutes so far when ``schedule``; None on the steps between. The loss is read back only
    every few steps (``--loss-every``), so it can still be unknown: '?'."""
    loss = "?" if p.loss is None else f"{p.loss:.4f}"
    eta = format_eta(p.eta_s)
    if p.val_psnr is not None:
        return (
            f"step {p.step}: loss {loss} {held_out} PSNR {p.val_psnr:.2f} dB "
            f"(best {p.best_psnr:.2f}) eta {eta}"
        )
    if p.step % every:
        return None
    if schedule and p.lr is not None:
        return f"step {p.step}: loss {loss} lr {p.lr:.2e} {p.elapsed_s / 60:.1f} min eta {eta}"
    return f"step {p.step}: loss {loss} eta {eta}"
