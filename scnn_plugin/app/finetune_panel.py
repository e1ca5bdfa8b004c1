"""The settings dialog's "Fine-tuning" tab: pick a folder, set a budget, watch it train, switch to it.

The panel holds no training logic: it builds a ``FinetuneConfig`` from the active settings, runs it
in a ``FinetuneWorker`` and shows the worker's signals. Making the result active is the dialog's job
(``activate`` signal), so the choice still goes through the dialog's OK / Cancel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6.QtCore import QPointF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..errors import WeightsError
from ..training.data import find_photos
from ..training.finetune import FinetuneConfig, FinetuneJob, FinetuneResult, has_unfinished_run
from ..training.trainer import TrainProgress, format_eta
from ..weights import resolve_weights
from .finetune_worker import FinetuneWorker
from .settings import AppSettings
from .weights_catalog import weights_source

UNITS = {"minutes": (1, 24 * 60, 10), "steps": (10, 100_000, 300)}  # unit: (min, max, default)
MAX_LISTED = 4  # skipped files named in the label; the tooltip lists them all


class LossCurve(QWidget):
    """The training loss against steps as a polyline, rescaled to fit as points arrive."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[tuple[int, float]] = []
        self.setMinimumHeight(90)

    def add(self, step: int, loss: float) -> None:
        self.points.append((step, loss))
        self.update()

    def clear(self) -> None:
        self.points = []
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(36, 36, 36))
        if len(self.points) < 2:
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "loss")
            return
        steps = [s for s, _ in self.points]
        losses = [v for _, v in self.points]
        x0, x1 = steps[0], max(steps[-1], steps[0] + 1)
        lo, hi = min(losses), max(losses)
        span = (hi - lo) or 1.0
        pad = 6
        w, h = self.width() - 2 * pad, self.height() - 2 * pad
        line = QPolygonF(
            QPointF(pad + w * (s - x0) / (x1 - x0), pad + h * (1 - (v - lo) / span))
            for s, v in self.points
        )
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(90, 170, 255), 1.5))
        painter.drawPolyline(line)
        painter.setPen(QColor(170, 170, 170))
        painter.drawText(pad, pad + 10, f"loss {hi:.4f}")
        painter.drawText(pad, self.height() - pad, f"{lo:.4f}")


