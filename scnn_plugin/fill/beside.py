"""Work on a second core: the fill's independent parts run side by side, each with its own
generator where it draws, so a fill is the same however the two threads are scheduled."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import torch


def beside(pool: ThreadPoolExecutor, fn: Callable, *args) -> Future:
    """``fn(*args)`` on ``pool``'s thread, its torch ops on as many threads as this thread's
    (OpenMP's count is each thread's own)."""
    threads = torch.get_num_threads()

    def run():
        torch.set_num_threads(threads)
        return fn(*args)

    return pool.submit(run)
