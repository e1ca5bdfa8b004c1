"""The settings dialog's "Fine-tuning" tab: pick a folder, set a budget, watch it train, switch to it.

The panel holds no training logic: it builds a ``FinetuneConfig`` from the active settings, runs it
in a ``FinetuneWorker`` and shows the worker's signals. Making the result active is the dialog's job
(``activate`` signal), so the choice still goes through the dialog's OK / Cancel.

The folder is counted in a ``PhotoScanWorker``, DEBOUNCE_MS after the last keystroke (at once on
Enter or Browse): typing ``/`` on the way to ``/home/...`` must never walk the disk on the GUI thread.
One button starts and stops a run, so the dialog's Cancel is the only "Cancel" in sight.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QTimer, pyqtSignal
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

from ..devices import cpu_threads, runs_on_accelerator
from ..errors import WeightsError
from ..training.finetune import (
    DEFAULT_STEPS,
    FinetuneConfig,
    FinetuneJob,
    FinetuneResult,
    TrainProgress,
    estimate_seconds,
    format_eta,
    has_unfinished_run,
)
from ..weights import resolve_weights
from .finetune_worker import FinetuneWorker
from .loss_curve import LossCurve
from .photo_scan import PhotoScan, PhotoScanWorker
from .settings import AppSettings
from .weights_catalog import weights_source

# unit: (min, max, default); both defaults take about ten minutes on a 2-core laptop.
UNITS = {"minutes": (1, 24 * 60, 10), "steps": (10, 100_000, DEFAULT_STEPS)}
DEBOUNCE_MS = 400  # quiet time after the last keystroke before the folder is counted
FOLDER_CHARS = 48  # the folder field shows at least this many characters
MAX_LISTED = 4  # skipped files named in the label; the tooltip lists them all


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
        self.scan: PhotoScan | None = None  # the last finished count of the folder shown
        self._scanner: PhotoScanWorker | None = None
        self._old_scanners: list[PhotoScanWorker] = []  # cancelled, kept until they finish
        self._scan_timer = QTimer(self)
        self._scan_timer.setSingleShot(True)
        self._scan_timer.setInterval(DEBOUNCE_MS)
        self._scan_timer.timeout.connect(self.scan_folder)
        self._make_widgets()
        self._update_buttons()

    # --- widgets ------------------------------------------------------------------------------

    def _make_widgets(self) -> None:
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("a folder of your photos (searched recursively)")
        self.folder.setMinimumWidth(self.folder.fontMetrics().averageCharWidth() * FOLDER_CHARS)
        self.folder.textChanged.connect(self._folder_changed)
        self.folder.editingFinished.connect(self.scan_folder)
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
        self.estimate = QLabel()
        self.estimate.setWordWrap(True)
        self.unit.addItems(list(UNITS))
        self.unit.currentTextChanged.connect(self._unit_changed)
        self.budget.valueChanged.connect(self._update_estimate)
        self._unit_changed(self.unit.currentText())
        budget_row = QHBoxLayout()
        budget_row.setContentsMargins(0, 0, 0, 0)
        budget_row.addWidget(self.budget)
        budget_row.addWidget(self.unit)

        # One button: Start, Resume, or Stop while running (the dialog's Cancel closes the dialog).
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self._start_or_stop)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addStretch()

        self.progress = QProgressBar()
        self.eta = QLabel()
        self.curve = LossCurve()
        self.status = QLabel(self._idle_status())
        self.status.setWordWrap(True)
        self.score = QLabel()
        self.score.setWordWrap(True)
        self.use_button = QPushButton("Use the fine-tuned weights")
        self.use_button.clicked.connect(self._use)

        form = QFormLayout()
        form.addRow("Photos", folder_row)
        form.addRow("", self.found)
        form.addRow("Budget", budget_row)
        form.addRow("", self.estimate)
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
            self.scan_folder()

    def _unit_changed(self, unit: str) -> None:
        low, high, default = UNITS[unit]
        self.budget.setRange(low, high)
        self.budget.setValue(default)
        self._update_estimate()

    def _update_estimate(self) -> None:
        """Say before Start how long the run will take, from the measured 2-core CPU figures."""
        opts = {k: v for k, v in self.job_options.items() if k in ("batch", "crop", "val_every")}
        threads = cpu_threads()
        per_step = estimate_seconds(100, threads=threads, **opts) / 100
        gpu = runs_on_accelerator(self.settings.options.device)
        plural = "s" if threads != 1 else ""
        where = "on a GPU it is much quicker" if gpu else f"on this CPU ({threads} thread{plural})"
        if self.unit.currentText() == "steps":
            seconds = estimate_seconds(self.budget.value(), threads=threads, **opts)
            text = f"About {_minutes(seconds)} {where}."
        else:
            steps = max(1, round(self.budget.value() * 60 / per_step))
            text = f"Stops after {self.budget.value()} min: about {steps} steps {where}."
        self.estimate.setText(text + " Stop at any time; a stopped run can be resumed.")

    def _folder_changed(self) -> None:
        """A keystroke: forget the old count and count again once the typing pauses."""
        self.scan = None
        self.status.setText(self._idle_status())
        self._cancel_scan()
        text = self.folder.text().strip()
        self.found.setToolTip("")
        self.found.setText("No folder chosen." if not text else "Looking…")
        if text:
            self._scan_timer.start()
        else:
            self._scan_timer.stop()
        self._update_buttons()

    def scan_folder(self) -> None:
        """Count the photos in the typed folder now, in the background."""
        self._scan_timer.stop()
        if self.running or (self._scanner is not None and self._scanner.folder == self._folder()):
            return
        self._cancel_scan()
        folder = self._folder()
        if folder is None:
            self.found.setText("No folder chosen." if not self.folder.text() else "Not a folder.")
            return
        self.found.setText("Looking for photos…")
        scanner = PhotoScanWorker(folder, self._resumable)
        scanner.done.connect(self._on_scanned)
        scanner.finished.connect(lambda s=scanner: self._scan_finished(s))
        self._scanner = scanner
        scanner.start()

    def _resumable(self, folder: Path) -> bool:
        return has_unfinished_run(self.config(folder))

    def _cancel_scan(self) -> None:
        if self._scanner is not None:
            self._scanner.cancel()
            self._old_scanners.append(self._scanner)
            self._scanner = None

    def _scan_finished(self, scanner: PhotoScanWorker) -> None:
        if scanner in self._old_scanners:
            self._old_scanners.remove(scanner)
        if scanner is self._scanner:
            self._scanner = None
        scanner.deleteLater()

    def _on_scanned(self, scan: PhotoScan) -> None:
        if self.sender() is not self._scanner:
            return  # a scan of a folder the field no longer names
        self.scan = scan
        n = scan.count
        if scan.complete:
            self.found.setText(f"{n} photo{'s' if n != 1 else ''} found.")
        elif scan.stopped_by == "limit":
            self.found.setText(f"More than {n} image files: choose the folder of your photos.")
        else:
            self.found.setText(
                f"Stopped counting after {n} image files (a very large folder): "
                "choose the folder of your photos."
            )
        self._update_buttons()

    def _folder(self) -> Path | None:
        text = self.folder.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        try:
            return path if path.is_dir() else None
        except OSError:  # e.g. a name too long for the file system
            return None

    def _update_buttons(self) -> None:
        running = self.worker is not None
        ready = self.scan is not None and self.scan.complete and self.scan.count > 0
        self.start_button.setEnabled(running or ready)
        self.folder.setEnabled(not running)
        self.budget.setEnabled(not running)
        self.unit.setEnabled(not running)
        self.use_button.setEnabled(not running and self.result is not None and self.result.improved)
        if running:
            self.start_button.setText("Stop")
        else:
            resumable = ready and self.scan.resumable
            self.start_button.setText("Resume" if resumable else "Start")

    def _idle_status(self) -> str:
        return (
            "Starts from the active weights. Some of your photos are held back to measure whether "
            "the result is better; it is only offered if it is."
        )

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

    def _start_or_stop(self) -> None:
        if self.running:
            self.cancel()
        else:
            self.start()

    def start(self) -> None:
        folder = self._folder()
        if self.running or folder is None:
            return
        self._cancel_scan()
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
            self.start_button.setEnabled(False)
            self.status.setText("Stopping after the current step…")

    def shutdown(self) -> None:
        """Cancel a run and wait for it: called when the dialog closes (the run stays resumable)."""
        self._scan_timer.stop()
        self._cancel_scan()
        for scanner in list(self._old_scanners):
            scanner.wait()  # bounded: a scan stops at its next folder or after SCAN_SECONDS
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()

    def _on_prepared(self, job: FinetuneJob) -> None:
        self.job = job
        split = job.split
        # The job has just listed the folder itself: that count stands in for the scan's.
        count = len(split.train) + len(split.val) + len(split.skipped)
        self.scan = PhotoScan(Path(job.cfg.photos_dir), count, True, "", job.resuming)
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
                f"Stopped at step {result.steps}; your weights are unchanged. "
                "Start again on this folder to resume."
            )
            if self.scan is not None:  # the run left its checkpoint: the button offers Resume
                self.scan = replace(self.scan, resumable=True)
            else:  # stopped before the photos were read: count (and check) again
                self.scan_folder()
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
        if self.scan is not None and self.result is not None and self.result.stopped_by != "cancel":
            self.scan = replace(self.scan, resumable=False)  # a finished run removed its checkpoint
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if self.result and self.result.stopped_by != "cancel" else 0)
        self._update_buttons()

    def _use(self) -> None:
        if self.result is not None and self.result.weights is not None:
            self.activate.emit(str(self.result.weights))
            self.status.setText(
                "Selected on the Inpainting tab; press OK to make it the active weights."
            )


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "a minute or less"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
