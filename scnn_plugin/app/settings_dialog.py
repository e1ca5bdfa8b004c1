"""Settings dialog: device, CPU threads, timesteps, tiling and weights, validated before it closes.

The "Fine-tuning" tab is ``FinetunePanel``; its "use" button selects the result in the weights
chooser here, so switching weights still goes through OK / Cancel and the same validation.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..cpu_threads import MAX_THREADS
from ..devices import available_devices
from ..errors import WeightsError
from ..options import InpaintOptions
from ..weights import load_weights
from .finetune_panel import FinetunePanel
from .settings import AppSettings
from .weights_catalog import weights_choices, weights_source

CUSTOM = "custom"  # the weights chooser's "Custom file..." entry


class SettingsDialog(QDialog):
    """Edit a copy of ``settings``; after ``accept`` the result is in ``settings()``."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._base = settings
        self._result = settings
        tabs = QTabWidget()
        self.tabs = tabs
        tabs.addTab(self._inference_tab(settings), "Inpainting")
        self.finetune_panel = FinetunePanel(settings)
        self.finetune_panel.activate.connect(self.use_weights)
        tabs.addTab(self.finetune_panel, "Fine-tuning")
        self.error = QLabel()
        self.error.setStyleSheet("color: #d04040")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        # A message about a value the user has since fixed must not stay on screen.
        for box in (self.threads, self.timesteps, self.tile, self.overlap, self.adapt, self.views):
            box.valueChanged.connect(self._recheck)
        self.device.currentIndexChanged.connect(self._recheck)
        self.weights.currentIndexChanged.connect(self._recheck)
        self.custom_path.textChanged.connect(self._recheck)

    def show_tab(self, name: str) -> None:
        """Bring the tab labelled ``name`` ("Inpainting", "Fine-tuning") to the front."""
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == name:
                self.tabs.setCurrentIndex(index)
                return
        raise ValueError(f"no settings tab named {name!r}")

    def _inference_tab(self, settings: AppSettings) -> QWidget:
        options = settings.options
        self.device = QComboBox()
        devices = available_devices()
        if options.device not in devices:  # e.g. a GPU that was unplugged: keep it visible
            devices.append(options.device)
        self.device.addItems(devices)
        self.device.setCurrentText(options.device)

        self.threads = QSpinBox()
        self.threads.setRange(0, MAX_THREADS)
        self.threads.setSpecialValueText("automatic")  # 0: SCNN_THREADS, else the physical cores
        self.threads.setValue(settings.threads)
        self.threads.setToolTip(
            "CPU threads the network may use; automatic uses one per physical core. Fewer threads "
            "keep a busy laptop responsive while a fill runs."
        )

        self.timesteps = QSpinBox()
        self.timesteps.setRange(0, 64)
        self.timesteps.setSpecialValueText("as trained")  # 0 stands for None
        self.timesteps.setValue(options.timesteps or 0)
        self.timesteps.setToolTip("Spiking timesteps: fewer is faster and coarser.")

        self.tile = QSpinBox()
        self.tile.setRange(64, 2048)
        self.tile.setSingleStep(64)
        self.tile.setSuffix(" px")
        self.tile.setValue(options.tile)
        self.tile.setToolTip("Side of the window the model sees; a multiple of 8.")

        self.overlap = QSpinBox()
        self.overlap.setRange(0, 1024)
        self.overlap.setSingleStep(8)
        self.overlap.setSuffix(" px")
        self.overlap.setValue(options.overlap)
        self.overlap.setToolTip("Pixels neighbouring windows share and blend; at most half a tile.")

        self.adapt = QSpinBox()
        self.adapt.setRange(0, 500)
        self.adapt.setSingleStep(10)
        self.adapt.setSpecialValueText("off")
        self.adapt.setSuffix(" steps")
        self.adapt.setValue(options.adapt)
        self.adapt.setToolTip(
            "Before filling, train a copy of the network for this many steps on the rest of the "
            "photo (about 0.25 s a step on a 2-core CPU). Sharper where the photo shows the same "
            "structure elsewhere, such as wires across a sky; kept only if it does better on "
            "test holes in the same photo."
        )

        self.texture = QCheckBox("Fill with the photo's own texture")
        self.texture.setChecked(options.texture)
        self.texture.setToolTip(
            "Completes the fill from the surrounding photo at every scale (grain, grass blades, "
            "ripples, fur), laid out by the network, so they do not come out as a smooth smudge, "
            "and continues tiles or blinds along their own period; a clear sky stays smooth. "
            "Off: the network's smooth fill."
        )
        self.views = QSpinBox()
        self.views.setRange(1, InpaintOptions.MAX_VIEWS)
        self.views.setValue(options.views)
        self.views.setToolTip(
            "Fill each window as it is and mirrored, and average: n views take n times as long. "
            "Four views fill thin and medium holes about 0.1 dB better."
        )

        self.weights = QComboBox()
        for choice in weights_choices():
            self.weights.addItem(choice.label, choice.value)
        self.weights.addItem("Custom file…", CUSTOM)
        self.custom_path = QLineEdit()
        self.custom_path.setPlaceholderText("path to a .safetensors weights file")
        self.custom_path.setMinimumWidth(self.custom_path.fontMetrics().averageCharWidth() * 48)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        custom_row = QHBoxLayout()
        custom_row.addWidget(self.custom_path)
        custom_row.addWidget(browse)
        self._custom_row = QWidget()
        self._custom_row.setLayout(custom_row)
        custom_row.setContentsMargins(0, 0, 0, 0)
        self._select_weights(settings.weights)
        self.weights.currentIndexChanged.connect(self._update_custom_row)
        self._update_custom_row()

        page = QWidget()
        form = QFormLayout(page)
        form.addRow("Device", self.device)
        form.addRow("CPU threads", self.threads)
        form.addRow("Timesteps", self.timesteps)
        form.addRow("Tile size", self.tile)
        form.addRow("Tile overlap", self.overlap)
        form.addRow("Adapt to the photo", self.adapt)
        form.addRow("Averaged views", self.views)
        form.addRow("", self.texture)
        form.addRow("Weights", self.weights)
        form.addRow("", self._custom_row)
        return page

    def _select_weights(self, value: str) -> None:
        index = self.weights.findData(value)
        if index >= 0:
            self.weights.setCurrentIndex(index)
        else:
            self.weights.setCurrentIndex(self.weights.findData(CUSTOM))
            self.custom_path.setText(value)

    def use_weights(self, path: str) -> None:
        """Select the weights file ``path`` in the chooser, adding it if the list predates it."""
        if self.weights.findData(path) < 0:
            label = f"Fine-tuned: {Path(path).stem}"
            self.weights.insertItem(self.weights.findData(CUSTOM), label, path)
        self._select_weights(path)

    def _update_custom_row(self) -> None:
        self._custom_row.setVisible(self.weights.currentData() == CUSTOM)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose weights", self.custom_path.text(), "Weights (*.safetensors)"
        )
        if path:
            self.custom_path.setText(path)

    def _weights_value(self) -> str:
        value = self.weights.currentData()
        return self.custom_path.text().strip() if value == CUSTOM else value

    def settings(self) -> AppSettings:
        """The edited settings (valid once the dialog was accepted)."""
        return self._result

    def done(self, result: int) -> None:
        """Closing by any path stops a fine-tuning run first (it stays resumable)."""
        self.finetune_panel.shutdown()
        super().done(result)

    def accept(self) -> None:
        """Close only when every value is valid; otherwise say what is wrong and stay open."""
        try:
            self._result = self._validated()
        except (ValueError, WeightsError) as err:
            self.error.setText(str(err))
            return
        self.error.clear()
        super().accept()

    def _recheck(self) -> None:
        """Clear the error once every value is valid again (cheaply: a weights file is only
        checked to exist here; OK still loads it)."""
        if not self.error.text():
            return
        try:
            self._validated(load=False)
        except (ValueError, WeightsError):
            return
        self.error.clear()

    def _validated(self, load: bool = True) -> AppSettings:
        options = InpaintOptions(
            tile=self.tile.value(),
            overlap=self.overlap.value(),
            timesteps=self.timesteps.value() or None,
            batch=self._base.options.batch,
            device=self.device.currentText(),
            adapt=self.adapt.value(),
            views=self.views.value(),
            texture=self.texture.isChecked(),
        )
        weights = self._weights_value()
        if not weights:
            raise ValueError("choose a weights file")
        path, _ = weights_source(weights)
        if path is not None and weights != self._base.weights:
            _check_weights_file(path, load)
        return replace(self._base, options=options, weights=weights, threads=self.threads.value())


def _check_weights_file(path: Path, load: bool = True) -> None:
    """Load ``path`` on the CPU once, so a wrong file is refused here rather than at the next run."""
    if not path.is_file():
        raise ValueError(f"weights file not found: {path}")
    if load:
        load_weights(path, "cpu")
