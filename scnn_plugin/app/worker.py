"""Inpainting off the GUI thread: progress, cancel and the outcome come back as Qt signals.

Cancel is a flag the engine polls between tile batches (its ``cancel`` callback), so a cancelled
run stops at the next batch and the document is never touched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image
from PyQt6.QtCore import QThread, pyqtSignal

from ..engine import Inpainter
from ..errors import Cancelled, ScnnError

log = logging.getLogger("scnn_plugin.app")


@dataclass(frozen=True)
class RunReport:
    """What the status bar shows about a finished run."""

    device: str
    timesteps: int
    seconds: float


class InpaintWorker(QThread):
    """One run: ``load()`` an ``Inpainter`` (may be slow), then fill ``mask`` in ``image``.

    Exactly one of ``succeeded(result, RunReport)``, ``cancelled()`` or ``failed(message)`` is
    emitted, then QThread's ``finished``.
    """

    progress = pyqtSignal(int, int)  # tiles done, tiles in total
    succeeded = pyqtSignal(object, object)
    cancelled = pyqtSignal()
    failed = pyqtSignal(str)

    def __init__(self, load: Callable[[], Inpainter], image: Image.Image, mask: Image.Image):
        super().__init__()
        self._load, self._image, self._mask = load, image, mask
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the run to stop at the next tile batch; safe from any thread."""
        self._cancel.set()

    def run(self) -> None:
        start = time.monotonic()
        try:
            inpainter = self._load()
            result = inpainter.inpaint(
                self._image, self._mask, progress=self.progress.emit, cancel=self._cancel.is_set
            )
        except Cancelled:
            self.cancelled.emit()
        except ScnnError as err:
            self.failed.emit(str(err))
        except Exception as err:
            # A bug must reach the user as a dialog, not kill the thread silently.
            log.exception("inpainting failed")
            self.failed.emit(f"Unexpected error: {type(err).__name__}: {err}")
        else:
            report = RunReport(inpainter.device_name, inpainter.timesteps, time.monotonic() - start)
            self.succeeded.emit(result, report)
