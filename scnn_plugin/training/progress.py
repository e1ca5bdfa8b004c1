"""Progress of a training run: the event the trainer reports, and the line the commands print."""

from __future__ import annotations

import math
from dataclasses import dataclass


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
