"""How long fine-tuning takes: the default budget and the estimate the window shows before a run.

No torch here: the window and ``scnn-finetune --help`` read these before anything heavy loads.
"""

from __future__ import annotations

# Measured once on a shared 2-core CPU (OMP_NUM_THREADS=2, 2026-12): one step of the default model
# at batch 8, crop 256 took 14.4-15.6 s. The check of 8 held-back photos at 512 px is an allowance
# (about 2.5 s a photo), not a measurement.
CPU_STEP_S = 15.0
CPU_CHECK_S = 20.0
CPU_REFERENCE_THREADS = 2
# A budget a 2-core laptop finishes in about ten minutes: 30 x 15 s + 3 checks x 20 s = 8.5 min.
DEFAULT_STEPS = 30


def estimate_seconds(
    steps: int, batch: int = 8, crop: int = 256, val_every: int = 25, threads: int = 2
) -> float:
    """Rough CPU wall time of a ``steps``-step run, scaled from the measured 2-core figures.

    Work grows with batch x crop area; more threads help, though less than linearly, which this
    ignores (so many-core estimates err on the short side). Checks: the base, every ``val_every``
    steps, and at the end. A GPU is typically tens of times faster.
    """
    scale = CPU_REFERENCE_THREADS / max(1, threads)
    step = CPU_STEP_S * (batch / 8) * (crop / 256) ** 2 * scale
    checks = 2 + steps // max(1, val_every)
    return steps * step + checks * CPU_CHECK_S * scale