class FinetunePanel(QWidget):
    """Fine-tune the active weights of ``settings`` on a folder of photos.

    ``job_options`` are ``FinetuneConfig`` fields the panel does not show (crop, batch, ...).
    Emits ``activate(path)`` when the user asks to use the fine-tuned weights.
    """

    activate = pyqtSignal(str)

    def __init__(
        self,
        settings: AppSettings,
        parent: QWidget | None = None,
        job_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.job_options = dict(job_options or {})
        self.worker: FinetuneWorker | None = None
        self.job: FinetuneJob | None = None
        self.result: FinetuneResult | None = None
        self._make_widgets()
        self._update_buttons()

    # --- widgets ------------------------------------------------------------------------------

    def _make_widgets(self) -> None:
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("a folder of your photos (searched recursively)")
        self.folder.textChanged.connect(self._folder_changed)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.setContentsMargins(0, 0, 0, 0)
        folder_row.addWidget(self.folder)
        folder_row.addWidget(browse)
        self.found = QLabel("No folder chosen.")
        self.found.setWordWrap(True)

        self.budget = QSpinBox()
        self.unit = QComboBox()
        self.unit.addItems(list(UNITS))
        self.unit.currentTextChanged.connect(self._unit_changed)
        self._unit_changed(self.unit.currentText())
        budget_row = QHBoxLayout()
        budget_row.setContentsMargins(0, 0, 0, 0)
        budget_row.addWidget(self.budget)
        budget_row.addWidget(self.unit)

        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch()

        self.progress = QProgressBar()
        self.eta = QLabel()
        self.curve = LossCurve()
        self.status = QLabel(
            "Starts from the active weights. Some of your photos are held back to measure whether "
            "the result is better; it is only offered if it is."
        )
        self.status.setWordWrap(True)
        self.score = QLabel()
        self.score.setWordWrap(True)
        self.use_button = QPushButton("Use the fine-tuned weights")
        self.use_button.clicked.connect(self._use)

        form = QFormLayout()
        form.addRow("Photos", folder_row)
        form.addRow("", self.found)
        form.addRow("Budget", budget_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.eta)
        layout.addWidget(self.curve, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.score)
        layout.addWidget(self.use_button)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Choose a folder of photos", self.folder.text()
        )
        if path:
            self.folder.setText(path)

    def _unit_changed(self, unit: str) -> None:
        low, high, default = UNITS[unit]
        self.budget.setRange(low, high)
        self.budget.setValue(default)

    def _folder_changed(self) -> None:
        folder = self._folder()
        if folder is None:
            self.found.setText("No folder chosen." if not self.folder.text() else "Not a folder.")
        else:
            n = len(find_photos(folder))
            self.found.setText(f"{n} photo{'s' if n != 1 else ''} found.")
        self._update_buttons()

    def _folder(self) -> Path | None:
        text = self.folder.text().strip()
        return Path(text).expanduser() if text and Path(text).expanduser().is_dir() else None

    def _update_buttons(self) -> None:
        running = self.worker is not None
        folder = self._folder()
        self.start_button.setEnabled(not running and folder is not None)
        self.cancel_button.setEnabled(running)
        self.folder.setEnabled(not running)
        self.budget.setEnabled(not running)
        self.unit.setEnabled(not running)
        self.use_button.setEnabled(not running and self.result is not None and self.result.improved)
        resumable = False
        if not running and folder is not None:
            try:
                resumable = has_unfinished_run(self.config(folder))
            except (WeightsError, ValueError, OSError):
                resumable = False
        self.start_button.setText("Resume" if resumable else "Start")

    # --- running ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.worker is not None

    def config(self, folder: Path) -> FinetuneConfig:
        """The run the panel would start: the active weights on ``folder`` within the budget."""
        weights, config = weights_source(self.settings.weights)
        budget = {self.unit.currentText(): self.budget.value()}
        return FinetuneConfig(
            photos_dir=folder,
            base=resolve_weights(weights, config),
            device=self.settings.options.device,
            **budget,
            **self.job_options,
        )

    def start(self) -> None:
        folder = self._folder()
        if self.running or folder is None:
            return
        try:
            config = self.config(folder)
        except (WeightsError, ValueError) as err:
            self.status.setText(f"Cannot start: {err}")
            return
        self.result = None
        self.curve.clear()
        self.score.clear()
        self.progress.setRange(0, 0)  # busy until the first step
        self.eta.setText("")
        self.status.setText("Reading photos…")
        self.worker = FinetuneWorker(config)
        self.worker.prepared.connect(self._on_prepared)
        self.worker.progress.connect(self._on_progress)
        self.worker.succeeded.connect(self._on_result)
        self.worker.failed.connect(self._on_failed)
        self.worker.finished.connect(self._on_finished)
        self._update_buttons()
        self.worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling after the current step…")

    def shutdown(self) -> None:
        """Cancel a run and wait for it: called when the dialog closes (the run stays resumable)."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()

    def _on_prepared(self, job: FinetuneJob) -> None:
        self.job = job
        split = job.split
        text = f"{len(split.train)} photos for training, {len(split.val)} held back"
        if split.skipped:
            names = [Path(p).name for p, _ in split.skipped]
            listed = ", ".join(names[:MAX_LISTED]) + (" …" if len(names) > MAX_LISTED else "")
            text += f"; {len(names)} skipped: {listed}"
            self.found.setToolTip("\n".join(f"{p}: {why}" for p, why in split.skipped))
        self.found.setText(text + ".")
        verb = "Resuming" if job.resuming else "Measuring the current weights"
        self.status.setText(f"{verb} on the held-back photos…")

    def _on_progress(self, p: TrainProgress) -> None:
        if p.total_steps is not None:
            self.progress.setRange(0, p.total_steps)
            self.progress.setValue(p.step)
        else:
            total = p.elapsed_s + (p.eta_s or 0.0)
            self.progress.setRange(0, max(1, round(total)))
            self.progress.setValue(round(p.elapsed_s))
        self.eta.setText(f"Step {p.step} · loss {p.loss:.4f} · ETA {format_eta(p.eta_s)}")
        self.curve.add(p.step, p.loss)
        if p.val_psnr is not None:
            self.status.setText(
                f"Held-back photos at step {p.step}: {p.val_psnr:.2f} dB "
                f"(best so far {p.best_psnr:.2f} dB)"
            )
        elif not self.status.text().startswith("Held-back"):
            self.status.setText("Training…")

    def _on_result(self, result: FinetuneResult) -> None:
        self.result = result
        if result.stopped_by == "cancel":
            self.status.setText(
                f"Cancelled at step {result.steps}; your weights are unchanged. "
                "Start again on this folder to resume."
            )
            return
        n = len(self.job.split.val) if self.job else 0
        before = f"current weights {result.base_psnr:.2f} dB"
        if result.improved:
            self.score.setText(
                f"Masked PSNR on your {n} held-back photos: {before} → fine-tuned "
                f"{result.psnr:.2f} dB ({result.psnr - result.base_psnr:+.2f} dB)."
            )
            self.status.setText(f"Saved {result.weights.name}.")
        else:
            self.score.setText(
                f"Masked PSNR on your {n} held-back photos: {before}; fine-tuning did not beat "
                "it, so nothing was saved and your current weights stay."
            )
            self.status.setText(f"Finished ({result.stopped_by}) after {result.steps} steps.")

    def _on_failed(self, message: str) -> None:
        self.status.setText(f"Fine-tuning failed: {message}")

    def _on_finished(self) -> None:
        self.worker = None
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if self.result and self.result.stopped_by != "cancel" else 0)
        self._update_buttons()

    def _use(self) -> None:
        if self.result is not None and self.result.weights is not None:
            self.activate.emit(str(self.result.weights))
            self.status.setText(
                "Selected on the Inpainting tab; press OK to make it the active weights."
            )
