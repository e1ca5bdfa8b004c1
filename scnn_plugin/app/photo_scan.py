"""Counting the photos under a folder off the GUI thread, bounded and tolerant of a changing tree.

Why bounded and tolerant: a path typed into the fine-tuning tab can be ``/``. Walking it on the GUI
thread froze the window for seconds, and an entry vanishing under ``/proc`` mid-walk crashed it.
Here the walk skips what it cannot read, stops after ``limit`` photos or ``seconds``, and runs in
a ``QThread``; only a complete, small scan goes on to ask whether a run can be resumed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PyQt6.QtCore import QThread, pyqtSignal

from ..errors import ScnnError
from ..training.finetune import PHOTO_SUFFIXES

SCAN_LIMIT = 20_000  # photos; more is not a folder of "your photos" but a disk
SCAN_SECONDS = 3.0


@dataclass(frozen=True)
class PhotoScan:
    """What a scan found. ``complete`` is False when it stopped at a bound or was cancelled."""

    folder: Path
    count: int
    complete: bool
    stopped_by: str = ""  # "", "limit", "time" or "cancel"
    resumable: bool = False  # an unfinished fine-tuning run of these photos exists


def count_photos(
    folder: Path,
    limit: int = SCAN_LIMIT,
    seconds: float = SCAN_SECONDS,
    cancel: Callable[[], bool] | None = None,
) -> PhotoScan:
    """Count image files (``PHOTO_SUFFIXES``) under ``folder``, never raising for the tree's sake.

    Unreadable folders and entries that vanish mid-walk are skipped; symlinked folders are not
    followed (a link loop cannot keep it going).
    """
    deadline = time.monotonic() + seconds
    count = 0
    for root, _dirs, files in os.walk(folder, onerror=lambda err: None, followlinks=False):
        for name in files:
            if os.path.splitext(name)[1].lower() not in PHOTO_SUFFIXES:
                continue
            try:
                if os.path.isfile(os.path.join(root, name)):
                    count += 1
            except OSError:  # vanished or unreadable: not a photo we could use anyway
                continue
            if count >= limit:
                return PhotoScan(folder, count, False, "limit")
        if cancel is not None and cancel():
            return PhotoScan(folder, count, False, "cancel")
        if time.monotonic() > deadline:
            return PhotoScan(folder, count, False, "time")
    return PhotoScan(folder, count, True)


class PhotoScanWorker(QThread):
    """One scan of ``folder``; emits ``done(PhotoScan)`` then QThread's ``finished``.

    ``resumable(folder)`` is asked only after a complete scan (it walks the folder again and
    hashes the base weights) and any error it raises counts as "no".
    """

    done = pyqtSignal(object)

    def __init__(self, folder: Path, resumable: Callable[[Path], bool], limit: int = SCAN_LIMIT):
        super().__init__()
        self.folder, self._resumable, self._limit = folder, resumable, limit
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the walk to stop at its next folder; safe from any thread."""
        self._cancel.set()

    def run(self) -> None:
        scan = count_photos(self.folder, self._limit, cancel=self._cancel.is_set)
        if scan.complete and scan.count:
            try:
                resumable = self._resumable(self.folder)
            except (ScnnError, ValueError, OSError):  # a damaged run or base: start afresh
                resumable = False
            scan = PhotoScan(scan.folder, scan.count, True, "", resumable)
        self.done.emit(scan)
