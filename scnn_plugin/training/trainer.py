"""The trainer behind ``scnn-train`` and fine-tuning: resumable, atomic, validated, optionally distributed.

A run lives in one folder: ``checkpoint.pt`` (latest state, rewritten atomically), ``best.safetensors``
(EMA weights with the best validation PSNR so far) and ``curve.csv`` (validation PSNR against CPU-hours).
A run started from ``init`` weights continues their history: the steps and CPU-hours in its weights'
summary and in ``curve.csv`` count from the init weights' own totals, so a cycle started from the
shipped weights reports what the weights cost in all, not only what this cycle added.
Killing the process at any moment loses at most the steps since the last checkpoint.
Crops come from ``feed.py``, in ``workers`` processes when asked; on CUDA a step can run under bf16 autocast with TF32, and the loss is read
back from the device only every ``loss_every`` steps, so a GPU is not stopped to report it.
Under ``torchrun`` (WORLD_SIZE > 1) it trains with DistributedDataParallel: gloo on CPU, NCCL on GPU;
rank 0 validates and writes files.

Around it: ``config.py`` (the run's recipe and learning-rate schedule), ``feed.py`` (the crops),
``validation.py`` (the score that picks the best weights), ``checkpoints.py`` (the run's files) and
``progress.py`` (what the commands print).
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader

from .. import __version__
from ..devices import resolve_device
from ..weights import save_weights
from .checkpoints import read_checkpoint, write_checkpoint, write_curve
from .config import TrainConfig
from .evalset import EvalSample
from .feed import crop_loader, unpack_batch
from .initial import initial_model
from .losses import get_loss
from .progress import TrainProgress
from .validation import evaluate_psnr

# The trainer's clock: wall-clock seconds, read through this name so a test can run a time budget
# on a clock of its own.
monotonic = time.monotonic


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
        """The run's crops (``feed.crop_loader``), seeded by ``step``."""
        return crop_loader(self.photos, self.cfg, step, device)

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
        model, kwargs, lineage = initial_model(cfg)
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
        return read_checkpoint(self.checkpoint_path, self.cfg.config, model, ema, opt, lineage)

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
        write_checkpoint(self.checkpoint_path, ckpt)
        write_curve(self.run_dir / "curve.csv", [run.in_all(row) for row in run.history])
