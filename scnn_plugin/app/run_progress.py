"""What the status bar says while a run goes: the stage (adapting or filling), its count and ETA.

Why per stage: an adaptation step and a tile batch cost very different times, so the ETA of the
stage in progress is taken from that stage's own pace, not from the run's average.
"""

from __future__ import annotations


def describe_progress(done: int, total: int, adapt_steps: int, stage_elapsed_s: float) -> str:
    """A one-line status for ``progress(done, total)`` events of ``Inpainter.inpaint``.

    The engine counts ``adapt_steps`` adaptation steps first, then tile batches; ``stage_elapsed_s``
    is the time since the current stage began.
    """
    if total <= 0:
        return "Inpainting…"
    if adapt_steps and done <= adapt_steps and done < total:
        stage, step, count = "Adapting to the photo", done, adapt_steps
    else:
        stage, step, count = "Filling", done - adapt_steps, total - adapt_steps
    text = f"{stage}: {step}/{count}"
    if 0 < step < count:
        eta = stage_elapsed_s / step * (count - step)
        text += f" · about {_duration(eta)} left"
    return text


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s"
