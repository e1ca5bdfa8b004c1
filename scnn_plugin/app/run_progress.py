"""A run's state, and what the status bar says while it goes: the stage, its count and ETA.

Why per stage: an adaptation step and a tile batch cost very different times, so the ETA of the
stage in progress is taken from that stage's own pace, not from the run's average.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RunState:
    """One inpainting run of the window, from its start to the worker's end.

    Kept here, typed, rather than read back from the status bar's text: a message that happens to
    read like a stage must not change what the window does.
    """

    adapt_steps: int  # the run's adaptation steps, counted before the tile batches (0 = none)
    stage_started: float  # monotonic seconds when the current stage (adapting, filling) began
    cancelling: bool = False  # the user asked to cancel; progress no longer replaces that line
    ended_with_message: bool = False  # a result or cancel message is shown: keep it at the end

    def progress(self, done: int, total: int, now: float) -> str | None:
        """The status line for ``progress(done, total)`` at monotonic time ``now``; None while
        cancelling. The fill's clock starts when the last adaptation step is reported."""
        elapsed = now - self.stage_started
        if self.adapt_steps and done == self.adapt_steps:
            self.stage_started = now
        if self.cancelling:
            return None
        return describe_progress(done, total, self.adapt_steps, elapsed)


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
