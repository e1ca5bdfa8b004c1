"""Fine-tuning off the GUI thread: what was found, progress, and the outcome come back as Qt signals.

Cancel is a flag the trainer polls before every step, so a cancelled run stops within one step,
leaves a resumable checkpoint and never touches any weights file.
"""

from __future__ import annotations

import logging
import threading

from PyQt6.QtCore import QThread, pyqtSignal

from ..errors import ScnnError
from ..training.finetune import FinetuneConfig, FinetuneJob

log = logging.getLogger("scnn_plugin.app")


class FinetuneWorker(QThread):
    """One run of ``config``.

    Emits ``prepared(FinetuneJob)`` once the photos are decoded and split, ``progress(TrainProgress)``
    per step, then exactly one of ``succeeded(FinetuneResult)`` (also after a cancel: the result
    says ``stopped_by == "cancel"``) or ``failed(message)``, then QThread's ``finished``.
    """

    prepared = pyqtSignal(object)
    progress = pyqtSignal(object)
    succeeded = pyqtSignal(object)
    failed = pyqtSignal(str)

    def __init__(self, config: FinetuneConfig) -> None:
        super().__init__()
        self.config = config
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the run to stop before its next step; safe from any thread."""
        self._cancel.set()

    def run(self) -> None:
        try:
            job = FinetuneJob(self.config)
            self.prepared.emit(job)
            result = job.run(progress=self.progress.emit, cancel=self._cancel.is_set)
        except (ScnnError, ValueError, OSError) as err:
            self.failed.emit(str(err))
        except Exception as err:  # a bug must reach the user as a message, not kill the thread
            log.exception("fine-tuning failed")
            self.failed.emit(f"Unexpected error: {type(err).__name__}: {err}")
        else:
            self.succeeded.emit(result)
